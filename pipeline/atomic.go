package pipeline

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// atomicFile is a file written under a temporary name in its final folder
// and renamed into place by commit, so readers never see it half-written.
type atomicFile struct {
	final string
	f     *os.File
	*bufio.Writer
	done bool
	sync bool
}

// createAtomic starts writing path. The temporary name starts with "." so
// that folder and glob inputs skip it.
func createAtomic(path string) (*atomicFile, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return nil, fmt.Errorf("robustdata/pipeline: %s is a folder", path)
	}
	f, err := createTemp(dir, "."+base+".tmp-")
	if err != nil {
		return nil, fmt.Errorf("robustdata/pipeline: creating %s: %w", path, err)
	}
	return &atomicFile{final: path, f: f, Writer: bufio.NewWriterSize(f, 1<<20)}, nil
}

// commit flushes, syncs and renames the file into place.
func (a *atomicFile) commit() error {
	if a.done {
		return nil
	}
	a.done = true
	err := a.Flush()
	if err == nil && a.sync {
		err = a.f.Sync()
	}
	if cerr := a.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(a.f.Name(), a.final)
	}
	if err != nil {
		os.Remove(a.f.Name())
		return fmt.Errorf("robustdata/pipeline: writing %s: %w", a.final, err)
	}
	syncDir(filepath.Dir(a.final))
	return nil
}

// abort removes the temporary file.
func (a *atomicFile) abort() error {
	if a.done {
		return nil
	}
	a.done = true
	return errors.Join(a.f.Close(), os.Remove(a.f.Name()))
}

// syncDir makes a rename durable; failures are ignored (some file systems
// do not support syncing folders).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// createTemp creates a new file named prefix plus a random suffix in dir.
// Unlike os.CreateTemp it creates the file with mode 0666 less the umask,
// the mode the final file should have.
func createTemp(dir, prefix string) (*os.File, error) {
	var b [8]byte
	for range 100 {
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		name := filepath.Join(dir, prefix+hex.EncodeToString(b[:]))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, errors.New("cannot find an unused temporary name")
}

// WriteFileAtomic writes a file through write under a temporary name in
// the same folder and renames it into place only when write succeeds, so
// that the file is never seen half-written.
func WriteFileAtomic(path string, write func(w io.Writer) error) error {
	af, err := createAtomic(path)
	if err != nil {
		return err
	}
	if err := write(af); err != nil {
		af.abort()
		return err
	}
	return af.commit()
}
