#!/usr/bin/env bash
# The effect study of issue 19: does minimax lower the worst task's loss,
# beyond the seed noise? Not part of `make test` (make effect-study).
#
# On two real corpora built offline from the shipped data — fortunes
# (examples/data/fortunes.parquet, 15,217 short texts) and manpages cut
# into paragraphs (examples/data/manpages.parquet, 1,099 pages → about
# 15,000 paragraphs of 200–1,200 bytes) — it partitions with K = 8, then
# for seeds 1..3:
#
#   erm      trained with early stopping (the default rule: a validation
#            every EVAL_EVERY steps, PATIENCE without improvement), which
#            fixes the run length N of that corpus and seed;
#   uniform, group-dro, minimax, doremi (reference: that erm run)
#            trained exactly N steps (--patience 0): equal steps and seeds.
#
# and a per-task reference for the excess loss (DoReMi's measure): for
# every task k, a model trained on task k alone (a one-task dataset of its
# rows, the same held-out rows), seed 1, early-stopped. Excess loss of a
# run on task k = its validation loss on k − the reference's.
#
# Every run is then probed downstream (robustdata eval --downstream: a
# linear probe on the frozen representation, accuracy on 20% held out) on
# labelled sets that need different features: the fortunes' file (topic),
# the man pages' section and the AppStream categories; the worst of the
# three is the worst downstream metric (DOWNSTREAM=0 skips the probes).
#
# It prints, per corpus and strategy, worst-task and mean validation loss,
# worst-task excess loss, worst and mean probe accuracy, mean ± sd over
# the seeds, and the largest time-averaged task weight (how far the
# strategy moved the mixture); then for every run name against its
# baseline (erm; for a variant NAME-SUFFIX, erm-SUFFIX when that is also a
# run) the gain and whether it exceeds 2 sd (the larger of the two runs'
# sd over the seeds), the mean's relative change, and the worst-excess
# relative change. Everything is written under OUT (default
# out/effect-study); a second call reuses finished runs and probes.
#
#   scripts/effect-study.sh                    # both corpora, seeds 1-3
#   CORPORA=fortunes SEEDS="1 2" scripts/effect-study.sh
#   EXTRA="--temperature 0.3" OUT=out/es-mu03 scripts/effect-study.sh   # a knob for all
#   VARIANTS="minimax-mu0.3=minimax:--temperature,0.3" scripts/effect-study.sh
#   STRATEGIES="erm minimax" VARIANTS="erm-h256=erm:--hidden,256 minimax-h256=minimax:--hidden,256" \
#       OUT=out/es-size scripts/effect-study.sh   # a knob that erm needs too
#
# VARIANTS adds runs beside the five strategies, at the same steps and
# seeds, reusing the finished ones: NAME=STRATEGY:FLAGS, the flags
# separated by commas; @REF in them stands for the per-task references as
# one reference run (ref/per-task: task k's loss is its reference's), so
# "minimax-excess=minimax:--reference,@REF" weighs the excess losses.
#
# About 40 minutes on 2 shared cores with the probes (the man pages run to
# the 800-step cap); each variant adds about 6 runs of a minute or two.
set -euo pipefail
cd "$(dirname "$0")/.."
rd=${ROBUSTDATA:-bin/robustdata}
[ -x "$rd" ] || go build -o "$rd" ./cmd/robustdata
rd=$(cd "$(dirname "$rd")" && pwd)/$(basename "$rd")
OUT=${OUT:-out/effect-study}
CORPORA=${CORPORA:-fortunes manpages-para}
SEEDS=${SEEDS:-1 2 3}
K=${K:-8}
VOCAB=${VOCAB:-4096}
MAX_STEPS=${MAX_STEPS:-800}
EVAL_EVERY=${EVAL_EVERY:-50}
PATIENCE=${PATIENCE:-3}
PER_TASK=${PER_TASK:-32}
EXTRA=${EXTRA:-}         # more train flags for every strategy run (a knob)
VARIANTS=${VARIANTS:-}   # NAME=STRATEGY:FLAG,VALUE,... runs beside the strategies
STRATEGIES=${STRATEGIES:-erm uniform group-dro doremi minimax} # erm first: it fixes the steps
DOWNSTREAM=${DOWNSTREAM:-1}
data=$PWD/examples/data
probes=(--downstream "fortunes=$data/fortunes.parquet:label" --downstream "manpages=$data/manpages.parquet:label"
	--downstream "appstream=$data/appstream.parquet:label")
NAMES=$STRATEGIES
for v in $VARIANTS; do NAMES="$NAMES ${v%%=*}"; done
mkdir -p "$OUT"
common=(--objective masked-token --vocab "$VOCAB" --per-task-batch "$PER_TASK" --eval-every "$EVAL_EVERY")

