package stream

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Staging names.
//
// Everything robustdata writes is written first under a staging name beside
// its final place and renamed into place when complete. A staging name is
// hidden (it starts with "."), says what it stages and who made it, and is
// owned: its writer holds an exclusive lock on it for as long as it lives.
//
//	.<base>.robustdata-tmp-<pid>-<16 hex>        a file being written (locked itself)
//	.<base>.robustdata-tmp-<pid>-<16 hex>/       a folder being written, with its lock file
//	.<base>.robustdata-tmp-<pid>-<16 hex>.lock   beside it, holding the pid and host
//	.<base>.robustdata-old-<pid>-<16 hex>/       a dataset moved aside while replaced
//	                                             (its previous content in "dataset"),
//	                                             with a .lock file the same way
//
// A later run of the same output sweeps what a killed writer left
// (SweepStaging): it removes only entries whose name has this exact shape
// and whose lock it can take, so that it never touches a file the tool did
// not create nor one a live process is writing. A look-alike folder
// without its lock file is never removed.

// stagingPattern matches a staging name: base, kind, pid, token, ".lock".
var stagingPattern = regexp.MustCompile(`^\.(.+)\.robustdata-(tmp|old)-([0-9]+)-([0-9a-f]{16})(\.lock)?$`)

// IsStagingName tells whether a file or folder name has the shape of a
// robustdata staging name (or of a staging folder's lock file).
func IsStagingName(name string) bool { return stagingPattern.MatchString(name) }

// Staging kinds.
const (
	stagingTmp = "tmp"
	stagingOld = "old"
)

// stagingPrefix is the start of every staging name of base made by this
// process (the random token follows).
func stagingPrefix(base, kind string) string {
	return "." + base + ".robustdata-" + kind + "-" + strconv.Itoa(os.Getpid()) + "-"
}

func stagingToken() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// createStagingFile creates a new, locked staging file for final in
// final's folder, mode 0666 less the umask. The lock lasts until the file
// is closed.
func createStagingFile(final string) (*os.File, error) {
	dir, base := filepath.Split(final)
	if dir == "" {
		dir = "."
	}
	for range 100 {
		tok, err := stagingToken()
		if err != nil {
			return nil, err
		}
		name := filepath.Join(dir, stagingPrefix(base, stagingTmp)+tok)
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if err := lockFile(f); err != nil {
			f.Close()
			os.Remove(name)
			return nil, err
		}
		return f, nil
	}
	return nil, errors.New("cannot find an unused temporary name")
}

// StagingDir is a staging folder held by this process: its lock file
// stays locked until Release.
type StagingDir struct {
	// Path is the staging folder.
	Path string
	lock *os.File
}

// stagingLockInfo is what a staging folder's lock file holds.
type stagingLockInfo struct {
	PID    int    `json:"pid"`
	Host   string `json:"host"`
	Since  string `json:"since"`
	Target string `json:"target"`
}

// NewStagingDir creates a locked staging folder for the file or folder
// final, beside it: its lock file first, then the folder. Release it once
// the folder was renamed into place or removed.
func NewStagingDir(final string) (*StagingDir, error) {
	return newStagingDir(final, stagingTmp)
}

func newStagingDir(final, kind string) (*StagingDir, error) {
	final = filepath.Clean(final)
	dir, base := filepath.Split(final)
	if dir == "" {
		dir = "."
	}
	for range 100 {
		tok, err := stagingToken()
		if err != nil {
			return nil, err
		}
		name := filepath.Join(dir, stagingPrefix(base, kind)+tok)
		lf, err := os.OpenFile(name+".lock", os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if err := lockFile(lf); err != nil {
			lf.Close()
			os.Remove(lf.Name())
			return nil, err
		}
		host, _ := os.Hostname()
		info, _ := json.Marshal(stagingLockInfo{PID: os.Getpid(), Host: host, Since: time.Now().UTC().Format(time.RFC3339), Target: base})
		if _, err := lf.Write(append(info, '\n')); err != nil {
			lf.Close()
			os.Remove(lf.Name())
			return nil, err
		}
		if err := os.Mkdir(name, 0o755); err != nil {
			lf.Close()
			os.Remove(lf.Name())
			if errors.Is(err, fs.ErrExist) {
				continue
			}
			return nil, err
		}
		return &StagingDir{Path: name, lock: lf}, nil
	}
	return nil, errors.New("cannot find an unused staging name")
}

// Release removes the staging folder if it is still there and then its
// lock file. Call it once the folder was published (renamed away).
func (d *StagingDir) Release() error {
	if d == nil || d.lock == nil {
		return nil
	}
	err := os.RemoveAll(d.Path)
	lockName := d.lock.Name()
	err = errors.Join(err, d.lock.Close())
	if rerr := os.Remove(lockName); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
		err = errors.Join(err, rerr)
	}
	d.lock = nil
	return err
}

