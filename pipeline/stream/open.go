package stream

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/klauspost/compress/zstd"
)

// Open expands the inputs (see ExpandInputs) and returns one Reader over
// all of them, in order. Every input must have the same columns with the
// same types (nullability may differ); otherwise Open fails with a
// *DataError naming the first input whose schema differs, before any batch
// is read. JSONL inputs without WithSchema take the schema of the first
// input.
func Open(ctx context.Context, args []string, opts ...Option) (Reader, error) {
	inputs, err := ExpandInputs(args)
	if err != nil {
		return nil, err
	}
	return OpenInputs(ctx, inputs, opts...)
}

// OpenInputs is Open over inputs already expanded.
func OpenInputs(ctx context.Context, inputs []Input, opts ...Option) (Reader, error) {
	c := newConfig(opts...)
	if len(inputs) == 0 {
		return nil, errors.New("robustdata/pipeline: no input given")
	}
	m := &multiReader{ctx: ctx, c: c, inputs: inputs, opened: map[int]Reader{}}
	if err := m.checkSchemas(); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

// multiReader reads its inputs one after the other as one stream, adding a
// doc_id column and stopping at a row limit when asked.
type multiReader struct {
	ctx    context.Context
	c      *config
	inputs []Input
	opened map[int]Reader // readers opened while checking schemas
	hint   *arrow.Schema  // the first input's schema, given to JSONL inputs
	ref    *arrow.Schema  // merged schema of the projected inputs
	schema *arrow.Schema  // output schema (ref plus doc_id)
	addID  bool
	// order maps each output column to its source: the projected input
	// columns, then the made-up doc_id; nil when that is the output order.
	order []int

	idx    int
	cur    Reader
	curRow int64
	total  int64
	out    arrow.RecordBatch
	err    error
	idBuf  []byte
}

var _ Reader = (*multiReader)(nil)

// checkSchemas opens every input once to compare its schema with the
// first's. Inputs that can be read only once (Input.Streamed) and the
// first input stay open for reading.
func (m *multiReader) checkSchemas() error {
	for i, in := range m.inputs {
		if err := m.ctx.Err(); err != nil {
			return err
		}
		rd, err := m.openInput(in)
		if err != nil {
			return err
		}
		if i == 0 {
			m.ref = rd.Schema()
		} else if diff := compareSchemas(m.ref, rd.Schema()); diff != "" {
			rd.Close()
			return &DataError{Source: in.Name, Row: -1,
				Err: fmt.Errorf("schema differs from %s: %s", m.inputs[0].Name, diff)}
		} else {
			m.ref = mergeNullability(m.ref, rd.Schema())
		}
		if i == 0 || in.Streamed() {
			m.opened[i] = rd
		} else if err := rd.Close(); err != nil {
			return fmt.Errorf("robustdata/pipeline: closing %s: %w", in.Name, err)
		}
	}
	m.schema = m.ref
	if m.c.docID != "" && len(m.ref.FieldIndices(m.c.docID)) == 0 {
		m.addID = true
		fields := append(m.ref.Fields(), arrow.Field{Name: m.c.docID, Type: arrow.BinaryTypes.String})
		if i := slices.Index(m.c.columns, m.c.docID); i >= 0 {
			// The user placed the made-up id among --columns.
			idCol := len(fields) - 1
			m.order = make([]int, 0, len(fields))
			for j := range idCol {
				if j == i {
					m.order = append(m.order, idCol)
				}
				m.order = append(m.order, j)
			}
			if i >= idCol {
				m.order = append(m.order, idCol)
			}
			ordered := make([]arrow.Field, len(fields))
			for j, k := range m.order {
				ordered[j] = fields[k]
			}
			fields = ordered
		}
		md := m.ref.Metadata()
		m.schema = arrow.NewSchema(fields, &md)
	}
	return nil
}

// openInput opens one input with the configured projection.
func (m *multiReader) openInput(in Input) (Reader, error) {
	c := m.c
	if c.limit >= 0 {
		// A JSONL reader stops at the rows still wanted, so that lines
		// past the limit are never read.
		cc := *c
		cc.limit = max(c.limit-m.total, 0)
		c = &cc
	}
	rd, err := openRaw(m.ctx, in, c, m.hint)
	if err != nil {
		return nil, err
	}
	if m.hint == nil {
		m.hint = rd.Schema()
	}
	if pr, ok := rd.(*parquetReader); ok && pr.projected {
		return rd, nil
	}
	cols := projection(rd.Schema(), m.c)
	if cols == nil {
		return rd, nil
	}
	p, err := newProjectReader(in.Name, rd, cols)
	if err != nil {
		rd.Close()
		return nil, err
	}
	return p, nil
}

func (m *multiReader) Schema() *arrow.Schema { return m.schema }

func (m *multiReader) Read() (arrow.RecordBatch, error) {
	if m.out != nil {
		m.out.Release()
		m.out = nil
	}
	for {
		if m.err != nil {
			return nil, m.err
		}
		if err := m.ctx.Err(); err != nil {
			m.err = err
			return nil, err
		}
		if m.c.limit >= 0 && m.total >= m.c.limit {
			m.err = io.EOF
			m.closeCur()
			return nil, io.EOF
		}
		if m.cur == nil {
			if m.idx >= len(m.inputs) {
				m.err = io.EOF
				return nil, io.EOF
			}
			if rd, ok := m.opened[m.idx]; ok {
				m.cur = rd
				delete(m.opened, m.idx)
			} else {
				rd, err := m.openInput(m.inputs[m.idx])
				if err != nil {
					m.err = err
					return nil, err
				}
				if diff := compareSchemas(m.ref, rd.Schema()); diff != "" {
					// The file changed since the schemas were checked.
					rd.Close()
					m.err = &DataError{Source: m.inputs[m.idx].Name, Row: -1,
						Err: fmt.Errorf("schema differs from %s: %s", m.inputs[0].Name, diff)}
					return nil, m.err
				}
				m.cur = rd
			}
			m.curRow = m.inputs[m.idx].Groups.FirstRow
		}
		rec, err := m.cur.Read()
		if errors.Is(err, io.EOF) {
			if err := m.closeCur(); err != nil {
				m.err = fmt.Errorf("robustdata/pipeline: closing %s: %w", m.inputs[m.idx].Name, err)
				return nil, m.err
			}
			m.idx++
			continue
		}
		if err != nil {
			m.err = err
			return nil, err
		}
		n := rec.NumRows()
		if n == 0 {
			continue
		}
		keep := n
		if m.c.limit >= 0 && m.total+n > m.c.limit {
			keep = m.c.limit - m.total
		}
		out, err := m.shape(rec, keep)
		if err != nil {
			m.err = err
			return nil, err
		}
		m.curRow += n
		m.total += keep
		return out, nil
	}
}

// shape relabels rec with the output schema, keeps its first keep rows and
// appends the doc_id column, copying nothing when none of that is needed.
func (m *multiReader) shape(rec arrow.RecordBatch, keep int64) (arrow.RecordBatch, error) {
	if rec.Schema() == m.schema && keep == rec.NumRows() {
		return rec, nil
	}
	cols := slices.Clone(rec.Columns())
	if keep < rec.NumRows() {
		for i, c := range cols {
			cols[i] = array.NewSlice(c, 0, keep)
			defer cols[i].Release()
		}
	}
	if m.addID {
		ids := m.docIDs(m.inputs[m.idx].Name, m.curRow, keep)
		defer ids.Release()
		cols = append(cols, ids)
	}
	if m.order != nil {
		ordered := make([]arrow.Array, len(cols))
		for j, k := range m.order {
			ordered[j] = cols[k]
		}
		cols = ordered
	}
	m.out = array.NewRecordBatch(m.schema, cols, keep)
	return m.out, nil
}

// docIDs builds the ids "name:row" of rows [first, first+n) of an input.
func (m *multiReader) docIDs(name string, first, n int64) arrow.Array {
	b := array.NewStringBuilder(m.c.mem)
	defer b.Release()
	b.Reserve(int(n))
	b.ReserveData(int(n) * (len(name) + 8))
	buf := m.idBuf[:0]
	buf = append(buf, name...)
	buf = append(buf, ':')
	prefix := len(buf)
	for i := range n {
		buf = strconv.AppendInt(buf[:prefix], first+i, 10)
		b.BinaryBuilder.Append(buf)
	}
	m.idBuf = buf
	return b.NewArray()
}

func (m *multiReader) closeCur() error {
	if m.cur == nil {
		return nil
	}
	err := m.cur.Close()
	m.cur = nil
	return err
}

func (m *multiReader) Close() error {
	if m.out != nil {
		m.out.Release()
		m.out = nil
	}
	err := m.closeCur()
	for i, rd := range m.opened {
		err = errors.Join(err, rd.Close())
		delete(m.opened, i)
	}
	if m.err == nil {
		m.err = errors.New("robustdata/pipeline: reader closed")
	}
	return err
}

// openRaw opens one input in its own format, sniffing it when its name
// does not tell. hint is the schema given to JSONL without WithSchema.
func openRaw(ctx context.Context, in Input, c *config, hint *arrow.Schema) (Reader, error) {
	if in.Path == "" {
		if c.stdin == nil {
			return nil, dataErr(StdinName, "standard input is not available")
		}
		return openStream(ctx, in, bufio.NewReaderSize(progressReader(c.stdin, c.progress), 1<<20), nil, c, hint)
	}
	f, err := os.Open(in.Path)
	if err != nil {
		return nil, FileError(in.Path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, FileError(in.Path, err)
	}
	if st.Mode().IsRegular() && st.Size() == 0 {
		f.Close()
		return nil, dataErr(in.Name, "empty file: expected %s", expectedFormat(in.Format))
	}
	format := in.Format
	if format == FormatParquet && in.Codec == CodecNone && st.Mode().IsRegular() {
		return openParquet(ctx, in.Name, newCountingFile(f, c.progress), f, c, in.Groups)
	}
	if in.Groups.End > 0 {
		f.Close()
		return nil, dataErr(in.Name, "a range of row groups needs an uncompressed regular Parquet file")
	}
	if format == FormatIPCFile && in.Codec == CodecNone && st.Mode().IsRegular() {
		rd, err := newIPCFileReader(in.Name, newCountingFile(f, c.progress), f, c)
		if err != nil {
			f.Close()
		}
		return rd, err
	}
	return openStream(ctx, in, bufio.NewReaderSize(progressReader(f, c.progress), 1<<20), f, c, hint)
}

// openStream reads a non-seekable input: sniffed, decompressed, spooled to
// a temporary file when the format needs random access. closer is closed
// with the returned reader.
func openStream(ctx context.Context, in Input, br *bufio.Reader, closer io.Closer, c *config, hint *arrow.Schema) (Reader, error) {
	fail := func(err error) (Reader, error) {
		if closer != nil {
			closer.Close()
		}
		return nil, err
	}
	var r io.Reader = br
	format, codec := in.Format, in.Codec
	for range 2 {
		if format != FormatUnknown && codec == CodecNone {
			break
		}
		if codec == CodecNone {
			head, err := br.Peek(8)
			if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
				return fail(&DataError{Source: in.Name, Row: -1, Err: err})
			}
			f, cd, err := sniff(head)
			if err != nil {
				return fail(&DataError{Source: in.Name, Row: -1, Err: err})
			}
			format, codec = f, cd
		}
		if codec != CodecNone {
			dr, err := decompress(br, codec)
			if err != nil {
				return fail(&DataError{Source: in.Name, Row: -1, Err: err})
			}
			closer = joinClosers(dr, closer)
			br = bufio.NewReaderSize(dr, 1<<20)
			r = br
			codec = CodecNone
		}
	}
	switch format {
	case FormatJSONL:
		rd, err := newJSONLReader(in.Name, r, jsonlConfig(c, hint))
		if err != nil {
			return fail(err)
		}
		return &closingReader{Reader: rd, closer: closer}, nil
	case FormatIPCStream:
		rd, err := newIPCStreamReader(in.Name, r, closer, c)
		if err != nil {
			return fail(err)
		}
		return rd, nil
	case FormatParquet, FormatIPCFile:
		f, err := spool(ctx, r, c.tempDir)
		if closer != nil {
			closer.Close()
		}
		if err != nil {
			return nil, fmt.Errorf("robustdata/pipeline: spooling %s to a temporary file: %w", in.Name, err)
		}
		if format == FormatParquet {
			return openParquet(ctx, in.Name, f, f, c, in.Groups)
		}
		rd, err := newIPCFileReader(in.Name, f, f, c)
		if err != nil {
			f.Close()
		}
		return rd, err
	}
	return fail(dataErr(in.Name, "unknown format"))
}

func openParquet(ctx context.Context, name string, src interface {
	io.ReaderAt
	io.Seeker
	io.Reader
}, closer io.Closer, c *config, groups RowGroups) (Reader, error) {
	rd, err := newParquetReader(ctx, name, src, closer, c, groups)
	if err != nil {
		closer.Close()
		return nil, err
	}
	return rd, nil
}

// projection returns the columns to keep of an input with schema full, or
// nil to keep all. An existing id column (WithDocID) is kept even when not
// named: dropping it would make ids up anew.
// A doc_id the input lacks (to be made up) is left out.
func projection(full *arrow.Schema, c *config) []string {
	cols := c.columns
	if cols == nil {
		return nil
	}
	if c.docID == "" {
		return cols
	}
	has := len(full.FieldIndices(c.docID)) > 0
	switch {
	case has && !slices.Contains(cols, c.docID):
		cols = append(slices.Clip(cols), c.docID)
	case !has && slices.Contains(cols, c.docID):
		cols = slices.DeleteFunc(slices.Clone(cols), func(s string) bool { return s == c.docID })
	}
	return cols
}

// jsonlConfig gives JSONL the hint schema when none was set.
func jsonlConfig(c *config, hint *arrow.Schema) *config {
	if c.schema != nil || hint == nil {
		return c
	}
	cc := *c
	cc.schema = hint
	return &cc
}

// spool copies r to a temporary file that is unlinked at once: it
// disappears when closed, even if the process is killed.
func spool(ctx context.Context, r io.Reader, dir string) (*os.File, error) {
	f, err := os.CreateTemp(dir, "robustdata-spool-*")
	if err != nil {
		return nil, err
	}
	os.Remove(f.Name())
	if _, err := io.Copy(f, ctxReader{ctx, r}); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func decompress(r io.Reader, codec Codec) (io.ReadCloser, error) {
	switch codec {
	case CodecGzip:
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("not valid gzip: %w", err)
		}
		return codecReader{zr, "gzip"}, nil
	case CodecZstd:
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, fmt.Errorf("not valid zstd: %w", err)
		}
		return codecReader{zr.IOReadCloser(), "zstd"}, nil
	}
	return io.NopCloser(r), nil
}

