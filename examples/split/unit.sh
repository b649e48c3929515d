#!/usr/bin/env bash
# One work unit of the split chain, for a cluster scheduler: a Slurm array
# task (SLURM_ARRAY_TASK_ID of SLURM_ARRAY_TASK_COUNT) or a Kubernetes
# Indexed Job pod (JOB_COMPLETION_INDEX of UNITS, see k8s-indexed-job.yaml).
# Each unit applies the models fitted once (run-local.sh, step 1, writes
# OUT/features.model and OUT/partition.json) to its share of the raw
# corpus; the last step shards the units. With Slurm, for 16 units:
#
#   sbatch --array=0-15 examples/split/unit.sh CORPUS OUT
#   sbatch --dependency=afterok:JOBID examples/split/unit.sh CORPUS OUT shard
#
# A unit that failed or was pre-empted is simply run again (a complete unit
# is skipped, a half-written one is redone). The shard step refuses to read
# until every unit has its completion marker.
#SBATCH --job-name=robustdata-units
#SBATCH --cpus-per-task=2
#SBATCH --mem=2G
set -euo pipefail
rd=${ROBUSTDATA:-robustdata}
corpus=$1
out=$2
step=${3:-units}

if [ "$step" = shard ]; then
	"$rd" -q shard --overwrite -i "$out/tasks/" -o "$out/dataset/"
	"$rd" verify "$out/dataset"
	exit
fi
i=${SLURM_ARRAY_TASK_ID:-${JOB_COMPLETION_INDEX:?run as a Slurm array task or a Kubernetes Indexed Job pod}}
n=${SLURM_ARRAY_TASK_COUNT:-${UNITS:?set UNITS to the Indexed Job completions}}
# Features and tasks in one pass over the unit: partition computes the
# features of raw input with the saved features model.
"$rd" -q partition -i "$corpus" --features-model "$out/features.model" --model "$out/partition.json" \
	--split "$i/$n" -o "$out/tasks/"
