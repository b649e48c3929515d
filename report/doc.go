// Package report writes the HTML report of a dataset and its training
// runs: one self-contained file (styles inline, charts as inline SVG made
// with gonum/plot's vgsvg backend, no script, nothing loaded from the
// network) that a browser opens offline.
//
// Its input is either a dataset folder, as robustdata partition -o DIR/
// or shard write it, or the output root of robustdata run:
//
//	DIR/manifest.json, partition.json, task=NNN/*.parquet    a dataset folder
//	DIR/dataset/...                                          a run's dataset
//	DIR/runs/NAME/{model.json,train_log.parquet,weights.json,eval.json}
//	DIR/eval/eval.json                                       robustdata eval --json
//
// The page has six sections:
//
//  1. Dataset: inputs with size and sha256, rows in, in task shards and
//     rejected, K, seed and every stage's configuration (manifest.json);
//     how partition.json was fitted.
//  2. Task sizes: a bar per task (manifest.json) and a table; a task
//     holding partition.DominantShare (45%) of the rows or more is
//     flagged with a hint (--k, --weights).
//  3. Projection: up to Options.SampleRows rows drawn evenly from every
//     task's shards (each task at least 5 rows when it has them), in the
//     space k-means clustered — the pattern block standardised and
//     weighed by partition.json, beside the centred, renormalised, weighed
//     semantic block — or of the semantic column alone without
//     partition.json, projected on the first two principal components
//     (gonum/stat PCA) of the task centroids, the plane in which the tasks
//     lie furthest apart; coloured by task with a legend.
//  4. Tasks: per task its top terms — those of the dataset's report.md, so
//     that both reports agree, else c-TF-IDF of the sampled texts over
//     features.ContentWords (partition.TopTerms) — the pattern features
//     that stand out, and three sampled texts, nearest the centroid first
//     (task_distance).
//  5. Labels (when the shards have a label column): NMI, ARI and purity
//     over every row of the shards and a labels × tasks heat map.
//  6. Training runs (when DIR/runs/ holds some): one chart of every run's
//     worst-task and mean training loss per step, smoothed by a moving
//     average (whole steps on the axis), how many seeds each strategy ran
//     with (the spread of its worst loss, or that there is none), the
//     final task weights as grouped bars, the runs' eval.json side by
//     side and DIR/eval/eval.json's downstream probes (their mean and
//     worst only with two probes or more).
//
// The report is deterministic: the sample is drawn at fixed positions,
// maps are sorted, nothing depends on time, so the same inputs give the
// same bytes. All text from the data is HTML-escaped.
package report
