#!/usr/bin/env bash
# Runs bench/lifecycle against a fresh demo server: deletes the data
# directory (and on PostgreSQL drops and re-creates the database), starts
# `yiwang demo` pinned to core 0, runs the lifecycle tool pinned to core 1
# (GOMAXPROCS=1), and on PostgreSQL lets the tool run pgbench -N (also on
# core 1) against a scratch database of the same server after it.
#
#   bench/lifecycle/run.sh                                          # SQLite
#   PG=postgres://postgres@127.0.0.1:5432 bench/lifecycle/run.sh     # PostgreSQL, with pgbench
#   PIN=0 CLIENTS=64 bench/lifecycle/run.sh -json                   # unpinned; extra flags go to the tool
#
# Settings: PG (server URL without a database), DBNAME (yiwang_bench_lifecycle),
# PGBENCH_DB (yiwang_bench_pgbench), DATA (/tmp/yiwang-bench-lifecycle[-pg]),
# PORT (18090), CLIENTS (32), DURATION (20s), WARMUP (2s), PIN (1),
# BIN (/tmp/yiwang-bench-bin), SKIP_BUILD=1. Needs curl, coreutils, psql or
# sqlite3 (to see the demo's sample cases settle). Exit status: the tool's.
set -euo pipefail

PG=${PG:-}
DBNAME=${DBNAME:-yiwang_bench_lifecycle}
PGBENCH_DB=${PGBENCH_DB:-yiwang_bench_pgbench}
PORT=${PORT:-18090}
CLIENTS=${CLIENTS:-32}
DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-2s}
PIN=${PIN:-1}
BIN=${BIN:-/tmp/yiwang-bench-bin}
if [ -n "$PG" ]; then DATA=${DATA:-/tmp/yiwang-bench-lifecycle-pg}; else DATA=${DATA:-/tmp/yiwang-bench-lifecycle}; fi
case "$DATA" in /tmp/yiwang-bench*) ;; *) echo "DATA must be under /tmp/yiwang-bench*" >&2; exit 2;; esac
for n in "$DBNAME" "$PGBENCH_DB"; do
	case "$n" in yiwang_bench*) ;; *) echo "database names must start with yiwang_bench (they are dropped): $n" >&2; exit 2;; esac
done
cd "$(dirname "$0")/../.."

if [ "${SKIP_BUILD:-}" != 1 ]; then
	go build -o "$BIN" ./cmd/yiwang
	go build -o "$BIN-lifecycle" ./bench/lifecycle
fi
base=http://127.0.0.1:$PORT
if curl -s -o /dev/null --max-time 1 "$base/readyz"; then echo "something already answers on $base; set PORT" >&2; exit 1; fi

server=(taskset -c 0)
tool=(env GOMAXPROCS=1 taskset -c 1)
pgcpus=(-pgbench-cpus 1)
if [ "$PIN" = 0 ]; then server=(); tool=(); pgcpus=(); fi

rm -rf -- "$DATA"
args=(demo --data "$DATA" --addr "127.0.0.1:$PORT")
extra=()
if [ -n "$PG" ]; then
	psql -q -X -v ON_ERROR_STOP=1 "$PG/postgres" -c "DROP DATABASE IF EXISTS $DBNAME" -c "CREATE DATABASE $DBNAME" \
		-c "DROP DATABASE IF EXISTS $PGBENCH_DB" -c "CREATE DATABASE $PGBENCH_DB"
	args+=(--db "$PG/$DBNAME?sslmode=disable")
	extra+=(-pgbench-db "$PG/$PGBENCH_DB?sslmode=disable" "${pgcpus[@]}")
fi
log=$(mktemp /tmp/yiwang-bench-lifecycle-log.XXXXXX)
"${server[@]}" timeout -k 5 30m "$BIN" "${args[@]}" >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 300); do
	curl -sf -o /dev/null --max-time 1 "$base/readyz" && break
	kill -0 $pid 2>/dev/null || { echo "server exited:"; tail -n 20 "$log"; exit 1; }
	sleep 0.1
done
curl -sf -o /dev/null --max-time 1 "$base/readyz" || { echo "server not ready after 30 s:"; tail -n 20 "$log"; exit 1; }
# `yiwang demo` may make its sample cases in the background after it
# answers /readyz: wait until the number of cases has not moved for 2 s,
# so that the measurement runs alone.
count() {
	if [ -n "$PG" ]; then psql -X -At "$PG/$DBNAME" -c "SELECT count(*) FROM cases"
	else sqlite3 -readonly "$DATA/yiwang.db" "SELECT count(*) FROM cases"; fi
}
prev=-1 same=0
for _ in $(seq 240); do
	n=$(count 2>/dev/null || echo -1)
	if [ "$n" = "$prev" ]; then same=$((same + 1)); else same=0; prev=$n; fi
	[ $same -ge 4 ] && break
	sleep 0.5
done
echo "demo cases in the database before the run: $prev" >&2
where="SQLite in $DATA"
[ -n "$PG" ] && where="PostgreSQL database $DBNAME"
echo "server: $BIN demo on $where, pid $pid, pinned: $PIN" >&2
"${tool[@]}" "$BIN-lifecycle" -base "$base" -c "$CLIENTS" -d "$DURATION" -warmup "$WARMUP" "${extra[@]}" "$@"
