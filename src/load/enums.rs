//! `enums:` in schema.yaml: PostgreSQL enum types, and the columns, defaults and reference rows
//! that use them. The Redshift driver's lint refuses them in a project that deploys there.

use super::project::Loader;
use super::{Source, MAX_IDENT};
use crate::model::{ColumnType, TYPE_NAMES};
use crate::suggest::nearest;
use std::collections::{BTreeMap, BTreeSet};

impl Loader<'_> {
    /// Checks the declared enums and keeps them for the columns that name one. An enum of
    /// another namespace the project manages (`namespaces`) is named `ns.name`.
    pub(super) fn enums(
        &mut self,
        src: &Source,
        enums: &BTreeMap<String, Vec<String>>,
        relations: &[&str],
        namespaces: &[String],
    ) {
        for (name, labels) in enums {
            let path = format!("enums.{name}");
            let (namespace, bare) = crate::model::split_key(name);
            self.name(src, &path, bare);
            if let Some(ns) = namespace.filter(|ns| !namespaces.iter().any(|n| n == ns)) {
                let msg = format!("enum `{name}`: `{ns}` is not one of the project's other `namespaces:`");
                self.at(src, &path, msg);
            }
            if relations.contains(&name.as_str()) {
                // A table or view's row type takes its name in pg_type.
                self.at(src, &path, format!("enum `{name}` has the name of a table or view (types share their names)"));
            }
            if labels.is_empty() {
                self.at(src, &path, format!("enum `{name}` needs at least one value"));
            }
            let mut seen = BTreeSet::new();
            for (i, label) in labels.iter().enumerate() {
                let at = format!("{path}.{i}");
                if label.is_empty() || label.len() > MAX_IDENT {
                    self.at(src, &at, format!("enum value `{label}` must be 1 to {MAX_IDENT} bytes long"));
                } else if !seen.insert(label) {
                    self.at(src, &at, format!("enum value `{label}` is listed twice in `{name}`"));
                }
            }
        }
        self.enums = enums.clone();
    }

    /// Whether the project carries any PostgreSQL type as written: all its dialects allow it.
    pub(super) fn native_types(&self) -> bool {
        !self.dialects.is_empty() && self.dialects.iter().all(|d| crate::dialect::driver(*d).native_types())
    }

    /// A column type as this project reads it (`numeric` is unconstrained in a PostgreSQL-only
    /// project, `decimal(18,0)` in one that deploys to Redshift), undeclared enums aside.
    /// An unqualified native name close to a name the project knows is most likely a typo of it
    /// (`moood`, `varchr(64)`): unknown.
    pub(super) fn read_type(&self, text: &str) -> Result<ColumnType, String> {
        // PostgreSQL's serial types are integers with a sequence (`attrs::ColumnAttrs::serial`).
        if let Some(ty) = super::attrs::serial_type(text) {
            return Ok(ty);
        }
        if let Some(ty) = ColumnType::declared_enum(text, |n| self.enums.contains_key(n)) {
            return Ok(ty);
        }
        let ty = match self.native_types() {
            true => ColumnType::parse_postgres(text).and_then(|t| t.undeclared(|n| self.enums.contains_key(n)))?,
            false => ColumnType::parse(text)?,
        };
        match self.typo(&ty) {
            Some(base) => Err(format!("unknown type `{base}`")),
            None => Ok(ty),
        }
    }

    /// The names a type may be a typo of: portable, the dialects' own, the declared enums.
    pub(super) fn type_names(&self) -> Vec<&str> {
        let native = self.dialects.iter().flat_map(|d| crate::dialect::driver(*d).native_type_names().iter().copied());
        TYPE_NAMES.iter().copied().chain(native).chain(self.enums.keys().map(String::as_str)).collect()
    }

    /// A type that names an enum must name a declared one.
    pub(super) fn declared_type(&mut self, src: &Source, path: &str, ty: ColumnType) -> Option<ColumnType> {
        let Some(name) = ty.enum_name() else { return Some(ty) };
        if self.enums.contains_key(name) {
            return Some(ty);
        }
        let known = TYPE_NAMES.iter().copied().chain(self.enums.keys().map(String::as_str));
        let help = nearest(name, known).or_else(|| {
            Some("an enum type is declared under `enums:` in schema.yaml; other PostgreSQL types only in a project whose `dialects:` are [postgres]".into())
        });
        self.at_help(src, path, format!("unknown type `{name}`"), help);
        None
    }

    /// The first word of an unqualified native type that is no type name of the project's
    /// dialects but is close to a portable, native or enum one. A qualified name
    /// (`public.citext`) is taken as written: the server proves it exists.
    fn typo(&self, ty: &ColumnType) -> Option<String> {
        let ColumnType::Native(text) = (match ty {
            ColumnType::Array(element) => element,
            ty => ty,
        }) else {
            return None;
        };
        let base = text.split(['(', ' ']).next().filter(|b| !b.contains('.') && !b.starts_with('"'))?;
        let known = self.type_names();
        let words = ["numeric", "character", "timestamp", "time", "double"];
        (!known.contains(&base) && !words.contains(&base) && nearest(base, known).is_some()).then(|| base.to_string())
    }

    /// Whether `text` is a value of the enum column type `ty` (true for other types).
    pub(super) fn enum_label_fits(&self, ty: &ColumnType, text: &str) -> bool {
        match ty {
            ColumnType::Enum(name) => self.enums.get(name).is_none_or(|labels| labels.iter().any(|l| l == text)),
            _ => true,
        }
    }
}
