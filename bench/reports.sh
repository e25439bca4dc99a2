#!/usr/bin/env bash
# The report benchmark: `demine report` as whole processes on the large preset's store with
# 1,000,000 land release activities over 30 States added (bench/gen_activities.py).
#
#   bench/reports.sh            # after bench/run large (or with DATA_ROOT/large/demine-store.db)
#
# Settings: DATA_ROOT (default bench/data, as for bench/run), AS_OF (2025-06-30), RUNS (10),
# ACTIVITIES (1000000). Needs hyperfine and a release build (cargo build --release -p demine-cli).
# Writes DATA_ROOT/reports/hyperfine.json and .md; nothing goes into the repository.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
DATA_ROOT=${DATA_ROOT:-$here/data}
AS_OF=${AS_OF:-2025-06-30}
RUNS=${RUNS:-10}
ACTIVITIES=${ACTIVITIES:-1000000}
src=$DATA_ROOT/large/demine-store.db
dir=$DATA_ROOT/reports
db=$dir/demine-store.db
bin=$root/target/release/demine
[ -f "$src" ] || { echo "no $src: run bench/run large first" >&2; exit 1; }
[ -x "$bin" ] || { echo "no $bin: cargo build --release -p demine-cli" >&2; exit 1; }
mkdir -p "$dir"
if [ ! -f "$db" ]; then
  python3 "$here/gen_activities.py" "$src" "$db" --activities "$ACTIVITIES"
fi
sqlite3 "$db" "SELECT 'areas', COUNT(*), COUNT(DISTINCT iso3) FROM hazard_areas;
               SELECT 'activities', COUNT(*) FROM release_activities;
               SELECT 'device finds', COUNT(*) FROM device_finds;"
out=$dir/out
mkdir -p "$out"
hyperfine --warmup 1 --runs "$RUNS" --export-json "$dir/hyperfine.json" \
  --export-markdown "$dir/hyperfine.md" \
  -n "world json" "$bin --db $db report world --as-of $AS_OF --format json -o $out/world.json" \
  -n "country json (KHM)" "$bin --db $db report country KHM --as-of $AS_OF --format json -o $out/khm.json" \
  -n "country html (KHM)" "$bin --db $db report country KHM --as-of $AS_OF --format html -o $out/khm.html" \
  -n "country pdf (KHM)" "$bin --db $db report country KHM --as-of $AS_OF --format pdf -o $out/khm.pdf" \
  -n "world pdf" "$bin --db $db report world --as-of $AS_OF --format pdf -o $out/world.pdf"
cat "$dir/hyperfine.md"
