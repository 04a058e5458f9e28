//! Two models → the ordered steps that turn the first into the second, with their hazards.
//!
//! One YAML edit can need different SQL per dialect: PostgreSQL changes a column type in place,
//! Redshift only widens a VARCHAR in place and rebuilds the column (or deep-copies the table)
//! otherwise. A [`Step`] therefore names the dialect it applies to when it is not both.
//! Order: views that must go are dropped first (dependents before what they read), then
//! constraints that go, tables that go, new tables (foreign-key targets first), changes to
//! kept tables, new constraints, and finally views are (re)created in dependency order.

use crate::model::{Column, ColumnType, Dialect, Distribution, Index, Project, SortKey, SortKind, Table, View};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    CreateSchema,
    CreateTable {
        table: Table,
        constraints: Vec<Constraint>,
    },
    DropTable {
        table: String,
    },
    CreateView {
        view: View,
    },
    DropView {
        view: View,
    },
    AddColumn {
        table: String,
        column: Column,
    },
    /// Fills a new derived column from its expression.
    Backfill {
        table: String,
        column: String,
        expr: String,
    },
    DropColumn {
        table: String,
        column: String,
    },
    RenameColumn {
        table: String,
        from: String,
        to: String,
    },
    /// Type, nullability or default in place (PostgreSQL; on Redshift only VARCHAR widening).
    AlterColumn {
        table: String,
        from: Column,
        to: Column,
    },
    /// Redshift: add a new column, copy, drop the old one, rename (the column moves last).
    RebuildColumn {
        table: String,
        from: Column,
        to: Column,
    },
    /// Redshift: create the table anew, copy the rows, swap names.
    DeepCopy {
        table: Table,
        constraints: Vec<Constraint>,
        copy: Vec<(String, String)>,
    },
    AlterDistribution {
        table: String,
        from: Distribution,
        to: Distribution,
    },
    AlterSortKey {
        table: String,
        to: SortKey,
    },
    /// Redshift: one column's encoding, or the whole table back to ENCODE AUTO.
    AlterEncoding {
        table: String,
        column: Option<String>,
        encode: Option<String>,
    },
    Comment {
        object: String,
        on: &'static str,
        column: Option<String>,
        text: Option<String>,
    },
    AddConstraint {
        table: String,
        constraint: Constraint,
    },
    DropConstraint {
        table: String,
        name: String,
    },
    CreateIndex {
        table: String,
        index: Index,
    },
    DropIndex {
        name: String,
    },
    InsertRows {
        table: Table,
    },
    DeleteRows {
        table: String,
        rows: Vec<BTreeMap<String, serde_json::Value>>,
    },
    /// (Re)creates the procedure refreshing these materialized views, in this order.
    CreateRefreshProcedure {
        name: String,
        views: Vec<String>,
    },
}

/// A key constraint with the deterministic name the tool gives it (PostgreSQL's own scheme).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Constraint {
    pub name: String,
    /// `PRIMARY KEY`, `UNIQUE` or `FOREIGN KEY`.
    pub kind: &'static str,
    pub columns: Vec<String>,
    pub references: Option<(String, Vec<String>)>,
}

/// One change for all dialects or for one.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub change: Change,
    pub only: Option<Dialect>,
}

impl Step {
    fn all(change: Change) -> Step {
        Step { change, only: None }
    }

    fn on(dialect: Dialect, change: Change) -> Step {
        Step { change, only: Some(dialect) }
    }

    pub fn applies_to(&self, dialect: Dialect) -> bool {
        self.only.is_none_or(|d| d == dialect)
    }
}

/// Why a step needs care. Guarded hazards make `schema generate` refuse without
/// `--allow-destructive`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hazard {
    pub guarded: bool,
    pub text: String,
}

