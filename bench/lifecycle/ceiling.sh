#!/usr/bin/env bash
# The SQL-only ceiling of a lifecycle step on PostgreSQL, next to pgbench -N
# (bench/README.md, "SQL ceiling of a step"). Makes a fresh demo
# installation in $DBNAME with the real server (yiwang demo, stopped once
# its sample cases are made), then runs bench/lifecycle/ceiling/*.sql with
# pgbench against it: one step's statements as the server sends them, the
# same in one pipeline, and the floor without the audit trail and the
# answer's reads. Each script alternates with pgbench -N on a scratch
# database of the same server; the table gives both and the ratio, the
# number the issue-4 budget asks to be >= 0.5 for the whole server.
#
#   bench/lifecycle/ceiling.sh
#   ROUNDS=3 CLIENTS=16 SECONDS=20 PIN=0 bench/lifecycle/ceiling.sh
#
# Settings: PG (server URL without a database, postgres://postgres@127.0.0.1:5432),
# DBNAME (yiwang_bench_ceiling), PGBENCH_DB (yiwang_bench_pgbench): both are
# dropped and re-created, so their names must start with yiwang_bench;
# ROUNDS (2), CLIENTS (8), SECONDS (15, pgbench -T), PIN (1: pgbench under
# taskset -c 1; 0: not pinned), NMODE (prepared: -M for pgbench -N; the
# scripts always run -M prepared), PORT (18091), DATA (/tmp/yiwang-bench-ceiling),
# BIN (/tmp/yiwang-bench-bin), SKIP_BUILD=1. Needs go, curl, psql, pgbench
# and taskset. PostgreSQL itself is not pinned, and its settings are left alone.
#
# Before every run of a script the rows the previous run added (events,
# tasks, outbox, audit entries) are deleted and the cases, tasks and chain
# heads put back, so each run starts from the same rows; then VACUUM
# ANALYZE (the server here runs with autovacuum off), as before every
# pgbench -N.

# SECONDS is bash's own clock: take the caller's value before it moves on.
if printenv SECONDS >/dev/null; then T=$SECONDS; else T=15; fi
set -euo pipefail

PG=${PG:-postgres://postgres@127.0.0.1:5432}
DBNAME=${DBNAME:-yiwang_bench_ceiling}
PGBENCH_DB=${PGBENCH_DB:-yiwang_bench_pgbench}
ROUNDS=${ROUNDS:-2}
CLIENTS=${CLIENTS:-8}
PIN=${PIN:-1}
NMODE=${NMODE:-prepared}
PORT=${PORT:-18091}
DATA=${DATA:-/tmp/yiwang-bench-ceiling}
BIN=${BIN:-/tmp/yiwang-bench-bin}
SCRIPTS=(step step-pipelined step-minimal)

case "$DATA" in /tmp/yiwang-bench*) ;; *) echo "DATA must be under /tmp/yiwang-bench*" >&2; exit 2;; esac
for n in "$DBNAME" "$PGBENCH_DB"; do
	case "$n" in yiwang_bench*) ;; *) echo "database names must start with yiwang_bench (they are dropped): $n" >&2; exit 2;; esac
	case "$n" in *[!a-z0-9_]*) echo "database names are lower-case letters, digits and _: $n" >&2; exit 2;; esac
done
[ "$DBNAME" != "$PGBENCH_DB" ] || { echo "DBNAME and PGBENCH_DB must differ" >&2; exit 2; }
for v in ROUNDS CLIENTS T PORT; do
	case "${!v}" in '' | *[!0-9]* | 0) echo "$v must be a positive whole number: ${!v}" >&2; exit 2;; esac
done
case "$NMODE" in simple | extended | prepared) ;; *) echo "NMODE is simple, extended or prepared: $NMODE" >&2; exit 2;; esac
for c in curl psql pgbench; do command -v "$c" >/dev/null || { echo "needs $c" >&2; exit 2; }; done
pin=(taskset -c 1)
if [ "$PIN" = 0 ]; then pin=(); else command -v taskset >/dev/null || { echo "needs taskset (or PIN=0)" >&2; exit 2; }; fi

