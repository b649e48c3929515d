package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/spf13/cobra"

	"github.com/robustdata/robustdata/features"
	"github.com/robustdata/robustdata/partition"
	"github.com/robustdata/robustdata/pipeline/stream"
)

// partitionFlags are the flags of the partition stage.
type partitionFlags struct {
	k        string
	kRange   string
	sample   int
	restarts int
	maxIter  int
	weights  string
	labelCol string
	model    string
	modelOut string
	report   string
}

func (p *partitionFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&p.k, "k", "", "number of sub-tasks K, or auto to choose it by silhouette in --k-range (required)")
	f.StringVar(&p.kRange, "k-range", "2:64", "range of K tried by --k auto, MIN:MAX")
	f.IntVar(&p.sample, "sample", partition.DefaultSample, "rows k-means is fitted on, drawn uniformly from the whole input")
	f.IntVar(&p.restarts, "restarts", partition.DefaultRestarts, "k-means++ seedings tried; the lowest inertia wins")
	f.IntVar(&p.maxIter, "max-iter", partition.DefaultMaxIter, "most Lloyd iterations per seeding")
	f.StringVar(&p.weights, "weights", fmt.Sprintf("pattern=%g,semantic=%g", partition.DefaultPatternWeight, partition.DefaultSemanticWeight),
		"weights of the feature blocks (the standardised pattern block is scaled to unit expected norm first)")
	f.StringVar(&p.labelCol, "label-col", "", "a label column to measure the partition against (NMI, ARI, purity, contingency table in the report)")
	f.StringVar(&p.model, "model", "", "assign with a partition model saved by --model-out instead of fitting one")
	f.StringVar(&p.modelOut, "model-out", "", "save the partition model (JSON) to this file (with -o DIR/ it is always in DIR/partition.json too)")
	f.StringVar(&p.report, "report", "", "write the Markdown report to this file (with -o DIR/ it is always in DIR/report.md too)")
}

// config checks the flags.
func (p *partitionFlags) config(e *env, workers int) (partition.Config, error) {
	cfg := partition.Config{Sample: p.sample, Restarts: p.restarts, MaxIter: p.maxIter, Workers: workers,
		Seed: e.seed, LabelCol: p.labelCol, Log: e.log,
		PatternWeight: partition.DefaultPatternWeight, SemanticWeight: partition.DefaultSemanticWeight}
	switch {
	case p.k == "" && p.model == "":
		return cfg, usagef("--k is required: give a number of sub-tasks or auto")
	case p.k == "auto":
		lo, hi, ok := strings.Cut(p.kRange, ":")
		a, err1 := strconv.Atoi(lo)
		b, err2 := strconv.Atoi(hi)
		if !ok || err1 != nil || err2 != nil || a < 2 || b < a {
			return cfg, usagef("--k-range must be MIN:MAX with 2 <= MIN <= MAX, not %q", p.kRange)
		}
		cfg.KMin, cfg.KMax = a, b
	case p.k != "":
		k, err := strconv.Atoi(p.k)
		if err != nil || k < 1 {
			return cfg, usagef("--k must be a whole number of at least 1, or auto, not %q", p.k)
		}
		cfg.K = k
	}
	if p.sample < 2 || p.restarts < 1 || p.maxIter < 1 {
		return cfg, usagef("--sample must be at least 2, --restarts and --max-iter at least 1")
	}
	for _, part := range strings.Split(p.weights, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		w, err := strconv.ParseFloat(val, 64)
		if !ok || err != nil || w < 0 || w > 1e6 {
			return cfg, usagef("--weights must be pattern=P,semantic=S with non-negative numbers, not %q", p.weights)
		}
		switch name {
		case "pattern":
			cfg.PatternWeight = w
		case "semantic":
			cfg.SemanticWeight = w
		default:
			return cfg, usagef("--weights: unknown block %q (pattern or semantic)", name)
		}
	}
	return cfg, nil
}

// record is the configuration as recorded in provenance.
func (p *partitionFlags) record(cfg partition.Config, m *partition.Model, modelHash string) map[string]any {
	r := map[string]any{"k": m.K, "sample": cfg.Sample, "restarts": cfg.Restarts, "max_iter": cfg.MaxIter,
		"pattern_weight": m.PatternWeight, "semantic_weight": m.SemanticWeight, "model_sha256": modelHash}
	if p.k == "auto" {
		r["k_range"] = p.kRange
	}
	return r
}

// isDirOutput tells whether -o names a dataset folder: it ends with a
// slash or is an existing folder.
func isDirOutput(o string) bool {
	if o == "-" {
		return false
	}
	if strings.HasSuffix(o, "/") || strings.HasSuffix(o, string(filepath.Separator)) {
		return true
	}
	st, err := os.Stat(o)
	return err == nil && st.IsDir()
}

