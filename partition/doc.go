// Package partition clusters documents into K representative sub-tasks by
// their pattern and semantic features, and writes each sub-task as its
// own sharded dataset.
//
// At its public edge it speaks the vocabulary of
// github.com/muesli/clusters (clusters.Observation, clusters.Clusters),
// so that results can be compared with muesli/kmeans; inside, k-means runs
// as seeded matrix products (gonum matrices, internal/gemm's AVX2/FMA
// kernel for the distance products).
package partition
