package train

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Defaults of RegressionConfig.
const (
	regressionDefaultHidden   = 128
	regressionDefaultMaskRate = 0.25
)

// maxModelElements bounds the number of elements of any one tensor of a
// model's graphs (an input, a parameter or an activation), so that a
// mistyped size fails with an error instead of an allocation failure.
const maxModelElements = 1 << 31

// RegressionConfig configures a MaskedRegression. Zero values take the
// defaults shown.
type RegressionConfig struct {
	// K tasks of B examples each per batch; D values per example.
	K, B, D int
	// Hidden is the width of the hidden layer (128).
	Hidden int
	// MaskRate is the share of coordinates masked per example (0.25);
	// round(MaskRate·D), at least 1, are masked.
	MaskRate float64
	// LR is Adam's learning rate (1e-3).
	LR float64
	// Seed seeds the initial parameters.
	Seed uint64
}

// MaskedRegression is the paper's "mask recovery regression": it hides
// part of a vector and regresses the hidden coordinates from the rest.
//
// Per example x (D values) it draws a mask m ∈ {0,1}^D with round(MaskRate·D)
// (at least 1) coordinates set, from a PCG seeded with (Batch.Seed, i) where
// i is the example's row in the batch, and computes
//
//	h = relu([x ⊙ (1−m), m]·w1 + b1)     (Hidden values)
//	y = h·w2 + b2                        (D values)
//	loss = Σ_j m_j (y_j − x_j)² / Σ_j m_j
//
// A task's loss L_k is the mean loss of its B examples; Step descends on
// Σ_k w_k·L_k with Adam. Represent returns h for the input [x, 0] (nothing
// masked).
//
// State holds these float32 tensors (D, H = Hidden):
//
//	regression.w1   [2D, H]   input → hidden; PyTorch nn.Linear(2D, H).weight is its transpose
//	regression.b1   [H]
//	regression.w2   [H, D]    hidden → output; nn.Linear(H, D).weight is its transpose
//	regression.b2   [D]
//	adam.m.<name>, adam.v.<name>   Adam's first and second moments of each parameter (same shapes)
//	adam.t          I64 [1]   Adam's step count
//
// so that, in PyTorch, lin1.weight = w1.T, lin1.bias = b1, and Adam's state
// per parameter is {"step": t, "exp_avg": m (transposed like the weight),
// "exp_avg_sq": v}. The first half of the input row holds the masked vector
// x ⊙ (1−m), the second half the mask m.
//
// A MaskedRegression is safe for use by one goroutine at a time (its methods
// lock it).
type MaskedRegression struct {
	machines
	cfg    RegressionConfig
	n      int // K·B rows
	masked int // coordinates masked per example
	params []*modelParam

	// Inputs, filled in place before every run: the network input, the
	// targets, the per-coordinate loss weights m_j/Σm, the task-mean
	// matrix and the task weights.
	in, x, mw, avg, w *tensor.Dense

	pcg  *rand.PCG
	rng  *rand.Rand
	perm []int
}

var _ Model = (*MaskedRegression)(nil)

