//go:build amd64 && !purego

package rsvd

// Assembly kernels (kernels_amd64.s). They need AVX2 and FMA; detectSIMD
// reports whether the CPU and OS provide both. Every kernel performs, element
// by element, exactly the fused multiply-add sequence of its generic
// counterpart in kernels.go, so both paths give bit-identical results.

//go:noescape
func cpuidex(op, op2 uint32) (eax, ebx, ecx, edx uint32)

//go:noescape
func xgetbv0() (eax, edx uint32)

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

//go:noescape
func gemm4x12(k int, a *float64, sat, sak int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func gemm4x8(k int, a *float64, sat, sak int, b *float64, ldb int, c *float64, ldc int)

//go:noescape
func gemm4x4(k int, a *float64, sat, sak int, b *float64, ldb int, c *float64, ldc int)

// detectSIMD reports whether AVX2 and FMA are usable (CPU support and OS
// support for saving the YMM state).
func detectSIMD() bool {
	maxID, _, _, _ := cpuidex(0, 0)
	if maxID < 7 {
		return false
	}
	_, _, ecx1, _ := cpuidex(1, 0)
	const (
		fma     = 1 << 12
		osxsave = 1 << 27
		avx     = 1 << 28
	)
	if ecx1&(fma|osxsave|avx) != fma|osxsave|avx {
		return false
	}
	if xcr0, _ := xgetbv0(); xcr0&6 != 6 { // XMM and YMM state enabled
		return false
	}
	_, ebx7, _, _ := cpuidex(7, 0)
	return ebx7&(1<<5) != 0 // AVX2
}

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

// gemm4SIMD is gemmGeneric for mr = 4 and w a positive multiple of 4.
func gemm4SIMD(w, k int, a []float64, sat, sak int, b []float64, ldb int, c []float64, ldc int) {
	j := 0
	for ; j+12 <= w; j += 12 {
		gemm4x12(k, &a[0], sat, sak, &b[j], ldb, &c[j], ldc)
	}
	if j+8 <= w {
		gemm4x8(k, &a[0], sat, sak, &b[j], ldb, &c[j], ldc)
		j += 8
	}
	if j < w {
		gemm4x4(k, &a[0], sat, sak, &b[j], ldb, &c[j], ldc)
	}
}
