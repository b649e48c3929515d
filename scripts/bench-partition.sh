#!/usr/bin/env bash
# Throughput and memory of partition + shard (K = 64) on >= 500 MB of text,
# as whole commands with /usr/bin/time (see README, Performance).
#
#   scripts/bench-partition.sh [BENCH_DIR]
#
# Uses the synthetic corpora of scripts/bench-features.sh (1,000,000 and
# 2,000,000 documents; built here if missing). Measures:
#   - partition + shard of a corpus whose features are computed already
#     (an Arrow file written by robustdata features --model);
#   - the one-command batch job from the raw corpus (features + partition +
#     shard);
# and prints seconds, MB/s of text, documents/s and peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
bench=${1:-${TMPDIR:-/tmp}/robustdata-bench}
mkdir -p "$bench"
bin=bin/robustdata
go build -o "$bin" ./cmd/robustdata

measure() { # name docs text_mb command...
	local name=$1 docs=$2 mb=$3
	shift 3
	local t
	t=$( { /usr/bin/time -f '%e %M' "$@" >/dev/null; } 2>&1 | tail -1)
	local secs=${t% *} kb=${t#* }
	awk -v n="$name" -v s="$secs" -v kb="$kb" -v mb="$mb" -v d="$docs" \
		'BEGIN { printf "%-52s %7.2f s %8.1f MB/s %10.0f docs/s %7.0f MiB RSS\n", n, s, mb/s, d/s, kb/1024 }'
}

for docs in 1000000 2000000; do
	corpus=$bench/synth-$docs-k8-s1.parquet
	[ -f "$corpus" ] || "$bin" -q --seed 1 synth --docs "$docs" --tasks 8 -o "$corpus"
	mb=$(go run ./scripts/textbytes "$corpus")
	model=$bench/synth-$docs.features.model
	feats=$bench/synth-$docs.features.arrow
	[ -f "$feats" ] || "$bin" -q features -i "$corpus" -o "$feats" --model-out "$model"
	rm -rf "$bench/out"
	measure "synth-$docs partition+shard k=64 (features given)" "$docs" "$mb" \
		"$bin" -q partition -i "$feats" --k 64 -o "$bench/out/"
	rm -rf "$bench/out"
	measure "synth-$docs features+partition+shard k=64 (raw)" "$docs" "$mb" \
		"$bin" -q partition -i "$corpus" --k 64 -o "$bench/out/"
	rm -rf "$bench/out"
done