impl Change {
    /// The template that renders this change.
    pub fn kind(&self) -> &'static str {
        match self {
            Change::CreateSchema => "create_schema",
            Change::CreateTable { .. } => "create_table",
            Change::DropTable { .. } => "drop_table",
            Change::CreateView { .. } => "create_view",
            Change::DropView { .. } => "drop_view",
            Change::AddColumn { .. } => "add_column",
            Change::Backfill { .. } => "backfill",
            Change::DropColumn { .. } => "drop_column",
            Change::RenameColumn { .. } => "rename_column",
            Change::AlterColumn { .. } => "alter_column",
            Change::RebuildColumn { .. } => "rebuild_column",
            Change::DeepCopy { .. } => "deep_copy",
            Change::AlterDistribution { .. } => "alter_distribution",
            Change::AlterSortKey { .. } => "alter_sort_key",
            Change::AlterEncoding { .. } => "alter_encoding",
            Change::Comment { .. } => "comment",
            Change::AddConstraint { .. } => "add_constraint",
            Change::DropConstraint { .. } => "drop_constraint",
            Change::CreateIndex { .. } => "create_index",
            Change::DropIndex { .. } => "drop_index",
            Change::InsertRows { .. } => "insert_rows",
            Change::DeleteRows { .. } => "delete_rows",
            Change::CreateRefreshProcedure { .. } => "create_refresh_procedure",
        }
    }

    /// One line for migration headers and `generate --check`.
    pub fn describe(&self, ns: &str) -> String {
        let view_kind = |v: &View| if v.materialized { "materialized view" } else { "view" };
        match self {
            Change::CreateSchema => format!("create schema {ns}"),
            Change::CreateTable { table, .. } => format!("create table {ns}.{}", table.name),
            Change::DropTable { table } => format!("drop table {ns}.{table}"),
            Change::CreateView { view } => format!("create {} {ns}.{}", view_kind(view), view.name),
            Change::DropView { view } => format!("drop {} {ns}.{}", view_kind(view), view.name),
            Change::AddColumn { table, column } => format!("add column {ns}.{table}.{}", column.name),
            Change::Backfill { table, column, expr } => format!("backfill {ns}.{table}.{column} from {expr}"),
            Change::DropColumn { table, column } => format!("drop column {ns}.{table}.{column}"),
            Change::RenameColumn { table, from, to } => format!("rename column {ns}.{table}.{from} to {to}"),
            Change::AlterColumn { table, from, to } => {
                format!("alter column {ns}.{table}.{}: {}", to.name, column_delta(from, to))
            }
            Change::RebuildColumn { table, from, to } => {
                format!("rebuild column {ns}.{table}.{} ({})", to.name, column_delta(from, to))
            }
            Change::DeepCopy { table, .. } => format!("deep copy {ns}.{} into its new definition", table.name),
            Change::AlterDistribution { table, from, to } => {
                format!("alter distribution of {ns}.{table}: {} -> {}", lower(from), lower(to))
            }
            Change::AlterSortKey { table, to } => format!("alter sort key of {ns}.{table} to {}", lower(to)),
            Change::AlterEncoding { table, column: Some(c), encode } => {
                format!("alter encoding of {ns}.{table}.{c} to {}", encode.as_deref().unwrap_or("auto"))
            }
            Change::AlterEncoding { table, .. } => format!("alter encoding of {ns}.{table} to auto"),
            Change::Comment { object, column, .. } => match column {
                Some(c) => format!("comment on {ns}.{object}.{c}"),
                None => format!("comment on {ns}.{object}"),
            },
            Change::AddConstraint { table, constraint } => {
                format!("add {} {} on {ns}.{table}", constraint.kind.to_lowercase(), constraint.name)
            }
            Change::DropConstraint { table, name } => format!("drop constraint {name} on {ns}.{table}"),
            Change::CreateIndex { table, index } => format!("create index {} on {ns}.{table}", index.name),
            Change::DropIndex { name } => format!("drop index {ns}.{name}"),
            Change::InsertRows { table } => format!("insert {} row(s) into {ns}.{}", table.rows.len(), table.name),
            Change::DeleteRows { table, rows } => format!("delete {} row(s) from {ns}.{table}", rows.len()),
            Change::CreateRefreshProcedure { name, .. } => format!("create or replace procedure {ns}.{name}"),
        }
    }

    /// What can go wrong. `large` rewrites are guarded because on a warehouse table they take
    /// long and hold locks.
    pub fn hazards(&self) -> Vec<Hazard> {
        let guarded = |text: &str| vec![Hazard { guarded: true, text: text.to_string() }];
        let note = |text: &str| vec![Hazard { guarded: false, text: text.to_string() }];
        match self {
            Change::DropTable { .. } => guarded("deletes the table and all its rows"),
            Change::DropColumn { .. } => guarded("deletes the column's data"),
            Change::DeleteRows { .. } => guarded("deletes reference rows"),
            Change::AlterColumn { from, to, .. } if from.ty != to.ty && !widens(from.ty, to.ty) => {
                guarded("narrowing or lossy type change: fails on (or truncates) values that do not fit")
            }
            Change::AlterColumn { from, to, .. } if from.ty != to.ty && !in_place_widening(from.ty, to.ty) => {
                guarded("PostgreSQL rewrites the whole table to change this type")
            }
            Change::AlterColumn { from, to, .. } if from.nullable && !to.nullable => {
                note("SET NOT NULL scans the table and fails if it holds NULLs")
            }
            Change::RebuildColumn { .. } => guarded("Redshift rewrites the column: UPDATE of every row"),
            Change::DeepCopy { .. } => guarded("Redshift copies the whole table (deep copy)"),
            Change::AlterDistribution { .. } => guarded("Redshift redistributes the whole table"),
            Change::AlterSortKey { .. } => guarded("Redshift re-sorts the whole table"),
            Change::Backfill { .. } => note("updates every row where the column is NULL"),
            Change::DropView { view } if view.materialized => {
                note("the materialized view is empty until `schema refresh`")
            }
            Change::CreateView { view } if view.materialized => {
                note("run `schema refresh` to fill the materialized view")
            }
            _ => vec![],
        }
    }

    /// Redshift refuses ALTER COLUMN ... TYPE inside a transaction block.
    pub fn needs_no_transaction(&self, dialect: Dialect) -> bool {
        dialect == Dialect::Redshift && matches!(self, Change::AlterColumn { .. })
    }
}

