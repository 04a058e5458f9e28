//! Redshift catalog introspection without a cluster (none is reachable here): every query is
//! parsed by an independent grammar (sqlfluff's `redshift` dialect), and the rows → model
//! mapping runs on rows shaped as the AWS documentation shows them (PG_CLASS_INFO,
//! pg_attribute's Redshift columns, PG_TABLE_DEF encodings, pg_attrdef identity defaults,
//! pg_views, SVV_TABLE_INFO, SVV_MV_INFO, pg_conf BACKUP keys, pg_class.relacl grants,
//! SVV_RELATION_PRIVILEGES grants to roles).

mod common;

use common::catalog_rows::{rows, views};
use schema::dialect::catalog::Unknown;
use schema::dialect::redshift::attrs::{Distribution, SortKey, SortKind};
use schema::dialect::redshift::catalog::{self as redshift, Catalog};
use schema::drift;
use schema::model::{Dialect, Identity, Project};
use std::path::Path;

#[test]
fn every_redshift_catalog_query_parses() {
    let queries = redshift::queries(&["analytics".to_string()]);
    assert_eq!(queries.len(), 10, "one query per catalog source");
    // With several namespaces, the same sources (filtered by a list, objects keyed `ns.name`).
    let several = redshift::queries(&["analytics".to_string(), "raw".to_string()]);
    assert_eq!(several.len(), 10, "one query per catalog source, whatever the number of namespaces");
    assert!(several.iter().all(|q| !q.sql.contains("'raw'") || q.sql.contains("IN ('analytics', 'raw')")));
    let sql: Vec<String> = queries.iter().chain(&several).map(|q| format!("{};\n", q.sql)).collect();
    if let Err(report) = common::redshift_grammar_accepts(&sql.concat()) {
        panic!("sqlfluff (redshift) rejects a catalog query:\n{report}");
    }
    for q in &queries {
        let compute = q.sql.contains("svv_");
        let leader = q.sql.contains("pg_catalog.");
        assert!(!(compute && leader), "{}: leader-node and compute-node sources in one query", q.name);
        assert_eq!(q.optional, compute || q.name == "pg_conf", "{}", q.name);
    }
}

/// One table per documented distribution style, sort key kind and encoding case.
fn catalog() -> Catalog {
    Catalog {
        relations: rows(
            "reloid|relname|relkind|reldiststyle|releffectivediststyle|description|relacl|owner
             200|t_even|r|0|0|
             201|t_all|r|8|8|
             202|t_key|r|1|1|Keyed.
             203|t_auto_key|r|9|12|
             204|t_auto_even|r|9|11|
             205|t_auto_all|r|9|10|
             206|mv_daily|v|0||
             207|mv_tbl__mv_daily__0|r|1|1|
             208|v_plain|v|0||
             209|refinery_schema_history|r|9|10|
             210|v_late|v|0||",
        ),
        columns: rows(
            "relname|attname|type|attnotnull|default_expr|encoding|attisdistkey|attsortkeyord|description
             t_even|a|integer|f||az64|f|-1|
             t_even|b|character varying(256)|f||lzo|f|-2|
             t_all|id|integer|t|\"identity\"(201, 0, '100,10'::text)|az64|f|0|
             t_all|label|character(2)|f|'xx'::bpchar|none|f|0|
             t_key|id|bigint|t|default_identity(202, 0, '1,1'::text)|az64|f|0|
             t_key|session_id|character varying(64)|t||lzo|t|2|
             t_key|event_date|date|f||raw|f|1|
             t_key|payload|super|f||zstd|f|0|A document.
             t_key|shape|geometry|f||raw|f|0|
             t_auto_key|k|bigint|f||az64|t|0|
             t_auto_even|x|timestamp without time zone|f||az64|f|0|
             t_auto_all|y|numeric(12,2)|t|0|az64|f|0|
             mv_tbl__mv_daily__0|event_date|date|f||raw|t|1|
             refinery_schema_history|version|bigint|t||az64|f|0|",
        ),
        constraints: rows(
            "relname|name|definition
             t_key|t_key_pkey|PRIMARY KEY (id)
             t_key|t_key_event_date_fkey|FOREIGN KEY (event_date) REFERENCES analytics.t_even(a)
             t_all|t_all_label_key|UNIQUE (label)",
        ),
        views: views(&[
            (
                "mv_daily",
                "create materialized view analytics.mv_daily backup no diststyle key distkey (session_id) sortkey (event_date) auto refresh no as select event_date, session_id, count(*) as n from analytics.t_key group by 1, 2;",
            ),
            ("v_plain", " SELECT t_key.id FROM analytics.t_key;"),
            // A late-binding view's definition is its whole statement (amazon-redshift-utils
            // v_generate_view_ddl prints it as it is for a view with relnatts = 0).
            (
                "v_late",
                "create view analytics.v_late as select id, event_date from analytics.t_key join spectrum.clicks using (id) with no schema binding;",
            ),
        ]),
        deployer: rows("usename|usesuper\n admin|t"),
        backup: Some(rows(
            "key|dboid
             pg_class_backup_500_201|500
             pg_class_backup_499_200|500",
        )),
        table_info: Some(rows(
            "table|diststyle|sortkey1|encoded
             t_even|EVEN|a|Y, AUTO(ENCODE)
             t_all|ALL||Y
             t_key|KEY(session_id)|event_date|Y
             t_auto_even|AUTO(EVEN)|AUTO(SORTKEY)|Y, AUTO(ENCODE)
             mv_daily|KEY(session_id)|event_date|Y",
        )),
        mv_info: Some(rows(
            "name|autorefresh|state
             mv_daily|1|101",
        )),
        external_tables: Some(rows("schemaname|tablename|location")),
        role_grants: Some(rows("relation_name|privilege_type|identity_name")),
    }
}

