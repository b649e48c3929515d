package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/parquet-go/parquet-go"

	"github.com/robustdata/robustdata/pipeline/dataset"
	"github.com/robustdata/robustdata/pipeline/safetensors"
)

// trainResumable tells whether train --resume can continue a run folder
// to the outputs of an uninterrupted run: there is no checkpoint yet, or
// the training log covers every step before the checkpoint's. (A run
// killed between writing a checkpoint and its log has a log that stops
// short; continuing it would lose those steps' log rows.)
func trainResumable(dir string) (bool, string) {
	run := dataset.RunDir(dir)
	ck := run.File(dataset.CheckpointFile)
	if _, err := os.Stat(ck); errors.Is(err, fs.ErrNotExist) {
		return true, ""
	}
	f, err := safetensors.ReadFile(ck)
	if err != nil {
		return false, "the checkpoint cannot be read: " + err.Error()
	}
	t, ok := f.Tensor("train.step")
	if !ok {
		return false, "the checkpoint has no step"
	}
	steps, err := t.Int64s()
	if err != nil || len(steps) != 1 {
		return false, "the checkpoint's step cannot be read"
	}
	rows, err := parquet.ReadFile[dataset.LogRow](run.File(dataset.TrainLogFile))
	if err != nil {
		return false, "the training log cannot be read: " + err.Error()
	}
	last := int64(-1)
	for _, row := range rows {
		last = max(last, row.Step)
	}
	if last+1 < steps[0] {
		return false, fmt.Sprintf("the training log stops at step %d, the checkpoint is at step %d", last+1, steps[0])
	}
	return true, ""
}
