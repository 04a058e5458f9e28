//! Who may reach the objects: USAGE on a namespace for every grantee the YAML grants an object
//! in it (a grant on a table is unusable without it: AWS "GRANT", PostgreSQL "Privileges").

use super::Op;
use crate::model::{split_key, Grantee, Project};
use std::collections::{BTreeMap, BTreeSet};

/// GRANT USAGE for the grantees that get their first object in a namespace. USAGE is never
/// revoked: it may have been granted for objects the YAML does not manage.
pub fn usage(from: &Project, to: &Project) -> Vec<Op> {
    let (before, after) = (grantees(from), grantees(to));
    after
        .into_iter()
        .filter_map(|(namespace, who)| {
            let had = before.get(&namespace);
            let grantees: Vec<Grantee> = who.into_iter().filter(|g| !had.is_some_and(|h| h.contains(g))).collect();
            (!grantees.is_empty()).then_some(Op::GrantUsage { namespace, grantees })
        })
        .collect()
}

/// Namespace → the grantees of its tables and views.
fn grantees(project: &Project) -> BTreeMap<String, BTreeSet<Grantee>> {
    let objects = project.tables.iter().map(|t| (&t.name, &t.grants));
    let objects = objects.chain(project.views.iter().map(|v| (&v.name, &v.grants)));
    let mut out: BTreeMap<String, BTreeSet<Grantee>> = BTreeMap::new();
    for (key, grants) in objects {
        let namespace = split_key(key).0.unwrap_or(&project.namespace).to_string();
        out.entry(namespace).or_default().extend(grants.iter().flatten().map(|g| g.to.clone()));
    }
    out
}
