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

// scatterChunk is the width of the projection chunk that axpyScatter
// keeps in registers: 32 float32, four AVX registers.
const scatterChunk = 32

// axpyScatter adds weights[p]·x to out[docs[p]·stride:][:len(x)] for
// every p, with the same roundings as axpy (so the same bits). next, when
// not nil, is fetched into the cache (a row chunk a later call reads).
func axpyScatter(x []float32, docs []int32, weights []float32, out []float32, stride int, next *float32) {
	weights = weights[:len(docs)]
	if len(x) == scatterChunk && useAVX && len(docs) > 0 {
		lo, hi := docs[0], docs[0]
		for _, d := range docs {
			lo, hi = min(lo, d), max(hi, d)
		}
		if lo >= 0 && int(hi)*stride+scatterChunk <= len(out) {
			if next == nil {
				next = &x[0]
			}
			axpyScatterAVX(&x[0], &docs[0], &weights[0], len(docs), &out[0], stride*4, next)
			return
		}
	}
	for p, d := range docs {
		o := int(d) * stride
		axpy(weights[p], x, out[o:o+len(x)])
	}
}
