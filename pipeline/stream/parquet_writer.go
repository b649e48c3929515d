package stream

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// longValueBytes is the mean value size from which a string or binary
// column is written without dictionary encoding or statistics: documents
// are nearly all distinct, so a dictionary only costs time, and min/max
// statistics of long texts are dropped by the writer anyway.
const longValueBytes = 64

// dictLimit bounds the plain-encoded bytes of a dictionary-encoded column
// in one row group: the row group ends before a column would pass it, and
// the writer's dictionary page limit is set above it, so a dictionary
// never falls back to PLAIN. (arrow-go v18.8-18.9 writes the encoding
// statistics of a column chunk that fell back by ranging over a Go map:
// the footer bytes would then differ from run to run.)
const dictLimit = 16 << 20

// dictSample is how many values of the first batch tell whether a column
// repeats enough for a dictionary.
const dictSample = 4096

// parquetWriter writes Parquet row groups of bounded rows and bytes. It
// holds the batches of one row group (retained, not copied) and, when the
// group is full, encodes and writes it column by column straight to the
// file in a goroutine of its own while the next group fills: cheaper than
// pqarrow's buffered row groups, which keep every encoded page of a group
// in a growing buffer, and compression (the costly part) then runs beside
// the stage that produces the batches. At most two row groups are held.
type parquetWriter struct {
	af      *atomicFile
	schema  *arrow.Schema
	c       *config
	fw      *pqarrow.FileWriter
	pending []arrow.RecordBatch
	rgRows  int64
	rgBytes int64
	// dict lists the dictionary-encoded columns and dictBytes their
	// plain-encoded bytes in the pending row group (see dictLimit).
	dict      []int
	dictBytes []int64
	// flushing delivers the result of the row group being written, or is
	// nil when none is.
	flushing chan error
	err      error
}

var _ Writer = (*parquetWriter)(nil)

func newParquetWriter(af *atomicFile, schema *arrow.Schema, c *config) *parquetWriter {
	return &parquetWriter{af: af, schema: schema, c: c}
}

// start creates the file writer, choosing per-column encodings from the
// first batch (nil when the output has no rows).
func (w *parquetWriter) start(first arrow.RecordBatch) error {
	codec := compress.Codecs.Zstd
	switch w.c.compression {
	case Snappy:
		codec = compress.Codecs.Snappy
	case Uncompressed:
		codec = compress.Codecs.Uncompressed
	}
	props := []parquet.WriterProperty{
		parquet.WithAllocator(w.c.mem),
		parquet.WithCompression(codec),
		parquet.WithCompressionLevel(w.c.compressionLevel),
		parquet.WithMaxRowGroupLength(w.c.rowGroupRows),
		// Dictionary encoding pays only for repeated values: it is on for
		// flat columns of integers, booleans and short strings (labels,
		// task ids), off for floats (feature vectors are nearly all
		// distinct: a dictionary only burns time) and long texts.
		parquet.WithDictionaryDefault(false),
		parquet.WithDictionaryPageSizeLimit(dictLimit + 1),
	}
	for i, f := range w.schema.Fields() {
		long := first != nil && meanValueBytes(first.Column(i)) >= longValueBytes
		switch f.Type.ID() {
		case arrow.STRING, arrow.LARGE_STRING, arrow.BINARY, arrow.LARGE_BINARY:
			if long {
				props = append(props, parquet.WithStatsFor(f.Name, false))
			} else if first != nil && repeats(first.Column(i)) {
				props = append(props, parquet.WithDictionaryFor(f.Name, true))
				w.dict = append(w.dict, i)
			}
		case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
			arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
			if first != nil && repeats(first.Column(i)) {
				props = append(props, parquet.WithDictionaryFor(f.Name, true))
				w.dict = append(w.dict, i)
			}
		case arrow.FIXED_SIZE_LIST:
			if isFloat(f.Type.(*arrow.FixedSizeListType).Elem()) {
				// Feature vectors: general-purpose codecs shrink float
				// mantissas by a few percent for much of the write time.
				props = append(props, parquet.WithCompressionFor(f.Name+".list.element", compress.Codecs.Uncompressed))
			}
		}
	}
	w.dictBytes = make([]int64, len(w.dict))
	fw, err := pqarrow.NewFileWriter(w.schema, w.af, parquet.NewWriterProperties(props...),
		pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema(), pqarrow.WithAllocator(w.c.mem)))
	if err != nil {
		return fmt.Errorf("robustdata/pipeline: %s: cannot write this schema to Parquet: %w", w.af.final, err)
	}
	w.fw = fw
	return nil
}

