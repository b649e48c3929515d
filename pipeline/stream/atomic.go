package stream

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
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
	// hash and size follow every byte written (files are written
	// sequentially), for manifests.
	hash hash.Hash
	size int64
}

// hashingWriter feeds an atomicFile's bytes to its hash on their way to
// the file.
type hashingWriter struct{ a *atomicFile }

func (h hashingWriter) Write(p []byte) (int, error) {
	n, err := h.a.f.Write(p)
	h.a.hash.Write(p[:n])
	h.a.size += int64(n)
	return n, finalName(err, h.a.final)
}

// finalName makes an error about the staging file name the output the
// user asked for (the staging name means nothing to them and is gone once
// the write is aborted).
func finalName(err error, final string) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return &os.PathError{Op: pe.Op, Path: final, Err: pe.Err}
	}
	return err
}

// createAtomic starts writing path under a locked staging name beside it
// (see SweepStaging), first sweeping what a killed writer of the same path
// left there. The staging name starts with "." so that folder and glob
// inputs skip it.
func createAtomic(path string) (*atomicFile, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return nil, fmt.Errorf("robustdata/pipeline: %s is a folder", path)
	}
	// A failed sweep leaves garbage, not a wrong output: writing goes on.
	SweepStaging(dir, base)
	f, err := createStagingFile(path)
	if err != nil {
		if st, serr := os.Stat(dir); serr != nil || !st.IsDir() {
			return nil, fmt.Errorf("robustdata/pipeline: creating %s: the folder %s does not exist", path, filepath.Clean(dir))
		}
		return nil, fmt.Errorf("robustdata/pipeline: creating %s: %w", path, finalName(err, path))
	}
	a := &atomicFile{final: path, f: f, hash: sha256.New()}
	a.Writer = bufio.NewWriterSize(hashingWriter{a}, 1<<20)
	return a, nil
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
	// Renamed while still open, so its lock holds until it has its final
	// name (a sweep never takes a file being committed).
	if err == nil {
		err = os.Rename(a.f.Name(), a.final)
	}
	if cerr := a.f.Close(); err == nil {
		err = cerr
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
		return writeError(path, err)
	}
	return af.commit()
}

// writeError names the final file in a failed write (the error itself
// names the temporary one); data errors already name their culprit.
func writeError(path string, err error) error {
	if IsDataError(err) || errors.Is(err, context.Canceled) {
		return err
	}
	return fmt.Errorf("robustdata/pipeline: writing %s: %w", path, err)
}

// sum returns the size and hex sha256 of what was written.
func (a *atomicFile) sum() (int64, string) {
	return a.size, hex.EncodeToString(a.hash.Sum(nil))
}

// Summer is implemented by the file Writers of Create: after a successful
// Close, Sum returns the size in bytes and the hex sha256 of the file.
type Summer interface {
	Sum() (bytes int64, sha256 string)
}

// WriteFileAtomicSum is WriteFileAtomic returning the file's size and hex
// sha256.
func WriteFileAtomicSum(path string, write func(w io.Writer) error) (int64, string, error) {
	af, err := createAtomic(path)
	if err != nil {
		return 0, "", err
	}
	if err := write(af); err != nil {
		af.abort()
		return 0, "", writeError(path, err)
	}
	if err := af.commit(); err != nil {
		return 0, "", err
	}
	n, sum := af.sum()
	return n, sum, nil
}
