package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/robustdata/robustdata/internal/longtest"
	"github.com/robustdata/robustdata/pipeline/stream"
)

// advCase is one case of the adversarial battery: what a hostile but
// realistic user does, as a bash script run in a fresh folder, and what
// the tool must do about it.
type advCase struct {
	class, name string
	// script runs with bash in a fresh folder. R runs the binary with -q,
	// $BIN is the binary, $F the shared fixtures (copy before tampering),
	// $TMPDIR the case's own temporary folder. Its exit status is the
	// case's (end a pipe with `exit ${PIPESTATUS[i]}` to pick a stage).
	script string
	code   int
	// stderr must match this regexp (when set).
	stderr string
	// anyStderr: the script prints more than the tool's one line (several
	// commands, or a killed process), so the one-line rule is not checked.
	anyStderr bool
	// absent must not exist after the case (relative to its folder).
	absent []string
	// check is a bash script run after the case in the same folder; it
	// fails the case when it exits non-zero (say why on stderr).
	check string
}

// advPrelude is sourced by every case and check.
const advPrelude = `
R() { "$BIN" -q "$@"; }
# rows FILE|DIR: the number of rows robustdata reads there.
rows() { "$BIN" -q cat -i "$1" -o "$TMPDIR/rows.jsonl" >/dev/null || return 1; wc -l < "$TMPDIR/rows.jsonl"; rm -f "$TMPDIR/rows.jsonl"; }
want() { [ "$1" = "$2" ] || { echo "$3: got $1, want $2" >&2; exit 1; }; }
same() { cmp -s "$1" "$2" || { echo "$1 and $2 differ" >&2; exit 1; }; }
# waitstaging: until a staging name appears here or in $TMPDIR (60 s at most).
waitstaging() { local end=$((SECONDS + 60)); while [ $SECONDS -lt $end ]; do find . "$TMPDIR" -name '*robustdata-tmp-*' 2>/dev/null | grep -q . && return 0; sleep 0.02; done; echo "no staging name within 60 s" >&2; return 1; }
# texts N FILE: append the first N texts of the corpus to FILE as JSONL.
texts() { "$BIN" -q cat -i "$F/corpus.parquet" --columns text --limit "$1" -o "$TMPDIR/texts.jsonl" && cat "$TMPDIR/texts.jsonl" >> "$2" && rm "$TMPDIR/texts.jsonl"; }
`

// advFixtures is built once: a small labelled corpus in every format, a
// partitioned dataset with its models, a trained run, and a corpus big
// enough to be killed mid-write.
const advFixtures = `
R synth --docs 600 --tasks 3 --seed 1 -o corpus.parquet
R cat -i corpus.parquet -o corpus.jsonl
R cat -i corpus.parquet -o corpus.arrows
R partition -i corpus.parquet --k 3 --dim 16 --vocab 2048 --features-model-out feats.model --model-out part.json --keep-features -o ds/
R train -i ds -o run --strategy erm --steps 20
R partition -i corpus.parquet --model part.json --features-model feats.model -o tasks.arrows
R synth --docs 40000 --tasks 4 --seed 2 -o big.parquet
R partition -i big.parquet --k 4 --dim 16 --vocab 2048 --features-sample 2000 -o big-tasks.parquet
`

// advSmall are the partition flags of the battery (a small, fast model).
const advSmall = "--dim 16 --vocab 2048"

