package pipeline

import (
	"context"
	"errors"
	"io"

	"github.com/robustdata/robustdata/pipeline/dataset"
	"github.com/robustdata/robustdata/pipeline/stream"
	"github.com/robustdata/robustdata/train"
)

// WriteResampled writes the resampled dataset of mix over the dataset in
// shards to out (see train.WriteResampled), rows rows (0: as many as it
// has), decoding with workers goroutines.
func WriteResampled(ctx context.Context, env Env, mix *train.Mixture, shards, out string, rows int64, workers int, overwrite bool, codec stream.Compression) error {
	man, counts, err := train.WriteResampled(ctx, mix, shards, out, train.ResampleOptions{Rows: rows, Seed: env.Seed, Decoders: workers}, overwrite, codec)
	if errors.Is(err, dataset.ErrExists) {
		return UsageError{err}
	}
	if err != nil {
		return err
	}
	env.log().Info("mix: wrote resampled dataset", "dir", out, "rows", man.TotalRows, "per_task", counts)
	return nil
}

// WriteMixFiles writes a mixture's Megatron-LM blend list to blend (every
// path after prefix) and its JSON to asJSON, each atomically; "" skips
// one.
func WriteMixFiles(mix *train.Mixture, blend, prefix, asJSON string) error {
	if blend != "" {
		if err := stream.WriteFileAtomic(blend, func(w io.Writer) error { return mix.WriteBlend(w, prefix) }); err != nil {
			return err
		}
	}
	if asJSON != "" {
		return stream.WriteFileAtomic(asJSON, mix.WriteJSON)
	}
	return nil
}
