#!/usr/bin/env python3
"""Makes the safety-check workload: hazards.geojson, points.csv and workload.json.

Standard library only, and deterministic: the same --seed, sizes and Python version give the
same bytes (the SHA-256 of both files goes into workload.json so two runs can be compared).
The statistical shape follows the definition of the reference benchmark kit (a Cambodia-like
box, hazards strung along former front lines and clumped in minefields, polygons from 30 m to
2.5 km across their radius, 40 % of the points near a hazard), but this is our own generator:
its files are not byte-for-byte the kit's, so figures are comparable in shape, not identical.
On top of the kit's polygons, a share of the hazards are reported points with a radius (what a
field report of a single item or a spot task gives), which demine reads as discs.

Files written into --out:
  hazards.geojson  RFC 7946 FeatureCollection, one Feature per line. Each Feature has
                   properties {"id": 1..N, "status": suspected|confirmed|reduced|cleared} and
                   either a Polygon (one closed counter-clockwise ring, 8 to 48 distinct
                   vertices, star-shaped around its centre and so simple) or a Point with a
                   "radius" property in metres.
  points.csv       header id,lon,lat; ids 1..M; 7 decimals (about 1 cm).
  workload.json    parameters, counts and SHA-256 of both files.
"""
import argparse
import bisect
import hashlib
import json
import math
import os
import random
import sys
import time

VERSION = 1
BOX = (102.3, 10.4, 107.6, 14.7)  # lon_min, lat_min, lon_max, lat_max
PRESETS = {"small": (10_000, 100_000), "large": (200_000, 2_000_000)}
STATUS_WEIGHTS = [("suspected", 0.35), ("confirmed", 0.25), ("reduced", 0.15), ("cleared", 0.25)]
LINES = 40  # former front lines
ON_LINE_SHARE = 0.85  # hazards placed along a line; the rest anywhere in the box
IN_MINEFIELD_SHARE = 0.65  # of those along a line: inside a minefield cluster
SIZE_RANGE_M = (30.0, 2500.0)  # polygon radius, log-uniform
POINT_HAZARD_SHARE = 0.10  # reported points with a radius
POINT_RADII_M = [(25, 3), (50, 4), (100, 3), (150, 1), (250, 1)]  # (radius, weight)
NEAR_SHARE = 0.40  # points placed just outside a hazard
NEAR_MAX_M = 500.0

# WGS84
A = 6378137.0
F = 1.0 / 298.257223563
E2 = F * (2.0 - F)


def metres_per_degree(lat):
    """Metres per degree of longitude and of latitude at latitude `lat` on WGS84."""
    s = math.sin(math.radians(lat))
    d = 1.0 - E2 * s * s
    east = A / math.sqrt(d) * math.cos(math.radians(lat))
    north = A * (1.0 - E2) / (d * math.sqrt(d))
    return east * math.pi / 180.0, north * math.pi / 180.0


def inside_box(lon, lat, margin):
    return BOX[0] + margin <= lon <= BOX[2] - margin and BOX[1] + margin <= lat <= BOX[3] - margin


def weighted(rng, pairs):
    total = sum(w for _, w in pairs)
    x = rng.random() * total
    for value, w in pairs:
        x -= w
        if x < 0:
            return value
    return pairs[-1][0]


class FrontLine:
    """A random-walk polyline through the box, with minefield clusters beside it."""

    def __init__(self, rng):
        self.vertices = []
        while len(self.vertices) < 3:
            self.vertices = self._walk(rng)
        self.lengths = [0.0]
        for (x0, y0), (x1, y1) in zip(self.vertices, self.vertices[1:]):
            ex, ny = metres_per_degree(0.5 * (y0 + y1))
            self.lengths.append(self.lengths[-1] + math.hypot((x1 - x0) * ex, (y1 - y0) * ny))
        self.width_m = rng.uniform(500.0, 4000.0)
        self.weight = self.lengths[-1] * rng.uniform(0.3, 3.0)
        n = max(2, int(self.lengths[-1] / 6000.0 * rng.uniform(0.5, 1.5)))
        self.fields = []  # (lon, lat, spread_m)
        field_weights = []
        for _ in range(n):
            lon, lat = self.beside(rng, rng.uniform(0.0, self.lengths[-1]))
            self.fields.append((lon, lat, rng.uniform(300.0, 2500.0)))
            field_weights.append(rng.uniform(0.2, 3.0))
        self.field_cum = list(accumulate(field_weights))

    @staticmethod
    def _walk(rng):
        lon = rng.uniform(BOX[0] + 0.1, BOX[2] - 0.1)
        lat = rng.uniform(BOX[1] + 0.1, BOX[3] - 0.1)
        heading = rng.uniform(0.0, 2.0 * math.pi)
        out = [(lon, lat)]
        for _ in range(rng.randint(4, 14)):
            for _turn in range(12):
                leg = rng.uniform(8000.0, 40000.0)
                ex, ny = metres_per_degree(lat)
                nlon = lon + leg * math.cos(heading) / ex
                nlat = lat + leg * math.sin(heading) / ny
                if inside_box(nlon, nlat, 0.05):
                    break
                heading += rng.uniform(math.pi / 2 - 0.6, math.pi / 2 + 0.6)
            else:
                return out
            lon, lat = nlon, nlat
            out.append((lon, lat))
            heading += rng.gauss(0.0, math.radians(25.0))
        return out

    def at(self, s):
        """Position at arc length s (m) and the heading of that leg (radians, east = 0)."""
        i = min(max(bisect.bisect_right(self.lengths, s) - 1, 0), len(self.vertices) - 2)
        (x0, y0), (x1, y1) = self.vertices[i], self.vertices[i + 1]
        leg = self.lengths[i + 1] - self.lengths[i]
        u = (s - self.lengths[i]) / leg if leg > 0 else 0.0
        ex, ny = metres_per_degree(0.5 * (y0 + y1))
        return x0 + u * (x1 - x0), y0 + u * (y1 - y0), math.atan2((y1 - y0) * ny, (x1 - x0) * ex)

    def beside(self, rng, s):
        """A place at arc length s, pushed sideways by a normal draw of the line's width."""
        lon, lat, h = self.at(s)
        side = rng.gauss(0.0, self.width_m)
        ex, ny = metres_per_degree(lat)
        return lon - side * math.sin(h) / ex, lat + side * math.cos(h) / ny


