package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
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
	schema    *arrow.Schema
	guard     *leakGuard
	err       error

	// Decoding: row groups are decoded by `decoders` lanes (goroutines
	// started at the first Read), row group rg by lane (rg-first)%decoders, and
	// handed out in file order; a batch never spans two row groups.
	src       parquet.ReaderAtSeeker
	fr        *pqarrow.FileReader
	leaves    []int
	first     int // the first row group read
	rowGroups int // the end of the row groups read
	decoders  int
	lanes     []*lane
	stop      context.CancelFunc
	wg        sync.WaitGroup
	rg        int               // the row group being handed out
	cur       arrow.RecordBatch // the batch last handed out
}

var _ Reader = (*parquetReader)(nil)

// streamBuffer is the read buffer of a column chunk's page stream.
const streamBuffer = 1 << 20

// readProps are the reader properties of a Parquet file reader allocating
// from mem: column chunks are streamed page by page instead of loaded
// whole, so memory stays bounded whatever row-group size the writer
// chose.
func readProps(mem memory.Allocator) *parquet.ReaderProperties {
	props := parquet.NewReaderProperties(mem)
	props.BufferedStreamEnabled = true
	props.BufferSize = streamBuffer
	return props
}

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
func newParquetReader(ctx context.Context, name string, src parquet.ReaderAtSeeker, closer io.Closer, c *config, groups RowGroups) (rd *parquetReader, err error) {
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
	return openParquetFile(ctx, name, src, closer, c, groups, g, &pf)
}

// openParquetFile is newParquetReader, reading through the allocator g;
// *pfp is set to the file reader once there is one.
func openParquetFile(ctx context.Context, name string, src parquet.ReaderAtSeeker, closer io.Closer, c *config, groups RowGroups, g *leakGuard, pfp **file.Reader) (*parquetReader, error) {
	pf, err := file.NewParquetReader(src, file.WithReadProps(readProps(g)))
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
	first, end := 0, pf.MetaData().NumRowGroups()
	if groups.End > 0 {
		if groups.First < 0 || groups.First >= groups.End || groups.End > end {
			return fail(&DataError{Source: name, Row: -1, Err: fmt.Errorf("row groups %d..%d asked for, the file has %d (did it change since the work was split?)", groups.First, groups.End-1, end)})
		}
		first, end = groups.First, groups.End
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
	if md.NumRows == 0 || first == end {
		sc := full
		if columns != nil {
			sc = projectSchema(full, columns)
		}
		return &parquetReader{name: name, closer: closer, pf: pf, schema: sc, projected: columns != nil, guard: g}, nil
	}
	// The schema of the selected columns, from a reader of the first row
	// group (readers of every row group give the same).
	rr, err := fr.GetRecordReader(ctx, leaves, []int{first})
	if err != nil {
		return fail(&DataError{Source: name, Row: -1, Err: fmt.Errorf("reading Parquet columns: %w", err)})
	}
	sc := rr.Schema()
	rr.Release()
	return &parquetReader{name: name, closer: closer, pf: pf, schema: sc, projected: columns != nil, guard: g,
		src: src, fr: fr, leaves: leaves, first: first, rg: first, rowGroups: end, decoders: min(c.decoders, end-first)}, nil
}

func (r *parquetReader) Schema() *arrow.Schema { return r.schema }

// laneItem is what a decoding lane hands the reader: a batch, the end of a
// row group, or the error that ended the lane.
type laneItem struct {
	rec arrow.RecordBatch
	end bool
	err error
}

// lane decodes every decoders-th row group of the file, from its first,
// in a goroutine of its own, with its own file reader and allocator guard
// (a panic or a leak in one lane stays in that lane).
type lane struct {
	pf    *file.Reader // nil for lane 0, which uses the reader's own
	fr    *pqarrow.FileReader
	guard *leakGuard
	items chan laneItem
}

// noClose hides a source's Close from the lanes' file readers: the
// source is closed once, by the reader.
type noClose struct{ parquet.ReaderAtSeeker }

// start opens the lanes and starts their goroutines.
func (r *parquetReader) start() error {
	ctx, cancel := context.WithCancel(context.Background())
	r.stop = cancel
	md := r.pf.MetaData()
	for w := range r.decoders {
		l := &lane{fr: r.fr, guard: r.guard, items: make(chan laneItem, 1)}
		if w > 0 {
			// The metadata parsed once is shared: it is only read.
			l.guard = newLeakGuard(r.guard.Allocator)
			pf, err := file.NewParquetReader(noClose{r.src}, file.WithReadProps(readProps(l.guard)), file.WithMetadata(md))
			if err != nil {
				return &DataError{Source: r.name, Row: -1, Err: fmt.Errorf("not a valid Parquet file: %w", err)}
			}
			l.pf = pf
			fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{Parallel: false, PreAllocBinaryData: true, BatchSize: r.fr.Props.BatchSize}, l.guard)
			if err != nil {
				return &DataError{Source: r.name, Row: -1, Err: fmt.Errorf("unsupported Parquet schema: %w", err)}
			}
			l.fr = fr
		}
		r.lanes = append(r.lanes, l)
	}
	for w, l := range r.lanes {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			defer close(l.items)
			r.decode(ctx, l, w)
		}()
	}
	return nil
}

