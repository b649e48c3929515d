package main

import (
	"github.com/spf13/cobra"

	"github.com/robustdata/robustdata/pipeline"
	"github.com/robustdata/robustdata/pipeline/schema"
	"github.com/robustdata/robustdata/train"
)

func newTrainCmd(e *env) *cobra.Command {
	var (
		cfg    train.Config
		sec    = pipeline.DefaultRunConfig().Train
		runDir string
	)
	sec.TextCol = schema.TextColumn
	cmd := &cobra.Command{
		Use:   "train -i DIR -o RUNDIR --strategy erm|uniform|minimax|group-dro|doremi",
		Short: "Pre-train over task shards, minimising the worst task's loss",
		Long:  help("train"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cfg.Dataset == "" || runDir == "" {
				return usagef("train needs -i DIR (a sharded dataset) and -o RUNDIR")
			}
			if err := checkSettings(train.Settings, &sec, nil); err != nil {
				return err
			}
			set := pipeline.TrainConfig(sec, cfg.Strategy)
			set.Dataset, set.Reference, set.Resume, set.Overwrite = cfg.Dataset, cfg.Reference, cfg.Resume, cfg.Overwrite
			cfg = set
			if err := pipeline.CheckTrain(&cfg); err != nil {
				return err
			}
			if err := pipeline.CheckOutputs([]string{runDir}, true, []string{cfg.Dataset, cfg.Reference}, nil); err != nil {
				return err
			}
			cfg.RunDir = runDir
			prog := e.newProgress()
			_, err := pipeline.Train(cmd.Context(), e.stageEnv(prog), cfg)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVarP(&cfg.Dataset, "input", "i", "", "the sharded dataset folder (with manifest.json)")
	f.StringVarP(&runDir, "output", "o", "", "the run folder to write")
	bindSettings(cmd, train.Settings, &sec, nil)
	f.StringVar(&cfg.Strategy, "strategy", "minimax", "how task losses are weighed: erm, uniform, minimax, group-dro or doremi")
	f.StringVar(&cfg.Reference, "reference", "", "doremi: the run folder of a reference run (for example an erm run); minimax (optional): weigh the task losses in excess of that run's per-task validation losses")
	f.BoolVar(&cfg.Resume, "resume", false, "continue the run in -o from its checkpoint")
	f.BoolVar(&cfg.Overwrite, "overwrite", false, "replace the run -o already holds (without it, or --resume, train refuses such a folder)")
	return cmd
}

func newEvalCmd(e *env) *cobra.Command {
	var (
		shards string
		asJSON bool
		sec    = pipeline.DefaultRunConfig().Eval
	)
	cmd := &cobra.Command{
		Use:   "eval --shards DIR [--downstream NAME=PATH[:LABELCOL]]... RUNDIR...",
		Short: "Evaluate training runs per task: mean and worst-case loss",
		Long:  help("eval"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if shards == "" || len(args) == 0 {
				return usagef("eval needs --shards DIR and at least one RUNDIR")
			}
			sets, err := train.ParseDownstreams(sec.Downstream)
			if err != nil {
				return usageError{Err: err}
			}
			results, err := pipeline.Eval(cmd.Context(), e.stageEnv(nil), shards, args, sets)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(e, pipeline.EvalByRun(args, results))
			}
			return pipeline.WriteEvalTable(e.stdout, args, results)
		},
	}
	bindSettings(cmd, train.EvalSettings, &sec, nil)
	cmd.Flags().StringVar(&shards, "shards", "", "the dataset whose held-out rows the runs are evaluated on")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON for machines")
	return cmd
}
