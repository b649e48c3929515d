package stream

import (
	"io"
	"os"
)

// countingFile reports the bytes read through it to a progress function.
type countingFile struct {
	*os.File
	progress func(int64)
}

// newCountingFile wraps f when progress is set.
func newCountingFile(f *os.File, progress func(int64)) interface {
	io.ReaderAt
	io.Seeker
	io.Reader
} {
	if progress == nil {
		return f
	}
	return &countingFile{File: f, progress: progress}
}

func (c *countingFile) Read(p []byte) (int, error) {
	n, err := c.File.Read(p)
	c.progress(int64(n))
	return n, err
}

func (c *countingFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.File.ReadAt(p, off)
	c.progress(int64(n))
	return n, err
}

type countingReader struct {
	r        io.Reader
	progress func(int64)
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.progress(int64(n))
	return n, err
}

// progressReader wraps r when progress is set.
func progressReader(r io.Reader, progress func(int64)) io.Reader {
	if progress == nil {
		return r
	}
	return countingReader{r, progress}
}
