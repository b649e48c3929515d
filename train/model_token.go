package train

import (
	"errors"
	"fmt"
	"hash"
	"hash/fnv"
	"math"
	"math/rand/v2"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Defaults of TokenConfig.
const (
	tokenDefaultVocab    = 1 << 14
	tokenDefaultEmbed    = 64
	tokenDefaultHidden   = 128
	tokenDefaultMaskRate = 0.15
)

// TokenConfig configures a MaskedToken. Zero values take the defaults
// shown.
type TokenConfig struct {
	// K tasks of B windows each per batch; W tokens per window.
	K, B, W int
	// Vocab is the number of token ids (1<<14).
	Vocab int
	// Embed is the embedding width (64), Hidden the hidden layer's (128).
	Embed  int
	Hidden int
	// MaskRate is the share of a window's tokens masked (0.15);
	// round(MaskRate·n), at least 1, of its n non-padding tokens.
	MaskRate float64
	// LR is Adam's learning rate (1e-3).
	LR float64
	// Seed seeds the initial parameters.
	Seed uint64
	// Samples, when positive, trains the output layer with a sampled
	// softmax of Samples negative token ids a step (at most Vocab; see
	// MaskedToken); 0 trains with the exact softmax. Loss always uses the
	// exact softmax.
	Samples int
}

// MaskedToken is the masked-token objective for text: it hides some tokens
// of a window and predicts each from the others.
//
// Per example (a window of W token ids, −1 for padding, which is ignored)
// it masks round(MaskRate·n), at least 1, of the window's n non-padding
// tokens, chosen by a PCG seeded with (Batch.Seed, i) where i is the
// example's row in the batch — or exactly the token at position
// Batch.Targets[i] when Targets is set (part-of-speech tasks). Then
//
//	context = mean of embed[t] over the unmasked non-padding tokens t (0 if none)
//	h       = relu(context·w1 + b1)         (Hidden values)
//	logits  = h·w2 + b2                     (Vocab values)
//	loss    = mean over the masked tokens t of −log softmax(logits)[t]
//
// The pooling gathers the embeddings of the window's W positions with
// gorgonia's ByIndices (differentiable in v0.9.18: its gradient adds into
// the rows of embed, repeats summed) and sums them with weights
// 1/n_unmasked at the unmasked tokens and 0 at masked tokens and padding.
// That is the product P·embed with P (K·B × Vocab) holding 1/n_unmasked at
// each unmasked token id (summed over repeats), without the K·B × Vocab
// matrix: 12–15% faster a step at Vocab 4096 and 16384. The loss is a
// fused, numerically stable log-softmax cross-entropy (the row maximum is
// subtracted) against a target matrix (K·B × Vocab) holding 1/n_masked at
// each masked token id. A window with no non-padding token has loss 0 and
// is left out of its task's mean; a task with no such window is an error.
// Represent returns h with nothing masked.
//
// With TokenConfig.Samples = S > 0, Step trains with a sampled softmax
// (Jean et al. 2015) instead, written in Go over gonum's BLAS rather than
// as a gorgonia graph, since the exact output layer (K·B × Hidden × Vocab,
// three times a step) is what a step costs at large vocabularies. The
// candidates of a step are the batch's masked ids T, computed exactly,
// and S distinct negatives drawn uniformly from the other ids (a PCG
// seeded with Batch.Seed, so a step is deterministic), each standing for
// (Vocab − |T|)/S ids; every example shares them:
//
//	lse_i  = log( Σ_{t∈T} exp z_it + (Vocab−|T|)/S · Σ_{s∈N} exp z_is )
//	loss_i = Σ_t target_it·(lse_i − z_it)
//
// an estimate of the exact loss (exact when the candidates cover the
// vocabulary), which Step returns and the strategies weigh. (Negatives
// drawn from the whole vocabulary and scaled per example, as TensorFlow's
// sampled_softmax_loss with a uniform sampler, trained the exact loss up
// instead of down: the model learnt to put mass on the frequent ids the
// few negatives missed.) Its gradient reaches only the output columns of
// the candidates and the embedding rows of the batch's context tokens;
// Adam updates those entries only (lazy Adam, as TensorFlow's LazyAdam and
// PyTorch's SparseAdam: an entry's moments change only at steps that touch
// it; the bias correction uses the global step); token.w1, token.b1 and
// token.b2 get the ordinary Adam update.
//
// State holds these float32 tensors (V = Vocab, E = Embed, H = Hidden):
//
//	token.embed   [V, E]   the embedding table (PyTorch nn.Embedding(V, E).weight)
//	token.w1      [E, H]   context → hidden; nn.Linear(E, H).weight is its transpose
//	token.b1      [H]
//	token.w2      [H, V]   hidden → logits; nn.Linear(H, V).weight is its transpose
//	token.b2      [V]
//	adam.m.<name>, adam.v.<name>   Adam's first and second moments of each parameter (same shapes)
//	adam.t        I64 [1]  Adam's step count
//
// A MaskedToken is safe for use by one goroutine at a time (its methods
// lock it).
type MaskedToken struct {
	machines
	cfg    TokenConfig
	n      int // K·B rows
	params []*modelParam

	// Inputs, filled in place before every run: the token id and pooling
	// weight of every position (K·B·W, 0 for padding), the target matrix,
	// the task-mean matrix and the task weights.
	ids, wts, target, avg, w *tensor.Dense

	pcg      *rand.PCG
	rng      *rand.Rand
	pos      []int // non-padding positions of a window
	perm     []int
	isMasked []bool

	// The masked ids of every example, as fill found them: example i's
	// distinct ids are tID[tOff[i]:tOff[i+1]], with target weights tW;
	// rowW[i] is the example's weight in its task's mean (0 if it has no
	// token).
	tOff []int
	tID  []int32
	tW   []float32
	rowW []float32

	sampled *sampledHead // nil: the exact softmax trains
}

var _ Model = (*MaskedToken)(nil)

// NewMaskedToken builds the model's graphs for the configured batch shape,
// with parameters drawn from cfg.Seed (Glorot-uniform embedding and weights,
// zero biases).
func NewMaskedToken(cfg TokenConfig) (*MaskedToken, error) {
	if cfg.Vocab == 0 {
		cfg.Vocab = tokenDefaultVocab
	}
	if cfg.Embed == 0 {
		cfg.Embed = tokenDefaultEmbed
	}
	if cfg.Hidden == 0 {
		cfg.Hidden = tokenDefaultHidden
	}
	if cfg.MaskRate == 0 {
		cfg.MaskRate = tokenDefaultMaskRate
	}
	if cfg.LR == 0 {
		cfg.LR = adamDefaultLR
	}
	n := cfg.K * cfg.B
	if err := checkSizes("masked-token", []namedSize{{"K", cfg.K}, {"B", cfg.B}, {"W", cfg.W}, {"Vocab", cfg.Vocab}, {"Embed", cfg.Embed}, {"Hidden", cfg.Hidden}},
		[][]int{{cfg.K, cfg.B, cfg.W, cfg.Embed}, {cfg.K, cfg.B, cfg.Vocab}, {cfg.Vocab, cfg.Embed}, {cfg.Vocab, cfg.Hidden}, {cfg.K, cfg.B, cfg.Hidden}, {cfg.K, cfg.B, cfg.Embed}, {cfg.Embed, cfg.Hidden}, {cfg.K, cfg.K, cfg.B}}); err != nil {
		return nil, err
	}
	if cfg.Vocab < 2 {
		// Nothing to predict; gorgonia's gather also mistakes a 1×1 table for a scalar.
		return nil, fmt.Errorf("robustdata/train: masked-token: Vocab is %d, it must be at least 2", cfg.Vocab)
	}
	if cfg.Vocab > math.MaxInt32 {
		return nil, fmt.Errorf("robustdata/train: masked-token: Vocab is %d, token ids are int32", cfg.Vocab)
	}
	if err := checkRates(cfg.MaskRate, cfg.LR); err != nil {
		return nil, err
	}
	v, e, h := cfg.Vocab, cfg.Embed, cfg.Hidden
	m := &MaskedToken{
		cfg: cfg,
		n:   n,
		params: []*modelParam{
			newModelParam("token.embed", v, e),
			newModelParam("token.w1", e, h),
			newModelParam("token.b1", h),
			newModelParam("token.w2", h, v),
			newModelParam("token.b2", v),
		},
		ids:      tensor.New(tensor.WithShape(n*cfg.W), tensor.Of(tensor.Int)),
		wts:      newInput(n, cfg.W, 1),
		target:   newInput(n, v),
		avg:      newInput(cfg.K, n),
		w:        newInput(cfg.K),
		pcg:      rand.NewPCG(0, 0),
		pos:      make([]int, 0, cfg.W),
		perm:     make([]int, cfg.W),
		isMasked: make([]bool, cfg.W),
	}
	m.rng = rand.New(m.pcg)
	initParams(cfg.Seed, m.params, []bool{true, true, false, true, false})
	m.opt = newAdam(cfg.LR, m.params)
	if cfg.Samples < 0 || cfg.Samples > cfg.Vocab {
		return nil, fmt.Errorf("robustdata/train: masked-token: Samples is %d, it must be in [0, Vocab = %d]", cfg.Samples, cfg.Vocab)
	}
	if cfg.Samples > 0 {
		m.sampled = newSampledHead(cfg)
	}
	if err := m.buildGraphs(m.build, m.sampled == nil); err != nil {
		return nil, fmt.Errorf("robustdata/train: masked-token: building the graph: %w", err)
	}
	return m, nil
}

// build makes one of the model's graphs and its machine.
func (m *MaskedToken) build(kind graphKind) (*modelGraph, error) {
	mg := newModelGraph(m.params)
	// context = Σ_p wts[i,p]·embed[ids[i,p]]: gather (K·B·W × Embed),
	// view as K·B × W × Embed, weigh, sum over the window.
	c := m.cfg
	ids := mg.input("token_ids", m.ids)
	wts := mg.input("pool_weights", m.wts)
	var ctx *gorgonia.Node
	emb, err := gorgonia.ByIndices(mg.param(0), ids, 0)
	if err == nil {
		emb, err = gorgonia.Reshape(emb, tensor.Shape{m.n, c.W, c.Embed})
	}
	if err == nil {
		emb, err = gorgonia.BroadcastHadamardProd(emb, wts, nil, []byte{2})
	}
	if err == nil {
		ctx, err = gorgonia.Sum(emb, 1)
	}
	if err != nil {
		return nil, err
	}
	h, err := dense(ctx, mg.param(1), mg.param(2))
	if err == nil {
		h, err = gorgonia.Rectify(h)
	}
	if err != nil {
		return nil, err
	}
	mg.hidden = h
	if kind != graphRepresent {
		target, avg := mg.input("target", m.target), mg.input("task_mean", m.avg)
		logits, err := dense(h, mg.param(3), mg.param(4))
		if err != nil {
			return nil, err
		}
		perExample, err := gorgonia.ApplyOp(softmaxXent{}, logits, target)
		if err == nil {
			mg.losses, err = gorgonia.Mul(avg, perExample)
		}
		if err != nil {
			return nil, err
		}
	}
	if kind == graphTrain {
		if err := mg.differentiate(mg.input("task_weights", m.w)); err != nil {
			return nil, err
		}
	}
	return mg, mg.compile()
}

// Step computes each task's mean loss on b, back-propagates Σ_k w_k·L_k and
// applies one Adam step. If a loss is not finite it returns the losses
// without updating the model.
func (m *MaskedToken) Step(b *Batch, w []float64) ([]float64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.ready(b); err != nil {
		return nil, err
	}
	if err := setTaskWeights(m.w, w); err != nil {
		return nil, err
	}
	if err := m.fill(b, true, m.sampled == nil); err != nil {
		return nil, err
	}
	if m.sampled != nil {
		return m.sampled.step(m, b, w)
	}
	return m.train.step(m.opt)
}

// Loss returns each task's mean loss on b (masked as Step masks it)
// without updating the model.
func (m *MaskedToken) Loss(b *Batch) ([]float64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.ready(b); err != nil {
		return nil, err
	}
	if err := m.fill(b, true, true); err != nil {
		return nil, err
	}
	return m.loss.losses64()
}

// Represent returns h for every window of b with nothing masked (the
// context is the mean embedding of all its tokens): K·B vectors of Hidden
// values, in the batch's (task-major) order.
func (m *MaskedToken) Represent(b *Batch) ([][]float32, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.ready(b); err != nil {
		return nil, err
	}
	if err := m.fill(b, false, false); err != nil {
		return nil, err
	}
	return m.repr.hiddenRows()
}

// ready checks that the model is open and that b fits it.
func (m *MaskedToken) ready(b *Batch) error {
	if m.closed {
		return errClosed
	}
	if b == nil {
		return errors.New("robustdata/train: masked-token: nil batch")
	}
	c := m.cfg
	if b.K != c.K || b.B != c.B || b.W != c.W {
		return fmt.Errorf("robustdata/train: masked-token: batch has K=%d, B=%d, W=%d; the model was built for K=%d, B=%d, W=%d", b.K, b.B, b.W, c.K, c.B, c.W)
	}
	if len(b.Tokens) != m.n*c.W {
		return fmt.Errorf("robustdata/train: masked-token: batch has %d tokens, K·B·W = %d", len(b.Tokens), m.n*c.W)
	}
	for j, t := range b.Tokens {
		if t < -1 || int(t) >= c.Vocab {
			return fmt.Errorf("robustdata/train: masked-token: example %d (task %d) has token id %d at position %d; ids must be in [0, %d) or -1 for padding", j/c.W, j/c.W/c.B, t, j%c.W, c.Vocab)
		}
	}
	if b.Targets != nil && len(b.Targets) != m.n {
		return fmt.Errorf("robustdata/train: masked-token: batch has %d targets for K·B = %d examples", len(b.Targets), m.n)
	}
	return nil
}

// fill writes b's token ids, pooling weights, masked ids (tOff, tID, tW),
// task-mean matrix and example weights (rowW), and with dense the target
// matrix: with masked, each example's masked tokens from Targets or from
// the PCG (b.Seed, i); without, nothing masked (and no targets).
func (m *MaskedToken) fill(b *Batch, masked, dense bool) error {
	c := m.cfg
	v := c.Vocab
	target := m.target.Data().([]float32)
	avg := m.avg.Data().([]float32)
	ids := m.ids.Data().([]int)
	wts := m.wts.Data().([]float32)
	clear(ids)
	clear(wts)
	if dense {
		clear(target)
	}
	clear(avg)
	counts := make([]int, c.K)
	valid := make([]bool, m.n)
	m.tOff = append(m.tOff[:0], 0)
	m.tID, m.tW = m.tID[:0], m.tW[:0]
	m.rowW = append(m.rowW[:0], make([]float32, m.n)...)
	for i := range m.n {
		if i > 0 {
			m.tOff = append(m.tOff, len(m.tID))
		}
		toks := b.Tokens[i*c.W : (i+1)*c.W]
		m.pos = m.pos[:0]
		for p, t := range toks {
			if t >= 0 {
				m.pos = append(m.pos, p)
			}
		}
		if len(m.pos) == 0 {
			continue // no token: loss 0, left out of the task's mean
		}
		clear(m.isMasked)
		nMasked := 0
		switch {
		case !masked:
		case b.Targets != nil:
			p := int(b.Targets[i])
			if p < 0 || p >= c.W || toks[p] < 0 {
				return fmt.Errorf("robustdata/train: masked-token: example %d (task %d): target position %d is not a token of the window", i, i/c.B, b.Targets[i])
			}
			m.isMasked[p] = true
			nMasked = 1
		default:
			m.pcg.Seed(b.Seed, uint64(i))
			nMasked = maskCount(c.MaskRate, len(m.pos))
			for _, j := range chooseK(m.rng, m.perm[:len(m.pos)], nMasked) {
				m.isMasked[m.pos[j]] = true
			}
		}
		row := i * v
		if nUnmasked := len(m.pos) - nMasked; nUnmasked > 0 {
			wt := 1 / float32(nUnmasked)
			for _, p := range m.pos {
				if !m.isMasked[p] {
					ids[i*c.W+p] = int(toks[p])
					wts[i*c.W+p] = wt
				}
			}
		}
		if nMasked > 0 {
			wt := 1 / float32(nMasked)
			first := len(m.tID)
		masks:
			for _, p := range m.pos {
				if !m.isMasked[p] {
					continue
				}
				if dense {
					target[row+int(toks[p])] += wt
				}
				for j := first; j < len(m.tID); j++ {
					if m.tID[j] == toks[p] {
						m.tW[j] += wt
						continue masks
					}
				}
				m.tID = append(m.tID, toks[p])
				m.tW = append(m.tW, wt)
			}
		}
		counts[i/c.B]++
		valid[i] = true
	}
	m.tOff = append(m.tOff, len(m.tID))
	if !masked {
		return nil
	}
	for k, cnt := range counts {
		if cnt == 0 {
			return fmt.Errorf("robustdata/train: masked-token: task %d has no window with a token in this batch; its loss is undefined", k)
		}
		wt := 1 / float32(cnt)
		for i := k * c.B; i < (k+1)*c.B; i++ {
			if valid[i] {
				avg[k*m.n+i] = wt
				m.rowW[i] = wt
			}
		}
	}
	return nil
}

// softmaxXent is a gorgonia op: for logits Z and targets T (both N × V) it
// returns the N values ℓ_i = −Σ_j T_ij·log softmax(Z_i)_j, computed stably
// as Σ_j T_ij·(lse_i − Z_ij) with lse_i = max_i + log Σ_j exp(Z_ij − max_i).
// It is differentiable with respect to Z only:
// ∂ℓ_i/∂Z_ij = softmax(Z_i)_j·Σ_j' T_ij' − T_ij.
//
// gorgonia v0.9.18 has LogSoftMax, but tensor v0.9.24's float32 kernel
// starts every row's maximum at the first element of the whole tensor
// rather than of the row, and takes a logarithm per element; this op fuses
// the log-softmax with the product by the targets.
type softmaxXent struct{}

func (softmaxXent) Arity() int { return 2 }

func (softmaxXent) Type() hm.Type {
	a := hm.TypeVariable('a')
	mat := gorgonia.TensorType{Dims: 2, Of: a}
	return hm.NewFnType(mat, mat, gorgonia.TensorType{Dims: 1, Of: a})
}

func (softmaxXent) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	if len(in) != 2 {
		return nil, fmt.Errorf("softmax cross-entropy takes 2 inputs, got %d", len(in))
	}
	z, ok1 := in[0].(tensor.Shape)
	t, ok2 := in[1].(tensor.Shape)
	if !ok1 || !ok2 || len(z) != 2 || !z.Eq(t) {
		return nil, fmt.Errorf("softmax cross-entropy needs two matrices of one shape, got %v and %v", in[0], in[1])
	}
	return tensor.Shape{z[0]}, nil
}

