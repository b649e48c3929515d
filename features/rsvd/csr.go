package rsvd

import (
	"errors"
	"fmt"
	"math"
)

// CSR is a sparse matrix in compressed sparse row form, float32 values.
//
// Row i holds the entries ColIdx[RowPtr[i]:RowPtr[i+1]] with values
// Val[RowPtr[i]:RowPtr[i+1]]. Column indices within a row need not be sorted;
// duplicates are allowed and add up. The matrix must not be modified while a
// function of this package uses it.
type CSR struct {
	Rows, Cols int
	RowPtr     []int64
	ColIdx     []int32
	Val        []float32
}

// Check validates the shape and contents of a: non-negative dimensions that
// fit the index types, len(RowPtr) == Rows+1, RowPtr[0] == 0, RowPtr
// non-decreasing, RowPtr[Rows] == len(ColIdx) == len(Val), every column index
// in [0, Cols) and every value finite. It returns nil for a valid matrix.
func (a *CSR) Check() error {
	if a == nil {
		return errors.New("rsvd: nil matrix")
	}
	if a.Rows < 0 || a.Cols < 0 {
		return fmt.Errorf("rsvd: negative dimensions %d×%d", a.Rows, a.Cols)
	}
	if int64(a.Cols) > math.MaxInt32+1 {
		return fmt.Errorf("rsvd: %d columns exceed the int32 column index range", a.Cols)
	}
	if len(a.RowPtr) != a.Rows+1 {
		return fmt.Errorf("rsvd: len(RowPtr) = %d, want Rows+1 = %d", len(a.RowPtr), a.Rows+1)
	}
	if a.RowPtr[0] != 0 {
		return fmt.Errorf("rsvd: RowPtr[0] = %d, want 0", a.RowPtr[0])
	}
	for i := 0; i < a.Rows; i++ {
		if a.RowPtr[i+1] < a.RowPtr[i] {
			return fmt.Errorf("rsvd: RowPtr decreases at row %d (%d < %d)", i, a.RowPtr[i+1], a.RowPtr[i])
		}
	}
	nnz := a.RowPtr[a.Rows]
	if int64(len(a.ColIdx)) != nnz || int64(len(a.Val)) != nnz {
		return fmt.Errorf("rsvd: RowPtr[Rows] = %d but len(ColIdx) = %d, len(Val) = %d", nnz, len(a.ColIdx), len(a.Val))
	}
	for p, c := range a.ColIdx {
		if c < 0 || int(c) >= a.Cols {
			return fmt.Errorf("rsvd: column index %d at position %d out of range [0, %d)", c, p, a.Cols)
		}
	}
	for p, v := range a.Val {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("rsvd: non-finite value %v at position %d", v, p)
		}
	}
	return nil
}
