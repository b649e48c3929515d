#!/usr/bin/env bash
# The performance suite (README, Performance): every stage and the whole
# chain on a deterministic >= 500 MB text corpus and on one twice its
# size, as whole commands timed by /usr/bin/time.
#
#   scripts/bench-suite.sh [BENCH_DIR]        (or: make bench-suite)
#
# Environment: RUNS (default 1) runs per measurement, the median is
# printed; DOCS (default 1000000) documents of the base corpus (the
# synthetic generator, `robustdata synth --tasks 8 --seed 1`, gives about
# 590 bytes of text per document).
#
# For each corpus it prints seconds, MB/s of text, documents/s and peak
# RSS of:
#   features         fit (sample 100k) + apply, to an Arrow IPC stream
#   features-apply   apply a saved features model, to an Arrow IPC stream
#   partition+shard  partition --k 64 -o DIR/ of an Arrow file whose
#                    features are computed already
#   chain            partition --k 64 -o DIR/ of the raw corpus (features,
#                    partition and shard in one batch job)
#   chain-pipe       features | partition --k 64 | shard -o DIR/ through
#                    OS pipes (RSS: the largest of the three processes)
# and last, per stage, the peak RSS growth from the base corpus to the
# doubled one, against the targets of issue 7 (2 cores: features >= 100
# MB/s, chain >= 50 MB/s, peak RSS <= 1 GiB growing < 10%).
set -euo pipefail
cd "$(dirname "$0")/.."
bench=${1:-${TMPDIR:-/tmp}/robustdata-bench}
runs=${RUNS:-1}
docs1=${DOCS:-1000000}
docs2=$((2 * docs1))
mkdir -p "$bench"
bin=bin/robustdata
go build -o "$bin" ./cmd/robustdata
go build -o bin/textbytes ./scripts/textbytes

# one NAME DOCS MB COMMAND...: runs COMMAND $runs times (a shell string,
# so that pipes work; its output folder is removed before each run) and
# prints the median seconds and peak RSS.
results=$bench/suite-results.txt
: >"$results"
one() {
	local name=$1 docs=$2 mb=$3 cmd=$4
	local secs=() rss=()
	for _ in $(seq 1 "$runs"); do
		rm -rf "$bench/out"
		local log=$bench/time.log
		: >"$log"
		# Every process of the pipeline appends "seconds maxrss_kb";
		# wall time is the whole pipeline's.
		local t0 t1
		t0=$(date +%s.%N)
		bash -c "set -o pipefail; $cmd" >/dev/null
		t1=$(date +%s.%N)
		secs+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')")
		rss+=("$(awk 'BEGIN { m = 0 } { if ($2 > m) m = $2 } END { print m }' "$log")")
	done
	local s k
	s=$(printf '%s\n' "${secs[@]}" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
	k=$(printf '%s\n' "${rss[@]}" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
	awk -v n="$name" -v s="$s" -v kb="$k" -v mb="$mb" -v d="$docs" \
		'BEGIN { printf "%-40s %7.2f s %8.1f MB/s %10.0f docs/s %7.0f MiB RSS\n", n, s, mb/s, d/s, kb/1024 }' | tee -a "$results"
}
timed() { echo "/usr/bin/time -a -o $bench/time.log -f '%e %M' $*"; }

for docs in "$docs1" "$docs2"; do
	corpus=$bench/synth-$docs-k8-s1.parquet
	[ -f "$corpus" ] || "$bin" -q --seed 1 synth --docs "$docs" --tasks 8 -o "$corpus"
	mb=$(bin/textbytes "$corpus")
	model=$bench/synth-$docs.features.model
	feats=$bench/synth-$docs.features.arrow
	[ -f "$model" ] || "$bin" -q features -i "$corpus" -o - --model-out "$model" >/dev/null
	[ -f "$feats" ] || "$bin" -q features -i "$corpus" -o "$feats" --model "$model"
	echo "# corpus $corpus: $docs documents, $mb MB of text, runs=$runs" | tee -a "$results"
	one "$docs features" "$docs" "$mb" "$(timed "$bin" -q features -i "$corpus" -o -)"
	one "$docs features-apply" "$docs" "$mb" "$(timed "$bin" -q features -i "$corpus" --model "$model" -o -)"
	one "$docs partition+shard" "$docs" "$mb" "$(timed "$bin" -q partition -i "$feats" --k 64 -o "$bench/out/")"
	one "$docs chain" "$docs" "$mb" "$(timed "$bin" -q partition -i "$corpus" --k 64 -o "$bench/out/")"
	one "$docs chain-pipe" "$docs" "$mb" "$(timed "$bin" -q features -i "$corpus" -o -) | $(timed "$bin" -q partition --k 64) | $(timed "$bin" -q shard -o "$bench/out/")"
done
rm -rf "$bench/out"

echo "# peak RSS growth, $docs1 -> $docs2 documents"
awk -v d1="$docs1" -v d2="$docs2" '
	/^#/ { next }
	{ stage = $2; rss = $(NF-2); mbs = $(NF-6)
	  if ($1 == d1) { r1[stage] = rss; m1[stage] = mbs; order[++n] = stage }
	  if ($1 == d2) r2[stage] = rss }
	END {
		for (i = 1; i <= n; i++) {
			s = order[i]
			target = (s ~ /^features/) ? 100 : (s ~ /^chain/ ? 50 : 0)
			printf "%-18s %6.0f -> %6.0f MiB (%+5.1f%%)  %s  %s\n", s, r1[s], r2[s], 100 * (r2[s] - r1[s]) / r1[s],
				(r2[s] <= 1024 && r1[s] <= 1024 && (r2[s] - r1[s]) < 0.1 * r1[s]) ? "memory ok" : "MEMORY OVER TARGET",
				target == 0 ? "" : (m1[s] >= target ? "speed ok (>= " target " MB/s)" : "SPEED UNDER TARGET (" target " MB/s)")
		}
	}' "$results"
