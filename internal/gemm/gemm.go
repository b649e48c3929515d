package gemm

import "math"

// simd is computed once at package initialisation and never modified
// afterwards.
var simd = detectSIMD()

// SIMD reports whether the assembly kernels (AVX2 and FMA, supported by
// both the CPU and the OS) are in use.
func SIMD() bool { return simd }

// MulAdd performs, for t < mr and j < w, and s = 0, …, kk−1 in order,
//
//	c[t·ldc + j] = fma(a[t·sat + s·sak], b[s·ldb + j], c[t·ldc + j]).
//
// With mr = 4 and w a multiple of 4 it runs the assembly kernel when
// SIMD reports true; otherwise, and in every other shape, MulAddGeneric.
// The results are the same bit for bit.
func MulAdd(mr, w, kk int, a []float64, sat, sak int, b []float64, ldb int, c []float64, ldc int) {
	if w <= 0 || mr <= 0 {
		return
	}
	if simd && mr == 4 && w%4 == 0 {
		mulAdd4(w, kk, a, sat, sak, b, ldb, c, ldc)
		return
	}
	MulAddGeneric(mr, w, kk, a, sat, sak, b, ldb, c, ldc)
}

// MulAddGeneric is MulAdd in portable Go (math.FMA), whatever the CPU.
func MulAddGeneric(mr, w, kk int, a []float64, sat, sak int, b []float64, ldb int, c []float64, ldc int) {
	for t := 0; t < mr; t++ {
		crow := c[t*ldc : t*ldc+w]
		for s := 0; s < kk; s++ {
			av := a[t*sat+s*sak]
			brow := b[s*ldb : s*ldb+w]
			for j, bv := range brow {
				crow[j] = math.FMA(av, bv, crow[j])
			}
		}
	}
}

// panelW is the width of the column panels of a PackedT: that of the
// widest micro-kernel.
const panelW = 12

// PackedT is a k×d row-major matrix C stored transposed (d×k) in panels of
// 12 columns (the last one 4, 8 or 12 wide, zero-padded), ready to be
// multiplied from the left by MulNT. It is read-only once packed, so one
// PackedT may serve any number of goroutines.
type PackedT struct {
	k, d int
	data []float64
}

// PackT packs the k×d row-major matrix c (row i at c[i·ldc:]) for MulNT.
func PackT(c []float64, k, d, ldc int) *PackedT {
	p := &PackedT{k: k, d: d}
	size := 0
	for j0 := 0; j0 < k; j0 += panelW {
		size += d * panelWidth(k-j0)
	}
	p.data = make([]float64, size)
	off := 0
	for j0 := 0; j0 < k; j0 += panelW {
		pw := panelWidth(k - j0)
		panel := p.data[off : off+d*pw]
		for j := 0; j < min(pw, k-j0); j++ {
			row := c[(j0+j)*ldc : (j0+j)*ldc+d]
			for s, v := range row {
				panel[s*pw+j] = v
			}
		}
		off += d * pw
	}
	return p
}

// panelWidth is the width of a panel holding the first min(rest, 12) of
// rest remaining columns: rounded up to a multiple of 4.
func panelWidth(rest int) int {
	return min(panelW, (rest+3)&^3)
}

// Dims returns the k and d the matrix was packed with.
func (p *PackedT) Dims() (k, d int) { return p.k, p.d }

// MulNT sets dst[i·ldd + j] = Σ_s x[i·ldx + s]·c[j·ldc + s] for i < n and
// j < k, i.e. the n×k product X·Cᵀ, where X is n×d row-major (row i at
// x[i·ldx:]) and C the matrix p was packed from. Each element is the chain
// of fused multiply-adds over s = 0, …, d−1 starting from +0, so it does
// not depend on n or on which other rows are in the call.
func (p *PackedT) MulNT(dst []float64, ldd int, x []float64, n, ldx int) {
	k, d := p.k, p.d
	if n <= 0 || k <= 0 {
		return
	}
	if d == 0 {
		for i := range n {
			clear(dst[i*ldd : i*ldd+k])
		}
		return
	}
	var tile [4 * panelW]float64
	i0 := 0
	if simd {
		for ; i0+4 <= n; i0 += 4 {
			a := x[i0*ldx:]
			off := 0
			for j0 := 0; j0 < k; j0 += panelW {
				pw := panelWidth(k - j0)
				panel := p.data[off : off+d*pw]
				off += d * pw
				if j0+pw <= k {
					c := dst[i0*ldd+j0:]
					for t := range 4 {
						clear(c[t*ldd : t*ldd+pw])
					}
					mulAdd4(pw, d, a, ldx, 1, panel, pw, c, ldd)
					continue
				}
				// The last panel is wider than what is left of dst.
				clear(tile[:4*pw])
				mulAdd4(pw, d, a, ldx, 1, panel, pw, tile[:], pw)
				for t := range 4 {
					copy(dst[(i0+t)*ldd+j0:(i0+t)*ldd+k], tile[t*pw:])
				}
			}
		}
	}
	if i0 == n {
		return
	}
	// Remaining rows (all of them without the assembly kernels).
	for i := i0; i < n; i++ {
		clear(dst[i*ldd : i*ldd+k])
	}
	off := 0
	for j0 := 0; j0 < k; j0 += panelW {
		pw := panelWidth(k - j0)
		MulAddGeneric(n-i0, min(pw, k-j0), d, x[i0*ldx:], ldx, 1, p.data[off:off+d*pw], pw, dst[i0*ldd+j0:], ldd)
		off += d * pw
	}
}

// MulNN sets dst[i·ldd + j] = Σ_s a[i·lda + s]·b[s·ldb + j] for i < m and
// j < w, i.e. the m×w product A·B of row-major A (m×kk) and B (kk×w). Each
// element is the chain of fused multiply-adds over s = 0, …, kk−1 starting
// from +0, so it does not depend on m, w or the other rows and columns in
// the call.
func MulNN(m, w, kk int, a []float64, lda int, b []float64, ldb int, dst []float64, ldd int) {
	if m <= 0 || w <= 0 {
		return
	}
	for i := range m {
		clear(dst[i*ldd : i*ldd+w])
	}
	if kk == 0 {
		return
	}
	w4 := w &^ 3
	i0 := 0
	if simd && w4 > 0 {
		for ; i0+4 <= m; i0 += 4 {
			mulAdd4(w4, kk, a[i0*lda:], lda, 1, b, ldb, dst[i0*ldd:], ldd)
		}
	}
	if i0 < m {
		MulAddGeneric(m-i0, w4, kk, a[i0*lda:], lda, 1, b, ldb, dst[i0*ldd:], ldd)
	}
	if w4 < w {
		MulAddGeneric(m, w-w4, kk, a, lda, 1, b[w4:], ldb, dst[w4:], ldd)
	}
}
