#!/usr/bin/env bash
# `schema validate` on 7 tables x ROWS rows (default 2,000,000) of the shipped schema with the
# shipped checks, against, in the same run: the same checks hand-written as one query per table
# and run by psql (the practical floor), one query per check (as dbt runs its tests), and a
# plain COUNT(*) per table (scale). One query per check is also timed with index scans off:
# 7 of its queries (`event_date IS NULL`) are answered from PostgreSQL's btree index on
# (event_date, ...), which Redshift does not have. Each comparison is made sequentially (validate --jobs 1, one
# psql session) and with 4 tables at a time (validate --jobs 4, 4 psql sessions). Prints the
# median of RUNS interleaved runs and every ratio.
#
# Uses the tool's local PostgreSQL (.schema/local) and a database `bench_validate`, kept between
# runs when it already holds the data (FRESH=1 rebuilds it).
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-2000000}
RUNS=${RUNS:-5}
BIN=${CARGO_TARGET_DIR:-target}/release/schema
TABLES=(browser_automations chat_sessions responses tool_usage usage_metrics web_automations web_searches)
cargo build --release -q
server=$($BIN local start)
DB=${server%/*}/bench_validate
PSQL="psql -X -q -v ON_ERROR_STOP=1"

counts=$($PSQL -At "$DB" -c "SELECT $(printf "(SELECT COUNT(*) FROM analytics.%s)||' '||" "${TABLES[@]}")''" 2>/dev/null || true)
if [[ ${FRESH:-0} == 1 || "$counts" != "$(printf "$ROWS %.0s" "${TABLES[@]}")" ]]; then
    echo "loading ${#TABLES[@]} tables x $ROWS rows ..."
    $PSQL "$server" -c "DROP DATABASE IF EXISTS bench_validate" -c "CREATE DATABASE bench_validate"
    $BIN -q --database-url "$DB" migrate
    $BIN --database-url "$DB" seed --rows "$ROWS" --seed 1 ${TABLES[@]/#/--table=} \
        --defect event_date_not_null=$((ROWS / 2000)) --defect event_date_derived=$((ROWS / 20000)) \
        --defect usage_metrics.latency=$((ROWS / 40000)) --defect web_automations.unknown_domain_share=$((ROWS / 100)) \
        --defect web_searches.num_results_last_7_days=$((ROWS / 50000))
    $PSQL "$DB" -c "VACUUM ANALYZE"
fi

# Per-table chunks of the hand-written SQL, for the parallel psql runs.
chunks=$(mktemp -d); trap 'rm -rf "$chunks"' EXIT
for f in fused per_check count; do
    mkdir "$chunks/$f"
    awk -v dir="$chunks/$f" '/^-- table: /{out=dir "/" $3 ".sql"} out{print > out}' "bench/validate/$f.sql"
done
psql1() { echo "$PSQL -o /dev/null $DB -f bench/validate/$1.sql"; }
psql4() { echo "ls $chunks/$1/*.sql | xargs -P 4 -n 1 $PSQL -o /dev/null $DB -f"; }
noindex="export PGOPTIONS='-c enable_indexscan=off -c enable_indexonlyscan=off -c enable_bitmapscan=off';"
validate="$BIN -q --database-url $DB validate ${TABLES[*]/#/--table=}"
# Exit 1 is expected (the data has defects); anything else is a failure.
v() { echo "$validate --jobs $1 >/dev/null; test \$? -eq 1"; }

checks=$( ($validate --format json || true) | python3 -c 'import json, sys; print(json.load(sys.stdin)["summary"]["checks"])')
queries=$($validate --sql | grep -c '^SELECT')
python3 bench/interleave.py "$RUNS" \
    "validate_1=$(v 1)" "fused_1=$(psql1 fused)" "per_check_1=$(psql1 per_check)" \
    "noindex_1=$noindex $(psql1 per_check)" "count_1=$(psql1 count)" \
    "validate_4=$(v 4)" "fused_4=$(psql4 fused)" "per_check_4=$(psql4 per_check)" \
    "noindex_4=$noindex $(psql4 per_check)" "count_4=$(psql4 count)" \
    >"$chunks/times.json"
python3 - "$chunks/times.json" "$ROWS" "$RUNS" "$checks" "$queries" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
rows, runs, checks, queries = sys.argv[2:]
print(f"7 tables x {int(rows):,} rows, {checks} shipped checks in {queries} queries; "
      f"median of {runs} interleaved runs, seconds")
print(f"{'':40}{'sequential':>12}{'4 at a time':>14}")
for name, label in [("validate", "schema validate"), ("fused", "hand-fused queries, psql (floor)"),
                    ("per_check", "one query per check, psql (dbt-like)"),
                    ("noindex", "  the same, index scans off"), ("count", "SELECT COUNT(*) per table, psql")]:
    print(f"{label:40}{t[name + '_1']:>12.3f}{t[name + '_4']:>14.3f}")
for j, what in [("1", "sequential"), ("4", "4 at a time")]:
    v, f, p, n, c = (t[k + "_" + j] for k in ("validate", "fused", "per_check", "noindex", "count"))
    print(f"{what}: validate / floor = {v / f:.3f}x (goal <= 1.15); per-check / validate = {p / v:.2f}x (goal >= 2.5), "
          f"without index scans {n / v:.2f}x; per-check / floor = {p / f:.2f}x; "
          f"validate / COUNT(*) = {v / c:.2f}x; floor / COUNT(*) = {f / c:.2f}x")
PY
