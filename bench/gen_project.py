#!/usr/bin/env python3
"""Writes a synthetic project of N tables x 20 columns (plus one MV per 50 tables) for benchmarks.

usage: gen_project.py DIR N [--dialects postgres,redshift]
"""
import os
import sys

TYPES = ["bigint", "integer", "varchar(64)", "varchar(256)", "timestamp", "date", "decimal(18,4)", "boolean", "double", "smallint"]


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out, n = sys.argv[1], int(sys.argv[2])
    dialects = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--dialects" else "postgres, redshift"
    os.makedirs(f"{out}/schema/tables", exist_ok=True)
    os.makedirs(f"{out}/schema/views", exist_ok=True)
    with open(f"{out}/schema/schema.yaml", "w") as f:
        f.write(f"name: bench\nnamespace: bench\ndialects: [{dialects}]\nphases: [1]\n")
    for i in range(n):
        cols = ["  - { name: id, type: bigint, identity: true, primary_key: true }",
                "  - { name: session_id, type: varchar(64), nullable: false }",
                "  - { name: event_timestamp, type: timestamp, nullable: false }",
                "  - { name: event_date, type: date, derived: DATE(event_timestamp), checks: [not_null] }"]
        for c in range(16):
            cols.append(f"  - {{ name: c{c:02d}, type: '{TYPES[c % len(TYPES)]}', description: column {c} of table {i} }}")
        with open(f"{out}/schema/tables/t{i:04d}.yaml", "w") as f:
            f.write(f"table: t{i:04d}\ndescription: Synthetic table {i}.\n"
                    "distribution: { style: key, key: session_id }\n"
                    "sort_key: { columns: [event_date, event_timestamp] }\n"
                    "columns:\n" + "\n".join(cols) + "\n"
                    f"indexes:\n  - {{ name: idx_t{i:04d}_session, columns: [session_id, event_date desc] }}\n")
        if i % 50 == 0:
            with open(f"{out}/schema/views/mv{i:04d}.yaml", "w") as f:
                f.write(f"materialized_view: mv{i:04d}\nbackup: false\nsort_key: {{ columns: [event_date] }}\n"
                        f"sql: |\n  SELECT event_date, COUNT(*) AS n FROM {{{{ ref('t{i:04d}') }}}} GROUP BY event_date\n")


if __name__ == "__main__":
    main()
