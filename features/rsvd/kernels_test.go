package rsvd

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

// The assembly kernels must reproduce the portable ones bit for bit, for every
// width decomposition they use.
func TestKernelsMatchGeneric(t *testing.T) {
	if !simdAvailable {
		t.Skip("no SIMD kernels on this machine")
	}
	r := rand.New(rand.NewPCG(5, 6))
	fill := func(n int) []float64 {
		x := make([]float64, n)
		for i := range x {
			x[i] = r.NormFloat64()
		}
		return x
	}
	simd, gen := kernels{simd: true}, kernels{simd: false}
	widths := []int{4, 8, 12, 16, 20, 24, 28, 32, 36, 44, 48, 60, 64, 68, 72, 100, 140, 260}
	for _, w := range widths {
		const rows = 50
		ld := w + 8
		x := fill(rows * ld)
		nnz := 1 + r.IntN(40)
		idx := make([]int32, nnz)
		val := make([]float32, nnz)
		for p := range idx {
			idx[p] = int32(r.IntN(rows))
			val[p] = float32(r.NormFloat64())
		}
		// gather
		d1, d2 := fill(w), fill(w)
		simd.gather(d1, x[3:], ld, idx, val)
		gen.gather(d2, x[3:], ld, idx, val)
		if !sameBits(d1, d2) {
			t.Errorf("gather w=%d differs", w)
		}
		// scatter
		o1 := fill(rows * ld)
		o2 := append([]float64(nil), o1...)
		xr := fill(w)
		simd.scatter(o1[2:], ld, xr, idx, val)
		gen.scatter(o2[2:], ld, xr, idx, val)
		if !sameBits(o1, o2) {
			t.Errorf("scatter w=%d differs", w)
		}
		// gemm, both operand layouts used by the package
		kk := 1 + r.IntN(30)
		a := fill(4 * kk * 3)
		b := fill(kk * ld)
		for _, lay := range [][2]int{{1, 4}, {kk, 1}, {3 * kk, 2}} {
			c1 := fill(4 * ld)
			c2 := append([]float64(nil), c1...)
			simd.gemm(4, w, kk, a, lay[0], lay[1], b, ld, c1, ld)
			gen.gemm(4, w, kk, a, lay[0], lay[1], b, ld, c2, ld)
			if !sameBits(c1, c2) {
				t.Errorf("gemm w=%d sat=%d sak=%d differs", w, lay[0], lay[1])
			}
		}
	}
}

// Unsorted column indices and duplicate entries (which add up) are accepted.
func TestUnsortedAndDuplicateEntries(t *testing.T) {
	a := randomSparse(120, 80, 0.1, 9)
	b := &CSR{Rows: a.Rows, Cols: a.Cols, RowPtr: make([]int64, a.Rows+1)}
	r := rand.New(rand.NewPCG(1, 1))
	for i := 0; i < a.Rows; i++ {
		start := len(b.Val)
		for p := a.RowPtr[i]; p < a.RowPtr[i+1]; p++ {
			c, v := a.ColIdx[p], a.Val[p]
			if r.IntN(3) == 0 { // split into two entries that add up exactly
				h := float32(float64(v) / 2)
				b.ColIdx = append(b.ColIdx, c, c)
				b.Val = append(b.Val, h, v-h)
				continue
			}
			b.ColIdx = append(b.ColIdx, c)
			b.Val = append(b.Val, v)
		}
		seg := len(b.Val) - start
		r.Shuffle(seg, func(x, y int) {
			b.ColIdx[start+x], b.ColIdx[start+y] = b.ColIdx[start+y], b.ColIdx[start+x]
			b.Val[start+x], b.Val[start+y] = b.Val[start+y], b.Val[start+x]
		})
		b.RowPtr[i+1] = int64(len(b.Val))
	}
	opts := Options{Rank: 6, PowerIters: 30, Seed: 3}
	ra, err := TruncatedSVD(context.Background(), a, opts)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := TruncatedSVD(context.Background(), b, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ra.S {
		if math.Abs(ra.S[i]-rb.S[i]) > 1e-12*ra.S[0] {
			t.Errorf("σ%d: %v vs %v", i, ra.S[i], rb.S[i])
		}
	}
	if c := subspaceCosines(rb.V, ra.V); c[0] < 1-1e-10 {
		t.Errorf("subspaces differ: min cos %v", c[0])
	}
}
