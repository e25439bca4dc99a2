#!/usr/bin/env python3
"""The exact answer to the safety check for a workload made by gen_workload.py.

The question: for every point, is the geodesic distance on WGS84 to the nearest hazard whose
status is not `cleared` at most D = 100 m (inside a polygon = 0 m)? A polygon's edges are
straight in longitude/latitude (RFC 7946), as demine reads them; a point hazard with a radius
is a disc: its distance is the geodesic distance to its centre less the radius, at least 0.

Method, independent of demine's own code and of the anchors' UTM projection:
  1. Candidates: a shapely STRtree over the active polygons in longitude/latitude, asked for
     every polygon within 0.0012 degrees of each point (100.5 m is under 0.00094 degrees at
     these latitudes, so no polygon within the band is missed). Point hazards: a tree of their
     centres, asked within 0.0012 degrees plus the largest radius.
  2. Inside: a point in (or on) a candidate polygon, in longitude/latitude, is at 0 m.
  3. Otherwise the distance to every edge of every candidate polygon in a local frame at the
     point (metres east and north, with WGS84's radii of curvature at its latitude); under a
     millimetre from the geodesic value within a few hundred metres.
  4. Every point whose distance lands within REFINE_M of D - 0.5, D or D + 0.5 is then
     recomputed with Karney geodesics (pyproj.Geod.inv): on each edge within 0.5 m of its
     nearest, the minimum of the geodesic distance along the edge, by golden-section search on
     the edge's parameter (plus both ends). Discs are always measured with Geod.inv.
  5. --verify N recomputes N close calls (80 m <= d <= 120 m) a third way: a PROJ azimuthal
     equidistant projection centred on the point, with the polygon's edges densified in
     longitude/latitude, and prints the largest difference.

Writes DIR/reference/: must_flag.ids (d <= D - 0.5), band.csv (id,d for D - 0.5 < d <= D + 0.5:
either answer is accepted there), flagged_exact.ids (d <= D), near.csv (id,d for d <= D + 25,
for diagnosis) and summary.json.
"""
import argparse
import hashlib
import json
import math
import os
import sys
import time

try:
    import numpy as np
    import pyproj
    import shapely
except ImportError:
    sys.exit("reference.py needs numpy, shapely and pyproj: pip install numpy shapely pyproj")

D = 100.0
BAND = 0.5
REFINE_M = 2.0
MARGIN_DEG = 0.0012
GEOD = pyproj.Geod(ellps="WGS84")
A = 6378137.0
F = 1.0 / 298.257223563
E2 = F * (2.0 - F)
CLEARED = {"cleared"}


def frame_scales(lat):
    """Metres per degree east and north at latitude `lat` (arrays)."""
    s = np.sin(np.radians(lat))
    d = 1.0 - E2 * s * s
    east = A / np.sqrt(d) * np.cos(np.radians(lat)) * (np.pi / 180.0)
    north = A * (1.0 - E2) / (d * np.sqrt(d)) * (np.pi / 180.0)
    return east, north


def read_hazards(path):
    rings, ring_ids, discs = [], [], []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip().rstrip(",")
            if not line.startswith('{"type":"Feature"'):
                continue
            feat = json.loads(line)
            props = feat["properties"]
            if str(props.get("status", "")).lower() in CLEARED:
                continue
            g = feat["geometry"]
            if g["type"] == "Polygon":
                rings.append(np.asarray(g["coordinates"][0], dtype=float))
                ring_ids.append(props["id"])
            elif g["type"] == "Point":
                r = props.get("radius")
                if r is None:
                    sys.exit(f"{path}:{n}: point hazard {props.get('id')} has no radius")
                discs.append((props["id"], g["coordinates"][0], g["coordinates"][1], float(r)))
            else:
                sys.exit(f"{path}:{n}: geometry {g['type']} is not in the workload's definition")
    return rings, ring_ids, discs