func (op softmaxXent) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	if len(in) != 2 {
		return nil, fmt.Errorf("softmax cross-entropy takes 2 inputs, got %d", len(in))
	}
	z, t, rows, cols, err := xentInputs(in[0], in[1])
	if err != nil {
		return nil, err
	}
	out := make([]float32, rows)
	modelParallel(rows, max(1, (1<<16)/max(cols, 1)), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			zi, ti := z[i*cols:(i+1)*cols], t[i*cols:(i+1)*cols]
			lse := logSumExp(zi)
			var s float64
			for j, tj := range ti {
				if tj != 0 {
					s += float64(tj) * (lse - float64(zi[j]))
				}
			}
			out[i] = float32(s)
		}
	})
	return tensor.New(tensor.WithShape(rows), tensor.WithBacking(out)), nil
}

func (softmaxXent) ReturnsPtr() bool     { return false }
func (softmaxXent) CallsExtern() bool    { return false }
func (softmaxXent) OverwritesInput() int { return -1 }
func (softmaxXent) String() string       { return "SoftmaxXent" }
func (op softmaxXent) WriteHash(h hash.Hash) {
	h.Write([]byte("robustdata.SoftmaxXent"))
}
func (op softmaxXent) Hashcode() uint32 { return opHash(op) }

func (softmaxXent) DiffWRT(inputs int) []bool {
	out := make([]bool, inputs)
	if inputs > 0 {
		out[0] = true
	}
	return out
}