fn column_delta(from: &Column, to: &Column) -> String {
    let mut parts = Vec::new();
    if from.ty != to.ty {
        parts.push(format!("{} -> {}", from.ty, to.ty));
    }
    if from.nullable != to.nullable {
        parts.push(if to.nullable { "drop not null" } else { "set not null" }.to_string());
    }
    if from.default != to.default {
        parts.push(format!("default {}", to.default.as_deref().unwrap_or("none")));
    }
    parts.join(", ")
}

/// Listings spell keys in lower case (`key(session_id)`, `compound(a, b)`).
fn lower(value: &impl std::fmt::Display) -> String {
    value.to_string().to_lowercase()
}

/// Whether every value of `from` fits `to` unchanged.
pub fn widens(from: ColumnType, to: ColumnType) -> bool {
    use ColumnType::*;
    let rank = |t| match t {
        SmallInt => Some(1),
        Integer => Some(2),
        BigInt => Some(3),
        _ => None,
    };
    match (from, to) {
        (a, b) if a == b => true,
        (Varchar(a), Varchar(b)) | (Char(a), Varchar(b)) => b >= a,
        (Varchar(_) | Char(_), Text) => true,
        (Char(a), Char(b)) => b >= a,
        (Decimal(p, s), Decimal(p2, s2)) => s2 >= s && p2 - s2 >= p - s,
        (Real, Double) | (Date, Timestamp) | (Date, TimestampTz) => true,
        (a, Decimal(p, s)) if rank(a).is_some() => p - s >= [5, 10, 19][rank(a).unwrap() - 1],
        (a, b) => rank(a).zip(rank(b)).is_some_and(|(x, y)| y >= x),
    }
}

/// Widenings both dialects do without rewriting the table.
fn in_place_widening(from: ColumnType, to: ColumnType) -> bool {
    matches!((from, to), (ColumnType::Varchar(a), ColumnType::Varchar(b)) if b >= a)
        || matches!((from, to), (ColumnType::Varchar(_), ColumnType::Text))
}

