//! The semantic pass over an index of a table or materialized view: its columns, options and
//! predicate. Names that reach SQL (operator classes, collations, the access method, storage
//! parameters) are checked here and quoted when rendered; a storage parameter's value must be
//! a plain number or word, so it is never more than one literal.

use super::docs::{IndexColumnDoc, IndexDoc, NullsDoc, OrderDoc};
use super::project::Loader;
use super::{check_ident, check_name, values, Source};
use crate::model::{catalog_name, catalog_name_text, Column, Index, IndexColumn};
use crate::sql::expr::Role;

/// What an index is on: a table's columns, or a materialized view's body.
pub(super) enum Owner<'a> {
    Table { name: &'a str, cols: &'a [&'a str], columns: &'a [Column] },
    View { sql: &'a str },
}

impl Loader<'_> {
    /// The index `indexes.{i}` of `owner`.
    pub(super) fn index(&mut self, src: &Source, i: usize, doc: &IndexDoc, owner: &Owner) -> Index {
        let at = |field: &str| format!("indexes.{i}.{field}");
        if doc.columns.is_empty() {
            self.at(src, &at("columns"), "an index needs at least one column");
        }
        let mut columns = Vec::new();
        for (j, c) in doc.columns.iter().enumerate() {
            let path = at(&format!("columns.{j}"));
            if let Some(column) = self.index_column(src, &path, c) {
                match &column.expression {
                    Some(x) => self.owner_expression(src, &format!("{path}.expression"), owner, x),
                    None => {
                        let column_path = if let IndexColumnDoc::Full(_) = c { format!("{path}.column") } else { path };
                        self.owner_column(src, &column_path, owner, &column.column);
                    }
                }
                columns.push(column);
            }
        }
        for (j, c) in doc.include.iter().enumerate() {
            self.owner_column(src, &at(&format!("include.{j}")), owner, c);
        }
        if let Some(p) = &doc.predicate {
            let path = at("where");
            self.owner_expression(src, &path, owner, p);
            if let Owner::Table { columns, .. } = owner {
                if let Some(problem) = values::predicate_problem(p, columns) {
                    self.at(src, &path, format!("`where` {problem}"));
                }
            }
        }
        let using = doc.using.as_ref().map(|m| self.catalog_name(src, &at("using"), "using", m, false));
        if doc.nulls_not_distinct && !doc.unique {
            self.at(
                src,
                &at("nulls_not_distinct"),
                "`nulls_not_distinct` applies to a unique index: set `unique: true`",
            );
        }
        let mut with = std::collections::BTreeMap::new();
        for (key, value) in &doc.with {
            let path = at(&format!("with.{key}"));
            if let Err(e) = check_ident(key) {
                self.error(src, src.positions().key(&path), format!("storage parameter {e}"), None);
            } else if value.text().is_empty()
                || !value.text().chars().all(|c| c.is_ascii_alphanumeric() || "_.+-".contains(c))
            {
                let msg = format!(
                    "`with.{key}`: `{}` is not a number, `true`, `false` or a word",
                    value.text().escape_debug()
                );
                self.at(src, &path, msg);
            }
            with.insert(key.clone(), value.text());
        }
        Index {
            name: doc.name.clone(),
            columns,
            unique: doc.unique,
            predicate: doc.predicate.clone(),
            // btree is the default: written or not, one index.
            using: using.filter(|m| m != "btree"),
            include: doc.include.clone(),
            with,
            nulls_not_distinct: doc.nulls_not_distinct,
        }
    }

    fn index_column(&mut self, src: &Source, path: &str, doc: &IndexColumnDoc) -> Option<IndexColumn> {
        let options = match doc {
            IndexColumnDoc::Entry(entry) => {
                let column = IndexColumn::parse(entry);
                if column.is_none() {
                    let msg = format!("`{entry}`: expected a column name optionally followed by ASC or DESC");
                    self.at(src, path, msg);
                }
                return column;
            }
            IndexColumnDoc::Full(options) => options,
        };
        let descending = options.order == Some(OrderDoc::Desc);
        let nulls_first = options.nulls.map_or(descending, |n| n == NullsDoc::First);
        let mut name = |field: &str, text: &Option<String>| {
            text.as_ref().map(|t| self.catalog_name(src, &format!("{path}.{field}"), field, t, true))
        };
        let (opclass, collation) = (name("opclass", &options.opclass), name("collation", &options.collation));
        let (column, expression) = match (&options.column, &options.expression) {
            (Some(c), None) => (c.clone(), None),
            (None, Some(x)) => (String::new(), Some(x.clone())),
            _ => {
                self.at(src, path, "an index key takes one of `column` and `expression`");
                return None;
            }
        };
        Some(IndexColumn { column, expression, descending, nulls_first, opclass, collation })
    }

    /// An expression of the index (a key or its `where`): one the parser reads, over the
    /// table's columns, or over what a materialized view's body gives.
    fn owner_expression(&mut self, src: &Source, path: &str, owner: &Owner, text: &str) {
        let key = if path.ends_with("where") { "where" } else { "expression" };
        match owner {
            Owner::Table { name, cols, .. } => {
                _ = self.expression_over(src, path, key, text, Role::IndexPredicate, name, cols)
            }
            Owner::View { .. } => _ = self.expression(src, path, key, text, Role::IndexPredicate),
        }
    }

    /// A column an index names: one of the table's, or a name the view's body holds.
    fn owner_column(&mut self, src: &Source, path: &str, owner: &Owner, column: &str) {
        match owner {
            Owner::Table { cols: [], .. } => {}
            Owner::Table { name, cols, .. } => _ = self.column_ref(src, path, name, cols, column),
            Owner::View { sql } => self.in_body(src, path, sql, column),
        }
    }

    /// A name of the server's catalog (always quoted when rendered, so any name PostgreSQL
    /// accepts): `name`, or `schema.name` where `qualified`; in one spelling (`"C"` is `C`).
    fn catalog_name(&mut self, src: &Source, path: &str, field: &str, text: &str, qualified: bool) -> String {
        let parts = match catalog_name(text) {
            Ok((Some(_), _)) if !qualified => Err(format!("`{text}`: an access method is named without a schema")),
            Ok((schema, name)) => match schema.iter().chain([&name]).try_for_each(|p| check_name(p, true)) {
                Ok(()) => Ok(catalog_name_text(schema.as_deref(), &name)),
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        match parts {
            Ok(name) => name,
            Err(e) => {
                self.at(src, path, format!("`{field}`: {e}"));
                text.to_string()
            }
        }
    }
}
