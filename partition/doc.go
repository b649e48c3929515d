// Package partition clusters documents into K representative sub-tasks by
// their pattern and semantic features and assigns every row its task; the
// sharded dataset itself is written by pipeline/dataset.
//
// The stage works on matrices: k-means runs as seeded matrix products
// (gonum matrices, internal/gemm's AVX2/FMA kernel for the distance
// products). Observations, Dense and Clusters convert to and from the
// vocabulary of github.com/muesli/clusters (clusters.Observations,
// clusters.Clusters), so that a clustering can be handed to, or compared
// with, muesli/kmeans and other users of that vocabulary; Model.Clusters
// groups rows of the model's space by its centroids as clusters.Clusters.
// ExampleObservations, ExampleModel_Clusters, the benchmarks and
// TestMuesliKMeansSpeaksObservations use that edge.
//
// It owns the partition model (partition.json), the k-means fit and
// assignment; it imports the pipeline substrate (pipeline/stream,
// pipeline/dataset) and internal packages only (see internal/layers).
package partition
