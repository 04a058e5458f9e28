//! The semantic pass over a table's key options: constraint names, a foreign key's actions,
//! MATCH and deferrability, a unique key's NULLS NOT DISTINCT, and what a target dialect refuses
//! of them.

use super::docs::{ForeignKeyDoc, KeyDoc, MatchDoc, TableDoc, UniqueKeyDoc};
use super::project::Loader;
use super::Source;
use crate::diff::keys;
use crate::model::{Action, Deferrable, ForeignKey, Table, UniqueKey};
use std::collections::BTreeMap;

/// PostgreSQL cuts a longer name silently (NAMEDATALEN - 1).
const MAX_NAME: usize = 63;

impl Loader<'_> {
    /// A table-level unique key (`unique.{i}`), its columns checked by the caller.
    pub(super) fn unique_key(&mut self, src: &Source, i: usize, doc: &KeyDoc<UniqueKeyDoc>) -> UniqueKey {
        let mut key = UniqueKey::new(doc.columns().to_vec());
        if let KeyDoc::Full(u) = doc {
            key.name = u.name.clone();
            key.nulls_not_distinct = u.nulls_not_distinct;
            if u.nulls_not_distinct {
                self.key_option(src, &format!("unique.{i}.nulls_not_distinct"), "nulls_not_distinct");
            }
        }
        key
    }

    /// A table-level foreign key's (`foreign_keys.{i}`) name and options onto `fk`.
    pub(super) fn foreign_key_options(&mut self, src: &Source, i: usize, doc: &ForeignKeyDoc, fk: &mut ForeignKey) {
        fk.name = doc.name.clone();
        fk.on_delete = doc.on_delete.unwrap_or_default();
        fk.on_update = doc.on_update.unwrap_or_default();
        fk.match_full = doc.match_ == Some(MatchDoc::Full);
        fk.deferrable = doc.deferrable.as_ref().map_or(Deferrable::No, |d| d.mode());
        let set = [
            (fk.on_delete != Action::NoAction, "on_delete"),
            (fk.on_update != Action::NoAction, "on_update"),
            (fk.match_full, "match"),
            (fk.deferrable != Deferrable::No, "deferrable"),
        ];
        for (_, field) in set.iter().filter(|(on, _)| *on) {
            self.key_option(src, &format!("foreign_keys.{i}.{field}"), field);
        }
    }

    fn key_option(&mut self, src: &Source, path: &str, field: &str) {
        for d in self.dialects.clone() {
            if let Some(why) = crate::dialect::driver(d).key_options_refused() {
                let msg = format!("`{field}` cannot be deployed to {d}, a target dialect of this project: {why}");
                self.at(src, path, msg);
            }
        }
    }

    /// The names the YAML gives the table's keys: text the server keeps (any case where every
    /// target dialect keeps it), once per table among its keys and CHECK constraints.
    pub(super) fn constraint_names(&mut self, src: &Source, doc: &TableDoc, table: &Table) {
        let mut given: Vec<(String, &str)> = Vec::new();
        if let Some(KeyDoc::Full(pk)) = &doc.primary_key {
            given.extend(pk.name.as_deref().map(|n| ("primary_key.name".to_string(), n)));
        }
        for (i, u) in doc.unique.iter().enumerate() {
            if let KeyDoc::Full(u) = u {
                given.extend(u.name.as_deref().map(|n| (format!("unique.{i}.name"), n)));
            }
        }
        for (i, fk) in doc.foreign_keys.iter().enumerate() {
            given.extend(fk.name.as_deref().map(|n| (format!("foreign_keys.{i}.name"), n)));
        }
        let folded = self.dialects.iter().find(|d| !crate::dialect::driver(**d).case_sensitive_names()).copied();
        for (path, name) in &given {
            if name.is_empty() || name.len() > MAX_NAME || name.contains(char::is_control) {
                let shown = name.escape_debug();
                self.at(
                    src,
                    path,
                    format!("a constraint name is 1 to {MAX_NAME} bytes (no control characters), not `{shown}`"),
                );
            } else if let (Some(d), Err(msg)) = (folded, super::check_ident(name)) {
                let help = format!("{d} folds names to lower case, and {d} is a target dialect of this project");
                self.at_help(src, path, msg, Some(help));
            }
        }
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for k in keys(table) {
            *seen.entry(k.name).or_default() += 1;
        }
        for (path, name) in given.iter().filter(|(_, n)| seen.get(*n).is_some_and(|count| *count > 1)) {
            self.at(src, path, format!("constraint `{name}` is named twice in table `{}`", table.name));
        }
    }
}