def read_points(path):
    arr = np.loadtxt(path, delimiter=",", skiprows=1, dtype=float)
    arr = arr.reshape(-1, 3)
    return arr[:, 0].astype(np.int64), arr[:, 1], arr[:, 2]


def edge_arrays(rings):
    """All ring vertices in one array; start index and number of edges of each ring."""
    counts = np.array([len(r) for r in rings], dtype=np.int64)
    start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    allv = np.concatenate(rings)
    return allv[:, 0].copy(), allv[:, 1].copy(), start, counts - 1


def expand(pairs_poly, start, nedges):
    """Per edge of every (point, polygon) pair: the pair's index and the edge's first vertex."""
    cnt = nedges[pairs_poly]
    first = np.concatenate([[0], np.cumsum(cnt)[:-1]])
    pair_of_edge = np.repeat(np.arange(len(pairs_poly)), cnt)
    vert = np.arange(cnt.sum()) - np.repeat(first, cnt) + np.repeat(start[pairs_poly], cnt)
    return pair_of_edge, vert, first


def frame_edge_d2(px, py, x0, y0, x1, y1):
    """Squared distance in the local frame at (px, py) from the point to segments."""
    ex, ny = frame_scales(py)
    ax, ay = (x0 - px) * ex, (y0 - py) * ny
    dx, dy = (x1 - x0) * ex, (y1 - y0) * ny
    ll = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(ll > 0, -(ax * dx + ay * dy) / ll, 0.0)
    t = np.clip(t, 0.0, 1.0)
    cx, cy = ax + t * dx, ay + t * dy
    return cx * cx + cy * cy


def geodesic(px, py, qx, qy):
    return GEOD.inv(px, py, qx, qy)[2]


