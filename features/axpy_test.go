package features

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas/blas32"
)

// TestAxpyKernelsAgree checks the AVX kernel, gonum's SSE one and the
// generic loop give the same bits for every length.
func TestAxpyKernelsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n <= 300; n++ {
		x := make([]float32, n)
		y0 := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
			y0[i] = float32(rng.NormFloat64())
		}
		a := float32(rng.NormFloat64())
		yk := append([]float32(nil), y0...)
		yg := append([]float32(nil), y0...)
		yb := append([]float32(nil), y0...)
		axpy(a, x, yk)
		axpyGeneric(a, x, yg)
		if n > 0 {
			blas32.Axpy(a, blas32.Vector{N: n, Inc: 1, Data: x}, blas32.Vector{N: n, Inc: 1, Data: yb})
		}
		for i := range yk {
			if yk[i] != yg[i] || yk[i] != yb[i] {
				t.Fatalf("n=%d i=%d: kernel %v, generic %v, gonum %v (avx %v)", n, i, yk[i], yg[i], yb[i], useAVX)
			}
		}
	}
}

func BenchmarkAxpy128(b *testing.B) {
	x := make([]float32, 128)
	y := make([]float32, 128)
	for i := range x {
		x[i] = float32(i)
	}
	b.Run("kernel", func(b *testing.B) {
		for range b.N {
			axpy(0.5, x, y)
		}
	})
	b.Run("gonum", func(b *testing.B) {
		for range b.N {
			blas32.Axpy(0.5, blas32.Vector{N: 128, Inc: 1, Data: x}, blas32.Vector{N: 128, Inc: 1, Data: y})
		}
	})
}

// TestAxpyScatterAgrees checks the scatter kernel gives the bits of axpy
// applied entry by entry, for the chunk width it keeps in registers and
// for other widths.
func TestAxpyScatterAgrees(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const docs, stride = 50, 96
	for _, n := range []int{scatterChunk, 7, 31, 33} {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		idx := make([]int32, 200)
		w := make([]float32, len(idx))
		for p := range idx {
			idx[p] = int32(rng.IntN(docs))
			w[p] = float32(rng.NormFloat64())
		}
		got := make([]float32, docs*stride)
		for i := range got {
			got[i] = float32(rng.NormFloat64())
		}
		want := append([]float32(nil), got...)
		axpyScatter(x, idx, w, got[5:], stride, &x[0])
		for p, d := range idx {
			o := 5 + int(d)*stride
			axpyGeneric(w[p], x, want[o:o+n])
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("n=%d i=%d: scatter %v, axpy %v (avx %v)", n, i, got[i], want[i], useAVX)
			}
		}
	}
}
