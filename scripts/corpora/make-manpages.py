#!/usr/bin/env python3
"""Convert the Linux man-pages (Debian packages manpages, manpages-dev) to a
labelled corpus: one JSON object per page, {"text", "label", "id"}, where
label is the manual section ("1".."8") and id is "name.section".

The label is about *form* more than topic: system calls (2), library
functions (3), special files (4), file formats (5), overviews (7) and
commands (1, 8) are written to different templates.

Usage (from the repository root, Debian with groff and both packages):

    python3 scripts/corpora/make-manpages.py > /tmp/manpages.jsonl

Pages are rendered with `groff -t -man -Tutf8` at 80 columns, overstrike
and colour removed; the running header and footer lines (which name the
section) are dropped, so the label is not in the text verbatim. Pages that
are only `.so` redirections or symbolic links are skipped, as is section 6
(one page). Texts are cut at MAX_BYTES at a line end. Output order: by id.
Same packages -> byte-identical output.
"""
import gzip
import json
import os
import re
import subprocess
import sys

MAX_BYTES = 12000
PACKAGES = ("manpages", "manpages-dev")


def page_files():
    files = []
    for pkg in PACKAGES:
        out = subprocess.run(["dpkg", "-L", pkg], check=True, capture_output=True, text=True).stdout
        for line in out.splitlines():
            m = re.search(r"/man/man([0-9])/([^/]+)\.([0-9][a-z]*)\.gz$", line)
            if m and not os.path.islink(line) and os.path.isfile(line):
                files.append((m.group(1), m.group(2), line))
    return files


def render(path):
    with gzip.open(path, "rb") as f:
        src = f.read()
    if re.match(rb"^(\.\\\".*\n)*\.so ", src):
        return None
    env = dict(os.environ, LC_ALL="C.UTF-8")
    out = subprocess.run(["groff", "-t", "-man", "-Tutf8", "-P-cbou", "-rLL=80n", "-rcR=1"],
                         input=src, capture_output=True, env=env).stdout.decode("utf-8", "replace")
    lines = [l.rstrip() for l in out.splitlines()]
    # Drop the running header (first non-blank line) and footer (last).
    while lines and not lines[0]:
        lines.pop(0)
    if lines:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    if lines:
        lines.pop()
    text = "\n".join(lines).strip("\n")
    # Collapse runs of blank lines.
    text = re.sub(r"\n{3,}", "\n\n", text)
    if len(text.encode()) > MAX_BYTES:
        cut = text.encode()[:MAX_BYTES].decode("utf-8", "ignore")
        text = cut[: cut.rfind("\n")] if "\n" in cut else cut
    return text


def main():
    rows = []
    skipped = 0
    for section, name, path in page_files():
        if section == "6":
            skipped += 1
            continue
        text = render(path)
        if not text or not text.strip():
            skipped += 1
            continue
        rows.append({"text": text, "label": section, "id": f"{name}.{section}"})
    rows.sort(key=lambda r: r["id"])
    seen = set()
    for r in rows:
        if r["id"] in seen:
            continue
        seen.add(r["id"])
        sys.stdout.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"make-manpages: {len(seen)} pages, {skipped} skipped", file=sys.stderr)


if __name__ == "__main__":
    main()
