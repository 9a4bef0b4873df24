#!/usr/bin/env python3
"""Writes the small Fashion-MNIST sample shipped in data/fashion-mnist-sample/.

Source: Debian's dataset-fashion-mnist package (/usr/share/datasets/fashion-mnist), Zalando's
Fashion-MNIST (MIT licence). Takes the first TRAIN_PER_CLASS images of each class from the training
set and the first TEST_PER_CLASS of each class from the test set, keeping their original order, and
writes them in the original IDX format, gzipped (deterministic: mtime 0).
"""
import gzip, struct, sys, os

SRC = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
DST = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "data", "fashion-mnist-sample")
TRAIN_PER_CLASS, TEST_PER_CLASS = 250, 60

def read(prefix):
    with gzip.open(os.path.join(SRC, prefix + "-images-idx3-ubyte.gz")) as f:
        _, n, r, c = struct.unpack(">IIII", f.read(16)); images = f.read()
    with gzip.open(os.path.join(SRC, prefix + "-labels-idx1-ubyte.gz")) as f:
        _, m = struct.unpack(">II", f.read(8)); labels = f.read()
    assert n == m
    return images, labels, r * c, r, c

def write(prefix, images, labels, size, r, c, per_class):
    keep, counts = [], [0] * 10
    for i, y in enumerate(labels):
        if counts[y] < per_class:
            counts[y] += 1; keep.append(i)
    img = b"".join(images[i * size:(i + 1) * size] for i in keep)
    lab = bytes(labels[i] for i in keep)
    with open(os.path.join(DST, prefix + "-images-idx3-ubyte.gz"), "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=9) as f:
            f.write(struct.pack(">IIII", 0x803, len(keep), r, c)); f.write(img)
    with open(os.path.join(DST, prefix + "-labels-idx1-ubyte.gz"), "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=9) as f:
            f.write(struct.pack(">II", 0x801, len(keep))); f.write(lab)

os.makedirs(DST, exist_ok=True)
for prefix, per in (("train", TRAIN_PER_CLASS), ("t10k", TEST_PER_CLASS)):
    images, labels, size, r, c = read(prefix)
    write(prefix, images, labels, size, r, c, per)