// advCases is the battery. The README's reliability section quotes its
// size; keep them in step.
var advCases = []advCase{
	// Malformed input: exit 3, one line naming the file and what was expected.
	{class: "malformed", name: "png named .parquet", script: `printf '\x89PNG\r\n\x1a\n0000000000000000' > p.parquet; R cat -i p.parquet -o x.jsonl`,
		code: 3, stderr: `p\.parquet: not a valid Parquet file`, absent: []string{"x.jsonl"}},
	{class: "malformed", name: "truncated parquet", script: `head -c 3000 $F/corpus.parquet > t.parquet; R features -i t.parquet -o f.arrows`,
		code: 3, stderr: `t\.parquet: not a valid Parquet file`, absent: []string{"f.arrows"}},
	{class: "malformed", name: "parquet footer overwritten", script: `cp $F/corpus.parquet t.parquet; printf 'XXXXXXXX' | dd of=t.parquet bs=1 seek=$(( $(stat -c %s t.parquet) - 8 )) conv=notrunc 2>/dev/null; R partition -i t.parquet --k 3 -o ds/`,
		code: 3, stderr: `t\.parquet: `, absent: []string{"ds"}},
	{class: "malformed", name: "parquet middle zeroed", script: `cp $F/corpus.parquet t.parquet; dd if=/dev/zero of=t.parquet bs=1 seek=2000 count=4000 conv=notrunc 2>/dev/null; R cat -i t.parquet -o x.jsonl`,
		code: 3, stderr: `t\.parquet`, absent: []string{"x.jsonl"}},
	{class: "malformed", name: "jsonl unclosed string", script: `(head -5 $F/corpus.jsonl; echo '{"text": "abc'; tail -3 $F/corpus.jsonl) > b.jsonl; R features -i b.jsonl -o f.arrows`,
		code: 3, stderr: `b\.jsonl: line 6: .*not closed`, absent: []string{"f.arrows"}},
	{class: "malformed", name: "jsonl array line", script: `(head -5 $F/corpus.jsonl; echo '[1,2]') > b.jsonl; R cat -i b.jsonl -o x.parquet`,
		code: 3, stderr: `b\.jsonl: line 6: expected a JSON object`, absent: []string{"x.parquet"}},
	{class: "malformed", name: "jsonl raw NUL", script: `printf '{"text":"a\0b"}\n' > b.jsonl; R cat -i b.jsonl -o x.jsonl`,
		code: 3, stderr: `b\.jsonl: line 1: .*control character`, absent: []string{"x.jsonl"}},
	{class: "malformed", name: "jsonl text is a number", script: `for i in 1 2 3; do echo '{"text":5}'; done > b.jsonl; R features -i b.jsonl -o f.arrows`,
		code: 3, stderr: `b\.jsonl: column "text": text column is int64, expected string`, absent: []string{"f.arrows"}},
	{class: "malformed", name: "gzip cut", script: `gzip -c $F/corpus.jsonl | head -c 5000 > c.jsonl.gz; R cat -i c.jsonl.gz -o x.parquet`,
		code: 3, stderr: `c\.jsonl\.gz: line \d+: input ends early`, absent: []string{"x.parquet"}},
	{class: "malformed", name: "zstd garbage", script: `echo garbage > c.jsonl.zst; R cat -i c.jsonl.zst -o x.parquet`,
		code: 3, stderr: `c\.jsonl\.zst: line 1: not valid zstd`, absent: []string{"x.parquet"}},
	{class: "malformed", name: "zstd corrupt block", script: `zstd -q -c $F/corpus.jsonl > c.jsonl.zst && python3 -c "
import sys; b = bytearray(open('c.jsonl.zst','rb').read()); b[len(b)//2] ^= 0xff; open('c.jsonl.zst','wb').write(b)" && R cat -i c.jsonl.zst -o x.parquet`,
		code: 3, stderr: `c\.jsonl\.zst: line \d+`, absent: []string{"x.parquet"}},
	{class: "malformed", name: "schemas differ", script: `R cat -i $F/corpus.parquet --columns text -o t.jsonl; R cat -i $F/corpus.parquet -i t.jsonl -o x.parquet`,
		code: 3, stderr: `t\.jsonl`, absent: []string{"x.parquet"}},
	{class: "malformed", name: "IPC stream cut in a message", script: `head -c 20000 $F/corpus.arrows > c.arrows; R partition -i c.arrows --k 3 -o ds/`,
		code: 3, stderr: `c\.arrows: `, absent: []string{"ds"}},
	{class: "malformed", name: "IPC file truncated", script: `R cat -i $F/corpus.parquet -o c.arrow; head -c 30000 c.arrow > t.arrow; R cat -i t.arrow -o x.parquet`,
		code: 3, stderr: `t\.arrow: not a valid Arrow IPC file`, absent: []string{"x.parquet"}},
	{class: "malformed", name: "missing file", script: `R features -i nothere.parquet -o f.arrows`,
		code: 3, stderr: `nothere\.parquet: no such file`, absent: []string{"f.arrows"}},
	{class: "malformed", name: "empty file", script: `: > e.parquet; R cat -i e.parquet -o x.jsonl`,
		code: 3, stderr: `e\.parquet: empty file`, absent: []string{"x.jsonl"}},
	{class: "malformed", name: "folder without data", script: `mkdir d; echo hi > d/readme.txt; R cat -i d -o x.parquet`,
		code: 3, stderr: `d: folder holds no`, absent: []string{"x.parquet"}},
	{class: "malformed", name: "glob without match", script: `R cat -i 'no*.parquet' -o x.parquet`,
		code: 3, stderr: `no\*\.parquet: no file matches`, absent: []string{"x.parquet"}},
	{class: "malformed", name: "same file twice", script: `R cat -i $F/corpus.parquet -i $F/corpus.parquet -o x.parquet`,
		code: 3, stderr: `read twice`, absent: []string{"x.parquet"}},
	{class: "malformed", name: "stdin not data", script: `echo hello | R cat -o x.parquet`,
		code: 3, stderr: `stdin: not Parquet, Arrow IPC or JSONL`, absent: []string{"x.parquet"}},
	{class: "malformed", name: "stdin empty", script: `R cat -o x.parquet < /dev/null`,
		code: 3, stderr: `stdin: empty input`, absent: []string{"x.parquet"}},
	{class: "malformed", name: "config not YAML", script: `printf 'output: [\n' > c.yaml; R run c.yaml`,
		code: 3, stderr: `c\.yaml: line \d+: not valid YAML`, absent: []string{"out"}},
	{class: "malformed", name: "config wrong type", script: `printf 'output: out\ninputs:\n  paths: [%s/corpus.parquet]\npartition: {k: abc}\n' $F > c.yaml; R run c.yaml`,
		code: 3, stderr: `c\.yaml: line 4: `, absent: []string{"out"}},
	{class: "malformed", name: "features model garbage", script: `echo garbage > g.model; R features -i $F/corpus.parquet --model g.model -o f.arrows`,
		code: 3, stderr: `g\.model: not a features model`, absent: []string{"f.arrows"}},
	{class: "malformed", name: "partition model garbage", script: `echo '{"k":3}' > m.json; R partition -i $F/corpus.parquet --model m.json --features-model $F/feats.model -o ds/`,
		code: 3, stderr: `m\.json: not a partition model`, absent: []string{"ds"}},

	// Weird but valid input: exit 0, every row accounted for.
	{class: "weird", name: "JSONL with a byte-order mark", script: `(printf '\xef\xbb\xbf'; cat $F/corpus.jsonl) > b.jsonl; R cat -i b.jsonl --columns doc_id,text -o x.parquet`,
		check: `want $(rows x.parquet) 600 rows`},
	{class: "weird", name: "JSONL with CRLF", script: `sed 's/$/\r/' $F/corpus.jsonl > c.jsonl; R cat -i c.jsonl -o x.jsonl`,
		check: `want $(rows x.jsonl) 600 rows; want $(grep -c $'\r' x.jsonl) 0 "lines with CR"`},
	{class: "weird", name: "escaped NUL in text", script: `printf '{"text":"a\\u0000b"}\n{"text":"hello there"}\n' > n.jsonl; R cat -i n.jsonl -o x.parquet`,
		check: `want $(rows x.parquet) 2 rows`},
	{class: "weird", name: "invalid UTF-8 text", script: `texts 100 t.jsonl; printf '{"text":"bad \xff\xfe bytes here"}\n' >> t.jsonl; R partition -i t.jsonl --k 3 -o ds/`,
		check: `"$BIN" verify ds 2>&1 | grep -q "101 rows in shards, 0 rejected" || { "$BIN" verify ds; exit 1; }`},
	{class: "weird", name: "a 5 MB document", script: `python3 -c "import json; print(json.dumps({'text': 'word ' * 1000000}))" > t.jsonl; texts 100 t.jsonl; R partition -i t.jsonl --k 3 -o ds/`,
		check: `"$BIN" verify ds 2>&1 | grep -q "101 rows in shards" || { "$BIN" verify ds; exit 1; }`},
	{class: "weird", name: "null text is rejected, not dropped", script: `(head -50 $F/corpus.jsonl; echo '{"doc_id":"n1","text":null,"label":"x"}') > t.jsonl; R partition -i t.jsonl --k 3 -o ds/`,
		check: `"$BIN" verify ds 2>&1 | grep -q "50 rows in shards, 1 rejected" || { "$BIN" verify ds; exit 1; }`},
	{class: "weird", name: "duplicate rows", script: `texts 100 t.jsonl; cat t.jsonl t.jsonl > d.jsonl; R partition -i d.jsonl --k 3 -o ds/`,
		check: `"$BIN" verify ds 2>&1 | grep -q "200 rows in shards" || { "$BIN" verify ds; exit 1; }`},
	{class: "weird", name: "CJK, emoji and right-to-left text", script: `texts 60 t.jsonl; for s in '日本語のテキスト です' 'مرحبا بالعالم' '🎉🎉 party 🎉'; do printf '{"text":"%s"}\n' "$s"; done >> t.jsonl; R features -i t.jsonl -o f.parquet`,
		check: `want $(rows f.parquet) 63 rows`},
	{class: "weird", name: "JSONL named .txt", script: `cp $F/corpus.jsonl c.txt; R cat -i c.txt -o x.parquet`,
		check: `want $(rows x.parquet) 600 rows`},
	{class: "weird", name: "upper-case extension", script: `cp $F/corpus.parquet C.PARQUET; R cat -i C.PARQUET -o x.jsonl`,
		check: `want $(rows x.jsonl) 600 rows`},
	{class: "weird", name: "spaces and accents in paths", script: `mkdir 'my data é'; cp $F/corpus.parquet 'my data é/c 1.parquet'; R partition -i 'my data é' --k 3 -o 'out dir/'`,
		check: `"$BIN" verify 'out dir' 2>&1 | grep -q "600 rows in shards" || exit 1`},
	{class: "weird", name: "Parquet on stdin", script: `R cat -o x.jsonl < $F/corpus.parquet`,
		check: `want $(rows x.jsonl) 600 rows`},

	// Input without usable text: exit 3 naming the file.
	{class: "no-text", name: "zero rows (JSONL)", script: `: > z.jsonl; R features -i z.jsonl -o f.arrows`,
		code: 3, stderr: `z\.jsonl: empty file`, absent: []string{"f.arrows"}},
	{class: "no-text", name: "zero rows (Parquet)", script: `R cat -i $F/corpus.parquet --limit 0 -o z.parquet; R partition -i z.parquet --k 2 -o ds/`,
		code: 3, stderr: `z\.parquet: `, absent: []string{"ds"}},
	{class: "no-text", name: "all blank", script: `for i in 1 2 3; do echo '{"text":"   "}'; done > b.jsonl; R partition -i b.jsonl --k 2 -o ds/`,
		code: 3, stderr: `b\.jsonl: column "text": 0 usable`, absent: []string{"ds"}},
	{class: "no-text", name: "one document", script: `echo '{"text":"only one"}' > o.jsonl; R partition -i o.jsonl --k 2 -o ds/`,
		code: 3, stderr: `o\.jsonl: column "text": 1 usable`, absent: []string{"ds"}},
	{class: "no-text", name: "punctuation only", script: `for i in 1 2 3 4; do echo '{"text":"!!! ... ???"}'; done > p.jsonl; R partition -i p.jsonl --k 2 -o ds/`,
		code: 3, stderr: `p\.jsonl: `, absent: []string{"ds"}},

	// Bad usage: exit 2 before anything is written.
	{class: "usage", name: "unknown command", script: `R frobnicate`, code: 2, stderr: `unknown command "frobnicate"`},
	{class: "usage", name: "unknown flag", script: `R features --frob`, code: 2, stderr: `unknown flag: --frob`},
	{class: "usage", name: "--k 0", script: `R partition -i $F/corpus.parquet --k 0 -o ds/`, code: 2, stderr: `--k must be`, absent: []string{"ds"}},
	{class: "usage", name: "--k not a number", script: `R partition -i $F/corpus.parquet --k abc -o ds/`, code: 2, stderr: `--k must be`, absent: []string{"ds"}},
	{class: "usage", name: "--seed negative", script: `R --seed -1 partition -i $F/corpus.parquet --k 3 -o ds/`, code: 2, stderr: `--seed`, absent: []string{"ds"}},
	{class: "usage", name: "NaN --lr", script: `R train -i $F/ds -o r --strategy erm --lr NaN`, code: 2, stderr: `--lr`, absent: []string{"r"}},
	{class: "usage", name: "infinite --temperature", script: `R train -i $F/ds -o r --strategy minimax --temperature Inf`, code: 2, stderr: `--temperature`, absent: []string{"r"}},
	{class: "usage", name: "--steps 10^18", script: `R train -i $F/ds -o r --strategy erm --steps 1000000000000000000`, code: 2, stderr: `--steps must be 1 to 1000000000`, absent: []string{"r"}},
	{class: "usage", name: "unknown strategy", script: `R train -i $F/ds -o r --strategy best`, code: 2, stderr: `strategy "best"`, absent: []string{"r"}},
	{class: "usage", name: "doremi without reference", script: `R train -i $F/ds -o r --strategy doremi`, code: 2, stderr: `--reference`, absent: []string{"r"}},
	{class: "usage", name: "--resume with --overwrite", script: `R train -i $F/ds -o r --strategy erm --resume --overwrite`, code: 2, stderr: `exclude each other`, absent: []string{"r"}},
	{class: "usage", name: "duplicate --columns", script: `R cat -i $F/corpus.parquet --columns text,text -o x.parquet`, code: 2, stderr: `names "text" twice`, absent: []string{"x.parquet"}},
	{class: "usage", name: "negative --limit", script: `R cat -i $F/corpus.parquet --limit -5 -o x.parquet`, code: 2, stderr: `--limit`, absent: []string{"x.parquet"}},
	{class: "usage", name: "--model with another --k", script: `R partition -i $F/corpus.parquet --model $F/part.json --features-model $F/feats.model --k 5 -o ds/`, code: 2, stderr: `has K = 3`, absent: []string{"ds"}},
	{class: "usage", name: "--model with another --dim", script: `R partition -i $F/corpus.parquet --model $F/part.json --features-model $F/feats.model --dim 32 -o ds/`, code: 2, stderr: `fitted on 16 semantic dimensions`, absent: []string{"ds"}},
	{class: "usage", name: "--model on raw text without its features model", script: `R partition -i $F/corpus.parquet --model $F/part.json -o ds/`, code: 2, stderr: `give --features-model`, absent: []string{"ds"}},
	{class: "usage", name: "shard without -o", script: `R shard -i $F/corpus.parquet`, code: 2, stderr: `-o DIR is missing`},
	{class: "usage", name: "unknown output format", script: `R cat -i $F/corpus.parquet -o x.csv`, code: 2, stderr: `unknown output format`, absent: []string{"x.csv"}},
	{class: "usage", name: "eval without --shards", script: `R eval $F/run`, code: 2, stderr: `--shards`},
	{class: "usage", name: "report with two folders", script: `R report $F/ds $F/ds`, code: 2, stderr: `report takes one DIR`},
	{class: "usage", name: "train over a finished run", script: `cp -r $F/run r; sha256sum r/* > before; R train -i $F/ds -o r --strategy erm --steps 5`,
		code: 2, stderr: `holds a finished run`, check: `sha256sum -c --quiet before`},

	// Path tricks: an output never replaces or lands inside an input.
	{class: "path", name: "-o is the input", script: `cp $F/corpus.parquet c.parquet; R cat -i c.parquet -o c.parquet`,
		code: 2, stderr: `c\.parquet is also the input`, check: `same c.parquet $F/corpus.parquet`},
	{class: "path", name: "-o is a symlink to the input", script: `cp $F/corpus.parquet c.parquet; ln -s c.parquet l.parquet; R features -i c.parquet -o l.parquet`,
		code: 2, stderr: `is also the input`, check: `same c.parquet $F/corpus.parquet`},
	{class: "path", name: "-o spells the input another way", script: `mkdir a; cp $F/corpus.parquet c.parquet; R cat -i c.parquet -o ./a/../c.parquet`,
		code: 2, stderr: `is also the input`, check: `same c.parquet $F/corpus.parquet`},
	{class: "path", name: "--model-out is the input", script: `cp $F/corpus.parquet c.parquet; R features -i c.parquet -o f.arrows --model-out c.parquet`,
		code: 2, stderr: `is also the input`, absent: []string{"f.arrows"}, check: `same c.parquet $F/corpus.parquet`},
	{class: "path", name: "-o inside the input folder", script: `mkdir c; cp $F/corpus.parquet c/; R cat -i c -o c/all.parquet`,
		code: 2, stderr: `inside the input folder c`, absent: []string{"c/all.parquet"}},
	{class: "path", name: "-o is the input dataset (--overwrite)", script: `cp -r $F/ds ds; R partition -i ds --k 3 --overwrite -o ds/`,
		code: 2, stderr: `is also the input`, check: `"$BIN" verify ds >/dev/null 2>&1 || { echo "the input dataset was changed" >&2; exit 1; }`},
	{class: "path", name: "shard over its input dataset", script: `cp -r $F/ds ds; R shard -i ds --overwrite -o ds/`,
		code: 2, stderr: `is also the input`, check: `"$BIN" verify ds >/dev/null 2>&1 || exit 1`},
	{class: "path", name: "train into the dataset", script: `cp -r $F/ds ds; R train -i ds -o ds --strategy erm --steps 5`,
		code: 2, stderr: `is also the input`, check: `"$BIN" verify ds >/dev/null 2>&1 || exit 1`},
	{class: "path", name: "train inside the dataset", script: `cp -r $F/ds ds; R train -i ds -o ds/run --strategy erm --steps 5`,
		code: 2, stderr: `inside the input folder`, absent: []string{"ds/run"}},
	{class: "path", name: "report over the manifest", script: `cp -r $F/ds ds; R report ds -o ds/manifest.json`,
		code: 2, stderr: `is also the input`, check: `same ds/manifest.json $F/ds/manifest.json`},
	{class: "path", name: "mix blend list over the manifest", script: `cp -r $F/ds ds; R mix --shards ds --blend ds/manifest.json $F/run`,
		code: 2, stderr: `inside the input folder ds`, check: `same ds/manifest.json $F/ds/manifest.json`},
	{class: "path", name: "mix dataset inside the shards", script: `cp -r $F/ds ds; R mix --shards ds -o ds/mix/ --rows 100 $F/run`,
		code: 2, stderr: `inside the input folder ds`, absent: []string{"ds/mix"}},
	{class: "path", name: "file output onto a folder", script: `mkdir x.parquet; R cat -i $F/corpus.parquet -o x.parquet`,
		code: 2, stderr: `x\.parquet is a folder`},
	{class: "path", name: "dataset output over a file", script: `cp $F/corpus.jsonl c.jsonl; R partition -i $F/corpus.parquet --k 3 -o c.jsonl/`,
		code: 2, check: `same c.jsonl $F/corpus.jsonl`},
	{class: "path", name: "run into a foreign folder", script: `mkdir out; echo mine > out/notes.txt; printf 'output: out\ninputs:\n  paths: [%s/corpus.parquet]\npartition: {k: 3}\n' $F > c.yaml; R run c.yaml`,
		code: 2, check: `want "$(ls -A out)" notes.txt "files in the foreign folder"`},
	{class: "path", name: "output folder missing", script: `R cat -i $F/corpus.parquet -o no/dir/x.parquet`,
		code: 1, stderr: `the folder no/dir does not exist`, absent: []string{"no"}},
	{class: "path", name: "look-alike names survive a run", script: `mkdir -p out/photos.old-2020; echo keep > out/photos.old-2020/p.jpg; echo keep > out/notes.tmp-keep.txt; R partition -i $F/corpus.parquet --k 3 -o out/ds/`,
		check: `want "$(cat out/photos.old-2020/p.jpg out/notes.tmp-keep.txt | tr '\n' ' ')" "keep keep " "look-alike files"`},

	// Tampered datasets: exit 3 naming the file, never a hang.
	{class: "tampered", name: "shard deleted", script: `cp -r $F/ds ds; rm ds/task=000/part-00000.parquet; R train -i ds -o r --strategy erm --steps 5`,
		code: 3, stderr: `ds/task=000/part-00000\.parquet: no such file`},
	{class: "tampered", name: "shard truncated", script: `cp -r $F/ds ds; truncate -s 100 ds/task=000/part-00000.parquet; R eval --shards ds $F/run`,
		code: 3, stderr: `corrupted shard`},
	{class: "tampered", name: "shard is a symlink to /dev/zero", script: `cp -r $F/ds ds; ln -sf /dev/zero ds/task=000/part-00000.parquet; R report ds -o r.html`,
		code: 3, stderr: `not a regular file`, absent: []string{"r.html"}},
	{class: "tampered", name: "shard is a FIFO", script: `cp -r $F/ds ds; rm ds/task=000/part-00000.parquet; mkfifo ds/task=000/part-00000.parquet; R train -i ds -o r --strategy erm --steps 5`,
		code: 3, stderr: `not a regular file`},
	{class: "tampered", name: "manifest is a FIFO", script: `cp -r $F/ds ds; rm ds/manifest.json; mkfifo ds/manifest.json; R report ds -o r.html`,
		code: 3, stderr: `ds/manifest\.json: not a regular file`, absent: []string{"r.html"}},
	{class: "tampered", name: "manifest row count edited", script: `cp -r $F/ds ds; sed -i 's/"total_rows": 600/"total_rows": 601/' ds/manifest.json; R verify ds`,
		code: 3, stderr: `ds/manifest\.json: total_rows 601`},
	{class: "tampered", name: "manifest not JSON", script: `cp -r $F/ds ds; echo '{' > ds/manifest.json; R train -i ds -o r --strategy erm --steps 5`,
		code: 3, stderr: `ds/manifest\.json: not a valid manifest`},
	{class: "tampered", name: "manifest path leaves the dataset", script: `cp -r $F/ds ds; sed -i 's#task=000/part-00000.parquet#../../etc/passwd#' ds/manifest.json; R verify ds`,
		code: 3, stderr: `leaves the dataset folder`},
	{class: "tampered", name: "shards swapped", script: `cp -r $F/ds ds; cp ds/task=001/part-00000.parquet ds/task=000/part-00000.parquet; R verify ds`,
		code: 3, stderr: `ds: \d+ problems?, first: task=000/part-00000\.parquet`},
	{class: "tampered", name: "extra file", script: `cp -r $F/ds ds; cp ds/task=001/part-00000.parquet ds/task=000/extra.parquet; R verify ds`,
		code: 3, stderr: `extra\.parquet: not listed in the manifest`},
	{class: "tampered", name: "manifest missing", script: `cp -r $F/ds ds; rm ds/manifest.json; R train -i ds -o r --strategy erm --steps 5`,
		code: 3, stderr: `ds/manifest\.json: no such file`},
	{class: "tampered", name: "run evaluated on another partition", script: `R partition -i $F/corpus.parquet --k 4 ` + advSmall + ` --keep-features -o ds4/; R eval --shards ds4 $F/run`,
		code: 3, stderr: `has 4 tasks; run .* was trained on 3`},

	// Pipes.
	{class: "pipe", name: "features | partition | shard", script: `R features -i $F/corpus.parquet ` + advSmall + ` | R partition --k 3 | R shard -o ds/`,
		check: `"$BIN" verify ds 2>&1 | grep -q "600 rows in shards, 0 rejected" || exit 1`},
	{class: "pipe", name: "upstream fails: downstream fails, writes nothing", script: `head -c 3000 $F/corpus.parquet > t.parquet; R features -i t.parquet | R partition --k 3 -o ds/; exit ${PIPESTATUS[1]}`,
		code: 3, anyStderr: true, absent: []string{"ds"}},
	{class: "pipe", name: "stream cut: no silent row loss", script: `head -c 20000 $F/tasks.arrows | R shard -o ds/`,
		code: 3, stderr: `stdin: `, absent: []string{"ds"}},
	{class: "pipe", name: "reader closes the pipe early", script: `R cat -i $F/corpus.parquet -o - | head -c 10 > /dev/null; exit ${PIPESTATUS[0]}`,
		code: 141},
	{class: "pipe", name: "FIFO input read twice", script: `mkfifo ff; (cat $F/corpus.jsonl > ff &); timeout 60 "$BIN" -q features -i ff ` + advSmall + ` -o f.parquet`,
		check: `want $(rows f.parquet) 600 rows`},
	{class: "pipe", name: "process substitution", script: `R partition -i <(cat $F/corpus.jsonl) --k 3 ` + advSmall + ` -o ds/`,
		check: `"$BIN" verify ds 2>&1 | grep -q "600 rows in shards" || exit 1`},

	// Full disk.
	{class: "disk", name: "file size limit", script: `ulimit -f 50; R cat -i $F/corpus.parquet -o x.jsonl`,
		code: 1, stderr: `x\.jsonl: file too large`, absent: []string{"x.jsonl"}},
	{class: "disk", name: "file size limit on a dataset", script: `ulimit -f 100; R partition -i $F/big.parquet --k 4 ` + advSmall + ` --features-sample 2000 -o ds/`,
		code: 1, stderr: `file too large`, absent: []string{"ds"}},
	{class: "disk", name: "standard output full", script: `R cat -i $F/corpus.parquet -o - > /dev/full`,
		code: 1, stderr: `standard output: .*no space left`},

	// Signals.
	{class: "signal", name: "Ctrl-C during partition", script: `"$BIN" -q partition -i $F/big.parquet --k 4 ` + advSmall + ` --features-sample 2000 -o ds/ & p=$!; waitstaging; kill -INT $p; wait $p`,
		code: 130, stderr: `interrupted`, absent: []string{"ds"}},
	{class: "signal", name: "SIGTERM during features", script: `"$BIN" -q features -i $F/big.parquet ` + advSmall + ` --sample 2000 -o f.parquet & p=$!; waitstaging; kill -TERM $p; wait $p`,
		code: 130, stderr: `interrupted`, absent: []string{"f.parquet"}},
	{class: "signal", name: "Ctrl-C during shard", script: `"$BIN" -q shard -i $F/big-tasks.parquet -o ds/ & p=$!; waitstaging; kill -INT $p; wait $p`,
		code: 130, stderr: `interrupted`, absent: []string{"ds"}},
}

