#!/usr/bin/env bash
# The chain as a Unix pipe: every stage reads an Arrow IPC stream on stdin
# and writes one on stdout; the configuration travels with the stream, so
# the shards and manifest equal those of the one-command batch job
# (robustdata partition -i CORPUS --k 12 -o DIR/) byte for byte.
#
#   examples/unix-pipeline/pipeline.sh [CORPUS] [OUT]
#
# ROBUSTDATA names the robustdata binary (default: robustdata on PATH).
set -euo pipefail
rd=${ROBUSTDATA:-robustdata}
corpus=${1:-examples/data/fortunes.parquet}
out=${2:-out/unix-pipeline}

"$rd" features -i "$corpus" |
	"$rd" partition --k 12 --label-col label --report "$out-report.md" |
	"$rd" shard --overwrite -o "$out/"
"$rd" verify "$out"

# Peek at the result as JSON lines (jq-friendly).
"$rd" cat -i "$out" --columns doc_id,task,label --limit 5 -o - | "$rd" cat -o "$out-peek.jsonl"
cat "$out-peek.jsonl"