#[test]
fn documented_rows_map_to_the_model() {
    let live = redshift::build(&["analytics".to_string()], &catalog());
    let p = &live.project;
    let names: Vec<&str> = p.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        ["t_all", "t_auto_all", "t_auto_even", "t_auto_key", "t_even", "t_key"],
        "no mv_tbl__, no history"
    );
    let t = |name: &str| p.table(name).unwrap();

    // Distribution: EVEN, ALL, KEY(col), and every AUTO(...) as AUTO.
    assert_eq!(t("t_even").redshift.distribution, Distribution::Even);
    assert_eq!(t("t_all").redshift.distribution, Distribution::All);
    assert_eq!(t("t_key").redshift.distribution, Distribution::Key("session_id".into()));
    for auto in ["t_auto_key", "t_auto_even", "t_auto_all"] {
        assert_eq!(t(auto).redshift.distribution, Distribution::Auto, "{auto}");
    }

    // Sort keys: interleaved (negative positions), compound (ordered by position), AUTO from
    // SVV_TABLE_INFO, none when listed without a key, unknown when not listed (empty table).
    assert_eq!(
        t("t_even").redshift.sort_key,
        SortKey { kind: SortKind::Interleaved, columns: vec!["a".into(), "b".into()] }
    );
    assert_eq!(
        t("t_key").redshift.sort_key,
        SortKey { kind: SortKind::Compound, columns: vec!["event_date".into(), "session_id".into()] }
    );
    assert_eq!(t("t_auto_even").redshift.sort_key, SortKey::AUTO);
    assert_eq!(t("t_all").redshift.sort_key.kind, SortKind::None);
    assert!(live.unknown.contains(&("t_auto_key".into(), Unknown::SortKey)));
    assert!(!live.unknown.contains(&("t_key".into(), Unknown::SortKey)));

    // Encodings: ENCODE AUTO tables have none in the model; `none` is RAW; unlisted is unknown.
    assert!(t("t_even").columns.iter().all(|c| c.redshift.encode.is_none()));
    assert_eq!(t("t_all").column("label").unwrap().redshift.encode.as_deref(), Some("raw"));
    assert_eq!(t("t_key").column("payload").unwrap().redshift.encode.as_deref(), Some("zstd"));
    assert!(live.unknown.contains(&("t_auto_key".into(), Unknown::EncodeAuto)));

    // IDENTITY and GENERATED BY DEFAULT AS IDENTITY defaults; ordinary defaults kept as printed.
    let id = t("t_all").column("id").unwrap();
    assert_eq!((id.identity, &id.default, id.nullable), (Some(Identity { seed: 100, step: 10 }), &None, false));
    assert_eq!(t("t_key").column("id").unwrap().identity, Some(Identity { seed: 1, step: 1 }));
    assert_eq!(t("t_all").column("label").unwrap().default.as_deref(), Some("'xx'::bpchar"));

    // Types, keys, comments; a type the model lacks is reported, not guessed.
    assert_eq!(t("t_key").column("payload").unwrap().ty.to_string(), "json");
    assert_eq!(t("t_key").column("payload").unwrap().description.as_deref(), Some("A document."));
    assert_eq!(t("t_key").description.as_deref(), Some("Keyed."));
    assert_eq!(t("t_key").primary_key, ["id"]);
    assert_eq!(t("t_key").foreign_keys[0].table, "t_even");
    assert_eq!(t("t_all").unique, [schema::model::UniqueKey::new(vec!["label".to_string()])]);
    assert_eq!(live.foreign_types, [("t_key".into(), "shape".into(), "geometry".into())]);

    // BACKUP NO from pg_conf keys of this database only.
    assert!(!t("t_all").redshift.backup);
    assert!(t("t_even").redshift.backup);

    // The MV: options from its stored definition, auto refresh and state from SVV_MV_INFO,
    // body with {{ ref() }}; the plain view likewise.
    let mv = p.view("mv_daily").unwrap();
    assert!(mv.materialized);
    assert_eq!((mv.redshift.backup, mv.redshift.auto_refresh), (false, true));
    assert_eq!(mv.redshift.distribution, Distribution::Key("session_id".into()));
    assert_eq!(mv.redshift.sort_key.columns, ["event_date"]);
    assert_eq!(mv.sql, "select event_date, session_id, count(*) as n from {{ ref('t_key') }} group by 1, 2");
    assert_eq!(mv.depends_on, ["t_key"]);
    assert_eq!(live.broken, [("mv_daily".into(), "unrefreshable: a column of a base table was dropped".into())]);
    let v = p.view("v_plain").unwrap();
    assert!(!v.materialized && !v.late_binding);
    assert_eq!(v.sql, "SELECT t_key.id FROM {{ ref('t_key') }}");
    // A late-binding view: the clause read off, its external reference kept as written.
    let v = p.view("v_late").unwrap();
    assert!(!v.materialized && v.late_binding);
    assert_eq!(v.sql, "select id, event_date from {{ ref('t_key') }} join spectrum.clicks using (id)");
    assert_eq!(v.depends_on, ["t_key"]);
}