/// Constraint names are the ones PostgreSQL would choose, truncated to its 63-byte limit, so
/// both dialects can drop and re-add them by name.
pub fn constraints(table: &Table) -> Vec<Constraint> {
    let name = |cols: &[String], suffix: &str| {
        let mut n = format!("{}_{}_{suffix}", table.name, cols.join("_"));
        if suffix == "pkey" {
            n = format!("{}_pkey", table.name);
        }
        n.truncate(63);
        n
    };
    let mut out = Vec::new();
    if !table.primary_key.is_empty() {
        out.push(Constraint {
            name: name(&table.primary_key, "pkey"),
            kind: "PRIMARY KEY",
            columns: table.primary_key.clone(),
            references: None,
        });
    }
    for u in &table.unique {
        out.push(Constraint { name: name(u, "key"), kind: "UNIQUE", columns: u.clone(), references: None });
    }
    for fk in &table.foreign_keys {
        out.push(Constraint {
            name: name(&fk.columns, "fkey"),
            kind: "FOREIGN KEY",
            columns: fk.columns.clone(),
            references: Some((fk.table.clone(), fk.references.clone())),
        });
    }
    out
}

/// The steps from `from` to `to`, or the differences no migration can express.
pub fn plan(from: &Project, to: &Project) -> Result<Vec<Step>, Vec<String>> {
    let mut unsupported = Vec::new();
    if !(from.tables.is_empty() && from.views.is_empty()) && from.namespace != to.namespace {
        unsupported.push(format!("namespace changed from `{}` to `{}`", from.namespace, to.namespace));
    }
    let mut early = Vec::new(); // constraint drops, before tables go
    let mut tables = Vec::new();
    let mut late = Vec::new(); // constraint adds, after every table exists
                               // Tables whose changes break or invalidate the views reading them, on every dialect and on
                               // Redshift alone (its column rebuilds and deep copies).
    let mut rebuilt = BTreeSet::new();
    let mut rebuilt_redshift = BTreeSet::new();
    let mut copied = BTreeSet::new(); // tables Redshift deep-copies

    for old in table_order(&from.tables).into_iter().rev() {
        if to.table(&old.name).is_none() {
            tables.push(Step::all(Change::DropTable { table: old.name.clone() }));
        }
    }
    for new in table_order(&to.tables) {
        match from.table(&new.name) {
            None => tables.push(Step::all(Change::CreateTable { table: new.clone(), constraints: constraints(new) })),
            Some(old) => {
                let t = TableDelta::new(old, new);
                if let Err(e) = t.plan(&mut early, &mut tables, &mut late) {
                    unsupported.push(e);
                }
                if t.breaks_views() {
                    rebuilt.insert(new.name.clone());
                }
                if t.breaks_views_on_redshift() {
                    rebuilt_redshift.insert(new.name.clone());
                }
                if t.deep_copy() {
                    copied.insert(new.name.clone());
                }
            }
        }
    }
    // Constraint drops of dropped tables go with the table.
    early.retain(|s| !matches!(&s.change, Change::DropConstraint { table, .. } if to.table(table).is_none()));
    // A deep-copied table is dropped and renamed: foreign keys of other tables that reference it
    // (and stay unchanged) are dropped before and added back after.
    for t in to.tables.iter().filter(|t| !copied.contains(&t.name)) {
        let Some(old) = from.table(&t.name) else { continue };
        let kept = constraints(old);
        for c in constraints(t).into_iter().filter(|c| kept.contains(c)) {
            if c.references.as_ref().is_some_and(|(target, _)| copied.contains(target)) {
                let drop = Change::DropConstraint { table: t.name.clone(), name: c.name.clone() };
                early.push(Step::on(Dialect::Redshift, drop));
                late.push(Step::on(Dialect::Redshift, Change::AddConstraint { table: t.name.clone(), constraint: c }));
            }
        }
    }

    // Views: new or changed ones, and every view reading something rebuilt or recreated; some
    // only on Redshift.
    let recreate = recreated_views(from, to, &rebuilt);
    let recreate_redshift = recreated_views(from, to, &rebuilt_redshift);
    let only = |name: &str| {
        if recreate.contains(name) {
            Some(None)
        } else {
            recreate_redshift.contains(name).then_some(Some(Dialect::Redshift))
        }
    };
    let mut steps = Vec::new();
    if from.tables.is_empty() && from.views.is_empty() {
        steps.push(Step::all(Change::CreateSchema));
    }
    let old_order = view_order(&from.views).unwrap_or_else(|_| from.views.iter().collect());
    for v in old_order.into_iter().rev() {
        if let Some(only) = only(&v.name) {
            steps.push(Step { change: Change::DropView { view: v.clone() }, only });
        }
    }
    steps.extend(early);
    steps.extend(tables);
    steps.extend(late);
    let new_order = view_order(&to.views).unwrap_or_else(|_| to.views.iter().collect());
    for v in new_order {
        let create = Change::CreateView { view: v.clone() };
        match (from.view(&v.name), only(&v.name)) {
            (None, _) | (_, Some(None)) => steps.push(Step::all(create)),
            (Some(old), redshift) => {
                if redshift.is_some() {
                    steps.push(Step::on(Dialect::Redshift, create));
                }
                if old.description != v.description {
                    let on = if v.materialized { "MATERIALIZED VIEW" } else { "VIEW" };
                    let comment =
                        Change::Comment { object: v.name.clone(), on, column: None, text: v.description.clone() };
                    // Where the view is recreated its CREATE carries the comment already.
                    steps.push(if redshift.is_some() {
                        Step::on(Dialect::Postgres, comment)
                    } else {
                        Step::all(comment)
                    });
                }
            }
        }
    }
    // The procedure lists the views by name: replace it whenever that list changes.
    match (&from.refresh_procedure, &to.refresh_procedure) {
        (Some(old), Some(new)) if old != new => unsupported.push(format!("refresh procedure `{old}` was renamed")),
        (Some(old), None) => unsupported.push(format!("refresh procedure `{old}` was removed")),
        (old, Some(name)) if old.is_none() || materialized(&from.views) != materialized(&to.views) => {
            steps.push(Step::all(Change::CreateRefreshProcedure { name: name.clone(), views: materialized(&to.views) }))
        }
        _ => {}
    }
    if unsupported.is_empty() {
        Ok(steps)
    } else {
        Err(unsupported)
    }
}