// repeats tells whether the first dictSample values of a string, binary
// or integer column hold at most half as many distinct values: only then
// is a dictionary worth it (identifiers and free text are nearly all
// distinct).
func repeats(col arrow.Array) bool {
	n := min(col.Len(), dictSample)
	if n == 0 {
		return false
	}
	seen := make(map[string]struct{}, n/2)
	var key [8]byte
	for r := range n {
		if col.IsNull(r) {
			continue
		}
		switch a := col.(type) {
		case *array.String:
			seen[a.Value(r)] = struct{}{}
		case *array.LargeString:
			seen[a.Value(r)] = struct{}{}
		case *array.Binary:
			seen[string(a.Value(r))] = struct{}{}
		case *array.LargeBinary:
			seen[string(a.Value(r))] = struct{}{}
		default:
			v, ok := intValue(col, r)
			if !ok {
				return false
			}
			binary.LittleEndian.PutUint64(key[:], uint64(v))
			seen[string(key[:])] = struct{}{}
		}
		if 2*len(seen) > n {
			return false
		}
	}
	return true
}

// intValue is value r of an integer column.
func intValue(col arrow.Array, r int) (int64, bool) {
	switch a := col.(type) {
	case *array.Int8:
		return int64(a.Value(r)), true
	case *array.Int16:
		return int64(a.Value(r)), true
	case *array.Int32:
		return int64(a.Value(r)), true
	case *array.Int64:
		return a.Value(r), true
	case *array.Uint8:
		return int64(a.Value(r)), true
	case *array.Uint16:
		return int64(a.Value(r)), true
	case *array.Uint32:
		return int64(a.Value(r)), true
	case *array.Uint64:
		return int64(a.Value(r)), true
	}
	return 0, false
}

// dictValueBytes bounds what rows [from, to) of a dictionary-encoded
// column can add to its dictionary: their plain-encoded size (4 bytes of
// length plus the bytes for strings and binaries, 8 bytes for integers),
// as if every value were new.
func dictValueBytes(col arrow.Array, from, to int64) int64 {
	if to <= from {
		return 0
	}
	switch a := col.(type) {
	case *array.String:
		o := a.ValueOffsets()
		return int64(o[to]-o[from]) + 4*(to-from)
	case *array.LargeString:
		o := a.ValueOffsets()
		return o[to] - o[from] + 4*(to-from)
	case *array.Binary:
		o := a.ValueOffsets()
		return int64(o[to]-o[from]) + 4*(to-from)
	case *array.LargeBinary:
		o := a.ValueOffsets()
		return o[to] - o[from] + 4*(to-from)
	}
	return 8 * (to - from)
}

