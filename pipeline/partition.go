package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/robustdata/robustdata/features"
	"github.com/robustdata/robustdata/partition"
	"github.com/robustdata/robustdata/pipeline/dataset"
	"github.com/robustdata/robustdata/pipeline/schema"
	"github.com/robustdata/robustdata/pipeline/stream"
)

// ShardSettings are the shard stage's settings.
type ShardSettings struct {
	// MaxRows and MaxBytes start a new shard file of a task.
	MaxRows, MaxBytes int64
	// Overwrite replaces an output folder that holds another dataset.
	Overwrite bool
}

// PartitionJob is one run of the partition stage.
type PartitionJob struct {
	// Inputs are the files to read (expanded); Options their source
	// options.
	Inputs  []stream.Input
	Options []stream.Option
	// Features computes the feature columns of inputs that lack them
	// (its Inputs and Options are the job's).
	Features FeaturesJob
	// Config is the stage's configuration; its Seed and Log are the Env's.
	Config partition.Config
	// KRange is the --k auto range as given, recorded in provenance.
	KRange string
	// Model, when set, is a saved partition model to assign with instead
	// of fitting one; ModelOut is where the model is saved.
	Model, ModelOut string
	// Report, when set, receives the Markdown report.
	Report string
	// Output is the stream output (a file or "-"), or with Dir the
	// dataset folder the rows are sharded into.
	Output string
	Dir    bool
	// OutputOptions are the sink options (compression…).
	OutputOptions []stream.Option
	// Shard are the shard settings of a Dir output.
	Shard ShardSettings
}

// LoadPartitionModel loads a saved partition model and checks it against
// the settings before any work: K (k is 0 when not given, auto when
// kMax > 0) and the semantic dimension (dim 0: not given).
func LoadPartitionModel(path string, k, kMax int, kFlag string, dim int) (*partition.Model, error) {
	model, err := partition.LoadModel(path)
	if err != nil {
		return nil, err
	}
	if (k != 0 && k != model.K) || kMax != 0 {
		return nil, Usagef("--k %s but the model %s has K = %d: drop --k, or fit a new model", kFlag, path, model.K)
	}
	if dim != 0 && dim != model.SemanticDim {
		return nil, Usagef("--dim %d but the model %s was fitted on %d semantic dimensions: drop --dim, or fit a new model", dim, path, model.SemanticDim)
	}
	return model, nil
}

