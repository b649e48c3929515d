package stream

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// jsonlWriteBuf is the size of the output buffer.
const jsonlWriteBuf = 1 << 20

// jsonlWriter writes batches as JSON Lines: one object per row, keys in
// schema order, nulls as null. It buffers its output; flush writes it out.
// Committing or discarding the file is up to the sink that wraps it.
type jsonlWriter struct {
	// source names the output in DataErrors ("JSONL output" unless the
	// sink sets the path).
	source string
	bw     *bufio.Writer
	schema *arrow.Schema
	keys   [][]byte // `{"name":` for the first column, `,"name":` after
	line   []byte   // the row being encoded
	rows   int64    // rows written so far, for DataError.Row
	err    error    // sticky write error
}

// newJSONLWriter writes JSONL rows of schema to w. c is accepted for
// symmetry with the other sinks; no option applies yet.
func newJSONLWriter(w io.Writer, schema *arrow.Schema, c *config) *jsonlWriter {
	_ = c
	jw := &jsonlWriter{
		source: "JSONL output",
		bw:     bufio.NewWriterSize(w, jsonlWriteBuf),
		schema: schema,
		keys:   make([][]byte, schema.NumFields()),
	}
	for i, f := range schema.Fields() {
		sep := byte(',')
		if i == 0 {
			sep = '{'
		}
		k := appendJSONString([]byte{sep}, f.Name)
		jw.keys[i] = append(k, ':')
	}
	return jw
}

// Write appends the rows of rec. It does not take ownership of rec. A
// float NaN or infinity, which JSON cannot hold, is a *DataError naming
// the column and row; nothing of that row is written.
func (w *jsonlWriter) Write(rec arrow.RecordBatch) error {
	if w.err != nil {
		return w.err
	}
	if err := w.checkSchema(rec.Schema()); err != nil {
		return err
	}
	cols := rec.Columns()
	n := int(rec.NumRows())
	for i := 0; i < n; i++ {
		buf := w.line[:0]
		if len(cols) == 0 {
			buf = append(buf, '{')
		}
		for j, col := range cols {
			buf = append(buf, w.keys[j]...)
			var err error
			buf, err = appendJSONValue(buf, col, i)
			if err != nil {
				w.line = buf
				return &DataError{Source: w.source, Row: w.rows, Column: w.schema.Field(j).Name, Err: err}
			}
		}
		buf = append(buf, '}', '\n')
		w.line = buf
		if _, err := w.bw.Write(buf); err != nil {
			w.err = fmt.Errorf("robustdata/pipeline: writing JSONL: %w", err)
			return w.err
		}
		w.rows++
	}
	if cap(w.line) > longLineKeep {
		w.line = nil
	}
	return nil
}

// checkSchema accepts batches whose fields have the writer's names and types.
func (w *jsonlWriter) checkSchema(s *arrow.Schema) error {
	ok := s.NumFields() == w.schema.NumFields()
	for i := 0; ok && i < s.NumFields(); i++ {
		a, b := s.Field(i), w.schema.Field(i)
		ok = a.Name == b.Name && arrow.TypeEqual(a.Type, b.Type)
	}
	if !ok {
		return fmt.Errorf("robustdata/pipeline: JSONL writer: batch schema %q does not match the output schema %q",
			FormatSchema(s), FormatSchema(w.schema))
	}
	return nil
}

// flush writes out the buffered rows.
func (w *jsonlWriter) flush() error {
	if w.err != nil {
		return w.err
	}
	if err := w.bw.Flush(); err != nil {
		w.err = fmt.Errorf("robustdata/pipeline: writing JSONL: %w", err)
		return w.err
	}
	return nil
}

