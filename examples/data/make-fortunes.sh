#!/usr/bin/env bash
# make-fortunes.sh - build the shipped example corpus from Debian's fortune
# cookie files (packages `fortunes` and `fortunes-min`, BSD licence; see
# LICENSE.fortunes next to this script).
#
# Usage (from anywhere; paths are relative to the repository root):
#   examples/data/make-fortunes.sh               # write examples/data/fortunes.jsonl, then
#                                                # examples/data/fortunes.parquet via robustdata
#   examples/data/make-fortunes.sh --jsonl-only  # only write examples/data/fortunes.jsonl
#   examples/data/make-fortunes.sh --stdout      # only print the JSONL to stdout
#
# Environment:
#   FORTUNES_DIR  source directory (default /usr/share/games/fortunes)
#   ROBUSTDATA    robustdata command (default: "go run ./cmd/robustdata",
#                 run from the repository root)
#   PYTHON        python3 interpreter (default: python3 from PATH, else /usr/bin/python3)
#
# Output: one JSON object per cookie, keys in the order {"text": ..., "label": ...},
# label = category file name. Categories are sorted by name (bytewise), cookies
# keep file order. Cookies are split on lines consisting only of "%"; leading and
# trailing blank (whitespace-only) lines of each cookie are removed, everything
# else (internal newlines, indentation, backspace/bell overstrike bytes) is kept
# verbatim. Empty cookies are dropped and counted on stderr. Input files are
# decoded as UTF-8 (preferring a distinct *.u8 sibling if one exists); a file that
# is not valid UTF-8 is decoded as Latin-1 and reported on stderr.
set -euo pipefail

mode=full
case "${1:-}" in
  "") ;;
  --jsonl-only) mode=jsonl ;;
  --stdout) mode=stdout ;;
  -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
  *) echo "make-fortunes.sh: unknown argument: $1 (use --jsonl-only, --stdout or no argument)" >&2; exit 2 ;;
esac

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/../.." && pwd)
FORTUNES_DIR=${FORTUNES_DIR:-/usr/share/games/fortunes}

if [[ -n "${PYTHON:-}" ]]; then
  py=$PYTHON
elif command -v python3 >/dev/null 2>&1; then
  py=python3
else
  py=/usr/bin/python3
fi

emit_jsonl() {
  "$py" - "$FORTUNES_DIR" <<'PY'
import json, os, sys

src = sys.argv[1]
out = sys.stdout.buffer
err = sys.stderr

def is_blank(line):
    return line.strip(" \t\r\f\v") == ""

names = sorted(os.listdir(src))
paths = {n: os.path.join(src, n) for n in names}

# Category = any regular file or symlink-to-file that is not *.dat / *.u8.
# Directories (e.g. an "off" directory of offensive fortunes) are skipped, as are
# symlinks that resolve to another category file in the same directory.
regular = {n for n in names
           if not n.endswith((".dat", ".u8"))
           and os.path.isfile(paths[n]) and not os.path.islink(paths[n])}
real_of = {os.path.realpath(paths[n]): n for n in regular}
cats = []
for n in names:
    p = paths[n]
    if n.endswith((".dat", ".u8")) or os.path.isdir(p) or not os.path.isfile(p):
        continue
    if os.path.islink(p):
        dup = real_of.get(os.path.realpath(p))
        if dup is not None:
            print(f"make-fortunes: skip {n}: symlink duplicating category {dup}", file=err)
            continue
    cats.append(n)

dropped_edge = dropped_inner = 0
total = total_bytes = 0
non_utf8 = []
for cat in cats:
    p = paths[cat]
    cands = [p]
    u8 = p + ".u8"
    if os.path.exists(u8) and os.path.realpath(u8) != os.path.realpath(p):
        cands = [u8, p]  # a distinct .u8 file: prefer it if it is valid UTF-8
    text = None
    for c in cands:
        raw = open(c, "rb").read()
        try:
            text = raw.decode("utf-8")
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        raw = open(p, "rb").read()
        text = raw.decode("latin-1")
        non_utf8.append(cat)
        print(f"make-fortunes: {cat}: not valid UTF-8, decoded as Latin-1", file=err)
    lines = text.replace("\r\n", "\n").split("\n")
    chunks, cur = [], []
    for line in lines:
        if line == "%":
            chunks.append(cur)
            cur = []
        else:
            cur.append(line)
    chunks.append(cur)
    n_cat = 0
    for i, ch in enumerate(chunks):
        a, b = 0, len(ch)
        while a < b and is_blank(ch[a]):
            a += 1
        while b > a and is_blank(ch[b - 1]):
            b -= 1
        if a == b:
            if i == 0 or i == len(chunks) - 1:
                dropped_edge += 1
            else:
                dropped_inner += 1
            continue
        body = "\n".join(ch[a:b])
        rec = json.dumps({"text": body, "label": cat}, ensure_ascii=False)
        out.write(rec.encode("utf-8") + b"\n")
        n_cat += 1
        total_bytes += len(body.encode("utf-8"))
    total += n_cat

print(f"make-fortunes: {len(cats)} categories, {total} cookies, {total_bytes} text bytes", file=err)
print(f"make-fortunes: dropped {dropped_edge + dropped_inner} empty cookies "
      f"({dropped_edge} empty piece(s) before the first / after the last '%' of a file, "
      f"{dropped_inner} empty between two '%' lines)", file=err)
print(f"make-fortunes: non-UTF-8 inputs: {', '.join(non_utf8) if non_utf8 else 'none'}", file=err)
PY
}

if [[ $mode == stdout ]]; then
  emit_jsonl
  exit 0
fi

cd "$repo_root"
out_jsonl=examples/data/fortunes.jsonl
tmp=$(mktemp "$out_jsonl.tmp.XXXXXX")
trap 'rm -f "$tmp"' EXIT
emit_jsonl >"$tmp"
chmod 644 "$tmp"
mv "$tmp" "$out_jsonl"
trap - EXIT
echo "make-fortunes: wrote $out_jsonl ($(wc -l <"$out_jsonl") lines)" >&2

if [[ $mode == jsonl ]]; then
  exit 0
fi

read -r -a robustdata <<<"${ROBUSTDATA:-go run ./cmd/robustdata}"
"${robustdata[@]}" cat -i - -o examples/data/fortunes.parquet <"$out_jsonl"
echo "make-fortunes: wrote examples/data/fortunes.parquet" >&2
