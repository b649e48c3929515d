package split

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow/go/arrow/memory"
	"github.com/robustdata/robustdata/features"
	"github.com/robustdata/robustdata/partition"
	"github.com/robustdata/robustdata/pipeline"
	"github.com/robustdata/robustdata/pipeline/record"
	"github.com/robustdata/robustdata/pipeline/stream"
)

// Result is what running one work unit did.
type Result struct {
	// Part is the unit's output file ("" for a unit with no input);
	// Marker its completion marker.
	Part, Marker string
	// Rows is the part's row count.
	Rows int64
	// Skipped tells that the unit was complete already: nothing was done.
	Skipped bool
}

// Part names work unit split's output in dir (part-00002-of-00008.parquet):
// the parts read in name order are the units in order.
func Part(dir string, split stream.Split) string {
	return filepath.Join(dir, fmt.Sprintf("part-%05d-of-%05d.parquet", split.Index, split.Count))
}

// Marker names work unit split's completion marker in dir. Its name
// starts with "_", so that reading dir as an input skips it.
func Marker(dir string, split stream.Split) string {
	return filepath.Join(dir, fmt.Sprintf("_unit-%05d-of-%05d.json", split.Index, split.Count))
}

// Features runs work unit I of N (splitArg "I/N", see
// stream.ParseSplit) of the features stage: it applies the job's saved
// model (a split never fits one: every unit must apply the same) to the
// unit's rows (stream.SplitUnits cuts the job's inputs) and writes them as
// Run says. Reading dir afterwards gives the rows and doc_ids of the
// whole job over its inputs in name order.
func Features(ctx context.Context, env pipeline.Env, job pipeline.FeaturesJob, splitArg string, dir string, opts []stream.Option) (Result, error) {
	if job.Model == "" {
		return Result{}, pipeline.Usagef("--split %s needs --model: fit the features model once (features --model-out on the corpus or a sample of it), then apply it in every unit", splitArg)
	}
	if job.ModelOut != "" {
		return Result{}, pipeline.Usagef("--split applies a saved model: --model-out has nothing to save")
	}
	settings := map[string]any{"features": job.Config.Record(), "seed": env.Seed}
	return Run(ctx, env, "features", job.Inputs, splitArg, dir, []string{job.Model}, settings,
		func(ctx context.Context, unit []stream.Input, part string) (int64, error) {
			job.Inputs = unit
			rd, err := pipeline.Features(ctx, env, job)
			if err != nil {
				return 0, err
			}
			return pipeline.WriteStream(ctx, rd, part, opts)
		})
}

// Sample draws work unit I of N's share (splitArg "I/N") of the
// features stage's sample: the bottom job.Config.Sample of a seeded hash
// of the unit's usable texts (features.Sample), written as Run says
// as a Parquet file of one column, the text column, in hash order. The
// features stage fitted on the folder of every unit's share (features -i
// DIR/ --model-out M, with the same --sample and --seed) fits the model
// the whole corpus would give: the bottom k of the union of the units'
// bottom k is the whole's, so no machine reads the whole corpus.
func Sample(ctx context.Context, env pipeline.Env, job pipeline.FeaturesJob, splitArg, dir string, opts []stream.Option) (Result, error) {
	if job.Model != "" || job.ModelOut != "" {
		return Result{}, pipeline.Usagef("--sample-only draws the sample a features model is fitted on: drop --model and --model-out")
	}
	cfg := job.Config.Record()
	k, textCol := cfg["sample"].(int), cfg["text_col"].(string)
	settings := map[string]any{"sample": k, "text_col": textCol, "seed": env.Seed}
	return Run(ctx, env, "sample", job.Inputs, splitArg, dir, nil, settings,
		func(ctx context.Context, unit []stream.Input, part string) (int64, error) {
			rd, err := stream.OpenInputs(ctx, unit, append(slices.Clone(job.Options), progressOf(env).Option())...)
			if err != nil {
				return 0, err
			}
			defer rd.Close()
			texts, _, err := features.Sample(ctx, rd, textCol, k, env.Seed, pipeline.SourceName(unit))
			if err != nil {
				return 0, err
			}
			return int64(len(texts)), writeTexts(part, textCol, texts, opts)
		})
}

// writeTexts writes texts as a Parquet file of one string column.
func writeTexts(path, col string, texts [][]byte, opts []stream.Option) error {
	sc := arrow.NewSchema([]arrow.Field{{Name: col, Type: arrow.BinaryTypes.String}}, nil)
	w, err := stream.Create(path, sc, opts...)
	if err != nil {
		return err
	}
	for start := 0; start < len(texts) || start == 0; start += 8192 {
		b := array.NewStringBuilder(memory.DefaultAllocator)
		for _, t := range texts[start:min(start+8192, len(texts))] {
			b.BinaryBuilder.Append(t)
		}
		arr := b.NewArray()
		rec := array.NewRecordBatch(sc, []arrow.Array{arr}, int64(arr.Len()))
		err := w.Write(rec)
		rec.Release()
		arr.Release()
		b.Release()
		if err != nil {
			w.Abort()
			return err
		}
	}
	return w.Close()
}