corpus_file() { # the corpus Parquet/JSONL of a name, built when needed
	case $1 in
	fortunes) echo examples/data/fortunes.parquet ;;
	manpages-para)
		local f=$OUT/manpages-para.jsonl
		if [ ! -s "$f" ]; then
			"$rd" -q cat -i examples/data/manpages.parquet -o "$OUT/manpages.jsonl"
			python3 - "$OUT/manpages.jsonl" >"$f.tmp" <<'PY'
import json, re, sys
# Cut every page into paragraphs (blank-line separated), merged until at
# least 200 bytes and cut at 1,200; id "page.section#n".
for line in open(sys.argv[1]):
    r = json.loads(line)
    paras = [p.strip() for p in re.split(r"\n\s*\n", r["text"] or "") if p.strip()]
    buf, n = "", 0
    for p in paras:
        buf = (buf + "\n\n" + p) if buf else p
        if len(buf) >= 200:
            print(json.dumps({"text": buf[:1200], "label": r["label"], "id": "%s#%d" % (r["id"], n)}))
            buf, n = "", n + 1
    if buf:
        print(json.dumps({"text": buf[:1200], "label": r["label"], "id": "%s#%d" % (r["id"], n)}))
PY
			mv "$f.tmp" "$f"
		fi
		echo "$f"
		;;
	*) echo "unknown corpus $1" >&2; exit 2 ;;
	esac
}

train() { # RUNDIR args...: train unless the run is finished
	local dir=$1
	shift
	[ -s "$dir/eval.json" ] && return 0
	"$rd" -q train -o "$dir" --overwrite "$@"
}

steps_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["steps"])' "$1/eval.json"; }

for c in $CORPORA; do
	cdir=$OUT/$c
	mkdir -p "$cdir"
	src=$(corpus_file "$c")
	if [ ! -s "$cdir/ds/manifest.json" ]; then
		echo "== $c: partition K=$K" >&2
		"$rd" -q partition -i "$src" --k "$K" -o "$cdir/ds/"
	fi
	# Per-task references: task k's rows as a one-task dataset.
	for ((k = 0; k < K; k++)); do
		t=$(printf 'task=%03d' "$k")
		ref=$cdir/ref/$t
		if [ ! -s "$ref/ds/manifest.json" ]; then
			mkdir -p "$ref"
			"$rd" -q cat -i "$cdir/ds/$t/" -o "$ref/rows.jsonl"
			python3 -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line); r["task"] = 0; print(json.dumps(r))' "$ref/rows.jsonl" >"$ref/one.jsonl"
			"$rd" -q shard -i "$ref/one.jsonl" --tasks 1 -o "$ref/ds/"
		fi
		echo "== $c: reference $t" >&2
		train "$ref/run" -i "$ref/ds" --strategy erm --seed 1 "${common[@]}" --steps "$MAX_STEPS" --patience "$PATIENCE" $EXTRA
	done
	# The K references as one reference run (its model.json: task 0's).
	if [ ! -s "$cdir/ref/per-task/eval.json" ]; then
		mkdir -p "$cdir/ref/per-task"
		cp "$cdir/ref/task=000/run/model.json" "$cdir/ref/per-task/"
		python3 - "$cdir/ref" "$K" >"$cdir/ref/per-task/eval.json" <<'PY'
import json, os, sys
d, K = sys.argv[1], int(sys.argv[2])
tasks = []
for k in range(K):
    t = json.load(open(os.path.join(d, "task=%03d" % k, "run", "eval.json")))["tasks"][0]
    tasks.append({"task": k, "rows": t["rows"], "loss": t["loss"]})
