package train

import (
	"errors"
	"sync"

	"github.com/robustdata/robustdata/pipeline/safetensors"
)

// machines is what both models hold alike: the lock their methods take,
// the optimiser over their parameters and their three compiled graphs (a
// training step, the losses alone, the representations).
type machines struct {
	mu                sync.Mutex
	opt               *adam
	train, loss, repr *modelGraph
	closed            bool
}

// State returns the parameters and Adam's state (see the model type's
// doc).
func (m *machines) State() ([]safetensors.Tensor, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, errClosed
	}
	return m.opt.state(), nil
}

// SetState restores a State: every tensor must be present with the dtype
// and shape the model needs; other tensors in f are ignored.
func (m *machines) SetState(f *safetensors.File) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return errClosed
	}
	return m.opt.setState(f)
}

// Close releases the model's machines. Later calls fail.
func (m *machines) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	return m.closeGraphs()
}

// graphBuild serialises graph construction: gorgonia keeps package-level
// state while it builds a graph (encoding.NewGroup's counter, among
// others), so two models built at once race inside it.
var graphBuild sync.Mutex

// buildGraphs builds the model's graphs with build, one model at a time
// (the training graph only with train), and closes those built so far
// when one fails.
func (m *machines) buildGraphs(build func(graphKind) (*modelGraph, error), train bool) error {
	graphBuild.Lock()
	defer graphBuild.Unlock()
	var err error
	if train {
		m.train, err = build(graphTrain)
	}
	if err == nil {
		if m.loss, err = build(graphLoss); err == nil {
			m.repr, err = build(graphRepresent)
		}
	}
	if err != nil {
		m.closeGraphs()
	}
	return err
}

// closeGraphs closes the graphs built so far.
func (m *machines) closeGraphs() error {
	return errors.Join(m.train.close(), m.loss.close(), m.repr.close())
}
