# Tuopin — the two commands: `make run` (whole system, embedded) and `make test`.
# Needs only Python 3.11+ and make: uv is bootstrapped into .tools/ from PyPI, and the
# environment is built from uv.lock.

PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .tools/bin/uv
VENV := .venv/bin
export UV_PYTHON_DOWNLOADS := never

.PHONY: run test sync lint format contracts bench bench-sync bench-kernel bench-import bench-evaluation bench-backfill bench-loans bench-load bench-reads bench-plans clean deploy-tools validate-deploy vendor-map vendor-oidc

run: sync ## Run broker + four services on 127.0.0.1 (8001–8004, Kafka 9092); Ctrl-C stops all
	$(VENV)/tuopin up

test: sync lint deploy-tools ## Every test (SQLite; PostgreSQL too when TUOPIN_TEST_POSTGRES_URL is set)
	$(VENV)/pytest -n 4 --dist load

sync: $(UV)
	$(UV) sync --all-packages --frozen --quiet

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

lint: sync ## Style, layering (import-linter), types (mypy), generated contract files up to date
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .
	$(VENV)/lint-imports
	$(VENV)/mypy libs/eventkit/src/tuopin_eventkit contracts/src/tuopin_contracts services/*/src tools/cli/src
	$(VENV)/tuopin-contracts --check

vendor-map: sync ## Re-vendor the dashboard's county boundaries from the pinned npm tarball (network; the result is committed)
	$(VENV)/python tools/vendor_map.py

vendor-oidc: sync ## Re-vendor the sign-in page's OIDC client (oauth4webapi) from the pinned npm tarball (network; the result is committed)
	$(VENV)/python tools/vendor_oidc.py

format: sync
	$(VENV)/ruff format .
	$(VENV)/ruff check --fix .

contracts: sync ## Regenerate JSON Schemas and the AsyncAPI document from the event models
	$(VENV)/tuopin-contracts

# The benches' shared options: KAFKA_PORT (their broker's port; default a free one), DB_PREFIX
# (their throwaway databases' and folders' names), POSTGRES (default $TUOPIN_TEST_POSTGRES_URL);
# PORT_BASE: the HTTP services of bench.load on base+1…4, bench.reads' servers above.
BENCH_OPTIONS = $(if $(KAFKA_PORT),--kafka-port $(KAFKA_PORT)) $(if $(DB_PREFIX),--db-prefix $(DB_PREFIX)) $(if $(POSTGRES),--postgres $(POSTGRES))
BENCH_PORTS = $(if $(PORT_BASE),--port-base $(PORT_BASE))

bench-sync: sync  # the benches' own packages too (the eventsourcing library, aiohttp)
	$(UV) sync --all-packages --frozen --quiet --group bench

bench: bench-sync ## Every figure of the performance issue in one table, with baselines from the same run, to bench/results/; HOUSEHOLDS=10000 EVENTS=20000 RATE=50 SECONDS=30 READ_SECONDS=10
	$(VENV)/python -m bench.suite --households $(or $(HOUSEHOLDS),10000) --events $(or $(EVENTS),20000) \
	    --rate $(or $(RATE),50) --seconds $(or $(SECONDS),30) --read-seconds $(or $(READ_SECONDS),10) $(BENCH_PORTS) $(BENCH_OPTIONS)

bench-kernel: bench-sync ## Kernel throughput next to raw aiokafka produce and the eventsourcing library, measured in the same run; EVENTS=20000
	$(VENV)/python -m bench.kernel --events $(or $(EVENTS),20000) $(BENCH_OPTIONS)

bench-import: bench-sync ## Registry bulk import (建档立卡 records) on a generated file; HOUSEHOLDS=20000
	$(VENV)/python -m bench.registry_import --households $(or $(HOUSEHOLDS),20000) $(BENCH_OPTIONS)

bench-evaluation: bench-sync ## Rebuild of evaluation's read model from the topics for a generated province; HOUSEHOLDS=970000
	$(VENV)/python -m bench.evaluation_rebuild --households $(or $(HOUSEHOLDS),970000) $(BENCH_OPTIONS)

bench-backfill: bench-sync ## The same province history entered on time and years late: rebuild rates and yearly figures compared; HOUSEHOLDS=20000
	$(VENV)/python -m bench.backfill --households $(or $(HOUSEHOLDS),20000)

bench-load: bench-sync ## Open-loop registrations over HTTP, timed to counted in evaluation, invariants checked; RATE=50 SECONDS=30 (PostgreSQL when TUOPIN_TEST_POSTGRES_URL is set)
	$(VENV)/python -m bench.load --rate $(or $(RATE),50) --seconds $(or $(SECONDS),30) $(BENCH_PORTS) $(BENCH_OPTIONS)

bench-reads: bench-sync ## Household by id and roll-ups under 20 concurrent clients, against /healthz; HOUSEHOLDS=10000 (PostgreSQL when TUOPIN_TEST_POSTGRES_URL is set)
	$(VENV)/python -m bench.reads --households $(or $(HOUSEHOLDS),10000) $(BENCH_PORTS) $(BENCH_OPTIONS)

bench-plans: bench-sync ## Every GET route of the registry and evaluation explained (EXPLAIN ANALYZE) over a generated province; HOUSEHOLDS=20000 (PostgreSQL: POSTGRES or TUOPIN_TEST_POSTGRES_URL)
	$(VENV)/python -m bench.plans --households $(or $(HOUSEHOLDS),20000) $(BENCH_OPTIONS)

bench-loans: bench-sync ## Quarterly interest-subsidy settlement over a generated portfolio; LOANS=800000
	$(VENV)/python -m bench.loans_settlement --loans $(or $(LOANS),800000)

CRD_VALIDATORS := tests/deploy/crd/node_modules/.package-lock.json

validate-deploy: sync deploy-tools ## Offline checks of docker-compose.yml, the images and the k8s overlays
	$(VENV)/pytest tests/deploy

deploy-tools: $(CRD_VALIDATORS) ## Validators of the Strimzi/CloudNativePG resources (npm, from their lock file)

$(CRD_VALIDATORS): tests/deploy/crd/package.json tests/deploy/crd/package-lock.json
	@if command -v npm >/dev/null; then \
	    npm ci --prefix tests/deploy/crd --no-audit --no-fund --loglevel=error \
	    || echo "npm ci failed: custom resources get structural checks only"; \
	else echo "npm not found: custom resources get structural checks only"; fi

clean:
	rm -rf .venv .tools var .pytest_cache .ruff_cache tests/deploy/crd/node_modules
