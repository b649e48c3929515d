#!/usr/bin/env bash
# Throughput and memory of the features stage on a >= 500 MB text corpus,
# measured as whole commands with /usr/bin/time (see README, Performance).
#
#   scripts/bench-features.sh [BENCH_DIR]
#
# Builds (once, deterministically) two Parquet corpora in BENCH_DIR
# (default: $TMPDIR/robustdata-bench): a synthetic one of 1,000,000
# documents (about 540 MB of text) and the shipped fortunes corpus
# repeated 200 times (about 506 MB of short real texts), plus a corpus
# twice the synthetic one's size to check that memory does not grow.
# Prints, per run: seconds, MB/s of text, documents/s and peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
bench=${1:-${TMPDIR:-/tmp}/robustdata-bench}
mkdir -p "$bench"
bin=bin/robustdata
go build -o "$bin" ./cmd/robustdata

synth1=$bench/synth-1000000-k8-s1.parquet
synth2=$bench/synth-2000000-k8-s1.parquet
fort=$bench/fortunes-x200.parquet
[ -f "$synth1" ] || "$bin" -q --seed 1 synth --docs 1000000 --tasks 8 -o "$synth1"
[ -f "$synth2" ] || "$bin" -q --seed 1 synth --docs 2000000 --tasks 8 -o "$synth2"
if [ ! -f "$fort" ]; then
	args=()
	for i in $(seq 1 200); do
		ln -sf "$PWD/examples/data/fortunes.parquet" "$bench/fortunes-copy-$i.parquet"
		args+=(-i "$bench/fortunes-copy-$i.parquet")
	done
	"$bin" -q cat "${args[@]}" -o "$fort"
	rm -f "$bench"/fortunes-copy-*.parquet
fi

measure() { # name corpus docs text_mb command...
	local name=$1 corpus=$2 docs=$3 mb=$4
	shift 4
	local t
	t=$( { /usr/bin/time -f '%e %M' "$@" >/dev/null; } 2>&1 | tail -1)
	local secs=${t% *} kb=${t#* }
	awk -v n="$name" -v s="$secs" -v kb="$kb" -v mb="$mb" -v d="$docs" \
		'BEGIN { printf "%-44s %7.2f s %8.1f MB/s %10.0f docs/s %7.0f MiB RSS\n", n, s, mb/s, d/s, kb/1024 }'
}

for spec in "synth-1M:$synth1:1000000" "fortunes-x200:$fort:3043400" "synth-2M:$synth2:2000000"; do
	IFS=: read -r name corpus docs <<<"$spec"
	mb=$(go run ./scripts/textbytes "$corpus")
	model=$bench/$name.model
	measure "$name fit+apply -> IPC stream (pipe path)" "$corpus" "$docs" "$mb" \
		"$bin" -q features -i "$corpus" -o - --model-out "$model"
	measure "$name apply (--model) -> IPC stream" "$corpus" "$docs" "$mb" \
		"$bin" -q features -i "$corpus" -o - --model "$model"
	measure "$name apply (--model) -> Parquet" "$corpus" "$docs" "$mb" \
		"$bin" -q features -i "$corpus" -o "$bench/out.parquet" --model "$model"
	measure "$name fit+apply --dim 32 -> IPC stream" "$corpus" "$docs" "$mb" \
		"$bin" -q features -i "$corpus" -o - --dim 32
done
rm -f "$bench/out.parquet"
