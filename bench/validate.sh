#!/usr/bin/env bash
# `schema validate` on 7 tables x ROWS rows (default 2,000,000) of the shipped schema, timed in
# one interleaved run (median of RUNS runs, default 5) against:
# - the shipped checks hand-written as one query per table and run by psql (the practical
#   floor), one query per check (as dbt runs its tests, also with index scans off: 7 of its
#   queries, `event_date IS NULL`, are answered from PostgreSQL's btree index on
#   (event_date, ...), which Redshift does not have) and a plain COUNT(*) per table (scale);
# - dbt itself (dbt-core + dbt-postgres, pinned in bench/validate/dbt-requirements.txt and
#   installed into bench/.dbt-venv): `dbt test` on a project generated from the YAML with the
#   same coverage as `validate` with key checks on (`key_checks: always` in a copy of the
#   project): not_null, unique for every primary and unique key, relationships for every
#   foreign key, accepted_values for an IN-list condition, expression tests for the rest. The
#   bench first checks that both run the same checks with the same outcomes, and prints where
#   the time of one sequential run of each goes;
# - `validate --since <the last day>` against the whole table, on SINCE_TABLE (default
#   usage_metrics) and on all 7 (cost follows the load). The tables hold `seed --days 30` days
#   and are stored in day order (CLUSTER on their event_date index), as daily loads leave them.
# Each comparison is made sequentially (validate --jobs 1, one psql session, dbt --threads 1)
# and with 4 tables at a time (validate --jobs 4, 4 psql sessions, dbt --threads 4). Prints
# the medians and every ratio.
#
# Uses the tool's local PostgreSQL (.schema/local) and a database `bench_validate`, kept between
# runs when it already holds the data (FRESH=1 rebuilds it).
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-2000000}
RUNS=${RUNS:-5}
SINCE_TABLE=${SINCE_TABLE:-usage_metrics}
BIN=${CARGO_TARGET_DIR:-target}/release/schema
TABLES=(browser_automations chat_sessions responses tool_usage usage_metrics web_automations web_searches)
cargo build --release -q
server=$($BIN local start)
DB=${server%/*}/bench_validate
PSQL="psql -X -q -v ON_ERROR_STOP=1"

# dbt lives in a virtual environment the bench owns (the system Python may refuse pip installs).
VENV=bench/.dbt-venv
if [[ ! -x $VENV/bin/dbt || bench/validate/dbt-requirements.txt -nt $VENV/.installed ]]; then
    echo "installing dbt into $VENV ..."
    test -x $VENV/bin/python3 || python3 -m venv $VENV
    $VENV/bin/python3 -m pip install -q --disable-pip-version-check -r bench/validate/dbt-requirements.txt
    touch $VENV/.installed
fi
VPY=$VENV/bin/python3

counts=$($PSQL -At "$DB" -c "SELECT $(printf "(SELECT COUNT(*) FROM analytics.%s)||' '||" "${TABLES[@]}")''" 2>/dev/null || true)
if [[ ${FRESH:-0} == 1 || "$counts" != "$(printf "$ROWS %.0s" "${TABLES[@]}")" ]]; then
    echo "loading ${#TABLES[@]} tables x $ROWS rows ..."
    $PSQL "$server" -c "DROP DATABASE IF EXISTS bench_validate" -c "CREATE DATABASE bench_validate"
    $BIN -q --database-url "$DB" migrate
    $BIN --database-url "$DB" seed --rows "$ROWS" --seed 1 --days 30 ${TABLES[@]/#/--table=} \
        --defect event_date_not_null=$((ROWS / 2000)) --defect event_date_derived=$((ROWS / 20000)) \
        --defect usage_metrics.latency=$((ROWS / 40000)) --defect web_automations.unknown_domain_share=$((ROWS / 100)) \
        --defect web_searches.num_results_last_7_days=$((ROWS / 50000))
fi
# Seed writes the days in random order; daily loads append them in order (and Redshift sorts by
# the sort key): CLUSTER each table on its event_date index once, then refresh the statistics.
in_list=$(printf "'%s'," "${TABLES[@]}")
unordered=$($PSQL -At "$DB" -c "SELECT string_agg(c.relname, ' ') FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'analytics'
    WHERE c.relname IN (${in_list%,}) AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisclustered)")
if [[ -n $unordered ]]; then
    for t in $unordered; do $PSQL "$DB" -c "CLUSTER analytics.$t USING idx_${t}_date"; done
    $PSQL "$DB" -c "VACUUM ANALYZE"
fi

# Per-table chunks of the hand-written SQL, for the parallel psql runs.
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for f in fused per_check count; do
    mkdir "$tmp/$f"
    awk -v dir="$tmp/$f" '/^-- table: /{out=dir "/" $3 ".sql"} out{print > out}' "bench/validate/$f.sql"
done
psql1() { echo "$PSQL -o /dev/null $DB -f bench/validate/$1.sql"; }
psql4() { echo "ls $tmp/$1/*.sql | xargs -P 4 -n 1 $PSQL -o /dev/null $DB -f"; }
noindex="export PGOPTIONS='-c enable_indexscan=off -c enable_indexonlyscan=off -c enable_bitmapscan=off';"
validate="$BIN -q --database-url $DB validate ${TABLES[*]/#/--table=}"
# Exit 1 is expected (the data has defects); anything else is a failure. The timed runs keep
# stderr quiet (the database line); their exit codes are checked.
v() { echo "$validate --jobs $1 >/dev/null 2>&1; test \$? -eq 1"; }

# The same coverage in both: a copy of the project with `key_checks: always` (PostgreSQL enforces
# keys, so `auto` leaves them off), and a dbt project generated from it. dbt runs with partial
# parsing, as on a developer's machine: the first run leaves its parse behind.
mkdir "$tmp/project"; cp -r schema "$tmp/project/"
$VPY bench/validate/dbt_project.py project "$tmp/project"
tests=$($VPY bench/validate/dbt_project.py generate "$tmp/project" "$tmp/dbt" "$DB" "${TABLES[@]}")
export DBT_SEND_ANONYMOUS_USAGE_STATS=false DBT_PROFILES_DIR=$tmp/dbt DBT_PROJECT_DIR=$tmp/dbt
keys="$BIN -q --project $tmp/project --database-url $DB validate ${TABLES[*]/#/--table=}"
k() { echo "$keys --jobs $1 >/dev/null 2>&1; test \$? -eq 1"; }
dbt() { echo "$PWD/$VENV/bin/dbt -q --no-use-colors test --threads $1 >/dev/null; test \$? -eq 1"; }
# dbt's fixed cost: start, read the project, select nothing, run nothing.
dbt0="$PWD/$VENV/bin/dbt -q --no-use-colors test --select tag:nothing_selected >/dev/null"
($keys --jobs 1 --format json || true) >"$tmp/keys.json"
rc=0; $VENV/bin/dbt --no-use-colors test --threads 1 >"$tmp/dbt.log" 2>&1 || rc=$?
if [[ $rc != 1 ]]; then cat "$tmp/dbt.log" >&2; echo "dbt test: exit $rc, expected 1 (failing tests)" >&2; exit 2; fi
$VPY bench/validate/dbt_project.py compare "$tmp/keys.json" "$tmp/dbt/target"

# Cost follows the load: the last day of the data (by event_timestamp: a derived defect dates a
# row a day late) against the whole table; the day after it (no rows) gives validate's fixed
# cost. Defects may or may not fall on the last day, so exit 0 is fine there.
read -r last next < <($PSQL -At -F ' ' "$DB" -c "SELECT MAX(DATE(event_timestamp)), MAX(DATE(event_timestamp)) + 1 FROM analytics.$SINCE_TABLE")
one="$BIN -q --database-url $DB validate --table $SINCE_TABLE"
rows_of() { ($one "$@" --format json 2>/dev/null || true) | python3 -c 'import json, sys; print(max(r["rows_checked"] for r in json.load(sys.stdin)["results"]))'; }
since_rows=$(rows_of --since "$last"); whole_rows=$(rows_of)

checks=$( ($validate --format json 2>/dev/null || true) | python3 -c 'import json, sys; print(json.load(sys.stdin)["summary"]["checks"])')
queries=$($validate --sql | grep -c '^SELECT')
key_queries=$($keys --sql | grep -c '^SELECT')
python3 bench/interleave.py "$RUNS" \
    "validate_1=$(v 1)" "fused_1=$(psql1 fused)" "per_check_1=$(psql1 per_check)" \
    "noindex_1=$noindex $(psql1 per_check)" "count_1=$(psql1 count)" \
    "validate_4=$(v 4)" "fused_4=$(psql4 fused)" "per_check_4=$(psql4 per_check)" \
    "noindex_4=$noindex $(psql4 per_check)" "count_4=$(psql4 count)" \
    "keys_1=$(k 1)" "dbt_1=$(dbt 1)" "keys_4=$(k 4)" "dbt_4=$(dbt 4)" "dbt_0=$dbt0" \
    "since=$one --since $last >/dev/null 2>&1; test \$? -le 1" "whole=$one >/dev/null 2>&1; test \$? -eq 1" \
    "since_none=$one --since $next >/dev/null 2>&1; test \$? -le 1" \
    "since_all=$validate --since $last >/dev/null 2>&1; test \$? -le 1" \
    >"$tmp/times.json"
python3 - "$tmp/times.json" "$ROWS" "$RUNS" "$checks" "$queries" "$tests" "$key_queries" \
    "$SINCE_TABLE" "$last" "$next" "$since_rows" "$whole_rows" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
rows, runs, checks, queries, tests, key_queries, table, last, next_, since_rows, whole_rows = sys.argv[2:]
print(f"7 tables x {int(rows):,} rows, {checks} shipped checks in {queries} queries, {tests} with the key checks "
      f"in {key_queries}; median of {runs} interleaved runs, seconds")
print(f"{'':52}{'sequential':>12}{'4 at a time':>14}")
for name, label in [("validate", "schema validate"), ("fused", "hand-fused queries, psql (floor)"),
                    ("per_check", "one query per check, psql (dbt-like)"),
                    ("noindex", "  the same, index scans off"), ("count", "SELECT COUNT(*) per table, psql"),
                    ("keys", f"schema validate + key checks ({tests} checks)"),
                    ("dbt", f"dbt test --threads 1 / 4, the same {tests} tests")]:
    print(f"{label:52}{t[name + '_1']:>12.3f}{t[name + '_4']:>14.3f}")
print(f"{'  dbt test selecting nothing (its fixed cost)':52}{t['dbt_0']:>12.3f}")
print(f"validate --table {table} ({int(whole_rows):,} rows over 30 days, in day order):")
for name, label in [("whole", "whole table"), ("since", f"--since {last} ({int(since_rows):,} rows)"),
                    ("since_none", f"--since {next_} (no rows: the fixed cost)")]:
    print(f"  {label:62}{t[name]:>12.3f}")
print(f"validate, all 7 tables (--jobs 4): --since {last} {t['since_all']:.3f}, whole tables {t['validate_4']:.3f}")
for j, what in [("1", "sequential"), ("4", "4 at a time")]:
    v, f, p, n, c, k, d = (t[x + "_" + j] for x in ("validate", "fused", "per_check", "noindex", "count", "keys", "dbt"))
    print(f"{what}: dbt / validate (with key checks) = {d / k:.2f}x (goal >= 4), "
          f"less dbt's fixed cost {(d - t['dbt_0']) / k:.2f}x; "
          f"per-check / validate = {p / v:.2f}x (goal >= 2.5), without index scans {n / v:.2f}x; "
          f"validate / floor = {v / f:.3f}x (goal <= 1.15); per-check / floor = {p / f:.2f}x; "
          f"validate / COUNT(*) = {v / c:.2f}x; floor / COUNT(*) = {f / c:.2f}x")
fixed = t["since_none"]
print(f"cost follows the load: {table} --since {last} / whole table = {t['since'] / t['whole']:.3f}x (goal <= 0.1); "
      f"its rows {int(since_rows) / int(whole_rows):.3f}x; less the fixed cost {(t['since'] - fixed) / (t['whole'] - fixed):.3f}x; "
      f"all 7 tables {t['since_all'] / t['validate_4']:.3f}x")
PY