// NewMaskedRegression builds the model's graphs for the configured batch
// shape, with parameters drawn from cfg.Seed (Glorot-uniform weights, zero
// biases).
func NewMaskedRegression(cfg RegressionConfig) (*MaskedRegression, error) {
	if cfg.Hidden == 0 {
		cfg.Hidden = regressionDefaultHidden
	}
	if cfg.MaskRate == 0 {
		cfg.MaskRate = regressionDefaultMaskRate
	}
	if cfg.LR == 0 {
		cfg.LR = adamDefaultLR
	}
	if err := checkSizes("masked-regression", []namedSize{{"K", cfg.K}, {"B", cfg.B}, {"D", cfg.D}, {"Hidden", cfg.Hidden}},
		[][]int{{cfg.K, cfg.B, 2 * cfg.D}, {2 * cfg.D, cfg.Hidden}, {cfg.K, cfg.B, cfg.Hidden}, {cfg.K, cfg.K, cfg.B}}); err != nil {
		return nil, err
	}
	if err := checkRates(cfg.MaskRate, cfg.LR); err != nil {
		return nil, err
	}
	d, h := cfg.D, cfg.Hidden
	n := cfg.K * cfg.B
	m := &MaskedRegression{
		cfg:    cfg,
		n:      n,
		masked: maskCount(cfg.MaskRate, d),
		params: []*modelParam{
			newModelParam("regression.w1", 2*d, h),
			newModelParam("regression.b1", h),
			newModelParam("regression.w2", h, d),
			newModelParam("regression.b2", d),
		},
		in:   newInput(n, 2*d),
		x:    newInput(n, d),
		mw:   newInput(n, d),
		avg:  newInput(cfg.K, n),
		w:    newInput(cfg.K),
		pcg:  rand.NewPCG(0, 0),
		perm: make([]int, d),
	}
	m.rng = rand.New(m.pcg)
	initParams(cfg.Seed, m.params, []bool{true, false, true, false})
	m.opt = newAdam(cfg.LR, m.params)
	// Every example counts in its task's mean.
	avg := m.avg.Data().([]float32)
	for k := range cfg.K {
		for i := k * cfg.B; i < (k+1)*cfg.B; i++ {
			avg[k*n+i] = 1 / float32(cfg.B)
		}
	}
	if err := m.buildGraphs(m.build, true); err != nil {
		return nil, fmt.Errorf("robustdata/train: masked-regression: building the graph: %w", err)
	}
	return m, nil
}

