# Public Good Market — the two commands a new user needs: `make run` and `make test`.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.8
PORT ?= 8000
export PICCOLO_CONF := piccolo_conf
export UV_PROJECT_ENVIRONMENT := $(VENV)
# pytest-xdist processes per engine pass (make test runs the two passes side by side, so
# 2 + 2 on a 2-core machine: a pass alone leaves a core idle while it waits on the
# database, a server or the browser). Every worker has its own temp dir and SQLite file
# or its own PostgreSQL database, <MARKET_TEST_PG_DB>_gw0, _gw1, … (tests/dbsetup.py).
# TEST_WORKERS=0 runs each pass in one process. --dist loadfile keeps a file's tests on
# one worker, so that those sharing a costly session fixture share it: the crash tests'
# throw-away cluster and 1,540-donation template, the Stripe tests' localstripe and app
# server (xdist_group marks cannot do it: pytest 9 ignores the node ids xdist rewrites).
TEST_WORKERS ?= 2
XDIST := $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile)

.PHONY: messages run serve test test-sqlite test-postgres test-e2e lint format setup migrate demo bench clean browser fonts loadgen cluster cluster-stop cluster-status cluster-test cluster-restore cluster-packages

$(UV):
	$(PY) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.synced: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --quiet
	@touch $@

setup: $(VENV)/.synced

migrate: setup
	@mkdir -p var
	$(VENV)/bin/market migrate

demo: migrate
	$(VENV)/bin/market demo --if-empty

run: demo fonts
	@echo ""
	@echo "  Public Good Market → http://127.0.0.1:$(PORT)"
	@$(VENV)/bin/market demo --logins
	@echo ""
	@echo "  (the job worker — tick, bid opening, settlement, outbox… — runs inside the server)"
	MARKET_WORKER_INLINE=1 $(VENV)/bin/market serve --port $(PORT)

# Debian's Chromium for the browser tests (never `playwright install`).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "installing Debian chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	    || echo "chromium could not be installed: browser tests will be skipped"; \
	fi

# wrk, the HTTP load generator of benchmarks/server_stack.py, from Debian.
loadgen:
	@if ! command -v wrk >/dev/null; then \
	  echo "installing wrk for the HTTP benchmarks"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null) \
	    || echo "wrk could not be installed: the server stack benchmark will stop"; \
	fi

# The development PostgreSQL cluster (deploy/cluster.py, deploy/README.md): a 3-member
# etcd, 3 Patroni nodes of PostgreSQL 15 with a synchronous standby, HAProxy (primary on
# :18340, replicas on :18341) and a pgBackRest repository, all under var/cluster/ on
# ports 18300-18399. Neither `make run` nor `make test` needs any of it.
CLUSTER_PACKAGES := patroni etcd-server etcd-client haproxy pgbackrest
cluster-packages:
	@missing=""; for tool in patroni etcd etcdctl haproxy pgbackrest; do \
	  PATH="$$PATH:/usr/sbin:/sbin" command -v $$tool >/dev/null || missing="$$missing $$tool"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing $(CLUSTER_PACKAGES) from Debian for the cluster (missing:$$missing)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(CLUSTER_PACKAGES) >/dev/null \
	    || { echo "the cluster's packages could not be installed"; exit 1; }; \
	fi

cluster: setup cluster-packages
	$(VENV)/bin/python -m deploy.cluster start

cluster-stop: setup
	$(VENV)/bin/python -m deploy.cluster stop

cluster-status: setup
	$(VENV)/bin/python -m deploy.cluster status

# The whole cluster restored from its pgBackRest repository (deploy/RUNBOOK.md's
# procedure): RESTORE_ARGS="--target '2026-11-30 10:00:00+00'" for a point in time.
cluster-restore: setup
	$(VENV)/bin/python -m deploy.restore $(RESTORE_ARGS)

# SIGKILL of the primary's PostgreSQL under a donation load over HTTP against two app
# processes, then: nothing acknowledged lost or doubled, ledger check, audit verify and
# backup verify (deploy/failover.py). Starts the cluster if it is not running (and stops
# it again afterwards). Not part of `make test`.
cluster-test: setup cluster-packages
	$(VENV)/bin/python -m deploy.failover $(CLUSTER_TEST_ARGS)

