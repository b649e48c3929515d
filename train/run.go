package train

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/robustdata/robustdata/pipeline/schema"

	"github.com/robustdata/robustdata/pipeline/dataset"

	"github.com/parquet-go/parquet-go"

	"github.com/robustdata/robustdata/pipeline/safetensors"
	"github.com/robustdata/robustdata/pipeline/stream"
)

// Defaults of Config.
const (
	DefaultSteps           = 500
	DefaultPerTaskBatch    = 32
	DefaultLR              = 1e-3
	DefaultCheckpointEvery = 100
	DefaultVocab           = 1 << 14
	DefaultHidden          = 128
	DefaultEmbed           = 64
	// MaxEvalRows bounds the held-out rows of a task that evaluation
	// reads: far above the validation split of a proxy-sized dataset, so
	// evaluation covers the full split, while memory stays bounded.
	MaxEvalRows = 1 << 20
	// DefaultMaxSteps is the CLI's --steps: the most steps of a run that
	// early stopping (DefaultPatience) usually ends sooner.
	DefaultMaxSteps = 5000
	// DefaultPatience is the CLI's --patience: a run stops once this many
	// validations in a row, DefaultEvalEvery steps apart, have not lowered
	// the mean validation loss by EarlyStopTolerance.
	DefaultPatience  = 3
	DefaultEvalEvery = 100
	// EarlyStopTolerance is the relative drop of the mean validation loss
	// below its best that counts as an improvement.
	EarlyStopTolerance = 1e-3
	// DefaultSamples is the number of negatives of the masked-token
	// objective's sampled softmax; vocabularies under 4·DefaultSamples
	// train with the exact softmax.
	DefaultSamples = 1024
)

// Config configures a training run. Its JSON form is the run's model.json.
type Config struct {
	Dataset   string  `json:"dataset"`
	Objective string  `json:"objective"`
	Tasks     string  `json:"tasks"` // TasksCluster or TasksPOS
	Strategy  string  `json:"strategy"`
	Temp      float64 `json:"temperature"`
	Smoothing float64 `json:"smoothing"`
	// TempWarmup is minimax's temperature schedule: the steps over which
	// μ falls from WarmupFactor·μ to Temp (0: Temp throughout).
	TempWarmup int     `json:"temperature_warmup,omitempty"`
	Eta        float64 `json:"eta,omitempty"`
	Reference  string  `json:"reference,omitempty"`
	// Steps is the most training steps (all of them when Patience is 0).
	Steps int `json:"steps"`
	// Patience turns early stopping on: every EvalEvery steps the model is
	// evaluated on the full validation split of every task, and the run
	// stops once Patience validations in a row have not lowered the mean
	// validation loss below (1 − EarlyStopTolerance)·best. 0: off (the
	// library's default; the CLI's is DefaultPatience).
	Patience int `json:"patience,omitempty"`
	// EvalEvery is the steps between validations of early stopping
	// (0: DefaultEvalEvery).
	EvalEvery int     `json:"eval_every,omitempty"`
	PerTask   int     `json:"per_task_batch"`
	LR        float64 `json:"lr"`
	Seed      uint64  `json:"seed"`
	Vocab     int     `json:"vocab,omitempty"`
	Window    int     `json:"window,omitempty"`
	Hidden    int     `json:"hidden"`
	Embed     int     `json:"embed,omitempty"`
	// Samples is the number of negatives of the masked-token sampled
	// softmax in training (0: DefaultSamples; negative, or a vocabulary
	// under 4·Samples: the exact softmax, stored as −1). Evaluation always
	// uses the exact softmax.
	Samples   int    `json:"samples,omitempty"`
	VectorCol string `json:"vector_col,omitempty"`
	TextCol   string `json:"text_col,omitempty"`
	// Dim is the vector width (masked-regression), read from the dataset.
	Dim int `json:"dim,omitempty"`
	// TaskCount is K, the number of tasks the model was built for.
	TaskCount int `json:"task_count"`
	// DatasetManifest is the sha256 of the dataset's manifest.json.
	DatasetManifest string `json:"dataset_manifest_sha256"`

	CheckpointEvery int  `json:"-"`
	Resume          bool `json:"-"`
	// Overwrite replaces a run the folder already holds; without it (or
	// Resume) Run refuses such a folder with ErrExists.
	Overwrite bool         `json:"-"`
	RunDir    string       `json:"-"`
	Log       *slog.Logger `json:"-"`
	// Tokenize splits texts into hashed word ids (masked-token).
	Tokenize func(string) []uint64 `json:"-"`
	// Progress, when set, is called after every step.
	Progress func(step int, losses []float64) `json:"-"`
}