// Partition runs the partition stage: inputs without feature columns go
// through the features stage first (into a temporary spool read twice),
// k-means is fitted on a sample (or model is used: from
// LoadPartitionModel), every row is assigned its task and the rows are
// written to the output, or sharded into a dataset folder with the model
// and the report beside the shards.
func Partition(ctx context.Context, env Env, job PartitionJob, model *partition.Model) error {
	if job.Dir {
		job.Inputs = datasetOrder(job.Inputs)
	}
	cfg := job.Config
	cfg.Seed, cfg.Log = env.Seed, env.log()
	prog := env.progress()
	defer prog.End()
	total := InputBytes(job.Inputs)
	prog.Bytes("partition: sample", total)
	opts := append(append([]stream.Option(nil), job.Options...), prog.Option(), stream.WithDocID(schema.DocIDColumn))
	source := SourceName(job.Inputs)

	// Inputs without features go through the features stage first, into
	// a temporary Arrow file that the partition stage then reads twice.
	rp := stream.NewReplay(ctx, job.Inputs, opts...)
	defer rp.Close()
	first, err := rp.First()
	if err != nil {
		return err
	}
	if !partition.HasFeatures(first.Schema()) {
		if model != nil && job.Features.Model == "" {
			first.Close()
			return Usagef("--model %s assigns in the feature space it was fitted in, and these inputs have no features: give --features-model FILE (saved with --features-model-out when the partition model was fitted), or inputs that have feature columns", job.Model)
		}
		prog.Describe("features: sample")
		spool, cleanup, err := featuresSpool(ctx, env, first, rp, job.Inputs, job.Features, source)
		first.Close()
		if err != nil {
			return err
		}
		defer cleanup()
		// The partition's two passes read the features spool.
		total = InputBytes([]stream.Input{spool})
		prog.Bytes("partition: sample", total)
		rp = stream.NewReplay(ctx, []stream.Input{spool}, prog.Option())
		defer rp.Close()
		if first, err = rp.First(); err != nil {
			return err
		}
	}

	sample, err := partition.DrawSample(ctx, first, cfg.Sample, partition.SampleSeed(env.Seed), cfg, source)
	first.Close()
	if err != nil {
		return err
	}
	if model == nil {
		prog.Working("partition: fit k-means")
		if model, err = partition.Fit(ctx, sample, cfg); err != nil {
			return err
		}
	} else if err := model.AssignSample(sample); err != nil {
		return err
	}
	hash, err := model.Hash()
	if err != nil {
		return err
	}
	if job.ModelOut != "" && !job.Dir {
		if _, err := model.Save(job.ModelOut); err != nil {
			return err
		}
	}

	prog.Bytes("partition: assign", total)
	src, err := rp.Second()
	if err != nil {
		return err
	}
	prov, err := stream.StageProvenance(ctx, src.Schema(), job.Inputs, env.Seed, "partition", partitionRecord(cfg, job.KRange, model, hash))
	if err != nil {
		src.Close()
		return err
	}
	outSchema, err := stream.WithProvenance(partition.OutputSchemaFor(src.Schema(), model, hash), prov)
	if err != nil {
		src.Close()
		return err
	}
	assigned, err := partition.Assign(ctx, src, model, cfg, outSchema, source)
	if err != nil {
		src.Close()
		return err
	}
	stats := &partition.Stats{K: model.K}
	rd := stats.Observe(assigned, cfg.LabelCol)
	// report writes the Markdown report to path; shown is the path its
	// log line gives (where the file will be once published).
	report := func(path, shown string) error {
		ri := partition.ReportInput{Model: model, Sample: sample, Stats: stats, Source: source,
			PatternNames: schema.PatternNames(), Terms: features.ContentWords}
		q := partition.Measure(ri)
		if err := stream.WriteFileAtomic(path, func(w io.Writer) error {
			_, err := io.WriteString(w, partition.Report(ri, q))
			return err
		}); err != nil {
			return err
		}
		attrs := []any{"report", shown, "k", model.K, "silhouette", q.Silhouette}
		if q.NMI != nil {
			attrs = append(attrs, "nmi", *q.NMI, "ari", *q.ARI, "purity", *q.Purity)
		}
		env.log().Info("partition: wrote report", attrs...)
		return nil
	}
	if job.Dir {
		// The model and the report sit beside the shards, published with
		// them (written into the staging folder); verify checks the model
		// against the manifest's partition model hash.
		beside := func(staging string) error {
			if _, err := model.Save(filepath.Join(staging, dataset.ModelFile)); err != nil {
				return err
			}
			return report(filepath.Join(staging, dataset.ReportFile), filepath.Join(job.Output, dataset.ReportFile))
		}
		if err := WriteShards(ctx, env, rd, job.Output, job.Shard, prov, model.K, hash, beside, job.OutputOptions...); err != nil {
			return err
		}
	} else {
		rows, err := WriteStream(ctx, rd, job.Output, append(opts, job.OutputOptions...))
		if err != nil {
			return err
		}
		env.log().Info("wrote", "command", "partition", "rows", rows, "output", job.Output)
	}
	if job.ModelOut != "" && job.Dir {
		if _, err := model.Save(job.ModelOut); err != nil {
			return err
		}
	}
	if job.Report != "" {
		return report(job.Report, job.Report)
	}
	return nil
}

// partitionRecord is the configuration as recorded in provenance.
func partitionRecord(cfg partition.Config, kRange string, m *partition.Model, modelHash string) map[string]any {
	r := map[string]any{"k": m.K, "sample": cfg.Sample, "restarts": cfg.Restarts, "max_iter": cfg.MaxIter,
		"pattern_weight": m.PatternWeight, "semantic_weight": m.SemanticWeight, "model_sha256": modelHash}
	if cfg.KMax != 0 {
		r["k_range"] = kRange
	}
	return r
}

// featuresSpool runs the features stage over the inputs — fitting on
// first, the first pass of rp — into a temporary Arrow file, and returns
// it as an input with a function that removes it.
func featuresSpool(ctx context.Context, env Env, first stream.Reader, rp *stream.Replay, inputs []stream.Input, job FeaturesJob, source string) (stream.Input, func(), error) {
	job.Inputs = inputs
	rd, err := featuresOver(ctx, env, rp, first, job, source)
	if err != nil {
		return stream.Input{}, nil, err
	}
	defer rd.Close()
	// The spool lives in a locked staging folder in TMPDIR, so that the
	// spool of a killed run is swept by the next one.
	stream.SweepStaging(os.TempDir(), featuresSpoolName)
	stage, err := stream.NewStagingDir(filepath.Join(os.TempDir(), featuresSpoolName))
	if err != nil {
		return stream.Input{}, nil, fmt.Errorf("creating the features spool: %w", err)
	}
	path := filepath.Join(stage.Path, "features.arrows")
	cleanup := func() { stage.Release() }
	w, err := stream.Create(path, rd.Schema())
	if err != nil {
		cleanup()
		return stream.Input{}, nil, err
	}
	if _, err := stream.Copy(ctx, w, rd); err != nil {
		w.Abort()
		cleanup()
		return stream.Input{}, nil, err
	}
	if err := w.Close(); err != nil {
		cleanup()
		return stream.Input{}, nil, err
	}
	size := int64(-1)
	if st, err := os.Stat(path); err == nil {
		size = st.Size() // for the progress of the passes over it
	}
	return stream.Input{Name: inputs[0].Name, Path: path, Format: stream.FormatIPCStream, Size: size}, cleanup, nil
}