/// Old views to drop and create again: changed or removed ones, and every view reading one of
/// them or one of the `rebuilt` tables.
fn recreated_views(from: &Project, to: &Project, rebuilt: &BTreeSet<String>) -> BTreeSet<String> {
    let changed = |v: &View| to.view(&v.name).is_none_or(|n| !same_view(v, n));
    let mut recreate: BTreeSet<String> = from.views.iter().filter(|v| changed(v)).map(|v| v.name.clone()).collect();
    loop {
        let before = recreate.len();
        for v in &from.views {
            if v.depends_on.iter().any(|d| recreate.contains(d) || rebuilt.contains(d)) {
                recreate.insert(v.name.clone());
            }
        }
        if recreate.len() == before {
            return recreate;
        }
    }
}

fn same_view(a: &View, b: &View) -> bool {
    (&a.sql, a.materialized, a.backup, a.auto_refresh, &a.distribution, &a.sort_key, &a.indexes)
        == (&b.sql, b.materialized, b.backup, b.auto_refresh, &b.distribution, &b.sort_key, &b.indexes)
}

/// The changes of one kept table.
struct TableDelta<'a> {
    old: &'a Table,
    new: &'a Table,
    /// Old column name → new column name (renames applied).
    renamed: BTreeMap<&'a str, &'a str>,
}

