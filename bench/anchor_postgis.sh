#!/usr/bin/env bash
# Anchor: the safety check in PostgreSQL 15 + PostGIS, as a GIS user would run it.
#
# usage: bench/anchor_postgis.sh DIR        (as root: it may apt-get install, and runs the
#                                            server as the `postgres` user through runuser)
# env:   MODES="geog utm"   geography (exact geodesic ST_DWithin) and/or UTM zone 48N (EPSG:32648)
#        PAR_LIST="0 2"     max_parallel_workers_per_gather values to time
#        REPEAT=3           query runs per variant; the median is reported
#        PG_PORT=54339      port of the throwaway cluster (127.0.0.1 only)
#
# A throwaway cluster is made in a fresh /tmp/demine-pgbench.* directory and removed on exit.
# Load: hazards.geojson is copied line by line into a text table and parsed in SQL
# (ST_GeomFromGeoJSON), then per mode a table of the active hazards' geography or UTM geometry
# (a point hazard as its buffered disc, 64 segments per quarter) with a partial GiST index
# (status <> 'cleared') and VACUUM ANALYZE; all of that is "load". points.csv is copied and turned
# into a point table of the same kind ("points load"). The query, timed with psql's \timing, is
#   CREATE TABLE flagged AS SELECT p.id FROM pts p
#     WHERE EXISTS (SELECT 1 FROM hz h WHERE h.status <> 'cleared' AND ST_DWithin(h.g, p.g, 100))
# Prints one RESULT_JSON line per variant and writes DIR/results/postgis_<mode>_p<N>.ids and the
# plan in postgis_<mode>_p<N>.explain.txt.
set -euo pipefail
DIR=$(realpath "${1:?usage: anchor_postgis.sh DIR}")
MODES=${MODES:-geog utm}
PAR_LIST=${PAR_LIST:-0 2}
REPEAT=${REPEAT:-3}
PORT=${PG_PORT:-54339}
D=100
[ -f "$DIR/hazards.geojson" ] && [ -f "$DIR/points.csv" ] ||
  { echo "anchor_postgis.sh: no hazards.geojson/points.csv in $DIR" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "anchor_postgis.sh: run as root (apt-get, runuser)" >&2; exit 2; }

PGBIN=/usr/lib/postgresql/15/bin
if [ ! -x "$PGBIN/initdb" ] || [ ! -f /usr/share/postgresql/15/extension/postgis.control ]; then
  echo "anchor_postgis.sh: installing PostgreSQL 15 and PostGIS 3 from Debian" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    postgresql-15 postgresql-15-postgis-3 postgresql-15-postgis-3-scripts >&2
fi
id postgres >/dev/null 2>&1 || { echo "anchor_postgis.sh: no postgres user" >&2; exit 2; }

