#!/usr/bin/env bash
# The per-row profile (issue 16): µs of CPU per row and CPU-seconds per GB
# of text of every component of features and of partition + shard, on a
# deterministic short-document corpus (scripts/shortcorpus/rowbench: the shipped
# fortunes texts repeated with a " #copy" suffix, mean ≈ 170 bytes).
#
#   scripts/bench-rows.sh [PROFILE_DIR]
#
# ROBUSTDATA_ROWS_DOCS sets the corpus size (default 200,000 documents,
# built once in $TMPDIR/robustdata-bench); COUNT repeats every benchmark
# (default 1; take the median of 3 or more to compare builds, and run the
# two builds alternately: the machine is shared). With PROFILE_DIR, a CPU
# profile of each package's benchmarks is written there
# (go tool pprof -top PROFILE_DIR/features.pprof).
#
# Components (one worker each; fit rows are a fixed cost spread over the
# corpus): read (Parquet → Arrow), analyze (tokenize + hash uni/bigrams +
# pattern signals, one pass), project (TF-IDF rows + LSA projection),
# apply (a features worker batch, Arrow columns included), features
# (features.Apply), assign (k = 64), shard-write (64 zstd task shards,
# input columns + task + task_distance), chain (features + assign + shard
# write fused, the assign pass of partition -o DIR/).
set -euo pipefail
cd "$(dirname "$0")/.."
prof=${1:-}
count=${COUNT:-1}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for pkg in features pipeline; do
	args=(-run '^$' -bench '^BenchmarkRowCost$' -benchtime 1x -count "$count" -timeout 60m)
	if [ -n "$prof" ]; then
		mkdir -p "$prof"
		args+=(-cpuprofile "$prof/$pkg.pprof" -o "$prof/$pkg.test")
	fi
	go test "${args[@]}" "./$pkg/" | tee -a "$out" >&2
done
# One line per component: the median over COUNT runs.
awk '
/^BenchmarkRowCost\// {
	name = $1; sub(/^BenchmarkRowCost\//, "", name); sub(/-[0-9]+$/, "", name)
	for (i = 2; i < NF; i++) {
		if ($(i+1) == "cpu-µs/row") cpu[name] = cpu[name] " " $i
		if ($(i+1) == "CPU-s/GB") gb[name] = gb[name] " " $i
		if ($(i+1) == "wall-µs/row") wall[name] = wall[name] " " $i
	}
	if (!(name in seen)) { seen[name] = 1; order[++n] = name }
}
function median(s,   a, k, i, j, t) {
	k = split(s, a, " ")
	for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
	return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
}
END {
	printf "%-12s %12s %10s %12s\n", "component", "cpu-µs/row", "CPU-s/GB", "wall-µs/row"
	for (i = 1; i <= n; i++) {
		c = order[i]
		printf "%-12s %12.3f %10.2f %12.3f\n", c, median(cpu[c]), median(gb[c]), median(wall[c])
	}
}' "$out"
