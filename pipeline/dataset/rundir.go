package dataset

import "path/filepath"

// The train run folder: what `robustdata train -o DIR` writes and what
// eval, mix, report and the pipeline read back.

// Files of a run folder.
const (
	ModelJSON      = "model.json"
	CheckpointFile = "checkpoint.safetensors"
	TrainLogFile   = "train_log.parquet"
	WeightsFile    = "weights.json"
	EvalFile       = "eval.json"
)

// LogRow is one row of train_log.parquet: a task's loss and weight at a
// step.
type LogRow struct {
	Step   int64   `parquet:"step"`
	Task   int32   `parquet:"task"`
	Loss   float64 `parquet:"loss"`
	Weight float64 `parquet:"weight"`
}

// Weights is weights.json: the final and the time-averaged task weights
// (the data mixture to feed a large pre-training run).
type Weights struct {
	Strategy string    `json:"strategy"`
	Final    []float64 `json:"final"`
	Average  []float64 `json:"average"`
	Sizes    []int64   `json:"task_rows"`
}

// Eval is eval.json: validation loss per task, their mean and the worst.
// Run also fills the training's length: the steps trained, and with
// early stopping whether it stopped before Config.Steps, the step of the
// best mean validation loss and every validation.
type Eval struct {
	Tasks     []TaskEval `json:"tasks"`
	Mean      float64    `json:"mean"`
	Worst     float64    `json:"worst"`
	WorstTask int        `json:"worst_task"`
	// Steps is the number of steps the evaluated model was trained for.
	Steps int `json:"steps,omitempty"`
	// StoppedEarly tells that early stopping ended the run before
	// Config.Steps.
	StoppedEarly bool `json:"stopped_early,omitempty"`
	// BestStep is the step whose validation had the lowest mean loss.
	BestStep int `json:"best_step,omitempty"`
	// Validations are early stopping's validations, in step order.
	Validations []Validation `json:"validations,omitempty"`
}

// Validation is one validation of early stopping: after Step steps, the
// mean and the worst validation loss over the tasks.
type Validation struct {
	Step  int     `json:"step"`
	Mean  float64 `json:"mean"`
	Worst float64 `json:"worst"`
}

// TaskEval is one task of an Eval.
type TaskEval struct {
	Task int     `json:"task"`
	Rows int     `json:"rows"`
	Loss float64 `json:"loss"`
}

// ProbeResult is a linear probe's accuracy on a downstream set.
type ProbeResult struct {
	Name     string  `json:"name"`
	Train    int     `json:"train_rows"`
	Test     int     `json:"test_rows"`
	Classes  int     `json:"classes"`
	Accuracy float64 `json:"accuracy"`
	// Unlabelled counts the rows read whose label is null: they are not
	// probed.
	Unlabelled int `json:"unlabelled_rows"`
}

// TrainJournalFile is the training log being written: the rows of
// train_log.parquet up to the last checkpoint, appended at each checkpoint
// (a Parquet file cannot be appended to, and rewriting it whole at every
// checkpoint costs time quadratic in the run's length). It is removed
// once train_log.parquet is written at the end of the run; --resume reads
// it to continue.
const TrainJournalFile = ".train_log.journal"

// RunEval is one run's entry of `robustdata eval --json` (eval/eval.json
// in a pipeline output): its validation losses and its downstream probes.
type RunEval struct {
	*Eval
	Downstream []*ProbeResult `json:"downstream,omitempty"`
}

// RunDir is a train run folder (robustdata train -o DIR).
type RunDir string

// File is the path of one of the run's files (ModelJSON, EvalFile…).
func (d RunDir) File(name string) string { return filepath.Join(string(d), name) }
