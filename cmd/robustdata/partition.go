package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/robustdata/robustdata/pipeline"

	"github.com/spf13/cobra"

	"github.com/robustdata/robustdata/partition"
	"github.com/robustdata/robustdata/pipeline/dataset"
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
		if err := dataset.CheckTarget(out.output, sf.overwrite); err != nil {
			return usageError{Err: err}
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
		dim := 0
		if cmd.Flags().Changed("dim") {
			dim = ff.dim
		}
		if model, err = pipeline.LoadPartitionModel(pf.model, cfg.K, cfg.KMax, pf.k, dim); err != nil {
			return err
		}
	}
	fjob, err := ff.job(e, expanded, iopts)
	if err != nil {
		return err
	}
	job := pipeline.PartitionJob{Inputs: expanded, Options: iopts, Features: fjob, Config: cfg, KRange: pf.kRange,
		Model: pf.model, ModelOut: pf.modelOut, Report: pf.report, Output: out.output, Dir: dirOut, OutputOptions: oopts,
		Shard: sf.settings()}
	prog := e.newProgress()
	defer prog.End()
	return pipeline.Partition(ctx, e.stageEnv(prog), job, model)
}