// build makes one of the model's graphs and its machine.
func (m *MaskedRegression) build(kind graphKind) (*modelGraph, error) {
	mg := newModelGraph(m.params)
	in := mg.input("input", m.in)
	w1, b1 := mg.param(0), mg.param(1)
	h, err := dense(in, w1, b1)
	if err == nil {
		h, err = gorgonia.Rectify(h)
	}
	if err != nil {
		return nil, err
	}
	mg.hidden = h
	if kind != graphRepresent {
		x, mw, avg := mg.input("x", m.x), mg.input("mask_weights", m.mw), mg.input("task_mean", m.avg)
		y, err := dense(h, mg.param(2), mg.param(3))
		if err != nil {
			return nil, err
		}
		var sq, perExample *gorgonia.Node
		diff, err := gorgonia.Sub(y, x)
		if err == nil {
			sq, err = gorgonia.Square(diff)
		}
		if err == nil {
			sq, err = gorgonia.HadamardProd(sq, mw)
		}
		if err == nil {
			perExample, err = gorgonia.Sum(sq, 1)
		}
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
func (m *MaskedRegression) Step(b *Batch, w []float64) ([]float64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.ready(b); err != nil {
		return nil, err
	}
	if err := setTaskWeights(m.w, w); err != nil {
		return nil, err
	}
	m.fill(b, true)
	return m.train.step(m.opt)
}

// Loss returns each task's mean loss on b (masked as Step masks it)
// without updating the model.
func (m *MaskedRegression) Loss(b *Batch) ([]float64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.ready(b); err != nil {
		return nil, err
	}
	m.fill(b, true)
	return m.loss.losses64()
}

// Represent returns h for every example of b with nothing masked: K·B
// vectors of Hidden values, in the batch's (task-major) order.
func (m *MaskedRegression) Represent(b *Batch) ([][]float32, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.ready(b); err != nil {
		return nil, err
	}
	m.fill(b, false)
	return m.repr.hiddenRows()
}

// ready checks that the model is open and that b fits it.
func (m *MaskedRegression) ready(b *Batch) error {
	if m.closed {
		return errClosed
	}
	if b == nil {
		return errors.New("robustdata/train: masked-regression: nil batch")
	}
	c := m.cfg
	if b.K != c.K || b.B != c.B || b.D != c.D {
		return fmt.Errorf("robustdata/train: masked-regression: batch has K=%d, B=%d, D=%d; the model was built for K=%d, B=%d, D=%d", b.K, b.B, b.D, c.K, c.B, c.D)
	}
	if len(b.X) != m.n*c.D {
		return fmt.Errorf("robustdata/train: masked-regression: batch has %d values, K·B·D = %d", len(b.X), m.n*c.D)
	}
	for j, v := range b.X {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("robustdata/train: masked-regression: example %d (task %d) holds %v at coordinate %d", j/c.D, j/c.D/c.B, v, j%c.D)
		}
	}
	return nil
}

// fill writes b into the input tensors: with masked, each example's mask
// from the PCG (b.Seed, i); without, nothing masked.
func (m *MaskedRegression) fill(b *Batch, masked bool) {
	d := m.cfg.D
	in := m.in.Data().([]float32)
	x := m.x.Data().([]float32)
	mw := m.mw.Data().([]float32)
	copy(x, b.X)
	clear(mw)
	weight := 1 / float32(m.masked)
	for i := range m.n {
		row := in[i*2*d : (i+1)*2*d]
		copy(row[:d], b.X[i*d:(i+1)*d])
		clear(row[d:])
		if !masked {
			continue
		}
		m.pcg.Seed(b.Seed, uint64(i))
		for _, j := range chooseK(m.rng, m.perm, m.masked) {
			row[j] = 0
			row[d+j] = 1
			mw[i*d+j] = weight
		}
	}
}

// ---- shared by the models ----

var errClosed = errors.New("robustdata/train: the model is closed")

// graphKind tells which of a model's graphs to build: the training graph
// (losses and gradients), the loss graph (losses only) or the
// representation graph (hidden layer only).
type graphKind int

const (
	graphTrain graphKind = iota
	graphLoss
	graphRepresent
)

// modelGraph is one gorgonia graph of a model and the tape machine that
// runs it. Its parameter nodes are bound to the model's parameter tensors
// and its input nodes to the model's input tensors, which the model fills
// in place before each run.
type modelGraph struct {
	g      *gorgonia.ExprGraph
	vm     gorgonia.VM
	params []*modelParam
	pnodes []*gorgonia.Node // one per parameter, nil if the graph does not use it
	inputs []graphInput
	losses *gorgonia.Node // L: K values (training and loss graphs)
	hidden *gorgonia.Node // h: K·B × Hidden
}

type graphInput struct {
	node  *gorgonia.Node
	value *tensor.Dense
}

func newModelGraph(params []*modelParam) *modelGraph {
	return &modelGraph{g: gorgonia.NewGraph(), params: params, pnodes: make([]*gorgonia.Node, len(params))}
}

// param returns the node of parameter i, creating it on first use.
func (mg *modelGraph) param(i int) *gorgonia.Node {
	if mg.pnodes[i] == nil {
		p := mg.params[i]
		t := tensor.New(tensor.WithShape(p.shape...), tensor.WithBacking(p.data))
		mg.pnodes[i] = gorgonia.NewTensor(mg.g, tensor.Float32, len(p.shape), gorgonia.WithShape(p.shape...), gorgonia.WithName(p.name), gorgonia.WithValue(t))
	}
	return mg.pnodes[i]
}

// input returns a new input node bound to t.
func (mg *modelGraph) input(name string, t *tensor.Dense) *gorgonia.Node {
	n := gorgonia.NewTensor(mg.g, t.Dtype(), t.Dims(), gorgonia.WithShape(t.Shape()...), gorgonia.WithName(name), gorgonia.WithValue(t))
	mg.inputs = append(mg.inputs, graphInput{n, t})
	return n
}

// differentiate adds cost = Σ_k w_k·L_k and its gradient with respect to
// every parameter.
func (mg *modelGraph) differentiate(w *gorgonia.Node) error {
	cost, err := gorgonia.Mul(mg.losses, w)
	if err != nil {
		return err
	}
	for i, n := range mg.pnodes {
		if n == nil {
			return fmt.Errorf("parameter %s is not in the training graph", mg.params[i].name)
		}
	}
	_, err = gorgonia.Grad(cost, mg.pnodes...)
	return err
}

func (mg *modelGraph) compile() error {
	prog, locMap, err := gorgonia.Compile(mg.g)
	if err != nil {
		return err
	}
	mg.vm = gorgonia.NewTapeMachine(mg.g, gorgonia.WithPrecompiled(prog, locMap))
	return nil
}

func (mg *modelGraph) close() error {
	if mg == nil || mg.vm == nil {
		return nil
	}
	err := mg.vm.Close()
	mg.vm = nil
	return err
}

// run binds the inputs, runs the machine, calls read while the outputs
// are bound to their nodes, and resets the machine.
func (mg *modelGraph) run(read func() error) error {
	for _, in := range mg.inputs {
		if err := gorgonia.Let(in.node, in.value); err != nil {
			return fmt.Errorf("robustdata/train: binding %s: %w", in.node.Name(), err)
		}
	}
	defer mg.vm.Reset()
	if err := mg.vm.RunAll(); err != nil {
		return fmt.Errorf("robustdata/train: running the graph: %w", err)
	}
	return read()
}

// losses64 runs the graph and returns L.
func (mg *modelGraph) losses64() ([]float64, error) {
	var out []float64
	err := mg.run(func() error {
		var err error
		out, err = mg.readLosses()
		return err
	})
	return out, err
}

func (mg *modelGraph) readLosses() ([]float64, error) {
	v, err := float32s(mg.losses.Value())
	if err != nil {
		return nil, fmt.Errorf("robustdata/train: reading the losses: %w", err)
	}
	out := make([]float64, len(v))
	for k, l := range v {
		out[k] = float64(l)
	}
	return out, nil
}

// step runs the training graph and, if every loss is finite, applies one
// Adam step with the gradients. It returns L.
func (mg *modelGraph) step(opt *adam) ([]float64, error) {
	var out []float64
	err := mg.run(func() error {
		var err error
		if out, err = mg.readLosses(); err != nil {
			return err
		}
		for _, l := range out {
			if math.IsNaN(l) || math.IsInf(l, 0) {
				return nil // the caller sees the loss; the model is left as it was
			}
		}
		grads, err := mg.gradients()
		if err != nil {
			return err
		}
		return opt.step(grads)
	})
	return out, err
}

// gradients returns the gradient of every parameter, as computed by the
// last run; the slices are the graph's own, valid until the next run.
func (mg *modelGraph) gradients() ([][]float32, error) {
	grads := make([][]float32, len(mg.pnodes))
	for i, n := range mg.pnodes {
		gv, err := n.Grad()
		if err != nil {
			return nil, fmt.Errorf("robustdata/train: gradient of %s: %w", mg.params[i].name, err)
		}
		g, err := float32s(gv)
		if err != nil {
			return nil, fmt.Errorf("robustdata/train: gradient of %s: %w", mg.params[i].name, err)
		}
		if len(g) != len(mg.params[i].data) {
			return nil, fmt.Errorf("robustdata/train: gradient of %s has %d values, the parameter %d", mg.params[i].name, len(g), len(mg.params[i].data))
		}
		for j, x := range g {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return nil, fmt.Errorf("robustdata/train: the gradient of %s is %v at element %d; lower the learning rate", mg.params[i].name, x, j)
			}
		}
		grads[i] = g
	}
	return grads, nil
}

