package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/robustdata/robustdata/pipeline"
	"github.com/robustdata/robustdata/pipeline/configdoc"
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
		Long:  help("run"),
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
				data, err := configdoc.Example()
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