#[test]
fn late_binding_definitions_are_read_whatever_their_spelling() {
    for (definition, body) in [
        ("CREATE VIEW a.v AS SELECT 1 WITH NO SCHEMA BINDING", Some("SELECT 1")),
        ("create view \"A\".\"V x\" (c) as\nselect 1 as c\nwith  no\tschema binding ;", Some("select 1 as c")),
        (
            "create or replace view v as select 'with no schema binding' as s with no schema binding",
            Some("select 'with no schema binding' as s"),
        ),
        // A bound view's definition is its query; a materialized view is not late-binding.
        (" SELECT 1 AS x;", None),
        ("create view a.v as select 1", None),
        ("create materialized view a.mv as select 1 with no schema binding", None),
    ] {
        assert_eq!(redshift::parse_late_binding(definition), body, "{definition}");
    }
}

/// An external schema's tables (SVV_EXTERNAL_TABLES: schemaname, tablename, location, ...)
/// are `unmanaged` objects, named with their location: not tables of the model, and reported
/// (before, only a warning said so, and diff exited 0 over them).
#[test]
fn external_tables_are_listed_as_unmanaged_objects() {
    let c = Catalog {
        external_tables: Some(rows(
            "schemaname|tablename|location
             analytics|clicks|s3://bucket/clicks/
             analytics|sales|s3://bucket/tickit/sales/",
        )),
        ..catalog()
    };
    let live = redshift::build(&["analytics".to_string()], &c);
    assert!(live.project.table("clicks").is_none());
    let said: Vec<String> =
        live.unmanaged.iter().map(|u| format!("{} {:?} {}", u.rule(), u.property, u.definition)).collect();
    assert_eq!(
        said,
        [
            "unmanaged clicks Some(\"external (Spectrum) table\") LOCATION s3://bucket/clicks/",
            "unmanaged sales Some(\"external (Spectrum) table\") LOCATION s3://bucket/tickit/sales/",
        ]
    );
}

