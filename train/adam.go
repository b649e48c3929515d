package train

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/robustdata/robustdata/pipeline/safetensors"
)

// Adam's defaults, as in PyTorch's torch.optim.Adam.
const (
	adamDefaultLR = 1e-3
	adamBeta1     = 0.9
	adamBeta2     = 0.999
	adamEpsilon   = 1e-8
	adamStepName  = "adam.t"
)

// modelParam is one trainable tensor of a model: its checkpoint name, its
// shape (row-major) and its elements. The gorgonia nodes of the model's
// graphs are bound to tensors over data, so that updating data in place
// updates them all.
type modelParam struct {
	name  string
	shape []int
	data  []float32
}

// adam is the Adam optimizer (Kingma and Ba, 2015), written in Go so that
// its state is the model's to save: the first and second moments m and v of
// every parameter and the step count t. Its update is torch.optim.Adam's
// (no weight decay, no AMSGrad):
//
//	m ← β1·m + (1−β1)·g
//	v ← β2·v + (1−β2)·g²
//	p ← p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε)
//
// computed per element in float64 and stored as float32. It is
// deterministic: elements are independent, so splitting them among
// goroutines does not change the result.
type adam struct {
	lr           float64
	beta1, beta2 float64
	eps          float64
	t            int64
	params       []*modelParam
	m, v         [][]float32
}

func newAdam(lr float64, params []*modelParam) *adam {
	a := &adam{lr: lr, beta1: adamBeta1, beta2: adamBeta2, eps: adamEpsilon, params: params}
	for _, p := range params {
		a.m = append(a.m, make([]float32, len(p.data)))
		a.v = append(a.v, make([]float32, len(p.data)))
	}
	return a
}

// step applies one update with the gradients grads (one per parameter, in
// the order of a.params).
func (a *adam) step(grads [][]float32) error {
	if len(grads) != len(a.params) {
		return fmt.Errorf("robustdata/train: adam: %d gradients for %d parameters", len(grads), len(a.params))
	}
	for i, g := range grads {
		if len(g) != len(a.params[i].data) {
			return fmt.Errorf("robustdata/train: adam: gradient of %s has %d values, the parameter %d", a.params[i].name, len(g), len(a.params[i].data))
		}
	}
	a.t++
	t := float64(a.t)
	stepSize := a.lr / (1 - math.Pow(a.beta1, t))
	bc2Sqrt := math.Sqrt(1 - math.Pow(a.beta2, t))
	for i, p := range a.params {
		update := func(lo, hi int) {
			a.updateRange(p.data[lo:hi], grads[i][lo:hi], a.m[i][lo:hi], a.v[i][lo:hi], stepSize, bc2Sqrt)
		}
		modelParallel(len(p.data), 1<<15, update)
	}
	return nil
}

// dense applies the update of step a.t (already counted) to parameter i
// with its whole gradient g.
func (a *adam) dense(i int, g []float32) {
	stepSize, bc2Sqrt := a.corrections()
	p := a.params[i]
	modelParallel(len(p.data), 1<<15, func(lo, hi int) {
		a.updateRange(p.data[lo:hi], g[lo:hi], a.m[i][lo:hi], a.v[i][lo:hi], stepSize, bc2Sqrt)
	})
}

// sparse applies the update of step a.t (already counted) to the elements
// offs (distinct) of parameter i, with gradients g (lazy Adam: the other elements and
// their moments stay as they are).
func (a *adam) sparse(i int, offs []int, g []float32) {
	stepSize, bc2Sqrt := a.corrections()
	p, m, v := a.params[i].data, a.m[i], a.v[i]
	b1, b2, eps := a.beta1, a.beta2, a.eps
	// Distinct offsets: the pieces touch disjoint elements.
	modelParallel(len(offs), 1<<14, func(lo, hi int) {
		for j := lo; j < hi; j++ {
			o := offs[j]
			gj := float64(g[j])
			mj := float32(b1*float64(m[o]) + (1-b1)*gj)
			vj := float32(b2*float64(v[o]) + (1-b2)*gj*gj)
			m[o], v[o] = mj, vj
			p[o] = float32(float64(p[o]) - stepSize*float64(mj)/(math.Sqrt(float64(vj))/bc2Sqrt+eps))
		}
	})
}

// corrections are the step size and √(1−β2ᵗ) of step a.t.
func (a *adam) corrections() (stepSize, bc2Sqrt float64) {
	t := float64(a.t)
	return a.lr / (1 - math.Pow(a.beta1, t)), math.Sqrt(1 - math.Pow(a.beta2, t))
}

