//! `sequences:` in schema.yaml: PostgreSQL sequences no column owns. The Redshift driver's lint
//! refuses them in a project that deploys there (Redshift has no sequences).

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
}
