package main

import (
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/spf13/cobra"

	"github.com/robustdata/robustdata/pipeline"
	"github.com/robustdata/robustdata/pipeline/stream"
	"github.com/robustdata/robustdata/pipeline/synth"
)

func newSynthCmd(e *env) *cobra.Command {
	var (
		out     outputFlags
		cfg     synth.Config
		sizes   []float64
		batches int
	)
	cmd := &cobra.Command{
		Use:   "synth -o OUT --docs N --tasks K [--sizes 70,20,10] [--overlap F] [--seed S]",
		Short: "Make a synthetic text corpus with K known sub-tasks (label column)",
		Long:  help("synth"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("synth takes no arguments, got %q", args[0])
			}
			cfg.Seed = e.seed
			cfg.Sizes = sizes
			cfg.BatchRows = batches
			if err := cfg.Validate(); err != nil {
				return usageError{Err: err}
			}
			oopts, err := out.options(e)
			if err != nil {
				return err
			}
			rd, err := synth.NewReader(cfg, memory.DefaultAllocator)
			if err != nil {
				return usageError{Err: err}
			}
			rows, err := pipeline.WriteStream(cmd.Context(), rd, out.output, oopts)
			if err != nil {
				return err
			}
			e.log.Info("wrote", "command", "synth", "rows", rows, "tasks", cfg.Tasks, "output", out.output)
			return nil
		},
	}
	out.register(cmd)
	f := cmd.Flags()
	f.Int64Var(&cfg.Docs, "docs", 10000, "number of documents")
	f.IntVar(&cfg.Tasks, "tasks", 8, "number of generating sub-tasks (K)")
	f.Float64SliceVar(&sizes, "sizes", nil, "relative task sizes, one per task (default: equal)")
	f.Float64Var(&cfg.Overlap, "overlap", 0, "share of topic words drawn from other tasks (0..1; harder when larger)")
	f.Float64Var(&cfg.StyleMix, "style-mix", 0, "share of documents written in another task's style (0..1; harder when larger)")
	f.IntVar(&batches, "batch-rows", stream.DefaultBatchRows, "rows per record batch")
	return cmd
}
