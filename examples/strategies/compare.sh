#!/usr/bin/env bash
# The strategy comparison of the README (Training over the sub-tasks): on
# the shipped fortunes corpus cut into 8 sub-tasks, train the same
# masked-token model with erm, uniform, minimax, group-dro and doremi, for
# --tasks cluster (the sub-tasks) and --tasks pos (the part of speech of
# the masked word), then print per strategy the held-out loss of every
# task, the mean, the worst, and the linear-probe accuracy on two labelled
# downstream sets with its worst.
#
#   examples/strategies/compare.sh [cluster|pos]...    (default: both)
#
# ROBUSTDATA names the binary (default bin/robustdata, built if missing).
# About 6 minutes on 2 cores; a second call reuses finished stages.
set -euo pipefail
cd "$(dirname "$0")/../.."
rd=${ROBUSTDATA:-bin/robustdata}
[ -x "$rd" ] || go build -o "$rd" ./cmd/robustdata
rd=$(cd "$(dirname "$rd")" && pwd)/$(basename "$rd")
data=$PWD/examples/data
for tasks in "${@:-cluster pos}"; do
	for t in $tasks; do
		"$rd" -q run "examples/strategies/$t.yaml"
		echo "## --tasks $t (out/strategies-$t)"
		(cd "out/strategies-$t" && "$rd" -q eval --shards dataset \
			runs/erm runs/uniform runs/minimax runs/group-dro runs/doremi \
			--downstream "fortunes=$data/fortunes.parquet:label" \
			--downstream "appstream=$data/appstream.parquet:label")
	done
done
