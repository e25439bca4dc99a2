#!/usr/bin/env python3
"""Writes BENCHMARKS.md from the logs that bench/run leaves in DATA_ROOT/<preset>/logs.

Standard library only. Every figure in the tables was measured in the run that wrote them, on
the workload of bench/gen_workload.py; anchors skipped in a run are shown as not run. The
reference kit's recorded figures (on the kit's own workload, which is not ours byte for byte)
are copied into a separate table for scale, as figures only; no ratio is taken from them.
"""
import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import time

# Recorded figures of the reference kit (measured 2026-11-21 on a 2-core AMD EPYC KVM guest, on
# the kit's own workload with seed 1): (load s, query s median) per preset and anchor.
KIT_RECORDED = {
    "small": {
        "shapely_dwithin": (0.76, 0.253),
        "shapely_dwithin_t2": (0.68, 0.155),
        "postgis_geog_p0": (1.15, 1.445),
        "postgis_geog_p2": (1.15, 0.601),
        "postgis_utm_p0": (1.15, 1.523),
        "postgis_utm_p2": (1.15, 0.705),
    },
    "large": {
        "shapely_dwithin": (18.2, 25.71),
        "shapely_dwithin_t2": (15.3, 11.71),
        "postgis_geog_p0": (17.3, 120.30),
        "postgis_geog_p2": (17.3, 55.24),
        "postgis_utm_p0": (16.2, 58.03),
        "postgis_utm_p2": (16.2, 30.74),
    },
}
KIT_SIZES = {"small": "10,000 polygons, 7,454 not cleared; 100,000 points",
             "large": "200,000 polygons, 150,259 not cleared; 2,000,000 points"}
LABELS = {
    "shapely_dwithin": "shapely STRtree dwithin, UTM, 1 thread",
    "shapely_dwithin_t2": "shapely STRtree dwithin, UTM, 2 threads",
    "postgis_geog_p0": "PostGIS geography ST_DWithin, p0",
    "postgis_geog_p2": "PostGIS geography ST_DWithin, p2",
    "postgis_utm_p0": "PostGIS UTM 32648 ST_DWithin, p0",
    "postgis_utm_p2": "PostGIS UTM 32648 ST_DWithin, p2",
}


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""


def result_jsons(path):
    out = {}
    if not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            if line.startswith("RESULT_JSON "):
                r = json.loads(line[len("RESULT_JSON "):])
                out[r["anchor"]] = r
    return out


def checks(path):
    """{ids file name: (flagged, false negatives, false positives, verdict)}"""
    out = {}
    if not os.path.exists(path):
        return out
    name = None
    cur = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("== "):
                name = line[3:].strip()
                cur = out.setdefault(name, {})
            elif name is None:
                continue
            elif line.startswith("flagged:"):
                cur["flagged"] = int(line.split()[1])
            elif line.startswith("false negatives:"):
                cur["fn"] = int(line.split()[2])
            elif line.startswith("false positives:"):
                cur["fp"] = int(line.split()[2])
            elif line.strip() in ("PASS", "FAIL"):
                cur["verdict"] = line.strip()
    return out


def demine_runs(path):
    runs = []
    if not os.path.exists(path):
        return runs
    with open(path) as f:
        for line in f:
            parts = line.strip().split(" ", 2)
            if len(parts) < 2:
                continue
            phases = {}
            if len(parts) == 3:
                for item in parts[2].split(";"):
                    m = re.match(r"([a-z ]+): ([0-9.]+) s", item.strip())
                    if m:
                        phases[m.group(1)] = float(m.group(2))
            runs.append({"wall": float(parts[0]), "rss_kb": int(parts[1]), "phases": phases})
    return runs


def read(path, default=""):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return default


def fmt_s(v):
    return "-" if v is None else (f"{v:.3f}" if v < 10 else f"{v:.2f}")


