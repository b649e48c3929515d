package train

import (
	"bytes"
	"context"
	"errors"

	"github.com/robustdata/robustdata/features"
	"github.com/robustdata/robustdata/pipeline/dataset"

	"path/filepath"
	"strings"
	"testing"
)

// TestRunFinishedFolder: training into a folder that holds a finished run
// is refused (ErrExists) and leaves the run as it was; --resume keeps it,
// --overwrite replaces it with the new run's files.
func TestRunFinishedFolder(t *testing.T) {
	ds := rtSmall(t)
	ctx := context.Background()
	cfg := rtCfg(ds, filepath.Join(t.TempDir(), "run"), "erm", ObjectiveRegression)
	rtRun(t, cfg)
	before := rtReadRun(t, cfg.RunDir)

	again := cfg
	again.Strategy, again.Seed = "minimax", 8
	_, err := Run(ctx, again)
	if !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), "finished run") || !strings.Contains(err.Error(), "--overwrite") {
		t.Fatalf("second run into a finished run: error %v, want ErrExists naming --overwrite", err)
	}
	rtSameRun(t, before, rtReadRun(t, cfg.RunDir), "refused run")

	both := again
	both.Resume, both.Overwrite = true, true
	if _, err := Run(ctx, both); err == nil || !strings.Contains(err.Error(), "exclude") {
		t.Errorf("--resume with --overwrite: error %v", err)
	}

	resumed := cfg
	resumed.Resume = true
	rtRun(t, resumed)
	rtSameRun(t, before, rtReadRun(t, cfg.RunDir), "resumed finished run")

	again.Overwrite = true
	rtRun(t, again)
	after := rtReadRun(t, cfg.RunDir)
	if bytes.Equal(after[dataset.CheckpointFile], before[dataset.CheckpointFile]) || !bytes.Contains(after[dataset.ModelJSON], []byte(`"minimax"`)) {
		t.Errorf("--overwrite kept the old run")
	}

	// A run stopped before its end is refused too, pointing at --resume.
	stopped := rtCfg(ds, filepath.Join(t.TempDir(), "stopped"), "erm", ObjectiveRegression)
	rtKilled(t, stopped, 15, nil)
	if _, err := Run(ctx, stopped); !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), "--resume") {
		t.Errorf("run into a stopped run: error %v, want ErrExists naming --resume", err)
	}
}

// TestEvaluateRunOtherTasks: a run evaluated on a dataset of another
// number of tasks is bad input that says both counts.
func TestEvaluateRunOtherTasks(t *testing.T) {
	ds := rtSmall(t)
	two := filepath.Join(t.TempDir(), "two")
	rtDataset(t, two, rtSpec{Rows: []int{400, 300}, D: 8})
	for _, obj := range []string{ObjectiveRegression, ObjectiveToken} {
		t.Run(obj, func(t *testing.T) {
			cfg := rtCfg(ds, filepath.Join(t.TempDir(), "run"), "erm", obj)
			rtRun(t, cfg)
			_, err := EvaluateRun(context.Background(), cfg.RunDir, two, features.HashedWords)
			rtDataError(t, err, "the dataset has 2 tasks; run "+cfg.RunDir+" was trained on 3")
			if _, err := EvaluateRun(context.Background(), cfg.RunDir, ds, features.HashedWords); err != nil {
				t.Errorf("same dataset: %v", err)
			}
		})
	}
}
