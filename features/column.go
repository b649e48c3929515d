package features

import (
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/robustdata/robustdata/pipeline/stream"
)

// embeddingIndex finds an embedding column and checks that it is a list
// (list, large list or fixed-size list) of float32 or float64.
func embeddingIndex(sc *arrow.Schema, name, source string) (int, error) {
	idx := sc.FieldIndices(name)
	if len(idx) == 0 {
		return 0, &stream.DataError{Source: source, Row: -1, Column: name,
			Err: fmt.Errorf("no such embedding column; the input has %s", fieldNames(sc))}
	}
	t := sc.Field(idx[0]).Type
	if lt, ok := t.(arrow.ListLikeType); ok {
		switch lt.Elem().ID() {
		case arrow.FLOAT32, arrow.FLOAT64, arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
			arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
			return idx[0], nil
		}
	}
	return 0, &stream.DataError{Source: source, Row: -1, Column: name,
		Err: fmt.Errorf("embedding column is %s, expected a list of numbers (float or integer)", t)}
}

func fieldNames(sc *arrow.Schema) string {
	s := ""
	for i, f := range sc.Fields() {
		if i > 0 {
			s += ", "
		}
		s += f.Name
	}
	return s
}

// columnDim reads an embedding column to its end and returns the length
// of its first non-null value.
func columnDim(rd stream.Reader, name, source string) (int, error) {
	idx, err := embeddingIndex(rd.Schema(), name, source)
	if err != nil {
		return 0, err
	}
	if fl, ok := rd.Schema().Field(idx).Type.(*arrow.FixedSizeListType); ok {
		// Still read to the end: a replayed stdin must be spooled whole.
		for {
			if _, err := rd.Read(); err != nil {
				if errors.Is(err, io.EOF) {
					return int(fl.Len()), nil
				}
				return 0, err
			}
		}
	}
	dim := -1
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, err
		}
		if dim >= 0 {
			continue
		}
		col := rec.Column(idx).(array.ListLike)
		for i := 0; i < col.Len(); i++ {
			if col.IsValid(i) {
				s, e := col.ValueOffsets(i)
				dim = int(e - s)
				break
			}
		}
	}
	if dim <= 0 {
		return 0, &stream.DataError{Source: source, Row: -1, Column: name,
			Err: errors.New("no non-empty embedding in the column")}
	}
	return dim, nil
}

// embeddings reads one batch's embedding column.
type embeddings struct {
	col    array.ListLike
	values arrow.Array
	at     func(k int) float64
	dim    int
	ids    *array.String
	name   string
	source string
}

func newEmbeddings(rec arrow.RecordBatch, idx, dim int, source string) (*embeddings, error) {
	col := rec.Column(idx).(array.ListLike)
	e := &embeddings{col: col, dim: dim, name: rec.Schema().Field(idx).Name, source: source, values: col.ListValues()}
	switch v := e.values.(type) {
	case *array.Float32:
		e.at = func(k int) float64 { return float64(v.Value(k)) }
	case *array.Float64:
		e.at = v.Value
	case *array.Int8:
		e.at = func(k int) float64 { return float64(v.Value(k)) }
	case *array.Int16:
		e.at = func(k int) float64 { return float64(v.Value(k)) }
	case *array.Int32:
		e.at = func(k int) float64 { return float64(v.Value(k)) }
	case *array.Int64:
		e.at = func(k int) float64 { return float64(v.Value(k)) }
	case *array.Uint8:
		e.at = func(k int) float64 { return float64(v.Value(k)) }
	case *array.Uint16:
		e.at = func(k int) float64 { return float64(v.Value(k)) }
	case *array.Uint32:
		e.at = func(k int) float64 { return float64(v.Value(k)) }
	case *array.Uint64:
		e.at = func(k int) float64 { return float64(v.Value(k)) }
	default:
		return nil, &stream.DataError{Source: source, Row: -1, Column: e.name,
			Err: fmt.Errorf("embedding values are %s, expected numbers", e.values.DataType())}
	}
	if j := rec.Schema().FieldIndices(stream.DefaultDocIDColumn); len(j) > 0 {
		e.ids, _ = rec.Column(j[0]).(*array.String)
	}
	return e, nil
}

func (e *embeddings) isNull(i int) bool { return e.col.IsNull(i) }

// copyTo copies row i's vector to v, checking its length and values.
func (e *embeddings) copyTo(i int, v []float32) error {
	s, end := e.col.ValueOffsets(i)
	if int(end-s) != e.dim {
		return e.fail(i, fmt.Errorf("embedding has %d values, expected %d (the first row's)", end-s, e.dim))
	}
	for j := range e.dim {
		k := int(s) + j
		if e.values.IsNull(k) {
			return e.fail(i, fmt.Errorf("embedding value %d is null, expected a finite number", j))
		}
		x := e.at(k)
		if !finite(x) {
			return e.fail(i, fmt.Errorf("embedding value %d is %v, expected a finite number", j, x))
		}
		v[j] = float32(x)
	}
	return nil
}

// fail reports a bad embedding, naming the row by its doc_id when known.
func (e *embeddings) fail(i int, err error) error {
	if e.ids != nil && e.ids.IsValid(i) {
		err = fmt.Errorf("doc_id %q: %w", e.ids.Value(i), err)
	}
	return &stream.DataError{Source: e.source, Row: -1, Column: e.name, Err: err}
}
