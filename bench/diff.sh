#!/usr/bin/env bash
# Benchmark of `schema diff` (release build) on a generated PostgreSQL database of N tables x 20
# columns (default 1000; one MV per 50 tables), in a throwaway tool-managed cluster. Prints the
# number of catalog round trips (for 10 and for N tables: it must not grow) and median wall
# times, with baselines measured in the same run: a bare connection (`psql -c 'SELECT 1'`),
# loading the YAML alone (`schema check`), `schema inspect` (reading the catalog, writing the
# YAML, then its self-check: the YAML loaded and compared with the database as diff does), the
# floor (loading the YAML plus one catalog read of every column), and migra diffing the same
# database against a copy (migra, pinned in bench/diff/migra-requirements.txt, is installed into
# bench/.migra-venv, a virtual environment the bench owns; MIGRA=path/to/migra uses another).
# With a second argument M (e.g. 5000) it also times diff on M tables, to show it grows linearly.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/db_url.sh
BIN=${CARGO_TARGET_DIR:-target}/release/schema
N=${1:-1000}
M=${2:-}
tmp=$(mktemp -d)
chmod 755 "$tmp"  # the server runs as `postgres` when we are root and must reach its folder
trap '"$BIN" --project "$tmp/big" local stop >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
unset DATABASE_URL
t() { python3 bench/timeit.py "$1" -- "${@:2}"; }
queries() { "$BIN" --project "$1" --database-url "$2" diff --format json |
    python3 -c 'import json, sys; d = json.load(sys.stdin); assert not d["drift"], d["findings"][:3]; print(d["catalog_queries"])'; }

if [ -z "${MIGRA:-}" ]; then
    VENV=bench/.migra-venv
    test -x $VENV/bin/python3 || python3 -m venv $VENV
    $VENV/bin/python3 -m pip install -q --disable-pip-version-check -r bench/diff/migra-requirements.txt
    MIGRA=$VENV/bin/migra
fi

python3 bench/gen_project.py "$tmp/big" "$N" --dialects postgres
python3 bench/gen_project.py "$tmp/small" 10 --dialects postgres
"$BIN" --project "$tmp/big" -q generate
"$BIN" --project "$tmp/small" -q generate
server=$("$BIN" --project "$tmp/big" local start)
# The first migration creates every table in one transaction: thousands of tables take more
# locks than PostgreSQL's default lock table holds.
psql -q "$server" -c 'ALTER SYSTEM SET max_locks_per_transaction = 4096'
"$BIN" --project "$tmp/big" local stop >/dev/null
server=$("$BIN" --project "$tmp/big" local start)
big=$(db_url bench)
small=$(db_url bench_small)
# `local start` printed the project's own database, `bench`, which it created.
psql -q "$server" -c 'CREATE DATABASE bench_small' -c 'CREATE DATABASE bench_copy'
"$BIN" --project "$tmp/big" --database-url "$big" -q migrate
"$BIN" --project "$tmp/small" --database-url "$small" -q migrate
"$BIN" --project "$tmp/big" --database-url "$(db_url bench_copy)" -q migrate
# One read of every column of the namespace: what any diff must at least fetch.
columns="SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'bench' AND a.attnum > 0 AND NOT a.attisdropped"

q_small=$(queries "$tmp/small" "$small")
q_big=$(queries "$tmp/big" "$big")
select1=$(t 10 psql "$big" -Atc 'SELECT 1')
check=$(t 5 "$BIN" --project "$tmp/big" check)
inspect=$(t 5 "$BIN" --database-url "$big" inspect --namespace bench)
diff=$(t 5 "$BIN" --project "$tmp/big" --database-url "$big" diff)
read=$(t 5 psql "$big" -Atc "$columns")
rss=$(python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)' "$BIN" --project "$tmp/big" --database-url "$big" diff)
floor=$(python3 -c "print(f'{${check} + ${read}:.4f}')")
echo "catalog round trips of schema diff: ${q_small} for 10 tables, ${q_big} for ${N} tables (constant)"
echo "psql -c 'SELECT 1' (connection baseline):       ${select1}s"
echo "schema check, ${N} tables (YAML load only):      ${check}s"
echo "schema inspect, ${N} tables (with its self-check): ${inspect}s   (goal: < 0.5 s)"
echo "schema diff, ${N} tables x 20 columns:           ${diff}s   (goal: < 1 s)"
echo "peak memory of schema diff:                      ${rss} MB"
python3 -c "print(f'diff / SELECT 1: {${diff}/${select1}:.1f}x   diff / check: {${diff}/${check}:.1f}x   diff / inspect: {${diff}/${inspect}:.1f}x')"
echo "one catalog read of every column (psql):          ${read}s"
echo "floor = check + that read:                        ${floor}s"
python3 -c "print(f'diff / floor: {${diff}/${floor}:.2f}x   (goal: within 2x)')"
if [ -n "${MIGRA:-}" ]; then
    # SQLAlchemy (under migra) names the scheme and driver: postgresql+psycopg2://.
    sa() { local url; url=$(db_url "$1"); echo "postgresql+psycopg2${url#postgres}"; }
    migra=$(t 3 "$MIGRA" --unsafe --schema bench "$(sa bench)" "$(sa bench_copy)")
    echo "migra, the same database against a copy:          ${migra}s"
    python3 -c "print(f'migra / diff: {${migra}/${diff}:.2f}x   (goal: at least 2x)')"
fi
if [ -n "$M" ]; then
    python3 bench/gen_project.py "$tmp/huge" "$M" --dialects postgres
    "$BIN" --project "$tmp/huge" -q generate
    psql -q "$server" -c 'CREATE DATABASE bench_huge'
    huge=$(db_url bench_huge)
    "$BIN" --project "$tmp/huge" --database-url "$huge" -q migrate
    q_huge=$(queries "$tmp/huge" "$huge")
    diff_huge=$(t 3 "$BIN" --project "$tmp/huge" --database-url "$huge" diff)
    echo "schema diff, ${M} tables x 20 columns:           ${diff_huge}s   (${q_huge} round trips)"
    python3 -c "print(f'diff ${M} / diff ${N}: {${diff_huge}/${diff}:.2f}x for {${M}/${N}:.0f}x the tables (linear: about {${M}/${N}:.0f}x)')"
fi