impl<'a> TableDelta<'a> {
    fn new(old: &'a Table, new: &'a Table) -> TableDelta<'a> {
        let renamed = new
            .columns
            .iter()
            .filter_map(|c| {
                let from = c.renamed_from.as_deref()?;
                (old.column(from).is_some() && old.column(&c.name).is_none()).then_some((from, c.name.as_str()))
            })
            .collect();
        TableDelta { old, new, renamed }
    }

    /// The old column a new column continues, following a rename.
    fn previous(&self, new: &Column) -> Option<&'a Column> {
        let name = self.renamed.iter().find(|(_, to)| **to == new.name).map_or(new.name.as_str(), |(from, _)| from);
        self.old.column(name)
    }

    fn dropped(&self) -> Vec<&'a Column> {
        self.old
            .columns
            .iter()
            .filter(|c| !self.renamed.contains_key(c.name.as_str()) && self.new.column(&c.name).is_none())
            .collect()
    }

    fn retyped(&self) -> Vec<(&'a Column, &'a Column)> {
        self.new
            .columns
            .iter()
            .filter_map(|c| Some((self.previous(c)?, c)))
            .filter(|(o, n)| (o.ty, o.nullable, &o.default) != (n.ty, n.nullable, &n.default))
            .collect()
    }

    /// Changes that break views reading the table on every dialect: PostgreSQL refuses to
    /// change a column type under a view, Redshift MVs stop refreshing after renames and drops.
    fn breaks_views(&self) -> bool {
        !self.renamed.is_empty() || !self.dropped().is_empty() || self.retyped().iter().any(|(o, n)| o.ty != n.ty)
    }

    /// On Redshift also every other column change (a rebuild drops the column) and deep copies.
    fn breaks_views_on_redshift(&self) -> bool {
        self.breaks_views() || !self.retyped().is_empty() || self.deep_copy()
    }

    /// Redshift cannot express these with ALTER: the table is rebuilt by deep copy.
    fn deep_copy(&self) -> bool {
        let (old, new) = (self.old, self.new);
        let interleaved = |t: &Table| t.sort_key.kind == SortKind::Interleaved;
        let is_key = |c: &Column| old.sort_key.columns.contains(&c.name) || old.distribution.key() == Some(&c.name);
        let dropped_key = self.dropped().into_iter().any(is_key);
        let retyped_needs_copy =
            self.retyped().iter().any(|(o, n)| redshift_column_method(old, o, n) == Method::DeepCopy);
        (new.sort_key != old.sort_key && interleaved(new))
            || (new.distribution != old.distribution && (interleaved(old) || interleaved(new)))
            || new.backup != old.backup
            || dropped_key
            || retyped_needs_copy
    }

    fn plan(&self, early: &mut Vec<Step>, steps: &mut Vec<Step>, late: &mut Vec<Step>) -> Result<(), String> {
        let (old, new) = (self.old, self.new);
        let name = &new.name;
        let copy = self.deep_copy();
        // On Redshift a deep copy replaces every ALTER of this table.
        let pg_if_copy = |change: Change| if copy { Step::on(Dialect::Postgres, change) } else { Step::all(change) };

        let (old_c, new_c) = (constraints(old), constraints(new));
        for c in old_c.iter().filter(|c| !new_c.contains(c)) {
            early.push(pg_if_copy(Change::DropConstraint { table: name.clone(), name: c.name.clone() }));
        }
        for (from, to) in &self.renamed {
            steps.push(pg_if_copy(Change::RenameColumn {
                table: name.clone(),
                from: from.to_string(),
                to: to.to_string(),
            }));
        }
        for c in &new.columns {
            if let Some(prev) = self.previous(c) {
                if prev.identity != c.identity {
                    return Err(format!(
                        "identity of `{name}.{}` changed: identity cannot be added or removed in place",
                        c.name
                    ));
                }
                continue;
            }
            if !c.nullable && c.default.is_none() {
                return Err(format!(
                    "column `{name}.{}` is added NOT NULL without a default: existing rows would have no value; add a `default`, or add it nullable, backfill, then make it NOT NULL",
                    c.name
                ));
            }
            if c.identity.is_some() {
                return Err(format!("identity column `{name}.{}` cannot be added to an existing table", c.name));
            }
            steps.push(pg_if_copy(Change::AddColumn { table: name.clone(), column: c.clone() }));
            if let Some(expr) = &c.derived {
                let fill = Change::Backfill { table: name.clone(), column: c.name.clone(), expr: expr.clone() };
                steps.push(Step::all(fill));
            }
        }
        for (from, to) in self.retyped() {
            let change = Change::AlterColumn { table: name.clone(), from: from.clone(), to: to.clone() };
            match redshift_column_method(old, from, to) {
                _ if copy => steps.push(Step::on(Dialect::Postgres, change)),
                Method::InPlace => steps.push(Step::all(change)),
                Method::Rebuild => {
                    steps.push(Step::on(Dialect::Postgres, change));
                    let rebuild = Change::RebuildColumn { table: name.clone(), from: from.clone(), to: to.clone() };
                    steps.push(Step::on(Dialect::Redshift, rebuild));
                }
                Method::DeepCopy => unreachable!("deep_copy() covers it"),
            }
        }
        for c in self.dropped() {
            steps.push(pg_if_copy(Change::DropColumn { table: name.clone(), column: c.name.clone() }));
        }
        if copy {
            // (old name, new name) of every column that survives; new columns take their defaults.
            let copied =
                new.columns.iter().filter_map(|c| Some((self.previous(c)?.name.clone(), c.name.clone()))).collect();
            let table = Table { rows: vec![], ..new.clone() };
            let change = Change::DeepCopy { table, constraints: new_c.clone(), copy: copied };
            steps.push(Step::on(Dialect::Redshift, change));
        } else {
            if old.distribution != new.distribution {
                let change = Change::AlterDistribution {
                    table: name.clone(),
                    from: old.distribution.clone(),
                    to: new.distribution.clone(),
                };
                steps.push(Step::on(Dialect::Redshift, change));
            }
            if old.sort_key != new.sort_key {
                steps.push(Step::on(
                    Dialect::Redshift,
                    Change::AlterSortKey { table: name.clone(), to: new.sort_key.clone() },
                ));
            }
            self.encodings(steps);
        }
        self.comments(steps);
        self.indexes(steps);
        self.rows(steps);
        for c in new_c.iter().filter(|c| !old_c.contains(c)) {
            late.push(pg_if_copy(Change::AddConstraint { table: name.clone(), constraint: c.clone() }));
        }
        Ok(())
    }

    fn encodings(&self, steps: &mut Vec<Step>) {
        let (old, new) = (self.old, self.new);
        if new.encode_auto() && !old.encode_auto() {
            let change = Change::AlterEncoding { table: new.name.clone(), column: None, encode: None };
            steps.push(Step::on(Dialect::Redshift, change));
            return;
        }
        for c in new.columns.iter().filter(|c| c.encode.is_some()) {
            if self.previous(c).is_some_and(|p| p.encode != c.encode) {
                let change = Change::AlterEncoding {
                    table: new.name.clone(),
                    column: Some(c.name.clone()),
                    encode: c.encode.clone(),
                };
                steps.push(Step::on(Dialect::Redshift, change));
            }
        }
    }

    fn comments(&self, steps: &mut Vec<Step>) {
        let (old, new) = (self.old, self.new);
        let object = new.name.clone();
        if old.description != new.description {
            steps.push(Step::all(Change::Comment {
                object: object.clone(),
                on: "TABLE",
                column: None,
                text: new.description.clone(),
            }));
        }
        for c in &new.columns {
            let before = self.previous(c).map(|p| &p.description);
            if before.is_some_and(|d| *d != c.description) {
                let change = Change::Comment {
                    object: object.clone(),
                    on: "TABLE",
                    column: Some(c.name.clone()),
                    text: c.description.clone(),
                };
                steps.push(Step::all(change));
            }
        }
    }

    fn indexes(&self, steps: &mut Vec<Step>) {
        let (old, new) = (self.old, self.new);
        for i in old.indexes.iter().filter(|i| !new.indexes.contains(i)) {
            steps.push(Step::on(Dialect::Postgres, Change::DropIndex { name: i.name.clone() }));
        }
        for i in new.indexes.iter().filter(|i| !old.indexes.contains(i)) {
            steps.push(Step::on(Dialect::Postgres, Change::CreateIndex { table: new.name.clone(), index: i.clone() }));
        }
    }

    fn rows(&self, steps: &mut Vec<Step>) {
        let (old, new) = (self.old, self.new);
        let gone: Vec<_> = old.rows.iter().filter(|r| !new.rows.contains(r)).cloned().collect();
        if !gone.is_empty() {
            steps.push(Step::all(Change::DeleteRows { table: new.name.clone(), rows: gone }));
        }
        let added: Vec<_> = new.rows.iter().filter(|r| !old.rows.contains(r)).cloned().collect();
        if !added.is_empty() {
            steps.push(Step::all(Change::InsertRows { table: Table { rows: added, ..new.clone() } }));
        }
    }
}

