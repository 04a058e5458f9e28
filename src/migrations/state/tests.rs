use super::*;
use crate::dialect::redshift::attrs::{Distribution, SortKey, SortKind};
use crate::model::Identity;

/// A format-1 file (the model's serde, as the first versions wrote it) reads as the same
/// project, is written back in the current format, and reads again unchanged.
#[test]
fn format_one_upgrades_without_loss() {
    let v1 = r#"{"project": {"name": "p", "namespace": "ns", "dialects": ["postgres", "redshift"], "phases": [1],
        "ignore": ["tmp_*"], "refresh_procedure": null,
        "tables": [{"name": "t", "phase": 1, "description": "d",
            "columns": [{"name": "id", "type": "bigint", "nullable": false, "default": null,
                         "identity": {"seed": 1, "step": 1}, "encode": null, "derived": null,
                         "renamed_from": null, "description": null},
                        {"name": "day", "type": "date", "nullable": true, "default": null, "identity": null,
                         "encode": "az64", "derived": "DATE(x)", "renamed_from": null, "description": null}],
            "primary_key": ["id"], "unique": [], "foreign_keys": [],
            "distribution": {"style": "key", "key": "id"},
            "sort_key": {"kind": "compound", "columns": ["day"]}, "backup": false,
            "indexes": [{"name": "t_day", "columns": ["day DESC"], "unique": false, "where": "day IS NOT NULL"}],
            "rows": [{"id": 1}], "checks": [{"name": "c", "severity": "error", "window": null,
                                             "kind": {"not_null": {"column": "day"}}}]}],
        "views": [{"name": "v", "materialized": true, "phase": 1, "description": null, "sql": "SELECT 1",
                   "depends_on": [], "backup": true, "auto_refresh": false,
                   "distribution": {"style": "even", "key": null},
                   "sort_key": {"kind": "compound", "columns": []}, "indexes": []}]},
        "files": {"postgres/V1__initial.sql": "abc"}}"#;
    let state = parse(v1).unwrap();
    let p = state.project.as_ref().unwrap();
    let t = &p.tables[0];
    assert_eq!(t.redshift.distribution, Distribution::Key("id".into()));
    assert_eq!(t.redshift.sort_key, SortKey { kind: SortKind::Compound, columns: vec!["day".into()] });
    assert_eq!(t.columns[0].identity, Some(Identity { seed: 1, step: 1 }));
    assert_eq!(t.indexes[0].predicate.as_deref(), Some("day IS NOT NULL"));
    assert!(!t.redshift.backup && t.checks.is_empty());
    assert!(state.outdated && !state.edited);
    let v3 = state.text();
    assert!(v3.contains("\"format\": 3") && v3.contains(DOCUMENT) && v3.contains("project_sha256"), "{v3}");
    let again = parse(&v3).unwrap();
    assert_eq!(again.project, state.project);
    assert_eq!(again.files, state.files);
    assert!(!again.outdated && !again.edited);
    assert!(parse(&v3.replace("\"format\": 3", "\"format\": 9")).unwrap_err().contains("newer"));
    // Laid out otherwise, the same project; with a value changed, edited by hand.
    let compact = serde_json::to_string(&serde_json::from_str::<serde_json::Value>(&v3).unwrap()).unwrap();
    assert!(!parse(&compact).unwrap().edited);
    assert!(parse(&v3.replace("\"DATE(x)\"", "\"DATE(y)\"")).unwrap().edited);
}

