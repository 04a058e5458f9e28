#!/usr/bin/env python3
"""The dbt peer of `schema validate` for bench/validate.sh, derived from the project's YAML.

    dbt_project.py project PROJECT_COPY
        Sets `key_checks: always` at the top of PROJECT_COPY/schema/schema.yaml, so that
        `validate --project PROJECT_COPY` also checks the keys PostgreSQL enforces.
    dbt_project.py generate PROJECT_COPY OUT_DIR DATABASE_URL TABLE...
        Writes a dbt project into OUT_DIR: one source per TABLE in the project's namespace and,
        per check `validate` runs on it (the YAML's checks, `derived:` and `checks: [not_null]`
        columns, and the key checks), the dbt test a dbt user would write: not_null, unique,
        relationships, accepted_values (for an `IN (...)` condition), and three small generic
        tests of the project's own, written the way dbt_utils writes them (expression_is_true,
        unique_combination_of_columns, ratio_at_most). Each test is named `<table>__<check>`.
    dbt_project.py compare VALIDATE_JSON DBT_TARGET_DIR
        Checks that `dbt test` ran one test per check of `validate --format json` and that each
        ended the same way (pass, fail or warn); exits 1 with the differences otherwise.

Needs PyYAML (run it with the bench's dbt virtual environment, which has it).
"""
import json
import pathlib
import re
import sys
import urllib.parse

import yaml


def set_key_checks(project):
    path = pathlib.Path(project) / "schema" / "schema.yaml"
    lines = [l for l in path.read_text().splitlines() if not l.startswith("key_checks:")]
    path.write_text("\n".join(lines) + "\nkey_checks: always\n")


def load(project):
    root = pathlib.Path(project) / "schema"
    settings = yaml.safe_load((root / "schema.yaml").read_text())
    tables = {}
    for f in sorted((root / "tables").glob("*.yaml")):
        doc = yaml.safe_load(f.read_text())
        tables[doc["table"]] = doc
    return settings, tables


def keys_of(doc):
    """Primary key, unique keys and foreign keys (columns, parent, parent columns or None)."""
    columns = doc["columns"]
    pk = list(doc.get("primary_key") or [c["name"] for c in columns if c.get("primary_key")])
    unique = [[c["name"]] for c in columns if c.get("unique")] + [list(u) for u in doc.get("unique") or []]
    fks = []
    for c in columns:
        if c.get("references"):
            parent, _, col = c["references"].partition(".")
            fks.append(([c["name"]], parent, [col] if col else None))
    for fk in doc.get("foreign_keys") or []:
        fks.append((list(fk["columns"]), fk["references"]["table"], fk["references"].get("columns")))
    return pk, unique, fks


IN_LIST = re.compile(r"^\s*(\w+)\s+IN\s*\(\s*('(?:[^']|'')*'(?:\s*,\s*'(?:[^']|'')*')*)\s*\)\s*$", re.I | re.S)


def checks_of(settings, tables, name):
    """The checks `validate` runs on a table, in its terms: (check name, kind, details, severity)."""
    doc = tables[name]
    checks = []
    for c in doc["columns"]:
        if c.get("derived"):
            checks.append((f"{c['name']}_derived", "derived", {"column": c["name"], "expr": c["derived"]}, "error"))
        if c.get("lookup"):
            spec = dict(c["lookup"], column=c["name"], namespace=settings["namespace"])
            checks.append((f"{c['name']}_derived", "lookup", spec, "error"))
        for k in c.get("checks") or []:
            assert k == "not_null", k
            checks.append((f"{c['name']}_not_null", "not_null", {"column": c["name"]}, "error"))
    for c in doc.get("checks") or []:
        if "warn_above" in c or "error_above" in c:
            raise SystemExit(f"{name}.{c['name']}: thresholds have no dbt test here")
        kind = next(k for k in c if k not in ("name", "severity", "window", "description"))
        spec = c[kind]
        if kind == "not_null":
            spec = {"column": spec}
        elif kind == "condition":
            spec = {"sql": spec}
        if kind not in ("not_null", "condition", "ratio", "latency", "unique", "relationship", "accepted_values", "range"):
            raise SystemExit(f"{name}.{c['name']}: no dbt test for a {kind} check here")
        checks.append((c["name"], kind, dict(spec, window=c.get("window")), c.get("severity", "error")))
    mode = doc.get("key_checks", settings.get("key_checks", "auto"))
    if mode != "always":
        return checks
    pk, unique, fks = keys_of(doc)
    derived = []
    if pk:
        derived.append(("primary_key_unique", "unique", {"columns": pk}))
    for u in unique:
        derived.append((f"unique_{'_'.join(u)}", "unique", {"columns": u}))
    for cols, parent, to in fks:
        to = to or keys_of(tables[parent])[0]
        derived.append((f"{'_'.join(cols)}_in_{parent}", "relationship", {"columns": cols, "table": parent, "to": to}))
    same = lambda a, b: a[1] == b[1] and all(a[2].get(k) == v for k, v in b[2].items()) and not a[2].get("where")
    for d in derived:
        # A declared check of the same kind already counts it (as `validate` decides).
        if not any(c[0] == d[0] or same(c, d) for c in checks):
            checks.append((*d, "error"))
    return checks


