#!/usr/bin/env bash
# Runs every fuzz target for a short while (CI: 10 s each), after the seed
# corpus and the regression inputs in testdata/fuzz/ (which plain
# `go test` replays too).
#
#   scripts/fuzz-ci.sh                 (FUZZTIME=60s scripts/fuzz-ci.sh)
#
# Environment: FUZZTIME (default 10s) per target; FUZZMINIMIZETIME
# (default 5s) to minimise a failing input. A failing input is written to
# PKG/testdata/fuzz/TARGET/ by go test: add it to the repository with the
# fix. Every target runs even when one fails; the script exits non-zero if
# any failed or is missing.
set -uo pipefail
cd "$(dirname "$0")/.."

fuzztime=${FUZZTIME:-10s}
minimize=${FUZZMINIMIZETIME:-5s}

# package target...
targets=(
	"./pipeline FuzzOpenBytes FuzzManifest FuzzRunConfig FuzzJSONLLine"
	"./pipeline/safetensors FuzzRead"
	"./partition FuzzParseModel"
	"./features FuzzLoadModel FuzzAnalyze FuzzWordVectors"
)

failed=()
for line in "${targets[@]}"; do
	read -r pkg names <<<"$line"
	# Every target named here must exist (a renamed one would otherwise
	# be skipped silently: -fuzz matching nothing fails, but say why).
	have=$(go test -list '^Fuzz' "$pkg" 2>&1) || {
		echo "fuzz-ci: cannot list the fuzz targets of $pkg:" >&2
		echo "$have" >&2
		failed+=("$pkg")
		continue
	}
	for name in $names; do
		if ! grep -qx "$name" <<<"$have"; then
			echo "fuzz-ci: no fuzz target $name in $pkg" >&2
			failed+=("$pkg $name (missing)")
			continue
		fi
		echo "fuzz-ci: $pkg $name for $fuzztime"
		if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -fuzzminimizetime "$minimize" "$pkg"; then
			failed+=("$pkg $name")
		fi
	done
done

if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz-ci: FAILED: ${failed[*]}" >&2
	exit 1
fi
echo "fuzz-ci: all targets passed"
