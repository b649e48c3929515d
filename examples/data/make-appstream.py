#!/usr/bin/env python3
"""make-appstream.py - build the AppStream example corpus from Debian's DEP-11 metadata.

Reads the DEP-11 YAML catalogue that APT downloads once the `appstream`
package is installed (Components-amd64.yml[.gz|.xz|.lz4] in /var/lib/apt/lists)
and prints one JSON object per desktop application to stdout, keys in this
order:

    {"text": ..., "label": ..., "id": ..., "categories": ...}

  text        Name + ". " + Summary + "\\n\\n" + Description, all in the
              untranslated ("C", English) locale. The description markup is
              turned into plain text: every <p> becomes a paragraph with its
              whitespace collapsed, every <li> (of <ul> or <ol>) a line
              "- item"; blocks are separated by one blank line; <em>/<code>
              are dropped, entities decoded.
  label       main category: the FIRST entry of the component's Categories
              that is a FreeDesktop main category (AudioVideo, Audio, Video,
              Development, Education, Game, Graphics, Network, Office, Science,
              Settings, System, Utility).
  id          AppStream component ID.
  categories  all Categories of the component joined with ";".

Rows kept (in this order; the script prints the count of every step on stderr):
  1. Type is desktop-application;
  2. the component comes from a MetaInfo file, not from a bare .desktop
     file: it carries at least one field that appstream-generator only takes
     from MetaInfo files (ProjectLicense, Url, Screenshots, Releases,
     DeveloperName, ...; see METAINFO_ONLY_FIELDS). appstream-generator
     rejects every MetaInfo file whose <metadata_license> is not one of the
     permissive metadata licences (FSFAP, MIT, 0BSD, CC0-1.0, CC-BY-3.0,
     CC-BY-4.0, CC-BY-SA-3.0, CC-BY-SA-4.0, GFDL-1.1/1.2/1.3, BSL-1.0, FTL,
     FSFUL; hint "metainfo-license-invalid", severity error), so every kept
     text is under one of those. DEP-11 does not carry the licence itself.
  3. it has a non-empty description in the "C" (untranslated) locale;
  4. that description is NOT its Debian package's long description
     (appstream-generator fills that in when a MetaInfo file has no
     description; such texts are Debian package descriptions, not MetaInfo
     data): dropped when, comparing letters and digits only, it equals a long
     description of its package in APT's Translation-en files;
  5. the description is English: dropped when more than 30% of its letters
     are not Latin, or when it has more common French/German/Spanish/Italian
     function words ("le", "une", "und", "della", ...) than English ones
     ("the", "and", ...);
  6. it has a main category.
Duplicate component IDs: the first one in file order wins. Output is sorted
by id (bytewise); the same input files give byte-identical output.

Usage:
  examples/data/make-appstream.py [--translations FILE]... [DEP11_FILE ...] > appstream.jsonl

Defaults: every /var/lib/apt/lists/*dep11_Components-amd64.yml* and every
/var/lib/apt/lists/*_i18n_Translation-en* file (sorted by name). APT fetches
the DEP-11 files once `appstream` is installed (apt-get install appstream;
apt-get update); Translation-en is only fetched when APT's languages include
English, e.g. `apt-get update -o Acquire::Languages=en`.
Inputs may be plain or compressed: .gz and .xz are read by Python, .bz2,
.lz4 and .zst through /usr/lib/apt/apt-helper cat-file. Needs python3 with the `yaml` module
(Debian package python3-yaml).
"""

import glob
import gzip
import html.parser
import json
import lzma
import re
import subprocess
import sys
import unicodedata

import yaml

LISTS = "/var/lib/apt/lists"
MAIN_CATEGORIES = {
    "AudioVideo", "Audio", "Video", "Development", "Education", "Game",
    "Graphics", "Network", "Office", "Science", "Settings", "System", "Utility",
}
# Fields that appstream-generator only takes from a MetaInfo file, never from
# a bare .desktop file.
METAINFO_ONLY_FIELDS = (
    "ProjectLicense", "Url", "Screenshots", "Releases", "DeveloperName",
    "ProjectGroup", "ContentRating", "Languages", "Extends", "Requires",
    "Recommends", "Suggests", "Supports", "CompulsoryForDesktops",
)


def read_text(path):
    if path.endswith(".gz"):
        with gzip.open(path, "rb") as f:
            data = f.read()
    elif path.endswith(".xz"):
        with lzma.open(path, "rb") as f:
            data = f.read()
    elif path.endswith((".lz4", ".zst", ".bz2")):
        data = subprocess.run(["/usr/lib/apt/apt-helper", "cat-file", path],
                              check=True, stdout=subprocess.PIPE).stdout
    else:
        with open(path, "rb") as f:
            data = f.read()
    return data.decode("utf-8")


def load_components(path):
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    docs = yaml.load_all(read_text(path), Loader=loader)
    header = next(docs)
    if not isinstance(header, dict) or header.get("File") != "DEP-11":
        raise SystemExit(f"make-appstream.py: {path}: not a DEP-11 file")
    print(f"make-appstream.py: {path}: Origin {header.get('Origin')}, "
          f"Time {header.get('Time')}", file=sys.stderr)
    return [d for d in docs if isinstance(d, dict)]