#[derive(Debug, PartialEq)]
enum Method {
    InPlace,
    Rebuild,
    DeepCopy,
}

/// How Redshift applies a column change: VARCHAR widening in place (not on key, defaulted or
/// dictionary-encoded columns), a column rebuild when the new column can be added (nullable or
/// with a default), otherwise a deep copy of the table.
fn redshift_column_method(table: &Table, from: &Column, to: &Column) -> Method {
    let in_key = table.primary_key.contains(&from.name)
        || table.unique.iter().any(|u| u.contains(&from.name))
        || table.foreign_keys.iter().any(|f| f.columns.contains(&from.name))
        || table.sort_key.columns.contains(&from.name)
        || table.distribution.key() == Some(from.name.as_str());
    let encoded_ok = !matches!(from.encode.as_deref(), Some("bytedict" | "runlength" | "text255" | "text32k"));
    let only_widening = (from.nullable, &from.default) == (to.nullable, &to.default)
        && matches!((from.ty, to.ty), (ColumnType::Varchar(a), ColumnType::Varchar(b)) if b > a);
    if only_widening && !in_key && from.default.is_none() && encoded_ok {
        Method::InPlace
    } else if !in_key && (to.nullable || to.default.is_some()) {
        Method::Rebuild
    } else {
        Method::DeepCopy
    }
}

