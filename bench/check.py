#!/usr/bin/env python3
"""Checks a safety-check answer against the reference made by reference.py.

usage: check.py RESULT_IDS [--data DIR] [--max-id N]

RESULT_IDS holds one flagged point id per line, in any order (blank lines are ignored). DIR is
the workload directory (default: the parent of the file's folder, when the file is in
DIR/results/). --max-id N checks an answer computed on the points with id <= N only.

Prints the number flagged, the SHA-256 of the sorted ids (ascending, one per line, each ending
in a newline), the false negatives (reference distance <= D - 0.5 m, not flagged) and the false
positives (flagged, but not within D + 0.5 m), with a few examples. Between D - 0.5 and D + 0.5
either answer is accepted. Exit status: 0 PASS, 1 FAIL, 2 the input could not be read.
Standard library only.
"""
import argparse
import hashlib
import os
import sys


def read_ids(path, what):
    out = set()
    try:
        with open(path) as f:
            for n, line in enumerate(f, 1):
                s = line.strip()
                if not s or s == "id":
                    continue
                try:
                    out.add(int(s))
                except ValueError:
                    sys.stderr.write(f"check.py: {path}:{n}: {what}: {s[:40]!r} is not a point id\n")
                    sys.exit(2)
    except OSError as e:
        sys.stderr.write(f"check.py: cannot read {what} {path}: {e}\n")
        sys.exit(2)
    return out


def read_dist(path):
    out = {}
    with open(path) as f:
        next(f, None)
        for line in f:
            i, d = line.strip().split(",")
            out[int(i)] = float(d)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("result")
    ap.add_argument("--data")
    ap.add_argument("--max-id", type=int)
    a = ap.parse_args()
    data = a.data
    if data is None:
        folder = os.path.dirname(os.path.abspath(a.result))
        if os.path.basename(folder) != "results":
            ap.error("--data DIR is needed when the file is not in DIR/results/")
        data = os.path.dirname(folder)
    ref = os.path.join(data, "reference")
    if not os.path.exists(os.path.join(ref, "must_flag.ids")):
        sys.stderr.write(f"check.py: no reference in {ref}; run reference.py {data} first\n")
        sys.exit(2)

    got = read_ids(a.result, "result")
    must = read_ids(os.path.join(ref, "must_flag.ids"), "reference")
    band = read_dist(os.path.join(ref, "band.csv"))
    near = read_dist(os.path.join(ref, "near.csv"))
    if a.max_id is not None:
        must = {i for i in must if i <= a.max_id}
        outside = sorted(i for i in got if i > a.max_id)
        if outside:
            print(f"ids above --max-id {a.max_id} in the result: {len(outside)} (first {outside[0]})")
    ordered = sorted(got)
    digest = hashlib.sha256("".join(f"{i}\n" for i in ordered).encode()).hexdigest()
    fn = sorted(must - got)
    fp = sorted(i for i in got if i not in must and i not in band)
    in_band = sum(1 for i in got if i in band)
    print(f"flagged: {len(got)}")
    print(f"sha256: {digest}")
    print(f"reference: must flag {len(must)}, band {len(band)} (either answer), flagged here from the band {in_band}")
    print(f"false negatives: {len(fn)}")
    for i in fn[:10]:
        print(f"  id {i}: reference distance {near.get(i, float('nan')):.4f} m")
    print(f"false positives: {len(fp)}")
    for i in fp[:10]:
        d = near.get(i)
        print(f"  id {i}: reference distance " + (f"{d:.4f} m" if d is not None else "> 125 m (or no such point)"))
    ok = not fn and not fp
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
