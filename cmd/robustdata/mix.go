package main

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/robustdata/robustdata/pipeline"
	"github.com/robustdata/robustdata/train"
)

func newMixCmd(e *env) *cobra.Command {
	var (
		shards, blend, asJSON, prefix string
		final                         bool
	)
	cmd := &cobra.Command{
		Use:   "mix --shards DIR [--blend FILE] [--json FILE] RUNDIR",
		Short: "Turn a run's task weights into a data mixture for a large run",
		Long: `Spread the task weights of a training run (weights.json: the time-averaged
weights, or --final the last ones) over the shards of the dataset in
--shards: a shard's probability is its task's weight times its share of the
task's rows. Writes

  --blend FILE  a Megatron-LM blend list: one "weight path" line per shard
                (path without its extension, after --prefix), the pairs
                that --data-path takes once each shard is converted to
                .bin/.idx under the same name
  --json FILE   the mixture as JSON: per-shard task, rows and probability,
                and the "paths" and "probabilities" lists that
                datasets.interleave_datasets takes

With neither, the JSON goes to standard output.

Examples:
  robustdata mix --shards out/ --blend blend.txt --json mixture.json runs/minimax`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if shards == "" {
				return usagef("mix needs --shards DIR (the dataset the run was trained on)")
			}
			mix, err := train.NewMixture(args[0], shards, final)
			if err != nil {
				return err
			}
			if blend != "" {
				if err := pipeline.WriteFileAtomic(blend, func(w io.Writer) error { return mix.WriteBlend(w, prefix) }); err != nil {
					return err
				}
			}
			if asJSON != "" {
				if err := pipeline.WriteFileAtomic(asJSON, mix.WriteJSON); err != nil {
					return err
				}
			}
			if blend == "" && asJSON == "" {
				return mix.WriteJSON(e.stdout)
			}
			e.log.Info("mix: done", "run", args[0], "weights", mix.Weights, "shards", len(mix.Shards))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&shards, "shards", "", "the sharded dataset the run was trained on")
	f.StringVar(&blend, "blend", "", "write a Megatron-LM blend list (weight path lines) to FILE")
	f.StringVar(&asJSON, "json", "", "write the mixture as JSON to FILE")
	f.StringVar(&prefix, "prefix", "", "put this before every path of the blend list (where the converted shards live)")
	f.BoolVar(&final, "final", false, "use the run's final weights instead of its time-averaged ones")
	return cmd
}
