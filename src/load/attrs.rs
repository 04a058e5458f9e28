//! PostgreSQL's own properties as the YAML writes them (flat keys of a column, table or view)
//! → the driver's attrs structs (`dialect::postgres::attrs`): checked and converted here, in
//! one place. Names and values become SQL only through the templates' quoting; what cannot be
//! quoted (a storage parameter's name) is held to an identifier here.

use super::docs::{ColumnDoc, ExclusionDoc, ParameterDoc, TableDoc, ViewDoc};
use super::project::Loader;
use super::Source;
use crate::dialect::postgres::attrs::{
    operator_ok, parameter_key_problem, parameter_value, ColumnAttrs, Exclusion, ExclusionElement, Partitioning,
    TableAttrs, ViewAttrs,
};
use crate::model::{ColumnType, Deferrable, Sequence, SequenceType};
use crate::sql::expr::Role;
use std::collections::BTreeMap;

/// The integer type a PostgreSQL serial type stands for (`serial` is `integer` with a sequence
/// the column owns), or None for any other type.
pub(super) fn serial_type(text: &str) -> Option<ColumnType> {
    match text.trim().to_ascii_lowercase().as_str() {
        "serial" | "serial4" => Some(ColumnType::Integer),
        "bigserial" | "serial8" => Some(ColumnType::BigInt),
        "smallserial" | "serial2" => Some(ColumnType::SmallInt),
        _ => None,
    }
}

/// Why `name` is not a collation the YAML can name: the name of one in pg_catalog, quoted in
/// SQL as written (`C`, `POSIX`, `en_US.utf8`, `und-x-icu`).
fn collation_problem(name: &str) -> Option<String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "_.@-".contains(c);
    if name.eq_ignore_ascii_case("default") {
        return Some("`collation: default` is the type's own collation: leave `collation` out".into());
    }
    (name.is_empty() || name.len() > 63 || !name.chars().all(allowed)).then(|| {
        format!(
            "`{}` is not a collation name: letters, digits, `_`, `.`, `@` and `-`, at most 63 bytes",
            name.escape_debug()
        )
    })
}