WORK=$(mktemp -d /tmp/demine-pgbench.XXXXXX)
chown postgres "$WORK"
chmod 700 "$WORK"
as_pg() { runuser -u postgres -- "$@"; }
stop() {
  as_pg "$PGBIN/pg_ctl" -D "$WORK/db" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap stop EXIT

as_pg "$PGBIN/initdb" -D "$WORK/db" -U postgres -A trust -E UTF8 >/dev/null
cat >>"$WORK/db/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$WORK'
shared_buffers = 2GB
work_mem = 256MB
maintenance_work_mem = 1GB
effective_cache_size = 8GB
random_page_cost = 1.1
jit = off
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
autovacuum = off
max_worker_processes = 8
max_parallel_workers = 4
EOF
as_pg "$PGBIN/pg_ctl" -D "$WORK/db" -l "$WORK/server.log" -w start >/dev/null

export PGOPTIONS='-c client_min_messages=warning'
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h "$WORK" -p "$PORT" -U postgres -d postgres)
sql() { as_pg "${PSQL[@]}" "$@"; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", b-a}'; }
# Runs SQL under \timing and prints the statements' total time in seconds.
timed() {
  sql -c '\timing on' -c "$1" | awk '/^Time: /{s+=$2} END{printf "%.3f", s/1000}'
}

sql -c 'CREATE EXTENSION postgis'
sql -At -c 'SELECT version()'
sql -At -c 'SELECT postgis_full_version()' | sed 's/^/POSTGIS /'

# The hazards file as text (one Feature per line, no tabs or backslashes in it), parsed in SQL.
t0=$(now)
sql -c 'CREATE UNLOGGED TABLE raw (line text)'
sql -c "\\copy raw FROM '$DIR/hazards.geojson'"
sql -c "CREATE UNLOGGED TABLE hz0 AS
  SELECT (j->'properties'->>'id')::bigint AS id, j->'properties'->>'status' AS status,
         (j->'properties'->>'radius')::float8 AS radius,
         ST_SetSRID(ST_GeomFromGeoJSON(j->'geometry'), 4326) AS geom
  FROM (SELECT rtrim(line, ',')::jsonb AS j FROM raw WHERE line LIKE '{\"type\":\"Feature\"%') s;
  DROP TABLE raw;"
raw_s=$(elapsed "$t0" "$(now)")
echo "hazards read and parsed: $raw_s s ($(sql -At -c 'SELECT count(*) FROM hz0') features)"
t0=$(now)
sql -c 'CREATE UNLOGGED TABLE pts0 (id bigint, lon float8, lat float8)'
sql -c "\\copy pts0 FROM '$DIR/points.csv' WITH (FORMAT csv, HEADER true)"
praw_s=$(elapsed "$t0" "$(now)")
echo "points copied: $praw_s s"

mkdir -p "$DIR/results"
for MODE in $MODES; do
  case $MODE in
    geog)
      HZ_G="CASE WHEN radius IS NULL THEN geom::geography
                 ELSE ST_Buffer(geom::geography, radius, 'quad_segs=64') END"
      PT_G="ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography" ;;
    utm)
      HZ_G="CASE WHEN radius IS NULL THEN ST_Transform(geom, 32648)
                 ELSE ST_Buffer(ST_Transform(geom, 32648), radius, 'quad_segs=64') END"
      PT_G="ST_Transform(ST_SetSRID(ST_MakePoint(lon, lat), 4326), 32648)" ;;
    *) echo "anchor_postgis.sh: unknown mode $MODE (geog, utm)" >&2; exit 2 ;;
  esac
  sql -c 'DROP TABLE IF EXISTS hz; DROP TABLE IF EXISTS pts'
  t0=$(now)
  sql -c "CREATE UNLOGGED TABLE hz AS SELECT id, status, $HZ_G AS g FROM hz0"
  sql -c "CREATE INDEX hz_g ON hz USING gist (g) WHERE status <> 'cleared'"
  sql -c 'VACUUM ANALYZE hz'
  load_s=$(awk -v a="$raw_s" -v b="$(elapsed "$t0" "$(now)")" 'BEGIN{printf "%.3f", a+b}')
  t0=$(now)
  sql -c "CREATE UNLOGGED TABLE pts WITH (parallel_workers = 2) AS SELECT id, $PT_G AS g FROM pts0"
  sql -c 'VACUUM ANALYZE pts'
  pts_s=$(awk -v a="$praw_s" -v b="$(elapsed "$t0" "$(now)")" 'BEGIN{printf "%.3f", a+b}')
  Q="SELECT p.id FROM pts p WHERE EXISTS (SELECT 1 FROM hz h WHERE h.status <> 'cleared' AND ST_DWithin(h.g, p.g, $D))"
  for PAR in $PAR_LIST; do
    NAME=postgis_${MODE}_p$PAR
    SET="SET max_parallel_workers_per_gather = $PAR; SET parallel_setup_cost = 100; SET parallel_tuple_cost = 0.01;"
    sql -c 'DROP TABLE IF EXISTS flagged'
    sql -c "$SET EXPLAIN CREATE TABLE flagged AS $Q" >"$DIR/results/$NAME.explain.txt"
    runs=()
    for ((r = 1; r <= REPEAT; r++)); do
      sql -c 'DROP TABLE IF EXISTS flagged'
      runs+=("$(timed "$SET CREATE UNLOGGED TABLE flagged AS $Q")")
      echo "$NAME run $r: ${runs[-1]} s"
    done
    sql -At -c 'SELECT id FROM flagged ORDER BY id' >"$DIR/results/$NAME.ids"
    n=$(wc -l <"$DIR/results/$NAME.ids")
    sha=$(sha256sum "$DIR/results/$NAME.ids" | cut -d' ' -f1)
    med=$(printf '%s\n' "${runs[@]}" | sort -g | awk '{v[NR]=$1} END{if (NR%2) print v[(NR+1)/2]; else printf "%.3f\n", (v[NR/2]+v[NR/2+1])/2}')
    list=$(IFS=,; echo "${runs[*]}")
    echo "$NAME: load $load_s s, points load $pts_s s, query $med s (median of $REPEAT), $n flagged"
    echo "RESULT_JSON {\"anchor\": \"$NAME\", \"mode\": \"$MODE\", \"parallel_workers\": $PAR, \"load_s\": $load_s, \"points_load_s\": $pts_s, \"query_s\": $med, \"query_runs_s\": [$list], \"flagged\": $n, \"sha256\": \"$sha\"}"
  done
done