// MoveAside moves the dataset folder dir into a locked "old" staging
// folder beside it (as its "dataset" subfolder), so that a new dataset can
// take its place. If the process is killed before the new dataset is in
// place, SweepStaging moves the old one back. Release the returned folder
// (removing the old dataset) once the new one is in place, or call
// MoveBack to undo.
func MoveAside(dir string) (*StagingDir, error) {
	d, err := newStagingDir(dir, stagingOld)
	if err != nil {
		return nil, err
	}
	if err := os.Rename(dir, filepath.Join(d.Path, "dataset")); err != nil {
		return nil, errors.Join(err, d.Release())
	}
	return d, nil
}

// MoveBack returns a folder moved aside by MoveAside to dir and releases
// the staging folder.
func (d *StagingDir) MoveBack(dir string) error {
	if err := os.Rename(filepath.Join(d.Path, "dataset"), dir); err != nil {
		return err
	}
	return d.Release()
}

// SweepStaging removes, in dir, the staging entries of base (every base
// when base is "") whose writer is gone: staging files whose lock can be
// taken, and staging folders whose lock file's lock can be taken. A dataset
// moved aside whose replacement never arrived is moved back to its place
// instead of being removed. Nothing else is touched: names of another
// shape, look-alike folders without a lock file and entries a live process
// holds are left. It returns what it removed or restored (paths in dir).
func SweepStaging(dir, base string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("robustdata/pipeline: sweeping %s: %w", dir, err)
	}
	var done []string
	var errs []error
	for _, e := range entries {
		m := stagingPattern.FindStringSubmatch(e.Name())
		if m == nil || (base != "" && m[1] != base) {
			continue
		}
		isLock := m[5] != ""
		path := filepath.Join(dir, e.Name())
		switch {
		case isLock && e.Type().IsRegular():
			gone, err := sweepLocked(path, func() error {
				staged := strings.TrimSuffix(path, ".lock")
				if m[2] == stagingOld {
					final := filepath.Join(dir, m[1])
					if _, err := os.Lstat(final); errors.Is(err, fs.ErrNotExist) {
						if err := os.Rename(filepath.Join(staged, "dataset"), final); err == nil {
							done = append(done, final+" (restored)")
						}
					}
				}
				return os.RemoveAll(staged)
			})
			if err != nil {
				errs = append(errs, err)
			}
			if gone {
				done = append(done, strings.TrimSuffix(path, ".lock"))
			}
		case !isLock && m[2] == stagingTmp && e.Type().IsRegular():
			gone, err := sweepLocked(path, nil)
			if err != nil {
				errs = append(errs, err)
			}
			if gone {
				done = append(done, path)
			}
		}
	}
	return done, errors.Join(errs...)
}

// sweepLocked takes the lock of path without waiting; if it gets it (the
// writer is gone), it runs before (if any) and removes path. (A writer
// locks its file right after creating it; a sweep in between can only
// make that writer fail, never lose published data.)
func sweepLocked(path string, before func() error) (bool, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		return false, fmt.Errorf("robustdata/pipeline: sweeping %s: %w", path, err)
	}
	defer f.Close()
	ok, err := tryLockFile(f)
	if err != nil || !ok {
		return false, nil
	}
	if before != nil {
		if err := before(); err != nil {
			return false, fmt.Errorf("robustdata/pipeline: sweeping %s: %w", path, err)
		}
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("robustdata/pipeline: sweeping %s: %w", path, err)
	}
	return true, nil
}