impl Loader<'_> {
    /// The column's PostgreSQL properties; `serial` when its type was written as one; `cols`
    /// are the table's columns, which a generated expression may read.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn column_attrs(
        &mut self,
        src: &Source,
        i: usize,
        c: &ColumnDoc,
        ty: &ColumnType,
        serial: bool,
        table: &str,
        cols: &[&str],
    ) -> ColumnAttrs {
        let at = |field: &str| format!("columns.{i}.{field}");
        let identity = c.identity.as_ref().and_then(|i| i.0.as_ref());
        if serial {
            let taken = [("identity", identity.is_some()), ("default", c.default.is_some())];
            for (field, _) in taken.iter().filter(|(_, set)| *set) {
                self.at(
                    src,
                    &at(field),
                    format!("a serial column takes no `{field}`: its default is the sequence's next value"),
                );
            }
            if c.nullable == Some(true) {
                self.at(src, &at("nullable"), "a serial column is NOT NULL");
            }
        }
        if let Some(name) = &c.collation {
            if let Some(problem) = collation_problem(name) {
                self.at(src, &at("collation"), problem);
            }
            let collatable =
                |t: &ColumnType| matches!(t, ColumnType::Char(_) | ColumnType::Varchar(_) | ColumnType::Text);
            let ok = match ty {
                ColumnType::Array(element) => collatable(element),
                ColumnType::Native(_) => true,
                t => collatable(t),
            };
            if !ok {
                self.at(src, &at("collation"), format!("`collation` needs a text type, not `{ty}`"));
            }
        }
        if let Some(expr) = &c.generated {
            let others = [
                ("default", c.default.is_some()),
                ("identity", identity.is_some()),
                ("derived", c.derived.is_some()),
                ("lookup", c.lookup.is_some()),
            ];
            for (field, _) in others.iter().filter(|(_, set)| *set) {
                let message = format!("a generated column takes no `{field}`: its value is its expression's");
                self.at(src, &at("generated"), message);
            }
            if serial {
                self.at(src, &at("generated"), "a serial column cannot be generated");
            }
            let read = self.expression_over(src, &at("generated"), "generated", expr, Role::Generated, table, cols);
            if read.contains(&c.name) {
                self.at(src, &at("generated"), "a generated column cannot read itself");
            }
        }
        let mut sequence = Sequence::default();
        // A step or seed the loader refuses is said once, there.
        let valid = identity.filter(|i| i.step > 0 && i.seed >= 0);
        if let (Some(id), Some(column_type)) = (valid, SequenceType::of(ty)) {
            // `as` the column's own type says nothing more.
            let as_type = id.as_type.filter(|t| *t != column_type);
            let full = Sequence {
                ty: Some(as_type.unwrap_or(column_type)),
                start: Some(id.seed),
                increment: Some(id.step),
                min: id.min,
                max: id.max,
                cache: id.cache,
                cycle: id.cycle,
            };
            match full.problem() {
                Some(problem) => self.at(src, &at("identity"), format!("the identity's sequence: {problem}")),
                None => {
                    let m = full.minimal();
                    let (min, max, cache, cycle) = (m.min, m.max, m.cache, m.cycle);
                    sequence = Sequence { ty: as_type, min, max, cache, cycle, ..Sequence::default() };
                }
            }
        }
        if c.statistics.is_some_and(|n| !(0..=10000).contains(&n)) {
            self.at(src, &at("statistics"), "`statistics` is from 0 to 10000 (leave it out for the default)");
        }
        ColumnAttrs {
            storage: c.storage,
            statistics: c.statistics,
            compression: c.compression,
            collation: c.collation.clone(),
            generated: c.generated.clone(),
            always: identity.is_some_and(|i| i.always),
            sequence,
            serial,
        }
    }

    /// `cols` are the columns of `table`, which the exclusion constraints may read.
    pub(super) fn table_attrs(&mut self, src: &Source, doc: &TableDoc, table: &str, cols: &[&str]) -> TableAttrs {
        let with = self.storage_parameters(src, &doc.with);
        let mut exclude: Vec<Exclusion> =
            doc.exclude.iter().enumerate().map(|(i, x)| self.exclusion(src, i, x, table, cols)).collect();
        let mut names = std::collections::BTreeSet::new();
        for (i, x) in exclude.iter().enumerate().filter(|(_, x)| !names.insert(x.name.clone())) {
            self.at(src, &format!("exclude.{i}.name"), format!("exclusion constraint `{}` is declared twice", x.name));
        }
        // By name, as the catalog reads them.
        exclude.sort_by(|a, b| a.name.cmp(&b.name));
        let declared = (doc.partition_by.as_ref(), doc.partitions.as_slice());
        let partitioning = self.partitioning(src, "", declared, (table, cols), &mut Default::default());
        if let Some(p) = &partitioning {
            self.partitioned_table(src, doc, p, !exclude.is_empty());
        }
        TableAttrs { unlogged: doc.unlogged, with, exclude, partitioning }
    }

    /// What PostgreSQL 15 refuses on a partitioned table: UNLOGGED, storage parameters, EXCLUDE
    /// constraints, and a primary or unique key that does not hold every column of the key (or
    /// any key, where the partition key has an expression).
    fn partitioned_table(&mut self, src: &Source, doc: &TableDoc, p: &Partitioning, exclusions: bool) {
        let refused = [
            (
                "unlogged",
                doc.unlogged,
                "a partitioned table cannot be UNLOGGED (each partition is, or not, on its own)",
            ),
            (
                "with",
                !doc.with.is_empty(),
                "a partitioned table takes no storage parameters (its partitions have them)",
            ),
            ("exclude", exclusions, "PostgreSQL 15 has no exclusion constraint on a partitioned table"),
        ];
        for (key, _, message) in refused.iter().filter(|(_, set, _)| *set) {
            self.error(src, src.positions().key(key), *message, None);
        }
        let key_columns: Option<Vec<&str>> = p.key.iter().map(|k| k.column.as_deref()).collect();
        let pk: Vec<String> = doc.columns.iter().filter(|c| c.primary_key).map(|c| c.name.clone()).collect();
        let keys =
            std::iter::once(("primary_key", if pk.is_empty() { doc.primary_key_columns().to_vec() } else { pk }))
                .chain(doc.columns.iter().filter(|c| c.unique).map(|c| ("unique", vec![c.name.clone()])))
                .chain(doc.unique.iter().map(|u| ("unique", u.columns().to_vec())))
                .filter(|(_, columns)| !columns.is_empty());
        for (at, columns) in keys {
            let held = key_columns.as_ref().is_some_and(|k| k.iter().all(|c| columns.iter().any(|x| x == c)));
            if !held {
                let message = format!(
                    "a primary or unique key of a partitioned table must hold every column of its partition key ({}), which must be columns: PostgreSQL enforces it partition by partition",
                    p.key_sql()
                );
                self.at(src, at, message);
            }
        }
    }

    /// `exclude.{i}`: every name quoted when rendered, each expression one the parser reads over
    /// the table's columns, each operator operator characters only (it is pasted as it is).
    fn exclusion(&mut self, src: &Source, i: usize, doc: &ExclusionDoc, table: &str, cols: &[&str]) -> Exclusion {
        let at = |field: &str| format!("exclude.{i}.{field}");
        self.name(src, &at("name"), &doc.name);
        // An access method is a plain identifier (gist, hash, btree, spgist).
        if let Some(Err(e)) = doc.using.as_deref().map(super::check_ident) {
            self.at(src, &at("using"), format!("`using`: {e}"));
        }
        if doc.elements.is_empty() {
            self.at(src, &at("elements"), "an exclusion constraint needs at least one element");
        }
        let mut elements = Vec::new();
        for (j, e) in doc.elements.iter().enumerate() {
            let path = at(&format!("elements.{j}"));
            match (&e.column, &e.expression) {
                (Some(c), None) if !cols.contains(&c.as_str()) => {
                    let msg = format!("`column` `{c}` is not a column of table `{table}`");
                    self.at(src, &format!("{path}.column"), msg);
                }
                (Some(_), None) => {}
                (None, Some(x)) => {
                    let path = format!("{path}.expression");
                    self.expression_over(src, &path, "expression", x, Role::IndexPredicate, table, cols);
                }
                _ => self.at(src, &path, "an element takes one of `column` and `expression`"),
            }
            if !operator_ok(&e.with) {
                let msg = format!(
                    "`with`: `{}` is not an operator: operator characters only (`&&`, `=`, `-|-`)",
                    e.with.escape_debug()
                );
                self.at(src, &format!("{path}.with"), msg);
            }
            let (column, expression) = (e.column.clone(), e.expression.clone());
            elements.push(ExclusionElement { column, expression, with: e.with.clone() });
        }
        if let Some(p) = &doc.predicate {
            self.expression_over(src, &at("where"), "where", p, Role::IndexPredicate, table, cols);
        }
        Exclusion {
            name: doc.name.clone(),
            using: doc.using.clone().unwrap_or_else(|| "gist".into()),
            elements,
            predicate: doc.predicate.clone(),
            deferrable: doc.deferrable.as_ref().map_or(Deferrable::No, |d| d.mode()),
        }
    }

    /// `with:` of a table or materialized view: each name an identifier (after `toast.`), each
    /// value a number, a boolean or a word, as the catalog spells it.
    fn storage_parameters(&mut self, src: &Source, doc: &BTreeMap<String, ParameterDoc>) -> BTreeMap<String, String> {
        let mut with = BTreeMap::new();
        for (key, value) in doc {
            let path = format!("with.{key}");
            if let Some(problem) = parameter_key_problem(key) {
                self.error(src, src.positions().key(&path), problem, None);
                continue;
            }
            let text = match value {
                ParameterDoc::Flag(b) => b.to_string(),
                ParameterDoc::Integer(n) => n.to_string(),
                ParameterDoc::Number(x) if x.is_finite() => x.to_string(),
                ParameterDoc::Word(w) if parameter_key_problem(w).is_none() => w.clone(),
                _ => {
                    let message = format!("storage parameter `{key}` takes a number, true, false or a word (`auto`)");
                    self.at(src, &path, message);
                    continue;
                }
            };
            with.insert(key.clone(), parameter_value(&text));
        }
        with
    }

    pub(super) fn view_attrs(&mut self, src: &Source, doc: &ViewDoc, materialized: bool) -> ViewAttrs {
        let with = self.storage_parameters(src, &doc.with);
        if !materialized && !with.is_empty() {
            let message = "`with` applies to a materialized view (a view's options are `check_option`, `security_barrier` and `security_invoker`)";
            self.error(src, src.positions().key("with"), message, None);
        }
        let attrs = ViewAttrs {
            check_option: doc.check_option,
            security_barrier: doc.security_barrier,
            security_invoker: doc.security_invoker,
            with,
        };
        let set = [
            ("check_option", doc.check_option.is_some()),
            ("security_barrier", doc.security_barrier),
            ("security_invoker", doc.security_invoker),
        ];
        for (field, _) in set.iter().filter(|(_, on)| *on && materialized) {
            let message = format!("`{field}` applies to a view only, not to a materialized view");
            self.error(src, src.positions().key(field), message, None);
        }
        attrs
    }
}
