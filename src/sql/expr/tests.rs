use super::*;
use crate::dialect::driver;
use crate::model::Dialect;
use Dialect::{Postgres as Pg, Redshift as Rs};

fn expression(text: &str, dialect: Dialect, role: Role) -> Result<Expression, ParseError> {
    super::expression(text, driver(dialect).grammars(), role)
}

fn query(text: &str, dialect: Dialect) -> Result<Query, ParseError> {
    super::query(text, driver(dialect).grammars())
}

const BOTH: &[Dialect] = &[Pg, Rs];

fn expr(text: &str, dialect: Dialect) -> Result<Expression, ParseError> {
    expression(text, dialect, Role::Condition)
}

#[test]
fn accepts_one_expression() {
    let cases: &[(&str, &[Dialect])] = &[
        // From the shipped YAML.
        ("DATE(event_timestamp)", BOTH),
        ("'Unknown'", BOTH),
        ("0", BOTH),
        ("FALSE", BOTH),
        ("GETDATE()", BOTH),
        ("duration_ms >= 0", BOTH),
        ("domain_category = 'Unknown'", BOTH),
        ("event_type IN ('a','b')", BOTH),
        ("ended_at >= started_at", BOTH),
        ("total_tokens = prompt_tokens + completion_tokens", BOTH),
        ("is_current = (effective_to IS NULL)", BOTH),
        ("date_key BETWEEN 20000101 AND 20991231 AND date_key % 100 BETWEEN 1 AND 31", BOTH),
        // Redshift forms the checks and defaults need.
        ("DATEDIFF(millisecond, a, b)", BOTH),
        ("SYSDATE", BOTH),
        ("'x'::VARCHAR(10)", BOTH),
        ("JSON_PARSE('{}')", BOTH),
        ("CURRENT_DATE - 7", BOTH),
        ("a IN ('x', 'y')", BOTH),
        ("CASE WHEN a > 0 THEN 'p' WHEN a < 0 THEN 'n' ELSE 'z' END", BOTH),
        ("x IS NOT NULL", BOTH),
        ("col ~ '^[a-z]+$'", BOTH),
        ("INTERVAL '7 days'", BOTH),
        ("CONVERT_TIMEZONE('UTC', 'US/Pacific', ts) > GETDATE() - INTERVAL '1 day'", BOTH),
        ("a ILIKE 'x%' OR b SIMILAR TO 'y'", BOTH),
        ("'it''s'", BOTH),
        ("\"Mixed Case\" > 0", BOTH),
        ("x IN (SELECT id FROM t)", BOTH),
        // Redshift reads backslash escapes in strings; PostgreSQL needs E'...' for them (below).
        (r"'a\'b'", &[Rs]),
        (r"E'a\\'", BOTH),
    ];
    for (text, dialects) in cases {
        for &d in *dialects {
            if let Err(e) = expr(text, d) {
                panic!("{d}: `{text}` refused: {e}");
            }
        }
    }
}

