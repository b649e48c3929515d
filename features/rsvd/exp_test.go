package rsvd

import (
	"context"
	"math/rand/v2"
	"slices"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

func madviseHuge(x []float64) error {
	p := uintptr(unsafe.Pointer(&x[0]))
	n := uintptr(len(x) * 8)
	start := (p + (1<<21 - 1)) &^ (1<<21 - 1)
	end := (p + n) &^ (1<<21 - 1)
	if end <= start {
		return nil
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(start)), end-start)
	return syscall.Madvise(b, 14) // MADV_HUGEPAGE
}

func TestExp(t *testing.T) {
	a := zipfTFIDF(100000, 65536, 80, 1)
	ld := 140
	r := rand.New(rand.NewPCG(3, 4))
	mk := func(n int) []float64 {
		x := make([]float64, n*ld)
		for i := range x {
			if i%ld < 138 {
				x[i] = r.NormFloat64()
			}
		}
		return x
	}
	x := mk(a.Cols)
	y := make([]float64, a.Rows*ld)
	z := make([]float64, a.Cols*ld)
	small := &CSR{Rows: a.Rows, Cols: a.Cols, RowPtr: a.RowPtr, ColIdx: slices.Clone(a.ColIdx), Val: a.Val}
	for i := range small.ColIdx {
		small.ColIdx[i] %= 1024
	}
	for _, w := range []int{1, 2} {
		rn := &runner{ctx: context.Background(), workers: w, k: kernels{simd: true}}
		for rep := 0; rep < 2; rep++ {
			t0 := time.Now()
			rn.mulA(a, x, y, ld)
			t1 := time.Now()
			rn.mulA(small, x, y, ld)
			t2 := time.Now()
			rn.mulAT(a, y, z, ld)
			t3 := time.Now()
			rn.mulAT(small, y, z, ld)
			t4 := time.Now()
			t.Logf("w=%d A·X %v  (L2-resident X %v)  Aᵀ·Y %v (L2-resident Z %v)", w, t1.Sub(t0), t2.Sub(t1), t3.Sub(t2), t4.Sub(t3))
		}
	}
	x2 := make([]float64, len(x)+1<<18)
	if err := madviseHuge(x2); err != nil {
		t.Log(err)
	}
	copy(x2, x)
	y2 := make([]float64, len(y)+1<<18)
	madviseHuge(y2)
	z2 := make([]float64, len(z)+1<<18)
	madviseHuge(z2)
	for _, w := range []int{1, 2} {
		rn := &runner{ctx: context.Background(), workers: w, k: kernels{simd: true}}
		for rep := 0; rep < 2; rep++ {
			t0 := time.Now()
			rn.mulA(a, x2, y2, ld)
			t1 := time.Now()
			rn.mulAT(a, y2, z2, ld)
			t2 := time.Now()
			t.Logf("hugepages w=%d A·X %v Aᵀ·Y %v", w, t1.Sub(t0), t2.Sub(t1))
		}
	}
}
