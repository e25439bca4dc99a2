#!/usr/bin/env bash
# The store's checks as a whole process (issue 11): a single-point check (two places: one inside
# hazards, one safe) and the batch check of points.csv, both against the SQLite store filled from
# the workload's hazards.geojson, timed with hyperfine. Writes a Markdown section to
# DIR/logs/store_checks.md (bench/report.py copies it into BENCHMARKS.md).
#
# usage: bench/store_checks.sh [DIR]       DIR holds hazards.geojson and points.csv (a preset's);
#                                         default $DATA_ROOT/large, DATA_ROOT as bench/run
#                                         (default bench/data)
# env:   BIN=FILE     the demine binary (default: target/release/demine of this repository)
#        RUNS=N       hyperfine runs for the single-point checks (default: 30)
#        BATCH_RUNS=N hyperfine runs for the batch check (default: 5)
# The store is DIR/demine-store.db, imported first when missing (the import also writes the
# packed index the batch check reads). Nothing outside the repository and DIR is read.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA_ROOT=${DATA_ROOT:-$ROOT/bench/data}
DATA=$(cd "${1:-$DATA_ROOT/large}" && pwd)
BIN=${BIN:-$ROOT/target/release/demine}
RUNS=${RUNS:-30}
BATCH_RUNS=${BATCH_RUNS:-5}
command -v hyperfine >/dev/null || { echo "bench/store_checks.sh: needs hyperfine" >&2; exit 2; }
[ -x "$BIN" ] || { echo "bench/store_checks.sh: no demine binary at $BIN (cargo build --release -p demine-cli)" >&2; exit 2; }
DB=$DATA/demine-store.db
LOGS=$DATA/logs
mkdir -p "$LOGS"
if [ ! -f "$DB" ]; then
  echo "== importing $DATA/hazards.geojson into $DB" >&2
  "$BIN" --db "$DB" hazards import "$DATA/hazards.geojson" >"$LOGS/store_checks_import.out"
fi
areas=$(python3 - "$DB" <<'PY'
import sqlite3, sys
c = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
print(c.execute("SELECT COUNT(*) FROM hazard_areas").fetchone()[0])
PY
)
points=$(($(wc -l <"$DATA/points.csv") - 1))
# One place inside hazards (the first area's benchmark-free centre: the first point flagged by the
# batch check is used when there is one) and one far from any (south of the workload's box).
"$BIN" --db "$DB" check --points "$DATA/points.csv" --ids-only >"$LOGS/store_checks_batch.out" 2>/dev/null || true
first=$(head -1 "$LOGS/store_checks_batch.out" | cut -d, -f1)
hazard_place=$(awk -F, -v id="$first" 'NR > 1 && $1 == id { print $2, $3; exit }' "$DATA/points.csv")
read -r HLON HLAT <<<"$hazard_place"
SLON=105.0
SLAT=10.45
# hyperfine ignores the exit codes (3 is a hazard, 0 safe, 4 no data); anything else is a failure.
for place in "$HLON $HLAT" "$SLON $SLAT"; do
  read -r lon lat <<<"$place"
  rc=0
  "$BIN" --db "$DB" check --lon "$lon" --lat "$lat" >/dev/null || rc=$?
  case $rc in 0 | 3 | 4) ;; *) echo "bench/store_checks.sh: check at $place failed (exit $rc)" >&2; exit 1 ;; esac
done
cd "$LOGS"
hyperfine -N -i -w 3 -r "$RUNS" --export-json store_checks_point.json \
  "$BIN --db $DB check --lon $HLON --lat $HLAT" \
  "$BIN --db $DB check --lon $SLON --lat $SLAT" >store_checks_point.txt 2>&1
hyperfine -N -i -w 1 -r "$BATCH_RUNS" --export-json store_checks_batch.json \
  "$BIN --db $DB check --points $DATA/points.csv --ids-only" >store_checks_batch.txt 2>&1
python3 - "$areas" "$points" "$HLON" "$HLAT" "$SLON" "$SLAT" "$RUNS" "$BATCH_RUNS" <<'PY' >store_checks.md
import json, sys
areas, points, hlon, hlat, slon, slat, runs, batch_runs = sys.argv[1:]
def res(f):
    return json.load(open(f))["results"]
pt = res("store_checks_point.json")
bt = res("store_checks_batch.json")
load = open("/proc/loadavg").read().split()[:3]
def row(r, what):
    return (f"| {what} | {r['mean'] * 1000:.1f} | {r['median'] * 1000:.1f} | {r['min'] * 1000:.1f} | "
            f"{r['max'] * 1000:.1f} | {r['user'] * 1000:.1f} + {r['system'] * 1000:.1f} |")
print("### The store's checks, whole process (bench/store_checks.sh)")
print()
print(f"Against the SQLite store of {int(areas):,} areas imported from this preset's hazards.geojson;"
      f" hyperfine, {runs} runs per place (3 warm-up) and {batch_runs} for the batch; load average"
      f" after: {' '.join(load)}. Goals: a single point under 30 ms, the batch under 1 s.")
print()
print("```sh")
print("demine --db $DATA/demine-store.db check --lon LON --lat LAT")
print("demine --db $DATA/demine-store.db check --points $DATA/points.csv --ids-only")
print("```")
print()
print("| check | mean ms | median ms | min ms | max ms | CPU user + sys ms |")
print("|---|---|---|---|---|---|")
print(row(pt[0], f"one point inside hazards ({hlon}, {hlat}): reads only the areas near it"))
print(row(pt[1], f"one point far from any ({slon}, {slat})"))
print(row(bt[0], f"batch of {int(points):,} points (index from the packed index)"))
PY
cat store_checks.md
