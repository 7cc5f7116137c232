// Command traillogs measures keyrunbook's scan of CloudTrail log files
// against what a responder does by hand. It generates a data set of at
// least 2 GB of uncompressed records (gzip'd as CloudTrail delivers them)
// in a temporary directory, or reuses one in --dir, then times:
//
//   - keyrunbook: awsops.LocalTrailFiles + awsops.ScanTrailFiles, GOMAXPROCS
//     workers, the fast path skipping records that do not name the key;
//   - keyrunbook without the fast path: every record decoded as JSON;
//   - zcat FILES | jq -c '.Records[] | select(.userIdentity.accessKeyId == "KEY")';
//   - zcat FILES > /dev/null, the decompression floor.
//
// Each runs --runs times (default 3) and the fastest run counts, since the
// machine may be shared.
//
// Usage: go run ./bench/traillogs [--dir DIR] [--gb 2] [--runs 3] [--keep] [--skip-jq] [--skip-slow]
package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/keyrunbook/keyrunbook/awsops"
	"github.com/keyrunbook/keyrunbook/judge"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "traillogs:", err)
		os.Exit(1)
	}
}

func run() error {
	dir := flag.String("dir", "", "data set directory (default: a temporary directory, removed afterwards)")
	gb := flag.Float64("gb", 2, "uncompressed size of the data set to generate, in GB (1e9 bytes)")
	keep := flag.Bool("keep", false, "keep the temporary data set")
	skipJQ := flag.Bool("skip-jq", false, "do not run the jq pipeline (it takes minutes)")
	skipSlow := flag.Bool("skip-slow", false, "do not run the scan without the fast path")
	profile := flag.String("cpuprofile", "", "write a CPU profile of keyrunbook's scan to this file")
	flag.IntVar(&runs, "runs", 3, "time each command this many times and keep the fastest (the machine may be shared)")
	flag.Parse()

	missing := missingTools("zcat", "jq", "bash")
	if len(missing) > 0 {
		fmt.Printf("NOTE: %v not found on PATH: the comparisons that need them are skipped.\n", missing)
	}
	if *dir == "" {
		tmp, err := os.MkdirTemp("", "keyrunbook-traillogs-")
		if err != nil {
			return err
		}
		*dir = tmp
		if !*keep {
			defer os.RemoveAll(tmp)
		}
	}
	m, err := dataSet(*dir, int64(*gb*1e9))
	if err != nil {
		return err
	}
	files, err := awsops.LocalTrailFiles(*dir, time.Time{}, time.Time{})
	if err != nil {
		return err
	}
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = f.Name
	}
	sort.Strings(paths)
	fmt.Printf("data set: %s\n  %d files, %.2f GB of records (%.0f MB gzip'd, %.1fx), %d records, %d signed by %s; %d cores, GOMAXPROCS %d, %s\n\n",
		*dir, m.Files, float64(m.Uncompressed)/1e9, float64(m.Compressed)/1e6, float64(m.Uncompressed)/float64(m.Compressed),
		m.Records, m.KeyRecords, m.Key, runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version())

	var rows []result
	kr, matched, err := timeSelf("keyrunbook scan", func() (int, error) {
		if *profile != "" {
			f, err := os.Create(*profile)
			if err != nil {
				return 0, err
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err != nil {
				return 0, err
			}
			defer pprof.StopCPUProfile()
		}
		res, err := awsops.ScanTrailFiles(context.Background(), files, awsops.TrailScanOptions{KeyID: m.Key})
		return res.Stats.Matched, err
	})
	if err != nil {
		return err
	}
	rows = append(rows, kr)
	if matched != int(m.KeyRecords) {
		return fmt.Errorf("keyrunbook found %d of the key's records, the generator wrote %d", matched, m.KeyRecords)
	}
	if !*skipSlow {
		slow, n, err := timeSelf("keyrunbook, no fast path", func() (int, error) { return decodeAll(files, m.Key) })
		if err != nil {
			return err
		}
		if n != matched {
			return fmt.Errorf("full decode found %d records, the fast path %d", n, matched)
		}
		rows = append(rows, slow)
	}
	var floor, jq *result
	if len(missing) == 0 {
		f, err := timeCmd("zcat FILES > /dev/null", func() *exec.Cmd { return exec.Command("zcat", paths...) })
		if err != nil {
			return err
		}
		rows, floor = append(rows, f), &f
		if !*skipJQ {
			out := filepath.Join(os.TempDir(), "keyrunbook-jq-out.jsonl")
			defer os.Remove(out)
			filter := fmt.Sprintf(`.Records[] | select(.userIdentity.accessKeyId == %q)`, m.Key)
			j, err := timeCmd("zcat FILES | jq -c ...", func() *exec.Cmd {
				return exec.Command("bash", append([]string{"-c", `zcat "$@" | jq -c '` + filter + `' > ` + out, "bash"}, paths...)...)
			})
			if err != nil {
				return err
			}
			if n, err := countLines(out); err != nil || n != matched {
				return fmt.Errorf("jq selected %d records (%v), keyrunbook %d", n, err, matched)
			}
			rows, jq = append(rows, j), &j
		}
	}
	report(rows, m, kr, floor, jq)
	return nil
}