func (c *Config) defaults() {
	if c.Steps <= 0 {
		c.Steps = DefaultSteps
	}
	if c.PerTask <= 0 {
		c.PerTask = DefaultPerTaskBatch
	}
	if c.LR <= 0 {
		c.LR = DefaultLR
	}
	if c.CheckpointEvery <= 0 {
		c.CheckpointEvery = DefaultCheckpointEvery
	}
	if c.Patience > 0 && c.EvalEvery <= 0 {
		c.EvalEvery = DefaultEvalEvery
	}
	if c.Hidden <= 0 {
		c.Hidden = DefaultHidden
	}
	if c.Tasks == "" {
		c.Tasks = TasksCluster
	}
	if c.Objective == ObjectiveToken {
		if c.Vocab <= 0 {
			c.Vocab = DefaultVocab
		}
		if c.Embed <= 0 {
			c.Embed = DefaultEmbed
		}
		if c.Window <= 0 {
			c.Window = DefaultWindow
		}
		if c.TextCol == "" {
			c.TextCol = schema.TextColumn
		}
		if c.Samples == 0 {
			c.Samples = DefaultSamples
		}
		if c.Samples < 0 || 4*c.Samples > c.Vocab {
			c.Samples = -1
		}
	} else if c.VectorCol == "" {
		c.VectorCol = schema.SemanticColumn
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
}

// earlyStop is early stopping's state, kept in the checkpoint so that a
// resumed run stops where an uninterrupted one does.
type earlyStop struct {
	best     float64
	bestStep int
	bad      int // validations since the best
	stopped  bool
	history  []dataset.Validation
}

// observe records a validation; it tells whether the run must stop.
func (e *earlyStop) observe(step int, ev *dataset.Eval, patience int) bool {
	e.history = append(e.history, dataset.Validation{Step: step, Mean: ev.Mean, Worst: ev.Worst})
	if len(e.history) == 1 || ev.Mean < e.best*(1-EarlyStopTolerance) {
		e.best, e.bestStep, e.bad = ev.Mean, step, 0
	} else {
		e.bad++
	}
	e.stopped = e.bad >= patience
	return e.stopped
}

// tensor is the state as float64s: best, best step, bad, stopped, then
// (step, mean, worst) per validation.
func (e *earlyStop) tensor() []float64 {
	out := []float64{e.best, float64(e.bestStep), float64(e.bad), 0}
	if e.stopped {
		out[3] = 1
	}
	for _, v := range e.history {
		out = append(out, float64(v.Step), v.Mean, v.Worst)
	}
	return out
}

func (e *earlyStop) setTensor(x []float64) error {
	if len(x) < 4 || (len(x)-4)%3 != 0 {
		return fmt.Errorf("early stopping state of %d values", len(x))
	}
	*e = earlyStop{best: x[0], bestStep: int(x[1]), bad: int(x[2]), stopped: x[3] != 0}
	for i := 4; i < len(x); i += 3 {
		e.history = append(e.history, dataset.Validation{Step: int(x[i]), Mean: x[i+1], Worst: x[i+2]})
	}
	return nil
}

// Check tells whether the config's names and their combination can work
// at all, before any file is read: the objective, the tasks, the strategy,
// and doremi's reference run. Its errors are mistakes in the call.
func (c *Config) Check() error {
	switch c.Objective {
	case ObjectiveRegression, ObjectiveToken:
	default:
		return fmt.Errorf("objective %q: expected %s or %s", c.Objective, ObjectiveRegression, ObjectiveToken)
	}
	switch c.Tasks {
	case "", TasksCluster:
	case TasksPOS:
		if c.Objective != ObjectiveToken {
			return fmt.Errorf("tasks %s needs the %s objective (the part of speech of a masked word)", TasksPOS, ObjectiveToken)
		}
	default:
		return fmt.Errorf("tasks %q: expected %s or %s", c.Tasks, TasksCluster, TasksPOS)
	}
	switch c.Strategy {
	case "erm", "uniform", "minimax", "group-dro":
	case "doremi":
		if c.Reference == "" {
			return errors.New("doremi needs --reference RUNDIR (for example an erm run)")
		}
	default:
		return fmt.Errorf("strategy %q: expected erm, uniform, minimax, group-dro or doremi", c.Strategy)
	}
	if c.TempWarmup < 0 {
		return fmt.Errorf("temperature warm-up %d: expected at least 0 steps", c.TempWarmup)
	}
	if c.Patience < 0 || c.EvalEvery < 0 {
		return fmt.Errorf("patience %d and eval-every %d: expected at least 0", c.Patience, c.EvalEvery)
	}
	return nil
}

// NaNError reports a loss that became NaN or infinite.
type NaNError struct {
	Step, Task int
	Loss       float64
	// Validation tells that the loss is the held-out one of the final
	// model rather than a training step's.
	Validation bool
}

// Error names the step (or the validation) and the task whose loss is not
// a number, and what to change.
func (e *NaNError) Error() string {
	if e.Validation {
		after := ""
		if e.Step >= 0 {
			after = fmt.Sprintf(" after step %d", e.Step)
		}
		return fmt.Sprintf("robustdata/train: task %d validation loss%s is %v: the model diverged; lower --lr", e.Task, after, e.Loss)
	}
	return fmt.Sprintf("robustdata/train: step %d: task %d loss is %v; stopped (the last checkpoint is kept); lower --lr", e.Step, e.Task, e.Loss)
}

// NewModel builds the model a config trains.
func NewModel(cfg *Config, k int) (Model, error) {
	switch cfg.Objective {
	case ObjectiveRegression:
		return NewMaskedRegression(RegressionConfig{K: k, B: cfg.PerTask, D: cfg.Dim, Hidden: cfg.Hidden, LR: cfg.LR, Seed: cfg.Seed})
	case ObjectiveToken:
		return NewMaskedToken(TokenConfig{K: k, B: cfg.PerTask, W: cfg.Window, Vocab: cfg.Vocab, Embed: cfg.Embed, Hidden: cfg.Hidden, LR: cfg.LR, Seed: cfg.Seed, Samples: max(cfg.Samples, 0)})
	}
	return nil, fmt.Errorf("robustdata/train: unknown objective %q (masked-regression or masked-token)", cfg.Objective)
}

// ErrExists tells that the run folder already holds a run and neither
// Resume nor Overwrite was asked for.
var ErrExists = errors.New("the run folder already holds a run")

// checkRunDir refuses a folder that holds a run (its model.json) unless
// the call resumes or overwrites it.
func (c *Config) checkRunDir() error {
	if c.Resume && c.Overwrite {
		return errors.New("robustdata/train: --resume and --overwrite exclude each other")
	}
	if _, err := os.Stat(filepath.Join(c.RunDir, dataset.ModelJSON)); err != nil {
		return nil // no run there (or nothing readable: creating the files will say)
	}
	if c.Resume {
		return nil
	}
	if !c.Overwrite {
		what := "a run stopped before its end (continue it with --resume)"
		if _, err := os.Stat(filepath.Join(c.RunDir, dataset.EvalFile)); err == nil {
			what = "a finished run"
		}
		return fmt.Errorf("robustdata/train: %s holds %s; replace it with --overwrite: %w", c.RunDir, what, ErrExists)
	}
	return nil
}

// clearRunDir removes the files of the run a folder holds (Overwrite), so
// that none of them outlives the new run's start.
func (c *Config) clearRunDir() error {
	if !c.Overwrite {
		return nil
	}
	for _, name := range []string{dataset.EvalFile, dataset.WeightsFile, dataset.TrainLogFile, dataset.TrainJournalFile, dataset.CheckpointFile, dataset.ModelJSON} {
		if err := os.Remove(filepath.Join(c.RunDir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("robustdata/train: replacing the run in %s: %w", c.RunDir, err)
		}
	}
	return nil
}

// Run trains a model over the dataset's tasks and writes the run folder:
// model.json, checkpoint.safetensors (every CheckpointEvery steps and at
// the end), train_log.parquet, weights.json and eval.json. With Resume it
// continues from the folder's checkpoint and reaches the same final
// checkpoint as an uninterrupted run. A folder that already holds a run
// is refused (ErrExists) unless Resume or Overwrite is set.
func Run(ctx context.Context, cfg Config) (*dataset.Eval, error) {
	cfg.defaults()
	if err := cfg.checkRunDir(); err != nil {
		return nil, err
	}
	r, err := openRun(ctx, &cfg)
	if err != nil {
		return nil, err
	}
	defer r.close()
	cfgJSON, err := r.prepareDir()
	if err != nil {
		return nil, err
	}
	if cfg.Resume {
		if err := r.resume(cfgJSON); err != nil {
			return nil, err
		}
	}
	if err := writeBytes(filepath.Join(cfg.RunDir, dataset.ModelJSON), cfgJSON); err != nil {
		return nil, err
	}
	if err := r.train(ctx); err != nil {
		return nil, err
	}
	return r.finish()
}

// run is one training run's state between its steps.
type run struct {
	cfg     *Config
	loader  *Loader
	scfg    StrategyConfig
	strat   Strategy
	model   Model
	k       int
	weights []float64        // the next step's task weights
	log     []dataset.LogRow // the training log so far
	flushed int              // rows of log in the journal
	early   earlyStop
	start   int           // the step the run starts at (resumed: the checkpoint's)
	end     int           // the steps trained
	last    *dataset.Eval // the last validation, with early stopping
	ckpt    string        // the checkpoint's path
}

// openRun opens the dataset's loader and makes the strategy and the model.
func openRun(ctx context.Context, cfg *Config) (*run, error) {
	loader, err := OpenLoader(ctx, cfg.loaderConfig(cfg.Dataset))
	if err != nil {
		return nil, err
	}
	r := &run{cfg: cfg, loader: loader, k: loader.K, ckpt: filepath.Join(cfg.RunDir, dataset.CheckpointFile)}
	if err := r.open(ctx); err != nil {
		r.close()
		return nil, err
	}
	return r, nil
}

func (r *run) open(ctx context.Context) error {
	cfg, loader := r.cfg, r.loader
	if err := loader.checkValidation(); err != nil {
		return err
	}
	cfg.Dim = loader.D
	cfg.TaskCount = r.k
	mh, err := stream.HashInputs(ctx, []stream.Input{{Name: dataset.ManifestName, Path: filepath.Join(cfg.Dataset, dataset.ManifestName)}})
	if err != nil {
		return err
	}
	cfg.DatasetManifest = mh[0].SHA256
	r.scfg = StrategyConfig{Name: cfg.Strategy, Sizes: loader.Rows, Temperature: cfg.Temp, Warmup: cfg.TempWarmup, Smoothing: cfg.Smoothing, Eta: cfg.Eta, Relative: true}
	if cfg.Strategy == "doremi" || (cfg.Strategy == "minimax" && cfg.Reference != "") {
		ref, err := referenceLosses(cfg.Reference, cfg, r.k)
		if err != nil {
			return err
		}
		r.scfg.Reference = ref
	}
	if r.strat, err = NewStrategy(r.k, r.scfg); err != nil {
		return err
	}
	if r.model, err = NewModel(cfg, r.k); err != nil {
		return err
	}
	r.weights = initialWeights(r.strat.Name(), loader.Rows)
	return nil
}

func (r *run) close() {
	if r.model != nil {
		r.model.Close()
	}
	r.loader.Close()
}

// prepareDir clears a run being replaced, makes the folder and returns
// model.json's bytes.
func (r *run) prepareDir() ([]byte, error) {
	cfg := r.cfg
	if err := cfg.clearRunDir(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.RunDir, 0o755); err != nil {
		return nil, fmt.Errorf("robustdata/train: creating %s: %w", cfg.RunDir, err)
	}
	cfgJSON, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(cfgJSON, '\n'), nil
}

// resume continues from the folder's checkpoint, when it has one.
func (r *run) resume(cfgJSON []byte) error {
	cfg := r.cfg
	if old, err := os.ReadFile(filepath.Join(cfg.RunDir, dataset.ModelJSON)); err == nil && !bytes.Equal(old, cfgJSON) {
		return errors.New("robustdata/train: --resume with other settings than the run's model.json")
	}
	if _, err := os.Stat(r.ckpt); err != nil {
		return nil
	}
	s0, w0, es0, err := restore(r.ckpt, r.model, r.strat, r.k)
	if err != nil {
		return err
	}
	// The log is written before the checkpoint, so it covers at least the
	// checkpoint's steps; when it does not (a folder copied half-way, a log
	// lost), the losses of the missing steps are gone and the run starts
	// again, which ends with the same files.
	l0, lerr := readRunLog(cfg.RunDir, s0, r.k)
	if lerr == nil && len(l0) == s0*r.k {
		r.start, r.weights, r.log, r.early = s0, w0, l0, es0
		// Replay the loader's draws up to the checkpoint.
		for s := range r.start {
			if _, err := r.loader.Next(s); err != nil {
				return err
			}
		}
		cfg.Log.Info("train: resumed", "step", r.start)
		return nil
	}
	cfg.Log.Warn("train: the training log does not cover the checkpoint; starting the run again", "checkpoint_step", s0, "log_rows", len(l0), "error", lerr)
	r.model.Close()
	r.model = nil
	if r.model, err = NewModel(cfg, r.k); err != nil {
		return err
	}
	if r.strat, err = NewStrategy(r.k, r.scfg); err != nil {
		return err
	}
	r.early = earlyStop{}
	return nil
}

// train runs the steps from start, validating for early stopping and
// checkpointing as configured. The journal holds the log up to the last
// checkpoint (see TrainJournalFile); it starts as the log resumed from. A
// run that fails leaves what was checkpointed readable as
// train_log.parquet too (best effort: the error may be a full disk).
func (r *run) train(ctx context.Context) (err error) {
	cfg := r.cfg
	r.flushed, r.end = len(r.log), r.start
	if r.start >= cfg.Steps || r.early.stopped {
		return nil
	}
	defer func() {
		if err != nil && r.flushed > 0 {
			writeLog(filepath.Join(cfg.RunDir, dataset.TrainLogFile), r.log[:r.flushed])
		}
	}()
	jr, err := createJournal(filepath.Join(cfg.RunDir, dataset.TrainJournalFile))
	if err != nil {
		return err
	}
	defer jr.close()
	if err := jr.append(r.log); err != nil {
		return err
	}
	for step := r.start; step < cfg.Steps; step++ {
		if err := r.step(ctx, step); err != nil {
			return err
		}
		if err := r.validate(); err != nil {
			return err
		}
		if r.end%cfg.CheckpointEvery == 0 || r.end == cfg.Steps || r.early.stopped {
			// The log first: a kill between the two leaves a log ahead of
			// the checkpoint, which resuming cuts back to the checkpoint's
			// step; the other order would lose log rows.
			if err := jr.append(r.log[r.flushed:]); err != nil {
				return err
			}
			r.flushed = len(r.log)
			if err := checkpoint(r.ckpt, r.model, r.strat, r.end, r.weights, &r.early); err != nil {
				return err
			}
		}
		if r.early.stopped {
			break
		}
	}
	return nil
}

// step trains one step and weighs the next from its losses.
func (r *run) step(ctx context.Context, step int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	batch, err := r.loader.Next(step)
	if err != nil {
		return err
	}
	losses, err := r.model.Step(batch, r.weights)
	if err != nil {
		return err
	}
	for t, l := range losses {
		if math.IsNaN(l) || math.IsInf(l, 0) {
			return &NaNError{Step: step, Task: t, Loss: l}
		}
		r.log = append(r.log, dataset.LogRow{Step: int64(step), Task: int32(t), Loss: l, Weight: r.weights[t]})
	}
	// The weights of the next step, from this step's losses.
	if r.weights, err = r.strat.Weights(losses); err != nil {
		return fmt.Errorf("robustdata/train: step %d: %w", step, err)
	}
	if r.cfg.Progress != nil {
		r.cfg.Progress(step+1, losses)
	}
	r.end = step + 1
	return nil
}

// validate runs early stopping's validation when one is due.
func (r *run) validate() error {
	cfg := r.cfg
	if cfg.Patience == 0 || r.end%cfg.EvalEvery != 0 || r.end >= cfg.Steps {
		return nil
	}
	var err error
	if r.last, err = Evaluate(r.loader, r.model, cfg.Seed); err != nil {
		if ne := (*NaNError)(nil); errors.As(err, &ne) {
			ne.Step = r.end
		}
		return err
	}
	if r.early.observe(r.end, r.last, cfg.Patience) {
		cfg.Log.Info("train: early stop", "step", r.end, "best_step", r.early.bestStep, "best_mean", r.early.best)
	}
	// The weights the strategy has moved to, so that a log shows whether
	// they move at all.
	cfg.Log.Info("train: validation", "step", r.end, "mean", r.last.Mean, "worst", r.last.Worst, "weights", r.weights)
	return nil
}

// finish writes the whole log, then removes the journal (a kill between
// the two leaves the journal of the last checkpoint, from which a resumed
// run writes the same log again), evaluates the model and writes
// weights.json and eval.json.
func (r *run) finish() (*dataset.Eval, error) {
	cfg := r.cfg
	if err := writeLog(filepath.Join(cfg.RunDir, dataset.TrainLogFile), r.log); err != nil {
		return nil, err
	}
	if err := os.Remove(filepath.Join(cfg.RunDir, dataset.TrainJournalFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("robustdata/train: %w", err)
	}
	ev := r.last
	if ev == nil || !r.early.stopped {
		var err error
		ev, err = Evaluate(r.loader, r.model, cfg.Seed)
		if ne := (*NaNError)(nil); errors.As(err, &ne) {
			ne.Step = r.end
		}
		if err != nil {
			return nil, err
		}
	}
	ev.Steps, ev.StoppedEarly, ev.Validations = r.end, r.early.stopped, r.early.history
	if len(r.early.history) > 0 {
		ev.BestStep = r.early.bestStep
		if ev.Mean < r.early.best*(1-EarlyStopTolerance) {
			ev.BestStep = r.end
		}
	}
	w := dataset.Weights{Strategy: r.strat.Name(), Final: r.weights, Average: r.strat.Average(), Sizes: r.loader.Rows}
	if err := writeJSON(filepath.Join(cfg.RunDir, dataset.WeightsFile), w); err != nil {
		return nil, err
	}
	if err := writeJSON(filepath.Join(cfg.RunDir, dataset.EvalFile), ev); err != nil {
		return nil, err
	}
	return ev, nil
}

// loaderConfig is the loader of the run's settings over the dataset dir.
func (c *Config) loaderConfig(dir string) LoaderConfig {
	return LoaderConfig{Dir: dir, Objective: c.Objective, VectorCol: c.VectorCol, TextCol: c.TextCol,
		Vocab: c.Vocab, Window: c.Window, PerTask: c.PerTask, Seed: c.Seed, Tokenize: c.Tokenize, Tasks: c.Tasks}
}

// initialWeights are the weights of the first step: size-proportional for
// erm, equal otherwise.
func initialWeights(strategy string, sizes []int64) []float64 {
	w := make([]float64, len(sizes))
	var total int64
	for _, s := range sizes {
		total += s
	}
	for i := range w {
		if strategy == "erm" && total > 0 {
			w[i] = float64(sizes[i]) / float64(total)
		} else {
			w[i] = 1 / float64(len(w))
		}
	}
	return w
}

// Evaluate computes each task's mean loss over its held-out rows (the
// full validation split, up to MaxEvalRows).
func Evaluate(loader *Loader, model Model, seed uint64) (*dataset.Eval, error) {
	sets, err := loader.Validation(MaxEvalRows)
	if err != nil {
		return nil, err
	}
	batches, counts, err := loader.batches(sets, seed)
	if err != nil {
		return nil, err
	}
	sum := make([]float64, loader.K)
	n := make([]int, loader.K)
	for r, b := range batches {
		losses, err := model.Loss(b)
		if err != nil {
			return nil, err
		}
		for t, l := range losses {
			sum[t] += l * float64(counts[r][t])
			n[t] += counts[r][t]
		}
	}
	ev := &dataset.Eval{WorstTask: -1}
	for t := range loader.K {
		l := sum[t] / float64(max(n[t], 1))
		if math.IsNaN(l) || math.IsInf(l, 0) {
			return nil, &NaNError{Step: -1, Task: t, Loss: l, Validation: true}
		}
		ev.Tasks = append(ev.Tasks, dataset.TaskEval{Task: t, Rows: n[t], Loss: l})
		ev.Mean += l / float64(loader.K)
		if ev.WorstTask < 0 || l > ev.Worst {
			ev.Worst, ev.WorstTask = l, t
		}
	}
	return ev, nil
}

// checkpoint writes the model's and the strategy's state, the step and
// the next weights, atomically.
func checkpoint(path string, model Model, strat Strategy, step int, weights []float64, early *earlyStop) error {
	tensors, err := model.State()
	if err != nil {
		return err
	}
	st := strat.State()
	tensors = append(tensors,
		safetensors.F64("strategy.state", []int64{int64(len(st))}, st),
		safetensors.F64("strategy.weights", []int64{int64(len(weights))}, weights),
		safetensors.I64("train.step", []int64{1}, []int64{int64(step)}))
	if es := early.tensor(); len(es) > 4 || early.stopped || early.bad > 0 {
		tensors = append(tensors, safetensors.F64("train.early_stop", []int64{int64(len(es))}, es))
	}
	f := &safetensors.File{Metadata: map[string]string{"format": "robustdata-checkpoint", "strategy": strat.Name()}, Tensors: tensors}
	return stream.WriteFileAtomic(path, func(w io.Writer) error { return safetensors.Write(w, f) })
}

// restore loads a checkpoint into the model and strategy; it returns the
// step to continue from, the next weights and early stopping's state.
func restore(path string, model Model, strat Strategy, k int) (int, []float64, earlyStop, error) {
	var early earlyStop
	bad := func(err error) (int, []float64, earlyStop, error) {
		return 0, nil, early, &stream.DataError{Source: path, Row: -1, Err: err}
	}
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return bad(err)
	}
	if err := model.SetState(f); err != nil {
		return bad(err)
	}
	get := func(name string) (safetensors.Tensor, error) {
		t, ok := f.Tensor(name)
		if !ok {
			return t, fmt.Errorf("checkpoint has no tensor %s", name)
		}
		return t, nil
	}
	t, err := get("strategy.state")
	if err != nil {
		return bad(err)
	}
	st, err := t.Float64s()
	if err != nil {
		return bad(err)
	}
	if err := strat.SetState(st); err != nil {
		return bad(err)
	}
	t, err = get("strategy.weights")
	if err != nil {
		return bad(err)
	}
	w, err := t.Float64s()
	if err != nil || len(w) != k {
		return bad(fmt.Errorf("checkpoint weights: %d for %d tasks", len(w), k))
	}
	t, err = get("train.step")
	if err != nil {
		return bad(err)
	}
	steps, err := t.Int64s()
	if err != nil || len(steps) != 1 {
		return bad(errors.New("checkpoint step unreadable"))
	}
	if t, ok := f.Tensor("train.early_stop"); ok {
		x, err := t.Float64s()
		if err == nil {
			err = early.setTensor(x)
		}
		if err != nil {
			return bad(err)
		}
	}
	return int(steps[0]), w, early, nil
}

// writeLog writes train_log.parquet (parquet-go), atomically.
func writeLog(path string, rows []dataset.LogRow) error {
	return stream.WriteFileAtomic(path, func(w io.Writer) error {
		pw := parquet.NewGenericWriter[dataset.LogRow](w)
		if _, err := pw.Write(rows); err != nil {
			return err
		}
		return pw.Close()
	})
}

// readRunLog reads a run's log up to (not including) step: its journal
// when it has one (a run stopped before its end), else its
// train_log.parquet (a finished run).
func readRunLog(dir string, step, k int) ([]dataset.LogRow, error) {
	rows, err := readJournal(filepath.Join(dir, dataset.TrainJournalFile), step, k)
	if errors.Is(err, fs.ErrNotExist) {
		return readLog(filepath.Join(dir, dataset.TrainLogFile), step)
	}
	return rows, err
}

// readLog reads a run's log up to (not including) step.
func readLog(path string, step int) ([]dataset.LogRow, error) {
	rows, err := parquet.ReadFile[dataset.LogRow](path)
	if err != nil {
		return nil, &stream.DataError{Source: path, Row: -1, Err: fmt.Errorf("cannot read the training log: %v", err)}
	}
	return slices.DeleteFunc(rows, func(r dataset.LogRow) bool { return r.Step >= int64(step) }), nil
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeBytes(path, append(data, '\n'))
}

func writeBytes(path string, data []byte) error {
	return stream.WriteFileAtomic(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// referenceLosses reads the per-task validation losses of a reference run
// (doremi; minimax's excess losses) and checks it is comparable: same
// tasks and model sizes.
func referenceLosses(dir string, cfg *Config, k int) ([]float64, error) {
	if dir == "" {
		return nil, errors.New("robustdata/train: doremi needs --reference RUNDIR (for example an erm run)")
	}
	var ref Config
	if err := readJSON(filepath.Join(dir, dataset.ModelJSON), &ref); err != nil {
		return nil, err
	}
	if ref.Objective != cfg.Objective || ref.Vocab != cfg.Vocab || ref.Dim != cfg.Dim || ref.Window != cfg.Window {
		return nil, &stream.DataError{Source: filepath.Join(dir, dataset.ModelJSON), Row: -1,
			Err: fmt.Errorf("reference run is %s with vocab %d, dim %d, window %d; this run is %s with vocab %d, dim %d, window %d",
				ref.Objective, ref.Vocab, ref.Dim, ref.Window, cfg.Objective, cfg.Vocab, cfg.Dim, cfg.Window)}
	}
	var ev dataset.Eval
	if err := readJSON(filepath.Join(dir, dataset.EvalFile), &ev); err != nil {
		return nil, err
	}
	if len(ev.Tasks) != k {
		return nil, &stream.DataError{Source: filepath.Join(dir, dataset.EvalFile), Row: -1,
			Err: fmt.Errorf("reference run has %d tasks, the dataset %d", len(ev.Tasks), k)}
	}
	out := make([]float64, k)
	for i, t := range ev.Tasks {
		out[i] = t.Loss
	}
	return out, nil
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return &stream.DataError{Source: path, Row: -1, Err: errors.New("cannot read")}
	}
	if err := json.Unmarshal(data, v); err != nil {
		return &stream.DataError{Source: path, Row: -1, Err: fmt.Errorf("not valid JSON: %v", err)}
	}
	return nil
}

// EvaluateRun loads a run folder's configuration and final checkpoint and
// evaluates it on the held-out rows of dataset.
func EvaluateRun(ctx context.Context, runDir, shards string, tokenize func(string) []uint64) (*dataset.Eval, error) {
	var cfg Config
	if err := readJSON(filepath.Join(runDir, dataset.ModelJSON), &cfg); err != nil {
		return nil, err
	}
	cfg.defaults()
	cfg.Tokenize = tokenize
	loader, err := OpenLoader(ctx, cfg.loaderConfig(shards))
	if err != nil {
		return nil, err
	}
	defer loader.Close()
	if cfg.TaskCount > 0 && loader.K != cfg.TaskCount {
		return nil, &stream.DataError{Source: shards, Row: -1,
			Err: fmt.Errorf("the dataset has %d tasks; run %s was trained on %d (evaluate it on a dataset of the same partition)", loader.K, runDir, cfg.TaskCount)}
	}
	if cfg.Objective == ObjectiveRegression && loader.D != cfg.Dim {
		return nil, &stream.DataError{Source: shards, Row: -1,
			Err: fmt.Errorf("vectors of %d values; run %s was trained on %d", loader.D, runDir, cfg.Dim)}
	}
	// The held-out rows are those the run was validated on.
	if err := loader.checkValidation(); err != nil {
		return nil, err
	}
	model, err := NewModel(&cfg, loader.K)
	if err != nil {
		return nil, err
	}
	defer model.Close()
	f, err := safetensors.ReadFile(filepath.Join(runDir, dataset.CheckpointFile))
	if err != nil {
		return nil, &stream.DataError{Source: filepath.Join(runDir, dataset.CheckpointFile), Row: -1, Err: err}
	}
	if err := model.SetState(f); err != nil {
		return nil, &stream.DataError{Source: filepath.Join(runDir, dataset.CheckpointFile), Row: -1, Err: err}
	}
	ev, err := Evaluate(loader, model, cfg.Seed)
	if err != nil {
		return nil, err
	}
	if t, ok := f.Tensor("train.step"); ok {
		if steps, err := t.Int64s(); err == nil && len(steps) == 1 {
			ev.Steps = int(steps[0])
		}
	}
	return ev, nil
}
