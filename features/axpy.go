package features

// axpy computes y += a·x element by element, rounding the product and the
// sum separately (never a fused multiply-add), so that every
// implementation — the AVX kernel, gonum's SSE one or this loop — gives
// the same bits.
func axpy(a float32, x, y []float32) {
	y = y[:len(x)]
	if len(x) >= 8 && useAVX {
		axpyAVX(a, &x[0], &y[0], len(x))
		return
	}
	axpyGeneric(a, x, y)
}

func axpyGeneric(a float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] = y[i] + float32(a*v) // the conversion forbids fusing
	}
}
