package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"

	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

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
	// KeepFeatures keeps the feature columns in the shards (see
	// dataset.ShardOptions.KeepFeatures).
	KeepFeatures bool
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

// Partition runs the partition stage: inputs without feature columns are
// featurised on the way (the features model fitted in the first pass,
// which also draws the k-means sample; every row's features recomputed in
// the assign pass; no spool), k-means is fitted on a sample (or model is used: from
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

	// Inputs without features are featurised on the way (fusion, issue
	// 16): the first pass fits the features model and draws the k-means
	// sample, whose features are computed with it; the assign pass
	// computes every row's features again from the model. No features
	// spool is written.
	rp := stream.NewReplay(ctx, job.Inputs, opts...)
	defer rp.Close()
	first, err := rp.First()
	if err != nil {
		return err
	}
	fjob := job.Features
	fjob.Inputs = job.Inputs
	var (
		sample *partition.Sample
		fm     *features.Model
	)
	if partition.HasFeatures(first.Schema()) {
		sample, err = partition.DrawSample(ctx, first, cfg.Sample, partition.SampleSeed(env.Seed), cfg, source)
		first.Close()
	} else {
		if model != nil && job.Features.Model == "" {
			first.Close()
			return Usagef("--model %s assigns in the feature space it was fitted in, and these inputs have no features: give --features-model FILE (saved with --features-model-out when the partition model was fitted), or inputs that have feature columns", job.Model)
		}
		prog.Describe("features: sample")
		sample, fm, err = fusedSample(ctx, env, rp, first, fjob, cfg, source)
		first.Close()
	}
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
	if fm != nil {
		if src, err = applyFeatures(ctx, env, src, fm, fjob, source); err != nil {
			return err
		}
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
			// Every row is read and sharded: the assign step is over
			// (its bar drawn at 100% before the report's log line).
			prog.End()
			if _, err := model.Save(filepath.Join(staging, dataset.ModelFile)); err != nil {
				return err
			}
			if fm != nil {
				// The features were computed on the way: their model
				// goes beside the shards, which do not carry them.
				if err := features.SaveModel(filepath.Join(staging, dataset.FeaturesModelFile), fm); err != nil {
					return err
				}
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

// fusedSample reads the first pass of a corpus without features (first,
// of rp) once for both samples: the features model is fitted on it (or
// loaded: job.Model) while a features.RowTap draws the k-means sample —
// the rows partition.DrawSample would draw from the features stage's
// output — whose features are then computed with the model. With an
// embedding column (--semantic column=NAME), whose vectors the tap does
// not keep, the k-means sample is drawn from a pass of the features stage
// over rp instead. It returns the sample and the features model.
func fusedSample(ctx context.Context, env Env, rp *stream.Replay, first stream.Reader, job FeaturesJob, cfg partition.Config, source string) (*partition.Sample, *features.Model, error) {
	seed := partition.SampleSeed(env.Seed)
	k := cfg.Sample
	if k <= 0 {
		k = partition.DefaultSample
	}
	semantic := job.Config.Semantic
	if semantic == "" {
		semantic = features.ModeLSA
	}
	mode, _, err := features.ParseSemantic(semantic)
	if err != nil {
		return nil, nil, UsageError{err}
	}
	if mode == features.ModeColumn {
		fm, err := featuresModel(ctx, env, rp, first, job, source)
		if err != nil {
			return nil, nil, err
		}
		src, err := rp.Second()
		if err != nil {
			return nil, nil, err
		}
		rd, err := applyFeatures(ctx, env, src, fm, job, source)
		if err != nil {
			return nil, nil, err
		}
		defer rd.Close()
		sample, err := partition.DrawSample(ctx, rd, k, seed, cfg, source)
		return sample, fm, err
	}
	textCol := job.Config.TextCol
	if textCol == "" {
		textCol = schema.TextColumn
	}
	if cfg.LabelCol != "" {
		if idx := first.Schema().FieldIndices(cfg.LabelCol); len(idx) == 0 || first.Schema().Field(idx[0]).Type.ID() != arrow.STRING {
			return nil, nil, &stream.DataError{Source: source, Row: -1, Column: cfg.LabelCol,
				Err: fmt.Errorf("no such string label column; the input has %s", columnNames(first.Schema()))}
		}
	}
	tap := features.NewRowTap(first, textCol, k, seed, cfg.LabelCol, schema.DocIDColumn)
	fm, err := featuresModel(ctx, env, rp, tap, job, source)
	if err != nil {
		return nil, nil, err
	}
	env.progress().Working("partition: features of the k-means sample")
	mem := cfg.Mem
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	sc, recs := tap.Batches(mem, textCol, stream.DefaultBatchRows)
	fcfg := job.Config
	fcfg.Seed, fcfg.Log = env.Seed, env.log()
	rd, err := features.Apply(ctx, newBatchReader(sc, recs), fm, fcfg, source)
	if err != nil {
		return nil, nil, err
	}
	defer rd.Close()
	sample, err := partition.DrawSample(ctx, rd, k, seed, cfg, source)
	if err != nil {
		return nil, nil, err
	}
	sample.Usable = tap.Seen()
	return sample, fm, nil
}

// columnNames lists a schema's column names for error messages.
func columnNames(sc *arrow.Schema) string {
	names := make([]string, sc.NumFields())
	for i, f := range sc.Fields() {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

// batchReader serves batches it owns (Close releases them).
type batchReader struct {
	schema *arrow.Schema
	recs   []arrow.RecordBatch
	next   int
}

var _ stream.Reader = (*batchReader)(nil)

func newBatchReader(sc *arrow.Schema, recs []arrow.RecordBatch) *batchReader {
	return &batchReader{schema: sc, recs: recs}
}

func (r *batchReader) Schema() *arrow.Schema { return r.schema }

// Read returns the next batch, valid until Close.
func (r *batchReader) Read() (arrow.RecordBatch, error) {
	if r.next == len(r.recs) {
		return nil, io.EOF
	}
	r.next++
	return r.recs[r.next-1], nil
}

func (r *batchReader) Close() error {
	for _, rec := range r.recs {
		rec.Release()
	}
	r.recs, r.next = nil, 0
	return nil
}

// discard is an arrio.Writer that drops batches.
type discard struct{}

func (discard) Write(arrow.RecordBatch) error { return nil }

// WriteShards writes rd as a sharded dataset in dir (closing rd), its
// manifest naming the provenance's inputs and stages; beforePublish, when
// set, writes more files into the staging folder before it is published.
func WriteShards(ctx context.Context, env Env, rd stream.Reader, dir string, s ShardSettings, prov *stream.Provenance, k int, modelHash string, beforePublish func(staging string) error, wopts ...stream.Option) error {
	defer rd.Close()
	config := map[string]any{"shard": map[string]any{"max_rows": s.MaxRows, "max_bytes": s.MaxBytes, "keep_features": s.KeepFeatures}}
	m := dataset.Manifest{Config: config, PartitionModel: modelHash}
	if prov != nil {
		m.Inputs, m.Seed = prov.Inputs, prov.Seed
		for _, st := range prov.Stages {
			config[st.Stage] = st.Config
		}
	}
	man, err := dataset.WriteShards(ctx, rd, dir, dataset.ShardOptions{
		Tasks: k, MaxRows: s.MaxRows, MaxBytes: s.MaxBytes, KeepFeatures: s.KeepFeatures, Overwrite: s.Overwrite,
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
