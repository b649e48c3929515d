// Package dataset owns every saved output of the chain: the manifest type
// (manifest.json: inputs, config, seed, tasks and their shards with
// sizes and checksums, rejected rows), writing a sharded dataset
// (WriteShards: Parquet shards per task, atomic, checksummed, published
// by one rename), opening and verifying one (ReadManifest, OpenDataset,
// Verify), the names inside a dataset folder (TaskDir, ShardName,
// ModelFile, ReportFile, RejectedDir) and the train run folder (RunDir
// with its eval.json, weights.json, checkpoint and log).
//
// It imports only the substrate (pipeline/stream) and is imported by the
// stages (partition, train, report) and the orchestrator (pipeline).
package dataset
