#!/usr/bin/env bash
# `schema validate` against its peers, every ratio from one interleaved run (median of RUNS
# runs, default 5; a change in the machine's load hits every command alike):
#
# 1. Row-level checks against dbt: the shipped checks of the 7 time-series tables of seed 000
#    (ROWS rows each, default 2,000,000), `schema validate` (`key_checks: auto`: PostgreSQL
#    enforces every key, so only the row-level checks run) against `dbt test` (dbt-core +
#    dbt-postgres from PyPI, pinned in bench/validate/dbt-requirements.txt and installed into
#    bench/.dbt-venv) on a dbt project generated from the same YAML: not_null, accepted_values
#    for an `IN (...)` condition, and expression, ratio and lookup tests written the way
#    dbt_utils writes them. The bench first checks that every check ends the same way in both.
#    Goal: dbt at least 4x slower. Also timed: the same checks hand-written as one query per
#    table (bench/validate/fused.sql, the practical floor) and a COUNT(*) per table, by psql.
# 2. Key checks against hand-written SQL: the primary-key and foreign-key checks of the same
#    tables (a copy of the project with `key_checks: always`), against the GROUP BY and the
#    anti-join per key a data engineer writes (bench/validate/keys.sql), by psql. Goal: within
#    1.1x.
# 3. The post-load window: WINDOW_TABLE (default usage_metrics; WINDOW_ROWS rows, default
#    20,000,000, over 30 days, and as many rows in its parent chat_sessions), `validate --since`
#    its last day against the whole table, with the row-level checks only and with its key
#    checks too. Goals: at most 0.1x and at most 0.25x. The bench prints the plan of the
#    windowed orphan check: the window's rows probed in the parent's key index.
#
# Tables are stored in day order (CLUSTER on their event_date index), as daily loads leave them.
# Runs are sequential (validate --jobs 1, one psql session, dbt --threads 1); the dbt comparison
# is also made 4 tables at a time (--jobs 4, --threads 4).
#
# Uses the tool's local PostgreSQL (.schema/local) and the databases `bench_validate` and
# `bench_validate_window`, kept between runs when they already hold the data (FRESH=1 rebuilds);
# it sets random_page_cost and shared_buffers for them (TUNE=0: PostgreSQL's defaults), see below.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/db_url.sh
ROWS=${ROWS:-2000000}
RUNS=${RUNS:-5}
WINDOW_ROWS=${WINDOW_ROWS:-20000000}
WINDOW_TABLE=${WINDOW_TABLE:-usage_metrics}
BIN=${CARGO_TARGET_DIR:-target}/release/schema
TABLES=(browser_automations chat_sessions responses tool_usage usage_metrics web_automations web_searches)
cargo build --release -q
server=$($BIN local start)
DB=$(db_url bench_validate)
WDB=$(db_url bench_validate_window)
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