// TestAdversarial runs the battery of hostile cases (advCases) with the
// real binary: each case's exit status and one-line message, that no
// output appears under its final name after a failure, that no staging
// name is left anywhere (the case folder and its TMPDIR), that no case
// hangs, and the case's own check. Then it kills partition with SIGKILL at
// random points and checks that the rerun's dataset equals an
// uninterrupted run's byte for byte, manifest included.
func TestAdversarial(t *testing.T) {
	longtest.Skip(t, "runs the real binary through the adversarial battery")
	bin := binary(t)
	fix := t.TempDir()
	if out, err := advBash(context.Background(), bin, fix, fix, advFixtures); err != nil {
		t.Fatalf("building the fixtures: %v\n%s", err, out)
	}
	names := map[string]bool{}
	for _, c := range advCases {
		id := c.class + "/" + c.name
		if names[id] {
			t.Fatalf("case %s twice", id)
		}
		names[id] = true
		t.Run(id, func(t *testing.T) { runAdvCase(t, bin, fix, c) })
	}
	t.Run("kill/SIGKILL at random points, rerun equals an uninterrupted run", func(t *testing.T) {
		advKillAtRandom(t, bin, fix)
	})
}

// advBash runs script (after the prelude) with bash in dir.
func advBash(ctx context.Context, bin, fixtures, dir, script string) ([]byte, error) {
	tmp := filepath.Join(dir, ".tmp")
	os.MkdirAll(tmp, 0o755)
	cmd := exec.CommandContext(ctx, "bash", "-c", advPrelude+script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "BIN="+bin, "F="+fixtures, "TMPDIR="+tmp)
	cmd.WaitDelay = time.Second
	return cmd.CombinedOutput()
}

