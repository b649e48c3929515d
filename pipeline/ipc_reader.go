package pipeline

import (
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
)

// ipcStreamReader reads the Arrow IPC stream format.
type ipcStreamReader struct {
	name   string
	r      *ipc.Reader
	closer io.Closer
	err    error
}

var _ Reader = (*ipcStreamReader)(nil)

func newIPCStreamReader(name string, r io.Reader, closer io.Closer, c *config) (*ipcStreamReader, error) {
	rd, err := ipc.NewReader(r, ipc.WithAllocator(c.mem))
	if err != nil {
		return nil, &DataError{Source: name, Row: -1, Err: fmt.Errorf("not a valid Arrow IPC stream: %w", err)}
	}
	return &ipcStreamReader{name: name, r: rd, closer: closer}, nil
}

func (r *ipcStreamReader) Schema() *arrow.Schema { return r.r.Schema() }

func (r *ipcStreamReader) Read() (arrow.RecordBatch, error) {
	if r.err != nil {
		return nil, r.err
	}
	rec, err := r.r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			r.err = io.EOF
		} else {
			r.err = &DataError{Source: r.name, Row: -1, Err: fmt.Errorf("corrupt or truncated Arrow IPC stream: %w", err)}
		}
		return nil, r.err
	}
	return rec, nil
}

func (r *ipcStreamReader) Close() error {
	if r.r != nil {
		r.r.Release()
		r.r = nil
	}
	if r.closer != nil {
		err := r.closer.Close()
		r.closer = nil
		return err
	}
	return nil
}

// ipcFileReader reads the Arrow IPC file format (random access).
type ipcFileReader struct {
	name   string
	r      *ipc.FileReader
	closer io.Closer
	err    error
}

var _ Reader = (*ipcFileReader)(nil)

func newIPCFileReader(name string, src ipc.ReadAtSeeker, closer io.Closer, c *config) (*ipcFileReader, error) {
	rd, err := ipc.NewFileReader(src, ipc.WithAllocator(c.mem))
	if err != nil {
		return nil, &DataError{Source: name, Row: -1, Err: fmt.Errorf("not a valid Arrow IPC file: %w", err)}
	}
	return &ipcFileReader{name: name, r: rd, closer: closer}, nil
}

func (r *ipcFileReader) Schema() *arrow.Schema { return r.r.Schema() }

func (r *ipcFileReader) Read() (arrow.RecordBatch, error) {
	if r.err != nil {
		return nil, r.err
	}
	rec, err := r.r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			r.err = io.EOF
		} else {
			r.err = &DataError{Source: r.name, Row: -1, Err: fmt.Errorf("corrupt Arrow IPC file: %w", err)}
		}
		return nil, r.err
	}
	return rec, nil
}

func (r *ipcFileReader) Close() error {
	if r.r != nil {
		r.r.Close()
		r.r = nil
	}
	if r.closer != nil {
		err := r.closer.Close()
		r.closer = nil
		return err
	}
	return nil
}

// projectReader keeps some columns of another Reader's batches.
type projectReader struct {
	in     Reader
	idx    []int
	schema *arrow.Schema
	out    arrow.RecordBatch
}

var _ Reader = (*projectReader)(nil)

// newProjectReader keeps the named columns of in, in that order.
func newProjectReader(name string, in Reader, columns []string) (Reader, error) {
	sc := in.Schema()
	idx := make([]int, len(columns))
	for i, col := range columns {
		f := sc.FieldIndices(col)
		if len(f) == 0 {
			return nil, missingColumn(name, col, sc)
		}
		idx[i] = f[0]
	}
	return &projectReader{in: in, idx: idx, schema: projectSchema(sc, columns)}, nil
}

func (p *projectReader) Schema() *arrow.Schema { return p.schema }

func (p *projectReader) Read() (arrow.RecordBatch, error) {
	if p.out != nil {
		p.out.Release()
		p.out = nil
	}
	rec, err := p.in.Read()
	if err != nil {
		return nil, err
	}
	cols := make([]arrow.Array, len(p.idx))
	for i, j := range p.idx {
		cols[i] = rec.Column(j)
	}
	p.out = relabelColumns(p.schema, cols, rec.NumRows())
	return p.out, nil
}

func (p *projectReader) Close() error {
	if p.out != nil {
		p.out.Release()
		p.out = nil
	}
	return p.in.Close()
}
