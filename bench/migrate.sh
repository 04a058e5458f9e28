#!/usr/bin/env bash
# Applies a generated 1,000-table migration set (10 migrations of 100 tables x 20 columns, with
# indexes and comments) with `schema migrate`, and the same files with `psql -1 -f` (one
# transaction per file, as schema does), each into a fresh database on the same local server.
# Prints the median of 3 runs of each and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/db_url.sh
BIN=$PWD/target/release/schema
tmp=$(mktemp -d); chmod 755 "$tmp"; trap 'rm -rf "$tmp"' EXIT
python3 bench/gen_project.py "$tmp/all" 1000 --dialects postgres
mkdir -p "$tmp/p/schema/tables" "$tmp/p/schema/views"
cp "$tmp/all/schema/schema.yaml" "$tmp/p/schema/"
for batch in $(seq 0 9); do
  cp "$tmp"/all/schema/tables/t0${batch}??.yaml "$tmp/p/schema/tables/"
  $BIN --project "$tmp/p" -q generate --name batch_$batch
done
files=$(ls "$tmp"/p/migrations/postgres/V*.sql | sort -V)
server=$($BIN --project "$tmp/p" local start)
trap '$BIN --project "$tmp/p" local stop >/dev/null; rm -rf "$tmp"' EXIT

fresh() { local n="bench_$(date +%s%N)"; psql "$server" -qc "CREATE DATABASE $n"; echo "$(db_url $n)"; }
time_schema() { local db; db=$(fresh); python3 bench/timeit.py 1 -- $BIN --project "$tmp/p" --database-url "$db" -q migrate; }
time_psql() {
  local db; db=$(fresh)
  python3 bench/timeit.py 1 -- sh -c "for f in $(echo $files); do psql '$db' -q -v ON_ERROR_STOP=1 -1 -f \$f >/dev/null || exit 1; done"
}
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
s=(); p=()
for _ in 1 2 3; do s+=("$(time_schema)"); p+=("$(time_psql)"); done
ms=$(median "${s[@]}"); mp=$(median "${p[@]}")
echo "migration set: $(echo $files | wc -w) files, $(cat $files | grep -c '^CREATE TABLE') tables, $(cat $files | wc -l) lines"
echo "schema migrate:          ${ms}s (runs: ${s[*]})"
echo "psql -1 -f (baseline):   ${mp}s (runs: ${p[*]})"
python3 -c "print(f'ratio schema/psql: {$ms/$mp:.2f}x  (goal: <= 1.2x)')"
