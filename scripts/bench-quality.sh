#!/usr/bin/env bash
# Partition quality against scikit-learn on every labelled corpus (see
# README, Sub-tasks: quality), seeds 1-3: one table of NMI and ARI mean ± sd,
# wall time and docs/s. Not part of `make test`.
#
#   scripts/bench-quality.sh [WORKDIR] [extra args of scripts/bench_quality.py]
#
# Installs Debian's python3-sklearn when /usr/bin/python3 lacks it (as
# root: apt-get update, then apt-get install), builds robustdata, and runs
# scripts/bench_quality.py. Run it on an otherwise idle machine: wall times
# are whole commands.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-${TMPDIR:-/tmp}/robustdata-bench-quality}
shift || true
py=/usr/bin/python3
if ! "$py" -c 'import sklearn' 2>/dev/null; then
	echo "bench-quality: installing python3-sklearn" >&2
	apt-get update >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y python3-sklearn >&2
fi
mkdir -p "$work"
go build -o bin/robustdata ./cmd/robustdata
exec "$py" scripts/bench_quality.py bin/robustdata "$work" "$@"