def accumulate(values):
    out, s = [], 0.0
    for v in values:
        s += v
        out.append(s)
    return out


def pick_cum(rng, cum):
    return min(bisect.bisect_right(cum, rng.random() * cum[-1]), len(cum) - 1)


def place_hazard(rng, lines, line_cum):
    for _ in range(20):
        if rng.random() < ON_LINE_SHARE:
            line = lines[pick_cum(rng, line_cum)]
            if rng.random() < IN_MINEFIELD_SHARE:
                flon, flat, spread = line.fields[pick_cum(rng, line.field_cum)]
                ex, ny = metres_per_degree(flat)
                lon = flon + rng.gauss(0.0, spread) / ex
                lat = flat + rng.gauss(0.0, spread) / ny
            else:
                lon, lat = line.beside(rng, rng.uniform(0.0, line.lengths[-1]))
        else:
            lon, lat = rng.uniform(BOX[0], BOX[2]), rng.uniform(BOX[1], BOX[3])
        if inside_box(lon, lat, 0.02):
            return lon, lat
    return (min(max(lon, BOX[0] + 0.02), BOX[2] - 0.02), min(max(lat, BOX[1] + 0.02), BOX[3] - 0.02))


def polygon_ring(rng, lon0, lat0):
    """A closed counter-clockwise ring, star-shaped around (lon0, lat0), rounded to 7 decimals.

    The radius of each vertex is a smooth random profile (a few low harmonics) times a little
    noise, sometimes with one notch; the angles increase strictly, so the ring is simple. An
    optional squash and a rotation (both linear, determinant > 0) keep it simple and CCW."""
    size = math.exp(rng.uniform(math.log(SIZE_RANGE_M[0]), math.log(SIZE_RANGE_M[1])))
    n = rng.randint(8, 48)
    harmonics = [(k, rng.uniform(0.0, 0.3 / k), rng.uniform(0.0, 2.0 * math.pi)) for k in range(2, 6)]
    start = rng.uniform(0.0, 2.0 * math.pi)
    angles = [2.0 * math.pi * (i + rng.uniform(-0.35, 0.35)) / n for i in range(n)]
    profile = []
    for a in angles:
        r = 1.0 + sum(amp * math.cos(k * a + ph) for k, amp, ph in harmonics)
        profile.append(max(r, 0.2) * rng.uniform(0.75, 1.0))
    if rng.random() < 0.3:
        profile[rng.randrange(n)] *= rng.uniform(0.3, 0.7)
    top = max(profile)
    squash = rng.uniform(0.35, 1.0) if rng.random() < 0.6 else 1.0
    turn = rng.uniform(0.0, math.pi)
    ct, st = math.cos(turn), math.sin(turn)
    ex, ny = metres_per_degree(lat0)
    ring = []
    for a, r in zip(angles, profile):
        d = size * r / top
        x = d * math.cos(start + a)
        y = d * math.sin(start + a) * squash
        ring.append((round(lon0 + (x * ct - y * st) / ex, 7), round(lat0 + (x * st + y * ct) / ny, 7)))
    ring.append(ring[0])
    return ring