// featuresSpoolName is the base of the features spool's staging folder in
// TMPDIR.
const featuresSpoolName = "robustdata-features"

// discard is an arrio.Writer that drops batches.
type discard struct{}

func (discard) Write(arrow.RecordBatch) error { return nil }

// WriteShards writes rd as a sharded dataset in dir (closing rd), its
// manifest naming the provenance's inputs and stages; beforePublish, when
// set, writes more files into the staging folder before it is published.
func WriteShards(ctx context.Context, env Env, rd stream.Reader, dir string, s ShardSettings, prov *stream.Provenance, k int, modelHash string, beforePublish func(staging string) error, wopts ...stream.Option) error {
	defer rd.Close()
	config := map[string]any{"shard": map[string]any{"max_rows": s.MaxRows, "max_bytes": s.MaxBytes}}
	m := dataset.Manifest{Config: config, PartitionModel: modelHash}
	if prov != nil {
		m.Inputs, m.Seed = prov.Inputs, prov.Seed
		for _, st := range prov.Stages {
			config[st.Stage] = st.Config
		}
	}
	man, err := dataset.WriteShards(ctx, rd, dir, dataset.ShardOptions{
		Tasks: k, MaxRows: s.MaxRows, MaxBytes: s.MaxBytes, Overwrite: s.Overwrite,
		Writer: wopts, Manifest: m, BeforePublish: beforePublish,
	})
	if errors.Is(err, dataset.ErrExists) {
		return UsageError{err}
	}
	if err != nil {
		return err
	}
	env.log().Info("wrote dataset", "dir", dir, "tasks", len(man.Tasks), "rows", man.TotalRows, "rejected", man.Rejected.Rows)
	return nil
}

// TaskMeta reads K and the partition model's hash from the task column's
// metadata (see partition.OutputSchemaFor).
func TaskMeta(sc *arrow.Schema) (int, string) {
	idx := sc.FieldIndices(schema.TaskColumn)
	if len(idx) == 0 {
		return 0, ""
	}
	md := sc.Field(idx[0]).Metadata
	k := 0
	if i := md.FindKey(partition.MetaK); i >= 0 {
		k, _ = strconv.Atoi(md.Values()[i])
	}
	hash := ""
	if i := md.FindKey(partition.MetaModelHash); i >= 0 {
		hash = md.Values()[i]
	}
	return k, hash
}

// ShardJob is one run of the shard stage: rows that carry their task
// (partitioned) written as a dataset folder.
type ShardJob struct {
	// Inputs are the files to read (expanded); Options their source
	// options.
	Inputs  []stream.Input
	Options []stream.Option
	// Output is the dataset folder.
	Output string
	Shard  ShardSettings
	// Tasks is K; 0 reads it from the partition stage's metadata.
	Tasks int
	// Compression is the shards' Parquet compression.
	Compression stream.Compression
}

// Shard runs the shard stage. Like every stage it adds doc_id when the
// input has none: train holds rows out by it and verify checks it is
// unique.
func Shard(ctx context.Context, env Env, job ShardJob) error {
	job.Inputs = datasetOrder(job.Inputs)
	prog := env.progress()
	prog.Bytes("shard", InputBytes(job.Inputs))
	defer prog.End()
	rd, err := stream.OpenInputs(ctx, job.Inputs, append(append([]stream.Option(nil), job.Options...), prog.Option(), stream.WithDocID(schema.DocIDColumn))...)
	if err != nil {
		return err
	}
	k, hash := TaskMeta(rd.Schema())
	if job.Tasks > 0 {
		k = job.Tasks
	}
	if k == 0 {
		rd.Close()
		return Usagef("--tasks K is missing: the input does not say how many tasks it has (no partition metadata)")
	}
	prov, _ := stream.ProvenanceOf(rd.Schema())
	if prov == nil {
		if prov, err = stream.StageProvenance(ctx, rd.Schema(), job.Inputs, env.Seed, "input", map[string]any{}); err != nil {
			rd.Close()
			return err
		}
		prov.Stages = nil
	}
	return WriteShards(ctx, env, rd, job.Output, job.Shard, prov, k, hash, nil, stream.WithCompression(job.Compression))
}

// datasetOrder is the order a dataset reads its inputs in: by name, so
// that the same files given in another order (-i b -i a, or a list a
// scheduler wrote) make the same shards, byte for byte, and the same
// manifest. (The models do not depend on the order anyway: their samples
// are drawn by hash, see stream.BottomK.) A stream output keeps the order
// given: its rows follow the input's.
func datasetOrder(inputs []stream.Input) []stream.Input {
	out := slices.Clone(inputs)
	slices.SortStableFunc(out, func(a, b stream.Input) int { return strings.Compare(a.Name, b.Name) })
	return out
}