func runAdvCase(t *testing.T, bin, fix string, c advCase) {
	dir := t.TempDir()
	tmp := filepath.Join(dir, ".tmp")
	os.MkdirAll(tmp, 0o755)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", advPrelude+c.script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "BIN="+bin, "F="+fix, "TMPDIR="+tmp)
	cmd.WaitDelay = time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("hung: no exit within 150 s\nstderr: %s", stderr.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running bash: %v", err)
	}
	msg := stderr.String()
	if code != c.code {
		t.Errorf("exit %d, want %d\nstderr: %s", code, c.code, msg)
	}
	if strings.Contains(msg, "panic:") || strings.Contains(msg, "goroutine ") {
		t.Errorf("panicked:\n%s", msg)
	}
	if c.stderr != "" && !regexp.MustCompile(c.stderr).MatchString(msg) {
		t.Errorf("stderr %q does not match %q", msg, c.stderr)
	}
	if code != 0 && code != 141 && !c.anyStderr {
		// One line from the tool, plus the pointer to --help on bad usage.
		var lines []string
		for _, l := range strings.Split(strings.TrimSpace(msg), "\n") {
			if !strings.HasPrefix(l, "Run 'robustdata") {
				lines = append(lines, l)
			}
		}
		if len(lines) != 1 || !strings.HasPrefix(lines[0], "robustdata: ") {
			t.Errorf("stderr is not one robustdata: line:\n%s", msg)
		}
	}
	if code == 0 && msg != "" {
		t.Errorf("exit 0 with -q printed:\n%s", msg)
	}
	for _, a := range c.absent {
		if _, err := os.Lstat(filepath.Join(dir, a)); err == nil {
			t.Errorf("%s exists after the case", a)
		}
	}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && stream.IsStagingName(d.Name()) {
			rel, _ := filepath.Rel(dir, p)
			t.Errorf("staging name left: %s", rel)
		}
		return nil
	})
	if c.check != "" {
		if out, err := advBash(context.Background(), bin, fix, dir, c.check); err != nil {
			t.Errorf("check failed: %v\n%s", err, out)
		}
	}
}

