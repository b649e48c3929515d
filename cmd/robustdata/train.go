package main

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/robustdata/robustdata/features"
	"github.com/robustdata/robustdata/train"
)

// hashedWords tokenizes a text into the hashed content words the
// masked-token objective predicts.
func hashedWords(text string) []uint64 {
	words := features.ContentWords(text)
	out := make([]uint64, len(words))
	for i, w := range words {
		out[i] = features.TermHash(w)
	}
	return out
}

// maxTrainSteps bounds --steps: far beyond any run (at 20 steps/s, 1.6
// years), so that a mistyped count is refused at once.
const maxTrainSteps = 1_000_000_000

func newTrainCmd(e *env) *cobra.Command {
	var (
		cfg    train.Config
		runDir string
	)
	cmd := &cobra.Command{
		Use:   "train -i DIR -o RUNDIR --strategy erm|uniform|minimax|group-dro|doremi",
		Short: "Pre-train over task shards, minimising the worst task's loss",
		Long: `Pre-train a model over the K sub-tasks of a sharded dataset (written by
robustdata partition/shard). Every step draws --per-task-batch examples from
every task (a fixed 5% of each task, by doc_id hash, is held out for
validation) and descends on Σ_k w_k·L_k, the strategy setting the weights:

  erm        w ∝ task sizes (what training on the pooled corpus does)
  uniform    w = 1/K
  minimax    w = softmax(L̃/μ), μ = --temperature, L̃ the losses smoothed by an
             exponential moving average (--smoothing): the gradient of
             μ·log Σ exp(L_k/μ), the paper's objective
  group-dro  q ← q·exp(η·L), normalised (Sagawa et al. 2020)
  doremi     excess loss over --reference RUNDIR, clipped at 0, in
             exponentiated-gradient weights (Xie et al. 2023)

Objectives (--objective): masked-regression hides part of a vector column
(--vector-col, default semantic) and regresses it from the rest with an MLP;
masked-token masks 15% of a window of hashed words and predicts them from
the pooled context.

The run folder gets model.json, checkpoint.safetensors (every
--checkpoint-every steps; --resume continues a killed run to the same final
checkpoint; a folder that already holds a run is refused unless --resume
or --overwrite is given), train_log.parquet (step, task, loss, weight; written at the
end, the run appends to .train_log.journal meanwhile), weights.json
(final and time-averaged weights: a data mixture) and eval.json (validation
loss per task, mean, worst, and the steps trained).

Early stopping (on by default): every --eval-every steps the model is
evaluated on the full held-out split of every task, and the run stops once
--patience validations in a row have not lowered the mean validation loss
by 0.1%; eval.json gives the steps trained ("steps"), "stopped_early",
"best_step" and every validation. --steps is then only the most steps. To
compare strategies at equal steps, train erm first and give the others its
"steps" with --patience 0.

Examples:
  robustdata train -i out/ -o runs/minimax --strategy minimax --steps 1000 --patience 0
  robustdata train -i out/ -o runs/erm --strategy erm --objective masked-token`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cfg.Dataset == "" || runDir == "" {
				return usagef("train needs -i DIR (a sharded dataset) and -o RUNDIR")
			}
			// Written so that NaN fails every test: !(x > 0) is true for NaN.
			if cfg.Steps < 1 || cfg.Steps > maxTrainSteps || cfg.PerTask < 1 || !(cfg.LR > 0) || math.IsInf(cfg.LR, 0) ||
				!(cfg.Temp > 0) || math.IsInf(cfg.Temp, 0) || !(cfg.Smoothing >= 0 && cfg.Smoothing < 1) ||
				!(cfg.Eta >= 0) || math.IsInf(cfg.Eta, 0) || cfg.Patience < 0 || cfg.EvalEvery < 1 {
				return usagef("--steps must be 1 to %d, --per-task-batch and --eval-every at least 1, --patience at least 0, --lr and --temperature positive and finite, --smoothing in [0, 1), --eta finite and not negative", maxTrainSteps)
			}
			if err := cfg.Check(); err != nil {
				return usagef("train: %v", err)
			}
			if cfg.Resume && cfg.Overwrite {
				return usagef("train: --resume and --overwrite exclude each other")
			}
			if err := checkOutputs([]string{runDir}, true, []string{cfg.Dataset, cfg.Reference}, nil); err != nil {
				return err
			}
			cfg.RunDir, cfg.Seed, cfg.Log = runDir, e.seed, e.log
			cfg.Tokenize = hashedWords
			prog := e.newProgress()
			cfg.Progress = e.trainProgress(prog, cfg.Steps)
			ev, err := train.Run(cmd.Context(), cfg)
			prog.end()
			if errors.Is(err, train.ErrExists) {
				return usageError{err}
			}
			if err != nil {
				return err
			}
			e.log.Info("train: done", "run", runDir, "steps", ev.Steps, "stopped_early", ev.StoppedEarly, "best_step", ev.BestStep,
				"strategy", cfg.Strategy, "mean_loss", ev.Mean, "worst_loss", ev.Worst, "worst_task", ev.WorstTask)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&cfg.Dataset, "input", "i", "", "the sharded dataset folder (with manifest.json)")
	f.StringVarP(&runDir, "output", "o", "", "the run folder to write")
	f.StringVar(&cfg.Objective, "objective", train.ObjectiveRegression, "masked-regression (vectors) or masked-token (text)")
	f.StringVar(&cfg.Tasks, "tasks", train.TasksCluster, "what makes a task: cluster (the dataset's shard tasks) or pos (the part of speech of the masked word: noun, verb, adjective, adverb, other; masked-token only)")
	f.StringVar(&cfg.Strategy, "strategy", "minimax", "how task losses are weighed: erm, uniform, minimax, group-dro or doremi")
	f.Float64Var(&cfg.Temp, "temperature", 0.1, "minimax temperature μ (small: the worst task; large: the average)")
	f.Float64Var(&cfg.Smoothing, "smoothing", 0.9, "minimax: weight of the past in the moving average of the task losses")
	f.Float64Var(&cfg.Eta, "eta", 0, "group-dro step (default 0.01) or doremi step (default 1)")
	f.StringVar(&cfg.Reference, "reference", "", "doremi: the run folder of a reference run (for example an erm run)")
	f.IntVar(&cfg.Steps, "steps", train.DefaultMaxSteps, "the most training steps (early stopping usually ends the run sooner; with --patience 0, exactly this many)")
	f.IntVar(&cfg.Patience, "patience", train.DefaultPatience, "early stopping: stop once this many validations in a row have not lowered the mean validation loss (0: train all --steps)")
	f.IntVar(&cfg.EvalEvery, "eval-every", train.DefaultEvalEvery, "early stopping: steps between validations on the full held-out split of every task")
	f.IntVar(&cfg.PerTask, "per-task-batch", train.DefaultPerTaskBatch, "examples drawn from every task at every step")
	f.Float64Var(&cfg.LR, "lr", train.DefaultLR, "Adam learning rate")
	f.IntVar(&cfg.Hidden, "hidden", train.DefaultHidden, "hidden units")
	f.IntVar(&cfg.Vocab, "vocab", train.DefaultVocab, "masked-token: hashed vocabulary size")
	f.IntVar(&cfg.Embed, "embed", train.DefaultEmbed, "masked-token: embedding size")
	f.IntVar(&cfg.Samples, "samples", train.DefaultSamples, "masked-token: negatives of the sampled softmax that trains the output layer (-1, or a --vocab under 4 times it: the exact softmax); evaluation always uses the exact softmax")
	f.IntVar(&cfg.Window, "window", train.DefaultWindow, "masked-token: words per window")
	f.StringVar(&cfg.VectorCol, "vector-col", train.DefaultVectorColumn, "masked-regression: the vector column")
	f.StringVar(&cfg.TextCol, "text-col", train.DefaultTextColumn, "masked-token: the text column")
	f.IntVar(&cfg.CheckpointEvery, "checkpoint-every", train.DefaultCheckpointEvery, "write a checkpoint every N steps")
	f.BoolVar(&cfg.Resume, "resume", false, "continue the run in -o from its checkpoint")
	f.BoolVar(&cfg.Overwrite, "overwrite", false, "replace the run -o already holds (without it, or --resume, train refuses such a folder)")
	return cmd
}

