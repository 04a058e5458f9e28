//! The Redshift catalog as a deployer who is not a superuser sees it, with rows shaped as the AWS
//! documentation shows them: SVV_TABLE_INFO shows such a user no row ("visible only to
//! superusers") and never lists empty tables; SVV_RELATION_PRIVILEGES shows only the identities
//! the user may access. What is missing is said, and never read as "SORTKEY AUTO is a compound
//! key" or "a grant is missing".

mod common;

use common::catalog_rows::{rows, views};
use schema::dialect::redshift::catalog::{self as redshift, Catalog};
use schema::drift;
use std::path::Path;

/// `t_auto` is on SORTKEY AUTO, which chose `d` (pg_attribute shows it as sort key column 1);
/// `t_key` has the compound key (d); role `etl` may read `t_auto`.
fn project() -> schema::model::Project {
    let dir = Path::new("/p");
    let files = [
        ("schema.yaml", "name: p\nnamespace: analytics\ndialects: [redshift]\n"),
        ("t_auto.yaml", "table: t_auto\ncolumns:\n  - { name: id, type: bigint }\n  - { name: d, type: date }\ngrants: [{ to: role etl, privileges: [select] }]\n"),
        ("t_key.yaml", "table: t_key\nsort_key: { columns: [d] }\ncolumns:\n  - { name: id, type: bigint }\n  - { name: d, type: date }\n"),
    ];
    let texts = files.iter().map(|(f, t)| (dir.join(f), Ok(t.to_string()))).collect();
    schema::load::load_texts(dir, texts).unwrap()
}

fn catalog(deployer: &str, table_info: &str, role_grants: &str) -> Catalog {
    Catalog {
        relations: rows(
            "reloid|relname|relkind|reldiststyle|releffectivediststyle|description|relacl|owner
             401|t_auto|r|9|10||{admin=arwdRxtD/admin}|admin
             402|t_key|r|9|10|||admin",
        ),
        columns: rows(
            "relname|attname|type|attnotnull|default_expr|encoding|attisdistkey|attsortkeyord|description
             t_auto|id|bigint|f||az64|f|0|
             t_auto|d|date|f||raw|f|1|
             t_key|id|bigint|f||az64|f|0|
             t_key|d|date|f||raw|f|1|",
        ),
        constraints: rows("relname|definition"),
        views: views(&[]),
        deployer: rows(&format!("usename|usesuper\n{deployer}")),
        backup: Some(rows("key|dboid")),
        table_info: Some(rows(&format!("table|diststyle|sortkey1|encoded\n{table_info}"))),
        mv_info: Some(rows("name|autorefresh|state")),
        external_tables: Some(rows("schemaname|tablename|location")),
        role_grants: Some(rows(&format!("relation_name|privilege_type|identity_name\n{role_grants}"))),
    }
}

/// The findings (`kind object: expected -> found`) and warnings of `schema diff`.
fn diff(catalog: &Catalog) -> (Vec<String>, Vec<String>) {
    let project = project();
    let mut live = redshift::build(&["analytics".to_string()], catalog);
    let desired = redshift::normalise(&project.enabled(), &mut live);
    let report = drift::report(&project, &desired, live, schema::model::Dialect::Redshift);
    let said = |v: &Option<String>| v.clone().unwrap_or_else(|| "nothing".into());
    let findings = report
        .findings
        .iter()
        .map(|f| format!("{} {}: {} -> {}", f.kind, f.object, said(&f.expected), said(&f.actual)));
    (findings.collect(), report.warnings.clone())
}

#[test]
fn what_a_deployer_who_is_not_a_superuser_cannot_see_is_said_not_reported() {
    let (findings, warnings) = diff(&catalog("deployer|f", "", ""));
    assert!(findings.is_empty(), "{findings:#?}");
    assert!(
        warnings.iter().any(|w| w.starts_with("svv_table_info shows deployer no row: it shows rows only to superusers")
            && w.contains("for t_auto, t_key, whether they are on ENCODE AUTO, and SORTKEY AUTO against no sort key or the compound key their columns show, are not compared")),
        "{warnings:#?}"
    );
    assert!(
        warnings.iter().any(|w| w.starts_with(
            "svv_relation_privileges shows deployer, not a superuser, only the roles it has access to or owns"
        )),
        "{warnings:#?}"
    );
    // A grant to a role the view does show is compared all the same.
    let (findings, _) = diff(&catalog("deployer|f", "", "t_auto|INSERT|etl"));
    assert_eq!(findings, ["grant analytics.t_auto: nothing -> INSERT to role etl"]);
}

#[test]
fn a_superuser_sees_every_grant_and_empty_tables_are_still_said() {
    // SVV_TABLE_INFO lists t_key (it has rows) as on SORTKEY AUTO that chose d: that is drift.
    let (findings, warnings) = diff(&catalog("admin|t", "t_key|AUTO(EVEN)|AUTO(SORTKEY(d))|Y, AUTO(ENCODE)", ""));
    assert_eq!(
        findings,
        ["grant analytics.t_auto: SELECT to role etl -> nothing", "sort_key analytics.t_key: COMPOUND(d) -> AUTO",],
        "a superuser sees every grant: the missing one is missing"
    );
    assert!(
        warnings.iter().any(|w| w == "svv_table_info does not list t_auto (it lists only tables that hold rows): whether they are on ENCODE AUTO, and SORTKEY AUTO against no sort key or the compound key their columns show, are not compared"),
        "{warnings:#?}"
    );
    assert!(!warnings.iter().any(|w| w.contains("svv_relation_privileges")), "{warnings:#?}");
}