losses = [t["loss"] for t in tasks]
print(json.dumps({"tasks": tasks, "mean": sum(losses) / K, "worst": max(losses), "worst_task": losses.index(max(losses))}, indent=2))
PY
	fi
	for s in $SEEDS; do
		echo "== $c: seed $s erm (early stopping)" >&2
		train "$cdir/s$s/erm" -i "$cdir/ds" --strategy erm --seed "$s" "${common[@]}" --steps "$MAX_STEPS" --patience "$PATIENCE" $EXTRA
		n=$(steps_of "$cdir/s$s/erm")
		for st in $STRATEGIES; do
			[ "$st" = erm ] && continue
			echo "== $c: seed $s $st ($n steps)" >&2
			ref=()
			[ "$st" = doremi ] && ref=(--reference "$cdir/s$s/erm")
			train "$cdir/s$s/$st" -i "$cdir/ds" --strategy "$st" --seed "$s" "${common[@]}" --steps "$n" --patience 0 "${ref[@]}" $EXTRA
		done
		for v in $VARIANTS; do
			name=${v%%=*} rest=${v#*=}
			st=${rest%%:*} flags=${rest#*:}
			echo "== $c: seed $s $name ($n steps)" >&2
			ref=()
			[ "$st" = doremi ] && ref=(--reference "$cdir/s$s/erm")
			flags=${flags//@REF/$cdir/ref/per-task}
			train "$cdir/s$s/$name" -i "$cdir/ds" --strategy "$st" --seed "$s" "${common[@]}" --steps "$n" --patience 0 "${ref[@]}" $EXTRA ${flags//,/ }
		done
		if [ "$DOWNSTREAM" = 1 ]; then
			for name in $NAMES; do
				d=$cdir/s$s/$name
				[ -s "$d/downstream.json" ] && continue
				echo "== $c: seed $s $name probes" >&2
				"$rd" -q eval --json --shards "$cdir/ds" "${probes[@]}" "$d" >"$d/downstream.json.tmp"
				mv "$d/downstream.json.tmp" "$d/downstream.json"
			done
		fi
	done
done

python3 - "$OUT" "$K" "$SEEDS" "$NAMES" $CORPORA <<'PY' | tee "$OUT/results.md"
import json, os, statistics as st, sys
out, K, seeds, strategies, corpora = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(), sys.argv[4].split(), sys.argv[5:]
def load(p): return json.load(open(p))
def msd(xs): return (st.mean(xs), st.stdev(xs) if len(xs) > 1 else 0.0)
def fmt(xs): m, s = msd(xs); return "%.4f ± %.4f" % (m, s) if xs else "–"
def probes(d):
    p = os.path.join(d, "downstream.json")
    if not os.path.exists(p): return None
    ev = list(load(p).values())[0]
    acc = [x["accuracy"] for x in ev.get("downstream", [])]
    return (min(acc), sum(acc) / len(acc)) if acc else None
def baseline(name, names):
    # A variant NAME-SUFFIX of a strategy is compared with erm-SUFFIX when
    # that is a run too (a knob erm needs as well), otherwise with erm.
    if "-" in name and not name.startswith("erm"):
        for i in range(len(name)):
            if name[i] == "-" and "erm" + name[i:] in names: return "erm" + name[i:]
    return "erm"
for c in corpora:
    ref = [load(os.path.join(out, c, "ref", "task=%03d" % k, "run", "eval.json"))["tasks"][0]["loss"] for k in range(K)]
    rows = {}
    for strat in strategies:
        worst, mean, wex, steps, pw, pm, wmax = [], [], [], [], [], [], []
        for s in seeds:
            d = os.path.join(out, c, "s" + s, strat)
            ev = load(os.path.join(d, "eval.json"))
            losses = [t["loss"] for t in ev["tasks"]]
            worst.append(max(losses)); mean.append(sum(losses) / len(losses))
            wex.append(max(l - r for l, r in zip(losses, ref))); steps.append(ev.get("steps", 0))
            avg = load(os.path.join(d, "weights.json"))["average"]
            wmax.append(max(avg))
            p = probes(d)
            if p: pw.append(p[0]); pm.append(p[1])
        rows[strat] = (worst, mean, wex, steps, pw, pm, wmax)
    print("\n### %s (K = %d, seeds %s; reference per-task losses %s)\n" % (c, K, " ".join(seeds), " ".join("%.3f" % r for r in ref)))
    print("| run | steps | worst-task val loss | mean val loss | worst-task excess loss | worst probe acc. | mean probe acc. | largest avg. weight |")
    print("|---|---|---|---|---|---|---|---|")
    for strat in strategies:
        w, m, x, n, pw, pm, wm = rows[strat]
        print("| %s | %s | %s | %s | %s | %s | %s | %.3f |" % (strat, "/".join(map(str, n)), fmt(w), fmt(m), fmt(x), fmt(pw), fmt(pm), st.mean(wm)))
    print()
    for other in [s for s in strategies if s not in ("erm",)]:
        base = baseline(other, strategies)
        if base == other: continue
        for name, i, sign in (("worst-task val loss", 0, 1), ("worst-task excess", 2, 1), ("worst probe accuracy", 4, -1)):
            if not rows[base][i] or len(rows[other][i]) != len(rows[base][i]): continue
            (me, se), (mo, so) = msd(rows[base][i]), msd(rows[other][i])
            gain, sd = sign * (me - mo), max(se, so)
            rel = 100 * gain / abs(me) if me else float("nan")
            print("- %s vs %s, %s: gain %.4f (%.1f%%), 2 sd = %.4f → %s" % (other, base, name, gain, rel, 2 * sd, "**> 2 sd**" if gain > 2 * sd else "not > 2 sd"))
        (me, _), (mo, _) = msd(rows[base][1]), msd(rows[other][1])
        print("  - mean val loss %+.2f%% against %s (within 2%%: %s)" % (100 * (mo - me) / me, base, "yes" if abs(mo - me) <= 0.02 * me else "no"))
PY