#[test]
fn refuses_anything_but_one_expression() {
    let injection = "x) THEN 1 ELSE 0 END) FROM t; DELETE FROM t; SELECT SUM(CASE WHEN (1";
    let deep = format!("{}1{}", "(".repeat(5_000), ")".repeat(5_000));
    let long = format!("1{}", "+1".repeat(6_000));
    let cases: &[(&str, Role, &str, usize)] = &[
        ("", Role::Condition, "is empty", 0),
        ("  \n ", Role::Default, "is empty", 0),
        ("1 -- x", Role::Condition, "comment", 2),
        ("'Unknown' --", Role::Default, "comment", 10),
        ("1 /* x */", Role::Condition, "comment", 2),
        ("1; DROP TABLE t", Role::Condition, "`;`", 1),
        ("1) OR (1=1", Role::Condition, "not a single SQL expression: `)` follows it", 1),
        ("a b", Role::Condition, "`b` follows it", 2),
        ("a\n  AND b c", Role::Condition, "`c` follows it", 10),
        (injection, Role::Condition, "`;`", 28),
        (&deep, Role::Condition, "nested too deeply", 0),
        (&long, Role::Condition, "longer than 10240 bytes", 10240),
        ("'open", Role::Condition, "is not valid SQL: `'open` is not closed", 0),
        ("1 +", Role::Condition, "is not valid SQL", 0),
        ("a + 1", Role::Default, "reads a column (`a`), which a column default cannot", 0),
        ("(SELECT 1)", Role::Default, "contains a subquery, which a column default cannot", 1),
        ("x IN (SELECT 1)", Role::IndexPredicate, "contains a subquery, which an index predicate cannot", 6),
        (
            "COUNT(*) > 0",
            Role::Condition,
            "uses an aggregate or window function (`count`), which a check condition cannot",
            0,
        ),
        ("ROW_NUMBER() OVER () = 1", Role::Derived, "(`row_number`), which a derived column cannot", 0),
        (
            "x IN (WITH d AS (DELETE FROM t RETURNING id) SELECT id FROM d)",
            Role::Condition,
            "contains a DELETE statement, which a check condition cannot",
            17,
        ),
    ];
    for (text, role, message, at) in cases {
        for &d in BOTH {
            let e = expression(text, d, *role).expect_err(text);
            assert!(e.message.contains(message), "{d}: `{text}`: {e}");
            if *at > 0 {
                assert_eq!(e.offset, *at, "{d}: `{text}`: {e}");
            }
        }
    }
}

#[test]
fn columns_and_functions() {
    let cases: &[(&str, &[&str], &[&str])] = &[
        ("DATE(event_timestamp)", &["event_timestamp"], &["date"]),
        ("DATEDIFF(millisecond, started_at, t.Ended_At) > 0", &["ended_at", "started_at"], &["datediff"]),
        ("\"Ended At\" > Started_At", &["Ended At", "started_at"], &[]),
        ("EXTRACT(epoch FROM a) + DATE_PART('hour', b)", &["a", "b"], &["date_part", "extract"]),
        ("CURRENT_DATE - 7 < SYSDATE AND x = GETDATE()", &["x"], &["current_date", "getdate", "sysdate"]),
        ("COALESCE(a, b, a) || SUBSTRING(c FROM 1 FOR 2)", &["a", "b", "c"], &["coalesce", "substring"]),
        ("x IN (SELECT y FROM t WHERE z)", &["x"], &[]),
        ("pg_catalog.NOW()", &[], &["now"]),
        ("'col' = \"col\"", &["col"], &[]),
    ];
    for (text, columns, functions) in cases {
        for &d in BOTH {
            let e = expr(text, d).unwrap_or_else(|e| panic!("{d}: `{text}`: {e}"));
            assert_eq!(e.columns(), *columns, "{d}: `{text}`");
            assert_eq!(e.functions(), *functions, "{d}: `{text}`");
        }
    }
}

#[test]
fn accepts_one_query() {
    let cases: &[(&str, &[Dialect])] = &[
        ("SELECT a, COUNT(*) FROM \"ns\".\"t\" WHERE b > 0 GROUP BY a", BOTH),
        ("WITH x AS (SELECT 1 AS a) SELECT a FROM x", BOTH),
        ("SELECT a FROM t UNION ALL SELECT a FROM u", BOTH),
        ("(SELECT a FROM t) EXCEPT (SELECT a FROM u)", BOTH),
        ("VALUES (1), (2)", BOTH),
        ("SELECT a FROM t MINUS SELECT a FROM u", &[Rs]),
        ("SELECT TOP 10 a FROM t", BOTH),
        ("SELECT a, SUM(b) FROM t GROUP BY GROUPING SETS ((a), ())", BOTH),
        ("SELECT LISTAGG(a, ',') WITHIN GROUP (ORDER BY a) FROM t GROUP BY b", BOTH),
    ];
    for (text, dialects) in cases {
        for &d in *dialects {
            if let Err(e) = query(text, d) {
                panic!("{d}: `{text}` refused: {e}");
            }
        }
    }
}

