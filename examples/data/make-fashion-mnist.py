#!/usr/bin/env python3
"""make-fashion-mnist.py - Fashion-MNIST test set as JSONL, for fashion-mnist-test.parquet.

Reads the standard IDX files of the Fashion-MNIST TEST split as shipped by the
Debian package `dataset-fashion-mnist` (MIT/Expat licence, Zalando SE; see
LICENSE.fashion-mnist next to this script) and prints one JSON object per
image to stdout, in file order, keys in this order:

    {"text": "fashion-mnist test image N", "label": "Ankle boot", "pixels": [0.0, ...]}

  text    "fashion-mnist test image N", N = 0-based position in the IDX file
  label   class name: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat,
          5 Sandal, 6 Shirt, 7 Sneaker, 8 Bag, 9 Ankle boot
  pixels  the 28x28 image, row-major, 784 integers 0..255 (stored as
          fixed_size_list<uint8>[784]; robustdata's column= mode reads
          integer lists as numbers)

Usage:
  examples/data/make-fashion-mnist.py [IMAGES LABELS] > fashion-mnist-test.jsonl

Defaults: /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz and
.../t10k-labels-idx1-ubyte.gz (gzip-compressed or plain files both work).
Python 3 standard library only. The same input files give byte-identical
output; the header of both files is checked (magic number, 10,000 items,
28x28 images) and the script fails on any mismatch.
"""

import gzip
import struct
import sys

DIR = "/usr/share/datasets/fashion-mnist"
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data


def idx(path, magic, ndim):
    data = read(path)
    got, = struct.unpack(">I", data[:4])
    if got != magic:
        raise SystemExit(f"make-fashion-mnist.py: {path}: magic {got:#010x}, want {magic:#010x}")
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    body = data[4 + 4 * ndim:]
    size = 1
    for d in dims:
        size *= d
    if len(body) != size:
        raise SystemExit(f"make-fashion-mnist.py: {path}: {len(body)} data bytes, want {size}")
    return dims, body


def main(argv):
    if argv in (["-h"], ["--help"]):
        print(__doc__)
        return 0
    if len(argv) not in (0, 2):
        raise SystemExit("usage: make-fashion-mnist.py [IMAGES LABELS]")
    images_path, labels_path = argv or (f"{DIR}/t10k-images-idx3-ubyte.gz",
                                        f"{DIR}/t10k-labels-idx1-ubyte.gz")
    (n, rows, cols), pixels = idx(images_path, 0x00000803, 3)
    (nl,), labels = idx(labels_path, 0x00000801, 1)
    if (n, rows, cols) != (10000, 28, 28) or nl != n:
        raise SystemExit(f"make-fashion-mnist.py: unexpected shape: images {n}x{rows}x{cols}, labels {nl}")
    value = [str(p) for p in range(256)]
    npix = rows * cols
    out = sys.stdout
    counts = [0] * len(CLASSES)
    for i in range(n):
        label = labels[i]
        if label >= len(CLASSES):
            raise SystemExit(f"make-fashion-mnist.py: image {i}: label {label} out of range")
        counts[label] += 1
        px = ", ".join(value[p] for p in pixels[i * npix:(i + 1) * npix])
        out.write(f'{{"text": "fashion-mnist test image {i}", "label": "{CLASSES[label]}", "pixels": [{px}]}}\n')
    print("make-fashion-mnist.py: %d images; %s" % (
        n, ", ".join(f"{c} {k}" for c, k in zip(CLASSES, counts))), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