# load DATABASE ROWS TABLE...: the tables (and the tables they reference) with ROWS rows each and
# the same share of defects at any size, unless they hold that already; then in day order.
load() {
    local db=$1 rows=$2; shift 2
    local tables=("$@") in_list counts unordered d
    local defects=(--defect event_date_not_null=$((rows / 2000)) --defect event_date_derived=$((rows / 20000)))
    for d in usage_metrics.latency=$((rows / 40000)) web_automations.unknown_domain_share=$((rows / 100)) \
        web_searches.num_results_last_7_days=$((rows / 50000)); do
        if [[ " ${tables[*]} " == *" ${d%%.*} "* ]]; then defects+=(--defect "$d"); fi
    done
    counts=$($PSQL -At "$db" -c "SELECT $(printf "(SELECT COUNT(*) FROM analytics.%s)||' '||" "${tables[@]}")''" 2>/dev/null || true)
    if [[ ${FRESH:-0} == 1 || "$counts" != "$(printf "$rows %.0s" "${tables[@]}")" ]]; then
        echo "loading ${tables[*]} x $rows rows into $(db_name "$db") ..."
        $PSQL "$server" -c "DROP DATABASE IF EXISTS $(db_name "$db")" -c "CREATE DATABASE $(db_name "$db")"
        $BIN -q --database-url "$db" migrate
        $BIN -q --database-url "$db" seed --rows "$rows" --seed 1 --days 30 ${tables[@]/#/--table=} "${defects[@]}"
    fi
    # Seed writes the days in random order; daily loads append them in order (and Redshift sorts
    # by the sort key): CLUSTER each table on its event_date index once, then refresh statistics.
    in_list=$(printf "'%s'," "${tables[@]}" chat_sessions)
    unordered=$($PSQL -At "$db" -c "SELECT string_agg(c.relname, ' ') FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'analytics'
        WHERE c.relname IN (${in_list%,}) AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisclustered)")
    if [[ -n $unordered ]]; then
        for t in $unordered; do $PSQL "$db" -c "CLUSTER analytics.$t USING idx_${t}_date"; done
        $PSQL "$db" -c "VACUUM ANALYZE"
    fi
}
load "$DB" "$ROWS" "${TABLES[@]}"
load "$WDB" "$WINDOW_ROWS" "$WINDOW_TABLE"

# PostgreSQL's defaults suit neither data held in memory nor an SSD: random_page_cost 4 prices an
# index probe like a disk seek, so a day of a 20M-row table is read by a whole scan and its orphans
# are found by hashing the whole parent; shared_buffers 128MB holds no 20M-row key index. Unless
# TUNE=0, the bench sets random_page_cost 1.1 on its databases (PostgreSQL's documentation
# suggests it for SSDs) and shared_buffers 2GB on the local server, restarting it; TUNE=0 puts
# the defaults back.
if [[ ${TUNE:-1} == 1 ]]; then buffers=2GB page=1.1; else buffers=128MB page=DEFAULT; fi
if [[ $($PSQL -At "$server" -c "SHOW shared_buffers") != "$buffers" ]]; then
    echo "shared_buffers = $buffers on the local PostgreSQL (restarting it) ..."
    $PSQL "$server" -c "ALTER SYSTEM SET shared_buffers = '$buffers'"
    $BIN -q local stop && server=$($BIN local start)
fi
for db in "$DB" "$WDB"; do
    $PSQL "$server" -c "ALTER DATABASE $(db_name "$db") SET random_page_cost = $page"
done

# Per-table chunks of the hand-written SQL, for the parallel psql runs.
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for f in fused count; do
    mkdir "$tmp/$f"
    awk -v dir="$tmp/$f" '/^-- table: /{out=dir "/" $3 ".sql"} out{print > out}' "bench/validate/$f.sql"
done
psql1() { echo "$PSQL -o /dev/null $DB -f bench/validate/$1.sql"; }
psql4() { echo "ls $tmp/$1/*.sql | xargs -P 4 -n 1 $PSQL -o /dev/null $DB -f"; }

# The shipped project (`key_checks: auto`) and a copy checking every key (`key_checks: always`).
mkdir "$tmp/always"; cp -r schema "$tmp/always/"
$VPY bench/validate/dbt_project.py project "$tmp/always"
validate="$BIN -q --database-url $DB validate ${TABLES[*]/#/--table=}"
# Exit 1 is expected (the data has defects); anything else is a failure. The timed runs keep
# stderr quiet (the database line); their exit codes are checked.
v() { echo "$validate --jobs $1 >/dev/null 2>&1; test \$? -eq 1"; }

# 1. dbt: a project generated from the same YAML; the key checks it leaves out are those
# `validate` leaves to PostgreSQL. dbt runs with partial parsing, as on a developer's machine:
# the first run leaves its parse behind.
tests=$($VPY bench/validate/dbt_project.py generate . "$tmp/dbt" "$DB" "${TABLES[@]}")
export DBT_SEND_ANONYMOUS_USAGE_STATS=false DBT_PROFILES_DIR=$tmp/dbt DBT_PROJECT_DIR=$tmp/dbt
dbt() { echo "$PWD/$VENV/bin/dbt -q --no-use-colors test --threads $1 >/dev/null; test \$? -eq 1"; }
# dbt's fixed cost: start, read the project, select nothing, run nothing.
dbt0="$PWD/$VENV/bin/dbt -q --no-use-colors test --select tag:nothing_selected >/dev/null"
($validate --jobs 1 --format json 2>/dev/null || true) >"$tmp/rows.json"
rc=0; $VENV/bin/dbt --no-use-colors test --threads 1 >"$tmp/dbt.log" 2>&1 || rc=$?
if [[ $rc != 1 ]]; then cat "$tmp/dbt.log" >&2; echo "dbt test: exit $rc, expected 1 (failing tests)" >&2; exit 2; fi
$VPY bench/validate/dbt_project.py compare "$tmp/rows.json" "$tmp/dbt/target"
checks=$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d["summary"]["checks"], len(d["left_to_database"]))' "$tmp/rows.json")