// advKillAtRandom kills partition -o DIR/ with SIGKILL at three random
// moments of its run (the seed is logged, so a failure can be replayed
// with ROBUSTDATA_ADV_SEED), reruns it each time, and compares every
// file of the dataset, manifest included, with an uninterrupted run's.
func advKillAtRandom(t *testing.T, bin, fix string) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("ROBUSTDATA_ADV_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	t.Logf("kill points drawn with ROBUSTDATA_ADV_SEED=%d", seed)
	rng := rand.New(rand.NewPCG(seed, 13))
	dir := t.TempDir()
	args := "partition -i $F/big.parquet --k 4 " + advSmall + " --features-sample 2000 -o "
	start := time.Now()
	if out, err := advBash(context.Background(), bin, fix, dir, "R "+args+"ref/"); err != nil {
		t.Fatalf("reference run: %v\n%s", err, out)
	}
	took := time.Since(start)
	ref := datasetFiles(t, filepath.Join(dir, "ref"))
	for i := 0; i < 3; i++ {
		at := time.Duration(rng.Float64() * 0.9 * float64(took))
		out := fmt.Sprintf("k%d/", i)
		// The rerun gets --overwrite: a kill late in the run may find the
		// dataset already published.
		script := fmt.Sprintf(`"$BIN" -q %s%s & p=$!; sleep %.3f; kill -KILL $p 2>/dev/null; wait $p; R %s%s --overwrite`, args, out, at.Seconds(), args, out)
		if b, err := advBash(context.Background(), bin, fix, dir, script); err != nil {
			t.Fatalf("kill at %v, rerun: %v\n%s", at, err, b)
		}
		sameDataset(t, ref, datasetFiles(t, filepath.Join(dir, out)), fmt.Sprintf("killed at %v of %v, rerun", at.Round(time.Millisecond), took.Round(time.Millisecond)))
	}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && stream.IsStagingName(d.Name()) {
			t.Errorf("staging name left: %s", p)
		}
		return nil
	})
}