// dataSet reuses the data set in dir when its manifest matches, or makes it.
func dataSet(dir string, target int64) (manifest, error) {
	path := filepath.Join(dir, "keyrunbook-bench.manifest")
	var m manifest
	if data, err := os.ReadFile(path); err == nil && json.Unmarshal(data, &m) == nil && m.TargetBytes == target {
		return m, nil
	}
	fmt.Printf("generating %.1f GB of trail logs in %s …\n", float64(target)/1e9, dir)
	start := time.Now()
	m, err := generate(dir, 0x6b657972, target)
	if err != nil {
		return m, err
	}
	fmt.Printf("generated in %s\n", time.Since(start).Round(time.Second))
	data, _ := json.MarshalIndent(m, "", "  ")
	return m, os.WriteFile(path, data, 0o644)
}

// decodeAll is the scan without the fast path: every record of every file
// decoded by judge.DecodeTrailLog, GOMAXPROCS files at a time.
func decodeAll(files []awsops.TrailFile, key string) (int, error) {
	var mu sync.Mutex
	n := 0
	var firstErr error
	queue := make(chan awsops.TrailFile)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for f := range queue {
				c, err := decodeFile(f, key)
				mu.Lock()
				n += c
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		})
	}
	for _, f := range files {
		queue <- f
	}
	close(queue)
	wg.Wait()
	return n, firstErr
}

// runs is how many times each measurement runs; the fastest counts.
var runs = 3

type result struct {
	name      string
	wall, cpu time.Duration
}

func timeSelf(name string, fn func() (int, error)) (result, int, error) {
	best, n := result{name: name}, 0
	for i := range max(runs, 1) {
		runtime.GC()
		before := cpuTime(syscall.RUSAGE_SELF)
		start := time.Now()
		c, err := fn()
		r := result{name: name, wall: time.Since(start), cpu: cpuTime(syscall.RUSAGE_SELF) - before}
		if err != nil {
			return r, c, err
		}
		if i == 0 || r.wall < best.wall {
			best, n = r, c
		}
	}
	fmt.Printf("  %-28s %8s\n", name, best.wall.Round(time.Millisecond))
	return best, n, nil
}

func timeCmd(name string, cmd func() *exec.Cmd) (result, error) {
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return result{}, err
	}
	defer devnull.Close()
	best := result{name: name}
	for i := range max(runs, 1) {
		c := cmd()
		c.Stdout, c.Stderr = devnull, os.Stderr
		start := time.Now()
		if err := c.Run(); err != nil {
			return result{}, fmt.Errorf("%s: %w", name, err)
		}
		r := result{name: name, wall: time.Since(start), cpu: c.ProcessState.UserTime() + c.ProcessState.SystemTime()}
		if i == 0 || r.wall < best.wall {
			best = r
		}
	}
	fmt.Printf("  %-28s %8s\n", name, best.wall.Round(time.Millisecond))
	return best, nil
}

func cpuTime(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func missingTools(names ...string) []string {
	var out []string
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			out = append(out, n)
		}
	}
	return out
}

func countLines(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range data {
		if c == '\n' {
			n++
		}
	}
	return n, nil
}

func report(rows []result, m manifest, kr result, floor, jq *result) {
	gb := float64(m.Uncompressed) / 1e9
	fmt.Printf("\n%-28s %10s %10s %8s %12s %14s\n", "", "wall", "cpu", "cores", "GB/s", "GB/s per core")
	for _, r := range rows {
		cores := r.cpu.Seconds() / r.wall.Seconds()
		fmt.Printf("%-28s %10s %10s %8.2f %12.3f %14.3f\n", r.name, r.wall.Round(time.Millisecond), r.cpu.Round(time.Millisecond),
			cores, gb/r.wall.Seconds(), gb/r.cpu.Seconds())
	}
	fmt.Println()
	if jq != nil {
		fmt.Printf("keyrunbook vs jq pipeline: %.1fx faster (goal ≥ 10x)\n", jq.wall.Seconds()/kr.wall.Seconds())
	}
	if floor != nil {
		// Per core used: CPU time against CPU time, which a shared
		// machine's other load does not skew as it skews wall time.
		fmt.Printf("keyrunbook per core vs decompression floor: %.2fx zcat's CPU time (goal ≤ 2x); wall %.2fx zcat's\n",
			kr.cpu.Seconds()/floor.cpu.Seconds(), kr.wall.Seconds()/floor.wall.Seconds())
	}
	if jq == nil && floor == nil {
		fmt.Println(errors.New("no comparison ran: install zcat (gzip) and jq"))
	}
}

func decodeFile(f awsops.TrailFile, key string) (int, error) {
	rc, err := f.Open(context.Background())
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	zr, err := gzip.NewReader(bufio.NewReaderSize(rc, 64<<10))
	if err != nil {
		return 0, fmt.Errorf("%s: %w", f.Name, err)
	}
	n := 0
	err = judge.DecodeTrailLog(zr, func(r awsops.TrailRecord) error {
		if r.UserIdentity.AccessKeyID == key {
			n++
		}
		return nil
	})
	return n, err
}
