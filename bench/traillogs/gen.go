package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The data set stands in for a busy account's multi-region trail: many
// principals (IAM users with AKIA keys, role sessions with ASIA keys, AWS
// services), management and data events in proportions seen in real
// trails, files of a few hundred to several thousand records, gzip'd at
// the default level as CloudTrail delivers them. The target key signs
// about 1% of the records, from three callers.

const account = "123456789012"

var regions = []string{"us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"}

// manifest describes a generated data set, so a second run reuses it.
type manifest struct {
	Seed         uint64 `json:"seed"`
	TargetBytes  int64  `json:"targetBytes"`
	Key          string `json:"key"`
	Files        int    `json:"files"`
	Records      int64  `json:"records"`
	KeyRecords   int64  `json:"keyRecords"`
	Uncompressed int64  `json:"uncompressed"`
	Compressed   int64  `json:"compressed"`
}

type principal struct {
	typ, arn, principalID, userName, key, role string
}

type caller struct{ ip, ua string }

type world struct {
	key     string
	users   []principal
	roles   []principal
	callers []caller
	keyUses []caller
	target  principal
}

func newWorld(seed uint64) *world {
	r := rand.New(rand.NewPCG(seed, 1))
	w := &world{key: keyID(r, "AKIA")}
	w.target = principal{typ: "IAMUser", arn: "arn:aws:iam::" + account + ":user/svc-billing", principalID: "AIDA" + alnum(r, 17),
		userName: "svc-billing", key: w.key}
	for i := range 300 {
		name := fmt.Sprintf("svc-%s-%d", words[r.IntN(len(words))], i)
		w.users = append(w.users, principal{typ: "IAMUser", arn: "arn:aws:iam::" + account + ":user/" + name,
			principalID: "AIDA" + alnum(r, 17), userName: name, key: keyID(r, "AKIA")})
	}
	for i := range 400 {
		role := fmt.Sprintf("%s-%s-role", words[r.IntN(len(words))], words[r.IntN(len(words))])
		sess := fmt.Sprintf("i-%017x", r.Uint64()>>4)
		if i%3 == 0 {
			sess = "botocore-session-" + strconv.Itoa(1700000000+r.IntN(9999999))
		}
		w.roles = append(w.roles, principal{typ: "AssumedRole", arn: "arn:aws:sts::" + account + ":assumed-role/" + role + "/" + sess,
			principalID: "AROA" + alnum(r, 17) + ":" + sess, key: keyID(r, "ASIA"), role: role})
	}
	for range 200 {
		w.callers = append(w.callers, caller{ip: fmt.Sprintf("%d.%d.%d.%d", 3+r.IntN(50), r.IntN(256), r.IntN(256), 1+r.IntN(254)), ua: agents[r.IntN(len(agents))]})
	}
	w.keyUses = []caller{
		{ip: "3.249.118.40", ua: agents[0]},
		{ip: "203.0.113.10", ua: agents[3]},
		{ip: "198.51.100.23", ua: "Boto3/1.34.51 md/Botocore#1.34.51 ua/2.0 os/linux#6.1.0-18-cloud-amd64 md/arch#x86_64 lang/python#3.11.2 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.51"},
	}
	return w
}

var words = []string{"billing", "reports", "etl", "ingest", "web", "api", "batch", "backup", "ml", "search", "auth",
	"orders", "payments", "catalog", "metrics", "audit", "export", "sync", "mailer", "cdn"}

var agents = []string{
	"aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/s3#1.58.2",
	"Boto3/1.34.34 md/Botocore#1.34.34 ua/2.0 os/linux#5.10.209-220.812.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.2 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.34.34",
	"aws-cli/2.17.0 md/awscrt#0.20.11 ua/2.0 os/linux#6.5.0-1022-azure md/arch#x86_64 lang/python#3.11.9 md/pyimpl#CPython exec-env/github-actions cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.22 md/prompt#off md/command#s3.cp",
	"aws-sdk-java/2.25.11 Linux/5.10.210-201.852.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS Java/17.0.10 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy",
	"APN/1.0 HashiCorp/1.0 Terraform/1.7.5 (+https://www.terraform.io) terraform-provider-aws/5.42.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.26.0 os/linux lang/go#1.22.1",
	"[aws-sdk-js/3.540.0 ua/2.0 os/linux#5.10.213 lang/js md/nodejs#20.12.0 api/dynamodb#3.540.0 exec-env/AWS_ECS_FARGATE]",
}

