package stream

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

const (
	// jsonlBufSize is the read buffer; longer lines are gathered in a
	// buffer that grows as needed.
	jsonlBufSize = 256 << 10
	// longLineKeep is the largest long-line buffer kept between lines.
	longLineKeep = 4 << 20
)

// utf8BOM is the byte order mark some tools write at the start of UTF-8 text.
const utf8BOM = "\xef\xbb\xbf"

// errReaderClosed is returned by Read after Close.
var errReaderClosed = errors.New("robustdata/pipeline: read from a closed JSONL reader")

var _ Reader = (*jsonlReader)(nil)

// jsonlReader reads JSON Lines: one JSON object per line, into batches of
// the given or inferred schema.
type jsonlReader struct {
	name     string
	c        *config
	schema   *arrow.Schema
	inferred bool

	br     *bufio.Reader
	long   []byte // a line longer than the read buffer
	lineNo int64  // lines read from br so far
	srcEOF bool

	// Lines read while inferring the schema, decoded before reading on.
	pending    []bufferedLine
	pendingPos int

	consumed int64 // bytes read from the input
	decoded  int64 // bytes of the lines in batches returned so far (and a BOM)
	reported int64 // bytes passed to c.progress

	// rows counts the rows decoded; with c.limit >= 0 the reader stops
	// at c.limit rows without reading further lines (a broken line after
	// them is not an error).
	rows int64

	builders []array.Builder
	root     *objDecoder
	scan     jsonScanner
	cur      arrow.RecordBatch
	err      error // sticky: io.EOF, a DataError, a read error, errReaderClosed
	closed   bool
}

// bufferedLine is a non-blank line kept from schema inference.
type bufferedLine struct {
	no   int64
	text []byte
	size int64 // input bytes up to and including this line since the previous kept line
}

// newJSONLReader reads JSONL from r, named name in errors. The schema is
// c.schema, or inferred from the first c.inferRows non-blank lines (kept and
// decoded afterwards, so r is read once). Close does not close r.
func newJSONLReader(name string, r io.Reader, c *config) (*jsonlReader, error) {
	jr := &jsonlReader{name: name, c: c, br: bufio.NewReaderSize(r, jsonlBufSize)}
	if b, err := jr.br.Peek(len(utf8BOM)); string(b) == utf8BOM {
		_, _ = jr.br.Discard(len(utf8BOM))
		jr.consumed += int64(len(utf8BOM))
		jr.decoded += int64(len(utf8BOM))
	} else if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, jr.readErr(err)
	}
	jr.schema = c.schema
	if jr.schema == nil {
		if err := jr.infer(); err != nil {
			return nil, err
		}
		jr.inferred = true
	}
	var hint string
	if jr.inferred {
		hint = fmt.Sprintf("the schema was inferred from the first %d lines; give --schema or --infer-rows", c.inferRows)
	}
	ctx := &decodeContext{inferred: jr.inferred, inferRows: c.inferRows, hint: hint}
	if err := jr.newBuilders(); err != nil {
		return nil, err
	}
	jr.root = newObjDecoder(ctx, jr.schema.Fields(), jr.builders, "", "", true)
	return jr, nil
}

// newBuilders makes a builder per column.
func (r *jsonlReader) newBuilders() error {
	r.builders = make([]array.Builder, 0, r.schema.NumFields())
	for _, f := range r.schema.Fields() {
		r.builders = append(r.builders, array.NewBuilder(r.c.mem, f.Type))
	}
	return nil
}

// infer reads up to c.inferRows non-blank lines, keeps them, and sets the
// schema from them.
func (r *jsonlReader) infer() error {
	root := &inferNode{kind: inferObject, root: true}
	var size int64
	want := r.c.inferRows
	if r.c.limit >= 0 {
		// Lines past the limit are never read; one line at least, for a
		// schema.
		want = int(min(int64(want), max(r.c.limit, 1)))
	}
	for len(r.pending) < want {
		text, n, err := r.readLine()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		size += int64(n)
		if isBlank(text) {
			continue
		}
		r.scan.reset(text)
		if err := r.inferLine(root); err != nil {
			return r.lineErr(err, r.lineNo)
		}
		r.pending = append(r.pending, bufferedLine{no: r.lineNo, text: bytes.Clone(text), size: size})
		size = 0
	}
	r.schema = arrow.NewSchema(root.arrowFields(), nil)
	return nil
}

