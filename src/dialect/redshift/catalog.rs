//! Amazon Redshift: every catalog query of the tool and the rows → model mapping.
//!
//! No Redshift cluster is reachable where this is developed and tested. The queries are checked
//! with sqlfluff's Redshift grammar and the mapping with rows shaped as the AWS documentation
//! shows them (tests/catalog.rs); behaviour against a live cluster is unverified.
//!
//! Leader-node catalog tables (`pg_*`) and compute-node views (`SVV_*`) cannot be used in one
//! query, so every source is its own query, joined here. The compute-node views are best
//! effort: they need privileges (regular users see only their own rows) and SVV_TABLE_INFO
//! lists only tables that have rows. Whatever they would have shown is then marked unknown and
//! not compared: ENCODE AUTO and SORTKEY AUTO-versus-none of empty tables, MV auto refresh.

use super::attrs::{Distribution, SortKey, SortKind};
pub use super::normalise::normalise;
pub use super::queries::{queries, Source};
use super::visibility;
use crate::dialect::acl;
use crate::dialect::catalog::{to_refs, Builder, Cursor, Live, Rows, Session, Unknown};
use crate::error::Result;
use crate::model::{split_key, Column, Dialect, Grant, Grantee, Identity, Privilege, Project};
use crate::sql::lexer::Escapes;
use std::collections::{BTreeSet, HashMap};

/// The rows of each source, in the order of `queries`; None where an optional one failed.
pub struct Catalog {
    pub relations: Rows,
    pub columns: Rows,
    pub constraints: Rows,
    pub views: Rows,
    /// The user reading the catalog: `usename`, `usesuper`.
    pub deployer: Rows,
    pub backup: Option<Rows>,
    pub table_info: Option<Rows>,
    pub mv_info: Option<Rows>,
    pub external_tables: Option<Rows>,
    pub role_grants: Option<Rows>,
}

pub(super) fn read(
    client: &mut postgres::Client,
    namespaces: &[String],
    desired: Option<&Project>,
) -> Result<(Live, Option<Project>)> {
    let s = &mut Session::new(client);
    let mut rows = Vec::new();
    let mut warnings = Vec::new();
    // Each source in a READ ONLY transaction of its own: an optional one that fails (a
    // compute-node view the user may not read) must not abort the others, and Redshift has no
    // savepoints.
    for source in queries(namespaces) {
        match s.read_only(&source.sql) {
            Ok(r) => rows.push(Some(r)),
            Err(e) if source.optional => {
                warnings.push(format!("{} is not readable ({e}); what it shows is not compared", source.name));
                rows.push(None);
            }
            Err(e) => return Err(e),
        }
    }
    let mut rows = rows.into_iter();
    let mut next = || rows.next().flatten();
    let mut required = || next().unwrap_or_default();
    let (relations, columns, constraints, views, deployer) =
        (required(), required(), required(), required(), required());
    let (backup, table_info, mv_info, external_tables, role_grants) = (next(), next(), next(), next(), next());
    let catalog = Catalog {
        relations,
        columns,
        constraints,
        views,
        deployer,
        backup,
        table_info,
        mv_info,
        external_tables,
        role_grants,
    };
    let mut live = build(namespaces, &catalog);
    live.warnings.extend(warnings);
    live.queries = s.queries;
    let desired = desired.map(|d| normalise(d, &mut live));
    Ok((live, desired))
}