/// Grants are written only where managed, and a state without them (older, or a project
/// declaring none) reads as not managed.
#[test]
fn grants_round_trip_and_are_absent_when_not_managed() {
    let table = |grants: &str| {
        format!(
            r#"{{"name": "t", "phase": 1, "columns": [], "distribution": {{"style": "auto"}},
                "sort_key": {{"kind": "auto"}}, "backup": true{grants}}}"#
        )
    };
    let doc = |tables: &[String]| {
        format!(
            r#"{{"document": "{DOCUMENT}", "format": 2, "project": {{"name": "p", "namespace": "ns",
                "dialects": ["postgres"], "phases": [1], "tables": [{}], "views": []}}}}"#,
            tables.join(", ")
        )
    };
    let managed = table(r#", "grants": [{"to": "group analysts", "privileges": ["select", "insert"]}]"#);
    let state = parse(&doc(&[managed, table("")])).unwrap();
    let p = state.project.as_ref().unwrap();
    let grants = p.tables[0].grants.as_ref().unwrap();
    assert_eq!(grants[0].to_string(), "SELECT, INSERT to group analysts");
    assert_eq!(p.tables[1].grants, None);
    let text = state.text();
    assert_eq!(text.matches("\"grants\"").count(), 1, "{text}");
    assert_eq!(parse(&text).unwrap().project, state.project);
    let bad = table(r#", "grants": [{"to": "team x", "privileges": ["select"]}]"#);
    assert!(parse(&doc(&[bad])).unwrap_err().contains("unknown grantee"));
}

/// An index's options are written only where set, and a state written before they existed
/// reads as plain indexes without counting as edited (its checksum is over the same text).
#[test]
fn index_options_round_trip_and_are_absent_when_not_set() {
    let doc = |indexes: &str| {
        let table = format!(
            r#"{{"name": "t", "phase": 1, "columns": [], "distribution": {{"style": "auto"}},
                "sort_key": {{"kind": "auto"}}, "backup": true, "indexes": [{indexes}]}}"#
        );
        let project = format!(
            r#"{{"name": "p", "namespace": "ns", "dialects": ["postgres"], "phases": [1], "tables": [{table}], "views": []}}"#
        );
        let digest = project_digest(&serde_json::from_str(&project).unwrap());
        format!(r#"{{"document": "{DOCUMENT}", "format": 3, "project_sha256": "{digest}", "project": {project}}}"#)
    };
    let old = doc(r#"{"name": "t_day", "columns": ["day desc", "id"], "unique": true, "where": null}"#);
    let state = parse(&old).unwrap();
    assert!(!state.edited && !state.outdated);
    let index = &state.project.as_ref().unwrap().tables[0].indexes[0];
    assert_eq!(index.columns.iter().map(|c| c.entry()).collect::<Vec<_>>(), ["day DESC", "id"]);
    assert!(index.using.is_none() && index.include.is_empty() && index.with.is_empty() && !index.nulls_not_distinct);
    let text = state.text();
    for absent in ["using", "include", "with", "nulls_not_distinct", "opclass"] {
        assert!(!text.contains(&format!("\"{absent}\"")), "{text}");
    }

    let full = doc(
        r#"{"name": "t_slug", "columns": [{"column": "slug", "order": "DESC NULLS LAST", "opclass": "public.gin_trgm_ops",
            "collation": "C"}, "id"], "unique": true, "where": null, "using": "gin", "include": ["x"],
            "with": {"fillfactor": "70"}, "nulls_not_distinct": true}"#,
    );
    let state = parse(&full).unwrap();
    assert!(!state.edited);
    let index = &state.project.as_ref().unwrap().tables[0].indexes[0];
    let slug = &index.columns[0];
    assert_eq!(slug.to_string(), "slug COLLATE C public.gin_trgm_ops DESC NULLS LAST");
    assert_eq!((index.using.as_deref(), index.include.len(), index.nulls_not_distinct), (Some("gin"), 1, true));
    assert_eq!(index.with.get("fillfactor").map(String::as_str), Some("70"));
    let again = parse(&state.text()).unwrap();
    assert_eq!(again.project, state.project);
    assert!(!again.edited);
}

/// PostgreSQL's own attributes are stored as their structs serialise, only where they are not
/// the defaults, so a state written before them (the v1 file above has none) reads as defaults.
#[test]
fn postgres_attributes_round_trip_and_are_absent_when_default() {
    let dir = std::path::PathBuf::from("/p");
    let table = "table: t\nunlogged: true\nwith: { fillfactor: 50 }\ncolumns:\n  - { name: id, type: serial }\n  - { name: c, type: text, collation: C }\n  - { name: n, type: bigint, identity: { always: true, as: integer, cache: 10 } }\n  - { name: plain, type: text }\n";
    let view = "view: v\ncheck_option: local\nsql: SELECT id FROM {{ ref('t') }}\n";
    let files = vec![
        (dir.join("schema.yaml"), Ok("name: p\nnamespace: ns\ndialects: [postgres]\n".to_string())),
        (dir.join("tables/t.yaml"), Ok(table.to_string())),
        (dir.join("views/v.yaml"), Ok(view.to_string())),
    ];
    let project = crate::load::load_texts(&dir, files).unwrap_or_else(|d| panic!("{d:?}"));
    let state = State { project: Some(project), files: Default::default(), edited: false, outdated: false };
    let text = state.text();
    assert_eq!(text.matches("\"postgres\": {").count(), 5, "{text}");
    let again = parse(&text).unwrap();
    assert_eq!(again.project, state.project);
    let t = &again.project.as_ref().unwrap().tables[0];
    assert!(t.postgres.unlogged && t.columns[0].postgres.serial && t.columns[2].postgres.always);
    assert_eq!(t.columns[2].postgres.sequence.cache, Some(10));
    assert_eq!(t.columns[2].postgres.sequence.ty, Some(crate::model::SequenceType::Integer));
}
