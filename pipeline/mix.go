package pipeline

import (
	"context"
	"errors"
	"path/filepath"

	"github.com/robustdata/robustdata/pipeline/dataset"
	"github.com/robustdata/robustdata/pipeline/stream"
	"github.com/robustdata/robustdata/train"
)

// WriteResampled writes the resampled dataset of mix over the dataset in
// shards to out with the shard writer, its manifest naming the source
// dataset's manifest as input and the mix settings as config, with
// rows rows (0: as many as it has), decoding with workers goroutines.
func WriteResampled(ctx context.Context, env Env, mix *train.Mixture, shards, out string, rows int64, workers int, overwrite bool, codec stream.Compression) error {
	src, err := dataset.ReadManifest(shards)
	if err != nil {
		return err
	}
	rd, counts, err := mix.Resample(ctx, shards, train.ResampleOptions{Rows: rows, Seed: env.Seed, Decoders: workers})
	if err != nil {
		return err
	}
	defer rd.Close()
	inputs, err := stream.HashInputs(ctx, []stream.Input{{Name: dataset.ManifestName, Path: filepath.Join(shards, dataset.ManifestName)}})
	if err != nil {
		return err
	}
	var total int64
	for _, n := range counts {
		total += n
	}
	taskCol, _ := src.Config[dataset.ConfigTaskColumn].(string)
	m := dataset.Manifest{Inputs: inputs, Seed: env.Seed, PartitionModel: src.PartitionModel, Config: map[string]any{
		"mix": map[string]any{"strategy": mix.Strategy, "weights": mix.Weights, "task_weights": mix.TaskWeights, "rows": total},
	}}
	man, err := dataset.WriteShards(ctx, rd, out, dataset.ShardOptions{
		TaskColumn: taskCol, Tasks: len(counts), Overwrite: overwrite, Manifest: m,
		Writer: []stream.Option{stream.WithCompression(codec)},
	})
	if errors.Is(err, dataset.ErrExists) {
		return UsageError{err}
	}
	if err != nil {
		return err
	}
	env.log().Info("mix: wrote resampled dataset", "dir", out, "rows", man.TotalRows, "per_task", counts)
	return nil
}
