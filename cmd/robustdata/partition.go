package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/robustdata/robustdata/partition"
	"github.com/robustdata/robustdata/pipeline"
	"github.com/robustdata/robustdata/pipeline/dataset"
	"github.com/robustdata/robustdata/pipeline/split"
	"github.com/robustdata/robustdata/pipeline/stream"
)

// partitionFlags are the flags of the partition stage; the settings
// flags come from partition.Settings, bound to a run config section.
type partitionFlags struct {
	sec      pipeline.RunPartition
	weights  string
	labelCol string
	model    string
	modelOut string
	report   string
	split    string
}

func (p *partitionFlags) register(cmd *cobra.Command) {
	p.sec = pipeline.DefaultRunConfig().Partition
	f := cmd.Flags()
	bindSettings(cmd, partition.Settings, &p.sec, nil)
	f.StringVar(&p.weights, "weights", fmt.Sprintf("pattern=%g,semantic=%g", partition.DefaultPatternWeight, partition.DefaultSemanticWeight),
		"weights of the feature blocks (the standardised pattern block is scaled to unit expected norm first)")
	f.StringVar(&p.labelCol, "label-col", "", "a label column to measure the partition against (NMI, ARI, purity, contingency table in the report)")
	f.StringVar(&p.model, "model", "", "assign with a partition model saved by --model-out instead of fitting one")
	f.StringVar(&p.modelOut, "model-out", "", "save the partition model (JSON) to this file (with -o DIR/ it is always in DIR/partition.json too)")
	f.StringVar(&p.report, "report", "", "write the Markdown report to this file (with -o DIR/ it is always in DIR/report.md too)")
	f.StringVar(&p.split, "split", "", "with --model: assign work unit I of N (I/N, from 0) into -o DIR/ (part-I-of-N.parquet and a completion marker; shard -i DIR/ then writes the dataset)")
}

// config checks the flags.
func (p *partitionFlags) config(e *env, workers int, textCol string) (partition.Config, error) {
	if p.sec.K == "" && p.model == "" {
		return partition.Config{}, usagef("--k is required: give a number of sub-tasks or auto")
	}
	var err error
	if p.sec.PatternWeight, p.sec.SemanticWeight, err = partition.ParseWeights(p.weights, p.sec.PatternWeight, p.sec.SemanticWeight); err != nil {
		return partition.Config{}, usageError{Err: err}
	}
	sec := p.sec
	if sec.K == "" {
		sec.K = "1" // with --model: the model's K (cfg.K 0 below)
	}
	cfg, err := pipeline.PartitionConfig(sec, textCol, p.labelCol)
	if err != nil {
		return cfg, err
	}
	if err := checkSettings(partition.Settings, &p.sec, nil, "sample", "restarts", "max_iter"); err != nil {
		return cfg, err
	}
	if p.sec.K == "" {
		cfg.K = 0
	}
	cfg.Workers, cfg.Seed, cfg.Log = workers, e.seed, e.log
	return cfg, nil
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
		Long:  help("partition"),
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
	dirOut := stream.IsDirOutput(out.output)
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
	// The report's snippets come from the features' text column.
	cfg, err := pf.config(e, ff.workers, ff.textCol)
	if err != nil {
		return err
	}
	if err := sf.check(); err != nil {
		return err
	}
	if dirOut && pf.split == "" {
		if err := dataset.CheckTarget(out.output, sf.overwrite); err != nil {
			return usageError{Err: err}
		}
	}
	expanded, err := stream.ExpandInputs(inputs)
	if err != nil {
		return err
	}
	if err := pipeline.CheckOutputs([]string{out.output, pf.modelOut, ff.modelOut}, dirOut, inputs, expanded, append(ff.reads(), pf.model)...); err != nil {
		return err
	}
	// A saved model is checked against the flags before any work.
	var model *partition.Model
	if pf.model != "" {
		dim := 0
		if cmd.Flags().Changed("dim") {
			dim = ff.sec.Dim
		}
		if model, err = pipeline.LoadPartitionModel(pf.model, cfg.K, cfg.KMax, pf.sec.K, dim); err != nil {
			return err
		}
	}
	fjob, err := ff.job(e, expanded, iopts)
	if err != nil {
		return err
	}
	job := pipeline.PartitionJob{Inputs: expanded, Options: iopts, Features: fjob, Config: cfg, KRange: pf.sec.KRange,
		Model: pf.model, ModelOut: pf.modelOut, Report: pf.report, Output: out.output, Dir: dirOut, OutputOptions: oopts,
		Shard: sf.settings()}
	prog := e.newProgress()
	defer prog.End()
	if pf.split != "" {
		_, err := split.Partition(ctx, e.stageEnv(prog), job, model, pf.split)
		return err
	}
	return pipeline.Partition(ctx, e.stageEnv(prog), job, model)
}
