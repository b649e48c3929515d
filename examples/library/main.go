// Command library runs the whole robustdata chain from Go, with no CLI:
// features, partition into K sub-tasks with the shards, an erm and a
// minimax training run, eval and the HTML report. From the repository:
//
//	go run ./examples/library
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"

	"github.com/robustdata/robustdata/pipeline"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, "examples/data/fortunes.parquet", "out/library", 300); err != nil {
		fmt.Fprintln(os.Stderr, "library:", err)
		os.Exit(1)
	}
}

// run partitions corpus into 8 sub-tasks under out and trains for steps.
func run(ctx context.Context, corpus, out string, steps int) error {
	cfg := pipeline.DefaultRunConfig() // every stage's defaults
	cfg.Output = out
	cfg.Inputs.Paths = []string{corpus}
	cfg.Inputs.LabelCol = "label" // NMI of the partition in its report
	cfg.Partition.K = "8"
	cfg.Train.Strategies = []string{"erm", "minimax"}
	cfg.Train.Steps = steps

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	sum, err := pipeline.Run(ctx, pipeline.Env{Seed: 1, Log: log}, &cfg, pipeline.RunOptions{})
	if err != nil {
		return err
	}
	for _, s := range sum.Stages {
		fmt.Printf("%-14s %-8s %6.1f s\n", s.Stage, s.Status, s.Seconds)
	}
	fmt.Println("report:", sum.Report)
	return nil
}
