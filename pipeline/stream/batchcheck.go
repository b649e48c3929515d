package stream

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
)

// checkBatch checks a batch decoded from a file before it is handed on:
// arrow-go's IPC readers check little of what they decode, and a column
// longer or shorter than its batch, an offset past its data or a bitmap
// shorter than its array makes the writers and features downstream panic.
// first is the batch's first row in the file; what prefixes the problem.
func checkBatch(name, what string, rec arrow.RecordBatch, first int64) error {
	rows := rec.NumRows()
	for i, col := range rec.Columns() {
		field := rec.Schema().Field(i).Name
		if int64(col.Len()) != rows {
			return &DataError{Source: name, Row: first, Column: field,
				Err: fmt.Errorf("%s: column of %d values in a batch of %d rows", what, col.Len(), rows)}
		}
		if err := checkArray(col, 0); err != nil {
			return &DataError{Source: name, Row: first, Column: field, Err: fmt.Errorf("%s: %w", what, err)}
		}
	}
	return nil
}

// checkArray checks that an array's buffers hold its values and that its
// offsets, children and dictionary indices are in range, recursively.
func checkArray(a arrow.Array, depth int) error {
	if depth > ipcMaxDepth {
		return fmt.Errorf("types nested deeper than %d", ipcMaxDepth)
	}
	d := a.Data()
	if d.Offset() < 0 || d.Len() < 0 || d.NullN() > d.Len() {
		return fmt.Errorf("array of %d values at offset %d with %d nulls", d.Len(), d.Offset(), d.NullN())
	}
	end := int64(d.Offset()) + int64(d.Len())
	bufs := d.Buffers()
	if len(bufs) > 0 && bufs[0] != nil && a.DataType().ID() != arrow.NULL && int64(bufs[0].Len()) < bitutil.BytesForBits(end) {
		return fmt.Errorf("validity bitmap of %d bytes for %d values", bufs[0].Len(), end)
	}
	switch a := a.(type) {
	case *array.Boolean:
		if len(bufs) < 2 || bufs[1] == nil && end > 0 || bufs[1] != nil && int64(bufs[1].Len()) < bitutil.BytesForBits(end) {
			return fmt.Errorf("boolean values too short for %d values", end)
		}
	case *array.FixedSizeBinary:
		w := int64(a.DataType().(*arrow.FixedSizeBinaryType).ByteWidth)
		if len(bufs) < 2 || end > 0 && (bufs[1] == nil || int64(bufs[1].Len())/max(w, 1) < end) {
			return fmt.Errorf("fixed-size binary values too short for %d values", end)
		}
	}
	switch a := a.(type) {
	case *array.String:
		// Not ValidateFull: it also rejects text that is not UTF-8, which
		// the stages read on purpose (features replaces the bad bytes
		// with U+FFFD and says so) and robustdata's own spools carry.
		if err := checkStrings(a, a.ValueOffsets()); err != nil {
			return err
		}
	case *array.LargeString:
		if err := checkStrings(a, a.ValueOffsets()); err != nil {
			return err
		}
	default:
		if v, ok := a.(interface{ ValidateFull() error }); ok {
			if err := v.ValidateFull(); err != nil {
				return err
			}
		}
	}
	switch a := a.(type) {
	case array.ListLike:
		return checkArray(a.ListValues(), depth+1)
	case *array.Struct:
		for i := range a.NumField() {
			if err := checkArray(a.Field(i), depth+1); err != nil {
				return err
			}
		}
	case *array.Dictionary:
		dict := a.Dictionary()
		if err := checkArray(dict, depth+1); err != nil {
			return err
		}
		for i := range a.Len() {
			if a.IsValid(i) {
				if k := a.GetValueIndex(i); k < 0 || k >= dict.Len() {
					return fmt.Errorf("dictionary index %d at %d outside a dictionary of %d values", k, i, dict.Len())
				}
			}
		}
	}
	return nil
}

// checkStrings is ValidateFull of a string array without its UTF-8 check:
// Validate (the first and last offsets within the data), then the offsets
// of the array's values non-negative and never decreasing.
func checkStrings[T int32 | int64](a interface {
	arrow.Array
	Validate() error
}, offsets []T) error {
	if err := a.Validate(); err != nil {
		return err
	}
	if a.Len() == 0 {
		return nil
	}
	off := a.Data().Offset()
	offsets = offsets[off : off+a.Len()+1]
	if offsets[0] < 0 {
		return fmt.Errorf("negative string offset %d", offsets[0])
	}
	for i := 1; i < len(offsets); i++ {
		if offsets[i] < offsets[i-1] {
			return fmt.Errorf("string offsets decrease at value %d: %d < %d", i-1, offsets[i], offsets[i-1])
		}
	}
	return nil
}