// Partition runs work unit I of N (splitArg "I/N") of the partition
// stage with a saved model: the unit's rows with their task, written as
// Run says into the job's Output folder. The shards of the whole are
// then written by the shard stage over that folder (robustdata shard -i
// DIR/ -o DATASET/).
func Partition(ctx context.Context, env pipeline.Env, job pipeline.PartitionJob, model *partition.Model, splitArg string) (Result, error) {
	if model == nil {
		return Result{}, pipeline.Usagef("--split %s needs --model: fit the partition model once (partition --model-out), then apply it in every unit", splitArg)
	}
	if job.ModelOut != "" || job.Features.ModelOut != "" || job.Report != "" {
		return Result{}, pipeline.Usagef("--split applies saved models: --model-out, --features-model-out and --report have nothing to write")
	}
	models := []string{job.Model}
	if job.Features.Model != "" {
		models = append(models, job.Features.Model)
	}
	dir := job.Output
	settings := map[string]any{"features": job.Features.Config.Record(), "label_col": job.Config.LabelCol, "text_col": job.Config.TextCol, "seed": env.Seed}
	return Run(ctx, env, "partition", job.Inputs, splitArg, dir, models, settings,
		func(ctx context.Context, unit []stream.Input, part string) (int64, error) {
			job.Inputs, job.Features.Inputs, job.Output, job.Dir = unit, unit, part, false
			return -1, pipeline.Partition(ctx, env, job, model)
		})
}

// Run runs work unit I of N (splitArg "I/N") of a row-wise stage over
// inputs: run writes the unit's inputs (stream.SplitUnits; none for an
// empty unit, which run is not called for) to Part(dir) and returns
// its rows (-1: not counted); then Run writes the unit's completion
// marker, a record of its inputs (names, sizes, modification times, row
// groups), the sha256 of the model files, the settings and the part's
// sha256. A unit whose marker matches is complete and is not run again; a
// part without its marker (a worker stopped) is written again. A folder of
// units is read as an input only when every unit is complete (see
// stream.ExpandInputs).
func Run(ctx context.Context, env pipeline.Env, stage string, inputs []stream.Input, splitArg, dir string, models []string, settings map[string]any,
	run func(ctx context.Context, unit []stream.Input, part string) (int64, error)) (Result, error) {
	split, err := stream.ParseSplit(splitArg)
	if err != nil {
		return Result{}, pipeline.UsageError{Err: err}
	}
	if dir == "" || !stream.IsDirOutput(dir) {
		return Result{}, pipeline.Usagef("--split writes its unit's part and marker into a folder: give -o DIR/ (with the slash), not %q", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Result{}, fmt.Errorf("creating %s: %w", dir, err)
	}
	units, err := stream.SplitUnits(inputs, split.Count)
	if err != nil {
		return Result{}, err
	}
	unit := units[split.Index]
	res := Result{Marker: Marker(dir, split)}
	fp, err := unitFingerprint(ctx, stage, unit, split, models, settings)
	if err != nil {
		return res, err
	}
	h := record.NewFileHasher(dir) // the marker names the part relative to dir
	if old, err := record.ReadStageRecord(res.Marker); err == nil && old != nil && old.Fingerprint.Matches(fp) {
		why, err := old.CheckOutputs(ctx, h)
		if err == nil && (why == "" || (len(unit) == 0 && len(old.Outputs) == 0)) {
			res.Skipped = true
			if len(unit) > 0 {
				res.Part = Part(dir, split)
			}
			logOf(env).Info(stage+": unit complete already", "split", split.String(), "marker", res.Marker)
			return res, nil
		}
	}
	if err := os.Remove(res.Marker); err != nil && !os.IsNotExist(err) {
		return res, fmt.Errorf("removing %s: %w", res.Marker, err)
	}
	done := &record.StageCompletion{Stage: stage + " unit " + split.String(), Fingerprint: fp}
	if len(unit) > 0 {
		res.Part = Part(dir, split)
		if res.Rows, err = run(ctx, unit, res.Part); err != nil {
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
	logOf(env).Info(stage+": unit done", "split", split.String(), "rows", res.Rows, "part", res.Part)
	return res, nil
}

// unitFingerprint identifies a unit's work: its inputs (name, size,
// modification time, row groups), the split, the model files' sha256 and
// the settings.
func unitFingerprint(ctx context.Context, stage string, unit []stream.Input, split stream.Split, models []string, config map[string]any) (record.StageFingerprint, error) {
	var ins []record.FileSum
	for _, in := range unit {
		st, err := os.Stat(in.Path)
		if err != nil {
			return record.StageFingerprint{}, stream.FileError(in.Path, err)
		}
		ins = append(ins, record.FileSum{Path: fmt.Sprintf("%s#%d-%d@%d", in.Name, in.Groups.First, in.Groups.End, st.ModTime().UnixNano()), Bytes: st.Size()})
	}
	var sums []string
	for _, m := range models {
		sum, err := record.NewFileHasher("").File(ctx, m, m)
		if err != nil {
			return record.StageFingerprint{}, err
		}
		sums = append(sums, sum.SHA256)
	}
	cfg := map[string]any{"stage": stage, "split": split.String(), "models_sha256": sums, "tool_version": stream.ToolVersion}
	for k, v := range config {
		cfg[k] = v
	}
	return record.NewStageFingerprint(ins, cfg)
}

// logOf is env's logger (none: discard).
func logOf(env pipeline.Env) *slog.Logger {
	if env.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return env.Log
}

// progressOf is env's progress (none: NoProgress).
func progressOf(env pipeline.Env) pipeline.Progress {
	if env.Progress == nil {
		return pipeline.NoProgress{}
	}
	return env.Progress
}
