package main

import (
	"errors"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/robustdata/robustdata/partition"
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
  -o DIR        a resampled dataset of --rows N rows (default: as many as
                --shards has) drawn by the task weights, written like
                shard writes one (task=NNN/part-NNNNN.parquet, manifest.json,
                staged and moved into place): task k gets round(N·w_k) rows,
                every row of the task floor(n_k/R_k) times and a --seed
                chosen set of the rest once more; a row's c-th repeat has
                doc_id "ID#c". Same run, dataset, N and --seed give a
                byte-identical dataset whatever --workers

With none of them, the JSON goes to standard output.

Examples:
  robustdata mix --shards out/ --blend blend.txt --json mixture.json runs/minimax
  robustdata mix --shards out/ -o mixed/ --rows 1000000 --seed 7 runs/minimax`,
		Args: cobra.ExactArgs(1),
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
				if err := partition.CheckTarget(out, overwrite); err != nil {
					return usageError{err}
				}
			}
			if err := checkOutputs([]string{out, blend, asJSON}, true, []string{shards, args[0]}, nil); err != nil {
				return err
			}
			mix, err := train.NewMixture(args[0], shards, final)
			if err != nil {
				return err
			}
			if blend != "" {
				if err := stream.WriteFileAtomic(blend, func(w io.Writer) error { return mix.WriteBlend(w, prefix) }); err != nil {
					return err
				}
			}
			if asJSON != "" {
				if err := stream.WriteFileAtomic(asJSON, mix.WriteJSON); err != nil {
					return err
				}
			}
			if out != "" {
				if err := e.writeResampled(cmd, mix, shards, out, rows, workers, overwrite, codec); err != nil {
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

// writeResampled writes the resampled dataset of mix over the dataset in
// shards to out with the shard writer, its manifest naming the source
// dataset's manifest as input and the mix settings as config.
func (e *env) writeResampled(cmd *cobra.Command, mix *train.Mixture, shards, out string, rows int64, workers int, overwrite bool, codec stream.Compression) error {
	ctx := cmd.Context()
	src, err := stream.ReadManifest(shards)
	if err != nil {
		return err
	}
	rd, counts, err := mix.Resample(ctx, shards, train.ResampleOptions{Rows: rows, Seed: e.seed, Decoders: workers})
	if err != nil {
		return err
	}
	defer rd.Close()
	inputs, err := stream.HashInputs(ctx, []stream.Input{{Name: stream.ManifestName, Path: filepath.Join(shards, stream.ManifestName)}})
	if err != nil {
		return err
	}
	var total int64
	for _, n := range counts {
		total += n
	}
	taskCol, _ := src.Config[partition.ConfigTaskColumn].(string)
	m := stream.Manifest{Inputs: inputs, Seed: e.seed, PartitionModel: src.PartitionModel, Config: map[string]any{
		"mix": map[string]any{"strategy": mix.Strategy, "weights": mix.Weights, "task_weights": mix.TaskWeights, "rows": total},
	}}
	man, err := partition.WriteShards(ctx, rd, out, partition.ShardOptions{
		TaskColumn: taskCol, Tasks: len(counts), Overwrite: overwrite, Manifest: m,
		Writer: []stream.Option{stream.WithCompression(codec)},
	})
	if errors.Is(err, partition.ErrExists) {
		return usageError{err}
	}
	if err != nil {
		return err
	}
	e.log.Info("mix: wrote resampled dataset", "dir", out, "rows", man.TotalRows, "per_task", counts)
	return nil
}
