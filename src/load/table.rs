//! The semantic pass over one table file: columns, keys, indexes, reference rows and checks
//! (Redshift's own properties in `redshift`).

use super::docs::{ColumnCheck, KeyDoc, TableDoc};
use super::indexes::Owner;
use super::project::{Ctx, Loader};
use super::{values, Source};
use crate::model::*;
use crate::sql::expr::Role;
use crate::suggest::nearest;
use std::collections::BTreeSet;

impl Loader<'_> {
    pub(super) fn table(&mut self, src: &Source, doc: &TableDoc, ctx: &Ctx) -> Table {
        let name = doc.table.as_str();
        // No column is a PostgreSQL table (`CREATE TABLE t ()`); Redshift's lint refuses it.
        let cols: Vec<&str> = doc.columns.iter().map(|c| c.name.as_str()).collect();
        let mut seen = BTreeSet::new();
        let mut columns = Vec::new();
        let mut primary_key: Vec<String> = doc.primary_key_columns().to_vec();
        let mut unique = Vec::new();
        let mut foreign_keys = Vec::new();
        let mut checks = Vec::new();
        let column_pk: Vec<&str> = doc.columns.iter().filter(|c| c.primary_key).map(|c| c.name.as_str()).collect();
        if !column_pk.is_empty() && !primary_key.is_empty() {
            self.at(src, "primary_key", "the primary key is declared twice: on columns and in `primary_key`");
        }
        if primary_key.is_empty() {
            primary_key = column_pk.iter().map(|s| s.to_string()).collect();
        }
        if let Some(pk) = &doc.primary_key {
            for (j, col) in pk.columns().iter().enumerate() {
                self.column_ref(src, &pk.column_path("primary_key", j), name, &cols, col);
            }
        }

        for (i, c) in doc.columns.iter().enumerate() {
            let at = |field: &str| format!("columns.{i}.{field}");
            self.name(src, &at("name"), &c.name);
            if !seen.insert(c.name.as_str()) {
                self.at(src, &at("name"), format!("column `{}` is declared twice in table `{name}`", c.name));
            }
            let serial = super::attrs::serial_type(&c.ty);
            let Some(ty) = self.column_type(src, &at("type"), &c.ty) else {
                continue;
            };
            let in_pk = primary_key.contains(&c.name);
            let identity = c.identity.as_ref().and_then(|i| i.0.as_ref().map(|m| m.identity()));
            if identity.is_some() {
                if !ty.is_integer() {
                    self.at(src, &at("identity"), format!("`identity` needs an integer type, not `{ty}`"));
                }
                if identity.is_some_and(|i| i.step <= 0 || i.seed < 0) {
                    self.at(src, &at("identity"), "an identity's `step` must be positive and its `seed` not negative");
                }
                if c.default.is_some() {
                    self.at(src, &at("default"), "a column cannot have both `identity` and `default`");
                }
            }
            if c.nullable == Some(true) && (in_pk || identity.is_some()) {
                self.at(src, &at("nullable"), "primary key and identity columns cannot be nullable");
            }
            let redshift = self.redshift_column(src, &format!("columns.{i}"), c);
            if let Some(text) = &c.default {
                if self.expression(src, &at("default"), "default", text, Role::Default).is_some() {
                    self.literal_default(src, &at("default"), text, &ty);
                }
            }
            if let Some(expr) = &c.derived {
                self.expression_over(src, &at("derived"), "derived", expr, Role::Derived, name, &cols);
                checks.push(Check {
                    name: format!("{}_derived", c.name),
                    severity: Severity::Error,
                    window: None,
                    kind: CheckKind::Derived { column: c.name.clone(), expr: expr.clone() },
                    warn_above: None,
                    error_above: None,
                });
            }
            let lookup = c.lookup.as_ref().and_then(|l| {
                if c.derived.is_some() {
                    self.at(src, &at("lookup"), "a column is `derived` from its row or looked up, not both");
                }
                self.lookup(src, &at("lookup"), l, (name, &cols), (&c.name, &ty), ctx)
            });
            if let Some(l) = &lookup {
                checks.push(Check {
                    name: format!("{}_derived", c.name),
                    severity: Severity::Error,
                    window: None,
                    kind: CheckKind::Lookup { column: c.name.clone(), lookup: l.clone() },
                    warn_above: None,
                    error_above: None,
                });
            }
            if c.unique {
                unique.push(UniqueKey::new(vec![c.name.clone()]));
            }
            if let Some(target) = &c.references {
                // `t`, `t.column`, `ns.t` or `ns.t.column`: a whole declared name is a table.
                let (table, column) = match target.rsplit_once('.') {
                    Some((t, col)) if !ctx.objects.contains_key(target.as_str()) => (t, Some(col)),
                    _ => (target.as_str(), None),
                };
                let refs = column.map(|c| vec![c.to_string()]).unwrap_or_default();
                if let Some(fk) = self.foreign_key(src, &at("references"), doc, vec![c.name.clone()], table, refs, ctx)
                {
                    foreign_keys.push(fk);
                }
            }
            for check in &c.checks {
                match check {
                    ColumnCheck::NotNull => checks.push(Check {
                        name: format!("{}_not_null", c.name),
                        severity: Severity::Error,
                        window: None,
                        kind: CheckKind::NotNull { column: c.name.clone() },
                        warn_above: None,
                        error_above: None,
                    }),
                }
            }
            let postgres = self.column_attrs(src, i, c, &ty, serial.is_some(), name, &cols);
            columns.push(Column {
                name: c.name.clone(),
                ty,
                nullable: c.nullable.unwrap_or(true) && !in_pk && identity.is_none() && serial.is_none(),
                default: c.default.clone(),
                identity,
                redshift,
                derived: c.derived.clone(),
                lookup: lookup.map(Box::new),
                renamed_from: c.renamed_from.clone(),
                description: c.description.clone(),
                postgres,
            });
        }

        for (i, u) in doc.unique.iter().enumerate() {
            for (j, col) in u.columns().iter().enumerate() {
                self.column_ref(src, &u.column_path(&format!("unique.{i}"), j), name, &cols, col);
            }
            unique.push(self.unique_key(src, i, u));
        }
        for (i, fk) in doc.foreign_keys.iter().enumerate() {
            for (j, col) in fk.columns.iter().enumerate() {
                self.column_ref(src, &format!("foreign_keys.{i}.columns.{j}"), name, &cols, col);
            }
            let at = format!("foreign_keys.{i}.references");
            let refs = fk.references.columns.clone();
            if let Some(mut key) = self.foreign_key(src, &at, doc, fk.columns.clone(), &fk.references.table, refs, ctx)
            {
                self.foreign_key_options(src, i, fk, &mut key);
                foreign_keys.push(key);
            }
        }

        let redshift = self.redshift_table(src, doc);
        let owner = Owner::Table { name, cols: &cols, columns: &columns };
        let indexes: Vec<Index> = doc.indexes.iter().enumerate().map(|(i, x)| self.index(src, i, x, &owner)).collect();
        self.rows(src, doc, &columns);
        for (i, c) in doc.checks.iter().enumerate() {
            if let Some(check) = self.check(src, i, c, name, &columns, ctx) {
                checks.push(check);
            }
        }
        let mut names = BTreeSet::new();
        for c in &checks {
            if !names.insert(c.name.as_str()) {
                let i = doc.checks.iter().rposition(|d| d.name == c.name);
                let path = i.map_or("columns".to_string(), |i| format!("checks.{i}.name"));
                let written = doc.checks.iter().filter(|d| d.name == c.name).count();
                let msg = if written == 1 {
                    format!("check `{}` has the name of a check generated by a column's `checks: [not_null]` or `derived:` in table `{name}`; rename it", c.name)
                } else {
                    format!("check `{}` is declared twice in table `{name}`", c.name)
                };
                self.at(src, &path, msg);
            }
        }

        let mut constraints = BTreeSet::new();
        for (i, c) in doc.check_constraints.iter().enumerate() {
            let at = |field: &str| format!("check_constraints.{i}.{field}");
            self.name(src, &at("name"), &c.name);
            if !constraints.insert(c.name.as_str()) {
                self.at(src, &at("name"), format!("check constraint `{}` is declared twice in table `{name}`", c.name));
            }
            let (path, text) = (at("expression"), c.expression.as_str());
            self.expression_over(src, &path, "expression", text, Role::CheckConstraint, name, &cols);
        }

        let table = Table {
            name: name.to_string(),
            phase: doc.phase,
            description: doc.description.clone(),
            columns,
            primary_key,
            primary_key_name: doc.primary_key.as_ref().and_then(|pk| match pk {
                KeyDoc::Full(pk) => pk.name.clone(),
                KeyDoc::Columns(_) => None,
            }),
            unique,
            foreign_keys,
            check_constraints: doc.check_constraints.clone(),
            redshift,
            indexes,
            rows: doc.rows.clone(),
            checks,
            key_checks: doc.key_checks,
            grants: self.object_grants(src, doc.grants.as_ref(), &ctx.grants, false),
            postgres: self.table_attrs(src, doc, name, &cols),
        };
        self.key_check_names(src, doc, &table);
        self.constraint_names(src, doc, &table);
        table
    }

    /// A declared check that takes the name `validate` gives a key's check must be that check:
    /// `validate` runs the declared one in its place (an orphan would pass a `condition`).
    fn key_check_names(&mut self, src: &Source, doc: &TableDoc, table: &Table) {
        for key in table.checks_of_keys(|_| vec![]) {
            let declared = table.checks.iter().find(|c| c.name == key.name).filter(|c| c.kind != key.kind);
            let Some(i) = declared.and_then(|_| doc.checks.iter().position(|c| c.name == key.name)) else { continue };
            let what = match &key.kind {
                CheckKind::Relationship { columns, table, .. } => {
                    format!("foreign key ({}) -> {table}", columns.join(", "))
                }
                CheckKind::Unique { columns, .. } if key.name == "primary_key_unique" => {
                    format!("primary key ({})", columns.join(", "))
                }
                CheckKind::Unique { columns, .. } => format!("unique key ({})", columns.join(", ")),
                _ => continue,
            };
            let msg = format!(
                "check `{}` has the name `validate` gives the check of {what}, and checks something else: rename it",
                key.name
            );
            self.at(src, &format!("checks.{i}.name"), msg);
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn foreign_key(
        &mut self,
        src: &Source,
        path: &str,
        doc: &TableDoc,
        columns: Vec<String>,
        table: &str,
        mut references: Vec<String>,
        ctx: &Ctx,
    ) -> Option<ForeignKey> {
        if ctx.broken.contains(table) {
            return None;
        }
        let Some(target) = ctx.objects.get(table).filter(|d| d.view.is_none()) else {
            let tables = ctx.objects.iter().filter(|(_, d)| d.view.is_none()).map(|(n, _)| *n);
            self.at_help(src, path, format!("foreign key references unknown table `{table}`"), nearest(table, tables));
            return None;
        };
        if target.phase > doc.phase {
            let msg = format!(
                "table `{}` (phase {}) references `{table}`, which is in phase {}",
                doc.table, doc.phase, target.phase
            );
            self.at(src, path, msg);
        }
        if references.is_empty() {
            references = target.keys[0].iter().map(|s| s.to_string()).collect();
        }
        for r in &references {
            if !target.columns.contains(&r.as_str()) {
                let msg = format!("unknown column `{r}` in table `{table}`");
                self.at_help(src, path, msg, nearest(r, target.columns.iter().copied()));
                return None;
            }
        }
        if columns.len() != references.len() {
            self.at(
                src,
                path,
                format!("foreign key has {} column(s) but references {}", columns.len(), references.len()),
            );
            return None;
        }
        if !target.keys.iter().any(|k| !k.is_empty() && k.iter().copied().eq(references.iter().map(String::as_str))) {
            let msg =
                format!("`{table}({})` is not the primary key or a unique key of `{table}`", references.join(", "));
            self.at_help(
                src,
                path,
                msg,
                Some("PostgreSQL only accepts foreign keys to a primary or unique key".into()),
            );
        }
        for (col, r) in columns.iter().zip(&references) {
            let ours = doc.columns.iter().find(|c| &c.name == col).and_then(|c| self.read_type(&c.ty).ok());
            if let (Some(ours), Some(theirs)) = (ours, target.types.get(r.as_str())) {
                if !compatible(&ours, theirs) {
                    let msg = format!("`{col}` ({ours}) cannot reference `{table}.{r}` ({theirs}): the types differ");
                    self.at(src, path, msg);
                }
            }
        }
        Some(ForeignKey::new(columns, table.to_string(), references))
    }

    /// A literal default must be of the column's type: PostgreSQL refuses `0` for a boolean or
    /// `'{}'` for a number when it creates the table.
    fn literal_default(&mut self, src: &Source, path: &str, text: &str, ty: &ColumnType) {
        for dialect in self.dialects.clone() {
            let literal = values::literal(text, crate::dialect::driver(dialect).escapes());
            if let Some(problem) = literal.as_ref().and_then(|l| values::default_problem(l, ty)) {
                return self.at(src, path, format!("`default` {problem}"));
            }
            if let Some(values::Literal::Text(label)) = &literal {
                if !self.enum_label_fits(ty, label) {
                    return self.at(src, path, format!("`default` '{label}' is not a value of enum `{ty}`"));
                }
            }
        }
    }

    pub(super) fn column_type(&mut self, src: &Source, path: &str, text: &str) -> Option<ColumnType> {
        let ty = self
            .read_type(text)
            .map_err(|msg| {
                let base = text.split('(').next().unwrap_or(text).trim().to_ascii_lowercase();
                let help = msg.starts_with("unknown type").then(|| nearest(&base, self.type_names())).flatten();
                self.at_help(src, path, msg, help);
            })
            .ok()?;
        self.declared_type(src, path, ty)
    }
}

/// Whether PostgreSQL lets column type `a` reference a key of type `b` (checked on PostgreSQL 15):
/// text types with each other; numbers when `a` converts to `b` implicitly (integer → decimal →
/// real or double, not back: `decimal REFERENCES integer` is refused); else the same type,
/// lengths and precisions aside.
pub(super) fn compatible(a: &ColumnType, b: &ColumnType) -> bool {
    use ColumnType::*;
    let rank = |t: &ColumnType| match t {
        SmallInt | Integer | BigInt => Some(0),
        Decimal(..) => Some(1),
        Real | Double => Some(2),
        _ => None,
    };
    let text = |t: &ColumnType| matches!(t, Char(_) | Varchar(_) | Text);
    match (rank(a), rank(b)) {
        (Some(a), Some(b)) => a <= b,
        _ => match (a, b) {
            (Enum(x), Enum(y)) => x == y,
            (Array(x), Array(y)) => compatible(x, y),
            _ => (text(a) && text(b)) || std::mem::discriminant(a) == std::mem::discriminant(b),
        },
    }
}
