//go:build amd64 && !purego

package rsvd

// Assembly kernels (kernels_amd64.s). They need AVX2 and FMA; simdAvailable
// (internal/gemm's detection) reports whether the CPU and OS provide both.
// Every kernel performs, element by element, exactly the fused multiply-add
// sequence of its generic counterpart in kernels.go, so both paths give
// bit-identical results.

//go:noescape
func gather32(dst *float64, x *float64, ldx int, idx *int32, val *float32, nnz int)

//go:noescape
func gather16(dst *float64, x *float64, ldx int, idx *int32, val *float32, nnz int)

//go:noescape
func gather4(dst *float64, x *float64, ldx int, idx *int32, val *float32, nnz int)

//go:noescape
func scatter32(out *float64, ldo int, xrow *float64, idx *int32, val *float32, nnz int)

//go:noescape
func scatter16(out *float64, ldo int, xrow *float64, idx *int32, val *float32, nnz int)

//go:noescape
func scatter8(out *float64, ldo int, xrow *float64, idx *int32, val *float32, nnz int)

//go:noescape
func scatter4(out *float64, ldo int, xrow *float64, idx *int32, val *float32, nnz int)

// gatherSIMD is gatherGeneric for len(dst) a positive multiple of 4.
func gatherSIMD(dst, x []float64, ldx int, idx []int32, val []float32) {
	w := len(dst)
	nnz := len(idx)
	if nnz == 0 {
		clear(dst)
		return
	}
	pi, pv := &idx[0], &val[0]
	switch {
	case w >= 32:
		j := 0
		for ; j+32 <= w; j += 32 {
			gather32(&dst[j], &x[j], ldx, pi, pv, nnz)
		}
		if j < w { // overlapping last chunk: recomputes identical values
			gather32(&dst[w-32], &x[w-32], ldx, pi, pv, nnz)
		}
	case w >= 16:
		gather16(&dst[0], &x[0], ldx, pi, pv, nnz)
		if w > 16 {
			gather16(&dst[w-16], &x[w-16], ldx, pi, pv, nnz)
		}
	default:
		for j := 0; j < w; j += 4 {
			gather4(&dst[j], &x[j], ldx, pi, pv, nnz)
		}
	}
}

// scatterSIMD is scatterGeneric for len(xrow) a positive multiple of 4.
func scatterSIMD(out []float64, ldo int, xrow []float64, idx []int32, val []float32) {
	w := len(xrow)
	nnz := len(idx)
	if nnz == 0 {
		return
	}
	pi, pv := &idx[0], &val[0]
	j := 0
	for ; j+32 <= w; j += 32 {
		scatter32(&out[j], ldo, &xrow[j], pi, pv, nnz)
	}
	if j+16 <= w {
		scatter16(&out[j], ldo, &xrow[j], pi, pv, nnz)
		j += 16
	}
	if j+8 <= w {
		scatter8(&out[j], ldo, &xrow[j], pi, pv, nnz)
		j += 8
	}
	if j < w {
		scatter4(&out[j], ldo, &xrow[j], pi, pv, nnz)
	}
}