func (r *jsonlReader) inferLine(root *inferNode) error {
	s := &r.scan
	s.skipWS()
	if s.peek() != '{' {
		return notObject(s)
	}
	if err := inferObjectMembers(s, root, r.lineNo, 0); err != nil {
		return err
	}
	if !s.atEnd() {
		return s.syntaxErr(s.pos, "unexpected %s after the object (one object per line)", s.describeByte(s.pos))
	}
	return nil
}

// notObject reports a line that does not hold an object.
func notObject(s *jsonScanner) error {
	switch c := s.peek(); {
	case c == '"' || c == '[' || c == '-' || c >= '0' && c <= '9' || c == 't' || c == 'f' || c == 'n':
		what, err := s.describeValue()
		if err != nil {
			return err
		}
		return fmt.Errorf("expected a JSON object, got %s", what)
	}
	return s.expected("'{' (each line must hold one JSON object)")
}

// isBlank reports whether a line holds only JSON whitespace.
func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

// readLine returns the next line from the input without its line ending
// ("\n" or "\r\n") and the number of input bytes it took. The line is valid
// until the next call.
func (r *jsonlReader) readLine() ([]byte, int, error) {
	if cap(r.long) > longLineKeep {
		r.long = nil
	}
	if r.srcEOF {
		return nil, 0, io.EOF
	}
	b, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.long = append(r.long[:0], b...)
		for err == bufio.ErrBufferFull {
			b, err = r.br.ReadSlice('\n')
			r.long = append(r.long, b...)
		}
		b = r.long
	}
	if err != nil {
		if err != io.EOF {
			return nil, 0, r.readErr(err)
		}
		r.srcEOF = true
		if len(b) == 0 {
			return nil, 0, io.EOF
		}
	}
	n := len(b)
	r.consumed += int64(n)
	r.lineNo++
	if n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if len(b) > 0 && b[len(b)-1] == '\r' {
			b = b[:len(b)-1]
		}
	}
	return b, n, nil
}

// readErr wraps an error from the underlying reader. A stream that ends
// in the middle (a truncated compressed file) is a DataError.
func (r *jsonlReader) readErr(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return &DataError{Source: r.name, Line: r.lineNo + 1, Row: -1, Err: fmt.Errorf("input ends early: %w", err)}
	}
	var ce corruptError
	if errors.As(err, &ce) {
		return &DataError{Source: r.name, Line: r.lineNo + 1, Row: -1, Err: err}
	}
	return fmt.Errorf("robustdata/pipeline: reading %s: %w", r.name, err)
}

// nextLine returns the next line, kept ones from inference first, its
// number and its size in input bytes.
func (r *jsonlReader) nextLine() ([]byte, int64, int64, error) {
	if r.pending != nil {
		if r.pendingPos < len(r.pending) {
			l := &r.pending[r.pendingPos]
			r.pendingPos++
			return l.text, l.no, l.size, nil
		}
		r.pending = nil
	}
	text, n, err := r.readLine()
	return text, r.lineNo, int64(n), err
}

// lineErr turns an error from decoding line no into a DataError.
func (r *jsonlReader) lineErr(err error, no int64) error {
	var de *DataError
	if !errors.As(err, &de) {
		de = &DataError{Err: err}
	}
	de.Source = r.name
	de.Line = no
	de.Row = -1
	return de
}

// Schema returns the schema of every batch.
func (r *jsonlReader) Schema() *arrow.Schema { return r.schema }

// Read returns the next batch, or (nil, io.EOF) after the last. A batch
// holds up to c.batchRows rows, and ends early with the row at which its
// input bytes reach c.batchBytes (each row counts its line with its line
// ending, and the blank lines before it). It is valid until the next Read
// or Close. After an error Read keeps returning it; the rows of the batch
// being built are dropped.
func (r *jsonlReader) Read() (arrow.RecordBatch, error) {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if r.err != nil {
		return nil, r.err
	}
	rows := 0
	var size int64
	for rows < r.c.batchRows {
		if r.c.limit >= 0 && r.rows >= r.c.limit {
			break
		}
		text, no, n, err := r.nextLine()
		if err == io.EOF {
			break
		}
		if err != nil {
			r.err = err
			return nil, err
		}
		size += n
		if isBlank(text) {
			continue
		}
		if err := r.decodeLine(text); err != nil {
			r.err = r.lineErr(err, no)
			return nil, r.err
		}
		rows++
		r.rows++
		if size >= r.c.batchBytes {
			break
		}
	}
	if rows == 0 {
		r.err = io.EOF
		r.reportProgress(r.consumed)
		return nil, io.EOF
	}
	r.decoded += size
	r.reportProgress(r.decoded)
	cols := make([]arrow.Array, len(r.builders))
	for i, b := range r.builders {
		cols[i] = b.NewArray()
	}
	r.cur = array.NewRecordBatch(r.schema, cols, int64(rows))
	for _, a := range cols {
		a.Release()
	}
	return r.cur, nil
}