// appendJSONValue appends row i of arr as JSON.
func appendJSONValue(buf []byte, arr arrow.Array, i int) ([]byte, error) {
	if arr.IsNull(i) {
		return append(buf, "null"...), nil
	}
	switch a := arr.(type) {
	case *array.String:
		return appendJSONString(buf, a.Value(i)), nil
	case *array.LargeString:
		return appendJSONString(buf, a.Value(i)), nil
	case *array.Binary:
		return appendBase64(buf, a.Value(i)), nil
	case *array.LargeBinary:
		return appendBase64(buf, a.Value(i)), nil
	case *array.Boolean:
		if a.Value(i) {
			return append(buf, "true"...), nil
		}
		return append(buf, "false"...), nil
	case *array.Int8:
		return strconv.AppendInt(buf, int64(a.Value(i)), 10), nil
	case *array.Int16:
		return strconv.AppendInt(buf, int64(a.Value(i)), 10), nil
	case *array.Int32:
		return strconv.AppendInt(buf, int64(a.Value(i)), 10), nil
	case *array.Int64:
		return strconv.AppendInt(buf, a.Value(i), 10), nil
	case *array.Uint8:
		return strconv.AppendUint(buf, uint64(a.Value(i)), 10), nil
	case *array.Uint16:
		return strconv.AppendUint(buf, uint64(a.Value(i)), 10), nil
	case *array.Uint32:
		return strconv.AppendUint(buf, uint64(a.Value(i)), 10), nil
	case *array.Uint64:
		return strconv.AppendUint(buf, a.Value(i), 10), nil
	case *array.Float32:
		return appendJSONFloat(buf, float64(a.Value(i)), 32)
	case *array.Float64:
		return appendJSONFloat(buf, a.Value(i), 64)
	case *array.List:
		start, end := a.ValueOffsets(i)
		return appendJSONArray(buf, a.ListValues(), int(start), int(end))
	case *array.LargeList:
		start, end := a.ValueOffsets(i)
		return appendJSONArray(buf, a.ListValues(), int(start), int(end))
	case *array.FixedSizeList:
		start, end := a.ValueOffsets(i)
		return appendJSONArray(buf, a.ListValues(), int(start), int(end))
	case *array.Struct:
		st := a.DataType().(*arrow.StructType)
		buf = append(buf, '{')
		for j := 0; j < a.NumField(); j++ {
			if j > 0 {
				buf = append(buf, ',')
			}
			buf = appendJSONString(buf, st.Field(j).Name)
			buf = append(buf, ':')
			var err error
			if buf, err = appendJSONValue(buf, a.Field(j), i); err != nil {
				return buf, err
			}
		}
		return append(buf, '}'), nil
	}
	b, err := json.Marshal(arr.GetOneForMarshal(i))
	if err != nil {
		return buf, fmt.Errorf("cannot write %s value as JSON: %v", arr.DataType(), err)
	}
	return append(buf, b...), nil
}

// appendJSONArray appends values[start:end] as a JSON array.
func appendJSONArray(buf []byte, values arrow.Array, start, end int) ([]byte, error) {
	buf = append(buf, '[')
	var err error
	for k := start; k < end; k++ {
		if k > start {
			buf = append(buf, ',')
		}
		if buf, err = appendJSONValue(buf, values, k); err != nil {
			return buf, err
		}
	}
	return append(buf, ']'), nil
}

// appendJSONFloat appends the shortest decimal that reads back as the same
// float of bitSize. Integral values get ".0" so that a schema inferred from
// the output keeps them float. NaN and infinities cannot be JSON.
func appendJSONFloat(buf []byte, v float64, bitSize int) ([]byte, error) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return buf, fmt.Errorf("float%d value %v cannot be written as JSON (JSON has no NaN or Infinity); replace it with null", bitSize, v)
	}
	n := len(buf)
	buf = strconv.AppendFloat(buf, v, 'g', -1, bitSize)
	for _, c := range buf[n:] {
		if c == '.' || c == 'e' {
			return buf, nil
		}
	}
	return append(buf, '.', '0'), nil
}

// appendBase64 appends b as a JSON string in standard base64, as arrow-go
// and encoding/json write binary values.
func appendBase64(buf, b []byte) []byte {
	buf = append(buf, '"')
	buf = base64.StdEncoding.AppendEncode(buf, b)
	return append(buf, '"')
}

// jsonNoEscape marks the ASCII bytes written as they are in a JSON string.
var jsonNoEscape = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string, escaping quotes,
// backslashes, control characters, U+2028 and U+2029, and replacing
// invalid UTF-8 with U+FFFD as encoding/json does (without its HTML
// escaping of <, > and &).
func appendJSONString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonNoEscape[c] {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			case '\b':
				buf = append(buf, '\\', 'b')
			case '\f':
				buf = append(buf, '\\', 'f')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

// JSONLEncoder writes record batches as JSON lines to an io.Writer, in
// the encoding of .jsonl outputs, for callers that manage their own
// stream (a peek at a dataset, a test dump).
type JSONLEncoder struct{ w *jsonlWriter }

// NewJSONLEncoder returns an encoder of batches of schema to w.
func NewJSONLEncoder(w io.Writer, schema *arrow.Schema) *JSONLEncoder {
	return &JSONLEncoder{w: newJSONLWriter(w, schema, newConfig())}
}

// Write encodes one batch, one line per row.
func (e *JSONLEncoder) Write(rec arrow.RecordBatch) error { return e.w.Write(rec) }

// Flush writes out what is buffered.
func (e *JSONLEncoder) Flush() error { return e.w.flush() }
