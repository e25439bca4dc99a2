#!/usr/bin/env bash
# Import speed: a preset's hazards GeoJSON (large: 150,000 areas) imported into a fresh embedded
# store by `demine hazards import`, beside the time GDAL's ogr2ogr takes only to parse the same
# file (converted to its in-memory driver), in the same run on the same machine.
# Usage: bench/import_speed.sh [PRESET] [REPEAT]   (default: large 3)
# Needs target/release/demine (cargo build --release) and ogr2ogr (gdal-bin); reads
# $DATA_ROOT/<preset>/hazards.geojson (default bench/data; made by bench/run or
# bench/gen_workload.py).
set -euo pipefail
cd "$(dirname "$0")/.."
B=bench
PRESET=${1:-large}
REPEAT=${2:-3}
# The repo's own bench/data (git-ignored), as bench/run makes it; DATA_ROOT=/elsewhere overrides.
DATA_ROOT=${DATA_ROOT:-$B/data}
FILE="$DATA_ROOT/$PRESET/hazards.geojson"
BIN=${DEMINE:-target/release/demine}
[ -f "$FILE" ] || { echo "no $FILE: run bench/run $PRESET first" >&2; exit 2; }
[ -x "$BIN" ] || { echo "no $BIN: cargo build --release first" >&2; exit 2; }
command -v ogr2ogr >/dev/null || { echo "ogr2ogr missing: apt-get install gdal-bin" >&2; exit 2; }
tmp=$(mktemp -d /tmp/demine-import-speed.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cat "$FILE" >/dev/null # the file in the page cache for every run alike
# A database with the bundled registry already loaded, so that only the import is timed.
"$BIN" --db "$tmp/seed.db" states >/dev/null
areas=$(grep -c '"type":"Feature"' "$FILE" || true)
echo "file: $FILE ($(du -h "$FILE" | cut -f1), $areas areas); $(nproc) cores"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
# Wall time, and CPU time (user + system, all threads): on a shared machine the wall time waits on
# other processes, the CPU time does not.
timed() { /usr/bin/time -f "%e %U %S" -o "$tmp/time" "$@" >/dev/null; read -r w u s <"$tmp/time"; \
  printf '%.2f s wall, %.2f s CPU' "$w" "$(echo "$u + $s" | bc)"; }
for i in $(seq "$REPEAT"); do
  rm -f "$tmp"/run.db*
  cp "$tmp/seed.db" "$tmp/run.db"
  d=$(timed "$BIN" --db "$tmp/run.db" --actor bench hazards import "$FILE")
  rm -rf "$tmp/ogr"
  g=$(timed ogr2ogr -f Memory "$tmp/ogr" "$FILE")
  echo "run $i: demine import $d; ogr2ogr parse $g"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
