# The two commands of the README: `make demo` (the main job on a local PostgreSQL) and `make test`.
CARGO ?= cargo
BIN := target/release/schema

.PHONY: build test demo deps lint lint-sql bench

build:
	$(CARGO) build --release

# sqlfluff (pinned) checks every rendered Redshift statement against an independent grammar.
deps:
	@python3 -c 'import sqlfluff' 2>/dev/null || python3 -m pip install -q -r requirements-dev.txt

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

test: deps lint
	$(CARGO) test

lint-sql: deps
	python3 scripts/lint_sql.py --dialect redshift migrations/redshift

bench: build
	bench/run.sh
