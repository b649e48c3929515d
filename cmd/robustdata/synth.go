package main

import (
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/spf13/cobra"

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
		Long: `Write a synthetic corpus of --docs documents drawn from --tasks generating
sub-tasks. The sub-tasks differ in form (document and sentence length,
punctuation, casing, line structure: prose, bullet lists, numbered lines,
dialogue, key: value records, verse, technical text) and in vocabulary (each
has its own topic words; all share common function words). The columns are
doc_id, text and label (the true task, "task-00"...). The same flags and
--seed give byte-identical output. --overlap draws that share of topic words
from other tasks and --style-mix writes that share of documents in another
task's style, making the tasks harder to tell apart.

Examples:
  robustdata synth --docs 20000 --tasks 8 -o synth.parquet
  robustdata synth --docs 10000 --tasks 3 --sizes 70,20,10 --seed 7 -o unequal.parquet`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("synth takes no arguments, got %q", args[0])
			}
			cfg.Seed = e.seed
			cfg.Sizes = sizes
			cfg.BatchRows = batches
			if err := cfg.Validate(); err != nil {
				return usageError{err}
			}
			oopts, err := out.options(e)
			if err != nil {
				return err
			}
			rd, err := synth.NewReader(cfg, memory.DefaultAllocator)
			if err != nil {
				return usageError{err}
			}
			defer rd.Close()
			w, err := stream.Create(out.output, rd.Schema(), oopts...)
			if err != nil {
				return err
			}
			rows, err := stream.Copy(cmd.Context(), w, rd)
			if err != nil {
				w.Abort()
				return err
			}
			if err := w.Close(); err != nil {
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