// codecReader marks a decompressor's own errors (a bad magic number, a
// corrupt block, a wrong checksum) as corruptError: bad data, not an I/O
// failure. Errors of the file underneath and cancellation pass as they
// are.
type codecReader struct {
	io.ReadCloser
	codec string
}

func (c codecReader) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	if err != nil && err != io.EOF && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, context.Canceled) {
		var pe *os.PathError
		if !errors.As(err, &pe) {
			err = corruptError{fmt.Errorf("not valid %s: %w", c.codec, err)}
		}
	}
	return n, err
}

// corruptError is a decompressor's report of corrupt input.
type corruptError struct{ err error }

func (e corruptError) Error() string { return e.err.Error() }
func (e corruptError) Unwrap() error { return e.err }

func expectedFormat(f Format) string {
	if f == FormatUnknown {
		return "Parquet, Arrow IPC or JSONL"
	}
	return f.String()
}

// ctxReader stops a copy when its context is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// closingReader closes an extra closer with its Reader.
type closingReader struct {
	Reader
	closer io.Closer
}

func (c *closingReader) Close() error {
	err := c.Reader.Close()
	if c.closer != nil {
		err = errors.Join(err, c.closer.Close())
		c.closer = nil
	}
	return err
}

type multiCloser []io.Closer

func (m multiCloser) Close() error {
	var err error
	for _, c := range m {
		err = errors.Join(err, c.Close())
	}
	return err
}

func joinClosers(a io.Closer, b io.Closer) io.Closer {
	if b == nil {
		return a
	}
	return multiCloser{a, b}
}
