#!/usr/bin/env python3
"""Anchor: the safety check as a Python user would write it with shapely's STRtree.

usage: anchor_shapely.py DIR [--threads N] [--repeat R]

Active hazards (status not `cleared`) are projected to UTM zone 48N (EPSG:32648, which holds the
workload's box) with pyproj; a point hazard becomes its disc (a buffer of its radius with 64
segments per quarter circle). A point is flagged when it is within 100 m of one of them in the
projection: STRtree.query(points, predicate="dwithin", distance=100), in chunks of 50,000
points, spread over N threads (shapely releases the GIL).

Timed separately: load (read and parse hazards.geojson, build and project the geometries, build
the tree), points read (points.csv into arrays) and query (project the points, make the point
geometries, ask the tree, collect the unique ids), the query R times, median reported.
Prints a RESULT_JSON line and writes DIR/results/shapely_dwithin[_tN].ids.
"""
import argparse
import hashlib
import json
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

try:
    import numpy as np
    import pyproj
    import shapely
except ImportError:
    sys.exit("anchor_shapely.py needs numpy, shapely and pyproj: pip install numpy shapely pyproj")

D = 100.0
CHUNK = 50_000


def load(path, to_utm):
    polys, discs = [], []
    with open(path) as f:
        for line in f:
            line = line.strip().rstrip(",")
            if not line.startswith('{"type":"Feature"'):
                continue
            feat = json.loads(line)
            if feat["properties"].get("status") == "cleared":
                continue
            g = feat["geometry"]
            if g["type"] == "Polygon":
                polys.append(g["coordinates"])
            else:
                discs.append((g["coordinates"][0], g["coordinates"][1], float(feat["properties"]["radius"])))
    geoms = []
    for rings in polys:
        shell = np.asarray(rings[0], dtype=float)
        x, y = to_utm.transform(shell[:, 0], shell[:, 1])
        geoms.append(shapely.polygons(np.column_stack([x, y])))
    if discs:
        dc = np.asarray(discs)
        x, y = to_utm.transform(dc[:, 0], dc[:, 1])
        geoms.extend(shapely.buffer(shapely.points(x, y), dc[:, 2], quad_segs=64))
    return shapely.STRtree(geoms), len(polys), len(discs)


def query(tree, to_utm, ids, lon, lat, threads):
    def one(s):
        x, y = to_utm.transform(lon[s:s + CHUNK], lat[s:s + CHUNK])
        hit, _ = tree.query(shapely.points(x, y), predicate="dwithin", distance=D)
        return ids[s + np.unique(hit)]

    starts = range(0, len(ids), CHUNK)
    if threads > 1:
        with ThreadPoolExecutor(threads) as pool:
            parts = list(pool.map(one, starts))
    else:
        parts = [one(s) for s in starts]
    return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    to_utm = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:32648", always_xy=True)
    t0 = time.perf_counter()
    tree, n_poly, n_disc = load(os.path.join(a.data, "hazards.geojson"), to_utm)
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    arr = np.loadtxt(os.path.join(a.data, "points.csv"), delimiter=",", skiprows=1).reshape(-1, 3)
    ids, lon, lat = arr[:, 0].astype(np.int64), arr[:, 1].copy(), arr[:, 2].copy()
    read_s = time.perf_counter() - t0
    runs = []
    flagged = None
    for _ in range(max(1, a.repeat)):
        t0 = time.perf_counter()
        flagged = query(tree, to_utm, ids, lon, lat, a.threads)
        runs.append(time.perf_counter() - t0)
    body = "".join(f"{i}\n" for i in flagged)
    name = "shapely_dwithin" + (f"_t{a.threads}" if a.threads > 1 else "")
    os.makedirs(os.path.join(a.data, "results"), exist_ok=True)
    with open(os.path.join(a.data, "results", name + ".ids"), "w") as f:
        f.write(body)
    q = statistics.median(runs)
    result = {
        "anchor": name,
        "threads": a.threads,
        "hazards_active": n_poly + n_disc,
        "points": len(ids),
        "load_s": round(load_s, 3),
        "points_read_s": round(read_s, 3),
        "query_s": round(q, 3),
        "query_runs_s": [round(r, 3) for r in runs],
        "points_per_s": round(len(ids) / q),
        "flagged": len(flagged),
        "sha256": hashlib.sha256(body.encode()).hexdigest(),
        "versions": {"shapely": shapely.__version__, "geos": shapely.geos_version_string,
                     "pyproj": pyproj.__version__, "proj": pyproj.proj_version_str, "numpy": np.__version__,
                     "python": sys.version.split()[0]},
    }
    print(f"{name}: load {load_s:.2f} s, points read {read_s:.2f} s, query {q:.3f} s (median of {len(runs)}), "
          f"{len(flagged)} flagged")
    print("RESULT_JSON " + json.dumps(result))


if __name__ == "__main__":
    main()
