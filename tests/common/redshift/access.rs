//! Owners and privileges of the relations of a namespace, read from the catalog (not through the
//! tool's code), and the column order of every table: what a migration must keep. A deep copy
//! makes a new table and a recreate a new view, which belong to whoever runs the migration and
//! have no grants until they are given back ("Performing a deep copy").

use super::checks::{in_namespaces, key_sql};
use schema::model::Project;
use std::collections::{BTreeMap, BTreeSet};

/// A relation's owner and its grants other than the owner's own, as `grantee:PRIVILEGE`.
#[derive(Debug, Clone, PartialEq)]
pub struct Access {
    pub owner: String,
    pub grants: BTreeSet<String>,
}

/// Every table, view and materialized view of some namespaces, by key (its name in the first,
/// `ns.name` in the others).
pub fn access(url: &str, namespaces: &[String]) -> BTreeMap<String, Access> {
    let list: Vec<String> = namespaces.iter().map(|n| format!("'{n}'")).collect();
    let rows = crate::common::psql(
        url,
        &format!(
            "SELECT CASE WHEN n.nspname = '{}' THEN c.relname ELSE n.nspname || '.' || c.relname END,
                    pg_get_userbyid(c.relowner),
                    COALESCE((SELECT string_agg(CASE WHEN a.grantee = 0 THEN 'public' ELSE pg_get_userbyid(a.grantee) END
                                                || ':' || a.privilege_type, ',' ORDER BY 1)
                              FROM aclexplode(c.relacl) a WHERE a.grantee <> c.relowner), '')
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname IN ({}) AND c.relkind IN ('r', 'v', 'm')",
            namespaces[0],
            list.join(", ")
        ),
    );
    rows.lines()
        .filter_map(|l| {
            let mut parts = l.splitn(3, '|');
            let (name, owner, grants) = (parts.next()?, parts.next()?, parts.next().unwrap_or(""));
            let grants = grants.split(',').filter(|g| !g.is_empty()).map(str::to_string).collect();
            Some((name.to_string(), Access { owner: owner.to_string(), grants }))
        })
        .collect()
}

/// Each relation there before and after keeps its owner, and its grants where the YAML does not
/// manage them (check (g) compares those it manages with the YAML).
pub fn access_kept(
    before: &BTreeMap<String, Access>,
    after: &BTreeMap<String, Access>,
    project: &Project,
) -> Vec<String> {
    let enabled = project.enabled();
    let managed = |name: &str| {
        enabled.tables.iter().any(|t| t.name == name && t.grants.is_some())
            || enabled.views.iter().any(|v| v.name == name && v.grants.is_some())
    };
    let mut out = Vec::new();
    for (name, was) in before {
        let Some(now) = after.get(name) else { continue };
        if now.owner != was.owner {
            out.push(format!("{}: owned by {}, was owned by {}", project.qualified_name(name), now.owner, was.owner));
        }
        if !managed(name) && now.grants != was.grants {
            let lost: Vec<&String> = was.grants.difference(&now.grants).collect();
            let new: Vec<&String> = now.grants.difference(&was.grants).collect();
            out.push(format!(
                "{}: grants lost {lost:?}, grants not there before {new:?}",
                project.qualified_name(name)
            ));
        }
    }
    out
}

/// Each table of the YAML has its columns in the YAML's order (a positional COPY or an INSERT
/// without a column list loads fields in table order: AWS "COPY", column mapping).
pub fn column_order(url: &str, project: &Project) -> Vec<String> {
    let live = crate::common::psql(
        url,
        &format!(
            "SELECT {}, string_agg(a.attname, ',' ORDER BY a.attnum)
             FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE {} AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped GROUP BY 1",
            key_sql(project),
            in_namespaces(project)
        ),
    );
    let live: BTreeMap<&str, &str> = live.lines().filter_map(|l| l.split_once('|')).collect();
    let mut out = Vec::new();
    for t in &project.enabled().tables {
        let declared = t.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(",");
        match live.get(t.name.as_str()) {
            Some(found) if *found != declared => out.push(format!(
                "{}: columns in the order {found}, the YAML declares {declared}",
                project.qualified_name(&t.name)
            )),
            _ => {}
        }
    }
    out
}
