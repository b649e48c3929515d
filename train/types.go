package train

import (
	"github.com/robustdata/robustdata/pipeline/safetensors"
)

// Batch is one training step's examples: B examples from each of K tasks,
// task-major (the examples of task k are rows k·B .. (k+1)·B−1).
type Batch struct {
	// K is the number of tasks, B the examples per task.
	K, B int
	// D is the width of a vector example (masked-regression); X holds
	// K·B·D values, row-major.
	D int
	X []float32
	// W is the window length of a text example (masked-token); Tokens
	// holds K·B·W token ids in [0, vocabulary), or -1 for padding.
	W      int
	Tokens []int32
	// Targets, for masked-token with part-of-speech tasks, holds per
	// example the position (0..W−1) of the one masked token whose class
	// makes the task; nil lets the model choose the masked positions.
	Targets []int32
	// Seed makes the step's masks: the same batch and seed mask the same
	// coordinates or tokens, so that a resumed run repeats itself.
	Seed uint64
}

// Model is a network trained on one objective.
type Model interface {
	// Step computes each task's mean loss on the batch, back-propagates
	// Σ_k w_k·L_k and applies one optimizer step. It returns the losses
	// computed before the update.
	Step(b *Batch, w []float64) ([]float64, error)
	// Loss returns each task's mean loss without updating the model.
	Loss(b *Batch) ([]float64, error)
	// Represent returns one representation vector per example of the
	// batch, computed without masking (for linear probes downstream).
	Represent(b *Batch) ([][]float32, error)
	// State returns the named tensors (parameters, optimizer moments and
	// step counters) a checkpoint holds; SetState restores them.
	State() ([]safetensors.Tensor, error)
	SetState(f *safetensors.File) error
	// Close releases the model's resources.
	Close() error
}
