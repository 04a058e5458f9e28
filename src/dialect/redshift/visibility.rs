//! What a deployer who is not a superuser cannot see in Redshift's system views, and what the
//! comparison leaves alone then, saying so. "SVV_TABLE_INFO" is visible to superusers only
//! (unless SELECT on it is granted) and lists only tables that hold rows; a regular user sees
//! in "SVV_RELATION_PRIVILEGES" only the identities it has access to or owns. A missing row
//! there is therefore never read as "no sort key", "compound sort key" or "grant missing".

use crate::dialect::catalog::{Builder, Rows, Unknown};
use std::collections::HashMap;

/// The user reading the catalog, and whether it is a superuser (PG_USER), when the row is there.
pub(super) fn deployer(rows: &Rows) -> Option<(&str, bool)> {
    rows.iter().next().map(|r| (r.text("usename"), r.flag("usesuper")))
}

/// Tables SVV_TABLE_INFO does not list: whether they are on ENCODE AUTO is unknown, and so is
/// SORTKEY AUTO against no sort key or the compound key the columns show (AUTO may have chosen
/// it). `keyed` holds the tables whose columns show a compound key.
pub(super) fn unlisted_tables(
    b: &mut Builder,
    tables: &[String],
    listed: usize,
    keyed: &[&str],
    deployer: Option<(&str, bool)>,
) {
    let unlisted: Vec<&String> =
        tables.iter().filter(|t| b.live.unknown.contains(&((*t).clone(), Unknown::EncodeAuto))).collect();
    for t in unlisted.iter().filter(|t| keyed.contains(&t.as_str())) {
        b.unknown(t, Unknown::SortKey);
    }
    if unlisted.is_empty() {
        return;
    }
    let names: Vec<&str> = unlisted.iter().map(|t| t.as_str()).collect();
    let effect = "whether they are on ENCODE AUTO, and SORTKEY AUTO against no sort key or the compound key their columns show, are not compared";
    let warning = match deployer {
        Some((user, false)) if listed == 0 => format!(
            "svv_table_info shows {user} no row: it shows rows only to superusers and users granted SELECT on it, and lists only tables that hold rows; for {}, {effect} (GRANT SELECT ON svv_table_info TO {user} to compare them)",
            names.join(", ")
        ),
        _ => format!("svv_table_info does not list {} (it lists only tables that hold rows): {effect}", names.join(", ")),
    };
    b.live.warnings.push(warning);
}

/// Grants to roles when SVV_RELATION_PRIVILEGES may show only part of them: a role the YAML
/// grants that the view does not show is not reported missing (those it shows are compared).
pub(super) fn partial_role_grants(b: &mut Builder, deployer: Option<(&str, bool)>) {
    if let Some((_, true)) = deployer {
        return;
    }
    let objects: Vec<String> = b.tables.keys().chain(b.views.keys()).cloned().collect();
    objects.iter().for_each(|o| b.unknown(o, Unknown::RoleGrants));
    let who =
        deployer.map_or("the user reading the catalog".to_string(), |(user, _)| format!("{user}, not a superuser,"));
    b.live.warnings.push(format!(
        "svv_relation_privileges shows {who} only the roles it has access to or owns: a grant to a role the YAML declares and the view does not show is not reported missing (read the catalog as a superuser, or a user with the ACCESS SYSTEM TABLE permission, to compare them all)"
    ));
}

/// The number of tables SVV_TABLE_INFO lists, by name.
pub(super) fn listed<R>(info: &HashMap<&str, R>, tables: &[String]) -> usize {
    tables.iter().filter(|t| info.contains_key(t.as_str())).count()
}