// reportProgress passes the bytes up to upto not yet reported to
// c.progress.
func (r *jsonlReader) reportProgress(upto int64) {
	if r.c.progress != nil && upto > r.reported {
		r.c.progress(upto - r.reported)
		r.reported = upto
	}
}

// decodeLine appends the object on one line to the builders.
func (r *jsonlReader) decodeLine(text []byte) error {
	s := &r.scan
	s.reset(text)
	s.skipWS()
	if s.peek() != '{' {
		return notObject(s)
	}
	if err := r.root.decode(s); err != nil {
		return err
	}
	if !s.atEnd() {
		return s.syntaxErr(s.pos, "unexpected %s after the object (one object per line)", s.describeByte(s.pos))
	}
	return nil
}

// Close releases the batch and the builders. It does not close the
// underlying io.Reader. It is safe to call more than once.
func (r *jsonlReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	for _, b := range r.builders {
		b.Release()
	}
	r.builders = nil
	r.pending = nil
	r.long = nil
	r.err = errReaderClosed
	return nil
}

// decodeContext is shared by all decoders of one reader.
type decodeContext struct {
	inferred  bool
	inferRows int
	hint      string // added to type errors when the schema was inferred
}

// decKind selects how a value is decoded.
type decKind uint8

const (
	decString    decKind = iota // string, large_string
	decBinary                   // binary, large_binary from base64
	decBool                     // bool
	decInt                      // int8..int64
	decUint                     // uint8..uint64
	decFloat32                  // float32
	decFloat64                  // float64
	decList                     // list
	decLargeList                // large_list
	decFixedList                // fixed_size_list
	decStruct                   // struct
	decOther                    // anything else, through the builder's JSON decoding
)

// valueDecoder appends JSON values of one place in the schema (a column,
// a struct member, list elements) to its builder.
type valueDecoder struct {
	ctx      *decodeContext
	kind     decKind
	bits     int
	nullable bool
	dt       arrow.DataType
	top      string // top-level column, for DataError.Column
	desc     string // `int64 column`, `int64 at "meta.year"`, for messages

	b     array.Builder
	bin   *array.BinaryBuilder
	boolB *array.BooleanBuilder
	i8    *array.Int8Builder
	i16   *array.Int16Builder
	i32   *array.Int32Builder
	i64   *array.Int64Builder
	u8    *array.Uint8Builder
	u16   *array.Uint16Builder
	u32   *array.Uint32Builder
	u64   *array.Uint64Builder
	f32   *array.Float32Builder
	f64   *array.Float64Builder
	list  *array.ListBuilder
	llist *array.LargeListBuilder
	fsl   *array.FixedSizeListBuilder
	fslN  int
	st    *array.StructBuilder

	elem *valueDecoder // list elements
	obj  *objDecoder   // struct members
}

// objDecoder decodes a JSON object into a set of named builders: the
// columns of a row, or the members of a struct.
type objDecoder struct {
	ctx    *decodeContext
	fields []*valueDecoder
	names  []string
	index  map[string]int
	seen   []uint64
	stamp  uint64
	top    string // "" for the row, else the top-level column
	path   string // "" for the row, else the struct's path
	isRow  bool   // the object is a whole line
}