# A Chinese font for PDF receipts from Debian (the HTML receipt needs none).
fonts:
	@if [ ! -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] && \
	    [ ! -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]; then \
	  echo "installing fonts-wqy-microhei for PDF receipts"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null) \
	    || echo "no CJK font could be installed: PDF receipt tests will be skipped"; \
	fi

lint: setup
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test-sqlite: setup
	MARKET_TEST_ENGINE=sqlite $(VENV)/bin/pytest $(XDIST) $(PYTEST_ARGS)

test-postgres: setup
	MARKET_TEST_ENGINE=postgres $(VENV)/bin/pytest $(XDIST) $(PYTEST_ARGS)

# The two engine passes run side by side, each in $(TEST_WORKERS) xdist workers; the
# PostgreSQL pass writes to var/test-postgres.log, printed when both are done. What runs
# where (each skip says why in the summary):
#   - both engines: tests/services, tests/web and tests/stripe (every query on each);
#   - SQLite pass only: tests/e2e (the browser; MARKET_TEST_E2E=1 runs them on
#     PostgreSQL too) and the CLI tests that make SQLite files of their own;
#   - once, in the PostgreSQL pass when it runs (else in the SQLite pass): tests/unit
#     (pure rules and ratchets, no database; MARKET_TEST_UNIT_PASS), which evens out the
#     two passes' times — the SQLite one carries the browser;
#   - PostgreSQL pass only: the `postgres_only` tests (separate connections racing) and
#     tests/crash (a throw-away cluster of its own).
# Costly set-up is shared within a worker: the demo district is built once and copied
# into each test that needs it (tests/demo_snapshot.py); the browser tests share one
# Chromium and one app server.
test: setup browser fonts
	@$(VENV)/bin/ruff format --check . && $(VENV)/bin/ruff check . && $(VENV)/bin/mypy
	@mkdir -p var; engines="sqlite"; pg_pid=""; \
	if $(VENV)/bin/python -m tests.dbsetup pg-answers; then \
	  echo "=== PostgreSQL pass started beside the SQLite pass (output: var/test-postgres.log) ==="; \
	  export MARKET_TEST_UNIT_PASS=postgres; \
	  MARKET_TEST_ENGINE=postgres $(VENV)/bin/pytest $(XDIST) $(PYTEST_ARGS) > var/test-postgres.log 2>&1 & pg_pid=$$!; \
	  engines="$$engines, postgresql"; \
	else \
	  echo "PostgreSQL did not answer on 127.0.0.1:5432: SKIPPED the PostgreSQL pass and its concurrency tests"; \
	fi; \
	echo "=== test suite on SQLite ==="; \
	MARKET_TEST_ENGINE=sqlite $(VENV)/bin/pytest $(XDIST) $(PYTEST_ARGS); sqlite_rc=$$?; \
	pg_rc=0; \
	if [ -n "$$pg_pid" ]; then \
	  wait $$pg_pid; pg_rc=$$?; \
	  echo "=== test suite on PostgreSQL ==="; \
	  cat var/test-postgres.log; \
	fi; \
	echo "engines ran: $$engines"; \
	[ $$sqlite_rc -eq 0 ] && [ $$pg_rc -eq 0 ]

# Every benchmark in turn with a summary (benchmarks/run_all.py); `make bench
# BENCH=receipt_signup` runs only the named ones. PostgreSQL ones are skipped, saying
# so, when it does not answer; the OCDS one reads the demo database.
bench: demo fonts loadgen
	$(VENV)/bin/python -m benchmarks.run_all $(BENCH)

clean:
	rm -rf $(VENV) var/*.sqlite3* var/sessions .pytest_cache

# Refresh the message catalogs after changing user-facing text; translate the
# new entries in market/translations/zh_Hans/LC_MESSAGES/messages.po.
messages: setup
	$(VENV)/bin/pybabel extract -F babel.cfg --no-location --sort-output -o var/messages.pot -k _ -k gettext -k ngettext:1,2 -k pgettext:1c,2 .
	for lang in zh_Hans en; do \
	  if [ -f market/translations/$$lang/LC_MESSAGES/messages.po ]; then \
	    $(VENV)/bin/pybabel update --no-fuzzy-matching -i var/messages.pot -d market/translations -l $$lang; \
	  else \
	    $(VENV)/bin/pybabel init -i var/messages.pot -d market/translations -l $$lang; \
	  fi; \
	done