def min_along_edges(px, py, x0, y0, x1, y1, iters=48):
    """Minimum geodesic distance from each point to its edge, straight in lon/lat."""
    g = (math.sqrt(5.0) - 1.0) / 2.0
    lo = np.zeros_like(px)
    hi = np.ones_like(px)

    def f(t):
        return geodesic(px, py, x0 + t * (x1 - x0), y0 + t * (y1 - y0))

    a = hi - g * (hi - lo)
    b = lo + g * (hi - lo)
    fa, fb = f(a), f(b)
    for _ in range(iters):
        left = fa < fb
        hi = np.where(left, b, hi)
        lo = np.where(left, lo, a)
        na = np.where(left, hi - g * (hi - lo), b)
        nb = np.where(left, a, lo + g * (hi - lo))
        fna = np.where(left, f(na), fb)
        fnb = np.where(left, fa, f(nb))
        a, b, fa, fb = na, nb, fna, fnb
    best = np.minimum(fa, fb)
    return np.minimum(best, np.minimum(f(np.zeros_like(px)), f(np.ones_like(px))))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", help="workload directory (hazards.geojson, points.csv)")
    ap.add_argument("--verify", type=int, default=200, help="close calls to recompute with PROJ aeqd (0: none)")
    a = ap.parse_args()
    t_start = time.time()
    rings, ring_ids, discs = read_hazards(os.path.join(a.data, "hazards.geojson"))
    ids, lon, lat = read_points(os.path.join(a.data, "points.csv"))
    n = len(ids)
    print(f"active polygons {len(rings)}, active point hazards {len(discs)}, points {n}", flush=True)
    dist = np.full(n, np.inf)
    pts = shapely.points(lon, lat)

    # Point hazards: exact geodesic distance to the centre, less the radius.
    if discs:
        dc = np.array([(x, y, r) for _, x, y, r in discs])
        tree = shapely.STRtree(shapely.points(dc[:, 0], dc[:, 1]))
        rmax_deg = dc[:, 2].max() / 100_000.0
        pi, hi = tree.query(pts, predicate="dwithin", distance=MARGIN_DEG + rmax_deg)
        if len(pi):
            d = np.maximum(geodesic(lon[pi], lat[pi], dc[hi, 0], dc[hi, 1]) - dc[hi, 2], 0.0)
            np.minimum.at(dist, pi, d)
    t_discs = time.time()

    # Polygons: candidates, inside, then distances in the local frame.
    polys = shapely.polygons([shapely.linearrings(r) for r in rings]) if rings else np.array([])
    vx, vy, vstart, nedges = edge_arrays(rings) if rings else (None, None, None, None)
    pair_pt = np.zeros(0, dtype=np.int64)
    pair_poly = np.zeros(0, dtype=np.int64)
    if rings:
        tree = shapely.STRtree(polys)
        pair_pt, pair_poly = tree.query(pts, predicate="dwithin", distance=MARGIN_DEG)
        inside = shapely.intersects_xy(polys[pair_poly], lon[pair_pt], lat[pair_pt])
        dist[pair_pt[inside]] = 0.0
        keep = ~inside & (dist[pair_pt] > 0.0)
        pair_pt, pair_poly = pair_pt[keep], pair_poly[keep]
        chunk = 200_000
        for s in range(0, len(pair_pt), chunk):
            cp, cq = pair_pt[s:s + chunk], pair_poly[s:s + chunk]
            e_pair, vert, first = expand(cq, vstart, nedges)
            d2 = frame_edge_d2(lon[cp][e_pair], lat[cp][e_pair], vx[vert], vy[vert], vx[vert + 1], vy[vert + 1])
            np.minimum.at(dist, cp, np.sqrt(np.minimum.reduceat(d2, first)))
    t_frame = time.time()

    # Geodesic refinement near the thresholds.
    marks = np.array([D - BAND, D, D + BAND])
    close = np.min(np.abs(dist[:, None] - marks[None, :]), axis=1) <= REFINE_M
    refined = 0
    if rings and close.any():
        sel = close[pair_pt]
        cp, cq = pair_pt[sel], pair_poly[sel]
        e_pair, vert, first = expand(cq, vstart, nedges)
        ex_px, ex_py = lon[cp][e_pair], lat[cp][e_pair]
        d2 = frame_edge_d2(ex_px, ex_py, vx[vert], vy[vert], vx[vert + 1], vy[vert + 1])
        frame_d = np.sqrt(d2)
        point_of_edge = cp[e_pair]
        pmin = np.full(n, np.inf)
        np.minimum.at(pmin, point_of_edge, frame_d)
        take = frame_d <= pmin[point_of_edge] + 0.5
        geo = min_along_edges(ex_px[take], ex_py[take], vx[vert[take]], vy[vert[take]],
                              vx[vert[take] + 1], vy[vert[take] + 1])
        poly_geo = np.full(n, np.inf)
        np.minimum.at(poly_geo, point_of_edge[take], geo)
        # A disc may still be the nearest; keep the smaller of the two exact values.
        disc_d = np.full(n, np.inf)
        if discs:
            dc_pi, dc_hi = shapely.STRtree(shapely.points(dc[:, 0], dc[:, 1])).query(
                pts[close], predicate="dwithin", distance=MARGIN_DEG + rmax_deg)
            if len(dc_pi):
                where = np.flatnonzero(close)[dc_pi]
                d = np.maximum(geodesic(lon[where], lat[where], dc[dc_hi, 0], dc[dc_hi, 1]) - dc[dc_hi, 2], 0.0)
                np.minimum.at(disc_d, where, d)
        idx = np.flatnonzero(close & np.isfinite(poly_geo))
        dist[idx] = np.minimum(poly_geo[idx], disc_d[idx])
        refined = len(idx)
    t_refine = time.time()

    out = os.path.join(a.data, "reference")
    os.makedirs(out, exist_ok=True)
    order = np.argsort(ids)
    ids_s, dist_s = ids[order], dist[order]

    def write_ids(name, mask):
        body = "".join(f"{i}\n" for i in ids_s[mask])
        with open(os.path.join(out, name), "w") as f:
            f.write(body)
        return int(mask.sum()), hashlib.sha256(body.encode()).hexdigest()

    def write_dist(name, mask):
        with open(os.path.join(out, name), "w") as f:
            f.write("id,distance_m\n")
            f.writelines(f"{i},{d:.4f}\n" for i, d in zip(ids_s[mask], dist_s[mask]))
        return int(mask.sum())

    must_n, _ = write_ids("must_flag.ids", dist_s <= D - BAND)
    exact_n, exact_sha = write_ids("flagged_exact.ids", dist_s <= D)
    band_n = write_dist("band.csv", (dist_s > D - BAND) & (dist_s <= D + BAND))
    near_n = write_dist("near.csv", dist_s <= D + 25.0)

    verify = None
    if a.verify > 0 and rings:
        verify = cross_check(a.verify, ids, lon, lat, dist, polys, discs, pair_pt, pair_poly)
    summary = {
        "distance_m": D,
        "band_m": BAND,
        "points": n,
        "active_polygons": len(rings),
        "active_point_hazards": len(discs),
        "inside_active_hazard": int((dist == 0.0).sum()),
        "must_flag": must_n,
        "band": band_n,
        "flagged_exact": exact_n,
        "near_d_le_125": near_n,
        "sha256_flagged_exact": exact_sha,
        "refined_with_geodesics": refined,
        "seconds": {
            "point_hazards": round(t_discs - t_start, 2),
            "polygons_frame": round(t_frame - t_discs, 2),
            "geodesic_refinement": round(t_refine - t_frame, 2),
            "total": round(time.time() - t_start, 2),
        },
        "verify": verify,
    }
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
        f.write("\n")
    print(json.dumps(summary, indent=2))


