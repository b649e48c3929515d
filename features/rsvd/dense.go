package rsvd

import (
	"math"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
)

const (
	// gramBlockRows is the number of rows whose contribution to a Gram matrix
	// is accumulated while they are cache resident.
	gramBlockRows = 256
	// gramGroupRows is the number of rows whose Gram contribution forms one
	// partial sum; partial sums are added in group order.
	gramGroupRows = 2048
	// denseRowBlock is the number of rows per task in dense×small products.
	denseRowBlock = 256
	// cholRelPivot is the smallest accepted Cholesky pivot relative to the
	// corresponding diagonal entry of the Gram matrix. The ratio is the
	// squared sine of the angle between a column and the span of the previous
	// ones, so a smaller pivot means an angle below 3e-7 (cond ≳ 3e6), where
	// CholeskyQR stops being trustworthy.
	cholRelPivot = 1e-13
)

// mat64 is a dense row-major matrix whose leading dimension ld is a multiple
// of 4; columns [cols, ld) are padding and are kept exactly zero.
type mat64 struct {
	rows, cols, ld int
	data           []float64
}

func newMat64(rows, cols int) mat64 {
	ld := roundUp4(cols)
	return mat64{rows: rows, cols: cols, ld: ld, data: make([]float64, rows*ld)}
}

func roundUp4(n int) int { return (n + 3) &^ 3 }