func newPartitionCmd(e *env) *cobra.Command {
	var (
		in  inputFlags
		out = outputFlags{dirOK: true}
		ff  = featureFlags{prefix: "features-"}
		pf  partitionFlags
		sf  shardFlags
	)
	cmd := &cobra.Command{
		Use:   "partition [-i IN]... [-o OUT|DIR/] --k N|auto",
		Short: "Cluster documents into K sub-tasks (k-means on pattern+semantic features)",
		Long: `Split the corpus into K representative sub-tasks: fit k-means (k-means++
seeding, --restarts, seeded) on a uniform sample (--sample) of the rows'
pattern and semantic features — the pattern features standardised and both
blocks weighed by --weights — then assign every row to its nearest centroid,
appending the columns task (int32) and task_distance (float32). --k auto
tries K in --k-range and keeps the one with the best silhouette.

When the input has no pattern/semantic columns they are computed first with
the features stage's settings (--text-col, --semantic, --dim, --vocab,
--features-sample), so one command is a complete batch job. With -o DIR/ (a
folder) the rows are also written as per-task shards with a manifest, as
robustdata shard does; the model and report then default to
DIR/partition.json and DIR/report.md.

Examples:
  robustdata partition -i corpus.parquet --k 16 -o out/
  robustdata partition -i corpus.parquet --k auto --label-col label -o out/
  robustdata features -i corpus.parquet | robustdata partition --k 16 | robustdata shard -o out/
  robustdata partition -i corpus.parquet --k 16 --features-model-out feats.model -o out/
  robustdata partition -i new.parquet --model out/partition.json --features-model feats.model -o new-tasks.parquet`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.runPartition(cmd, args, &in, &out, &ff, &pf, &sf)
		},
	}
	in.register(cmd)
	out.register(cmd)
	ff.register(cmd)
	pf.register(cmd)
	sf.register(cmd, false)
	cmd.Flags().IntVar(&ff.workers, "workers", 0, "goroutines (0: all cores); the output does not depend on it")
	return cmd
}