def cross_check(count, ids, lon, lat, dist, polys, discs, pair_pt, pair_poly):
    """Recompute `count` close calls with a PROJ aeqd projection centred on each point."""
    rng = np.random.default_rng(7)
    cand = np.flatnonzero((dist >= 80.0) & (dist <= 120.0))
    if len(cand) == 0:
        return {"points": 0}
    pick = rng.choice(cand, size=min(count, len(cand)), replace=False)
    order = np.argsort(pair_pt)
    sp = pair_pt[order]
    worst = 0.0
    checked = 0
    disc_arr = np.array([(x, y, r) for _, x, y, r in discs]) if discs else np.zeros((0, 3))
    for i in pick:
        lo, hi = np.searchsorted(sp, i), np.searchsorted(sp, i, side="right")
        cands = pair_poly[order[lo:hi]]
        if len(cands) == 0:
            continue
        aeqd = pyproj.Transformer.from_crs(
            "EPSG:4326", f"+proj=aeqd +lat_0={lat[i]} +lon_0={lon[i]} +ellps=WGS84 +units=m", always_xy=True)
        best = np.inf
        for q in cands:
            dense = shapely.segmentize(polys[q], 1e-5)  # about 1 m, in lon/lat as the edges are drawn
            xy = shapely.get_coordinates(dense)
            x, y = aeqd.transform(xy[:, 0], xy[:, 1])
            best = min(best, shapely.polygons(np.column_stack([x, y])).distance(shapely.Point(0.0, 0.0)))
        if len(disc_arr):
            dd = np.maximum(geodesic(np.full(len(disc_arr), lon[i]), np.full(len(disc_arr), lat[i]),
                                     disc_arr[:, 0], disc_arr[:, 1]) - disc_arr[:, 2], 0.0)
            best = min(best, dd.min())
        worst = max(worst, abs(best - dist[i]))
        checked += 1
    print(f"verify: {checked} close calls recomputed with PROJ aeqd; largest difference {worst:.6f} m", flush=True)
    return {"points": checked, "max_abs_diff_m": round(worst, 6)}


if __name__ == "__main__":
    main()