// gram returns G = XᵀX as an ld×ld row-major matrix (padding rows/columns
// zero). Rows are cut into fixed groups of gramGroupRows; each group's
// contribution is one partial sum (computed with one FMA chain per entry in
// row order), and the partial sums are added in group order.
func (r *runner) gram(x mat64) ([]float64, error) {
	ld := x.ld
	ng := numBlocks(x.rows, gramGroupRows)
	parts := make([]float64, max(ng, 1)*ld*ld)
	err := r.forBlocks(ng, func(_, g int) {
		acc := parts[g*ld*ld : (g+1)*ld*ld]
		g0, g1 := blockRange(g, gramGroupRows, x.rows)
		for b0 := g0; b0 < g1; b0 += gramBlockRows {
			b1 := min(g1, b0+gramBlockRows)
			for i0 := 0; i0 < ld; i0 += 4 {
				// Upper triangle only: rows i0..i0+3, columns i0..ld-1.
				a := x.data[b0*ld+i0:]
				r.k.gemm(4, ld-i0, b1-b0, a, 1, ld, a, ld, acc[i0*ld+i0:], ld)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	g := parts[:ld*ld]
	for p := 1; p < ng; p++ {
		part := parts[p*ld*ld : (p+1)*ld*ld]
		for i := 0; i < ld; i++ {
			for j := i; j < ld; j++ {
				g[i*ld+j] += part[i*ld+j]
			}
		}
	}
	for i := 0; i < ld; i++ {
		for j := i + 1; j < ld; j++ {
			g[j*ld+i] = g[i*ld+j]
		}
	}
	return g[: ld*ld : ld*ld], nil
}

// mulSmall computes P = X[:, 0:kk] · M[0:kk, 0:wOut], with M row-major with
// leading dimension ldm and wOut a multiple of 4, and stores the first wCopy
// columns of P in out (leading dimension ldo). If tri is set, M is upper
// triangular and its zero part is skipped. out may be x itself (in-place
// update): every 4-row tile is computed into scratch space before it is
// written back.
func (r *runner) mulSmall(x mat64, kk int, m []float64, ldm, wOut int, out []float64, ldo, wCopy int, tri bool) error {
	scratch := make([][]float64, r.workers)
	nb := numBlocks(x.rows, denseRowBlock)
	return r.forBlocks(nb, func(w, b int) {
		if scratch[w] == nil {
			scratch[w] = make([]float64, 4*wOut)
		}
		tmp := scratch[w]
		lo, hi := blockRange(b, denseRowBlock, x.rows)
		for r0 := lo; r0 < hi; r0 += 4 {
			mr := min(4, hi-r0)
			clear(tmp)
			for j0 := 0; j0 < wOut; j0 += 12 {
				cw := min(12, wOut-j0)
				kend := kk
				if tri {
					kend = min(kk, j0+cw)
				}
				r.k.gemm(mr, cw, kend, x.data[r0*x.ld:], x.ld, 1, m[j0:], ldm, tmp[j0:], wOut)
			}
			for t := 0; t < mr; t++ {
				copy(out[(r0+t)*ldo:(r0+t)*ldo+wCopy], tmp[t*wOut:t*wOut+wCopy])
			}
		}
	})
}

// cholUpper computes the upper triangular R with G = RᵀR for the leading k×k
// block of the ld×ld matrix g. It reports false when a pivot is not safely
// positive (see cholRelPivot).
func cholUpper(g []float64, k, ld int) ([]float64, bool) {
	rr := make([]float64, ld*ld)
	for j := 0; j < k; j++ {
		gjj := g[j*ld+j]
		d := gjj
		for i := 0; i < j; i++ {
			d -= rr[i*ld+j] * rr[i*ld+j]
		}
		if !(gjj > 0) || !(d > cholRelPivot*gjj) || math.IsInf(d, 0) {
			return nil, false
		}
		rjj := math.Sqrt(d)
		rr[j*ld+j] = rjj
		for l := j + 1; l < k; l++ {
			s := g[j*ld+l]
			for i := 0; i < j; i++ {
				s -= rr[i*ld+j] * rr[i*ld+l]
			}
			rr[j*ld+l] = s / rjj
		}
	}
	return rr, true
}

// invUpper returns T = R⁻¹ for the leading k×k block of the upper triangular
// ld×ld matrix rr (whose diagonal is positive), as an ld×ld matrix.
func invUpper(rr []float64, k, ld int) []float64 {
	t := make([]float64, ld*ld)
	for j := 0; j < k; j++ {
		t[j*ld+j] = 1 / rr[j*ld+j]
		for i := j - 1; i >= 0; i-- {
			var s float64
			for l := i + 1; l <= j; l++ {
				s += rr[i*ld+l] * t[l*ld+j]
			}
			t[i*ld+j] = -s / rr[i*ld+i]
		}
	}
	return t
}

// cholQRPass replaces X by X·R⁻¹ where RᵀR = XᵀX. It returns the Gram matrix
// used and false (leaving X unchanged) if the Cholesky factorisation failed.
func (r *runner) cholQRPass(x mat64) (g []float64, ok bool, err error) {
	g, err = r.gram(x)
	if err != nil {
		return nil, false, err
	}
	rr, ok := cholUpper(g, x.cols, x.ld)
	if !ok {
		return g, false, nil
	}
	t := invUpper(rr, x.cols, x.ld)
	return g, true, r.mulSmall(x, x.cols, t, x.ld, x.ld, x.data, x.ld, x.ld, true)
}

// orth replaces the columns of X by an orthonormal basis of their span.
//
// With final unset (the normalisation between power iterations, where only
// the span matters) one CholeskyQR pass is done: it preserves the span to
// O(ε·cond(X)) and yields a basis whose condition number is close to 1. With
// final set, CholeskyQR2 (a second pass, and a third if the second pass's
// Gram matrix still shows a loss of orthogonality above 0.1) makes the basis
// orthonormal to working precision. When a Cholesky factorisation fails
// (X numerically rank deficient or cond(X) ≳ 1e6), Householder QR is used.
// It reports whether the Householder fallback was taken.
func (r *runner) orth(x mat64, final bool) (bool, error) {
	_, ok, err := r.cholQRPass(x)
	if err != nil {
		return false, err
	}
	if ok && final {
		var g []float64
		g, ok, err = r.cholQRPass(x)
		if err != nil {
			return false, err
		}
		if ok && offIdentity(g, x.cols, x.ld) > 0.1 {
			_, ok, err = r.cholQRPass(x)
			if err != nil {
				return false, err
			}
		}
	}
	if ok {
		return false, nil
	}
	if err := r.ctx.Err(); err != nil {
		return false, err
	}
	return true, householderOrth(blas64.General{Rows: x.rows, Cols: x.cols, Stride: x.ld, Data: x.data})
}

// offIdentity returns max |G - I| over the leading k×k block.
func offIdentity(g []float64, k, ld int) float64 {
	var d float64
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			v := g[i*ld+j]
			if i == j {
				v -= 1
			}
			d = max(d, math.Abs(v))
		}
	}
	return d
}

// householderOrth overwrites the columns of a (rows >= cols) with the explicit
// thin Q factor of its Householder QR factorisation (LAPACK dgeqrf+dorgqr as
// implemented by gonum). Q is orthonormal to working precision even when a is
// rank deficient; its first j columns span the first j columns of a whenever
// those are linearly independent.
func householderOrth(a blas64.General) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = errorf("householder QR failed: %v", p)
		}
	}()
	if a.Cols == 0 {
		return nil
	}
	tau := make([]float64, a.Cols)
	query := make([]float64, 1)
	lapack64.Geqrf(a, tau, query, -1)
	lwork := max(int(query[0]), a.Cols)
	lapack64.Orgqr(a, tau, query, -1)
	lwork = max(lwork, int(query[0]))
	work := make([]float64, lwork)
	lapack64.Geqrf(a, tau, work, lwork)
	lapack64.Orgqr(a, tau, work, lwork)
	return nil
}
