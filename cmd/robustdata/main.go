// Command robustdata prepares pre-training data for task-robust
// pre-training: it streams a corpus, extracts pattern and semantic
// features, partitions it into K sub-tasks, writes per-task shards and
// trains over them with a minimax objective. Run `robustdata --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

func main() {
	if os.Getenv("GOGC") == "" {
		// Record batches are large and short-lived: collecting at 50% heap
		// growth instead of 100% cuts peak memory by a fifth at no
		// measurable cost in speed (see README, Performance).
		debug.SetGCPercent(50)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
