#!/usr/bin/env bash
# The first run of the shipped Redshift migrations on a real cluster, kept away from the real
# namespace: the project and its migrations are copied, the namespace renamed to a throwaway
# schema (SMOKE_NAMESPACE, default schema_smoke_<UTC time>), then `schema migrate` and
# `schema diff` run with the Redshift driver. The schema is left in place for inspection; the
# script prints the statement that drops it.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${REDSHIFT_URL:-}" ]; then
    echo "redshift-smoke: set REDSHIFT_URL to a Redshift database where a throwaway schema may be created," >&2
    echo "  e.g. REDSHIFT_URL='postgres://user:password@cluster.example.com:5439/dev?sslmode=require'" >&2
    exit 2
fi
BIN=${BIN:-target/release/schema}
ns=$(sed -n 's/^namespace: *//p' schema/schema.yaml)
smoke=${SMOKE_NAMESPACE:-schema_smoke_$(date -u +%Y%m%d%H%M%S)}
case "$smoke" in *[!a-z0-9_]*|[0-9]*) echo "redshift-smoke: SMOKE_NAMESPACE must be a lowercase identifier" >&2; exit 2;; esac
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cp -R schema "$tmp/schema"
sed -i "s/^namespace: .*/namespace: $smoke/" "$tmp/schema/schema.yaml"
mkdir -p "$tmp/migrations/redshift"
# Generated SQL always quotes identifiers, so the namespace appears only as "<namespace>".
for f in migrations/redshift/V*.sql; do
    sed "s/\"$ns\"/\"$smoke\"/g" "$f" > "$tmp/migrations/redshift/$(basename "$f")"
done
run() { "$BIN" --project "$tmp" --dialect redshift --database-url "$REDSHIFT_URL" "$@"; }
echo "== schema migrate: the shipped Redshift migrations into schema $smoke"
run migrate
echo "== schema status"
run status
echo "== schema diff: the cluster's catalog against the YAML"
run diff
echo "== done; drop the throwaway schema with: DROP SCHEMA \"$smoke\" CASCADE;"
