//go:build !amd64 || purego

package rsvd

// detectSIMD reports false: there are no assembly kernels for this platform.
func detectSIMD() bool { return false }

func gatherSIMD(dst, x []float64, ldx int, idx []int32, val []float32) {
	gatherGeneric(dst, x, ldx, idx, val)
}

func scatterSIMD(out []float64, ldo int, xrow []float64, idx []int32, val []float32) {
	scatterGeneric(out, ldo, xrow, idx, val)
}

func gemm4SIMD(w, k int, a []float64, sat, sak int, b []float64, ldb int, c []float64, ldc int) {
	gemmGeneric(4, w, k, a, sat, sak, b, ldb, c, ldc)
}