func (softmaxXent) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if len(inputs) != 2 {
		return nil, fmt.Errorf("softmax cross-entropy takes 2 inputs, got %d", len(inputs))
	}
	dz, err := gorgonia.ApplyOp(softmaxXentGrad{}, inputs[0], inputs[1], grad)
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{dz, nil}, nil
}

// softmaxXentGrad is the gradient of softmaxXent with respect to the
// logits: given Z, T and the gradient g of the N losses, it returns
// dZ_ij = g_i·(softmax(Z_i)_j·Σ_j' T_ij' − T_ij).
type softmaxXentGrad struct{}

func (softmaxXentGrad) Arity() int { return 3 }

func (softmaxXentGrad) Type() hm.Type {
	a := hm.TypeVariable('a')
	mat := gorgonia.TensorType{Dims: 2, Of: a}
	return hm.NewFnType(mat, mat, gorgonia.TensorType{Dims: 1, Of: a}, mat)
}

func (softmaxXentGrad) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	if len(in) != 3 {
		return nil, fmt.Errorf("softmax cross-entropy gradient takes 3 inputs, got %d", len(in))
	}
	z, ok := in[0].(tensor.Shape)
	if !ok || len(z) != 2 {
		return nil, fmt.Errorf("softmax cross-entropy gradient needs a matrix, got %v", in[0])
	}
	return z.Clone(), nil
}