def near_polygon(rng, ring):
    """A place on a random edge (chosen by length) pushed 0..NEAR_MAX_M outward."""
    ex, ny = metres_per_degree(ring[0][1])
    cum = accumulate(math.hypot((x1 - x0) * ex, (y1 - y0) * ny) for (x0, y0), (x1, y1) in zip(ring, ring[1:]))
    i = pick_cum(rng, cum)
    (x0, y0), (x1, y1) = ring[i], ring[i + 1]
    u = rng.random()
    mx, my = (x1 - x0) * ex, (y1 - y0) * ny
    length = math.hypot(mx, my) or 1.0
    push = rng.uniform(0.0, NEAR_MAX_M)
    # The ring runs counter-clockwise, so the outside is on the right of each edge.
    return x0 + u * (x1 - x0) + push * my / length / ex, y0 + u * (y1 - y0) - push * mx / length / ny


def near_disc(rng, lon, lat, radius):
    ex, ny = metres_per_degree(lat)
    az = rng.uniform(0.0, 2.0 * math.pi)
    d = radius + rng.uniform(0.0, NEAR_MAX_M)
    return lon + d * math.cos(az) / ex, lat + d * math.sin(az) / ny


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            block = f.read(1 << 20)
            if not block:
                return h.hexdigest()
            h.update(block)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", choices=sorted(PRESETS), help="small: 10k hazards, 100k points; large: 200k, 2M")
    ap.add_argument("--hazards", type=int, help="number of hazards (overrides the preset)")
    ap.add_argument("--points", type=int, help="number of points (overrides the preset)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True, help="directory to write into")
    a = ap.parse_args()
    n_hz, n_pts = PRESETS[a.preset or "small"]
    n_hz = a.hazards if a.hazards is not None else n_hz
    n_pts = a.points if a.points is not None else n_pts
    if n_hz < 1 or n_pts < 1:
        ap.error("--hazards and --points must be at least 1")
    os.makedirs(a.out, exist_ok=True)
    began = time.time()
    rng = random.Random(a.seed)
    lines = [FrontLine(rng) for _ in range(LINES)]
    line_cum = accumulate(line.weight for line in lines)

    shapes = []  # ("ring", ring) or ("disc", lon, lat, radius)
    statuses = {s: 0 for s, _ in STATUS_WEIGHTS}
    vertices = 0
    discs = 0
    hz_path = os.path.join(a.out, "hazards.geojson")
    with open(hz_path, "w", newline="\n") as out:
        out.write('{"type":"FeatureCollection","features":[\n')
        for hid in range(1, n_hz + 1):
            lon, lat = place_hazard(rng, lines, line_cum)
            status = weighted(rng, STATUS_WEIGHTS)
            statuses[status] += 1
            if rng.random() < POINT_HAZARD_SHARE:
                radius = weighted(rng, POINT_RADII_M)
                lon, lat = round(lon, 7), round(lat, 7)
                shapes.append(("disc", lon, lat, radius))
                discs += 1
                props = '{"id":%d,"status":"%s","radius":%d}' % (hid, status, radius)
                geom = '{"type":"Point","coordinates":[%.7f,%.7f]}' % (lon, lat)
            else:
                ring = polygon_ring(rng, lon, lat)
                shapes.append(("ring", ring))
                vertices += len(ring) - 1
                props = '{"id":%d,"status":"%s"}' % (hid, status)
                geom = '{"type":"Polygon","coordinates":[[%s]]}' % ",".join("[%.7f,%.7f]" % v for v in ring)
            sep = "," if hid < n_hz else ""
            out.write('{"type":"Feature","properties":%s,"geometry":%s}%s\n' % (props, geom, sep))
        out.write("]}\n")

    pts_path = os.path.join(a.out, "points.csv")
    near = 0
    with open(pts_path, "w", newline="\n") as out:
        out.write("id,lon,lat\n")
        chunk = []
        for pid in range(1, n_pts + 1):
            if rng.random() < NEAR_SHARE:
                near += 1
                shape = shapes[rng.randrange(n_hz)]
                if shape[0] == "ring":
                    lon, lat = near_polygon(rng, shape[1])
                else:
                    lon, lat = near_disc(rng, shape[1], shape[2], shape[3])
            else:
                lon, lat = rng.uniform(BOX[0], BOX[2]), rng.uniform(BOX[1], BOX[3])
            chunk.append("%d,%.7f,%.7f\n" % (pid, lon, lat))
            if len(chunk) == 50_000:
                out.write("".join(chunk))
                chunk = []
        out.write("".join(chunk))

    meta = {
        "generator": "bench/gen_workload.py (demine)",
        "version": VERSION,
        "note": "own generator after the reference kit's definition; not byte-identical to the kit's files",
        "seed": a.seed,
        "preset": a.preset,
        "hazards": n_hz,
        "polygons": n_hz - discs,
        "point_hazards": discs,
        "hazard_vertices_total": vertices,
        "status_count": statuses,
        "points": n_pts,
        "near_points": near,
        "front_lines": len(lines),
        "bbox": list(BOX),
        "sha256": {"hazards.geojson": sha256(hz_path), "points.csv": sha256(pts_path)},
        "python": sys.version.split()[0],
        "seconds": round(time.time() - began, 2),
    }
    with open(os.path.join(a.out, "workload.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    print(json.dumps(meta, indent=2))


if __name__ == "__main__":
    main()
