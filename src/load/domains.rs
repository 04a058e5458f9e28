//! `domains:` in schema.yaml: PostgreSQL domains. The Redshift driver's lint refuses them in a
//! project that deploys there (Redshift has none).

use super::docs::DomainDoc;
use super::project::Loader;
use super::Source;
use crate::model::Domain;
use crate::sql::expr::Role;
use std::collections::{BTreeMap, BTreeSet};

impl Loader<'_> {
    /// Names unlike any table, view, sequence (`taken`) or enum's (they share pg_type); a base type the
    /// project can spell; a default and CHECK constraints that are each one expression, the
    /// constraints over `VALUE` only.
    pub(super) fn domains(
        &mut self,
        src: &Source,
        domains: &BTreeMap<String, DomainDoc>,
        taken: &[&str],
    ) -> BTreeMap<String, Domain> {
        let mut out = BTreeMap::new();
        for (name, doc) in domains {
            let path = format!("domains.{name}");
            self.name(src, &path, name);
            if taken.contains(&name.as_str()) || self.enums.contains_key(name) {
                self.at(src, &path, format!("domain `{name}` has the name of a table, view, enum or sequence"));
            }
            let ty = match self.read_type(&doc.ty) {
                Ok(ty) => self.declared_type(src, &format!("{path}.type"), ty),
                Err(e) => {
                    self.at(src, &format!("{path}.type"), e);
                    None
                }
            };
            if let Some(text) = &doc.default {
                self.expression(src, &format!("{path}.default"), "default", text, Role::Default);
            }
            let mut seen = BTreeSet::new();
            for (i, k) in doc.check_constraints.iter().enumerate() {
                let at = |field: &str| format!("{path}.check_constraints.{i}.{field}");
                self.name(src, &at("name"), &k.name);
                if !seen.insert(k.name.as_str()) {
                    self.at(
                        src,
                        &at("name"),
                        format!("check constraint `{}` is declared twice in domain `{name}`", k.name),
                    );
                }
                let words = self.expression(src, &at("expression"), "expression", &k.expression, Role::CheckConstraint);
                for word in words.unwrap_or_default().iter().filter(|w| !w.eq_ignore_ascii_case("value")) {
                    let msg = format!("`expression` uses `{word}`: a domain's CHECK constraint reads only `VALUE`");
                    self.at(src, &at("expression"), msg);
                }
            }
            let Some(ty) = ty else { continue };
            let check_constraints = doc.check_constraints.clone();
            let domain =
                Domain { ty, nullable: doc.nullable.unwrap_or(true), default: doc.default.clone(), check_constraints };
            out.insert(name.clone(), domain);
        }
        out
    }
}