cd "$(dirname "$0")/../.."
sqldir=bench/lifecycle/ceiling
for s in "${SCRIPTS[@]}"; do [ -f "$sqldir/$s.sql" ] || { echo "missing $sqldir/$s.sql" >&2; exit 2; }; done
[ "${SKIP_BUILD:-}" = 1 ] || go build -o "$BIN" ./cmd/yiwang

base=http://127.0.0.1:$PORT
if curl -s -o /dev/null --max-time 1 "$base/readyz"; then echo "something already answers on $base; set PORT" >&2; exit 1; fi

ceil=$PG/$DBNAME
scratch=$PG/$PGBENCH_DB
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

pid=
work=$(mktemp -d /tmp/yiwang-bench-ceiling-work.XXXXXX)
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	rm -rf -- "$work" "$DATA"
}
trap cleanup EXIT

# 1. A real demo installation, made by the server itself.
rm -rf -- "$DATA"
q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DBNAME" -c "CREATE DATABASE $DBNAME" \
	-c "DROP DATABASE IF EXISTS $PGBENCH_DB" -c "CREATE DATABASE $PGBENCH_DB"
timeout -k 5 30m "$BIN" demo --db "$ceil?sslmode=disable" --data "$DATA" --addr "127.0.0.1:$PORT" >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 300); do
	curl -sf -o /dev/null --max-time 1 "$base/readyz" && break
	kill -0 "$pid" 2>/dev/null || { echo "server exited:" >&2; tail -n 20 "$work/server.log" >&2; exit 1; }
	sleep 0.1
done
curl -sf -o /dev/null --max-time 1 "$base/readyz" || { echo "server not ready after 30 s:" >&2; tail -n 20 "$work/server.log" >&2; exit 1; }
# The demo makes its sample cases in the background after /readyz: wait
# until their number has not moved for 2 s (as run.sh does).
prev=-1 same=0
for _ in $(seq 240); do
	n=$(psql -X -At "$ceil" -c "SELECT count(*) FROM cases" 2>/dev/null || echo -1)
	if [ "$n" = "$prev" ]; then same=$((same + 1)); else same=0; prev=$n; fi
	[ $same -ge 4 ] && break
	sleep 0.5
done
kill "$pid"
wait "$pid" 2>/dev/null || true
pid=
for _ in $(seq 100); do
	[ "$(psql -X -At "$PG/postgres" -c "SELECT count(*) FROM pg_stat_activity WHERE datname = '$DBNAME'")" = 0 ] && break
	sleep 0.1
done
echo "demo installation in $DBNAME: $prev cases; server stopped" >&2

