package train

import (
	"github.com/robustdata/robustdata/pipeline/schema"
	"github.com/robustdata/robustdata/pipeline/spec"
)

// Settings are the train stage's settings (the run config's train section
// but its strategies list; the train command's flags of the same names).
var Settings = spec.Stage{
	Name: "train",
	Help: "minimax pre-training over the sub-tasks (robustdata train), one run per strategy",
	Settings: []spec.Setting{
		{Key: "objective", Default: ObjectiveRegression, Choices: []string{ObjectiveRegression, ObjectiveToken}, Output: true,
			Help: "masked-regression (vectors) or masked-token (text)"},
		{Key: "tasks", Default: TasksCluster, Choices: []string{TasksCluster, TasksPOS}, Output: true,
			Help: "what makes a task: cluster (the dataset's shard tasks) or pos (the part of speech of the masked word: noun, verb, adjective, adverb, other; masked-token only)"},
		{Key: "steps", Default: DefaultMaxSteps, Min: 1, Output: true,
			Help: "the most training steps (early stopping usually ends the run sooner; with --patience 0, exactly this many)"},
		{Key: "patience", Default: DefaultPatience, Min: 0, Output: true,
			Help: "early stopping: stop once this many validations in a row have not lowered the mean validation loss (0: train all --steps)"},
		{Key: "eval_every", Default: DefaultEvalEvery, Min: 1, Output: true,
			Help: "early stopping: steps between validations on the full held-out split of every task"},
		{Key: "per_task_batch", Default: DefaultPerTaskBatch, Min: 1, Output: true,
			Help: "examples drawn from every task at every step"},
		{Key: "lr", Default: DefaultLR, Output: true, Check: positive, Allow: "positive",
			Help: "Adam learning rate"},
		{Key: "temperature", Default: DefaultTemperature, Output: true, Check: positive, Allow: "positive",
			Help: "minimax temperature μ (small: the worst task; large: the average)"},
		{Key: "temperature_warmup", Default: 0, Min: 0, Output: true,
			Help: "minimax: steps over which the temperature falls from 10 times --temperature to it (0: constant)"},
		{Key: "smoothing", Default: DefaultSmoothing, Output: true, Allow: "in [0, 1)",
			Check: func(v any) bool { f, _ := v.(float64); return f >= 0 && f < 1 },
			Help:  "minimax: weight of the past in the moving average of the task losses"},
		{Key: "eta", Default: 0.0, Output: true, Allow: "at least 0 (0: the strategy's default)",
			Check: func(v any) bool { f, _ := v.(float64); return f >= 0 },
			Help:  "group-dro step (default 0.01) or doremi step (default 1)"},
		{Key: "checkpoint_every", Default: DefaultCheckpointEvery, Min: 1,
			Help: "write a checkpoint every N steps"},
		{Key: "vocab", Default: DefaultVocab, Min: 1, Output: true,
			Help: "masked-token: hashed vocabulary size"},
		{Key: "window", Default: DefaultWindow, Min: 1, Output: true,
			Help: "masked-token: words per window"},
		{Key: "hidden", Default: DefaultHidden, Min: 1, Output: true,
			Help: "hidden units"},
		{Key: "embed", Default: DefaultEmbed, Min: 1, Output: true,
			Help: "masked-token: embedding size"},
		{Key: "samples", Default: DefaultSamples, Min: -1, Output: true,
			Help: "masked-token: negatives of the sampled softmax that trains the output layer (-1, or a vocab under 4 times it: the exact softmax; 0: the default); evaluation always uses the exact softmax"},
		{Key: "vector_col", Default: schema.SemanticColumn, Output: true,
			Help: "masked-regression: the vector column"},
		{Key: "text_col", Default: "", Output: true,
			Help: "masked-token: the text column (empty in a run config: inputs.text_col)"},
	},
}

func positive(v any) bool { f, _ := v.(float64); return f > 0 }