/// Tables ordered so every foreign-key target comes first; ties (and cycles) by name.
pub fn table_order(tables: &[Table]) -> Vec<&Table> {
    let deps = tables
        .iter()
        .map(|t| (t.name.as_str(), t.foreign_keys.iter().map(|f| f.table.as_str()).filter(|d| *d != t.name).collect()))
        .collect();
    let order = topo(deps).unwrap_or_else(|_| tables.iter().map(|t| t.name.as_str()).collect());
    order.iter().filter_map(|n| tables.iter().find(|t| t.name == *n)).collect()
}

/// Views ordered after the views they read, or the names forming a cycle.
pub fn view_order(views: &[View]) -> Result<Vec<&View>, Vec<String>> {
    let deps = views.iter().map(|v| (v.name.as_str(), v.depends_on.iter().map(String::as_str).collect())).collect();
    let order = topo(deps)?;
    Ok(order.iter().filter_map(|n| views.iter().find(|v| v.name == *n)).collect())
}

/// The names of the materialized views in refresh order (a view after the views it reads).
pub fn materialized(views: &[View]) -> Vec<String> {
    let order = view_order(views).unwrap_or_else(|_| views.iter().collect());
    order.into_iter().filter(|v| v.materialized).map(|v| v.name.clone()).collect()
}

/// Kahn's algorithm over names (dependencies outside the set are ignored), smallest name first
/// among the ready ones so the order is deterministic.
fn topo<'a>(deps: BTreeMap<&'a str, BTreeSet<&'a str>>) -> Result<Vec<&'a str>, Vec<String>> {
    let mut pending: BTreeMap<&str, BTreeSet<&str>> =
        deps.iter().map(|(n, d)| (*n, d.iter().copied().filter(|x| deps.contains_key(x)).collect())).collect();
    let mut order = Vec::with_capacity(deps.len());
    while !pending.is_empty() {
        let ready: Vec<&str> = pending.iter().filter(|(_, d)| d.is_empty()).map(|(n, _)| *n).collect();
        if ready.is_empty() {
            return Err(pending.keys().map(|s| s.to_string()).collect());
        }
        for n in ready {
            pending.remove(n);
            for d in pending.values_mut() {
                d.remove(n);
            }
            order.push(n);
        }
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topo_orders_dependencies_first_and_reports_cycles() {
        let deps =
            BTreeMap::from([("c", BTreeSet::from(["a"])), ("a", BTreeSet::new()), ("b", BTreeSet::from(["c", "x"]))]);
        assert_eq!(topo(deps).unwrap(), vec!["a", "c", "b"]);
        let cycle =
            BTreeMap::from([("a", BTreeSet::from(["b"])), ("b", BTreeSet::from(["a"])), ("c", BTreeSet::new())]);
        assert_eq!(topo(cycle).unwrap_err(), vec!["a", "b"]);
    }

    #[test]
    fn widening_is_exact() {
        use ColumnType::*;
        assert!(widens(Varchar(10), Varchar(20)));
        assert!(!widens(Varchar(20), Varchar(10)));
        assert!(widens(Integer, BigInt));
        assert!(!widens(BigInt, Integer));
        assert!(widens(Integer, Decimal(12, 2)));
        assert!(!widens(Integer, Decimal(9, 2)));
        assert!(widens(Decimal(10, 2), Decimal(12, 3)));
        assert!(!widens(Decimal(10, 2), Decimal(10, 3)));
        assert!(!widens(Timestamp, Date));
        assert!(!widens(Varchar(10), Integer));
    }
}
