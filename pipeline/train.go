package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"github.com/robustdata/robustdata/features"
	"github.com/robustdata/robustdata/pipeline/dataset"
	"github.com/robustdata/robustdata/train"
)

// MaxTrainSteps bounds the steps of a training run: far beyond any run
// (at 20 steps/s, 1.6 years), so that a mistyped count is refused at once.
const MaxTrainSteps = 1_000_000_000

// CheckTrain checks a training configuration's values and combination
// before any file is read; its errors are UsageErrors.
func CheckTrain(cfg *train.Config) error {
	// Written so that NaN fails every test: !(x > 0) is true for NaN.
	if cfg.Steps < 1 || cfg.Steps > MaxTrainSteps || cfg.PerTask < 1 || !(cfg.LR > 0) || math.IsInf(cfg.LR, 0) ||
		!(cfg.Temp > 0) || math.IsInf(cfg.Temp, 0) || !(cfg.Smoothing >= 0 && cfg.Smoothing < 1) ||
		!(cfg.Eta >= 0) || math.IsInf(cfg.Eta, 0) || cfg.Patience < 0 || cfg.EvalEvery < 1 {
		return Usagef("--steps must be 1 to %d, --per-task-batch and --eval-every at least 1, --patience at least 0, --lr and --temperature positive and finite, --smoothing in [0, 1), --eta finite and not negative", MaxTrainSteps)
	}
	if err := cfg.Check(); err != nil {
		return Usagef("train: %v", err)
	}
	if cfg.Resume && cfg.Overwrite {
		return Usagef("train: --resume and --overwrite exclude each other")
	}
	return nil
}

// Train runs the train stage: cfg.Dataset to the run folder cfg.RunDir,
// with the Env's seed, log and progress and the shared tokenizer
// (features.HashedWords). It returns the run's evaluation (eval.json).
func Train(ctx context.Context, env Env, cfg train.Config) (*dataset.Eval, error) {
	if err := CheckTrain(&cfg); err != nil {
		return nil, err
	}
	cfg.Seed, cfg.Log = env.Seed, env.log()
	cfg.Tokenize = features.HashedWords
	prog := env.progress()
	cfg.Progress = trainProgress(env, prog, cfg.Steps)
	ev, err := train.Run(ctx, cfg)
	prog.End()
	if errors.Is(err, train.ErrExists) {
		return nil, UsageError{err}
	}
	if err != nil {
		return nil, err
	}
	env.log().Info("train: done", "run", cfg.RunDir, "steps", ev.Steps, "stopped_early", ev.StoppedEarly, "best_step", ev.BestStep,
		"strategy", cfg.Strategy, "mean_loss", ev.Mean, "worst_loss", ev.Worst, "worst_task", ev.WorstTask)
	return ev, nil
}

// trainProgress shows step, mean and worst loss: a bar when env has
// progress, a log line every 10% otherwise.
func trainProgress(env Env, prog Progress, steps int) func(int, []float64) {
	prog.Steps("train", steps)
	every := max(1, steps/10)
	_, quiet := prog.(NoProgress)
	return func(step int, losses []float64) {
		mean, worst := 0.0, math.Inf(-1)
		for _, l := range losses {
			mean += l / float64(len(losses))
			worst = max(worst, l)
		}
		if !quiet {
			prog.Set(step, fmt.Sprintf("train mean %.4f worst %.4f", mean, worst))
			return
		}
		if step%every == 0 || step == steps {
			env.log().Info("train: step", "step", step, "mean_loss", mean, "worst_loss", worst)
		}
	}
}

// Eval evaluates training runs on the held-out rows of the dataset in
// shards, and fits a linear probe on each downstream set: one entry per
// run, in order (what `robustdata eval --json` prints, keyed by run).
func Eval(ctx context.Context, env Env, shards string, runs []string, sets []train.Downstream) ([]dataset.RunEval, error) {
	out := make([]dataset.RunEval, len(runs))
	for i, run := range runs {
		ev, err := train.EvaluateRun(ctx, run, shards, features.HashedWords)
		if err != nil {
			return nil, err
		}
		out[i].Eval = ev
		for _, d := range sets {
			p, err := train.Probe(ctx, run, d, features.HashedWords)
			if err != nil {
				return nil, err
			}
			if p.Unlabelled > 0 {
				env.log().Warn("eval: rows without a label are not probed", "downstream", d.Name, "path", d.Path, "rows", p.Unlabelled)
			}
			out[i].Downstream = append(out[i].Downstream, p)
		}
	}
	return out, nil
}

// WriteEvalTable writes the evaluations of runs (as Eval returns them) as
// robustdata eval prints them: per-task loss, mean, worst, the worst task
// and each downstream probe's accuracy, one column per run.
func WriteEvalTable(w io.Writer, runs []string, results []dataset.RunEval) error {
	evals := make([]*dataset.Eval, len(results))
	probes := make([][]*dataset.ProbeResult, len(results))
	for i, r := range results {
		evals[i], probes[i] = r.Eval, r.Downstream
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "task\t%s\t\n", strings.Join(runs, "\t"))
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
	for j, d := range results[0].Downstream {
		row := []string{"probe " + d.Name}
		for i := range runs {
			row = append(row, fmt.Sprintf("%.4f", probes[i][j].Accuracy))
		}
		fmt.Fprintf(tw, "%s\t\n", strings.Join(row, "\t"))
	}
	if len(results[0].Downstream) > 0 {
		for _, name := range []string{"probe mean", "probe worst"} {
			row := []string{name}
			for i := range runs {
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
}

// EvalByRun keys Eval's results by run, as robustdata eval --json prints
// them (and a run writes eval/eval.json).
func EvalByRun(runs []string, results []dataset.RunEval) map[string]dataset.RunEval {
	out := make(map[string]dataset.RunEval, len(runs))
	for i, run := range runs {
		out[run] = results[i]
	}
	return out
}