// newObjDecoder decodes objects into fields; isRow is true for the
// top-level object of a line, whose keys are the columns.
func newObjDecoder(ctx *decodeContext, fields []arrow.Field, builders []array.Builder, top, path string, isRow bool) *objDecoder {
	o := &objDecoder{
		ctx:    ctx,
		fields: make([]*valueDecoder, len(fields)),
		names:  make([]string, len(fields)),
		index:  make(map[string]int, len(fields)),
		seen:   make([]uint64, len(fields)),
		top:    top,
		path:   path,
		isRow:  isRow,
	}
	for i, f := range fields {
		t, p := top, path+"."+f.Name
		if isRow {
			t, p = f.Name, f.Name
		}
		o.fields[i] = newValueDecoder(ctx, f, builders[i], t, p, isRow)
		o.names[i] = f.Name
		if _, dup := o.index[f.Name]; !dup {
			o.index[f.Name] = i
		}
	}
	return o
}

func newValueDecoder(ctx *decodeContext, f arrow.Field, b array.Builder, top, path string, isColumn bool) *valueDecoder {
	var tb strings.Builder
	formatType(&tb, f.Type)
	d := &valueDecoder{ctx: ctx, nullable: f.Nullable, dt: f.Type, top: top, b: b}
	if isColumn {
		d.desc = tb.String() + " column"
	} else {
		d.desc = fmt.Sprintf("%s at %q", tb.String(), path)
	}
	d.kind = decOther
	switch bb := b.(type) {
	case *array.StringBuilder:
		d.kind, d.bin = decString, bb.BinaryBuilder
	case *array.LargeStringBuilder:
		d.kind, d.bin = decString, bb.BinaryBuilder
	case *array.BinaryBuilder:
		d.kind, d.bin = decBinary, bb
		if f.Type.ID() == arrow.STRING || f.Type.ID() == arrow.LARGE_STRING {
			d.kind = decString
		}
	case *array.BooleanBuilder:
		d.kind, d.boolB = decBool, bb
	case *array.Int8Builder:
		d.kind, d.bits, d.i8 = decInt, 8, bb
	case *array.Int16Builder:
		d.kind, d.bits, d.i16 = decInt, 16, bb
	case *array.Int32Builder:
		d.kind, d.bits, d.i32 = decInt, 32, bb
	case *array.Int64Builder:
		d.kind, d.bits, d.i64 = decInt, 64, bb
	case *array.Uint8Builder:
		d.kind, d.bits, d.u8 = decUint, 8, bb
	case *array.Uint16Builder:
		d.kind, d.bits, d.u16 = decUint, 16, bb
	case *array.Uint32Builder:
		d.kind, d.bits, d.u32 = decUint, 32, bb
	case *array.Uint64Builder:
		d.kind, d.bits, d.u64 = decUint, 64, bb
	case *array.Float32Builder:
		d.kind, d.f32 = decFloat32, bb
	case *array.Float64Builder:
		d.kind, d.f64 = decFloat64, bb
	case *array.ListBuilder:
		if lt, ok := f.Type.(*arrow.ListType); ok {
			d.kind, d.list = decList, bb
			d.elem = newValueDecoder(ctx, lt.ElemField(), bb.ValueBuilder(), top, path+"[]", false)
		}
	case *array.LargeListBuilder:
		if lt, ok := f.Type.(*arrow.LargeListType); ok {
			d.kind, d.llist = decLargeList, bb
			d.elem = newValueDecoder(ctx, lt.ElemField(), bb.ValueBuilder(), top, path+"[]", false)
		}
	case *array.FixedSizeListBuilder:
		if lt, ok := f.Type.(*arrow.FixedSizeListType); ok {
			d.kind, d.fsl, d.fslN = decFixedList, bb, int(lt.Len())
			d.elem = newValueDecoder(ctx, lt.ElemField(), bb.ValueBuilder(), top, path+"[]", false)
		}
	case *array.StructBuilder:
		if st, ok := f.Type.(*arrow.StructType); ok {
			d.kind, d.st = decStruct, bb
			kids := make([]array.Builder, st.NumFields())
			for i := range kids {
				kids[i] = bb.FieldBuilder(i)
			}
			d.obj = newObjDecoder(ctx, st.Fields(), kids, top, path, false)
		}
	}
	return d
}

// fail wraps err as a DataError for this decoder's column.
func (d *valueDecoder) fail(err error) error { return withColumn(err, d.top) }

// typeErr reports a value of the wrong JSON type, or the syntax error if
// the value is not valid JSON.
func (d *valueDecoder) typeErr(s *jsonScanner, want string) error {
	got, err := s.describeValue()
	if err != nil {
		return d.fail(err)
	}
	return d.failf("expected %s for %s, got %s", want, d.desc, got)
}

