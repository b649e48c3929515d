package rsvd

import (
	"math"

	"github.com/robustdata/robustdata/internal/gemm"
)

// The numerical kernels. Every output element is produced by one fixed chain
// of fused multiply-adds (math.FMA, i.e. a single rounding per step) whose
// order depends only on the data layout, never on how work is split between
// goroutines. The assembly versions (AVX2+FMA on amd64) perform exactly the
// same chain per element, so the results are bit-identical whichever path
// runs. The dense kernel (gemm) is internal/gemm's, shared with the
// partition stage.

// simdAvailable reports whether the assembly kernels are usable (AVX2 and
// FMA, detected once by internal/gemm).
var simdAvailable = gemm.SIMD()

// kernels selects between the assembly and the portable kernels.
type kernels struct{ simd bool }

// gather sets dst[j] = Σ_p val[p]·x[idx[p]·ldx + j] for j < len(dst), the sum
// accumulated in p order starting from +0.
func (k kernels) gather(dst, x []float64, ldx int, idx []int32, val []float32) {
	if k.simd && len(dst)%4 == 0 && len(dst) > 0 {
		gatherSIMD(dst, x, ldx, idx, val)
		return
	}
	gatherGeneric(dst, x, ldx, idx, val)
}

// scatter performs out[idx[p]·ldo + j] += val[p]·xrow[j] for j < len(xrow),
// for p in order.
func (k kernels) scatter(out []float64, ldo int, xrow []float64, idx []int32, val []float32) {
	if k.simd && len(xrow)%4 == 0 && len(xrow) > 0 {
		scatterSIMD(out, ldo, xrow, idx, val)
		return
	}
	scatterGeneric(out, ldo, xrow, idx, val)
}

// gemm performs, for t < mr and j < w, and s = 0..kk-1 in order,
// c[t·ldc + j] += a[t·sat + s·sak] · b[s·ldb + j].
func (k kernels) gemm(mr, w, kk int, a []float64, sat, sak int, b []float64, ldb int, c []float64, ldc int) {
	if w <= 0 || mr <= 0 {
		return
	}
	if k.simd {
		gemm.MulAdd(mr, w, kk, a, sat, sak, b, ldb, c, ldc)
		return
	}
	gemm.MulAddGeneric(mr, w, kk, a, sat, sak, b, ldb, c, ldc)
}

func gatherGeneric(dst, x []float64, ldx int, idx []int32, val []float32) {
	clear(dst)
	w := len(dst)
	for p, c := range idx {
		v := float64(val[p])
		off := int(c) * ldx
		row := x[off : off+w]
		for j, xv := range row {
			dst[j] = math.FMA(v, xv, dst[j])
		}
	}
}

func scatterGeneric(out []float64, ldo int, xrow []float64, idx []int32, val []float32) {
	w := len(xrow)
	for p, c := range idx {
		v := float64(val[p])
		off := int(c) * ldo
		o := out[off : off+w]
		for j, xv := range xrow {
			o[j] = math.FMA(v, xv, o[j])
		}
	}
}
