//! Live grants: `pg_class.relacl` as both servers print it, and how the live side's grants are
//! made comparable with the YAML's. An aclitem is `grantee=privileges/grantor` (PostgreSQL
//! "Privileges"): an empty grantee is PUBLIC, a privilege letter may be followed by `*` (grant
//! option), names that need it are double-quoted. Redshift prints a group as `group name=...`
//! (AWS PG_DEFAULT_ACL). The array quotes an item holding a space, comma, quote or backslash.

use super::catalog::Builder;
use crate::model::grants::merge;
use crate::model::{Grant, Grantee, Privilege, Project};
use std::collections::BTreeMap;

impl Builder {
    /// Grants on a table or view, added to those it has (sources may each show some).
    pub(in crate::dialect) fn grants(&mut self, object: &str, grants: Vec<Grant>) {
        let slot = match self.tables.get_mut(object) {
            Some(t) => &mut t.grants,
            None => match self.views.get_mut(object) {
                Some(v) => &mut v.grants,
                None => return,
            },
        };
        let had = slot.take().unwrap_or_default();
        *slot = Some(merge(had.into_iter().chain(grants)));
    }
}

/// The grants of an ACL array (`{=r/o,"group g=arw/o"}`), the owner's own entry left out.
/// `plain` names a grantee without a `group` prefix: a user on Redshift, a role on PostgreSQL.
pub fn grants(acl: &str, owner: &str, plain: fn(String) -> Grantee) -> Vec<Grant> {
    let items = array_items(acl);
    merge(items.iter().filter_map(|item| {
        let (to, privileges) = item_parts(item, plain)?;
        (to.name() != Some(owner) || to.kind() == "group")
            .then(|| Grant { to, privileges: privileges.chars().filter_map(Privilege::from_acl).collect() })
    }))
}

/// The items of an array literal, unquoted.
fn array_items(text: &str) -> Vec<String> {
    let inner = text.trim().trim_start_matches('{').trim_end_matches('}');
    let mut items = Vec::new();
    let mut chars = inner.chars();
    let mut item = String::new();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '\\' if quoted => item.extend(chars.next()),
            ',' if !quoted => items.push(std::mem::take(&mut item)),
            c => item.push(c),
        }
    }
    if !item.is_empty() {
        items.push(item);
    }
    items
}

/// `[group ]name=privileges/grantor` → the grantee and the privilege letters.
fn item_parts(item: &str, plain: fn(String) -> Grantee) -> Option<(Grantee, &str)> {
    let (group, rest) = match item.strip_prefix("group ") {
        Some(rest) => (true, rest),
        None => (false, item),
    };
    let (name, rest) = name(rest)?;
    let privileges = rest.strip_prefix('=')?.split('/').next()?;
    let to = match (group, name.is_empty()) {
        (true, _) => Grantee::Group(name),
        (false, true) => Grantee::Public,
        (false, false) => plain(name),
    };
    Some((to, privileges))
}

/// A name as aclitems print it (double-quoted, `""` inside, when needed) and what follows it.
fn name(text: &str) -> Option<(String, &str)> {
    let Some(quoted) = text.strip_prefix('"') else {
        let end = text.find('=')?;
        return Some((text[..end].to_string(), &text[end..]));
    };
    let mut name = String::new();
    let mut rest = quoted.char_indices();
    while let Some((i, c)) = rest.next() {
        if c != '"' {
            name.push(c);
        } else if quoted[i + 1..].starts_with('"') {
            name.push('"');
            rest.next();
        } else {
            return Some((name, &quoted[i + 1..]));
        }
    }
    None
}

/// Live grants as compared with `desired`: only where the YAML manages an object's grants
/// (elsewhere the live side shows none, so nothing is compared or rendered).
pub fn keep_managed(live: &mut Project, desired: &Project) {
    let tables = desired.tables_by_name();
    for t in &mut live.tables {
        if tables.get(t.name.as_str()).and_then(|d| d.grants.as_ref()).is_none() {
            t.grants = None;
        }
    }
    for v in &mut live.views {
        if desired.view(&v.name).and_then(|d| d.grants.as_ref()).is_none() {
            v.grants = None;
        }
    }
}

/// PostgreSQL shows every grantee as a role: each takes the kind the YAML gives its name (the
/// loader allows one kind per name on PostgreSQL), so `group analysts` compares equal.
pub fn kinds_as_declared(live: &mut Project, desired: &Project) {
    let lists = desired.tables.iter().map(|t| &t.grants).chain(desired.views.iter().map(|v| &v.grants));
    let declared: BTreeMap<&str, &Grantee> =
        lists.flatten().flatten().filter_map(|g| Some((g.to.name()?, &g.to))).collect();
    let live_lists = live.tables.iter_mut().map(|t| &mut t.grants).chain(live.views.iter_mut().map(|v| &mut v.grants));
    for list in live_lists.flatten() {
        let renamed = list.drain(..).map(|g| {
            let to = g.to.name().and_then(|n| declared.get(n)).map_or(g.to.clone(), |d| (*d).clone());
            Grant { to, ..g }
        });
        *list = merge(renamed.collect::<Vec<_>>());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acl_items_as_both_servers_print_them() {
        let pg = grants(
            r#"{owner=arwdDxtm/owner,analysts=r/owner,=r/owner,"\"we \"\"ird\"=a*w/owner",etl=Dt/owner}"#,
            "owner",
            Grantee::Role,
        );
        let text: Vec<String> = pg.iter().map(Grant::to_string).collect();
        assert_eq!(text, ["SELECT to role analysts", "INSERT, UPDATE to role we \"ird", "SELECT to public"]);
        let rs =
            grants(r#"{rdsdb=arwdRxtD/rdsdb,"group analysts=r/rdsdb",bi_reader=rx/rdsdb}"#, "rdsdb", Grantee::User);
        let text: Vec<String> = rs.iter().map(Grant::to_string).collect();
        assert_eq!(text, ["SELECT, REFERENCES to user bi_reader", "SELECT to group analysts"]);
        assert!(grants("{}", "o", Grantee::User).is_empty());
        assert_eq!(array_items(r#"{"a\\b=r/o","c\"d=r/o"}"#), ["a\\b=r/o", "c\"d=r/o"]);
    }
}
