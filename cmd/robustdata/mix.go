package main

import (
	"github.com/spf13/cobra"

	"github.com/robustdata/robustdata/pipeline"
	"github.com/robustdata/robustdata/pipeline/dataset"
	"github.com/robustdata/robustdata/pipeline/stream"
	"github.com/robustdata/robustdata/train"
)

func newMixCmd(e *env) *cobra.Command {
	var (
		shards, blend, asJSON, prefix, out, compression string
		final, overwrite                                bool
		rows                                            int64
		workers                                         int
	)
	cmd := &cobra.Command{
		Use:   "mix --shards DIR [--blend FILE] [--json FILE] [-o DIR [--rows N]] RUNDIR",
		Short: "Turn a run's task weights into a data mixture for a large run",
		Long:  help("mix"),
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if shards == "" {
				return usagef("mix needs --shards DIR (the dataset the run was trained on)")
			}
			if rows < 0 || workers < 0 {
				return usagef("--rows and --workers must be at least 0")
			}
			if rows > 0 && out == "" {
				return usagef("--rows N needs -o DIR, the resampled dataset's folder")
			}
			var codec stream.Compression
			if out != "" {
				var err error
				if codec, err = compressionOption(compression); err != nil {
					return err
				}
				if err := dataset.CheckTarget(out, overwrite); err != nil {
					return usageError{Err: err}
				}
			}
			if err := pipeline.CheckOutputs([]string{out, blend, asJSON}, true, []string{shards, args[0]}, nil); err != nil {
				return err
			}
			mix, err := train.NewMixture(args[0], shards, final)
			if err != nil {
				return err
			}
			if err := pipeline.WriteMixFiles(mix, blend, prefix, asJSON); err != nil {
				return err
			}
			if out != "" {
				if err := pipeline.WriteResampled(cmd.Context(), e.stageEnv(nil), mix, shards, out, rows, workers, overwrite, codec); err != nil {
					return err
				}
			}
			if blend == "" && asJSON == "" && out == "" {
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
	f.StringVarP(&out, "output", "o", "", "write a resampled dataset of --rows rows drawn by the weights to DIR")
	f.Int64Var(&rows, "rows", 0, "rows of the resampled dataset (0: as many as the --shards dataset has)")
	f.IntVar(&workers, "workers", 0, "row groups decoded at once (0: up to 4, by cores); the output does not depend on it")
	f.BoolVar(&overwrite, "overwrite", false, "replace an -o folder that holds another dataset (manifest.json)")
	f.StringVar(&compression, "compression", "zstd", "Parquet compression of the resampled dataset: zstd, snappy or none")
	return cmd
}
