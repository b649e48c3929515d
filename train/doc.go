// Package train pre-trains models over the task shards of a partitioned
// dataset with gorgonia, weighing the task losses so that the worst task's
// loss is low (minimax), and evaluates the result per task.
//
// This version holds only a start-up check of gorgonia; see the README's
// status section.
package train
