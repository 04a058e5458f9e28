//! Key constraints with the deterministic names the tool gives them, so both dialects can drop
//! and re-add them by name and two sides compare by content.

use crate::model::split_key;
use crate::model::Table;
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
}

impl Key {
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
}

/// The keys of a table, named as PostgreSQL would name them (truncated to its 63-byte limit).
pub fn keys(table: &Table) -> Vec<Key> {
    let table_name = split_key(&table.name).1;
    let name = |cols: &[String], suffix: &str| {
        let mut n = match suffix {
            "pkey" => format!("{table_name}_pkey"),
            _ => format!("{table_name}_{}_{suffix}", cols.join("_")),
        };
        truncate(&mut n, 63);
        n
    };
    let mut out = Vec::new();
    if !table.primary_key.is_empty() {
        let columns = table.primary_key.clone();
        out.push(Key { name: name(&columns, "pkey"), kind: KeyKind::Primary, columns, references: None, check: None });
    }
    for u in &table.unique {
        out.push(Key {
            name: name(u, "key"),
            kind: KeyKind::Unique,
            columns: u.clone(),
            references: None,
            check: None,
        });
    }
    for fk in &table.foreign_keys {
        out.push(Key {
            name: name(&fk.columns, "fkey"),
            kind: KeyKind::Foreign,
            columns: fk.columns.clone(),
            references: Some((fk.table.clone(), fk.references.clone())),
            check: None,
        });
    }
    for c in &table.check_constraints {
        let (name, check) = (c.name.clone(), Some(c.expression.clone()));
        out.push(Key { name, kind: KeyKind::Check, columns: vec![], references: None, check });
    }
    out
}

/// Cuts to at most `max` bytes on a character boundary.
fn truncate(text: &mut String, max: usize) {
    let mut end = max.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
}