def load_package_descriptions(paths):
    """package name -> list of long descriptions (normalised) from Translation-en."""
    out = {}
    for path in paths:
        for block in read_text(path).split("\n\n"):
            pkg = re.search(r"^Package: (\S+)", block, re.M)
            desc = re.search(r"^Description-en: [^\n]*\n((?:[ \t][^\n]*(?:\n|$))*)", block, re.M)
            if pkg and desc:
                out.setdefault(pkg.group(1), []).append(fingerprint(desc.group(1)))
    return out


def fingerprint(text):
    """Letters and digits only: compares a DEP-11 description with a package description."""
    text = re.sub(r"<[^>]*>", " ", text)
    text = html.unescape(text)
    return re.sub(r"[\W_]+", "", text)


class _Description(html.parser.HTMLParser):
    """AppStream description markup (<p>, <ul>/<ol>, <li>, <em>, <code>) -> plain text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks = []   # list of (kind, [lines])
        self.buf = []
        self.in_list = False

    def _flush(self):
        text = " ".join("".join(self.buf).split())
        self.buf = []
        if not text:
            return
        if self.in_list:
            if self.blocks and self.blocks[-1][0] == "list":
                self.blocks[-1][1].append("- " + text)
            else:
                self.blocks.append(("list", ["- " + text]))
        else:
            self.blocks.append(("p", [text]))

    def handle_starttag(self, tag, attrs):
        if tag in ("p", "li", "ul", "ol"):
            self._flush()
            if tag in ("ul", "ol"):
                self.in_list = True
                self.blocks.append(("list", []))

    def handle_endtag(self, tag):
        if tag in ("p", "li", "ul", "ol"):
            self._flush()
            if tag in ("ul", "ol"):
                self.in_list = False

    def handle_data(self, data):
        self.buf.append(data)

    def text(self):
        self.close()
        self._flush()
        return "\n\n".join("\n".join(lines) for _, lines in self.blocks if lines)


def description_to_text(markup):
    p = _Description()
    p.feed(markup)
    return p.text()


ENGLISH_WORDS = set("the a an and or of to in is for with on it this that you your by "
                    "from as be can are which at it's its".split())
OTHER_WORDS = set("le la les des du de un une et est pour avec dans sur qui que à au aux "
                  "en d l der die das und ist mit für von zu ein eine nicht el los las "
                  "del y para con por una es il di che per della lo gli".split()) - ENGLISH_WORDS


def looks_english(text):
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return False
    non_latin = sum(1 for ch in letters if not unicodedata.name(ch, "").startswith("LATIN"))
    if non_latin > 0.3 * len(letters):
        return False
    words = re.findall(r"[^\W\d_]+", text.lower())
    return sum(w in OTHER_WORDS for w in words) <= sum(w in ENGLISH_WORDS for w in words)


def one_line(s):
    return " ".join(s.split())


def main(argv):
    dep11, translations = [], []
    args = iter(argv)
    for a in args:
        if a == "--translations":
            translations.append(next(args))
        elif a in ("-h", "--help"):
            print(__doc__)
            return 0
        else:
            dep11.append(a)
    if not dep11:
        dep11 = sorted(glob.glob(f"{LISTS}/*dep11_Components-amd64.yml*"))
    if not translations:
        translations = sorted(glob.glob(f"{LISTS}/*_i18n_Translation-en*"))
    if not dep11:
        raise SystemExit("make-appstream.py: no DEP-11 file found; install `appstream` and run apt-get update")
    if not translations:
        raise SystemExit("make-appstream.py: no Translation-en file found; run "
                         "apt-get update -o Acquire::Languages=en")

    pkgdesc = load_package_descriptions(translations)
    counts = {k: 0 for k in ("components", "desktop-application", "no-metainfo",
                             "no-description", "package-description", "not-english",
                             "no-main-category", "duplicate-id", "kept")}
    rows = {}
    for path in dep11:
        for c in load_components(path):
            counts["components"] += 1
            if c.get("Type") != "desktop-application":
                continue
            counts["desktop-application"] += 1
            cid = c.get("ID", "")
            if not any(k in c for k in METAINFO_ONLY_FIELDS):
                counts["no-metainfo"] += 1
                continue
            markup = (c.get("Description") or {}).get("C") or ""
            desc = description_to_text(markup)
            if not desc:
                counts["no-description"] += 1
                continue
            if fingerprint(markup) in pkgdesc.get(c.get("Package", ""), ()):
                counts["package-description"] += 1
                continue
            if not looks_english(desc):
                counts["not-english"] += 1
                continue
            cats = [str(x) for x in (c.get("Categories") or [])]
            label = next((x for x in cats if x in MAIN_CATEGORIES), None)
            if label is None:
                counts["no-main-category"] += 1
                continue
            if cid in rows:
                counts["duplicate-id"] += 1
                continue
            name = one_line((c.get("Name") or {}).get("C") or "")
            summary = one_line((c.get("Summary") or {}).get("C") or "")
            rows[cid] = {
                "text": f"{name}. {summary}\n\n{desc}",
                "label": label,
                "id": cid,
                "categories": ";".join(cats),
            }
    out = sys.stdout
    for cid in sorted(rows, key=lambda s: s.encode("utf-8")):
        out.write(json.dumps(rows[cid], ensure_ascii=False) + "\n")
    counts["kept"] = len(rows)
    print("make-appstream.py: " + ", ".join(f"{k} {v}" for k, v in counts.items()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