#[test]
fn refuses_anything_but_one_query() {
    let deep = format!("SELECT {}1{}", "(".repeat(10_000), ")".repeat(10_000));
    let cases: &[(&str, &str)] = &[
        (&deep, "nested too deeply"),
        ("", "is empty"),
        ("SELECT 1; DROP TABLE x", "`;`"),
        ("SELECT 1;", "`;`"),
        ("SELECT 1; SELECT 2", "`;`"),
        ("SELECT 1 SELECT 2", "is not valid SQL"),
        ("DELETE FROM t", "is a DELETE statement, not a query"),
        ("DROP TABLE t", "is a DROP statement, not a query"),
        ("SELECT 1 -- trailing", "comment"),
        ("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", "contains a DELETE statement, which a query cannot"),
        ("SELECT a INTO new_t FROM t", "uses SELECT … INTO"),
        ("SELECT APPROXIMATE COUNT(DISTINCT a) FROM t", "is not valid SQL"),
    ];
    for (text, message) in cases {
        for &d in BOTH {
            let e = query(text, d).expect_err(text);
            assert!(e.message.contains(message), "{d}: `{text}`: {e}");
        }
    }
}

#[test]
fn postgres_only_constructs() {
    let cases: &[(&str, &[&str])] = &[
        ("SELECT a FROM t", &[]),
        ("SELECT a FROM t, LATERAL (SELECT b FROM u WHERE u.a = t.a) s", &["LATERAL"]),
        ("SELECT COUNT(*) FILTER (WHERE a > 1) FROM t", &["aggregate FILTER (WHERE ...)"]),
        ("SELECT DISTINCT ON (a) a, b FROM t ORDER BY a, b", &["DISTINCT ON"]),
        ("SELECT payload ->> 'k' FROM t", &["jsonb operator ->>"]),
        ("SELECT a FROM t WHERE p @> '{}' AND p ? 'k'", &["jsonb operator ?", "jsonb operator @>"]),
        ("SELECT a FROM t WHERE a IS DISTINCT FROM b", &["IS DISTINCT FROM"]),
        ("SELECT ARRAY[1, 2]", &["ARRAY[...] constructor"]),
    ];
    for (text, found) in cases {
        for &d in BOTH {
            let q = query(text, d).unwrap_or_else(|e| panic!("{d}: `{text}`: {e}"));
            assert_eq!(q.postgres_only(), *found, "{d}: `{text}`");
        }
    }
    assert_eq!(
        expr("payload -> 'a' ->> 'b' = 'x'", Rs).unwrap().postgres_only(),
        ["jsonb operator ->", "jsonb operator ->>"]
    );
}

#[test]
fn offsets_count_bytes_and_lines() {
    assert_eq!(offset("ab\ncd", Location { line: 2, column: 2 }), 4);
    assert_eq!(offset("é x", Location { line: 1, column: 3 }), 3);
    assert_eq!(offset("a", Location { line: 9, column: 9 }), 1);
    assert_eq!(offset("a", Location { line: 0, column: 0 }), 0);
    let e = expr("é + (1 2)", Pg).unwrap_err();
    assert_eq!((e.offset, e.message.as_str()), (8, "is not valid SQL: Expected: ), found: 2"));
}

/// Text whose tree is as deep as it is long stays within the parsing thread's stack.
#[test]
fn long_chains_within_the_limits() {
    let chains = [("1", "+1"), ("x", "::INT"), ("x", " IS NULL"), ("a", "[1]"), ("1", " UNION SELECT 1")];
    for (start, link) in chains {
        for &d in BOTH {
            let text = format!("{start}{}", link.repeat((MAX_EXPRESSION_BYTES - start.len()) / link.len()));
            let _ = expr(&text, d);
            let text = format!("SELECT {start}{}", link.repeat((MAX_QUERY_BYTES - 8) / link.len()));
            let _ = query(&text, d);
            let _ = query(&format!("SELECT x::INT{}", "[]".repeat((MAX_QUERY_BYTES - 13) / 2)), d);
        }
    }
}

