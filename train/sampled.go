package train

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// sampledSeed separates the PCG stream of a step's negative samples from
// the masking's, which uses (Batch.Seed, example).
const sampledSeed = 0x73616d706c6564 // "sampled"

// sampledHead is the sampled-softmax training step of a MaskedToken (see
// its doc): the forward and backward passes written out over gonum's
// BLAS, and the buffers they reuse from step to step.
type sampledHead struct {
	s    int // negatives a step
	blas gonum.Implementation
	pcg  *rand.PCG
	rng  *rand.Rand

	// colOf[id] is the id's row in cand (−1 if none); rowOf[id] its row in
	// the touched embedding rows (−1 if none).
	colOf, rowOf []int32
	cand         []int32 // the batch's masked ids (first nt), then the negatives
	rows         []int32 // the embedding rows the batch's contexts use

	ctx, a, h, dh, dctx []float32 // n×E, n×H, n×H, n×H, n×E
	w2c, gw2c           []float32 // |cand|×H: the output columns of cand, transposed, and their gradient
	b2c, gb2c           []float32 // |cand|
	gb2                 []float32 // Vocab: the output bias's gradient
	gw2                 []float32 // H×Vocab, with denseW2
	zn                  []float32 // n×|cand|: the logits, then their gradient
	znT                 []float32 // |cand|×n: the gradient transposed
	lse                 []float32 // per example: the estimated log-partition
	nt                  int       // the masked ids among cand
	logScale            float32   // log of the ids a negative stands for
	gw1, gb1            []float32
	gemb                []float32 // |rows|×E
	offs                []int     // element offsets of a sparse update
	vals                []float32
}

func newSampledHead(c TokenConfig) *sampledHead {
	n := c.K * c.B
	sh := &sampledHead{
		s:     c.Samples,
		pcg:   rand.NewPCG(0, 0),
		colOf: make([]int32, c.Vocab),
		rowOf: make([]int32, c.Vocab),
		ctx:   make([]float32, n*c.Embed),
		dctx:  make([]float32, n*c.Embed),
		a:     make([]float32, n*c.Hidden),
		h:     make([]float32, n*c.Hidden),
		dh:    make([]float32, n*c.Hidden),
		lse:   make([]float32, n),
		gw1:   make([]float32, c.Embed*c.Hidden),
		gb1:   make([]float32, c.Hidden),
	}
	sh.rng = rand.New(sh.pcg)
	for i := range sh.colOf {
		sh.colOf[i], sh.rowOf[i] = -1, -1
	}
	return sh
}

// step trains m on the batch fill has just written, with task weights w,
// and returns each task's estimated loss; with a loss that is not finite
// it returns the losses without updating the model.
func (sh *sampledHead) step(m *MaskedToken, b *Batch, w []float64) ([]float64, error) {
	defer sh.reset()
	losses := sh.forward(m, b)
	for _, l := range losses {
		if math.IsNaN(l) || math.IsInf(l, 0) {
			return losses, nil
		}
	}
	if err := sh.backward(m, w); err != nil {
		return nil, err
	}
	sh.update(m)
	return losses, nil
}

// forward draws the step's candidates and computes the layers, the
// logits and each task's estimated loss.
func (sh *sampledHead) forward(m *MaskedToken, b *Batch) []float64 {
	c := m.cfg
	n, v, e, hd, s := m.n, c.Vocab, c.Embed, c.Hidden, sh.s
	emb, w1, b1, w2, b2 := m.params[0].data, m.params[1].data, m.params[2].data, m.params[3].data, m.params[4].data
	ids := m.ids.Data().([]int)
	wts := m.wts.Data().([]float32)
	sh.reset()

	// The candidates: the batch's masked ids, then s distinct negatives
	// drawn uniformly from the other ids (fewer when the vocabulary has
	// fewer).
	sh.pcg.Seed(b.Seed, sampledSeed)
	sh.cand = sh.cand[:0]
	for _, t := range m.tID {
		if sh.colOf[t] < 0 {
			sh.colOf[t] = int32(len(sh.cand))
			sh.cand = append(sh.cand, t)
		}
	}
	sh.nt = len(sh.cand)
	rest := v - sh.nt
	ns := min(s, rest)
	for len(sh.cand) < sh.nt+ns {
		t := int32(sh.rng.IntN(v))
		if sh.colOf[t] < 0 {
			sh.colOf[t] = int32(len(sh.cand))
			sh.cand = append(sh.cand, t)
		}
	}
	sh.logScale = 0
	if ns > 0 {
		sh.logScale = float32(math.Log(float64(rest) / float64(ns)))
	}
	nc := len(sh.cand)
	sh.w2c = grow(sh.w2c, nc*hd)
	sh.gw2c = grow(sh.gw2c, nc*hd)
	sh.b2c = grow(sh.b2c, nc)
	sh.gb2c = grow(sh.gb2c, nc)
	for j, t := range sh.cand {
		row := sh.w2c[j*hd : (j+1)*hd]
		for k := range row {
			row[k] = w2[k*v+int(t)]
		}
		sh.b2c[j] = b2[t]
	}

	// Forward: context, hidden layer, logits.
	clear(sh.ctx)
	for i := range n {
		ci := sh.ctx[i*e : (i+1)*e]
		for p := i * c.W; p < (i+1)*c.W; p++ {
			if wt := wts[p]; wt != 0 {
				axpy(wt, emb[ids[p]*e:(ids[p]+1)*e], ci)
			}
		}
	}
	for i := range n {
		copy(sh.a[i*hd:(i+1)*hd], b1)
	}
	sh.blas.Sgemm(blas.NoTrans, blas.NoTrans, n, hd, e, 1, sh.ctx, e, w1, hd, 1, sh.a, hd)
	for j, x := range sh.a {
		sh.h[j] = max(x, 0)
	}
	sh.zn = grow(sh.zn, n*nc)
	for i := range n {
		copy(sh.zn[i*nc:(i+1)*nc], sh.b2c)
	}
	sh.blas.Sgemm(blas.NoTrans, blas.Trans, n, nc, hd, 1, sh.h, hd, sh.w2c, hd, 1, sh.zn, nc)
	perRow := make([]float64, n)
	modelParallel(n, 16, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			perRow[i] = sh.rowLoss(m, i)
		}
	})
	losses := make([]float64, c.K)
	for i, l := range perRow {
		losses[i/c.B] += float64(m.rowW[i]) * l
	}
	return losses
}