#[test]
fn unreadable_compute_node_views_make_their_facts_unknown() {
    let c = Catalog { backup: None, table_info: None, mv_info: None, ..catalog() };
    let live = redshift::build(&["analytics".to_string()], &c);
    for t in &live.project.tables {
        for what in [Unknown::SortKey, Unknown::EncodeAuto, Unknown::Backup] {
            if what != Unknown::SortKey || t.name != "t_key" && t.name != "t_even" {
                assert!(live.unknown.contains(&(t.name.clone(), what)), "{} {what:?}", t.name);
            }
        }
    }
    // Without SVV_MV_INFO, AUTO REFRESH comes from the definition.
    assert!(!live.project.view("mv_daily").unwrap().redshift.auto_refresh);
    assert!(live.broken.is_empty());
}

#[test]
fn svv_table_info_dist_styles() {
    for (text, dist) in [
        ("EVEN", Distribution::Even),
        ("ALL", Distribution::All),
        ("KEY(session_id)", Distribution::Key("session_id".into())),
        ("AUTO(ALL)", Distribution::Auto),
        ("AUTO(EVEN)", Distribution::Auto),
        ("AUTO(KEY(session_id))", Distribution::Auto),
    ] {
        assert_eq!(redshift::parse_diststyle(text), Some(dist), "{text}");
    }
    assert_eq!(redshift::parse_diststyle("<<UNKNOWN>>"), None);
}

/// What `schema diff` reports on a Redshift whose catalog holds these rows.
fn diff(project: &Project, catalog: &Catalog) -> drift::Report {
    let mut live = redshift::build(&["analytics".to_string()], catalog);
    let desired = redshift::normalise(&project.enabled(), &mut live);
    drift::report(project, &desired, live, Dialect::Redshift)
}

/// The features fixture as a freshly migrated Redshift would show it: the MV definitions are
/// the CREATE statements our templates render, which Redshift keeps as written. Diff finds
/// nothing, although the catalog cannot show SORTKEY NONE or ENCODE AUTO of empty tables.
#[test]
fn a_freshly_migrated_redshift_shows_no_drift() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/features/schema");
    let project = schema::load::load(&dir).unwrap();
    let catalog = common::catalog_rows::features_catalog(|_, text| text);
    let report = diff(&project, &catalog);
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    assert_eq!(report.diff, "");

    // The same catalog after hand-made changes on the cluster.
    let mut changed = catalog;
    changed.relations = rows(
        "reloid|relname|relkind|reldiststyle|releffectivediststyle|description|relacl|owner
         301|chat_sessions|r|0|0|One row per chat session.
         302|events|r|8|8|Exercises the less common options.
         303|web_automations|r|9|12|
         304|mv_x|v|0||Daily counts.
         305|mv_keyed|v|0||
         306|v_recent|v|0||A plain view.",
    );
    changed.table_info = Some(rows(
        "table|diststyle|sortkey1|encoded
         chat_sessions|EVEN|event_date|Y
         events|ALL|AUTO(SORTKEY)|Y",
    ));
    changed.mv_info = Some(rows(
        "name|autorefresh|state
         mv_x|t|1
         mv_keyed|t|104",
    ));
    let report = diff(&project, &changed);
    let found: Vec<String> = report.findings.iter().map(|f| format!("{} {}", f.kind, f.object)).collect();
    assert_eq!(
        found,
        [
            "encoding analytics.chat_sessions.session_id",
            "encoding analytics.chat_sessions.event_timestamp",
            "encoding analytics.chat_sessions.event_date",
            "encoding analytics.chat_sessions.status",
            "distribution analytics.chat_sessions",
            "sort_key analytics.events",
            "mv_options analytics.mv_x",
            "mv_state analytics.mv_keyed",
        ]
    );
    assert!(report.diff.contains("-DISTSTYLE EVEN\n"), "{}", report.diff);
}