def test_for(table, check):
    """(column or None, dbt test) for one check."""
    name, kind, spec, severity = check
    config = {}
    if severity == "warn":
        config["severity"] = "warn"
    if spec.get("window"):
        w = spec["window"]
        config["where"] = f"{w['column']} >= CURRENT_DATE - {w['days']}"
    column, test, args = None, None, {}
    if kind == "not_null":
        column, test = spec["column"], "not_null"
    elif kind == "derived":
        test, args = "expression_is_true", {"expression": f"{spec['column']} = ({spec['expr']})"}
    elif kind == "condition":
        m = IN_LIST.match(spec["sql"])
        if m:
            values = [v.replace("''", "'") for v in re.findall(r"'((?:[^']|'')*)'", m.group(2))]
            column, test, args = m.group(1), "accepted_values", {"values": values}
        else:
            test, args = "expression_is_true", {"expression": spec["sql"]}
    elif kind == "lookup":
        default = spec.get("default")
        literal = "null" if default is None else "'" + str(default).replace("'", "''") + "'"
        test, args = "lookup_matches", {
            "column": spec["column"], "reference": f"{spec['namespace']}.{spec['table']}", "match": spec["match"],
            "value": spec["value"], "filter": spec.get("where"), "default": literal}
    elif kind == "accepted_values":
        column = spec["column"]
        if "values" in spec:
            test, args = "accepted_values", {"values": spec["values"]}
        else:
            ref = spec["from"]
            test, args = "relationships", {"to": f"source('bench', '{ref['table']}')", "field": ref["columns"][0]}
    elif kind == "ratio":
        test, args = "ratio_at_most", {"condition": spec["when"], "max_ratio": spec["max"]}
    elif kind == "latency":
        millis = f"date_part('epoch', {spec['end']} - {spec['start']}) * 1000"
        test, args = "expression_is_true", {"expression": f"ABS({spec['reported']} - {millis}) <= {spec['tolerance_ms']}"}
    elif kind == "range":
        parts = [f"{spec['column']} >= {spec['min']}" if spec.get("min") is not None else None,
                 f"{spec['column']} <= {spec['max']}" if spec.get("max") is not None else None]
        test, args = "expression_is_true", {"expression": " AND ".join(p for p in parts if p)}
    elif kind == "unique":
        if spec.get("where"):
            config["where"] = " AND ".join(filter(None, [config.get("where"), f"({spec['where']})"]))
        if len(spec["columns"]) == 1:
            column, test = spec["columns"][0], "unique"
        else:
            test, args = "unique_combination_of_columns", {"combination_of_columns": spec["columns"]}
    elif kind == "relationship":
        if len(spec["columns"]) != 1:
            raise SystemExit(f"{table}.{name}: dbt's relationships test takes one column")
        column, test = spec["columns"][0], "relationships"
        args = {"to": f"source('bench', '{spec['table']}')", "field": spec["to"][0]}
    body = dict(args, name=f"{table}__{name}")
    if config:
        body["config"] = config
    return column, {test: body}


GENERIC_TESTS = """\
{% test expression_is_true(model, expression) %}
select * from {{ model }} where not ({{ expression }})
{% endtest %}

{% test unique_combination_of_columns(model, combination_of_columns) %}
select {{ combination_of_columns | join(', ') }}
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1
{% endtest %}

{# validate's lookup check: a stored value that is not the least value of the reference rows
   matching the row's keys (among those matching `filter`), or the default when none does. #}
{% test lookup_matches(model, column, reference, match, value, filter, default) %}
select c.* from {{ model }} as c
left join (
    select {{ match.values() | join(', ') }}, min({{ value }}) as v from {{ reference }}
    {% if filter %}where ({{ filter }}){% endif %}
    group by {{ match.values() | join(', ') }}
) as p on {% for mine, theirs in match.items() %}c.{{ mine }} = p.{{ theirs }}{% if not loop.last %} and {% endif %}{% endfor %}
where c.{{ column }} is not null
  and (coalesce(p.v, {{ default }}) is null or c.{{ column }} <> coalesce(p.v, {{ default }}))
{% endtest %}

{% test ratio_at_most(model, condition, max_ratio) %}
select share from (
    select avg(case when {{ condition }} then 1.0 else 0.0 end) as share from {{ model }}
) as shares
where share > {{ max_ratio }}
{% endtest %}
"""