// backward computes the gradients of Σ_k w_k·L_k after forward: the
// logits' in place, then the layers'.
func (sh *sampledHead) backward(m *MaskedToken, w []float64) error {
	c := m.cfg
	n, e, hd, nc := m.n, c.Embed, c.Hidden, len(sh.cand)
	w1 := m.params[1].data
	ids := m.ids.Data().([]int)
	wts := m.wts.Data().([]float32)
	modelParallel(n, 16, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			sh.rowGrad(m, i, float32(w[i/c.B])*m.rowW[i])
		}
	})
	// dW2 (candidates) = dZᵀ·h; db2 = column sums of dZ; dh = dZ·W2.
	// (gonum's Sgemm with a transposed A is about 3 times slower than
	// with none: transpose dZ first.)
	sh.znT = grow(sh.znT, nc*n)
	transpose(sh.zn, sh.znT, n, nc)
	sh.blas.Sgemm(blas.NoTrans, blas.NoTrans, nc, hd, n, 1, sh.znT, n, sh.h, hd, 0, sh.gw2c, hd)
	clear(sh.gb2c)
	for i := range n {
		axpy(1, sh.zn[i*nc:(i+1)*nc], sh.gb2c)
	}
	sh.blas.Sgemm(blas.NoTrans, blas.NoTrans, n, hd, nc, 1, sh.zn, nc, sh.w2c, hd, 0, sh.dh, hd)
	// Through the ReLU to w1, b1 and the context.
	for j, x := range sh.a {
		if x <= 0 {
			sh.dh[j] = 0
		}
	}
	sh.blas.Sgemm(blas.Trans, blas.NoTrans, e, hd, n, 1, sh.ctx, e, sh.dh, hd, 0, sh.gw1, hd)
	clear(sh.gb1)
	for i := range n {
		axpy(1, sh.dh[i*hd:(i+1)*hd], sh.gb1)
	}
	sh.blas.Sgemm(blas.NoTrans, blas.Trans, n, e, hd, 1, sh.dh, hd, w1, hd, 0, sh.dctx, e)
	// The embedding rows of the contexts.
	sh.rows = sh.rows[:0]
	for p, wt := range wts {
		if wt != 0 && sh.rowOf[ids[p]] < 0 {
			sh.rowOf[ids[p]] = int32(len(sh.rows))
			sh.rows = append(sh.rows, int32(ids[p]))
		}
	}
	sh.gemb = grow(sh.gemb, len(sh.rows)*e)
	clear(sh.gemb)
	for p, wt := range wts {
		if wt != 0 {
			r := int(sh.rowOf[ids[p]])
			i := p / c.W
			axpy(wt, sh.dctx[i*e:(i+1)*e], sh.gemb[r*e:(r+1)*e])
		}
	}
	for _, g := range [][]float32{sh.gw1, sh.gb1, sh.gw2c, sh.gb2c, sh.gemb} {
		for j, x := range g {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return fmt.Errorf("robustdata/train: masked-token: a gradient is %v at element %d; lower the learning rate", x, j)
			}
		}
	}
	return nil
}

