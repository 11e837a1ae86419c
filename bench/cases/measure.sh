#!/usr/bin/env bash
# Measures the case routes of issue 4 on an installation filled by
# bench/cases: starts `yiwang serve` on it pinned to core 0, runs bench/load
# pinned to core 1 (GOMAXPROCS=1) once per scenario, and prints one table
# row per scenario with the p99 budget (10 ms) verdict.
#
#   DATA=/tmp/yiwang-bench-cases bench/cases/measure.sh
#   DATA=/tmp/yiwang-bench-cases-pg DB='postgres://postgres@127.0.0.1:5432/yiwang_bench_cases?sslmode=disable' bench/cases/measure.sh
#
# Settings: DATA (required, under /tmp/yiwang-bench*), DB, PORT (18091),
# CLIENTS (32), DURATION (10s), WARMUP (1s), BIN (/tmp/yiwang-bench-bin),
# SKIP_BUILD=1, ONLY (a scenario name to run alone). The JSON of every run
# goes to $DATA/bench-cases-results.jsonl. Exit status 1 when a run had
# errors or missed the budget.
set -euo pipefail

DATA=${DATA:?set DATA to the data directory bench/cases filled}
case "$DATA" in /tmp/yiwang-bench*) ;; *) echo "DATA must be under /tmp/yiwang-bench*" >&2; exit 2;; esac
DB=${DB:-}
PORT=${PORT:-18091}
CLIENTS=${CLIENTS:-32}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-1s}
BIN=${BIN:-/tmp/yiwang-bench-bin}
ONLY=${ONLY:-}
cd "$(dirname "$0")/../.."

numbers="$DATA/bench-case-numbers.txt"
[ -s "$numbers" ] || { echo "$numbers is missing: fill $DATA with go run ./bench/cases first" >&2; exit 2; }
if [ "${SKIP_BUILD:-}" != 1 ]; then
	go build -o "$BIN" ./cmd/yiwang
	go build -o "$BIN-load" ./bench/load
fi
base=http://127.0.0.1:$PORT
if curl -s -o /dev/null --max-time 1 "$base/readyz"; then echo "something already answers on $base; set PORT" >&2; exit 1; fi

log=$(mktemp /tmp/yiwang-bench-cases-log.XXXXXX)
args=(serve --data "$DATA" --addr "127.0.0.1:$PORT")
[ -n "$DB" ] && args+=(--db "$DB")
taskset -c 0 timeout -k 5 60m "$BIN" "${args[@]}" >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 600); do
	curl -sf -o /dev/null --max-time 1 "$base/readyz" && break
	kill -0 $pid 2>/dev/null || { echo "server exited:"; tail -n 20 "$log"; exit 1; }
	sleep 0.1
done
curl -sf -o /dev/null --max-time 1 "$base/readyz" || { echo "server not ready after 60 s:"; tail -n 20 "$log"; exit 1; }

detail=()
while read -r no; do [ -n "$no" ] && detail+=(-path "/api/v1/cases/$no"); done <"$numbers"

# name | user | paths
scenarios=(
	"detail-scjg1|scjg1|${detail[*]}"
	"detail-window1|window1|${detail[*]}"
	"list-dept|scjg1|-path /api/v1/cases?dept=scjg"
	"list-dept-status|scjg1|-path /api/v1/cases?dept=scjg&status=processing -path /api/v1/cases?dept=scjg&status=collected"
	"my-cases|citizen2|-path /api/v1/my/cases"
	"inbox-scjg1|scjg1|-path /api/v1/inbox"
	"inbox-window1|window1|-path /api/v1/inbox"
	# Last: a region-scoped list (window clerks, supervisors), slow on an
	# un-ANALYZEd SQLite database (see bench/README.md).
	"list-window1|window1|-path /api/v1/cases -path /api/v1/cases?status=submitted"
)
results="$DATA/bench-cases-results.jsonl"
: >"$results"
fail=0
set -f # the paths hold ? and &: no globbing when they are split into words
printf '%-18s %-9s %9s %7s %7s %7s %8s %7s  %s\n' scenario user req/s p50 p95 p99 max errors "budget p99<=10ms"
for s in "${scenarios[@]}"; do
	IFS='|' read -r name user paths <<<"$s"
	[ -n "$ONLY" ] && [ "$ONLY" != "$name" ] && continue
	# shellcheck disable=SC2086 # paths are words on purpose
	out=$(GOMAXPROCS=1 taskset -c 1 "$BIN-load" -base "$base" -user "$user" -c "$CLIENTS" -d "$DURATION" -warmup "$WARMUP" -json $paths) || true
	echo "$out" | jq -c --arg name "$name" '. + {scenario: $name}' >>"$results"
	read -r rps p50 p95 p99 max errs ok < <(echo "$out" | jq -r '[.rps, .latency_ms.p50, .latency_ms.p95, .latency_ms.p99, .latency_ms.max, (.non_2xx + .transport_errors), .ok] | @tsv')
	verdict=PASS
	if [ "$ok" != true ] || awk -v p="$p99" 'BEGIN { exit !(p > 10) }'; then verdict=FAIL; fail=1; fi
	printf '%-18s %-9s %9.0f %7.2f %7.2f %7.2f %8.2f %7s  %s\n' "$name" "$user" "$rps" "$p50" "$p95" "$p99" "$max" "$errs" "$verdict"
done
echo "per-route figures: $results"
exit $fail
