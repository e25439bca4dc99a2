#!/usr/bin/env python3
"""Adds land release to a copy of a benchmark store, for the report benchmark.

Copies SRC (a demine SQLite store, e.g. the large preset's demine-store.db with its 200,000
areas), files its areas under 30 States (round robin by id, with 40 admin areas each), and adds
N land release activities (default 1,000,000) spread over those areas and the years 2000-2024,
a third each non-technical survey, technical survey and clearance, with one device find in
every fifth clearance. Deterministic for the same --seed.

The rows go in with plain SQL, not through `demine release record`: the store's own path clips
each perimeter to what is still hazardous, which is what the release benchmark would measure;
this one measures the reports' aggregation, so the perimeters are one small square each and the
released areas are drawn at random (5-5,000 m2). Standard library only.

    python3 bench/gen_activities.py SRC.db DST.db [--activities N] [--seed S]
"""

import argparse
import random
import shutil
import sqlite3
import struct
import sys

STATES = [
    "AFG", "AGO", "BIH", "KHM", "COL", "HRV", "CYP", "COD", "ECU", "ERI",
    "ETH", "IRQ", "MRT", "NER", "NGA", "OMN", "PER", "SEN", "SRB", "SOM",
    "SDN", "SSD", "TJK", "THA", "TUR", "UKR", "YEM", "ZWE", "LKA", "PSE",
]
KINDS = ["non-technical-survey", "technical-survey", "clearance"]


def square_wkb(x, y, d=0.0005):
    ring = [(x, y), (x + d, y), (x + d, y + d), (x, y + d), (x, y)]
    out = struct.pack("<BII", 1, 3, 1) + struct.pack("<I", len(ring))
    for px, py in ring:
        out += struct.pack("<dd", px, py)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--activities", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=10)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    shutil.copyfile(a.src, a.dst)
    for ext in ("-wal", "-shm"):
        try:
            shutil.copyfile(a.src + ext, a.dst + ext)
        except FileNotFoundError:
            pass
    try:
        shutil.copyfile(a.src + ".audit-head", a.dst + ".audit-head")
    except FileNotFoundError:
        pass
    db = sqlite3.connect(a.dst)
    have = {r[0] for r in db.execute("SELECT iso3 FROM states")}
    missing = [s for s in STATES if s not in have]
    if missing:
        sys.exit(f"the store lacks the States {missing}: seed it first")
    ids = [r[0] for r in db.execute("SELECT id FROM hazard_areas ORDER BY id")]
    if not ids:
        sys.exit("the store holds no hazardous area")
    db.execute("BEGIN")
    db.executemany(
        "UPDATE hazard_areas SET iso3 = ?, admin_area = ? WHERE id = ?",
        ((STATES[i % 30], f"district {i % 40:02d}", i) for i in ids),
    )
    wkb = square_wkb(104.0, 12.0)
    next_id = (db.execute("SELECT COALESCE(MAX(id), 0) FROM release_activities").fetchone()[0]) + 1

    def rows():
        for k in range(a.activities):
            area = ids[rnd.randrange(len(ids))]
            kind = KINDS[k % 3]
            year = rnd.randint(2000, 2024)
            month = rnd.randint(1, 12)
            start = f"{year}-{month:02d}-01"
            end = f"{year}-{month:02d}-{rnd.randint(2, 28):02d}"
            m2 = rnd.uniform(5.0, 5000.0)
            depth = 20 if kind == "clearance" else None
            yield (next_id + k, area, kind, start, end, None, None, depth, wkb, m2, m2,
                   "2025-01-01T00:00:00.000Z", "bench")

    db.executemany(
        "INSERT INTO release_activities (id, area_id, kind, start_date, end_date, organisation, "
        "method, depth_cm, perimeter, perimeter_m2, released_m2, recorded_at, recorded_by) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows(),
    )
    db.execute(
        "INSERT INTO device_finds (activity_id, category, destroyed) "
        "SELECT id, 'ap-mine', end_date FROM release_activities "
        "WHERE kind = 'clearance' AND id % 5 = 0 AND recorded_by = 'bench'"
    )
    db.commit()
    n = db.execute("SELECT COUNT(*) FROM release_activities").fetchone()[0]
    f = db.execute("SELECT COUNT(*) FROM device_finds").fetchone()[0]
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    print(f"{a.dst}: {len(ids)} areas over {len(STATES)} States, {n} activities, {f} device finds")


if __name__ == "__main__":
    main()