// trainProgress shows step, mean and worst loss: a bar on a terminal
// (prog, ended by the caller), a log line every 10% otherwise.
func (e *env) trainProgress(prog *progress, steps int) func(int, []float64) {
	prog.steps("train", steps)
	every := max(1, steps/10)
	return func(step int, losses []float64) {
		mean, worst := 0.0, math.Inf(-1)
		for _, l := range losses {
			mean += l / float64(len(losses))
			worst = max(worst, l)
		}
		if prog != nil {
			prog.set(step, fmt.Sprintf("train mean %.4f worst %.4f", mean, worst))
			return
		}
		if step%every == 0 || step == steps {
			e.log.Info("train: step", "step", step, "mean_loss", mean, "worst_loss", worst)
		}
	}
}

func newEvalCmd(e *env) *cobra.Command {
	var (
		shards     string
		asJSON     bool
		downstream []string
	)
	cmd := &cobra.Command{
		Use:   "eval --shards DIR [--downstream NAME=PATH[:LABELCOL]]... RUNDIR...",
		Short: "Evaluate training runs per task: mean and worst-case loss",
		Long: `Compute, for each run, the validation loss of every task of the dataset in
--shards (its held-out 5%), and print the runs side by side: per-task loss,
mean, worst and which task is worst.

Downstream adaptation (the metric the paper improves): each
--downstream NAME=PATH[:LABELCOL] is a labelled set (label column "label" by
default) holding the run's text or vector column. A linear probe (ridge
regression onto one-hot labels) is fitted on the frozen model's
representations of 80% of its rows and scored on the other 20%; the table
gives the accuracy per downstream set, the mean and the worst.

Examples:
  robustdata eval --shards out/ runs/erm runs/minimax
  robustdata eval --shards out/ runs/erm runs/minimax --downstream fortunes=examples/data/fortunes.parquet`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if shards == "" || len(args) == 0 {
				return usagef("eval needs --shards DIR and at least one RUNDIR")
			}
			var sets []train.Downstream
			for _, d := range downstream {
				ds, err := train.ParseDownstream(d)
				if err != nil {
					return usageError{err}
				}
				sets = append(sets, ds)
			}
			var evals []*train.Eval
			probes := make([][]*train.ProbeResult, len(args))
			for i, run := range args {
				ev, err := train.EvaluateRun(cmd.Context(), run, shards, hashedWords)
				if err != nil {
					return err
				}
				evals = append(evals, ev)
				for _, d := range sets {
					p, err := train.Probe(cmd.Context(), run, d, hashedWords)
					if err != nil {
						return err
					}
					if p.Unlabelled > 0 {
						e.log.Warn("eval: rows without a label are not probed", "downstream", d.Name, "path", d.Path, "rows", p.Unlabelled)
					}
					probes[i] = append(probes[i], p)
				}
			}
			if asJSON {
				type runEval struct {
					*train.Eval
					Downstream []*train.ProbeResult `json:"downstream,omitempty"`
				}
				out := map[string]runEval{}
				for i, run := range args {
					out[run] = runEval{evals[i], probes[i]}
				}
				return printJSON(e, out)
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintf(tw, "task\t%s\t\n", strings.Join(args, "\t"))
			for t := range evals[0].Tasks {
				row := []string{fmt.Sprint(t)}
				for _, ev := range evals {
					row = append(row, fmt.Sprintf("%.4f", ev.Tasks[t].Loss))
				}
				fmt.Fprintf(tw, "%s\t\n", strings.Join(row, "\t"))
			}
			for _, name := range []string{"mean", "worst", "worst task"} {
				row := []string{name}
				for _, ev := range evals {
					switch name {
					case "mean":
						row = append(row, fmt.Sprintf("%.4f", ev.Mean))
					case "worst":
						row = append(row, fmt.Sprintf("%.4f", ev.Worst))
					default:
						row = append(row, fmt.Sprint(ev.WorstTask))
					}
				}
				fmt.Fprintf(tw, "%s\t\n", strings.Join(row, "\t"))
			}
			for j, d := range sets {
				row := []string{"probe " + d.Name}
				for i := range args {
					row = append(row, fmt.Sprintf("%.4f", probes[i][j].Accuracy))
				}
				fmt.Fprintf(tw, "%s\t\n", strings.Join(row, "\t"))
			}
			if len(sets) > 0 {
				for _, name := range []string{"probe mean", "probe worst"} {
					row := []string{name}
					for i := range args {
						mean, worst := 0.0, 1.0
						for _, p := range probes[i] {
							mean += p.Accuracy / float64(len(probes[i]))
							worst = min(worst, p.Accuracy)
						}
						if name == "probe mean" {
							row = append(row, fmt.Sprintf("%.4f", mean))
						} else {
							row = append(row, fmt.Sprintf("%.4f", worst))
						}
					}
					fmt.Fprintf(tw, "%s\t\n", strings.Join(row, "\t"))
				}
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringArrayVar(&downstream, "downstream", nil, "a labelled downstream set NAME=PATH[:LABELCOL] to fit a linear probe on (repeatable)")
	cmd.Flags().StringVar(&shards, "shards", "", "the dataset whose held-out rows the runs are evaluated on")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON for machines")
	return cmd
}
