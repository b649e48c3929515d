//go:build amd64 && !purego

package gemm

// Assembly kernels (kernels_amd64.s). They need AVX2 and FMA; detectSIMD
// reports whether the CPU and OS provide both. Every kernel performs, element
// by element, exactly the fused multiply-add sequence of MulAddGeneric, so
// both paths give bit-identical results.

//go:noescape
func cpuidex(op, op2 uint32) (eax, ebx, ecx, edx uint32)

//go:noescape
func xgetbv0() (eax, edx uint32)

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

// mulAdd4 is MulAddGeneric for mr = 4 and w a positive multiple of 4, by the
// assembly kernels; the caller has checked SIMD. It panics, as the Go code
// would, if an operand is too short.
func mulAdd4(w, k int, a []float64, sat, sak int, b []float64, ldb int, c []float64, ldc int) {
	if k > 0 {
		_ = a[3*sat+(k-1)*sak]
		_ = b[(k-1)*ldb+w-1]
	}
	_ = c[3*ldc+w-1]
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
