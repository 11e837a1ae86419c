#!/usr/bin/env bash
# Measures yiwang's start time: from exec of `yiwang demo` on a fresh SQLite
# data directory to the first 200 from /readyz. Budget: under 2000 ms.
#
#   bench/startup.sh                # build /tmp/yiwang-bench-bin, measure once
#   RUNS=5 bench/startup.sh         # five fresh starts, then min/median/max
#
# Environment: YIWANG_BENCH_BIN (binary, default /tmp/yiwang-bench-bin),
# YIWANG_BENCH_PORT (default 18088), YIWANG_BENCH_DATA (must be under
# /tmp/yiwang-bench*, it is deleted), SKIP_BUILD=1 to reuse the binary,
# RUNS (1..10). Each start is bounded to 30 s. Needs GNU date, coreutils
# timeout and curl. Exit status 1 if the server does not become ready or
# is over budget.
set -euo pipefail

cd "$(dirname "$0")/.."

BIN=${YIWANG_BENCH_BIN:-/tmp/yiwang-bench-bin}
PORT=${YIWANG_BENCH_PORT:-18088}
DATA=${YIWANG_BENCH_DATA:-/tmp/yiwang-bench-startup}
RUNS=${RUNS:-1}
LIMIT_S=30
BUDGET_MS=2000

die() { echo "startup.sh: $*" >&2; exit 2; }
case "$DATA" in
/tmp/yiwang-bench*) case "$DATA" in *..*) die "YIWANG_BENCH_DATA must not contain ..";; esac ;;
*) die "refusing to delete $DATA: YIWANG_BENCH_DATA must be under /tmp/yiwang-bench*" ;;
esac
case "$PORT" in '' | *[!0-9]*) die "YIWANG_BENCH_PORT must be a number" ;; esac
case "$RUNS" in [1-9] | 10) ;; *) die "RUNS must be 1..10" ;; esac
for tool in curl timeout; do
	command -v "$tool" >/dev/null || die "$tool is needed"
done

if [ "${SKIP_BUILD:-0}" != 1 ]; then
	# Built first so that compilation is not part of the measurement.
	go build -o "$BIN" ./cmd/yiwang
fi
[ -x "$BIN" ] || die "$BIN is not an executable; build it with: go build -o $BIN ./cmd/yiwang"

url="http://127.0.0.1:$PORT/readyz"
log=$(mktemp /tmp/yiwang-bench-startup-log.XXXXXX)
pid=""

now_ms() { date +%s%3N; }

stop_server() {
	if [ -n "$pid" ]; then
		# timeout(1) passes the TERM on and follows it with KILL after 5 s.
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		pid=""
	fi
}
trap 'stop_server; rm -f "$log"' EXIT
trap 'exit 130' INT TERM

# Sets ready_ms to the start time of one run; returns 1 if it never got ready.
measure_once() {
	if curl -s -o /dev/null --max-time 1 "$url"; then
		echo "startup.sh: something already answers on 127.0.0.1:$PORT; set YIWANG_BENCH_PORT" >&2
		return 1
	fi
	rm -rf -- "$DATA"
	local start deadline code
	start=$(now_ms)
	deadline=$((start + LIMIT_S * 1000))
	# timeout bounds the server even if this script is killed.
	timeout -k 5 "$LIMIT_S" "$BIN" demo --addr "127.0.0.1:$PORT" --data "$DATA" >"$log" 2>&1 &
	pid=$!
	while :; do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$url" || true)
		if [ "$code" = 200 ]; then
			ready_ms=$(($(now_ms) - start))
			stop_server
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "startup.sh: the server exited before it was ready; its output:" >&2
			tail -n 20 "$log" >&2
			pid=""
			return 1
		fi
		if [ "$(now_ms)" -ge "$deadline" ]; then
			echo "startup.sh: not ready after ${LIMIT_S} s (last /readyz status: ${code:-none}); server output:" >&2
			tail -n 20 "$log" >&2
			stop_server
			return 1
		fi
		sleep 0.01
	done
}

times=()
ready_ms=0
for i in $(seq "$RUNS"); do
	measure_once || exit 1
	times+=("$ready_ms")
	echo "run $i: ready in $ready_ms ms"
done
rm -rf -- "$DATA"

sorted=$(printf '%s\n' "${times[@]}" | sort -n)
min=$(echo "$sorted" | head -n 1)
max=$(echo "$sorted" | tail -n 1)
median=$(echo "$sorted" | sed -n "$(((RUNS + 1) / 2))p")
if [ "$median" -le "$BUDGET_MS" ]; then verdict=ok; else verdict=OVER; fi
echo "startup ms: min $min  median $median  max $max  (budget $BUDGET_MS ms: $verdict)"
[ "$verdict" = ok ]
