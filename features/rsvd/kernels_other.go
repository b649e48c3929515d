//go:build !amd64 || purego

package rsvd

// There are no gather/scatter assembly kernels for this platform (and
// simdAvailable is false).

func gatherSIMD(dst, x []float64, ldx int, idx []int32, val []float32) {
	gatherGeneric(dst, x, ldx, idx, val)
}

func scatterSIMD(out []float64, ldo int, xrow []float64, idx []int32, val []float32) {
	scatterGeneric(out, ldo, xrow, idx, val)
}
