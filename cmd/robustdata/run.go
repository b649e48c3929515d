package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/robustdata/robustdata/pipeline"
)

func newRunCmd(e *env) *cobra.Command {
	var (
		dryRun  bool
		example bool
		from    string
	)
	cmd := &cobra.Command{
		Use:   "run CONFIG.yaml [--dry-run] [--from STAGE]",
		Short: "Run the whole chain from one YAML config, skipping stages that are up to date",
		Long: `Run features, partition (with its shards), train (one run per strategy),
eval and report as CONFIG.yaml declares them, each stage by the same
command you would type, into one output root:

  OUTPUT/features/   features.arrow, features.model
  OUTPUT/dataset/    the sharded dataset (manifest.json, partition.json, report.md)
  OUTPUT/runs/NAME/  one training run per strategy
  OUTPUT/eval/       eval.json (robustdata eval --json over every run)
  OUTPUT/report.html (report: true)

Every key of the config maps to the stage flag of the same meaning and has
its default; relative paths are relative to the config file's folder. An
unknown key, a wrong type or a missing required key (output, inputs.paths,
partition.k) is an error naming the key and its line (exit status 3).

Each stage writes a completion record last: the sha256 of its inputs (the
corpus files, the upstream stages' outputs), of its settings and the seed,
and of its outputs. A stage whose record matches and whose outputs are
unchanged is skipped; any other stage runs, and so does everything
downstream of it. A run killed at any moment and started again finishes
with the same outputs as an uninterrupted run (train continues from its
checkpoint). OUTPUT/.robustdata.lock keeps a second run off the same
output root; a lock left by a process that is gone is taken over.

Config (every section but output, inputs.paths and partition.k optional):

  output: out/quickstart
  seed: 1
  inputs: {paths: [data/corpus.parquet], text_col: text, label_col: label}
  features: {semantic: lsa, dim: 96, vocab: 16384, sample: 100000}
  partition: {k: 12, k_range: "2:64", sample: 200000, restarts: 4, max_iter: 100,
              weights: {pattern: 0.2, semantic: 1}}
  shard: {max_rows: 1048576, max_bytes: 268435456}
  train: {objective: masked-regression, tasks: cluster, strategies: [erm, minimax],
          steps: 5000, patience: 3, eval_every: 100, per_task_batch: 32, lr: 0.001, temperature: 0.1,
          smoothing: 0.9, eta: 0, checkpoint_every: 100, hidden: 128,
          vocab: 16384, embed: 64, window: 32, vector_col: semantic, text_col: text}
  eval: {downstream: ["fortunes=data/fortunes.parquet:label"]}
  report: true

Examples:
  robustdata run examples/quickstart/pipeline.yaml
  robustdata run pipeline.yaml --dry-run
  robustdata run --example-config > robustdata.yaml
  robustdata --log-format json run pipeline.yaml --from train`,
		Args: func(cmd *cobra.Command, args []string) error {
			if example {
				if len(args) != 0 {
					return usagef("run --example-config takes no CONFIG.yaml")
				}
				return nil
			}
			if len(args) != 1 {
				return usagef("run takes one CONFIG.yaml (or --example-config to print one)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if example {
				data, err := pipeline.ExampleRunConfig()
				if err != nil {
					return err
				}
				_, err = e.stdout.Write(data)
				return err
			}
			cfg, err := pipeline.LoadRunConfig(args[0])
			if err != nil {
				return err
			}
			if cfg.SeedSet && cmd.Flags().Changed("seed") && e.seed != cfg.Seed {
				return usagef("--seed %d disagrees with the config's seed %d: change the config", e.seed, cfg.Seed)
			}
			opts := pipeline.RunOptions{From: from}
			if dryRun {
				plan, err := pipeline.Plan(cmd.Context(), e.stageEnv(nil), cfg, opts)
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "plan for %s (dry run: nothing is written)\n", cfg.OutputDir())
				tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
				for _, s := range plan {
					what := "up to date"
					if s.Run {
						what = "run"
					}
					fmt.Fprintf(tw, "  %s\t%s\t%s\n", s.Stage, what, s.Why)
				}
				return tw.Flush()
			}
			prog := e.newProgress()
			defer prog.End()
			sum, err := pipeline.Run(cmd.Context(), e.stageEnv(prog), cfg, opts)
			if sum != nil {
				prog.End()
				e.summarize(sum)
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&example, "example-config", false, "print a complete config (every setting, its default and what it does) that runs the example corpus, and exit")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the plan (each stage: run or up to date, and why) and do nothing")
	cmd.Flags().StringVar(&from, "from", "", "force this stage and everything downstream of it to run: features, partition, train, eval or report")
	return cmd
}

// summarize logs the run summary: one JSON line with --log-format json, a
// small table with text logs.
func (e *env) summarize(sum *pipeline.RunSummary) {
	if e.logFormat == "json" {
		e.log.Info("run summary", "stages", sum.Stages, "seconds", sum.Seconds, "output", sum.Root, "report", sum.Report)
		return
	}
	if e.quiet {
		return
	}
	fmt.Fprintf(e.stderr, "run summary: %s in %.1f s\n", sum.Root, sum.Seconds)
	tw := tabwriter.NewWriter(e.stderr, 0, 4, 2, ' ', 0)
	for _, s := range sum.Stages {
		rows := ""
		if s.Rows != nil {
			rows = fmt.Sprintf("%d rows", *s.Rows)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%.1f s\t%s\n", s.Stage, s.Status, s.Seconds, rows)
	}
	tw.Flush()
	if sum.Report != "" {
		fmt.Fprintf(e.stderr, "report: %s\n", sum.Report)
	}
}