// failf reports a problem with a value, adding the inference hint.
func (d *valueDecoder) failf(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if d.ctx.hint != "" {
		msg += " (" + d.ctx.hint + ")"
	}
	return &DataError{Column: d.top, Row: -1, Err: errors.New(msg)}
}

// appendNull appends a null, which a non-nullable field refuses.
func (d *valueDecoder) appendNull(what string) error {
	if !d.nullable {
		return &DataError{Column: d.top, Row: -1, Err: fmt.Errorf("%s for non-nullable %s", what, d.desc)}
	}
	d.b.AppendNull()
	return nil
}

// decode appends the value at s.pos.
func (d *valueDecoder) decode(s *jsonScanner) error {
	if s.pos >= len(s.buf) {
		return d.fail(s.expected("a value"))
	}
	c := s.buf[s.pos]
	if c == 'n' && s.isNull() {
		return d.appendNull("null")
	}
	switch d.kind {
	case decString:
		if c != '"' {
			return d.typeErr(s, "string")
		}
		v, err := s.str()
		if err != nil {
			return d.fail(err)
		}
		d.bin.Append(v)
	case decBinary:
		if c != '"' {
			return d.typeErr(s, "base64 string")
		}
		v, err := s.str()
		if err != nil {
			return d.fail(err)
		}
		n := base64.StdEncoding.DecodedLen(len(v))
		if cap(s.b64) < n {
			s.b64 = make([]byte, n)
		}
		m, err := base64.StdEncoding.Decode(s.b64[:n], v)
		if err != nil {
			return d.failf("expected base64 for %s, got string %s", d.desc, quoteShort(v))
		}
		d.bin.Append(s.b64[:m])
	case decBool:
		switch {
		case c == 't' && s.literal("true") == nil:
			d.boolB.Append(true)
		case c == 'f' && s.literal("false") == nil:
			d.boolB.Append(false)
		default:
			return d.typeErr(s, "true or false")
		}
	case decInt, decUint, decFloat32, decFloat64:
		if c != '-' && (c < '0' || c > '9') {
			return d.typeErr(s, "number")
		}
		return d.decodeNumber(s)
	case decList, decLargeList, decFixedList:
		if c != '[' {
			return d.typeErr(s, "array")
		}
		return d.decodeList(s)
	case decStruct:
		if c != '{' {
			return d.typeErr(s, "object")
		}
		d.st.Append(true)
		return d.obj.decode(s)
	default:
		return d.decodeOther(s)
	}
	return nil
}

func (d *valueDecoder) decodeNumber(s *jsonScanner) error {
	num, isInt, err := s.number()
	if err != nil {
		return d.fail(err)
	}
	switch d.kind {
	case decInt:
		if !isInt {
			return d.failf("expected integer for %s, got number %s", d.desc, shorten(string(num)))
		}
		v, err := parseSigned(num, d.bits)
		if err != nil {
			return d.failf("number %s overflows %s", shorten(string(num)), d.desc)
		}
		switch d.bits {
		case 8:
			d.i8.Append(int8(v))
		case 16:
			d.i16.Append(int16(v))
		case 32:
			d.i32.Append(int32(v))
		default:
			d.i64.Append(v)
		}
	case decUint:
		if !isInt {
			return d.failf("expected integer for %s, got number %s", d.desc, shorten(string(num)))
		}
		v, err := parseUnsigned(num, d.bits)
		if err != nil {
			return d.failf("number %s is out of range for %s", shorten(string(num)), d.desc)
		}
		switch d.bits {
		case 8:
			d.u8.Append(uint8(v))
		case 16:
			d.u16.Append(uint16(v))
		case 32:
			d.u32.Append(uint32(v))
		default:
			d.u64.Append(v)
		}
	case decFloat32:
		v, err := parseFloat(num, 32)
		if err != nil {
			return d.failf("number %s is out of range for %s", shorten(string(num)), d.desc)
		}
		d.f32.Append(float32(v))
	case decFloat64:
		v, err := parseFloat(num, 64)
		if err != nil {
			return d.failf("number %s is out of range for %s", shorten(string(num)), d.desc)
		}
		d.f64.Append(v)
	}
	return nil
}

