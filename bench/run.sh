#!/usr/bin/env bash
# Benchmarks of the YAML → DDL path (release build). Prints absolute times and ratios measured
# in this run: render vs check on the same project shows what rendering costs on top of loading.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=target/release/schema
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
python3 bench/gen_project.py "$tmp/p1000" 1000
t() { python3 bench/timeit.py "$1" -- "${@:2}"; }

check_shipped=$(t 10 $BIN --project . check)
check_1000=$(t 5 $BIN --project "$tmp/p1000" check)
render_1000=$(t 5 $BIN --project "$tmp/p1000" render --dialect redshift)
render_pg_1000=$(t 5 $BIN --project "$tmp/p1000" render --dialect postgres)
lines=$($BIN --project "$tmp/p1000" render --dialect redshift | wc -l)
echo "schema check, shipped schema (16 tables, 8 MVs):      ${check_shipped}s   (goal: well under 1 s)"
echo "schema check, 1000 tables x 20 columns:              ${check_1000}s"
echo "schema render --dialect redshift, 1000 tables:       ${render_1000}s   (${lines} lines; goal: < 0.5 s)"
echo "schema render --dialect postgres, 1000 tables:       ${render_pg_1000}s"
python3 -c "print(f'render / check (1000 tables): {${render_1000}/${check_1000}:.2f}x')"
