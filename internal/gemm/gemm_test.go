package gemm

import (
	"math"
	"math/rand/v2"
	"testing"
)

func fill(r *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = r.NormFloat64()
	}
	return x
}

func sameBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// chain is the reference element: fma over s in order, from +0.
func chain(d int, x func(s int) float64, y func(s int) float64) float64 {
	var v float64
	for s := range d {
		v = math.FMA(x(s), y(s), v)
	}
	return v
}

// withSIMD runs fn with the assembly kernels on and, where they exist,
// off.
func withSIMD(t *testing.T, fn func(t *testing.T)) {
	t.Helper()
	saved := simd
	defer func() { simd = saved }()
	for _, on := range []bool{false, true} {
		if on && !saved {
			continue
		}
		simd = on
		name := "generic"
		if on {
			name = "simd"
		}
		t.Run(name, fn)
	}
}

// The assembly kernel must reproduce the portable one bit for bit, for
// every width decomposition and operand layout.
func TestMulAddMatchesGeneric(t *testing.T) {
	if !simd {
		t.Skip("no SIMD kernels on this machine")
	}
	r := rand.New(rand.NewPCG(5, 6))
	for _, w := range []int{4, 8, 12, 16, 20, 24, 28, 32, 36, 44, 48, 60, 64, 68, 72, 100, 140, 260} {
		ld := w + 8
		kk := 1 + r.IntN(30)
		a := fill(r, 4*kk*3)
		b := fill(r, kk*ld)
		for _, lay := range [][2]int{{1, 4}, {kk, 1}, {3 * kk, 2}} {
			c1 := fill(r, 4*ld)
			c2 := append([]float64(nil), c1...)
			MulAdd(4, w, kk, a, lay[0], lay[1], b, ld, c1, ld)
			MulAddGeneric(4, w, kk, a, lay[0], lay[1], b, ld, c2, ld)
			if !sameBits(c1, c2) {
				t.Errorf("w=%d sat=%d sak=%d differs", w, lay[0], lay[1])
			}
		}
	}
}

// MulNT gives every element its reference chain, bit for bit, whatever
// the shape, strides and row split.
func TestMulNT(t *testing.T) {
	withSIMD(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(7, 8))
		for _, k := range []int{1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 16, 23, 24, 25, 64, 65} {
			for _, d := range []int{0, 1, 3, 17, 152} {
				n := 1 + r.IntN(23)
				ldx, ldc, ldd := d+r.IntN(3), d+r.IntN(3), k+r.IntN(3)
				x := fill(r, n*ldx+1)
				c := fill(r, k*ldc+1)
				p := PackT(c, k, d, ldc)
				if pk, pd := p.Dims(); pk != k || pd != d {
					t.Fatalf("Dims = %d, %d", pk, pd)
				}
				dst := fill(r, n*ldd)
				p.MulNT(dst, ldd, x, n, ldx)
				want := append([]float64(nil), dst...)
				for i := range n {
					for j := range k {
						want[i*ldd+j] = chain(d, func(s int) float64 { return x[i*ldx+s] }, func(s int) float64 { return c[j*ldc+s] })
					}
				}
				if !sameBits(dst, want) {
					t.Fatalf("k=%d d=%d n=%d: differs from the reference chain", k, d, n)
				}
				// Row by row (any split) gives the same bits.
				one := fill(r, n*ldd)
				copy(one, dst)
				for i := range n {
					clear(one[i*ldd : i*ldd+k])
					p.MulNT(one[i*ldd:], ldd, x[i*ldx:], 1, ldx)
				}
				if !sameBits(one, dst) {
					t.Fatalf("k=%d d=%d n=%d: row by row differs", k, d, n)
				}
			}
		}
	})
}

// MulNN gives every element its reference chain, bit for bit.
func TestMulNN(t *testing.T) {
	withSIMD(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(9, 10))
		for _, w := range []int{1, 3, 4, 5, 8, 12, 13, 24, 31, 192} {
			for _, kk := range []int{0, 1, 2, 17, 152} {
				for _, m := range []int{1, 3, 4, 5, 9, 64} {
					lda, ldb, ldd := kk+r.IntN(3), w+r.IntN(5), w+r.IntN(3)
					a := fill(r, m*lda+1)
					b := fill(r, kk*ldb+1)
					dst := fill(r, m*ldd)
					want := append([]float64(nil), dst...)
					MulNN(m, w, kk, a, lda, b, ldb, dst, ldd)
					for i := range m {
						for j := range w {
							want[i*ldd+j] = chain(kk, func(s int) float64 { return a[i*lda+s] }, func(s int) float64 { return b[s*ldb+j] })
						}
					}
					if !sameBits(dst, want) {
						t.Fatalf("m=%d w=%d kk=%d: differs from the reference chain", m, w, kk)
					}
				}
			}
		}
	})
}

// Short operands panic rather than being read out of bounds.
func TestMulAddBounds(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic on a short operand")
		}
	}()
	a := make([]float64, 4*10)
	b := make([]float64, 9*12) // one row short
	c := make([]float64, 4*12)
	MulAdd(4, 12, 10, a, 10, 1, b, 12, c, 12)
}

func BenchmarkMulNT(b *testing.B) {
	const n, d, k = 2048, 152, 64
	r := rand.New(rand.NewPCG(1, 2))
	x, c := fill(r, n*d), fill(r, k*d)
	dst := make([]float64, n*k)
	p := PackT(c, k, d, d)
	for b.Loop() {
		p.MulNT(dst, k, x, n, d)
	}
	b.ReportMetric(2*n*d*k*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFlop/s")
}