// update applies Adam after backward: dense for w1 and b1, lazy for the
// embedding rows and output columns touched.
func (sh *sampledHead) update(m *MaskedToken) {
	e, hd, v := m.cfg.Embed, m.cfg.Hidden, m.cfg.Vocab
	opt := m.opt
	opt.t++
	opt.dense(1, sh.gw1)
	opt.dense(2, sh.gb1)
	sh.offs, sh.vals = sh.offs[:0], sh.vals[:0]
	for r, id := range sh.rows {
		for k := range e {
			sh.offs = append(sh.offs, int(id)*e+k)
		}
		sh.vals = append(sh.vals, sh.gemb[r*e:(r+1)*e]...)
	}
	opt.sparse(0, sh.offs, sh.vals)
	if denseW2 {
		sh.gw2 = grow(sh.gw2, hd*v)
		clear(sh.gw2)
		for k := range hd {
			for j, t := range sh.cand {
				sh.gw2[k*v+int(t)] = sh.gw2c[j*hd+k]
			}
		}
		opt.dense(3, sh.gw2)
	} else {
		sh.offs, sh.vals = sh.offs[:0], sh.vals[:0]
		for k := range hd {
			for j, t := range sh.cand {
				sh.offs = append(sh.offs, k*v+int(t))
				sh.vals = append(sh.vals, sh.gw2c[j*hd+k])
			}
		}
		opt.sparse(3, sh.offs, sh.vals)
	}
	// The output bias: dense (its moments carry every id's push down
	// from step to step, which the vocabulary's ids outside a step's
	// negatives need; V values, cheap).
	sh.gb2 = grow(sh.gb2, v)
	clear(sh.gb2)
	for j, t := range sh.cand {
		sh.gb2[t] = sh.gb2c[j]
	}
	opt.dense(4, sh.gb2)
}

// rowLoss computes example i's estimated log-partition (lse) and returns
// its loss; 0 for an example without masked ids.
func (sh *sampledHead) rowLoss(m *MaskedToken, i int) float64 {
	lo, hi := m.tOff[i], m.tOff[i+1]
	if lo == hi {
		return 0
	}
	nc := len(sh.cand)
	zi := sh.zn[i*nc : (i+1)*nc]
	// The negatives stand for logScale more ids each.
	for j := sh.nt; j < nc; j++ {
		zi[j] += sh.logScale
	}
	lse := logSumExp(zi)
	sh.lse[i] = float32(lse)
	var loss float64
	for j := lo; j < hi; j++ {
		loss += float64(m.tW[j]) * (lse - float64(zi[sh.colOf[m.tID[j]]]))
	}
	return loss
}

// rowGrad turns example i's (scaled) logits into their gradients in
// place, for an incoming gradient g of its loss: g·(p·Σ target − target),
// p the estimated softmax.
func (sh *sampledHead) rowGrad(m *MaskedToken, i int, g float32) {
	nc := len(sh.cand)
	lo, hi := m.tOff[i], m.tOff[i+1]
	zi := sh.zn[i*nc : (i+1)*nc]
	if lo == hi || g == 0 {
		clear(zi)
		return
	}
	var sumT float64
	for j := lo; j < hi; j++ {
		sumT += float64(m.tW[j])
	}
	lse, gf := float64(sh.lse[i]), float64(g)
	for j, z := range zi {
		zi[j] = float32(gf * math.Exp(float64(z)-lse) * sumT)
	}
	for j := lo; j < hi; j++ {
		zi[sh.colOf[m.tID[j]]] -= float32(gf * float64(m.tW[j]))
	}
}

// reset clears the id maps for the next step.
func (sh *sampledHead) reset() {
	for _, t := range sh.cand {
		sh.colOf[t] = -1
	}
	for _, t := range sh.rows {
		sh.rowOf[t] = -1
	}
}

func grow(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}

// axpy adds a·x to y.
func axpy(a float32, x, y []float32) {
	y = y[:len(x)]
	for j, xj := range x {
		y[j] += a * xj
	}
}

func dot(x, y []float32) float32 {
	y = y[:len(x)]
	var s float32
	for j, xj := range x {
		s += xj * y[j]
	}
	return s
}

// denseW2 gives token.w2 the ordinary Adam update (a dense gradient, zero
// outside the candidates) instead of the lazy one: a switch for
// comparing the two, off.
const denseW2 = false

// transpose writes the rows×cols matrix a into t (cols×rows), in tiles.
func transpose(a, t []float32, rows, cols int) {
	const tile = 32
	for i0 := 0; i0 < rows; i0 += tile {
		for j0 := 0; j0 < cols; j0 += tile {
			for i := i0; i < min(i0+tile, rows); i++ {
				for j := j0; j < min(j0+tile, cols); j++ {
					t[j*rows+i] = a[i*cols+j]
				}
			}
		}
	}
}
