#!/usr/bin/env bash
# The chain split into N work units run side by side, as N machines would
# run them (a Kubernetes Indexed Job's JOB_COMPLETION_INDEX or a Slurm
# array's SLURM_ARRAY_TASK_ID as I): fit the features and partition models
# once, apply them unit by unit in N concurrent processes, then shard the
# units. Every row gets the same task and task_distance whatever N is.
#
#   examples/split/run-local.sh [CORPUS] [OUT] [N]
#
# ROBUSTDATA names the robustdata binary (default: robustdata on PATH).
set -euo pipefail
rd=${ROBUSTDATA:-robustdata}
corpus=${1:-examples/data/fortunes.parquet}
out=${2:-out/split}
n=${3:-4}
mkdir -p "$out"

# 1. Fit once: the features model, then the partition model on the
#    features (the samples are drawn by hash: any split of the corpus
#    would fit the same models).
"$rd" -q features -i "$corpus" --model-out "$out/features.model" -o "$out/fit-features.parquet"
"$rd" -q partition -i "$out/fit-features.parquet" --k 12 --model-out "$out/partition.json" -o "$out/fit-tasks.parquet"

# 2. Apply, one process per unit, side by side. A unit that completed is
#    skipped when run again; the next step reads a folder of units only
#    once every unit has its completion marker.
pids=()
for ((i = 0; i < n; i++)); do
	"$rd" -q features -i "$corpus" --model "$out/features.model" --split "$i/$n" -o "$out/features/" &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
pids=()
for ((i = 0; i < n; i++)); do
	"$rd" -q partition -i "$out/features/" --model "$out/partition.json" --split "$i/$n" -o "$out/tasks/" &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done

# 3. Shard the units into the dataset and check it.
"$rd" -q shard --overwrite -i "$out/tasks/" -o "$out/dataset/"
"$rd" verify "$out/dataset"