# 2. The key checks alone, by name (the data has no key defects: exit 0).
names=$($BIN --project "$tmp/always" --database-url "$DB" validate ${TABLES[*]/#/--table=} --sql --format json |
    python3 -c 'import json, sys; print(" ".join(sorted({"--check=" + c for q in json.load(sys.stdin)["queries"] if q["lists"] == "count" for c in q["checks"] if c == "primary_key_unique" or "_in_" in c})))')
keys="$BIN -q --project $tmp/always --database-url $DB validate ${TABLES[*]/#/--table=} $names"
k() { echo "$keys --jobs $1 >/dev/null 2>&1"; }
mkdir "$tmp/keys"
awk -v dir="$tmp/keys" '/^-- table: /{out=dir "/" $3 ".sql"} out{print > out}' bench/validate/keys.sql
key_checks=$($keys --format json 2>/dev/null | python3 -c 'import json, sys; print(json.load(sys.stdin)["summary"]["checks"])')

# 3. The window: the last day of the data (by event_timestamp: a derived defect dates a row a day
# late) against the whole table; the day after it (no rows) gives a run's fixed cost.
read -r last next < <($PSQL -At -F ' ' "$WDB" -c "SELECT MAX(DATE(event_timestamp)), MAX(DATE(event_timestamp)) + 1 FROM analytics.$WINDOW_TABLE")
rows1="$BIN -q --database-url $WDB validate --jobs 1 --table $WINDOW_TABLE"
keys1="$BIN -q --project $tmp/always --database-url $WDB validate --jobs 1 --table $WINDOW_TABLE"
rows_of() { ($rows1 "$@" --format json 2>/dev/null || true) | python3 -c 'import json, sys; print(max(r["rows_checked"] for r in json.load(sys.stdin)["results"]))'; }
since_rows=$(rows_of --since "$last"); whole_rows=$(rows_of)
window_checks=$( ($keys1 --format json 2>/dev/null || true) | python3 -c 'import json, sys; print(" ".join(r["check"] for r in json.load(sys.stdin)["results"]))')
# The plan of the windowed orphan check: which join PostgreSQL chose, and on what.
orphans=$($keys1 --since "$last" --check session_id_in_chat_sessions --sql --format json | python3 -c 'import json, sys; print(json.load(sys.stdin)["queries"][0]["sql"])')
plan=$($PSQL -At "$WDB" -c "EXPLAIN $orphans" | grep -oE '(Nested Loop Anti Join|Hash Anti Join|Merge Anti Join|Hash Right Anti Join|Index Only Scan using [a-z_]+|Index Scan using [a-z_]+|Seq Scan on chat_sessions)' | sort -u | paste -sd ',' - | sed 's/,/, /g')

python3 bench/interleave.py "$RUNS" \
    "validate_1=$(v 1)" "dbt_1=$(dbt 1)" "validate_4=$(v 4)" "dbt_4=$(dbt 4)" "dbt_0=$dbt0" \
    "fused_1=$(psql1 fused)" "count_1=$(psql1 count)" \
    "keys_1=$(k 1)" "hand_1=$PSQL -o /dev/null $DB -f bench/validate/keys.sql" \
    "keys_4=$(k 4)" "hand_4=ls $tmp/keys/*.sql | xargs -P 4 -n 1 $PSQL -o /dev/null $DB -f" \
    "rows_whole=$rows1 >/dev/null 2>&1; test \$? -eq 1" "rows_since=$rows1 --since $last >/dev/null 2>&1; test \$? -le 1" \
    "rows_none=$rows1 --since $next >/dev/null 2>&1; test \$? -le 1" \
    "keys_whole=$keys1 >/dev/null 2>&1; test \$? -eq 1" "keys_since=$keys1 --since $last >/dev/null 2>&1; test \$? -le 1" \
    "keys_none=$keys1 --since $next >/dev/null 2>&1; test \$? -le 1" \
    >"$tmp/times.json"
python3 - "$tmp/times.json" "$ROWS" "$RUNS" "$checks" "$tests" "$key_checks" "$WINDOW_TABLE" "$WINDOW_ROWS" \
    "$last" "$next" "$since_rows" "$whole_rows" "$window_checks" "$plan" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
rows, runs, checks, tests, key_checks, table, wrows, last, next_, since_rows, whole_rows, wchecks, plan = sys.argv[2:]
rows, runs, wrows = int(rows), int(runs), int(wrows)
ran, left = checks.split()
print(f"median of {runs} interleaved runs, seconds")
print(f"1. row-level checks, 7 tables x {rows:,} rows: validate ran {ran} checks ({left} key checks left to "
      f"PostgreSQL, which enforces them); dbt {tests} tests")
print(f"{'':52}{'sequential':>12}{'4 at a time':>14}")
for name, label in [("validate", "schema validate"), ("dbt", "dbt test (--threads 1 / 4)")]:
    print(f"  {label:50}{t[name + '_1']:>12.3f}{t[name + '_4']:>14.3f}")
print(f"  {'dbt test selecting nothing (its fixed cost)':50}{t['dbt_0']:>12.3f}")
print(f"  {'hand-fused queries, psql (floor)':50}{t['fused_1']:>12.3f}")
print(f"  {'SELECT COUNT(*) per table, psql':50}{t['count_1']:>12.3f}")
for j, what in [("1", "sequential"), ("4", "4 at a time")]:
    print(f"  {what}: dbt / validate = {t['dbt_' + j] / t['validate_' + j]:.2f}x (goal >= 4); "
          f"less dbt's fixed cost {(t['dbt_' + j] - t['dbt_0']) / t['validate_' + j]:.2f}x")
print(f"  validate / floor = {t['validate_1'] / t['fused_1']:.3f}x; validate / COUNT(*) = {t['validate_1'] / t['count_1']:.2f}x")
print(f"2. key checks, same tables: validate {key_checks} checks (key_checks: always) against the hand-written "
      "GROUP BY and anti-joins (bench/validate/keys.sql)")
for name, label in [("keys", "schema validate, key checks"), ("hand", "hand-written, psql")]:
    print(f"  {label:50}{t[name + '_1']:>12.3f}{t[name + '_4']:>14.3f}")
for j, what in [("1", "sequential"), ("4", "4 at a time")]:
    print(f"  {what}: validate / hand-written = {t['keys_' + j] / t['hand_' + j]:.3f}x (goal <= 1.1)")
print(f"3. the window: {table}, {int(whole_rows):,} rows over 30 days in day order, --since {last} "
      f"({int(since_rows):,} rows, {int(since_rows) / int(whole_rows):.3f} of them)")
print(f"  {'':48}{'whole table':>12}{'--since':>10}{'no rows':>10}{'ratio':>9}")
for name, label, goal in [("rows", "row-level checks", 0.1), ("keys", f"with key checks ({wchecks})", 0.25)]:
    w, s, n = t[name + "_whole"], t[name + "_since"], t[name + "_none"]
    print(f"  {label[:48]:48}{w:>12.3f}{s:>10.3f}{n:>10.3f}{s / w:>8.3f}x (goal <= {goal}; less the fixed cost {(s - n) / (w - n):.3f}x)")
print(f"  plan of the windowed orphan check: {plan}")
PY
