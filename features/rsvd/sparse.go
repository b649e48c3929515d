package rsvd

const (
	// spmmRowBlock is the number of matrix rows per parallel task in A·X.
	spmmRowBlock = 256
	// scatterRowChunk is how many rows a scatter task handles between two
	// context checks.
	scatterRowChunk = 4096
)

// mulA computes Y = A·X where X is a.Cols×ld and Y is a.Rows×ld, both dense
// row-major with leading dimension ld (a multiple of 4). Parallel over fixed
// row blocks; each output row is written by exactly one task.
func (r *runner) mulA(a *CSR, x []float64, y []float64, ld int) error {
	nb := numBlocks(a.Rows, spmmRowBlock)
	return r.forBlocks(nb, func(_, b int) {
		lo, hi := blockRange(b, spmmRowBlock, a.Rows)
		for i := lo; i < hi; i++ {
			p0, p1 := a.RowPtr[i], a.RowPtr[i+1]
			r.k.gather(y[i*ld:i*ld+ld], x, ld, a.ColIdx[p0:p1], a.Val[p0:p1])
		}
	})
}

// mulAT computes Z = Aᵀ·X where X is a.Rows×ld and Z is a.Cols×ld. The ld
// columns are cut into fixed slices of width multiple of 4; a task owns one
// slice of Z and streams over all rows of A in order, scattering
// Z[c, slice] += a_ic·X[i, slice]. Every element of Z is therefore the sum
// over rows in increasing row order, whatever the number of workers.
func (r *runner) mulAT(a *CSR, x []float64, z []float64, ld int) error {
	// Clear Z in parallel blocks first.
	nbz := numBlocks(a.Cols, spmmRowBlock*16)
	if err := r.forBlocks(nbz, func(_, b int) {
		lo, hi := blockRange(b, spmmRowBlock*16, a.Cols)
		clear(z[lo*ld : hi*ld])
	}); err != nil {
		return err
	}
	ns := min(r.workers, ld/4)
	if ns < 1 {
		ns = 1
	}
	// slice s covers columns [bounds[s], bounds[s+1]), multiples of 4.
	bounds := make([]int, ns+1)
	for s := 0; s <= ns; s++ {
		bounds[s] = (s * (ld / 4) / ns) * 4
	}
	return r.forBlocks(ns, func(_, s int) {
		j0, j1 := bounds[s], bounds[s+1]
		for i := 0; i < a.Rows; i++ {
			if i%scatterRowChunk == 0 && r.ctx.Err() != nil {
				return
			}
			p0, p1 := a.RowPtr[i], a.RowPtr[i+1]
			r.k.scatter(z[j0:], ld, x[i*ld+j0:i*ld+j1], a.ColIdx[p0:p1], a.Val[p0:p1])
		}
	})
}