/// Grants as Redshift shows them: relacl with the owner's own entry, a user, a group (AWS
/// PG_DEFAULT_ACL: `"group name=r/grantor"`) and PUBLIC; grants to roles in
/// SVV_RELATION_PRIVILEGES, one privilege per row.
fn granted_catalog() -> Catalog {
    Catalog {
        relations: rows(
            r#"reloid|relname|relkind|reldiststyle|releffectivediststyle|description|relacl|owner
             202|t_key|r|1|1||{admin=arwdRxtD/admin,"group analysts=r/admin",bi_reader=rx/admin,=r/admin}|admin
             206|mv_daily|v|0|||{admin=arwdRxtD/admin,"group analysts=r/admin"}|admin
             200|t_even|r|0|0|||admin"#,
        ),
        role_grants: Some(rows(
            "relation_name|privilege_type|identity_name
             t_key|SELECT|etl
             t_key|INSERT|etl
             t_key|DROP|etl",
        )),
        ..catalog()
    }
}

#[test]
fn relacl_and_role_privileges_map_to_grants() {
    let live = redshift::build(&["analytics".to_string()], &granted_catalog());
    let text = |grants: &Option<Vec<schema::model::Grant>>| -> Vec<String> {
        grants.iter().flatten().map(|g| g.to_string()).collect()
    };
    assert_eq!(
        text(&live.project.table("t_key").unwrap().grants),
        [
            "SELECT, REFERENCES to user bi_reader",
            "SELECT to group analysts",
            "SELECT, INSERT to role etl",
            "SELECT to public"
        ]
    );
    assert_eq!(text(&live.project.view("mv_daily").unwrap().grants), ["SELECT to group analysts"]);
    assert_eq!(live.project.table("t_even").unwrap().grants, None, "no ACL: nothing granted");
    assert!(!live.unknown.iter().any(|(_, w)| *w == Unknown::RoleGrants));
}

/// A project managing t_key's grants, against the catalog above.
fn grant_findings(catalog: &Catalog) -> Vec<String> {
    let dir = Path::new("/p");
    let files = [
        ("schema.yaml", "name: p\nnamespace: analytics\ndialects: [redshift]\n"),
        ("t_key.yaml", "table: t_key\ncolumns:\n  - { name: id, type: bigint }\ngrants:\n  - { to: role etl, privileges: [select] }\n  - { to: group analysts, privileges: [select, insert] }\n"),
    ];
    let texts = files.iter().map(|(f, t)| (dir.join(f), Ok(t.to_string()))).collect();
    let project = schema::load::load_texts(dir, texts).unwrap();
    let report = diff(&project, catalog);
    let grants = report.findings.iter().filter(|f| f.kind.to_string() == "grant");
    let said = |v: &Option<String>| v.clone().unwrap_or_else(|| "nothing".into());
    grants.map(|f| format!("{}: {} -> {}", f.object, said(&f.expected), said(&f.actual))).collect()
}

#[test]
fn grant_drift_on_redshift_and_role_grants_it_cannot_read() {
    assert_eq!(
        grant_findings(&granted_catalog()),
        [
            "analytics.t_key: INSERT to group analysts -> nothing",
            "analytics.t_key: nothing -> SELECT, REFERENCES to user bi_reader",
            "analytics.t_key: nothing -> INSERT to role etl",
            "analytics.t_key: nothing -> SELECT to public",
        ]
    );
    // SVV_RELATION_PRIVILEGES unreadable: grants to roles are unknown and taken from the YAML.
    let unreadable = Catalog { role_grants: None, ..granted_catalog() };
    let live = redshift::build(&["analytics".to_string()], &unreadable);
    assert!(live.unknown.contains(&("t_key".to_string(), Unknown::RoleGrants)));
    assert_eq!(
        grant_findings(&unreadable),
        [
            "analytics.t_key: INSERT to group analysts -> nothing",
            "analytics.t_key: nothing -> SELECT, REFERENCES to user bi_reader",
            "analytics.t_key: nothing -> SELECT to public",
        ]
    );
}
