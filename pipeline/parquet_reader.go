package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// parquetReader streams a Parquet file's row groups as record batches.
type parquetReader struct {
	name   string
	closer io.Closer
	pf     *file.Reader
	// projected is true when the reader reads only the columns the
	// configuration asked for.
	projected bool
	rr        pqarrow.RecordReader
	schema    *arrow.Schema
	guard     *leakGuard
	err       error
}

var _ Reader = (*parquetReader)(nil)

// newParquetReader opens a Parquet file. It reads only the columns the
// configuration projects (see projection), in that order. closer is closed
// with the reader.
//
// arrow-go panics on some corrupt files (a dictionary page without its
// header, among others): the panics are turned into DataErrors, and the
// buffers they strand are freed at Close (see leakGuard). That needs the
// columns read in this goroutine (Parallel: false): pqarrow's parallel
// reader reads them in goroutines of its own, where a panic ends the
// process.
func newParquetReader(ctx context.Context, name string, src parquet.ReaderAtSeeker, closer io.Closer, c *config) (rd *parquetReader, err error) {
	g := newLeakGuard(c.mem)
	var pf *file.Reader
	g.watch()
	defer func() {
		if p := recover(); p != nil {
			rd, err = nil, &DataError{Source: name, Row: -1, Err: fmt.Errorf("corrupt Parquet file: arrow-go panicked: %v", p)}
		}
		g.done(err != nil)
		if err != nil {
			if pf != nil {
				pf.Close()
			}
			g.freeLost()
		}
	}()
	return openParquetFile(ctx, name, src, closer, c, g, &pf)
}

// openParquetFile is newParquetReader, reading through the allocator g;
// *pfp is set to the file reader once there is one.
func openParquetFile(ctx context.Context, name string, src parquet.ReaderAtSeeker, closer io.Closer, c *config, g *leakGuard, pfp **file.Reader) (*parquetReader, error) {
	props := parquet.NewReaderProperties(g)
	// Stream column chunks page by page instead of loading each whole
	// chunk: memory then stays bounded whatever row-group size the writer
	// chose.
	props.BufferedStreamEnabled = true
	props.BufferSize = 1 << 20
	pf, err := file.NewParquetReader(src, file.WithReadProps(props))
	if err != nil {
		return nil, &DataError{Source: name, Row: -1, Err: fmt.Errorf("not a valid Parquet file: %w", err)}
	}
	*pfp = pf // closed by newParquetReader on failure
	fail := func(err error) (*parquetReader, error) { return nil, err }
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{Parallel: false, PreAllocBinaryData: true}, g)
	if err != nil {
		return fail(&DataError{Source: name, Row: -1, Err: fmt.Errorf("unsupported Parquet schema: %w", err)})
	}
	full, err := fr.Schema()
	if err != nil {
		return fail(&DataError{Source: name, Row: -1, Err: fmt.Errorf("unsupported Parquet schema: %w", err)})
	}
	var leaves []int
	columns := projection(full, c)
	if columns != nil {
		for _, col := range columns {
			idx := full.FieldIndices(col)
			if len(idx) == 0 {
				return fail(missingColumn(name, col, full))
			}
			leaves = appendLeaves(leaves, &fr.Manifest.Fields[idx[0]])
		}
	}
	// Bound a batch by bytes as well as rows: a batch of 8192 rows of
	// 100 KB documents would otherwise hold 800 MB.
	batch := int64(c.batchRows)
	md := pf.MetaData()
	if nrows := md.NumRows; nrows > 0 {
		var bytes int64
		for rg := 0; rg < md.NumRowGroups(); rg++ {
			rgm := md.RowGroup(rg)
			for i := 0; i < rgm.NumColumns(); i++ {
				if leaves != nil && !containsInt(leaves, i) {
					continue
				}
				cc, err := rgm.ColumnChunk(i)
				if err != nil {
					return fail(&DataError{Source: name, Row: -1, Err: fmt.Errorf("bad Parquet metadata: %w", err)})
				}
				bytes += cc.TotalUncompressedSize()
			}
		}
		if perRow := bytes / nrows; perRow > 0 {
			batch = max(1, min(batch, c.batchBytes/perRow))
		}
	}
	fr.Props.BatchSize = batch
	if md.NumRows == 0 {
		sc := full
		if columns != nil {
			sc = projectSchema(full, columns)
		}
		return &parquetReader{name: name, closer: closer, pf: pf, schema: sc, projected: columns != nil, guard: g}, nil
	}
	rr, err := fr.GetRecordReader(ctx, leaves, nil)
	if err != nil {
		return fail(&DataError{Source: name, Row: -1, Err: fmt.Errorf("reading Parquet columns: %w", err)})
	}
	return &parquetReader{name: name, closer: closer, pf: pf, rr: rr, schema: rr.Schema(), projected: columns != nil, guard: g}, nil
}

func (r *parquetReader) Schema() *arrow.Schema { return r.schema }

func (r *parquetReader) Read() (arrow.RecordBatch, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.rr == nil {
		return nil, io.EOF
	}
	r.guard.watch()
	rec, err := recoverRead(r.rr.Read)
	r.guard.done(err != nil && !errors.Is(err, io.EOF))
	if err != nil {
		if errors.Is(err, io.EOF) {
			r.err = io.EOF
		} else {
			r.err = &DataError{Source: r.name, Row: -1, Err: fmt.Errorf("corrupt Parquet data: %w", err)}
		}
		return nil, r.err
	}
	return rec, nil
}

func (r *parquetReader) Close() error {
	if r.rr != nil {
		r.rr.Release()
		r.rr = nil
	}
	var err error
	if r.pf != nil {
		err = r.pf.Close()
		r.pf = nil
	}
	if r.closer != nil {
		// file.Reader closes its source when that is an io.Closer.
		if cerr := r.closer.Close(); !errors.Is(cerr, os.ErrClosed) {
			err = errors.Join(err, cerr)
		}
		r.closer = nil
	}
	if r.guard != nil {
		r.guard.freeLost()
	}
	return err
}

// appendLeaves appends the Parquet leaf column indices under f.
func appendLeaves(dst []int, f *pqarrow.SchemaField) []int {
	if f.IsLeaf() {
		return append(dst, f.ColIndex)
	}
	for i := range f.Children {
		dst = appendLeaves(dst, &f.Children[i])
	}
	return dst
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
