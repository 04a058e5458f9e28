//! Key constraints by name and content: the name the YAML gives a key, else the deterministic
//! one the tool gives it (as PostgreSQL would), so both dialects can drop and re-add them by name
//! and two sides compare by content.

use super::TableChange;
use crate::model::split_key;
use crate::model::{Action, Deferrable, Table};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum KeyKind {
    #[serde(rename = "PRIMARY KEY")]
    Primary,
    #[serde(rename = "UNIQUE")]
    Unique,
    #[serde(rename = "FOREIGN KEY")]
    Foreign,
    #[serde(rename = "CHECK")]
    Check,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Key {
    pub name: String,
    pub kind: KeyKind,
    pub columns: Vec<String>,
    /// The referenced table and columns of a foreign key.
    pub references: Option<(String, Vec<String>)>,
    /// The expression of a CHECK constraint (named as the YAML names it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
    /// A unique key's NULLS NOT DISTINCT.
    pub nulls_not_distinct: bool,
    /// A foreign key's actions, MATCH FULL and deferrability (the defaults on other keys).
    pub on_delete: Action,
    pub on_update: Action,
    pub match_full: bool,
    pub deferrable: Deferrable,
}

impl Key {
    fn new(name: String, kind: KeyKind, columns: Vec<String>) -> Key {
        let (on_delete, on_update, deferrable) = (Action::NoAction, Action::NoAction, Deferrable::No);
        let (references, check) = (None, None);
        Key {
            name,
            kind,
            columns,
            references,
            check,
            nulls_not_distinct: false,
            on_delete,
            on_update,
            match_full: false,
            deferrable,
        }
    }

    /// `primary key t_pkey`, for listings.
    pub fn describe(&self) -> String {
        let kind = match self.kind {
            KeyKind::Primary => "primary key",
            KeyKind::Unique => "unique",
            KeyKind::Foreign => "foreign key",
            KeyKind::Check => "check constraint",
        };
        format!("{kind} {}", self.name)
    }

    /// Whether `other` is this key, perhaps named or behaving otherwise: the same kind over the
    /// same columns (and referenced columns); a CHECK constraint, the same name.
    pub fn same_target(&self, other: &Key) -> bool {
        match self.kind {
            KeyKind::Check => other.kind == KeyKind::Check && self.name == other.name,
            _ => (self.kind, &self.columns, &self.references) == (other.kind, &other.columns, &other.references),
        }
    }

    /// The properties in which `other`, a key of the same target, differs, as the YAML names them.
    pub fn differences(&self, other: &Key) -> Vec<&'static str> {
        [
            (self.name != other.name, "name"),
            (self.check != other.check, "expression"),
            (self.nulls_not_distinct != other.nulls_not_distinct, "nulls_not_distinct"),
            (self.on_delete != other.on_delete, "on_delete"),
            (self.on_update != other.on_update, "on_update"),
            (self.match_full != other.match_full, "match"),
            (self.deferrable != other.deferrable, "deferrable"),
        ]
        .into_iter()
        .filter_map(|(differs, property)| differs.then_some(property))
        .collect()
    }
}

/// The name PostgreSQL gives a key declared without one (truncated to its 63-byte limit): what
/// the tool names a key the YAML does not name.
pub fn default_name(table: &str, kind: KeyKind, columns: &[String]) -> String {
    let table = split_key(table).1;
    let mut n = match kind {
        KeyKind::Primary => format!("{table}_pkey"),
        KeyKind::Unique => format!("{table}_{}_key", columns.join("_")),
        _ => format!("{table}_{}_fkey", columns.join("_")),
    };
    truncate(&mut n, 63);
    n
}

/// The names of a table's foreign keys, in the order of `foreign_keys`.
pub fn foreign_key_names(table: &Table) -> Vec<String> {
    keys(table).into_iter().filter(|k| k.references.is_some()).map(|k| k.name).collect()
}

/// The keys of a table, by the names the YAML gives them or else their deterministic names.
pub fn keys(table: &Table) -> Vec<Key> {
    let named = |name: &Option<String>, kind, columns: &[String]| {
        let name = name.clone().unwrap_or_else(|| default_name(&table.name, kind, columns));
        Key::new(name, kind, columns.to_vec())
    };
    let mut out = Vec::new();
    if !table.primary_key.is_empty() {
        out.push(named(&table.primary_key_name, KeyKind::Primary, &table.primary_key));
    }
    for u in &table.unique {
        out.push(Key { nulls_not_distinct: u.nulls_not_distinct, ..named(&u.name, KeyKind::Unique, &u.columns) });
    }
    for fk in &table.foreign_keys {
        out.push(Key {
            references: Some((fk.table.clone(), fk.references.clone())),
            on_delete: fk.on_delete,
            on_update: fk.on_update,
            match_full: fk.match_full,
            deferrable: fk.deferrable,
            ..named(&fk.name, KeyKind::Foreign, &fk.columns)
        });
    }
    for c in &table.check_constraints {
        out.push(Key { check: Some(c.expression.clone()), ..Key::new(c.name.clone(), KeyKind::Check, vec![]) });
    }
    out
}

/// A key of the same target on both sides is renamed, or altered when only a foreign key's
/// deferrability differs, else dropped and added again; the others are dropped or added.
pub(super) fn key_changes(out: &mut Vec<TableChange>, old: &[Key], new: &[Key]) {
    let (mut drops, mut adds) = (Vec::new(), Vec::new());
    for o in old {
        let Some(n) = new.iter().find(|n| n.same_target(o)) else {
            drops.push(TableChange::DropKey { key: o.clone() });
            continue;
        };
        match o.differences(n)[..] {
            [] => {}
            ["name"] => out.push(TableChange::RenameKey { from: o.name.clone(), key: n.clone() }),
            ["deferrable"] => out.push(TableChange::AlterKey { from: o.clone(), to: n.clone() }),
            _ => {
                drops.push(TableChange::DropKey { key: o.clone() });
                adds.push(TableChange::AddKey { key: n.clone() });
            }
        }
    }
    adds.extend(
        new.iter().filter(|n| !old.iter().any(|o| o.same_target(n))).map(|k| TableChange::AddKey { key: k.clone() }),
    );
    out.extend(drops);
    out.extend(adds);
}

/// A foreign key's deferrability, for listings.
pub(super) fn deferrable_text(k: &Key) -> &'static str {
    match k.deferrable {
        crate::model::Deferrable::No => "NOT DEFERRABLE",
        d => d.sql(),
    }
}

/// Cuts to at most `max` bytes on a character boundary.
fn truncate(text: &mut String, max: usize) {
    let mut end = max.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
}
