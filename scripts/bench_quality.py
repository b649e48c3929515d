#!/usr/bin/env python3
"""Partition quality: robustdata against scikit-learn on labelled corpora.

Run by scripts/bench-quality.sh (`make bench-quality`), which installs
python3-sklearn and builds robustdata first:

    python3 scripts/bench_quality.py BIN WORKDIR [--seeds 1,2,3] [--only NAME,...]

For every corpus and seed it runs `robustdata partition` with its defaults
(K = number of labels, --label-col label; NMI and ARI read from its log)
and the scikit-learn peers on the same texts: TfidfVectorizer(
sublinear_tf=True, stop_words="english", min_df=2, max_df=0.5) with
unigrams or uni+bigrams, then KMeans(n_init=3) directly or after
TruncatedSVD(100 or 128) -> Normalizer (the LSA pipeline). Wall times
include reading, vectorising and clustering (robustdata: the whole
command). Prints one Markdown table: per corpus and method NMI and ARI
mean ± sd over the seeds, wall time and docs/s; then, per corpus,
robustdata's margin over the best scikit-learn variant.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

CORPORA = [
    # name, file, kind (text or pixels)
    ("fortunes", "examples/data/fortunes.parquet", "text"),
    ("appstream", "examples/data/appstream.parquet", "text"),
    ("manpages", "examples/data/manpages.parquet", "text"),
    ("pylib", "examples/data/pylib.parquet", "text"),
    ("fashion-mnist", "examples/data/fashion-mnist-test.parquet", "pixels"),
    ("synth-20k", None, "text"),
]

SK_TEXT = [
    ("sklearn tfidf(1,1)+KMeans", (1, 1), None),
    ("sklearn tfidf(1,2)+KMeans", (1, 2), None),
    ("sklearn tfidf(1,1)+LSA100", (1, 1), 100),
    ("sklearn tfidf(1,2)+LSA128", (1, 2), 128),
]
SK_PIXELS = [
    ("sklearn pixels+KMeans", None, None),
    ("sklearn pixels+SVD100+norm", None, 100),
]


def load_jsonl(binary, path, cols, work):
    out = os.path.join(work, os.path.basename(path) + ".jsonl")
    if not os.path.exists(out):
        subprocess.run([binary, "-q", "cat", "-i", path, "--columns", ",".join(cols), "-o", out], check=True)
    with open(out, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def run_robustdata(binary, path, k, seed, extra, work):
    out = os.path.join(work, "rd-out.arrows")
    rep = os.path.join(work, "rd-report.md")
    cmd = [binary, "--log-format", "json", "--seed", str(seed), "partition", "-i", path, "--k", str(k),
           "--label-col", "label", "-o", out, "--report", rep] + extra
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit(f"bench-quality: {' '.join(cmd)}: exit {p.returncode}\n{p.stderr}")
    for line in p.stderr.splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if rec.get("msg") == "partition: wrote report" and "nmi" in rec:
            return rec["nmi"], rec["ari"], wall
    sys.exit(f"bench-quality: no NMI in the log of {' '.join(cmd)}")


def run_sklearn(texts_or_x, labels, k, seed, ngram, svd):
    from sklearn.cluster import KMeans
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import Normalizer

    t = time.perf_counter()
    if ngram is not None:
        x = TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=2, max_df=0.5,
                            ngram_range=ngram).fit_transform(texts_or_x)
    else:
        x = texts_or_x
    if svd:
        x = make_pipeline(TruncatedSVD(n_components=svd, random_state=seed), Normalizer(copy=False)).fit_transform(x)
    pred = KMeans(n_clusters=k, n_init=3, random_state=seed).fit_predict(x)
    wall = time.perf_counter() - t
    return normalized_mutual_info_score(labels, pred), adjusted_rand_score(labels, pred), wall


def ms(v):
    m = statistics.mean(v)
    sd = statistics.stdev(v) if len(v) > 1 else 0.0
    return m, sd


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("work")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--only", default="")
    ap.add_argument("--json", default="", help="also write the raw results to this file")
    ap.add_argument("--peers-from", default="", help="take the scikit-learn runs from an earlier --json file instead of rerunning them")
    ap.add_argument("--table-from", default="", help="only print the tables of an earlier --json file")
    a = ap.parse_args()
    if a.table_from:
        with open(a.table_from) as f:
            print_tables(json.load(f))
        return
    seeds = [int(s) for s in a.seeds.split(",")]
    only = set(filter(None, a.only.split(",")))
    os.makedirs(a.work, exist_ok=True)
    results = {}
    old = {}
    if a.peers_from:
        with open(a.peers_from) as f:
            old = json.load(f)
    for name, path, kind in CORPORA:
        if only and name not in only:
            continue
        if path is None:
            path = os.path.join(a.work, "synth-20k.parquet")
            if not os.path.exists(path):
                subprocess.run([a.binary, "-q", "--seed", "1", "synth", "--docs", "20000", "--tasks", "8",
                                "--overlap", "0.6", "-o", path], check=True)
        if kind == "text":
            recs = load_jsonl(a.binary, path, ["text", "label"], a.work)
            data = [r["text"] for r in recs]
            extra, peers = [], SK_TEXT
        else:
            import numpy as np
            recs = load_jsonl(a.binary, path, ["pixels", "label"], a.work)
            data = np.array([r["pixels"] for r in recs], dtype=np.float32)
            extra, peers = ["--semantic", "column=pixels"], SK_PIXELS
        labels = [r["label"] for r in recs]
        k = len(set(labels))
        n = len(labels)
        res = {}
        out = [run_robustdata(a.binary, path, k, s, extra, a.work) for s in seeds]
        res["robustdata"] = out
        for label, ngram, svd in peers:
            if name in old and label in old[name]["runs"]:
                res[label] = old[name]["runs"][label]
                continue
            res[label] = [run_sklearn(data, labels, k, s, ngram, svd) for s in seeds]
        results[name] = {"n": n, "k": k, "runs": res}
        print(f"bench-quality: {name} done", file=sys.stderr, flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)
    print_tables(results)


def print_tables(results):
    """Prints the per-method table and the margins table of results."""
    rows = []
    for name, r in results.items():
        for method, runs in r["runs"].items():
            nmi, ari, wall = zip(*runs)
            rows.append((name, r["n"], r["k"], method, ms(nmi), ms(ari), ms(wall)))
    print("| corpus | docs | K | method | NMI | ARI | wall s | docs/s |")
    print("|---|---:|---:|---|---|---|---:|---:|")
    for name, n, k, method, nmi, ari, wall in rows:
        print(f"| {name} | {n} | {k} | {method} | {nmi[0]:.3f} ± {nmi[1]:.3f} | {ari[0]:.3f} ± {ari[1]:.3f} "
              f"| {wall[0]:.2f} ± {wall[1]:.2f} | {n / wall[0]:,.0f} |")
    print()
    print("| corpus | robustdata NMI | best scikit-learn | its NMI | margin | wall-time ratio (sklearn LSA / robustdata) |")
    print("|---|---|---|---|---:|---:|")
    for name, r in results.items():
        rd = ms([x[0] for x in r["runs"]["robustdata"]])
        peers = {m: ms([x[0] for x in v]) for m, v in r["runs"].items() if m != "robustdata"}
        best = max(peers, key=lambda m: peers[m][0])
        lsa = [m for m in r["runs"] if "LSA" in m or "SVD" in m]
        ratio = max(ms([x[2] for x in r["runs"][m]])[0] for m in lsa) / ms([x[2] for x in r["runs"]["robustdata"]])[0]
        print(f"| {name} | {rd[0]:.3f} ± {rd[1]:.3f} | {best} | {peers[best][0]:.3f} ± {peers[best][1]:.3f} "
              f"| {rd[0] - peers[best][0]:+.3f} | {ratio:.1f}× |")


if __name__ == "__main__":
    main()