func (softmaxXentGrad) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	if len(in) != 3 {
		return nil, fmt.Errorf("softmax cross-entropy gradient takes 3 inputs, got %d", len(in))
	}
	z, t, rows, cols, err := xentInputs(in[0], in[1])
	if err != nil {
		return nil, err
	}
	g, ok := in[2].Data().([]float32)
	if !ok || len(g) != rows {
		return nil, fmt.Errorf("softmax cross-entropy gradient: the incoming gradient holds %T of shape %v, want %d float32", in[2].Data(), in[2].Shape(), rows)
	}
	dz := make([]float32, rows*cols)
	modelParallel(rows, max(1, (1<<16)/max(cols, 1)), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			zi, ti, di := z[i*cols:(i+1)*cols], t[i*cols:(i+1)*cols], dz[i*cols:(i+1)*cols]
			var sumT float64
			for _, tj := range ti {
				sumT += float64(tj)
			}
			gi := float64(g[i])
			if sumT == 0 || gi == 0 {
				continue // row of zeros
			}
			lse := logSumExp(zi)
			for j, zj := range zi {
				di[j] = float32(gi * (math.Exp(float64(zj)-lse)*sumT - float64(ti[j])))
			}
		}
	})
	return tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(dz)), nil
}

func (softmaxXentGrad) ReturnsPtr() bool     { return false }
func (softmaxXentGrad) CallsExtern() bool    { return false }
func (softmaxXentGrad) OverwritesInput() int { return -1 }
func (softmaxXentGrad) String() string       { return "SoftmaxXentGrad" }
func (op softmaxXentGrad) WriteHash(h hash.Hash) {
	h.Write([]byte("robustdata.SoftmaxXentGrad"))
}
func (op softmaxXentGrad) Hashcode() uint32 { return opHash(op) }