// dictRowsFit is how many of the n rows from off fit in room bytes of a
// dictionary (see dictValueBytes).
func dictRowsFit(col arrow.Array, off, n, room int64) int64 {
	if room <= 0 {
		return 0
	}
	if dictValueBytes(col, off, off+n) <= room {
		return n
	}
	lo, hi := int64(0), n // dictValueBytes(off, off+lo) <= room < dictValueBytes(off, off+hi)
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if dictValueBytes(col, off, off+mid) <= room {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// meanValueBytes is the mean size of a string or binary column's values,
// or 0 for other types.
func meanValueBytes(col arrow.Array) int64 {
	if col.Len() == 0 {
		return 0
	}
	n := int64(col.Len())
	switch a := col.(type) {
	case *array.String:
		o := a.ValueOffsets()
		return int64(o[len(o)-1]-o[0]) / n
	case *array.LargeString:
		o := a.ValueOffsets()
		return (o[len(o)-1] - o[0]) / n
	case *array.Binary:
		o := a.ValueOffsets()
		return int64(o[len(o)-1]-o[0]) / n
	case *array.LargeBinary:
		o := a.ValueOffsets()
		return (o[len(o)-1] - o[0]) / n
	}
	return 0
}

func (w *parquetWriter) Write(rec arrow.RecordBatch) error {
	if w.err != nil {
		return w.err
	}
	if err := w.write(rec); err != nil {
		w.err = err
	}
	return w.err
}

func (w *parquetWriter) write(rec arrow.RecordBatch) error {
	if !rec.Schema().Equal(w.schema) {
		if diff := compareSchemas(w.schema, rec.Schema()); diff != "" {
			return fmt.Errorf("robustdata/pipeline: writing %s: batch does not match the output schema: %s", w.af.final, diff)
		}
		rec = relabel(rec, w.schema)
		defer rec.Release()
	}
	n := rec.NumRows()
	if n == 0 {
		return nil
	}
	if w.fw == nil {
		if err := w.start(rec); err != nil {
			return err
		}
	}
	perRow := max(1, recordBytes(rec)/n)
	for off := int64(0); off < n; {
		if w.rgRows >= w.c.rowGroupRows || w.rgBytes >= w.c.rowGroupBytes {
			if err := w.flush(); err != nil {
				return err
			}
		}
		take := min(n-off, w.c.rowGroupRows-w.rgRows)
		if room := (w.c.rowGroupBytes - w.rgBytes + perRow - 1) / perRow; room < take {
			take = max(1, room)
		}
		for j, i := range w.dict {
			take = min(take, dictRowsFit(rec.Column(i), off, take, dictLimit-w.dictBytes[j]))
		}
		if take == 0 {
			if w.rgRows > 0 {
				if err := w.flush(); err != nil {
					return err
				}
				continue
			}
			// One value over dictLimit: cannot happen for the short
			// values a dictionary is chosen for.
			take = 1
		}
		for j, i := range w.dict {
			w.dictBytes[j] += dictValueBytes(rec.Column(i), off, off+take)
		}
		part := rec
		if off != 0 || take != n {
			part = rec.NewSlice(off, off+take)
		} else {
			part.Retain()
		}
		part, err := compactFixedSizeLists(part, true, w.c.mem)
		if err != nil {
			return fmt.Errorf("robustdata/pipeline: writing %s: %w", w.af.final, err)
		}
		w.pending = append(w.pending, part)
		w.rgRows += take
		w.rgBytes += take * perRow
		off += take
	}
	return nil
}

// flush starts writing the pending batches as one row group, after the
// previous group is written.
func (w *parquetWriter) flush() error {
	if err := w.wait(); err != nil {
		return err
	}
	if len(w.pending) == 0 {
		return nil
	}
	group, rows := w.pending, w.rgRows
	w.pending, w.rgRows, w.rgBytes = nil, 0, 0
	clear(w.dictBytes)
	w.flushing = make(chan error, 1)
	go func() { w.flushing <- w.writeGroup(group, rows) }()
	return nil
}

// wait waits for the row group being written, if any.
func (w *parquetWriter) wait() error {
	if w.flushing == nil {
		return nil
	}
	err := <-w.flushing
	w.flushing = nil
	return err
}

// writeGroup writes batches as one row group and releases them.
func (w *parquetWriter) writeGroup(group []arrow.RecordBatch, rows int64) error {
	defer func() {
		for _, rec := range group {
			rec.Release()
		}
	}()
	if err := w.fw.NewRowGroupChecked(); err != nil {
		return fmt.Errorf("robustdata/pipeline: writing %s: %w", w.af.final, err)
	}
	cols := make([]arrow.Array, len(group))
	for i := range w.schema.NumFields() {
		for j, rec := range group {
			cols[j] = rec.Column(i)
		}
		chunked := arrow.NewChunked(w.schema.Field(i).Type, cols)
		err := w.fw.WriteColumnChunked(chunked, 0, rows)
		chunked.Release()
		if err != nil {
			return fmt.Errorf("robustdata/pipeline: writing %s: column %q: %w", w.af.final, w.schema.Field(i).Name, err)
		}
	}
	return nil
}

func (w *parquetWriter) releasePending() {
	for _, rec := range w.pending {
		rec.Release()
	}
	w.pending = w.pending[:0]
	w.rgRows, w.rgBytes = 0, 0
	clear(w.dictBytes)
}

func (w *parquetWriter) Close() error {
	if w.af.done {
		return w.err
	}
	if w.err == nil && w.fw == nil {
		w.err = w.start(nil)
	}
	if w.err == nil {
		w.err = w.flush()
	}
	if err := w.wait(); w.err == nil {
		w.err = err
	}
	if w.err != nil {
		w.releasePending()
		if w.fw != nil {
			w.fw.Close()
		}
		return errors.Join(w.err, w.af.abort())
	}
	if err := w.fw.Close(); err != nil {
		w.err = fmt.Errorf("robustdata/pipeline: writing %s: %w", w.af.final, err)
		return errors.Join(w.err, w.af.abort())
	}
	w.err = w.af.commit()
	return w.err
}

func (w *parquetWriter) Abort() error {
	if w.af.done {
		return nil
	}
	// Close and remove the file first: a row group being written in the
	// background then fails at its next write instead of being encoded
	// to its end (a large one takes a second or more), so that an
	// interrupted command stops at once.
	err := w.af.abort()
	w.wait()
	w.releasePending()
	if w.fw != nil {
		w.fw.Close()
	}
	return err
}

// recordBytes is the memory a batch holds: the capacity of its buffers
// (builders grow by doubling, so this can be twice the data), and of the
// whole buffers when the batch is a slice.
func recordBytes(rec arrow.RecordBatch) int64 {
	var n int64
	for _, col := range rec.Columns() {
		n += dataBytes(col.Data())
	}
	return n
}

func dataBytes(d arrow.ArrayData) int64 {
	var n int64
	for _, b := range d.Buffers() {
		if b != nil {
			n += int64(b.Cap())
		}
	}
	for _, child := range d.Children() {
		n += dataBytes(child)
	}
	return n
}

// compactFixedSizeLists copies the fixed-size-list columns of a sliced
// batch into fresh arrays that start at offset 0: pqarrow (v18.8.0)
// ignores the slice offset of a fixed-size list and would write the
// values of the slice's first rows from the start of the parent array.
// owned tells whether rec is the caller's to release (it is released when
// a copy replaces it); the caller releases the result when owned is true
// or the result differs from rec.
func compactFixedSizeLists(rec arrow.RecordBatch, owned bool, mem memory.Allocator) (arrow.RecordBatch, error) {
	var cols []arrow.Array
	for i, col := range rec.Columns() {
		if col.Data().Offset() == 0 || !hasFixedSizeList(col.DataType()) {
			continue
		}
		if cols == nil {
			cols = slices.Clone(rec.Columns())
		}
		c, err := array.Concatenate([]arrow.Array{col}, mem)
		if err != nil {
			return rec, err
		}
		defer c.Release()
		cols[i] = c
	}
	if cols == nil {
		return rec, nil
	}
	out := array.NewRecordBatch(rec.Schema(), cols, rec.NumRows())
	if owned {
		rec.Release()
	}
	return out, nil
}

// hasFixedSizeList tells whether dt is or contains a fixed-size list.
func hasFixedSizeList(dt arrow.DataType) bool {
	switch t := dt.(type) {
	case *arrow.FixedSizeListType:
		return true
	case arrow.ListLikeType:
		return hasFixedSizeList(t.Elem())
	case *arrow.StructType:
		for _, f := range t.Fields() {
			if hasFixedSizeList(f.Type) {
				return true
			}
		}
	}
	return false
}

func isFloat(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64:
		return true
	}
	return false
}

// Sum implements Summer.
func (w *parquetWriter) Sum() (int64, string) { return w.af.sum() }