MODE_LABELS = {
    "nearest": "demine check --points --hazards FILE (nearest)",
    "ids": "demine check --points --hazards FILE (ids)",
    "store": "demine check --points, index from the SQLite store (ids)",
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-root", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--par-list", default="0 2", help="the PostGIS parallel workers bench/run timed")
    ap.add_argument("--bin", required=True)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--demine-repeat", type=int, default=5)
    ap.add_argument("--out", required=True)
    ap.add_argument("presets", nargs="+")
    a = ap.parse_args()

    cpu = ""
    for line in read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = ""
    for line in read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal"):
            mem = f"{int(line.split()[1]) / 1048576:.1f} GiB"
    L = []
    w = L.append
    w("# Benchmarks: the safety check")
    w("")
    w("Written by `bench/run` (do not edit by hand; run it again). The query: for every point, is the")
    w("geodesic (WGS84) distance to the nearest hazard whose status is not `cleared` at most 100 m")
    w("(inside = 0 m; a point hazard is a disc of its radius)? The workload, the exact answer, the")
    w("checker and the anchors are the repository's own scripts in `bench/` (see `bench/README.md`);")
    w("every figure below was measured in the run that wrote this file, on that workload.")
    w("")
    w("## Machine and versions")
    w("")
    w(f"- CPU: {cpu or platform.processor()}; `nproc` = {os.cpu_count()}; memory {mem}")
    w(f"- OS: {read('/etc/os-release').splitlines()[0] if read('/etc/os-release') else platform.system()}"
      f" (Debian {read('/etc/debian_version', '?')}), kernel {platform.release()}")
    w(f"- Rust: `{sh('rustc -V')}`; demine: `{sh(a.bin + ' --version')}` (release profile: thin LTO)")
    w(f"- Python {platform.python_version()}")
    w("")
    w("The machine is shared: other builds may have been running. The load average before and after")
    w("each preset is shown; figures taken under load are slower than on an idle machine. An anchor")
    w("skipped in a run is shown as not run.")
    w("")
    w("## Commands")
    w("")
    w("```sh")
    w(f"bench/run {' '.join(a.presets)}        # REPEAT={a.repeat} DEMINE_REPEAT={a.demine_repeat} SEED={a.seed} PAR_LIST=\"{a.par_list}\"")
    w("# which runs, per preset (DATA=$DATA_ROOT/<preset>, DATA_ROOT=bench/data by default):")
    w(f"bench/gen_workload.py --preset <preset> --seed {a.seed} --out $DATA")
    w("bench/reference.py $DATA")
    w(f"bench/anchor_shapely.py $DATA --repeat {a.repeat} [--threads 2]")
    w(f"REPEAT={a.repeat} PAR_LIST=\"{a.par_list}\" bench/anchor_postgis.sh $DATA      # unless SKIP_PG=1")
    w("/usr/bin/time -v target/release/demine check --hazards $DATA/hazards.geojson \\")
    w("    --points $DATA/points.csv --within 100 --timings [--ids-only] > $DATA/results/demine_<mode>.csv")
    w("/usr/bin/time -v target/release/demine --db $DATA/demine-store.db hazards import $DATA/hazards.geojson")
    w("/usr/bin/time -v target/release/demine --db $DATA/demine-store.db check \\")
    w("    --points $DATA/points.csv --within 100 --timings --ids-only > $DATA/results/demine_store.csv")
    w("bench/check.py $DATA/results/<each>.ids --data $DATA")
    w("bench/store_checks.sh $DATA      # the store's single-point and batch checks (hyperfine)")
    w("```")
    w("")
    w("demine's figure is the **whole process**, wall clock from start to exit: reading and parsing")
    w("hazards.geojson, validating every feature, building the index, reading points.csv, the check on")
    w("every core, and writing the answer. Three modes: `nearest` writes `id,hazard_id,distance_m`")
    w("for every flagged point (the nearest hazard and its distance); `ids` (`--ids-only`) writes only")
    w("the ids and stops at the first hazard found; `store` is `ids` with the index built from the")
    w("SQLite store that `demine hazards import` filled (one query, WKB decoded on every core), as the")
    w("program runs by default. The anchors' figures are their **query alone**")
    w("(loading excluded; see bench/README.md for what each phase holds). demine's CPU time (user + system, all threads) is")
    w("shown too: unlike the wall clock it hardly depends on what else the machine is doing, and on two")
    w("free cores the wall clock comes close to half of it.")
    w("")
    summary = []
    for p in a.presets:
        d = os.path.join(a.data_root, p)
        logs = os.path.join(d, "logs")
        wl = json.loads(read(os.path.join(d, "workload.json"), "{}") or "{}")
        ref = json.loads(read(os.path.join(d, "reference", "summary.json"), "{}") or "{}")
        w(f"## {p}")
        w("")
        if wl:
            sc = wl.get("status_count", {})
            active = sum(v for k, v in sc.items() if k != "cleared")
            w(f"- Input (seed {wl.get('seed')}): {wl.get('hazards', 0):,} hazards ({active:,} not cleared; "
              f"{wl.get('polygons', 0):,} polygons with {wl.get('hazard_vertices_total', 0):,} vertices, "
              f"{wl.get('point_hazards', 0):,} point hazards with a radius), {wl.get('points', 0):,} points "
              f"({wl.get('near_points', 0):,} placed near a hazard); "
              f"hazards.geojson {os.path.getsize(os.path.join(d, 'hazards.geojson')) / 1e6:.1f} MB, "
              f"points.csv {os.path.getsize(os.path.join(d, 'points.csv')) / 1e6:.1f} MB")
            w(f"- SHA-256 hazards.geojson `{wl['sha256']['hazards.geojson']}`, "
              f"points.csv `{wl['sha256']['points.csv']}`")
        if ref:
            w(f"- Reference (bench/reference.py, {ref.get('seconds', {}).get('total', '?')} s): "
              f"{ref.get('inside_active_hazard', 0):,} points inside an active hazard, "
              f"{ref.get('must_flag', 0):,} must be flagged (d <= 99.5 m), {ref.get('band', 0):,} in the band "
              f"(99.5 < d <= 100.5 m, either answer), {ref.get('flagged_exact', 0):,} at d <= 100 m "
              f"(SHA-256 `{ref.get('sha256_flagged_exact', '?')}`); {ref.get('refined_with_geodesics', 0):,} "
              f"close calls refined with Karney geodesics"
              + (f"; {ref['verify']['points']} close calls recomputed with PROJ aeqd, largest difference "
                 f"{ref['verify'].get('max_abs_diff_m', 0) * 1000:.2f} mm" if ref.get("verify") else ""))
        w(f"- Load average before: `{read(os.path.join(logs, 'load_before.txt'))}`")
        w(f"- Load average after: `{read(os.path.join(logs, 'load_after.txt'))}`")
        nd = re.search(r"(\d+) of (\d+) point\(s\) have no hazard data", read(os.path.join(logs, "demine_ids.err")))
        if nd:
            w(f"- demine: {int(nd.group(1)):,} of {int(nd.group(2)):,} points lie outside the box the file's areas "
              "cover (widened by 100 m) and are answered \"no data\", not flagged and not safe; the reference "
              "flags none of them either (the checker would count a flagged one as missed)")
        idx = read(os.path.join(logs, "demine_index.txt"))
        if idx:
            w(f"- demine {idx}")
        sc = read(os.path.join(logs, "store_checks.md"))
        if sc:
            w("")
            L.extend(sc.splitlines())
        w("")
        chk = checks(os.path.join(logs, "check.log"))
        anchors = {}
        when = {}
        for log in ("shapely_t1.log", "shapely_t2.log", "postgis.log"):
            path = os.path.join(logs, log)
            got = result_jsons(path)
            anchors.update(got)
            for k in got:
                when[k] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(os.path.getmtime(path)))
        w("| system | load s | query s (median) | whole process s (median) | peak RSS MiB | flagged | false neg. | false pos. | check | source |")
        w("|---|---|---|---|---|---|---|---|---|---|")
        measured = {}
        for key, label in LABELS.items():
            r = anchors.get(key)
            c = chk.get(f"{key}.ids", {})
            if r:
                q = r.get("query_s", r.get("query_s_median"))
                measured[key] = q
                w(f"| {label} | {fmt_s(r.get('load_s'))} | {fmt_s(q)} | - | - | {r.get('flagged', '-'):,} | "
                  f"{c.get('fn', '-')} | {c.get('fp', '-')} | {c.get('verdict', '-')} | measured here ({when.get(key, '?')}) |")
            else:
                w(f"| {label} | - | - | - | - | - | - | - | - | not run |")
        t1 = anchors.get("shapely_dwithin", {}).get("query_s")
        t2 = anchors.get("shapely_dwithin_t2", {}).get("query_s")
        notes = []
        if t1 and t2 and t2 >= t1 * 0.8:
            notes.append(f"Note: shapely with 2 threads ({fmt_s(t2)} s) was not clearly faster than with 1 ({fmt_s(t1)} s),")
            notes.append("so it did not get two cores to itself: the machine was busy while it ran. The recorded")
            notes.append("figures of the reference kit at the end show the gap on a quiet machine.")
            notes.append("")
        dm = {}
        for mode in ("nearest", "ids", "store"):
            runs = demine_runs(os.path.join(logs, f"demine_{mode}.runs"))
            if not runs:
                continue
            wall = statistics.median(r["wall"] for r in runs)
            rss = max(r["rss_kb"] for r in runs) / 1024
            c = chk.get(f"demine_{mode}.ids", {})
            dm[mode] = (wall, rss, c)
            stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(os.path.getmtime(os.path.join(logs, f"demine_{mode}.runs"))))
            cpus = [r["phases"]["cpu"] for r in runs if "cpu" in r["phases"]]
            cpu_note = f"; CPU user+sys {statistics.median(cpus):.2f} s" if cpus else ""
            w(f"| **{MODE_LABELS[mode]}**, {os.cpu_count()} threads | - | - | **{fmt_s(wall)}** "
              f"(min {fmt_s(min(r['wall'] for r in runs))}{cpu_note}; all: {' '.join(fmt_s(r['wall']) for r in runs)}) | {rss:.0f} | {c.get('flagged', '-'):,} | "
              f"{c.get('fn', '-')} | {c.get('fp', '-')} | {c.get('verdict', '-')} | measured here ({stamp}) |")
        w("")
        # Only for runs long enough that the parallel check dominates (small runs are mostly parsing).
        busy = [m for m, (wall, _, _) in dm.items()
                if wall >= 1.0 and any("cpu" in r["phases"] for r in demine_runs(os.path.join(logs, f"demine_{m}.runs")))
                and statistics.median(r["phases"]["cpu"] for r in demine_runs(os.path.join(logs, f"demine_{m}.runs"))
                                      if "cpu" in r["phases"]) >= 0.85 * wall]
        if busy:
            notes.append(f"demine's CPU time (user + system) was close to its wall time ({', '.join(busy)}): "
                         "it too had about one core of the two, so every system here ran on a shared machine.")
            notes.append("")
        L.extend(notes)
        imports = demine_runs(os.path.join(logs, "demine_import.runs"))
        if imports:
            iw = statistics.median(r["wall"] for r in imports)
            irss = max(r["rss_kb"] for r in imports) / 1024
            line = (f"demine hazards import of hazards.geojson into a fresh SQLite store (whole process, every "
                    f"feature validated, one transaction): **{fmt_s(iw)} s** median of {len(imports)} "
                    f"(all: {' '.join(fmt_s(r['wall']) for r in imports)}), peak RSS {irss:.0f} MiB (goal on large: under 30 s)")
            w("- " + line)
            w("")
            summary.append(f"- {p}: " + line)
        for mode, (wall, rss, c) in dm.items():
            runs = demine_runs(os.path.join(logs, f"demine_{mode}.runs"))
            ph = {}
            for r in runs:
                for k, v in r["phases"].items():
                    ph.setdefault(k, []).append(v)
            if ph:
                w(f"demine ({mode}) phases, median over runs (wall-clock laps, seconds): "
                  + ", ".join(f"{k} {statistics.median(v):.3f}" for k, v in ph.items() if k != "cpu"))
                w("")
        # Ratios.
        pg_keys = [k for k in LABELS if k.startswith("postgis")]
        def best(src, keys):
            vals = [(src[k], k) for k in keys if src.get(k) is not None]
            return min(vals) if vals else None
        for mode, (wall, rss, c) in dm.items():
            for src_name, src in (("measured in this run", measured),):
                pg = best(src, pg_keys)
                sp = src.get("shapely_dwithin_t2")
                if pg is None and sp is None:
                    continue
                parts = []
                if pg:
                    parts.append(f"fastest PostGIS query alone ({LABELS[pg[1]]}, {fmt_s(pg[0])} s) / demine = "
                                 f"**{pg[0] / wall:.1f}x** (goal 10x)")
                if sp:
                    parts.append(f"shapely 2 threads' query alone ({fmt_s(sp)} s) / demine = "
                                 f"**{sp / wall:.1f}x** (goal 2x)")
                line = f"- demine ({mode}, whole process {fmt_s(wall)} s) vs anchors {src_name}: " + "; ".join(parts)
                w(line)
                summary.append(f"- {p}: " + line[2:])
            w(f"- demine ({mode}): peak RSS {rss:.0f} MiB (goal: index under 1 GiB); checker: "
              f"{c.get('fn', '?')} false negatives, {c.get('fp', '?')} false positives ({c.get('verdict', '?')})")
        w("")
        pv = read(os.path.join(logs, "postgis.log"))
        vers = [l for l in pv.splitlines() if l.startswith(("PostgreSQL", "POSTGIS", "GDAL"))]
        if vers:
            w("PostGIS versions: " + "; ".join(f"`{v[:160]}`" for v in vers))
            w("")
        sv = anchors.get("shapely_dwithin", {}).get("versions")
        if sv:
            w("shapely run versions: " + ", ".join(f"{k} {v}" for k, v in sv.items()))
            w("")
    w("## Summary")
    w("")
    L.extend(summary)
    w("")
    w("## Recorded figures of the reference kit")
    w("")
    w("Recorded figures of the reference kit, copied as figures for scale: its anchors' load and")
    w("query times (median of 3) on its own workload (polygons only; same definition, not the same")
    w("bytes as ours), measured on 2026-11-21 on a 2-core AMD EPYC KVM guest with no other load.")
    w("No ratio above uses them.")
    w("")
    w("| preset | anchor | load s | query s |")
    w("|---|---|---|---|")
    for p, rows in KIT_RECORDED.items():
        for key, (lo, q) in rows.items():
            w(f"| {p} ({KIT_SIZES[p]}) | {LABELS[key]} | {fmt_s(lo)} | {fmt_s(q)} |")
    w("")
    with open(a.out, "w") as f:
        f.write("\n".join(L) + "\n")


if __name__ == "__main__":
    main()
