package awsops

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// deliveryMargin is how long after an event its log file may be named:
// CloudTrail delivers log files "about every 5 minutes" and names them by
// delivery time (CloudTrail user guide, log file name format); an hour
// keeps late files in, and the records are filtered by their own time.
const deliveryMargin = time.Hour

// reLogName reads the delivery time in a log file's name:
// ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHMMZ_UNIQUE.json.gz.
var reLogName = regexp.MustCompile(`_CloudTrail_[a-z0-9-]+_([0-9]{8}T[0-9]{4}Z)_[A-Za-z0-9]+\.json(\.gz)?$`)

// logFileTime returns the delivery time a log file's name carries.
func logFileTime(name string) (time.Time, bool) {
	m := reLogName.FindStringSubmatch(name)
	if m == nil {
		return time.Time{}, false
	}
	t, err := time.Parse("20060102T1504Z", m[1])
	return t, err == nil
}

// wantLogFile reports whether a log file may hold events between from and
// to: a file is named after its events, within deliveryMargin.
func wantLogFile(name string, from, to time.Time) bool {
	if strings.Contains(name, "CloudTrail-Digest") {
		return false // digest files hold hashes, not events
	}
	if !strings.HasSuffix(name, ".json.gz") && !strings.HasSuffix(name, ".json") {
		return false
	}
	t, ok := logFileTime(name)
	if !ok {
		return true // not named as CloudTrail names files: read it, the records say
	}
	return (from.IsZero() || !t.Before(from)) && (to.IsZero() || !t.After(to.Add(deliveryMargin)))
}

// LocalTrailFiles lists the log files under dir that may hold events
// between from and to, skipping day folders (YYYY/MM/DD) outside the
// window without reading them.
func LocalTrailFiles(dir string, from, to time.Time) ([]TrailFile, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("read trail logs in %s: %w", dir, err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("read trail logs: %s is not a directory", dir)
	}
	var files []TrailFile
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if day, ok := dayFolder(path); ok && outsideDays(day, from, to) {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !wantLogFile(d.Name(), from, to) {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		files = append(files, TrailFile{Name: path, Size: fi.Size(), Open: func(context.Context) (io.ReadCloser, error) {
			return os.Open(path)
		}})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list trail logs in %s: %w", dir, err)
	}
	return files, nil
}

// dayFolder reads the date of a .../YYYY/MM/DD folder.
func dayFolder(path string) (time.Time, bool) {
	parts := strings.Split(filepath.ToSlash(path), "/")
	if len(parts) < 3 {
		return time.Time{}, false
	}
	t, err := time.Parse("2006/01/02", strings.Join(parts[len(parts)-3:], "/"))
	return t, err == nil
}

// outsideDays reports whether no file of the day can hold an event of the
// window (files of a day hold that day's events, delivered within the
// margin, which may cross midnight).
func outsideDays(day, from, to time.Time) bool {
	end := day.Add(24*time.Hour + deliveryMargin)
	return (!from.IsZero() && end.Before(from)) || (!to.IsZero() && day.After(to.Add(deliveryMargin)))
}
