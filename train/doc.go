// Package train pre-trains models over the K task shards of a partitioned
// dataset so that the worst task's loss is low, not only the average — the
// minimax pre-training of "Task-Robust Pre-Training for Worst-Case
// Downstream Adaptation" (NeurIPS 2023) — and evaluates the result per task
// and on labelled downstream sets.
//
// What it owns:
//
//   - Loader (loader.go): reads a dataset's shards (pipeline/dataset) and
//     draws every step's batch, the same number of examples from every task
//     (Config.PerTask); a fixed 5% of each task, chosen by a hash of doc_id
//     (HeldOut), is the validation split.
//   - Two objectives on gorgonia graphs (Model): masked-regression
//     (model_regression.go: recover masked entries of the feature vector,
//     the paper's mask-recovery regression) and masked-token
//     (model_token.go: predict masked words of a text window, trained with a
//     sampled softmax, sampled.go, and evaluated with the exact one); tasks
//     are the dataset's clusters or, for masked-token, the part of speech of
//     the masked word (pos.go).
//   - Strategies (strategy.go) that weigh the per-task losses at every step:
//     erm, uniform, minimax (softmax of the smoothed losses at temperature
//     μ), group-dro and doremi (against a reference run's losses).
//   - Run (run.go): the training loop with Adam (adam.go), checkpoints and
//     --resume to the same final state (journal.go keeps the training log
//     between checkpoints), early stopping on the mean validation loss, and
//     the run folder's files (their types are pipeline/dataset's RunDir
//     files: model.json, checkpoint.safetensors, train_log.parquet,
//     weights.json, eval.json).
//   - Evaluation: EvaluateRun (validation loss per task, mean and worst),
//     Probe (a linear probe of the frozen representation on a labelled
//     downstream set) and the data mixture a run ends on (mix.go, and
//     resample.go to write a dataset resampled by it).
//
// The tokenizer of masked-token is features.HashedWords, passed in by the
// caller (Config.Tokenize). train imports the pipeline substrate
// (pipeline/stream, pipeline/dataset, pipeline/schema, pipeline/safetensors)
// and features, never the pipeline orchestrator (internal/layers checks).
package train