// hiddenRows runs the graph and returns a copy of h, one row per example.
func (mg *modelGraph) hiddenRows() ([][]float32, error) {
	var out [][]float32
	err := mg.run(func() error {
		h, err := float32s(mg.hidden.Value())
		if err != nil {
			return fmt.Errorf("robustdata/train: reading the representation: %w", err)
		}
		s := mg.hidden.Shape()
		rows, cols := s[0], s[1]
		flat := make([]float32, rows*cols)
		copy(flat, h)
		out = make([][]float32, rows)
		for i := range out {
			out[i] = flat[i*cols : (i+1)*cols : (i+1)*cols]
		}
		return nil
	})
	return out, err
}

func float32s(v gorgonia.Value) ([]float32, error) {
	if v == nil {
		return nil, errors.New("no value")
	}
	f, ok := v.Data().([]float32)
	if !ok {
		return nil, fmt.Errorf("value holds %T, not []float32", v.Data())
	}
	return f, nil
}

// dense returns x·w + b, b broadcast over the rows of x.
func dense(x, w, b *gorgonia.Node) (*gorgonia.Node, error) {
	xw, err := gorgonia.Mul(x, w)
	if err != nil {
		return nil, err
	}
	return gorgonia.BroadcastAdd(xw, b, nil, []byte{0})
}