/// Random and mutated SQL never panics (a panic inside the parsing thread would surface as "the
/// SQL parser failed").
#[test]
fn fuzz_never_panics() {
    const FRAGMENTS: &[&str] = &[
        "SELECT ",
        "FROM ",
        "t",
        " WHERE ",
        "a",
        "b",
        "(",
        ")",
        "[",
        "]",
        ",",
        ";",
        "'",
        "\"",
        "--",
        "/*",
        "*/",
        "$$",
        "$1",
        " + ",
        " - ",
        "::",
        "INT",
        "CASE ",
        "WHEN ",
        "THEN ",
        "END",
        " AND ",
        " OR ",
        "NOT ",
        "NULL",
        "IS ",
        "IN ",
        "1",
        "1e",
        "0x",
        "E'\\'",
        "\\",
        "->>",
        "#>",
        "@>",
        "?",
        "|",
        "ARRAY",
        "OVER (",
        "FILTER (",
        "LATERAL ",
        "WITH ",
        "UNION ",
        "ORDER BY ",
        "LIMIT ",
        "now()",
        "DATEDIFF(",
        "é",
        "\u{0}",
        "\n",
        " ",
        "{{ ref('t') }}",
        "INTERVAL ",
    ];
    const SEEDS: &[&str] = &[
        "x) THEN 1 ELSE 0 END) FROM t; DELETE FROM t; SELECT SUM(CASE WHEN (1",
        "SELECT a, COUNT(*) FILTER (WHERE b) FROM \"ns\".\"t\" GROUP BY a ORDER BY 1 LIMIT 5",
        "CASE WHEN DATEDIFF(millisecond, a, b) > 0 THEN 'x'::VARCHAR(10) ELSE NULL END",
    ];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    for round in 0..3_000 {
        let text = if round % 2 == 0 {
            (0..1 + next(24)).map(|_| FRAGMENTS[next(FRAGMENTS.len())]).collect::<String>()
        } else {
            let mut chars: Vec<char> = SEEDS[next(SEEDS.len())].chars().collect();
            for _ in 0..1 + next(4) {
                let at = next(chars.len() + 1);
                match next(3) {
                    0 if at < chars.len() => {
                        chars.remove(at);
                    }
                    1 => drop(chars.splice(at..at, FRAGMENTS[next(FRAGMENTS.len())].chars())),
                    _ => chars.truncate(at),
                }
            }
            chars.into_iter().collect()
        };
        for &d in BOTH {
            for role in [Role::Default, Role::Derived, Role::Condition, Role::IndexPredicate] {
                if let Err(e) = expression(&text, d, role) {
                    assert!(!e.message.contains("parser failed") && e.offset <= text.len(), "`{text}`: {e:?}");
                }
            }
            match query(&text, d) {
                Ok(q) => drop((q.postgres_only(), q.functions().count(), q.relations().count())),
                Err(e) => assert!(!e.message.contains("parser failed") && e.offset <= text.len(), "`{text}`: {e:?}"),
            }
        }
    }
}

/// Every expression and view body in the shipped schemas parses for each dialect its project
/// targets, and what targets Redshift uses nothing Redshift refuses.
#[test]
fn shipped_yaml() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut projects = vec![root.join("schema")];
    for entry in std::fs::read_dir(root.join("examples")).unwrap() {
        projects.push(entry.unwrap().path().join("schema"));
    }
    let mut seen = 0;
    for project in projects {
        let settings: serde_yaml::Value =
            serde_yaml::from_str(&std::fs::read_to_string(project.join("schema.yaml")).unwrap()).unwrap();
        let dialects: Vec<Dialect> = serde_yaml::from_value(settings["dialects"].clone()).unwrap();
        for dir in ["tables", "views"] {
            let Ok(files) = std::fs::read_dir(project.join(dir)) else { continue };
            for file in files {
                let path = file.unwrap().path();
                let doc: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
                let mut found = Vec::new();
                sql_values(&doc, &mut found);
                for (key, text) in found {
                    seen += 1;
                    for &d in &dialects {
                        let at = format!("{}: {key}: `{text}` ({d})", path.display());
                        if key == "sql" {
                            let q = query(&expand_refs(&text), d).unwrap_or_else(|e| panic!("{at}: {e}"));
                            if d == Rs {
                                assert_eq!(q.postgres_only(), Vec::<String>::new(), "{at}");
                            }
                            continue;
                        }
                        let role = match key {
                            "default" => Role::Default,
                            "derived" => Role::Derived,
                            _ => Role::Condition,
                        };
                        let e = expression(&text, d, role).unwrap_or_else(|e| panic!("{at}: {e}"));
                        if d == Rs {
                            assert_eq!(e.postgres_only(), Vec::<String>::new(), "{at}");
                        }
                    }
                }
            }
        }
    }
    assert!(seen > 80, "only {seen} SQL texts found");
}

