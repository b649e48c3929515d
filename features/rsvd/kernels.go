package rsvd

import "math"

// The numerical kernels. Every output element is produced by one fixed chain
// of fused multiply-adds (math.FMA, i.e. a single rounding per step) whose
// order depends only on the data layout, never on how work is split between
// goroutines. The assembly versions (AVX2+FMA on amd64) perform exactly the
// same chain per element, so the results are bit-identical whichever path
// runs.

// simdAvailable is computed once at package initialisation and never
// modified afterwards.
var simdAvailable = detectSIMD()

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
	if k.simd && mr == 4 && w%4 == 0 {
		gemm4SIMD(w, kk, a, sat, sak, b, ldb, c, ldc)
		return
	}
	gemmGeneric(mr, w, kk, a, sat, sak, b, ldb, c, ldc)
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

func gemmGeneric(mr, w, kk int, a []float64, sat, sak int, b []float64, ldb int, c []float64, ldc int) {
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
