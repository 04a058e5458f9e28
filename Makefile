# The two commands of the README: `make demo` (the main job on a local PostgreSQL) and `make test`.
CARGO ?= cargo
BIN := target/release/schema

.PHONY: build test demo deps lint lint-sql bench docs jsonschema man mutants redshift-smoke fuzz

build:
	$(CARGO) build --release

# sqlfluff (pinned) checks every rendered Redshift statement against an independent grammar. It
# lives in a virtual environment the Makefile owns (.venv), so `make test` also works where the
# system Python refuses pip installs (PEP 668, e.g. Debian's /usr/bin/python3).
VENV := .venv
PYTHON := $(CURDIR)/$(VENV)/bin/python3
export SCHEMA_PYTHON := $(PYTHON)

deps: $(VENV)/.installed

$(VENV)/.installed: requirements-dev.txt
	@test -x $(PYTHON) || python3 -m venv $(VENV)
	@$(PYTHON) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	@touch $@

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

test: deps lint
	$(CARGO) test

# Coverage-guided fuzzing with cargo-fuzz (nightly toolchain): the YAML loader, the SQL lexer
# and the type parser, FUZZ_SECONDS each, from seeds of schema/, examples/ and the migrations.
# A crash stops the run and is saved under fuzz/artifacts/<target>/. `make test` runs a bounded
# mutation run on stable instead (tests/fuzz_projects.rs).
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := load_yaml lexer column_type

fuzz:
	@command -v cargo-fuzz >/dev/null 2>&1 || $(CARGO) install cargo-fuzz --locked
	@scripts/fuzz_corpus.sh
	@for t in $(FUZZ_TARGETS); do \
		$(CARGO) +nightly fuzz run $$t -- -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096 || exit 1; \
	done

# The main job on a local PostgreSQL that the tool manages under .schema/local.
demo: build
	@echo "== schema check (the YAML in schema/)"
	@$(BIN) check
	@echo "== schema generate --check (the migrations match the YAML)"
	@$(BIN) generate --check
	@echo "== schema local start (PostgreSQL 15 under .schema/local)"
	@$(BIN) local start
	@echo "== schema migrate --target dev (schema.yaml's targets: dev is the local PostgreSQL)"
	@$(BIN) migrate --target dev
	@echo "== schema status"
	@$(BIN) status --target dev
	@echo "== schema refresh (the shipped V1 creates the materialized views empty)"
	@$(BIN) -q refresh --target dev
	@echo "== schema diff (the live catalog against the YAML)"
	@$(BIN) diff --target dev
	@echo "== schema seed: a load of synthetic rows in which 5 rows per table miss event_date"
	@$(BIN) -q seed --target dev --rows 2000 --replace --defect event_date_not_null=5
	@echo "== schema validate (the post-load gate: it fails, exit 1, as it should)"
	@$(BIN) validate -q --target dev; status=$$?; if [ $$status -eq 1 ]; then echo "(exit 1: the expected failure)"; else exit 1; fi
	@echo "== schema backfill (fills event_date from event_timestamp)"
	@$(BIN) -q backfill --target dev
	@echo "== schema validate (passes now)"
	@$(BIN) -q validate --target dev
	@echo "== schema refresh (the materialized views, in dependency order)"
	@$(BIN) -q refresh --target dev
	@echo
	@echo "Next: edit a table in schema/tables/, then run"
	@echo "  $(BIN) generate --name my_change && $(BIN) migrate"
	@echo "Render the Redshift DDL: $(BIN) render --dialect redshift"
	@echo "Stop the local PostgreSQL: $(BIN) local stop"

# Man pages for every command (clap_mangen), into target/man.
man: build
	@$(BIN) man --out target/man && echo "wrote target/man (man -l target/man/schema.1)"

# The JSON Schemas of the YAML files (tests/json_schema.rs fails when they are out of date).
jsonschema:
	@$(CARGO) run -q -- json-schema --out schema/.jsonschema

# The Markdown references under docs/schema/ (tests/docs.rs fails when they are out of date).
docs:
	@for p in . examples/*/; do $(CARGO) run -q -- --project $$p docs --out docs/schema || exit 1; done

lint-sql: deps
	$(PYTHON) scripts/lint_sql.py --dialect redshift migrations/redshift

bench: build
	bench/run.sh

# The shipped Redshift migrations on a real cluster (REDSHIFT_URL), in a throwaway schema:
# `schema migrate` then `schema diff` with the Redshift driver. See docs/redshift.md.
redshift-smoke:
	@test -n "$$REDSHIFT_URL" || { echo "redshift-smoke: set REDSHIFT_URL (see docs/redshift.md)" >&2; exit 2; }
	$(CARGO) build --release
	@scripts/redshift_smoke.sh

# Mutation testing of the planner, the differ and validate (.cargo/mutants.toml): every mutant is
# built and tested, about 25 s each; `make mutants SHARD=0/8` runs an eighth of them.
mutants:
	@command -v cargo-mutants >/dev/null || $(CARGO) install --locked cargo-mutants
	$(CARGO) mutants --no-shuffle $(if $(SHARD),--shard $(SHARD))