func (a *adam) updateRange(p, g, m, v []float32, stepSize, bc2Sqrt float64) {
	b1, b2, eps := a.beta1, a.beta2, a.eps
	for j := range p {
		gj := float64(g[j])
		mj := float32(b1*float64(m[j]) + (1-b1)*gj)
		vj := float32(b2*float64(v[j]) + (1-b2)*gj*gj)
		m[j], v[j] = mj, vj
		p[j] = float32(float64(p[j]) - stepSize*float64(mj)/(math.Sqrt(float64(vj))/bc2Sqrt+eps))
	}
}

// modelParallel calls f over [0, n) split in contiguous pieces of at least
// grain elements, on up to GOMAXPROCS goroutines, and waits for them.
func modelParallel(n, grain int, f func(lo, hi int)) {
	parts := min(runtime.GOMAXPROCS(0), n/max(grain, 1))
	if parts <= 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	for k := range parts {
		lo, hi := k*n/parts, (k+1)*n/parts
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(lo, hi)
		}()
	}
	wg.Wait()
}

// state returns the parameters, then the moments adam.m.<name> and
// adam.v.<name> of every parameter, then adam.t, as checkpoint tensors.
func (a *adam) state() []safetensors.Tensor {
	out := make([]safetensors.Tensor, 0, 3*len(a.params)+1)
	for _, p := range a.params {
		out = append(out, safetensors.F32(p.name, ckptShape(p.shape), p.data))
	}
	for i, p := range a.params {
		out = append(out, safetensors.F32("adam.m."+p.name, ckptShape(p.shape), a.m[i]))
	}
	for i, p := range a.params {
		out = append(out, safetensors.F32("adam.v."+p.name, ckptShape(p.shape), a.v[i]))
	}
	return append(out, safetensors.I64(adamStepName, []int64{1}, []int64{a.t}))
}

// setState restores what state saved from f. It checks every tensor's
// presence, dtype and shape before changing anything, so that a failed
// restore leaves the model as it was. Tensors of other names (a training
// loop's own state in the same file) are ignored.
func (a *adam) setState(f *safetensors.File) error {
	if f == nil {
		return errors.New("robustdata/train: no checkpoint to restore")
	}
	n := len(a.params)
	vals := make([][]float32, 3*n)
	for i, p := range a.params {
		for j, name := range []string{p.name, "adam.m." + p.name, "adam.v." + p.name} {
			v, err := checkpointF32(f, name, p.shape)
			if err != nil {
				return err
			}
			vals[j*n+i] = v
		}
	}
	t, ok := f.Tensor(adamStepName)
	if !ok {
		return fmt.Errorf("robustdata/train: checkpoint has no tensor %s", adamStepName)
	}
	if t.DType != safetensors.DTypeI64 {
		return fmt.Errorf("robustdata/train: checkpoint tensor %s has dtype %s, the model needs %s", adamStepName, t.DType, safetensors.DTypeI64)
	}
	if !ckptSameShape(t.Shape, []int{1}) {
		return fmt.Errorf("robustdata/train: checkpoint tensor %s has shape %v, the model needs [1]", adamStepName, t.Shape)
	}
	steps, err := t.Int64s()
	if err != nil {
		return fmt.Errorf("robustdata/train: checkpoint tensor %s: %w", adamStepName, err)
	}
	if steps[0] < 0 {
		return fmt.Errorf("robustdata/train: checkpoint tensor %s is %d, a step count cannot be negative", adamStepName, steps[0])
	}
	for i, p := range a.params {
		copy(p.data, vals[i])
		copy(a.m[i], vals[n+i])
		copy(a.v[i], vals[2*n+i])
	}
	a.t = steps[0]
	return nil
}

// checkpointF32 returns the values of f's float32 tensor name, which must
// have the given shape.
func checkpointF32(f *safetensors.File, name string, shape []int) ([]float32, error) {
	t, ok := f.Tensor(name)
	if !ok {
		return nil, fmt.Errorf("robustdata/train: checkpoint has no tensor %s", name)
	}
	if t.DType != safetensors.DTypeF32 {
		return nil, fmt.Errorf("robustdata/train: checkpoint tensor %s has dtype %s, the model needs %s", name, t.DType, safetensors.DTypeF32)
	}
	if !ckptSameShape(t.Shape, shape) {
		return nil, fmt.Errorf("robustdata/train: checkpoint tensor %s has shape %v, the model needs %v", name, t.Shape, shape)
	}
	v, err := t.Float32s()
	if err != nil {
		return nil, fmt.Errorf("robustdata/train: checkpoint tensor %s: %w", name, err)
	}
	for j, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, fmt.Errorf("robustdata/train: checkpoint tensor %s holds %v at element %d", name, x, j)
		}
	}
	return v, nil
}

func ckptSameShape(got []int64, want []int) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != int64(want[i]) {
			return false
		}
	}
	return true
}

func ckptShape(s []int) []int64 {
	out := make([]int64, len(s))
	for i, d := range s {
		out[i] = int64(d)
	}
	return out
}
