package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/robustdata/robustdata/pipeline/record"
	"github.com/robustdata/robustdata/pipeline/stream"
)

// UnitResult is what running one work unit did.
type UnitResult struct {
	// Part is the unit's output file ("" for a unit with no input);
	// Marker its completion marker.
	Part, Marker string
	// Rows is the part's row count.
	Rows int64
	// Skipped tells that the unit was complete already: nothing was done.
	Skipped bool
}

// UnitPart names work unit split's output in dir (part-00002-of-00008.parquet):
// the parts read in name order are the units in order.
func UnitPart(dir string, split stream.Split) string {
	return filepath.Join(dir, fmt.Sprintf("part-%05d-of-%05d.parquet", split.Index, split.Count))
}

// UnitMarker names work unit split's completion marker in dir. Its name
// starts with "_", so that reading dir as an input skips it.
func UnitMarker(dir string, split stream.Split) string {
	return filepath.Join(dir, fmt.Sprintf("_unit-%05d-of-%05d.json", split.Index, split.Count))
}

// FeaturesUnit runs work unit I of N (splitArg "I/N", see stream.ParseSplit) of the features
// stage (stream.SplitUnits cuts the job's inputs): it applies the job's
// saved model (a split never fits one: every unit must apply the same) to
// the unit's rows, writes them to UnitPart(dir) and then its completion
// marker, a record of the unit's inputs (names, sizes, modification times,
// row groups), the model's sha256, the settings and the part's sha256. A
// unit whose marker matches is complete and is not run again; a part
// without its marker (a worker stopped) is written again. Reading dir
// afterwards gives the rows and doc_ids of the whole job over its inputs
// in name order.
func FeaturesUnit(ctx context.Context, env Env, job FeaturesJob, splitArg string, dir string, opts []stream.Option) (UnitResult, error) {
	split, err := stream.ParseSplit(splitArg)
	if err != nil {
		return UnitResult{}, UsageError{err}
	}
	if job.Model == "" {
		return UnitResult{}, Usagef("--split %s needs --model: fit the features model once (features --model-out on the corpus or a sample of it), then apply it in every unit", split)
	}
	if job.ModelOut != "" {
		return UnitResult{}, Usagef("--split applies a saved model: --model-out has nothing to save")
	}
	if dir == "" || !stream.IsDirOutput(dir) {
		return UnitResult{}, Usagef("--split writes its unit's part and marker into a folder: give -o DIR/ (with the slash), not %q", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return UnitResult{}, fmt.Errorf("creating %s: %w", dir, err)
	}
	units, err := stream.SplitUnits(job.Inputs, split.Count)
	if err != nil {
		return UnitResult{}, err
	}
	unit := units[split.Index]
	res := UnitResult{Marker: UnitMarker(dir, split)}
	fp, err := unitFingerprint(ctx, "features", unit, split, job.Model, map[string]any{"config": job.Config, "seed": env.Seed})
	if err != nil {
		return res, err
	}
	h := record.NewFileHasher(dir) // the marker names the part relative to dir
	if old, err := record.ReadStageRecord(res.Marker); err == nil && old != nil && old.Fingerprint.Matches(fp) {
		why, err := old.CheckOutputs(ctx, h)
		if err == nil && (why == "" || (len(unit) == 0 && len(old.Outputs) == 0)) {
			res.Skipped = true
			if len(unit) > 0 {
				res.Part = UnitPart(dir, split)
			}
			env.log().Info("features: unit complete already", "split", split.String(), "marker", res.Marker)
			return res, nil
		}
	}
	if err := os.Remove(res.Marker); err != nil && !os.IsNotExist(err) {
		return res, fmt.Errorf("removing %s: %w", res.Marker, err)
	}
	done := &record.StageCompletion{Stage: "features unit " + split.String(), Fingerprint: fp}
	if len(unit) > 0 {
		res.Part = UnitPart(dir, split)
		job.Inputs = unit
		rd, err := Features(ctx, env, job)
		if err != nil {
			return res, err
		}
		if res.Rows, err = WriteStream(ctx, rd, res.Part, opts); err != nil {
			return res, err
		}
		sum, err := h.Output(ctx, filepath.Base(res.Part))
		if err != nil {
			return res, err
		}
		done.Outputs = []record.FileSum{sum}
	}
	if err := record.WriteStageRecord(res.Marker, done); err != nil {
		return res, fmt.Errorf("writing %s: %w", res.Marker, err)
	}
	env.log().Info("features: unit done", "split", split.String(), "rows", res.Rows, "part", res.Part)
	return res, nil
}

// unitFingerprint identifies a unit's work: its inputs (name, size,
// modification time, row groups), the split, the model file's sha256 and
// the settings.
func unitFingerprint(ctx context.Context, stage string, unit []stream.Input, split stream.Split, model string, config map[string]any) (record.StageFingerprint, error) {
	var ins []record.FileSum
	for _, in := range unit {
		st, err := os.Stat(in.Path)
		if err != nil {
			return record.StageFingerprint{}, stream.FileError(in.Path, err)
		}
		ins = append(ins, record.FileSum{Path: fmt.Sprintf("%s#%d-%d@%d", in.Name, in.Groups.First, in.Groups.End, st.ModTime().UnixNano()), Bytes: st.Size()})
	}
	sum, err := record.NewFileHasher("").File(ctx, model, model)
	if err != nil {
		return record.StageFingerprint{}, err
	}
	cfg := map[string]any{"stage": stage, "split": split.String(), "model_sha256": sum.SHA256, "tool_version": stream.ToolVersion}
	for k, v := range config {
		cfg[k] = v
	}
	return record.NewStageFingerprint(ins, cfg)
}