def passfile_password(u):
    """The password of the URL's `passfile` (the tool's local server keeps its own), or ""."""
    files = urllib.parse.parse_qs(u.query).get("passfile", [])
    for line in pathlib.Path(files[0]).read_text().splitlines() if files else []:
        fields = line.split(":")
        if len(fields) >= 5 and fields[3] in ("*", u.username or "postgres"):
            return ":".join(fields[4:])
    return ""


def generate(project, out, url, names):
    settings, tables = load(project)
    out = pathlib.Path(out)
    (out / "tests" / "generic").mkdir(parents=True, exist_ok=True)
    (out / "models").mkdir(exist_ok=True)
    (out / "tests" / "generic" / "bench_tests.sql").write_text(GENERIC_TESTS)
    (out / "dbt_project.yml").write_text(yaml.safe_dump({
        "name": "bench", "version": "1.0.0", "config-version": 2, "profile": "bench",
        "flags": {"send_anonymous_usage_stats": False, "use_colors": False},
    }, sort_keys=False))
    u = urllib.parse.urlsplit(url)
    dbname = u.path.lstrip("/")
    host = u.hostname or urllib.parse.parse_qs(u.query).get("host", ["localhost"])[0]
    (out / "profiles.yml").write_text(yaml.safe_dump({"bench": {"target": "bench", "outputs": {"bench": {
        "type": "postgres", "host": host, "port": u.port or 5432, "user": u.username or "postgres",
        "password": urllib.parse.unquote(u.password or "") or passfile_password(u), "dbname": dbname,
        "schema": settings["namespace"], "threads": 4,
    }}}}, sort_keys=False))
    sources, count = [], 0
    for name in names:
        columns, table_tests = {}, []
        for check in checks_of(settings, tables, name):
            column, test = test_for(name, check)
            count += 1
            if column is None:
                table_tests.append(test)
            else:
                columns.setdefault(column, []).append(test)
        source = {"name": name, "columns": [{"name": c, "data_tests": t} for c, t in columns.items()]}
        if table_tests:
            source["data_tests"] = table_tests
        sources.append(source)
    doc = {"version": 2, "sources": [{"name": "bench", "schema": settings["namespace"], "tables": sources}]}
    (out / "models" / "sources.yml").write_text(yaml.safe_dump(doc, sort_keys=False, width=200))
    print(count)


def compare(validate_json, target):
    target = pathlib.Path(target)
    ran = json.loads((target / "run_results.json").read_text())["results"]
    nodes = json.loads((target / "manifest.json").read_text())["nodes"]
    dbt = {nodes[r["unique_id"]]["name"]: r["status"] for r in ran}
    report = json.loads(pathlib.Path(validate_json).read_text())
    if report.get("errors"):
        raise SystemExit(f"validate could not run every check: {report['errors']}")
    ours = {f"{r['table']}__{r['check']}": r["status"] for r in report["results"]}
    problems = [f"{k}: validate {ours.get(k, 'absent')}, dbt {dbt.get(k, 'absent')}"
                for k in sorted(set(ours) | set(dbt)) if ours.get(k) != dbt.get(k)]
    if problems:
        print("dbt and validate differ:\n  " + "\n  ".join(problems), file=sys.stderr)
        sys.exit(1)
    statuses = sorted(set(ours.values()))
    print(f"{len(ours)} checks, same outcome in dbt and validate ("
          + ", ".join(f"{sum(v == s for v in ours.values())} {s}" for s in statuses) + ")")
    # Where the time of these runs went, per kind of check: validate's fused checks share their
    # query's seconds (row-level checks of a table: one scan; its relationships: one query).
    # A lookup is answered in the join query, with the orphans.
    group = lambda kind: "relationship" if kind == "lookup" else kind if kind in ("unique", "relationship") else "row-level"
    queries = {}
    for r in report["results"]:
        key = (r["table"], group(r["kind"]), r["check"] if r["kind"] == "unique" else "")
        queries[key] = r["seconds"]
    kinds = {f"{r['table']}__{r['check']}": group(r["kind"]) for r in report["results"]}
    rows = []
    for g in ("row-level", "unique", "relationship"):
        ours_s = sum(s for (_, kind, _), s in queries.items() if kind == g)
        ours_n = sum(kind == g for (_, kind, _) in queries)
        theirs = [r["execution_time"] for r in ran if kinds[nodes[r["unique_id"]]["name"]] == g]
        rows.append(f"{g} {ours_s:.2f} s in {ours_n} queries vs {sum(theirs):.2f} s in {len(theirs)}")
    print(f"query time by kind, validate vs dbt (this run; validate {report['seconds']:.2f} s, "
          f"dbt {json.loads((target / 'run_results.json').read_text())['elapsed_time']:.2f} s): " + "; ".join(rows))


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "project":
        set_key_checks(*args)
    elif command == "generate":
        generate(args[0], args[1], args[2], args[3:])
    elif command == "compare":
        compare(*args)
    else:
        raise SystemExit(__doc__)
