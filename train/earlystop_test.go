package train

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/robustdata/robustdata/pipeline/safetensors"
)

// esCfg is a tiny regression run with early stopping: a validation every
// 10 steps, patience 2, at most 3000 steps (it plateaus long before).
func esCfg(ds, runDir string) Config {
	cfg := rtCfg(ds, runDir, "erm", ObjectiveRegression)
	cfg.Steps, cfg.Patience, cfg.EvalEvery, cfg.CheckpointEvery = 3000, 2, 10, 50
	return cfg
}

// TestEarlyStop: a tiny run stops before its most steps once two
// validations in a row have not improved the mean; eval.json, the log,
// the checkpoint and EvaluateRun all give the step count it stopped at,
// which the validations recorded in eval.json explain by the rule.
func TestEarlyStop(t *testing.T) {
	ds := rtSmall(t)
	cfg := esCfg(ds, filepath.Join(t.TempDir(), "run"))
	ev := rtRun(t, cfg)
	t.Logf("stopped at %d (best %d), %d validations", ev.Steps, ev.BestStep, len(ev.Validations))
	if !ev.StoppedEarly || ev.Steps >= cfg.Steps || ev.Steps <= 0 {
		t.Fatalf("steps %d, stopped early %v: want an early stop before %d", ev.Steps, ev.StoppedEarly, cfg.Steps)
	}
	// The rule, replayed on the recorded validations.
	if len(ev.Validations) != ev.Steps/cfg.EvalEvery {
		t.Fatalf("%d validations over %d steps, every %d", len(ev.Validations), ev.Steps, cfg.EvalEvery)
	}
	best, bestStep, bad, stop := 0.0, 0, 0, -1
	for i, v := range ev.Validations {
		if v.Step != (i+1)*cfg.EvalEvery || !(v.Mean > 0) || v.Worst < v.Mean {
			t.Fatalf("validation %d: %+v", i, v)
		}
		if i == 0 || v.Mean < best*(1-EarlyStopTolerance) {
			best, bestStep, bad = v.Mean, v.Step, 0
		} else if bad++; bad == cfg.Patience {
			stop = v.Step
			break
		}
	}
	if stop != ev.Steps || bestStep != ev.BestStep || ev.Steps != ev.BestStep+cfg.Patience*cfg.EvalEvery {
		t.Fatalf("the validations stop at %d (best %d); eval.json says %d (best %d)", stop, bestStep, ev.Steps, ev.BestStep)
	}
	last := ev.Validations[len(ev.Validations)-1]
	if last.Mean != ev.Mean || last.Worst != ev.Worst {
		t.Errorf("final eval mean %v worst %v; the last validation %+v", ev.Mean, ev.Worst, last)
	}
	log, err := readLog(filepath.Join(cfg.RunDir, TrainLogFile), ev.Steps)
	if err != nil || len(log) != ev.Steps*3 {
		t.Errorf("train log: %d rows (%v), want %d steps of 3 tasks", len(log), err, ev.Steps)
	}
	f, err := safetensors.ReadFile(filepath.Join(cfg.RunDir, CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	st, _ := f.Tensor("train.step")
	if steps, _ := st.Int64s(); len(steps) != 1 || int(steps[0]) != ev.Steps {
		t.Errorf("checkpoint at step %v, want %d", steps, ev.Steps)
	}
	again, err := EvaluateRun(context.Background(), cfg.RunDir, ds, nil)
	if err != nil {
		t.Fatal(err)
	}
	if again.Steps != ev.Steps || again.Mean != ev.Mean {
		t.Errorf("EvaluateRun: steps %d mean %v; Run: %d %v", again.Steps, again.Mean, ev.Steps, ev.Mean)
	}

	// Without patience the same run trains every step.
	full := cfg
	full.RunDir, full.Patience, full.Steps = filepath.Join(t.TempDir(), "full"), 0, ev.Steps+7
	if e := rtRun(t, full); e.Steps != full.Steps || e.StoppedEarly || len(e.Validations) != 0 {
		t.Errorf("patience 0: steps %d stopped %v validations %d; want %d steps", e.Steps, e.StoppedEarly, len(e.Validations), full.Steps)
	}
}

// TestEarlyStopResume: a run killed before its early stop and resumed
// ends byte-identical to an uninterrupted one, and resuming a run that
// stopped early changes nothing.
func TestEarlyStopResume(t *testing.T) {
	ds := rtSmall(t)
	whole := esCfg(ds, filepath.Join(t.TempDir(), "whole"))
	ev := rtRun(t, whole)
	want := rtReadRun(t, whole.RunDir)
	if !ev.StoppedEarly || ev.Steps < 30 {
		t.Fatalf("the run stopped at %d (early %v): the test needs a stop after step 30", ev.Steps, ev.StoppedEarly)
	}
	for _, kill := range []int{ev.Steps - 5, ev.Steps - 10, 23} {
		cfg := whole
		cfg.RunDir = filepath.Join(t.TempDir(), "run")
		rtKilled(t, cfg, kill, nil)
		cfg.Resume = true
		rtRun(t, cfg)
		rtSameRun(t, want, rtReadRun(t, cfg.RunDir), "killed at step "+strconv.Itoa(kill))
	}
	cfg := whole
	cfg.Resume = true
	if e := rtRun(t, cfg); e.Steps != ev.Steps || !e.StoppedEarly {
		t.Errorf("resuming a stopped run: steps %d stopped %v", e.Steps, e.StoppedEarly)
	}
	rtSameRun(t, want, rtReadRun(t, whole.RunDir), "resumed after its stop")
	if _, err := os.Stat(filepath.Join(whole.RunDir, TrainJournalFile)); err == nil {
		t.Errorf("a journal is left")
	}
}