/// The rows → model mapping; `namespaces` as for `queries`.
pub fn build(namespaces: &[String], c: &Catalog) -> Live {
    let mut b = Builder::new(namespaces, Dialect::Redshift);
    // MV data lives in internal tables `mv_tbl__<mv>__<n>`: storage, not objects of the schema.
    let internal = |key: &str| split_key(key).1.starts_with("mv_tbl__");
    let definitions: HashMap<&str, &str> = c.views.iter().map(|r| (r.text("viewname"), r.text("definition"))).collect();
    let info: HashMap<&str, _> = c.table_info.iter().flat_map(Rows::iter).map(|r| (r.text("table"), r)).collect();
    let mv_info: HashMap<&str, _> = c.mv_info.iter().flat_map(Rows::iter).map(|r| (r.text("name"), r)).collect();

    // An external schema's tables live in the data catalog (S3), not in pg_class: `unmanaged`
    // objects (diff reports them unless `ignore:` lists them; inspect lists them there).
    for r in c.external_tables.iter().flat_map(Rows::iter) {
        let (schema, table, location) = (r.text("schemaname"), r.text("tablename"), r.get("location").unwrap_or("?"));
        let key = if schema == namespaces[0] { table.to_string() } else { format!("{schema}.{table}") };
        b.stray("external (Spectrum) table", &key, &format!("LOCATION {location}"));
    }
    let mut styles = HashMap::new();
    let mut oids = HashMap::new();
    for r in c.relations.iter().filter(|r| !internal(r.text("relname"))) {
        let (name, description) = (r.text("relname"), r.get("description"));
        if r.text("relkind") == "v" {
            let materialized = definitions.get(name).is_some_and(|d| parse_mv(d).is_some());
            b.view(name, materialized, description);
        } else {
            b.table(name, description);
            styles.insert(name, (r.int("reldiststyle"), r.int("releffectivediststyle")));
            oids.insert(r.text("reloid"), name);
        }
        if let Some(list) = r.get("relacl") {
            b.grants(name, acl::grants(list, r.text("owner"), Grantee::User));
        }
    }
    b.owners(c.relations.iter().filter(|r| !internal(r.text("relname"))).map(|r| (r.text("relname"), r.text("owner"))));
    let deployer = visibility::deployer(&c.deployer);
    role_grants(&mut b, c.role_grants.as_ref(), deployer);

    let mut distkeys = HashMap::new();
    let mut sortkeys: HashMap<&str, Vec<(i64, String)>> = HashMap::new();
    for r in c.columns.iter().filter(|r| !internal(r.text("relname"))) {
        let (table, name) = (r.text("relname"), r.text("attname"));
        let Some(ty) = b.column_type(table, name, r.text("type")) else { continue };
        let default = r.get("default_expr");
        let identity = default.and_then(identity);
        let encode = match r.text("encoding").trim().to_ascii_lowercase().as_str() {
            "" => None,
            "none" => Some("raw".to_string()),
            other => Some(other.to_string()),
        };
        let column = Column {
            name: name.to_string(),
            ty,
            nullable: !r.flag("attnotnull"),
            default: default.filter(|_| identity.is_none()).map(str::to_string),
            identity,
            redshift: super::attrs::ColumnAttrs { encode },
            derived: None,
            lookup: None,
            renamed_from: None,
            description: r.get("description").map(str::to_string),
            postgres: Default::default(),
        };
        b.column(table, column);
        if r.flag("attisdistkey") {
            distkeys.insert(table, name.to_string());
        }
        match r.int("attsortkeyord") {
            Some(0) | None => {}
            Some(ord) => sortkeys.entry(table).or_default().push((ord, name.to_string())),
        }
    }
    for r in c.constraints.iter() {
        b.constraint(r.text("relname"), r.get("name"), r.text("definition"));
    }

    let no_backup: Option<BTreeSet<&str>> = c.backup.as_ref().map(|rows| {
        rows.iter()
            .filter_map(|r| {
                let parts: Vec<&str> = r.text("key").trim_start_matches("pg_class_backup_").split('_').collect();
                match parts[..] {
                    [db, table] if db == r.text("dboid").trim() => oids.get(table).copied(),
                    _ => None,
                }
            })
            .collect()
    });

    let names: Vec<String> = b.tables.keys().cloned().collect();
    let mut keyed = Vec::new();
    for name in &names {
        let info = info.get(name.as_str());
        let (style, effective) = styles.get(name.as_str()).copied().unwrap_or_default();
        let distribution = table_distribution(style, effective, distkeys.get(name.as_str()));
        let sort = match (info.and_then(|r| r.get("sortkey1")), sortkeys.remove(name.as_str())) {
            (Some(s), _) if s.trim().to_ascii_uppercase().starts_with("AUTO(SORTKEY") => Some(SortKey::AUTO),
            (_, Some(mut columns)) => {
                columns.sort_by_key(|(ord, _)| ord.abs());
                // AUTO never chooses an interleaved key; a compound one it may have chosen.
                let kind = if columns.iter().any(|(ord, _)| *ord < 0) {
                    SortKind::Interleaved
                } else {
                    keyed.push(name.as_str());
                    SortKind::Compound
                };
                Some(SortKey { kind, columns: columns.into_iter().map(|(_, c)| c).collect() })
            }
            // Listed (so it has rows) with no key column and no AUTO: no sort key.
            _ if info.is_some() => Some(SortKey { kind: SortKind::None, columns: vec![] }),
            _ => None,
        };
        let encode_auto = info.map(|r| r.text("encoded").to_ascii_uppercase().contains("AUTO(ENCODE)"));
        let backup = no_backup.as_ref().map(|set| !set.contains(name.as_str()));
        if sort.is_none() {
            b.unknown(name, Unknown::SortKey);
        }
        if encode_auto.is_none() {
            b.unknown(name, Unknown::EncodeAuto);
        }
        if backup.is_none() {
            b.unknown(name, Unknown::Backup);
        }
        if distribution.is_none() {
            b.live.warnings.push(format!("{name}: distribution style {style:?}/{effective:?} is not understood"));
        }
        let t = b.tables.get_mut(name).expect("listed above");
        t.redshift.distribution = distribution.unwrap_or(Distribution::Auto);
        t.redshift.sort_key = sort.unwrap_or(SortKey::AUTO);
        t.redshift.backup = backup.unwrap_or(true);
        if encode_auto == Some(true) {
            t.columns.iter_mut().for_each(|c| c.redshift.encode = None);
        }
    }
    if c.table_info.is_some() {
        let keyed: Vec<&str> = keyed.into_iter().filter(|t| !info.contains_key(t)).collect();
        visibility::unlisted_tables(&mut b, &names, visibility::listed(&info, &names), &keyed, deployer);
    }

    // View bodies refer to the managed namespaces' objects through {{ ref() }}.
    let objects: BTreeSet<String> = b.tables.keys().chain(b.views.keys()).cloned().collect();
    let views: Vec<(String, bool)> = b.views.values().map(|v| (v.name.clone(), v.materialized)).collect();
    for (name, materialized) in views {
        let definition = definitions.get(name.as_str()).copied().unwrap_or_default();
        let mv = if materialized { parse_mv(definition) } else { None };
        let late = if materialized { None } else { parse_late_binding(definition) };
        let body = mv.as_ref().map(|m| m.body).or(late).unwrap_or(definition);
        if late.is_some() {
            b.views.get_mut(&name).expect("listed above").late_binding = true;
        }
        let (sql, depends_on) =
            to_refs(body.trim().trim_end_matches(';').trim_end(), &namespaces[0], &objects, Escapes::Backslash);
        b.view_body(&name, sql, depends_on);
        let Some(mv) = mv else { continue };
        let info_row = info.get(name.as_str());
        let mv_row = mv_info.get(name.as_str());
        let auto_refresh = mv_row.map(|r| r.flag("autorefresh")).or(mv.auto_refresh);
        let listed_style = info_row.and_then(|r| r.get("diststyle")).and_then(parse_diststyle);
        if mv.backup.is_none() {
            b.unknown(&name, Unknown::Backup);
        }
        if auto_refresh.is_none() {
            b.unknown(&name, Unknown::AutoRefresh);
        }
        if let Some(why) = mv_row.and_then(|r| r.int("state")).and_then(unrefreshable) {
            b.live.broken.push((name.clone(), why));
        }
        let v = b.views.get_mut(&name).expect("listed above");
        v.redshift.backup = mv.backup.unwrap_or(true);
        v.redshift.auto_refresh = auto_refresh.unwrap_or(false);
        v.redshift.distribution = mv.distribution.or(listed_style).unwrap_or(Distribution::Even);
        v.redshift.sort_key = SortKey { kind: SortKind::Compound, columns: mv.sort_key };
    }
    b.finish()
}

