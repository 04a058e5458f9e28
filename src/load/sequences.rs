//! `sequences:` and `extensions:` in schema.yaml: PostgreSQL sequences no column owns, and the
//! extensions the project creates. The Redshift driver's lint refuses both in a project that
//! deploys there (Redshift has neither).

use super::project::Loader;
use super::Source;
use crate::model::Sequence;
use std::collections::BTreeMap;

impl Loader<'_> {
    /// Names are identifiers unlike any table, view or enum's (they share pg_class and pg_type);
    /// options are what PostgreSQL accepts.
    pub(super) fn sequences(&mut self, src: &Source, sequences: &BTreeMap<String, Sequence>, taken: &[&str]) {
        for (name, sequence) in sequences {
            let path = format!("sequences.{name}");
            self.name(src, &path, name);
            if taken.contains(&name.as_str()) || self.enums.contains_key(name) {
                self.at(src, &path, format!("sequence `{name}` has the name of a table, view or enum"));
            }
            if let Some(problem) = sequence.problem() {
                self.at(src, &path, format!("sequence `{name}`: {problem}"));
            }
        }
    }

    /// An extension is a name, in the project's namespace, or `ns.name` in any other: one the
    /// project manages, or one it does not, which must exist where the migrations run.
    pub(super) fn extensions(&mut self, src: &Source, extensions: &[String]) {
        let mut seen = std::collections::BTreeSet::new();
        for (i, key) in extensions.iter().enumerate() {
            let path = format!("extensions.{i}");
            let (namespace, name) = crate::model::split_key(key);
            // Both reach SQL quoted; held to identifiers as every namespace and extension name is.
            if let Some(ns) = namespace {
                self.ident(src, &path, ns);
            }
            self.ident(src, &path, name);
            if !seen.insert(name) {
                self.at(
                    src,
                    &path,
                    format!("extension `{name}` is listed twice (an extension is installed once per database)"),
                );
            }
        }
    }
}