// generate writes the data set into dir, about target bytes of records.
func generate(dir string, seed uint64, target int64) (manifest, error) {
	w := newWorld(seed)
	m := manifest{Seed: seed, TargetBytes: target, Key: w.key}
	var files, records, keyRecs, raw, comp atomic.Int64
	var next atomic.Int64
	var firstErr error
	var errOnce sync.Once
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			var buf bytes.Buffer
			var zbuf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&zbuf, gzip.DefaultCompression)
			for raw.Load() < target {
				n := next.Add(1)
				r := rand.New(rand.NewPCG(seed, uint64(n)+100))
				region := regions[r.IntN(len(regions))]
				day := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(n)%30)
				start := day.Add(time.Duration(r.IntN(288)) * 5 * time.Minute)
				count := int(math.Min(8000, math.Max(20, math.Exp(6.6+0.8*r.NormFloat64()))))
				buf.Reset()
				k := w.file(&buf, r, region, start, count)
				zbuf.Reset()
				zw.Reset(&zbuf)
				zw.Write(buf.Bytes())
				zw.Close()
				end := start.Add(5 * time.Minute)
				path := filepath.Join(dir, "AWSLogs", account, "CloudTrail", region, end.Format("2006/01/02"),
					fmt.Sprintf("%s_CloudTrail_%s_%s_%s.json.gz", account, region, end.Format("20060102T1504Z"), alnum(r, 16)))
				err := os.MkdirAll(filepath.Dir(path), 0o755)
				if err == nil {
					err = os.WriteFile(path, zbuf.Bytes(), 0o644)
				}
				if err != nil {
					// A file not written would make the benchmark read less
					// than it claims.
					errOnce.Do(func() { firstErr = err })
					return
				}
				files.Add(1)
				records.Add(int64(count))
				keyRecs.Add(int64(k))
				raw.Add(int64(buf.Len()))
				comp.Add(int64(zbuf.Len()))
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return m, fmt.Errorf("generate trail logs in %s: %w", dir, firstErr)
	}
	m.Files, m.Records, m.KeyRecords = int(files.Load()), records.Load(), keyRecs.Load()
	m.Uncompressed, m.Compressed = raw.Load(), comp.Load()
	return m, nil
}

// file writes one log file's JSON and returns how many records the key signed.
func (w *world) file(buf *bytes.Buffer, r *rand.Rand, region string, start time.Time, count int) int {
	times := make([]int64, count)
	for i := range times {
		times[i] = start.UnixMilli() + r.Int64N(300_000)
	}
	sortInt64(times)
	buf.WriteString(`{"Records":[`)
	keyRecs := 0
	for i, t := range times {
		if i > 0 {
			buf.WriteByte(',')
		}
		if w.record(buf, r, region, time.UnixMilli(t).UTC()) {
			keyRecs++
		}
	}
	buf.WriteString("]}")
	return keyRecs
}

func sortInt64(a []int64) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

const b32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
const an = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func keyID(r *rand.Rand, prefix string) string {
	b := []byte(prefix)
	for range 16 {
		b = append(b, b32[r.IntN(32)])
	}
	return string(b)
}

func alnum(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = an[r.IntN(len(an))]
	}
	return string(b)
}

func uuid(r *rand.Rand) string {
	a, b := r.Uint64(), r.Uint64()
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", uint32(a>>32), uint16(a>>16), uint16(a)&0xfff, 0x8000|uint16(b>>48)&0x3fff, b&(1<<48-1))
}
