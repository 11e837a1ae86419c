# yiwang — common tasks. `make test` is the test command CI runs (.ci/run).

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.ONESHELL:
.DEFAULT_GOAL := test

GO ?= go
# Bounds each test binary; the end-to-end browser tests take well under a minute.
TEST_TIMEOUT ?= 10m

# make bench: see bench/README.md. The load run starts its own demo server
# on a fresh SQLite directory (deleted first; it must be under /tmp/yiwang-bench*).
BENCH_BIN      ?= /tmp/yiwang-bench-bin
BENCH_DATA     ?= /tmp/yiwang-bench-load
BENCH_PORT     ?= 18089
BENCH_CLIENTS  ?= 32
BENCH_DURATION ?= 20s
BENCH_PATHS    ?= /api/v1/me
BENCH_RUNS     ?= 5
# Issue 4: the case lifecycle and 1 000 000 cases (bench/README.md, "Cases").
BENCH_PG          ?= postgres://postgres@127.0.0.1:5432
BENCH_LC_CLIENTS  ?= 32
BENCH_LC_DURATION ?= 20s
BENCH_CASES       ?= 1000000
BENCH_CASES_DATA  ?= /tmp/yiwang-bench-cases

.PHONY: run test vet bench bench-startup bench-load bench-lifecycle bench-lifecycle-pg bench-ceiling bench-cases bench-cases-pg

## run: start the demo server (demo data, SQLite in ./yiwang-data) on :8080
run:
	$(GO) run ./cmd/yiwang demo

## test: every package's tests, uncached; PostgreSQL too when YIWANG_TEST_POSTGRES is set,
## browser tests when Chromium is installed (both required when CI is set)
test:
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...

## vet: go vet and the gofmt check
vet:
	$(GO) vet ./...
	unformatted=$$(gofmt -l .)
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi

## bench: the speed budget of bench/README.md — server start time, then load on a read route
bench: bench-startup bench-load

bench-startup:
	RUNS=$(BENCH_RUNS) YIWANG_BENCH_BIN=$(BENCH_BIN) bench/startup.sh

bench-load:
	@case "$(BENCH_DATA)" in /tmp/yiwang-bench*) ;; *) echo "BENCH_DATA must be under /tmp/yiwang-bench*"; exit 2;; esac
	$(GO) build -o $(BENCH_BIN) ./cmd/yiwang
	$(GO) build -o $(BENCH_BIN)-load ./bench/load
	base=http://127.0.0.1:$(BENCH_PORT)
	if curl -s -o /dev/null --max-time 1 "$$base/readyz"; then echo "something already answers on $$base; set BENCH_PORT"; exit 1; fi
	rm -rf -- "$(BENCH_DATA)"
	log=$$(mktemp /tmp/yiwang-bench-load-log.XXXXXX)
	timeout -k 5 15m $(BENCH_BIN) demo --addr 127.0.0.1:$(BENCH_PORT) --data "$(BENCH_DATA)" >"$$log" 2>&1 &
	pid=$$!
	trap 'kill $$pid 2>/dev/null || true; wait $$pid 2>/dev/null || true; rm -rf -- "$(BENCH_DATA)" "$$log"' EXIT
	for i in $$(seq 300); do
		if curl -sf -o /dev/null --max-time 1 "$$base/readyz"; then break; fi
		if ! kill -0 $$pid 2>/dev/null; then echo "server exited:"; tail -n 20 "$$log"; exit 1; fi
		sleep 0.1
	done
	curl -sf -o /dev/null --max-time 1 "$$base/readyz" || { echo "server not ready after 30 s:"; tail -n 20 "$$log"; exit 1; }
	paths=(); for p in $(BENCH_PATHS); do paths+=(-path "$$p"); done
	$(BENCH_BIN)-load -base "$$base" -c $(BENCH_CLIENTS) -d $(BENCH_DURATION) "$${paths[@]}"

## bench-lifecycle: submit → accept → pass → approve through the API, on a fresh SQLite demo server
bench-lifecycle:
	CLIENTS=$(BENCH_LC_CLIENTS) DURATION=$(BENCH_LC_DURATION) BIN=$(BENCH_BIN) bench/lifecycle/run.sh

## bench-lifecycle-pg: the same on a fresh PostgreSQL database, then pgbench -N for the ratio
bench-lifecycle-pg:
	PG=$(BENCH_PG) CLIENTS=$(BENCH_LC_CLIENTS) DURATION=$(BENCH_LC_DURATION) BIN=$(BENCH_BIN) bench/lifecycle/run.sh

## bench-ceiling: what PostgreSQL alone needs for one step (pgbench scripts on a fresh demo database), next to pgbench -N
bench-ceiling:
	PG=$(BENCH_PG) BIN=$(BENCH_BIN) bench/lifecycle/ceiling.sh

## bench-cases: generate BENCH_CASES cases on SQLite, then measure case detail, lists and inboxes
bench-cases:
	@case "$(BENCH_CASES_DATA)" in /tmp/yiwang-bench*) ;; *) echo "BENCH_CASES_DATA must be under /tmp/yiwang-bench*"; exit 2;; esac
	rm -rf -- "$(BENCH_CASES_DATA)"
	$(GO) run ./bench/cases --data "$(BENCH_CASES_DATA)" --cases $(BENCH_CASES)
	DATA="$(BENCH_CASES_DATA)" BIN=$(BENCH_BIN) bench/cases/measure.sh

## bench-cases-pg: the same on a fresh PostgreSQL database yiwang_bench_cases
bench-cases-pg:
	@case "$(BENCH_CASES_DATA)" in /tmp/yiwang-bench*) ;; *) echo "BENCH_CASES_DATA must be under /tmp/yiwang-bench*"; exit 2;; esac
	psql -q -X -v ON_ERROR_STOP=1 "$(BENCH_PG)/postgres" -c "DROP DATABASE IF EXISTS yiwang_bench_cases" -c "CREATE DATABASE yiwang_bench_cases"
	rm -rf -- "$(BENCH_CASES_DATA)-pg"
	$(GO) run ./bench/cases --db "$(BENCH_PG)/yiwang_bench_cases?sslmode=disable" --data "$(BENCH_CASES_DATA)-pg" --cases $(BENCH_CASES)
	DATA="$(BENCH_CASES_DATA)-pg" DB="$(BENCH_PG)/yiwang_bench_cases?sslmode=disable" BIN=$(BENCH_BIN) bench/cases/measure.sh
