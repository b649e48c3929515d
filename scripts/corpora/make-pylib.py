#!/usr/bin/env python3
"""Convert the Python 3.11 Library Reference (Debian package python3.11-doc)
into a labelled corpus of long documents: one JSON object per module page,
{"text", "label", "id"}, where label is the chapter of the Library
Reference the page belongs to (e.g. "text", "numeric", "internet") and id
is the page's file name without ".html".

Usage (from the repository root, with python3.11-doc installed):

    python3 scripts/corpora/make-pylib.py [HTML_LIBRARY_DIR] > /tmp/pylib.jsonl

The chapters are the pages linked from library/index.html; a chapter's
module pages are the first-level entries of its table of contents. The
text is the page's body (class "body"), tags removed, code blocks and
paragraphs kept as lines, the "Source code:" line and navigation dropped.
Texts are cut at MAX_BYTES at a line end. Chapters with fewer than
MIN_PAGES pages are left out. Output order: by id. Standard library only;
same package -> byte-identical output.
"""
import html
import html.parser
import json
import os
import re
import sys

MAX_BYTES = 16000
MIN_PAGES = 3
# "superseded" groups pages by age, not topic.
SKIP = {"superseded.html"}
BLOCK = {"p", "div", "section", "pre", "li", "dt", "dd", "h1", "h2", "h3", "h4", "tr", "br", "table"}


class Body(html.parser.HTMLParser):
    """Collects the text of <div class="body">, lines at block ends."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = 0  # div depth inside the body; 0 = outside
        self.skip = 0
        self.out = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if self.depth == 0:
            if tag == "div" and "body" in (a.get("class") or "").split():
                self.depth = 1
            return
        if tag == "div":
            self.depth += 1
        if tag in ("script", "style") or (a.get("class") or "").startswith("headerlink"):
            self.skip += 1
        if tag in BLOCK:
            self.out.append("\n")

    def handle_endtag(self, tag):
        if self.depth == 0:
            return
        if tag in ("script", "style") or (tag == "a" and self.skip):
            self.skip = max(0, self.skip - 1)
        if tag in BLOCK:
            self.out.append("\n")
        if tag == "div":
            self.depth -= 1

    def handle_data(self, data):
        if self.depth and not self.skip:
            self.out.append(data)


def page_text(path):
    p = Body()
    with open(path, encoding="utf-8") as f:
        p.feed(f.read())
    text = "".join(p.out).replace("\u00b6", "")
    lines = []
    for line in text.splitlines():
        line = re.sub(r"[ \t]+", " ", line).rstrip()
        if line.strip().startswith("Source code:"):
            continue
        lines.append(line)
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    b = text.encode()
    if len(b) > MAX_BYTES:
        cut = b[:MAX_BYTES].decode("utf-8", "ignore")
        text = cut[: cut.rfind("\n")]
    return text


def toc(path):
    with open(path, encoding="utf-8") as f:
        src = f.read()
    hrefs = re.findall(r'<li class="toctree-l1"><a class="reference internal" href="([^"#]+)"', src)
    out = []
    for h in hrefs:
        if h not in out:
            out.append(h)
    return out


def main():
    lib = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/doc/python3.11/html/library"
    rows, seen = [], set()
    for chapter in toc(os.path.join(lib, "index.html")):
        pages = [p for p in toc(os.path.join(lib, chapter)) if "/" not in p]
        if len(pages) < MIN_PAGES or chapter in SKIP:
            continue
        label = chapter[: -len(".html")]
        for p in pages:
            pid = p[: -len(".html")]
            if pid in seen:
                continue
            seen.add(pid)
            text = page_text(os.path.join(lib, p))
            if text:
                rows.append({"text": text, "label": label, "id": pid})
    rows.sort(key=lambda r: r["id"])
    for r in rows:
        sys.stdout.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"make-pylib: {len(rows)} pages, {len({r['label'] for r in rows})} chapters", file=sys.stderr)


if __name__ == "__main__":
    main()