func newModelParam(name string, shape ...int) *modelParam {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return &modelParam{name: name, shape: shape, data: make([]float32, n)}
}

func newInput(shape ...int) *tensor.Dense {
	return tensor.New(tensor.WithShape(shape...), tensor.Of(tensor.Float32))
}

// initParams draws the parameters from a PCG seeded with seed, in order:
// the weights (weight[i]) Glorot-uniform, U(±√(6/(fan_in+fan_out))) with
// fan_in, fan_out the first and last dimensions; the biases stay zero.
func initParams(seed uint64, params []*modelParam, weight []bool) {
	rng := rand.New(rand.NewPCG(seed, 0x726f627573746461)) // "robustda"
	for i, p := range params {
		if !weight[i] {
			clear(p.data)
			continue
		}
		fanIn, fanOut := p.shape[0], p.shape[len(p.shape)-1]
		limit := math.Sqrt(6 / float64(fanIn+fanOut))
		for j := range p.data {
			p.data[j] = float32((2*rng.Float64() - 1) * limit)
		}
	}
}

// maskCount is round(rate·n), at least 1 and at most n.
func maskCount(rate float64, n int) int {
	return min(n, max(1, int(math.Round(rate*float64(n)))))
}

// chooseK returns k distinct indices of [0, len(perm)) drawn by rng (a
// partial Fisher–Yates shuffle of perm, which it overwrites).
func chooseK(rng *rand.Rand, perm []int, k int) []int {
	for i := range perm {
		perm[i] = i
	}
	for i := range k {
		j := i + rng.IntN(len(perm)-i)
		perm[i], perm[j] = perm[j], perm[i]
	}
	return perm[:k]
}

// setTaskWeights checks w (K finite, non-negative weights) and writes it
// into t.
func setTaskWeights(t *tensor.Dense, w []float64) error {
	dst := t.Data().([]float32)
	if len(w) != len(dst) {
		return fmt.Errorf("robustdata/train: %d task weights for %d tasks", len(w), len(dst))
	}
	for k, v := range w {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return fmt.Errorf("robustdata/train: task %d has weight %v; weights must be finite and non-negative", k, v)
		}
	}
	for k, v := range w {
		dst[k] = float32(v)
	}
	return nil
}

type namedSize struct {
	name string
	v    int
}

// checkSizes checks that every size is positive and that no tensor of the
// given shapes (some products of them) is too large.
func checkSizes(model string, sizes []namedSize, shapes [][]int) error {
	for _, s := range sizes {
		if s.v <= 0 {
			return fmt.Errorf("robustdata/train: %s: %s is %d, it must be positive", model, s.name, s.v)
		}
	}
	for _, shape := range shapes {
		n := 1
		for _, d := range shape {
			if n > maxModelElements/d {
				return fmt.Errorf("robustdata/train: %s: a tensor of shape %v is too large (more than %d elements)", model, shape, maxModelElements)
			}
			n *= d
		}
	}
	return nil
}

func checkRates(maskRate, lr float64) error {
	if !(maskRate > 0 && maskRate <= 1) {
		return fmt.Errorf("robustdata/train: mask rate is %v, it must be in (0, 1]", maskRate)
	}
	if !(lr > 0) || math.IsInf(lr, 0) {
		return fmt.Errorf("robustdata/train: learning rate is %v, it must be positive and finite", lr)
	}
	return nil
}
