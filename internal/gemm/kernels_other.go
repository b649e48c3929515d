//go:build !amd64 || purego

package gemm

// detectSIMD reports false: there are no assembly kernels for this platform.
func detectSIMD() bool { return false }

func mulAdd4(w, k int, a []float64, sat, sak int, b []float64, ldb int, c []float64, ldc int) {
	MulAddGeneric(4, w, k, a, sat, sak, b, ldb, c, ldc)
}
