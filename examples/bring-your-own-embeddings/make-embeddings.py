#!/usr/bin/env python3
"""make-embeddings.py - embeddings of the AppStream descriptions made by another model.

robustdata can partition a corpus by embeddings that any model produced: this
script stands in for "any model" with scikit-learn (tf-idf, then a 64-dimension
TruncatedSVD), run outside robustdata, and writes JSONL with the columns
id, text, label and emb (64 floats) to stdout. Convert it to Parquet with:

  examples/bring-your-own-embeddings/make-embeddings.py examples/data/appstream.jsonl \
    | robustdata cat -i - --schema "id:string,text:string,label:string,emb:list<float32>" \
        -o examples/bring-your-own-embeddings/appstream-emb.parquet

where examples/data/appstream.jsonl is `robustdata cat -i examples/data/appstream.parquet -o -`
written as JSONL. Needs python3-sklearn (Debian); the shipped Parquet file was
made with scikit-learn 1.2.1.
"""
import json
import sys

from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer

rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
texts = [r["text"] for r in rows]
x = TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=2).fit_transform(texts)
emb = TruncatedSVD(64, random_state=0).fit_transform(x)
out = sys.stdout
for r, e in zip(rows, emb):
    out.write(json.dumps({"id": r["id"], "text": r["text"], "label": r["label"],
                          "emb": [round(float(v), 6) for v in e]}, ensure_ascii=False) + "\n")