fn sql_values<'a>(value: &'a serde_yaml::Value, out: &mut Vec<(&'a str, String)>) {
    const KEYS: &[&str] = &["sql", "default", "derived", "condition", "when", "where"];
    match value {
        serde_yaml::Value::Mapping(map) => {
            for (k, v) in map {
                // A lookup's `default` is a value, not SQL; its `where` is SQL.
                if k.as_str() == Some("lookup") {
                    if let Some(filter) = v.get("where").and_then(|w| w.as_str()) {
                        out.push(("where", filter.to_string()));
                    }
                    continue;
                }
                let key = KEYS.iter().find(|key| k.as_str() == Some(key));
                match (key, v) {
                    (Some(key), serde_yaml::Value::String(s)) => out.push((key, s.clone())),
                    (Some(key), serde_yaml::Value::Number(n)) => out.push((key, n.to_string())),
                    (Some(key), serde_yaml::Value::Bool(b)) => out.push((key, b.to_string())),
                    _ => sql_values(v, out),
                }
            }
        }
        serde_yaml::Value::Sequence(items) => items.iter().for_each(|v| sql_values(v, out)),
        _ => {}
    }
}

/// `{{ ref('t') }}` → `"ns"."t"`, as the caller expands a view body before parsing it.
fn expand_refs(sql: &str) -> String {
    let mut out = String::new();
    let mut rest = sql;
    while let Some(start) = rest.find("{{") {
        let end = rest[start..].find("}}").map(|e| start + e + 2).unwrap();
        let name = rest[start..end].split('\'').nth(1).unwrap();
        out += &format!("{}\"ns\".\"{name}\"", &rest[..start]);
        rest = &rest[end..];
    }
    out + rest
}

/// sqlparser reads an operator character followed by `--` or `/*` as one operator, where the
/// server ends the operator and starts a comment: the lexer decides, so each is refused.
#[test]
fn a_comment_after_any_operator_is_refused() {
    for op in [
        "", "+", "-", "*", "/", "<", ">", "=", "~", "!", "@", "#", "%", "^", "&", "|", "`", "?", "||", ">=", "->",
        "&&", "<<", ">>", "<>",
    ] {
        for comment in ["--", "/*"] {
            let close = if comment == "/*" { " */" } else { "" };
            let text = format!("1 {op}{comment} '\n0{close}");
            for &d in BOTH {
                for role in [Role::Default, Role::Condition] {
                    let e = expression(&text, d, role).expect_err(&text);
                    assert!(e.message.contains("comment") || e.message.contains("not closed"), "{d}: `{text}`: {e}");
                }
                let view = format!("SELECT id FROM t WHERE 1 {op}{comment} '\n0; DROP TABLE victim; SELECT 1 WHERE 1 {op}{comment} '\n+ 0");
                query(&view, d).expect_err(&view);
            }
        }
    }
}

/// Where the parser's strings would end elsewhere than the server's, the text is refused.
#[test]
fn quotes_read_alike_or_refused() {
    for &d in BOTH {
        for text in ["'a' || 'b'", "$$x$$", "$t$ ' $t$ || 'y'", "\"q\"\"x\" > 0", "E'\\n' = x"] {
            expression(text, d, Role::Condition).unwrap_or_else(|e| panic!("{d}: `{text}`: {e}"));
        }
    }
    // PostgreSQL ends `'a\'` at the second quote, or (standard_conforming_strings off) reads on:
    // a backslash in a plain string is refused there, and a raw carriage return inside quotes
    // everywhere, whatever uses the text (`validate --where` too).
    let e = expression("'a\\' || ' x'", Pg, Role::Condition).unwrap_err();
    assert!(e.message.contains("write it as E'...'") && e.offset == 0, "{e}");
    for &d in BOTH {
        let e = expression("x = 'a\rb'", d, Role::Condition).unwrap_err();
        assert!(e.message.contains("carriage return") && e.offset == 4, "{d}: {e}");
    }
}
