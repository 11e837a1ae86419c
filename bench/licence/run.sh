#!/usr/bin/env bash
# Runs bench/licence: offline and online verification and issuing, in
# process, on a fresh SQLite database in a temporary directory, and on
# PostgreSQL too when PG is set (it drops and re-creates the database
# yiwang_bench_licence there first).
#
#   bench/licence/run.sh                                           # SQLite
#   PG=postgres://postgres@127.0.0.1:5432 bench/licence/run.sh      # and PostgreSQL
#   RUNS=3 bench/licence/run.sh -d 5s                               # three runs; extra flags go to the tool
#   PROCS=1 bench/licence/run.sh                                    # one core: GOMAXPROCS=1 taskset -c 1
#
# Settings: PG (server URL without a database), DBNAME (yiwang_bench_licence),
# RUNS (1), PROCS (unset: all cores), BIN (/tmp/yiwang-bench-licence),
# SKIP_BUILD=1. Exit status: the tool's (1 on any error).
set -euo pipefail

PG=${PG:-}
DBNAME=${DBNAME:-yiwang_bench_licence}
RUNS=${RUNS:-1}
BIN=${BIN:-/tmp/yiwang-bench-licence}
case "$DBNAME" in yiwang_bench*) ;; *) echo "DBNAME must start with yiwang_bench (it is dropped)" >&2; exit 2;; esac
cd "$(dirname "$0")/../.."

if [ "${SKIP_BUILD:-}" != 1 ]; then
	go build -o "$BIN" ./bench/licence
fi
tool=()
if [ -n "${PROCS:-}" ]; then
	cpus=$(seq -s, $(( $(nproc) - PROCS )) $(( $(nproc) - 1 )))
	tool=(env GOMAXPROCS="$PROCS" taskset -c "$cpus")
fi
echo "commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- internal bench || echo ' (with uncommitted changes)'), $(nproc) cores, uptime:$(uptime | sed 's/.*load/ load/')" >&2
for i in $(seq "$RUNS"); do
	extra=()
	if [ -n "$PG" ]; then
		psql -q -X -v ON_ERROR_STOP=1 "$PG/postgres" -c "DROP DATABASE IF EXISTS $DBNAME" -c "CREATE DATABASE $DBNAME"
		extra=(-pg "$PG/$DBNAME?sslmode=disable")
	fi
	[ "$RUNS" -gt 1 ] && echo "--- run $i of $RUNS" >&2
	"${tool[@]}" "$BIN" "${extra[@]}" "$@"
done