// decodeList appends the array at s.pos (which holds '[').
func (d *valueDecoder) decodeList(s *jsonScanner) error {
	open := s.pos
	switch d.kind {
	case decList:
		d.list.Append(true)
	case decLargeList:
		d.llist.Append(true)
	case decFixedList:
		d.fsl.Append(true)
	}
	s.pos++
	s.skipWS()
	n := 0
	if s.peek() == ']' {
		s.pos++
	} else {
		for {
			s.skipWS()
			if err := d.elem.decode(s); err != nil {
				return err
			}
			n++
			s.skipWS()
			if c := s.peek(); c == ',' {
				s.pos++
				continue
			} else if c == ']' {
				s.pos++
				break
			}
			return d.fail(s.expected("',' or ']' in array"))
		}
	}
	if d.kind == decFixedList && n != d.fslN {
		return d.failf("expected %d values for %s, got an array of %d at byte %d", d.fslN, d.desc, n, open)
	}
	return nil
}

// decodeOther appends a value of a type the fast path does not know
// (timestamps, decimals, dictionaries, maps, ...) through the builder's
// own JSON decoding.
func (d *valueDecoder) decodeOther(s *jsonScanner) error {
	start := s.pos
	if err := s.skipValue(0); err != nil {
		return d.fail(err)
	}
	raw := s.buf[start:s.pos]
	doc := make([]byte, 0, len(raw)+2)
	doc = append(append(append(doc, '['), raw...), ']')
	if err := unmarshalInto(d.b, doc); err != nil {
		return d.failf("cannot read %s as %s: %v", shorten(string(raw)), d.desc, err)
	}
	return nil
}

// unmarshalInto appends the values of the JSON array doc to b.
func unmarshalInto(b array.Builder, doc []byte) error {
	return b.UnmarshalJSON(doc)
}

// decode reads the object at s.pos (which holds '{'): members to their
// decoders, null for missing keys. Unknown and duplicate keys are errors.
func (o *objDecoder) decode(s *jsonScanner) error {
	s.pos++
	o.stamp++
	next := 0
	s.skipWS()
	if s.peek() == '}' {
		s.pos++
		return o.fillMissing()
	}
	for {
		s.skipWS()
		if s.peek() != '"' {
			return withColumn(s.expected("a string key"), o.top)
		}
		keyPos := s.pos
		key, err := s.str()
		if err != nil {
			return withColumn(err, o.top)
		}
		i := -1
		if next < len(o.names) && string(key) == o.names[next] {
			i = next
		} else if j, ok := o.index[string(key)]; ok {
			i = j
		}
		if i < 0 {
			return o.unknownKey(string(key))
		}
		f := o.fields[i]
		if o.seen[i] == o.stamp {
			return &DataError{Column: f.top, Row: -1, Err: fmt.Errorf("duplicate key %q at byte %d", o.keyPath(o.names[i]), keyPos)}
		}
		o.seen[i] = o.stamp
		next = i + 1
		s.skipWS()
		if s.peek() != ':' {
			return f.fail(s.expected(fmt.Sprintf("':' after key %q", o.names[i])))
		}
		s.pos++
		s.skipWS()
		if err := f.decode(s); err != nil {
			return err
		}
		s.skipWS()
		switch s.peek() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return o.fillMissing()
		default:
			return f.fail(s.expected(fmt.Sprintf("',' or '}' after the value of key %q", o.names[i])))
		}
	}
}

func (o *objDecoder) keyPath(key string) string {
	if o.isRow {
		return key
	}
	return o.path + "." + key
}

// fillMissing appends null for every member the object did not have.
func (o *objDecoder) fillMissing() error {
	for i, f := range o.fields {
		if o.seen[i] != o.stamp {
			if err := f.appendNull("missing key"); err != nil {
				return err
			}
		}
	}
	return nil
}

// unknownKey reports a key the schema does not have; it is never dropped.
func (o *objDecoder) unknownKey(key string) error {
	col := o.top
	if o.isRow {
		col = key
	}
	var msg string
	if o.ctx.inferred {
		msg = fmt.Sprintf("key %q is not in the schema (inferred from the first %d lines); give --schema or --infer-rows",
			o.keyPath(key), o.ctx.inferRows)
	} else {
		msg = fmt.Sprintf("key %q is not in the given schema", o.keyPath(key))
	}
	return &DataError{Column: col, Row: -1, Err: errors.New(msg)}
}