/// SVV_RELATION_PRIVILEGES rows (one privilege of one role each); unreadable, grants to roles
/// are unknown, and read by a user who is not a superuser, those it does not show are.
fn role_grants(b: &mut Builder, rows: Option<&Rows>, deployer: Option<(&str, bool)>) {
    let Some(rows) = rows else {
        let objects: Vec<String> = b.tables.keys().chain(b.views.keys()).cloned().collect();
        objects.iter().for_each(|o| b.unknown(o, Unknown::RoleGrants));
        return;
    };
    visibility::partial_role_grants(b, deployer);
    for r in rows.iter() {
        let Some(privilege) = Privilege::parse(&r.text("privilege_type").trim().to_ascii_lowercase()) else { continue };
        let to = Grantee::Role(r.text("identity_name").to_string());
        b.grants(r.text("relation_name"), vec![Grant { to, privileges: vec![privilege] }]);
    }
}

/// `pg_class.reldiststyle` (0 EVEN, 1 KEY, 8 ALL, 9 AUTO) and PG_CLASS_INFO's
/// `releffectivediststyle` (10 AUTO(ALL), 11 AUTO(EVEN), 12 AUTO(KEY)): whatever AUTO currently
/// chose, the model's style is AUTO.
fn table_distribution(style: Option<i64>, effective: Option<i64>, key: Option<&String>) -> Option<Distribution> {
    match (style, effective) {
        (Some(9), _) | (_, Some(10..=12)) => Some(Distribution::Auto),
        (Some(0), _) => Some(Distribution::Even),
        (Some(8), _) => Some(Distribution::All),
        (Some(1), _) => key.map(|k| Distribution::Key(k.clone())),
        _ => None,
    }
}