func opHash(op gorgonia.Op) uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

// xentInputs returns the logits and targets of a softmaxXent op.
func xentInputs(zv, tv gorgonia.Value) (z, t []float32, rows, cols int, err error) {
	s := zv.Shape()
	if len(s) != 2 || !s.Eq(tv.Shape()) {
		return nil, nil, 0, 0, fmt.Errorf("softmax cross-entropy needs two matrices of one shape, got %v and %v", s, tv.Shape())
	}
	z, ok1 := zv.Data().([]float32)
	t, ok2 := tv.Data().([]float32)
	if !ok1 || !ok2 {
		return nil, nil, 0, 0, fmt.Errorf("softmax cross-entropy needs float32 values, got %T and %T", zv.Data(), tv.Data())
	}
	rows, cols = s[0], s[1]
	if len(z) != rows*cols || len(t) != rows*cols {
		return nil, nil, 0, 0, fmt.Errorf("softmax cross-entropy: %d and %d values for shape %v", len(z), len(t), s)
	}
	return z, t, rows, cols, nil
}

// logSumExp returns log Σ_j exp(z_j), computed in float64 after
// subtracting the maximum.
func logSumExp(z []float32) float64 {
	mx := float64(z[0])
	for _, v := range z[1:] {
		mx = max(mx, float64(v))
	}
	var s float64
	for _, v := range z {
		s += math.Exp(float64(v) - mx)
	}
	return mx + math.Log(s)
}