// decode reads lane l's row groups (w, w+decoders, ...) into l.items,
// each followed by its end; it stops at the first error, sent too, or when
// ctx is cancelled.
func (r *parquetReader) decode(ctx context.Context, l *lane, w int) {
	send := func(it laneItem) bool {
		select {
		case l.items <- it:
			return true
		case <-ctx.Done():
			if it.rec != nil {
				it.rec.Release()
			}
			return false
		}
	}
	corrupt := func(err error) laneItem {
		return laneItem{err: &DataError{Source: r.name, Row: -1, Err: fmt.Errorf("corrupt Parquet data: %w", err)}}
	}
	for rg := r.first + w; rg < r.rowGroups; rg += r.decoders {
		var rr pqarrow.RecordReader
		l.guard.watch()
		err := recoverCall(func() (err error) {
			rr, err = l.fr.GetRecordReader(ctx, r.leaves, []int{rg})
			return err
		})
		l.guard.done(err != nil)
		if err != nil {
			send(corrupt(err))
			return
		}
		for {
			l.guard.watch()
			rec, err := recoverRead(rr.Read)
			l.guard.done(err != nil && !errors.Is(err, io.EOF))
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				rr.Release()
				send(corrupt(err))
				return
			}
			// The record reader releases rec at its next Read: the
			// reader's caller gets a reference of its own.
			rec.Retain()
			if !send(laneItem{rec: rec}) {
				rr.Release()
				return
			}
		}
		rr.Release()
		if !send(laneItem{end: true}) {
			return
		}
	}
}

// recoverCall runs fn, turning a panic into an error.
func recoverCall(fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("arrow-go panicked: %v", p)
		}
	}()
	return fn()
}

func (r *parquetReader) Read() (arrow.RecordBatch, error) {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if r.err != nil {
		return nil, r.err
	}
	if r.lanes == nil && r.rg < r.rowGroups {
		if err := r.start(); err != nil {
			r.err = err
			return nil, err
		}
	}
	// Row groups in file order: row group rg is lane (rg-first)%decoders's.
	for r.rg < r.rowGroups {
		it, ok := <-r.lanes[(r.rg-r.first)%r.decoders].items
		switch {
		case !ok:
			r.err = fmt.Errorf("reading %s: decoding stopped", r.name)
			return nil, r.err
		case it.err != nil:
			r.err = it.err
			return nil, r.err
		case it.end:
			r.rg++
			continue
		}
		r.cur = it.rec
		return it.rec, nil
	}
	r.err = io.EOF
	return nil, r.err
}

func (r *parquetReader) Close() error {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if r.stop != nil {
		r.stop()
		for _, l := range r.lanes {
			for it := range l.items {
				if it.rec != nil {
					it.rec.Release()
				}
			}
		}
		r.wg.Wait()
		r.stop = nil
	}
	if r.err == nil {
		r.err = io.EOF
	}
	var err error
	for _, l := range r.lanes {
		if l.pf != nil {
			err = errors.Join(err, l.pf.Close())
			l.guard.freeLost()
		}
	}
	r.lanes = nil
	if r.pf != nil {
		err = errors.Join(err, r.pf.Close())
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