/// SVV_TABLE_INFO's `diststyle`: EVEN, ALL, KEY(col), AUTO(ALL), AUTO(EVEN), AUTO(KEY(col)).
pub fn parse_diststyle(text: &str) -> Option<Distribution> {
    let text = text.trim();
    let upper = text.to_ascii_uppercase();
    match upper.as_str() {
        "EVEN" => Some(Distribution::Even),
        "ALL" => Some(Distribution::All),
        _ if upper.starts_with("AUTO(") => Some(Distribution::Auto),
        _ if upper.starts_with("KEY(") && text.ends_with(')') => {
            Some(Distribution::Key(text[4..text.len() - 1].trim().to_string()))
        }
        _ => None,
    }
}

/// IDENTITY columns show their default as `identity(<table oid>, <n>, 'seed,step'::text)`,
/// GENERATED BY DEFAULT ones as `default_identity(...)`, the function name possibly quoted.
pub fn identity(default: &str) -> Option<Identity> {
    let head = default.trim().trim_start_matches('"').to_ascii_lowercase();
    if !(head.starts_with("identity") || head.starts_with("default_identity")) {
        return None;
    }
    let numbers = default.split('\'').nth(1).unwrap_or_default();
    let mut parts = numbers.split(',').map(|n| n.trim().parse::<i64>().ok());
    let (seed, step) = (parts.next().flatten(), parts.next().flatten());
    Some(Identity { seed: seed.unwrap_or(1), step: step.unwrap_or(1) })
}

/// STV_MV_INFO / SVV_MV_INFO `state` codes of a materialized view that cannot be refreshed.
fn unrefreshable(state: i64) -> Option<String> {
    let why = match state {
        101 => "unrefreshable: a column of a base table was dropped",
        102 => "unrefreshable: the type of a column of a base table changed",
        103 => "unrefreshable: a base table was renamed",
        104 => "unrefreshable: a column of a base table was renamed",
        n if n > 100 => return Some(format!("unrefreshable (state {n})")),
        _ => return None,
    };
    Some(why.to_string())
}

/// The body of a late-binding view, whose stored definition is its whole statement (a bound
/// view's is its query): `create view [schema.]name [(columns)] as body with no schema binding`.
pub fn parse_late_binding(definition: &str) -> Option<&str> {
    let mut c = Cursor::new(definition, Escapes::Backslash);
    if !(c.keywords(&["create", "view"]) || c.keywords(&["create", "or", "replace", "view"])) {
        return None;
    }
    c.ident()?;
    if c.punct('.') {
        c.ident()?;
    }
    let _columns = c.ident_list();
    if !c.keywords(&["as"]) {
        return None;
    }
    let mut body = c.rest().trim().trim_end_matches(';');
    for word in ["binding", "schema", "no", "with"] {
        let (head, last) = body.trim_end().rsplit_once(char::is_whitespace)?;
        if !last.eq_ignore_ascii_case(word) {
            return None;
        }
        body = head;
    }
    Some(body.trim_end())
}

/// A materialized view's stored definition:
/// `create materialized view [schema.]name [BACKUP YES|NO] [DISTSTYLE s] [DISTKEY (c)]
/// [[COMPOUND] SORTKEY (c, ...)] [AUTO REFRESH YES|NO] AS body`.
#[derive(Debug, PartialEq)]
pub struct MvDefinition<'a> {
    pub backup: Option<bool>,
    pub distribution: Option<Distribution>,
    pub sort_key: Vec<String>,
    pub auto_refresh: Option<bool>,
    pub body: &'a str,
}

pub fn parse_mv(definition: &str) -> Option<MvDefinition<'_>> {
    let mut c = Cursor::new(definition, Escapes::Backslash);
    if !c.keywords(&["create", "materialized", "view"]) {
        return None;
    }
    c.ident()?;
    if c.punct('.') {
        c.ident()?;
    }
    let mut mv = MvDefinition { backup: None, distribution: None, sort_key: vec![], auto_refresh: None, body: "" };
    let mut style = None;
    let yes = |c: &mut Cursor| c.ident().map(|w| w == "yes");
    loop {
        if c.keywords(&["as"]) {
            mv.body = c.rest().trim();
            break;
        } else if c.keywords(&["backup"]) {
            mv.backup = Some(yes(&mut c)?);
        } else if c.keywords(&["diststyle"]) {
            style = Some(c.ident()?);
        } else if c.keywords(&["distkey"]) {
            mv.distribution = Some(Distribution::Key(c.ident_list()?.pop()?));
        } else if c.keywords(&["sortkey"]) || c.keywords(&["compound", "sortkey"]) {
            mv.sort_key = c.ident_list()?;
        } else if c.keywords(&["auto", "refresh"]) {
            mv.auto_refresh = Some(yes(&mut c)?);
        } else {
            return None;
        }
    }
    if mv.distribution.is_none() {
        mv.distribution = match style.as_deref() {
            Some("even") => Some(Distribution::Even),
            Some("all") => Some(Distribution::All),
            Some("auto") => Some(Distribution::Auto),
            _ => None,
        };
    }
    Some(mv)
}