# 2. bench_map: the numbered cases, each with its audit chain (audit.ChainOf:
# FNV-1a of "case", a zero byte and the id, mod 16) and the columns a step
# changes, to put back between runs. Each mapped case gets exactly one open
# task (extra ones cancelled, one opened where none is), as a case waiting
# for its next step has. bench_t0 is the instant after which every row is
# the benchmark's; bench_chains the chain heads then.
actor=$(psql -X -At -v ON_ERROR_STOP=1 "$ceil" -c "SELECT id FROM accounts WHERE username = 'window1'")
dept=$(psql -X -At -v ON_ERROR_STOP=1 "$ceil" -c "SELECT id FROM departments WHERE code = 'scjg'")
if [ -z "$actor" ] || [ -z "$dept" ]; then echo "no window1 account or scjg department in the demo data" >&2; exit 1; fi
q "$ceil" <<'SQL'
CREATE FUNCTION pg_temp.fnv32a(b bytea) RETURNS bigint LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE h bigint := 2166136261;
BEGIN
	FOR i IN 0 .. length(b) - 1 LOOP
		h := ((h # get_byte(b, i)) * 16777619) % 4294967296;
	END LOOP;
	RETURN h;
END $$;
CREATE TABLE bench_map AS
	SELECT row_number() OVER (ORDER BY case_no)::int AS n, id, case_no,
		(pg_temp.fnv32a(convert_to('case', 'UTF8') || '\x00'::bytea || convert_to(id, 'UTF8')) % 16)::smallint AS chain,
		status, revision, accepted_at, updated_at
	FROM cases WHERE case_no IS NOT NULL;
ALTER TABLE bench_map ADD PRIMARY KEY (n);
DO $$ BEGIN
	IF (SELECT count(*) FROM bench_map) = 0 THEN RAISE EXCEPTION 'no numbered cases'; END IF;
	-- An accept's transaction starts its trail with the case's entry, so
	-- that entry is on the case's chain (a submission's is not: its
	-- transaction began with another object's entry).
	IF EXISTS (SELECT 1 FROM audit_log a JOIN bench_map b ON a.object_type = 'case' AND a.object_id = b.id
		WHERE a.action = 'case.accept' AND a.chain <> b.chain) THEN
		RAISE EXCEPTION 'bench_map.chain disagrees with the chain of case.accept entries';
	END IF;
END $$;
WITH first AS (
	SELECT DISTINCT ON (case_id) id FROM case_tasks
	WHERE status = 'open' AND case_id IN (SELECT id FROM bench_map) ORDER BY case_id, created_at, id)
UPDATE case_tasks SET status = 'cancelled', done_at = now()
	WHERE status = 'open' AND case_id IN (SELECT id FROM bench_map) AND id NOT IN (SELECT id FROM first);
INSERT INTO case_tasks (id, case_id, step_id, step_name, queue, roles, fork_id, status, created_at, due_at, done_at, done_by, action)
	SELECT gen_random_uuid()::text, c.id, 'review', '审查', 'dept:' || c.department_id, ',approver,', '', 'open', now(), now() + interval '5 days', NULL, '', ''
	FROM cases c JOIN bench_map b ON b.id = c.id
	WHERE NOT EXISTS (SELECT 1 FROM case_tasks t WHERE t.case_id = c.id AND t.status = 'open');
CREATE TABLE bench_chains AS SELECT chain, link, hash FROM audit_chains;
CREATE TABLE bench_t0 AS SELECT clock_timestamp() AS t0;
DO $$ DECLARE t timestamptz := (SELECT t0 FROM bench_t0); BEGIN
	IF EXISTS (SELECT 1 FROM case_events WHERE at >= t) OR EXISTS (SELECT 1 FROM case_tasks WHERE created_at >= t OR done_at >= t)
		OR EXISTS (SELECT 1 FROM outbox WHERE created_at >= t) OR EXISTS (SELECT 1 FROM audit_log WHERE at >= t) THEN
		RAISE EXCEPTION 'rows dated after now: the reset between runs would delete them';
	END IF;
END $$;
SQL
ncases=$(psql -X -At "$ceil" -c "SELECT count(*) FROM bench_map")
defs=(-D "ncases=$ncases" -D "actor=$actor" -D "queue=dept:$dept")

# 3. The scratch database for pgbench -N.
"${pin[@]}" pgbench -i -q -s 10 "$scratch" >"$work/init.log" 2>&1 || { cat "$work/init.log" >&2; exit 1; }

reset_sql=$(cat <<'SQL'
BEGIN;
DELETE FROM case_events WHERE at >= (SELECT t0 FROM bench_t0);
DELETE FROM case_tasks WHERE created_at >= (SELECT t0 FROM bench_t0);
UPDATE case_tasks SET status = 'open', done_at = NULL, done_by = '', action = '' WHERE done_at >= (SELECT t0 FROM bench_t0);
DELETE FROM outbox WHERE created_at >= (SELECT t0 FROM bench_t0);
DELETE FROM audit_log WHERE at >= (SELECT t0 FROM bench_t0);
UPDATE audit_chains a SET link = b.link, hash = b.hash FROM bench_chains b WHERE a.chain = b.chain AND (a.link, a.hash) IS DISTINCT FROM (b.link, b.hash);
UPDATE cases c SET status = b.status, revision = b.revision, accepted_at = b.accepted_at, updated_at = b.updated_at
	FROM bench_map b WHERE c.id = b.id AND c.revision <> b.revision;
COMMIT;
SQL
)
# After a run: every mapped case still has one open task, every chain head
# points at its chain's last entry; and how many steps were written.
check_sql="SELECT
	(SELECT count(*) FROM bench_map b WHERE (SELECT count(*) FROM case_tasks t WHERE t.case_id = b.id AND t.status = 'open') <> 1),
	(SELECT count(*) FROM audit_chains h WHERE h.link <> COALESCE((SELECT max(link) FROM audit_log l WHERE l.chain = h.chain), 0)),
	(SELECT count(*) FROM case_events WHERE at >= (SELECT t0 FROM bench_t0))"

# run LABEL pgbench-arguments…: sets tps, lat and txs from pgbench's summary.
run() {
	local label=$1 log
	shift
	log="$work/$label.log"
	if ! "${pin[@]}" pgbench "$@" >"$log" 2>&1; then
		echo "pgbench ($label) failed:" >&2
		tail -n 20 "$log" >&2
		exit 1
	fi
	tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)$/\1/p' "$log")
	lat=$(sed -n 's/^latency average = \([0-9.]*\) ms$/\1/p' "$log")
	txs=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$log")
	failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$log")
	if [ -z "$tps" ] || [ "${failed:-0}" != 0 ]; then
		echo "pgbench ($label): no tps or failed transactions:" >&2
		tail -n 20 "$log" >&2
		exit 1
	fi
}

commit=$(git rev-parse --short HEAD 2>/dev/null || echo '?')
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit, $(pgbench --version | sed 's/^pgbench //'), load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
echo "pgbench -c $CLIENTS -j 2 -T $T, scripts -M prepared, pgbench -N -M $NMODE, pinned: $PIN; $ncases cases in bench_map" >&2
rows=()
for r in $(seq "$ROUNDS"); do
	for s in "${SCRIPTS[@]}"; do
		q "$ceil" -c "$reset_sql" -c "VACUUM ANALYZE"
		run "$s-$r" -n -M prepared -c "$CLIENTS" -j 2 -T "$T" "${defs[@]}" -f "$sqldir/$s.sql" "$ceil"
		stps=$tps slat=$lat stxs=$txs
		IFS='|' read -r badtasks badchains events < <(psql -X -At -v ON_ERROR_STOP=1 "$ceil" -c "$check_sql")
		if [ "$badtasks" != 0 ] || [ "$badchains" != 0 ]; then
			echo "$s: after the run $badtasks cases have not exactly one open task, $badchains chain heads are off" >&2
			exit 1
		fi
		q "$scratch" -c "VACUUM ANALYZE"
		run "pgbench-N-$s-$r" -N -M "$NMODE" -c "$CLIENTS" -j 2 -T "$T" "$scratch"
		ratio=$(awk -v a="$stps" -v b="$tps" 'BEGIN { printf "%.2f", a / b }')
		rows+=("$r|$s|$stps|$slat|$tps|$lat|$ratio")
		printf 'round %s  %-15s %8.1f tps (%s steps, %s events)   pgbench -N %8.1f tps   ratio %s\n' "$r" "$s" "$stps" "$stxs" "$events" "$tps" "$ratio" >&2
	done
done

echo
printf '%-5s  %-15s  %9s  %8s  %14s  %8s  %5s\n' round script tps "lat ms" "pgbench -N tps" "lat ms" ratio
for row in "${rows[@]}"; do
	IFS='|' read -r r s a al b bl ratio <<<"$row"
	printf '%-5s  %-15s  %9.1f  %8.2f  %14.1f  %8.2f  %5s\n' "$r" "$s" "$a" "$al" "$b" "$bl" "$ratio"
done
echo
printf '%-15s  %-17s  %-17s  %s\n' script "tps (min–max)" "pgbench -N tps" ratio
for s in "${SCRIPTS[@]}"; do
	printf '%s\n' "${rows[@]}" | awk -F'|' -v s="$s" '
		$2 == s { n++; if (n == 1 || $3 < a0) a0 = $3; if ($3 > a1) a1 = $3; if (n == 1 || $5 < b0) b0 = $5; if ($5 > b1) b1 = $5
			if (n == 1 || $7 < r0) r0 = $7; if ($7 > r1) r1 = $7 }
		END { printf "%-15s  %-17s  %-17s  %s\n", s, sprintf("%.0f–%.0f", a0, a1), sprintf("%.0f–%.0f", b0, b1), sprintf("%.2f–%.2f", r0, r1) }'
done
