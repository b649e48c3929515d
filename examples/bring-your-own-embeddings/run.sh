#!/usr/bin/env bash
# Partition a corpus by embeddings another model made (here: a 64-dimension
# embedding of the AppStream descriptions, see make-embeddings.py), instead
# of robustdata's own LSA features. The pattern features are still computed
# from the text; the embedding column becomes the semantic features.
#
#   examples/bring-your-own-embeddings/run.sh [OUT]
#
# ROBUSTDATA names the robustdata binary (default: robustdata on PATH).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
rd=${ROBUSTDATA:-robustdata}
out=${1:-out/bring-your-own-embeddings}

"$rd" partition -i "$here/appstream-emb.parquet" --semantic column=emb \
	--k 11 --label-col label --overwrite -o "$out/dataset/"
"$rd" verify "$out/dataset"
grep -m1 'against the labels' "$out/dataset/report.md"
