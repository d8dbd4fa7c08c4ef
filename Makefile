# HWC3D developer entry points. The logic lives in scripts/; this file only names it.
#   make test DB=sqlite|postgres FILTER=Regex   (see scripts/test.sh for more knobs)

SHELL := /usr/bin/env bash

# Handed to the scripts through the environment (not on a command line), so a
# FILTER regex with $, | or quotes arrives untouched.
export DB FILTER SWIFT_BUILD_FLAGS SWIFT_TEST_FLAGS

.DEFAULT_GOAL := help
.PHONY: help run test check-boundaries bench bench-catalogue bench-checkout bench-realtime build release clean

help: ## Show this help
	@echo "HWC3D make targets:"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{ printf "  make %-15s %s\n", $$1, $$2 }'
	@echo "Variables: DB=sqlite|postgres (test/bench, default both), FILTER=regex (test),"
	@echo "           SWIFT_BUILD_FLAGS, SWIFT_TEST_FLAGS; run honours HOST/PORT (default 127.0.0.1:8080)."
	@echo "           bench*: BENCH_DURATION (10s), BENCH_RUNS (3), BENCH_MODELS (100000), BENCH_BUYERS (32),"
	@echo "           BENCH_BIN=path (skip the build), BENCH_SERVER_ENV=\"VAR=value ...\" (see README, Benchmark)."

run: ## Build, add the demo catalogue on first run, serve on the embedded defaults (HOST/PORT from env)
	@bash scripts/ensure-deps.sh run
	@bash scripts/build.sh --product hwc3d
	@# seed-demo does nothing once the demo creators exist; SEED_DEMO=0 skips it.
	@if [ "$${SEED_DEMO:-1}" != 0 ]; then swift run --skip-build hwc3d seed-demo; fi
	swift run --skip-build hwc3d serve

test: ## Whole suite on SQLite and a throwaway PostgreSQL
	@bash scripts/test.sh

check-boundaries: ## Tables touched only by their owning feature (scripts/check-feature-boundaries.py, as CI runs it)
	@python3 scripts/check-feature-boundaries.py

bench: ## Issue 11's targets: release build, 100k models, reads (wrk) + checkout on both DBs -> bench-results.md
	@bash scripts/bench.sh

bench-catalogue: ## Part: every catalogue route, cached and not, on 100k models, both DBs -> bench-catalogue-results.md
	@bash scripts/bench-catalogue.sh

bench-checkout: ## Part: 32 buyers cart -> checkout -> capture on PostgreSQL, ledger checked -> bench-checkout-results.md
	@bash scripts/bench-checkout.sh

bench-realtime: ## Issue 12's: 2 instances on PostgreSQL, 2000 sockets, delivery latency; posts list and feed on 100k posts
	@bash scripts/bench-realtime.sh

build: ## Debug build
	@bash scripts/ensure-deps.sh run
	@bash scripts/build.sh

release: ## Release build
	@bash scripts/ensure-deps.sh run
	@bash scripts/build.sh -c release

clean: ## Remove build products (swift package clean)
	swift package clean
