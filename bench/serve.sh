#!/usr/bin/env bash
# The HTTP API's benchmark (not a test): `demine serve` on loopback over a workload's database.
#
#   bench/serve.sh [DATA]        DATA: a workload folder made by bench/run (demine-store.db and
#                                points.csv); default $DATA_ROOT/large, DATA_ROOT as bench/run
#                                (default bench/data).
# env: DURATION=30 (s, the point-check run)  CONNS=64  THREADS=2  SOAK=0 (s; 600 for the soak)
#      DEMINE=target/release/demine  PORT=18741
#
# 1. single-point checks: wrk, 64 connections, random places from the workload's points:
#    requests per second and latency percentiles (p50, p90, p99, max);
# 2. the batch check of the workload's points through the API (CSV body) against the CLI's
#    `demine check --points` on the same database, each timed whole;
# 3. with SOAK>0: a soak of mixed reads and writes (bench/serve/soak.lua) for SOAK seconds, the
#    server's resident memory sampled every 10 s, then SIGTERM: the server must exit 0, and after
#    a restart every field report answered 201 must be there (no committed write lost).
# Prints RESULT lines; copy them into BENCHMARKS.md ("HTTP API" section).
set -euo pipefail
B=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$B/.." && pwd)
DATA_ROOT=${DATA_ROOT:-$B/data}
DATA=${1:-$DATA_ROOT/large}
DEMINE=${DEMINE:-$ROOT/target/release/demine}
PORT=${PORT:-18741}
DURATION=${DURATION:-30}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
SOAK=${SOAK:-0}
[ -x "$DEMINE" ] || { echo "no $DEMINE: cargo build --release -p demine-cli" >&2; exit 2; }
[ -f "$DATA/demine-store.db" ] || { echo "no $DATA/demine-store.db: run bench/run first" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 2; }

WORK=$(mktemp -d)
SERVER=
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
# The server writes (accounts, reports): it works on a copy.
cp "$DATA/demine-store.db" "$WORK/db.db"
DB="$WORK/db.db"
URL="http://127.0.0.1:$PORT"

start() {
  "$DEMINE" --db "$DB" serve --listen "127.0.0.1:$PORT" --log warn >"$WORK/serve.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 300); do
    curl -sf "$URL/api/v1/health" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "the server did not start:" >&2; cat "$WORK/serve.log" >&2; exit 1
}
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$SERVER/status"; }

echo "machine: $(nproc) cores; $(wc -l <"$DATA/points.csv") lines in points.csv; areas: $DATA/demine-store.db"
printf 'soakpassword1\n' | "$DEMINE" --db "$DB" user add bench-editor --role editor --iso3 KHM --password-stdin >/dev/null
TOKEN=$("$DEMINE" --db "$DB" user token bench-editor --label bench 2>/dev/null)
start
# The first check builds the shared index (from the packed cache when current).
t0=$(date +%s.%N); curl -sf "$URL/api/v1/check?lon=104.91&lat=11.56" >/dev/null; t1=$(date +%s.%N)
echo "RESULT first_check_s=$(echo "$t1 - $t0" | bc)"

echo "== single-point check: wrk -t$THREADS -c$CONNS -d${DURATION}s"
POINTS="$DATA/points.csv" wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency \
  -s "$B/serve/point.lua" "$URL" | grep -E "RESULT|Requests/sec|Non-2xx|Socket errors" || true

echo "== batch check of points.csv: API vs CLI"
t0=$(date +%s.%N)
curl -sf -H 'content-type: text/csv' --data-binary @"$DATA/points.csv" \
  "$URL/api/v1/check/points?within=100&ids_only=true" -o "$WORK/api.json"
t1=$(date +%s.%N)
api_s=$(echo "$t1 - $t0" | bc)
kill -TERM "$SERVER"; wait "$SERVER" || true; SERVER=
t0=$(date +%s.%N)
"$DEMINE" --db "$DB" check --points "$DATA/points.csv" --within 100 --ids-only --json >"$WORK/cli.json" || true
t1=$(date +%s.%N)
cli_s=$(echo "$t1 - $t0" | bc)
same=$(python3 -c "import json,sys; a=json.load(open('$WORK/api.json')); c=json.load(open('$WORK/cli.json')); print(a['flagged']==c['flagged'] and a['checked']==c['checked'])")
echo "RESULT batch_api_s=$api_s batch_cli_s=$cli_s ratio=$(echo "scale=2; $api_s / $cli_s" | bc) same_answer=$same"

if [ "$SOAK" -gt 0 ]; then
  echo "== soak: ${SOAK}s of mixed reads and writes"
  start
  curl -sf "$URL/api/v1/check?lon=104.91&lat=11.56" >/dev/null
  ( while kill -0 "$SERVER" 2>/dev/null; do echo "$(date +%s) $(rss_kb)"; sleep 10; done ) >"$WORK/rss.log" &
  SAMPLER=$!
  TOKEN=$TOKEN wrk -t"$THREADS" -c16 -d"${SOAK}s" -s "$B/serve/soak.lua" "$URL" | tee "$WORK/soak.out" | grep -E "RESULT|WRITES|Non-2xx|Socket errors" || true
  kill -TERM "$SERVER"; set +e; wait "$SERVER"; code=$?; set -e; SERVER=
  kill "$SAMPLER" 2>/dev/null || true
  echo "RESULT sigterm_exit=$code"
  echo "RESULT rss_kb_samples=$(awk '{print $2}' "$WORK/rss.log" | tr '\n' ' ')"
  start
  stored=$(curl -sf -H "Authorization: Bearer $TOKEN" "$URL/api/v1/reports" | python3 -c "import json,sys; print(len(json.load(sys.stdin)['reports']))")
  written=$(awk '/^WRITES/ {print $2}' "$WORK/soak.out")
  echo "RESULT reports_answered_201=$written reports_stored_after_restart=$stored"
fi
