#!/usr/bin/env bash
# A quick test of bench/'s own scripts on a tiny workload (seconds, no PostGIS, no root):
# the generator is deterministic, the reference agrees with shapely in UTM within the band, the
# checker passes the reference's own answer and fails an answer with a point missing or one too
# many, and (when the release binary is built) demine's answer passes.
# usage: bench/selftest.sh        exit 0 when every test passes
set -euo pipefail
B=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$B")
T=$(mktemp -d /tmp/demine-bench-selftest.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "selftest: FAIL: $*" >&2; exit 1; }

python3 "$B/gen_workload.py" --hazards 300 --points 5000 --seed 7 --out "$T/a" >/dev/null
python3 "$B/gen_workload.py" --hazards 300 --points 5000 --seed 7 --out "$T/b" >/dev/null
python3 "$B/gen_workload.py" --hazards 300 --points 5000 --seed 8 --out "$T/c" >/dev/null
cmp -s "$T/a/hazards.geojson" "$T/b/hazards.geojson" && cmp -s "$T/a/points.csv" "$T/b/points.csv" ||
  fail "the same seed gave different files"
cmp -s "$T/a/points.csv" "$T/c/points.csv" && fail "another seed gave the same points"
grep -q '"type":"Point"' "$T/a/hazards.geojson" || fail "no point hazard in the workload"
if grep '"type":"Point"' "$T/a/hazards.geojson" | grep -qv '"radius":'; then
  fail "a point hazard without a radius"
fi

python3 "$B/reference.py" "$T/a" --verify 50 >"$T/ref.log"
python3 - "$T/a/reference/summary.json" <<'EOF' || fail "reference cross-check"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["flagged_exact"] > 0 and s["must_flag"] <= s["flagged_exact"], s
v = s["verify"]
assert v["points"] > 0 and v["max_abs_diff_m"] < 0.01, v
EOF

A=$T/a/results
mkdir -p "$A"
python3 "$B/check.py" "$T/a/reference/flagged_exact.ids" --data "$T/a" >/dev/null ||
  fail "the reference's own answer did not pass"
tail -n +2 "$T/a/reference/flagged_exact.ids" >"$A/missing.ids"
python3 "$B/check.py" "$A/missing.ids" >/dev/null && fail "an answer missing a point passed"
missed=$(python3 "$B/check.py" "$A/missing.ids" | awk '/^false negatives:/{print $3}' || true)
[ "$missed" = 1 ] || fail "expected 1 false negative, got $missed"
far=$(python3 - "$T/a" <<'EOF'
import sys
flagged = set(open(sys.argv[1] + "/reference/flagged_exact.ids").read().split())
near = {l.split(",")[0] for l in open(sys.argv[1] + "/reference/near.csv").read().split()[1:]}
print(next(str(i) for i in range(1, 5001) if str(i) not in flagged and str(i) not in near))
EOF
)
{ cat "$T/a/reference/flagged_exact.ids"; echo "$far"; } >"$A/extra.ids"
python3 "$B/check.py" "$A/extra.ids" >/dev/null && fail "an answer with a far point flagged passed"
echo "12x" >"$A/bad.ids"
set +e
python3 "$B/check.py" "$A/bad.ids" >/dev/null 2>&1
rc=$?
set -e
[ "$rc" = 2 ] || fail "an unreadable answer gave exit $rc, not 2"

python3 "$B/anchor_shapely.py" "$T/a" --repeat 1 >/dev/null
python3 "$B/check.py" "$A/shapely_dwithin.ids" >/dev/null || fail "the shapely anchor did not pass"

BIN=$ROOT/target/release/demine
if [ -x "$BIN" ]; then
  set +e
  "$BIN" check --hazards "$T/a/hazards.geojson" --points "$T/a/points.csv" --within 100 >"$A/demine.csv" 2>"$T/demine.err"
  rc=$?
  set -e
  [ "$rc" = 3 ] || fail "demine check exited $rc: $(head -3 "$T/demine.err")"
  grep -v ',no-data,' "$A/demine.csv" | cut -d, -f1 >"$A/demine.ids"
  python3 "$B/check.py" "$A/demine.ids" >/dev/null || fail "demine's answer did not pass"
  "$BIN" --db "$T/s.db" hazards import "$T/a/hazards.geojson" >/dev/null 2>"$T/import.err" ||
    fail "demine hazards import refused the workload: $(head -3 "$T/import.err")"
else
  echo "selftest: no release binary at $BIN; demine's part skipped" >&2
fi
echo "selftest: PASS"