func (e *env) runPartition(cmd *cobra.Command, args []string, in *inputFlags, out *outputFlags, ff *featureFlags, pf *partitionFlags, sf *shardFlags) error {
	ctx := cmd.Context()
	inputs, iopts, err := in.options(e, args)
	if err != nil {
		return err
	}
	dirOut := isDirOutput(out.output)
	// The output's options: of the stream, or (-o DIR/) of every shard.
	var oopts []stream.Option
	if dirOut {
		codec, err := compressionOption(out.compression)
		if err != nil {
			return err
		}
		oopts = []stream.Option{stream.WithCompression(codec)}
	} else if oopts, err = out.options(e); err != nil {
		return err
	}
	cfg, err := pf.config(e, ff.workers)
	if err != nil {
		return err
	}
	cfg.TextCol = ff.textCol // the report's snippets come from the same column
	if err := sf.check(); err != nil {
		return err
	}
	if dirOut {
		if err := partition.CheckTarget(out.output, sf.overwrite); err != nil {
			return usageError{err}
		}
	}
	expanded, err := stream.ExpandInputs(inputs)
	if err != nil {
		return err
	}
	if err := checkOutputs([]string{out.output, pf.modelOut, ff.modelOut}, dirOut, inputs, expanded, append(ff.reads(), pf.model)...); err != nil {
		return err
	}
	// A saved model is checked against the flags before any work.
	var model *partition.Model
	if pf.model != "" {
		if model, err = partition.LoadModel(pf.model); err != nil {
			return err
		}
		if (cfg.K != 0 && cfg.K != model.K) || cfg.KMax != 0 {
			return usagef("--k %s but the model %s has K = %d: drop --k, or fit a new model", pf.k, pf.model, model.K)
		}
		if cmd.Flags().Changed("dim") && ff.dim != model.SemanticDim {
			return usagef("--dim %d but the model %s was fitted on %d semantic dimensions: drop --dim, or fit a new model", ff.dim, pf.model, model.SemanticDim)
		}
	}
	prog := e.newProgress()
	defer prog.end()
	total := inputBytes(expanded)
	prog.bytes("partition: sample", total)
	opts := append(iopts, prog.option(), stream.WithDocID(stream.DefaultDocIDColumn))
	source := sourceName(expanded)

	// Inputs without features go through the features stage first, into
	// a temporary Arrow file that the partition stage then reads twice.
	rp := stream.NewReplay(ctx, expanded, opts...)
	defer rp.Close()
	first, err := rp.First()
	if err != nil {
		return err
	}
	if !partition.HasFeatures(first.Schema()) {
		if model != nil && ff.model == "" {
			first.Close()
			return usagef("--model %s assigns in the feature space it was fitted in, and these inputs have no features: give --features-model FILE (saved with --features-model-out when the partition model was fitted), or inputs that have feature columns", pf.model)
		}
		prog.describe("features: sample")
		spool, cleanup, err := e.featuresSpool(cmd, first, rp, expanded, ff, source, prog)
		first.Close()
		if err != nil {
			return err
		}
		defer cleanup()
		// The partition's two passes read the features spool.
		total = inputBytes([]stream.Input{spool})
		prog.bytes("partition: sample", total)
		rp = stream.NewReplay(ctx, []stream.Input{spool}, prog.option())
		defer rp.Close()
		if first, err = rp.First(); err != nil {
			return err
		}
	}

	var sample *partition.Sample
	sample, err = partition.DrawSample(ctx, first, cfg.Sample, partition.SampleSeed(e.seed), cfg, source)
	first.Close()
	if err != nil {
		return err
	}
	if model == nil {
		prog.working("partition: fit k-means")
		if model, err = partition.Fit(ctx, sample, cfg); err != nil {
			return err
		}
	} else {
		if err := model.AssignSample(sample); err != nil {
			return err
		}
	}
	hash, err := model.Hash()
	if err != nil {
		return err
	}
	if pf.modelOut != "" && !dirOut {
		if _, err := model.Save(pf.modelOut); err != nil {
			return err
		}
	}

	prog.bytes("partition: assign", total)
	src, err := rp.Second()
	if err != nil {
		return err
	}
	prov, err := stream.StageProvenance(ctx, src.Schema(), expanded, e.seed, "partition", pf.record(cfg, model, hash))
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
			PatternNames: features.PatternNames(), Terms: features.ContentWords}
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
		e.log.Info("partition: wrote report", attrs...)
		return nil
	}
	if dirOut {
		// The model and the report sit beside the shards, published with
		// them (written into the staging folder); verify checks the model
		// against the manifest's partition model hash.
		beside := func(staging string) error {
			if _, err := model.Save(filepath.Join(staging, partition.ModelFile)); err != nil {
				return err
			}
			return report(filepath.Join(staging, partition.ReportFile), filepath.Join(out.output, partition.ReportFile))
		}
		if err := e.writeShards(cmd, rd, out.output, sf, prov, model.K, hash, beside, oopts...); err != nil {
			return err
		}
	} else if err := e.writeStream(cmd, rd, out.output, append(opts, oopts...)); err != nil {
		return err
	}
	if pf.modelOut != "" && dirOut {
		if _, err := model.Save(pf.modelOut); err != nil {
			return err
		}
	}
	if pf.report != "" {
		return report(pf.report, pf.report)
	}
	return nil
}

// sourceName names the inputs in messages.
func sourceName(inputs []stream.Input) string {
	if len(inputs) == 1 {
		return inputs[0].Name
	}
	return fmt.Sprintf("%s (and %d more inputs)", inputs[0].Name, len(inputs)-1)
}

// featuresSpool runs the features stage over the inputs — fitting on
// first, the first pass of rp — into a temporary Arrow file, and returns
// it as an input with a function that removes it.
func (e *env) featuresSpool(cmd *cobra.Command, first stream.Reader, rp *stream.Replay, inputs []stream.Input, ff *featureFlags, source string, prog *progress) (stream.Input, func(), error) {
	ctx := cmd.Context()
	fcfg, err := ff.config(e)
	if err != nil {
		return stream.Input{}, nil, err
	}
	var model *features.Model
	if ff.model != "" {
		// The first pass must still be read to its end (stdin is spooled).
		if _, err := stream.Copy(ctx, discard{}, first); err != nil {
			return stream.Input{}, nil, err
		}
		model, err = features.LoadModel(ff.model, fcfg)
	} else {
		mode, _, _ := features.ParseSemantic(fcfg.Semantic)
		model, err = features.PrepareFrom(ctx, atEOF(first, func() { prog.working("features: fit the " + mode + " model") }), fcfg, source)
	}
	if err != nil {
		return stream.Input{}, nil, err
	}
	if ff.modelOut != "" {
		if err := features.SaveModel(ff.modelOut, model); err != nil {
			return stream.Input{}, nil, err
		}
	}
	prog.bytes("features", inputBytes(inputs))
	src, err := rp.Second()
	if err != nil {
		return stream.Input{}, nil, err
	}
	record := fcfg.Record()
	if fcfg.Provenance, err = stream.StageProvenance(ctx, src.Schema(), inputs, e.seed, "features", record); err != nil {
		src.Close()
		return stream.Input{}, nil, err
	}
	rd, err := features.Apply(ctx, src, model, fcfg, source)
	if err != nil {
		src.Close()
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
