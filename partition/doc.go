// Package partition clusters documents into K representative sub-tasks by
// their pattern and semantic features, and writes each sub-task as its
// own sharded dataset.
//
// The stage works on matrices: k-means runs as seeded matrix products
// (gonum matrices, internal/gemm's AVX2/FMA kernel for the distance
// products). Observations, Dense and Clusters convert to and from the
// vocabulary of github.com/muesli/clusters (clusters.Observations,
// clusters.Clusters), so that a clustering can be handed to, or compared
// with, muesli/kmeans and other users of that vocabulary; the benchmarks
// and TestMuesliKMeansSpeaksObservations do.
//
// It owns the partition model (partition.json), the k-means fit and
// assignment, the shard writer and dataset verification; it imports the
// pipeline substrate and internal packages only (see internal/layers).
package partition
