//! The one neutral differ: two projects → the changes that turn the first into the second, as
//! data. No SQL and no dialect here. `generate` diffs the recorded state against the YAML and
//! lowers the changes to statements per dialect (`dialect::lower`); `diff` diffs the live
//! catalog against the YAML, and its findings are a view of the same changes (`findings`), so
//! the plan and the drift report cannot disagree.

mod describe;
pub use describe::{domain_text, extension_text, grants_text, sequence_text};
pub mod findings;
mod keys;
mod kind;
pub mod unmanaged;

use keys::key_changes;
pub use keys::{default_name, foreign_key_names, keys, Key, KeyKind};

use crate::dialect::postgres::attrs::TableAttrs;
use crate::dialect::redshift::attrs;
use crate::model::grants::minus;
use crate::model::{Column, Domain, Grant, Index, Project, Sequence, Table, View};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A reference row, column → value.
pub type Row = BTreeMap<String, serde_json::Value>;

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// The project comes to manage another namespace (it is never dropped: see docs/yaml-reference.md).
    AddNamespace {
        name: String,
    },
    /// An enum type appears, goes, or its list of values changes.
    AddEnum {
        name: String,
        values: Vec<String>,
    },
    DropEnum {
        name: String,
        values: Vec<String>,
    },
    ModifyEnum {
        name: String,
        from: Vec<String>,
        to: Vec<String>,
    },
    /// An extension the project creates (`create`) or no longer declares.
    Extension {
        name: String,
        create: bool,
    },
    /// A sequence appears (`from` None), goes (`to` None) or changes its options.
    Sequence {
        name: String,
        from: Option<Sequence>,
        to: Option<Sequence>,
    },
    /// A domain appears (`from` None), goes (`to` None) or changes.
    Domain {
        name: String,
        from: Option<Domain>,
        to: Option<Domain>,
    },
    AddTable {
        table: Table,
    },
    DropTable {
        table: Table,
    },
    ModifyTable(Box<TableDiff>),
    AddView {
        view: View,
    },
    DropView {
        view: View,
    },
    ModifyView {
        from: View,
        to: View,
        changed: ViewChanges,
    },
    /// The generated refresh procedure appears, goes, is renamed or must list other views.
    RefreshProcedure {
        from: Option<String>,
        to: Option<String>,
        views: Vec<String>,
    },
}

/// The changes of one table that exists on both sides.
#[derive(Debug, Clone, Serialize)]
pub struct TableDiff {
    pub from: Table,
    pub to: Table,
    pub changes: Vec<TableChange>,
}

/// A column change holds both definitions; the variants differ in size, but a diff builds a
/// handful of them once, so they are not boxed.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TableChange {
    /// `from` is the column's old definition (old name); `to` the new one.
    ModifyColumn {
        from: Column,
        to: Column,
        changed: ColumnChanges,
    },
    RenameColumn {
        from: String,
        to: String,
    },
    AddColumn {
        column: Column,
    },
    DropColumn {
        column: Column,
    },
    AddKey {
        key: Key,
    },
    DropKey {
        key: Key,
    },
    /// The same key under another name (`from`).
    RenameKey {
        from: String,
        key: Key,
    },
    /// A foreign key whose deferrability alone changes (ALTER CONSTRAINT, where the dialect has it).
    AlterKey {
        from: Key,
        to: Key,
    },
    AddIndex {
        index: Index,
    },
    DropIndex {
        index: Index,
    },
    /// Same name, other definition.
    ModifyIndex {
        from: Index,
        to: Index,
    },
    /// Redshift's own properties differ (`dialect::redshift::attrs`): the driver reads what.
    Redshift {
        from: attrs::TableAttrs,
        to: attrs::TableAttrs,
    },
    /// PostgreSQL's own properties of the table (`attrs::TableAttrs::changed` names which).
    Postgres {
        from: TableAttrs,
        to: TableAttrs,
    },
    Comment {
        from: Option<String>,
        to: Option<String>,
    },
    AddRows {
        rows: Vec<Row>,
    },
    DeleteRows {
        rows: Vec<Row>,
    },
    /// Grants that go and grants that come.
    Grants {
        revoke: Vec<Grant>,
        grant: Vec<Grant>,
    },
}

/// What differs in a column, a bit per property (like Atlas's ChangeKind).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ColumnChanges(u8);

impl ColumnChanges {
    pub const TYPE: ColumnChanges = ColumnChanges(1);
    pub const NULLABILITY: ColumnChanges = ColumnChanges(2);
    pub const DEFAULT: ColumnChanges = ColumnChanges(4);
    pub const IDENTITY: ColumnChanges = ColumnChanges(8);
    /// Redshift's own properties (`dialect::redshift::attrs`).
    pub const REDSHIFT: ColumnChanges = ColumnChanges(16);
    pub const COMMENT: ColumnChanges = ColumnChanges(32);
    /// PostgreSQL's own properties (`Column::postgres`): its driver knows which and how.
    pub const POSTGRES: ColumnChanges = ColumnChanges(64);

    pub fn between(a: &Column, b: &Column) -> ColumnChanges {
        let bit = |differs: bool, c: ColumnChanges| if differs { c.0 } else { 0 };
        ColumnChanges(
            bit(a.ty != b.ty, Self::TYPE)
                | bit(a.nullable != b.nullable, Self::NULLABILITY)
                | bit(a.default != b.default, Self::DEFAULT)
                // The seed only says where a new table starts (a deep copy starts after the ids it
                // copied): whether there is an identity, and its step, are the definition.
                | bit(a.identity.map(|i| i.step) != b.identity.map(|i| i.step), Self::IDENTITY)
                | bit(a.redshift != b.redshift, Self::REDSHIFT)
                | bit(a.description != b.description, Self::COMMENT)
                | bit(a.postgres != b.postgres, Self::POSTGRES),
        )
    }

    pub fn has(self, c: ColumnChanges) -> bool {
        self.0 & c.0 != 0
    }

    /// Any of type, nullability or default: what changes the column's values or constraints.
    pub fn definition(self) -> bool {
        self.has(Self::TYPE) || self.has(Self::NULLABILITY) || self.has(Self::DEFAULT)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// What differs in a view.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ViewChanges {
    pub body: bool,
    /// View where a materialized view was, or the reverse.
    pub kind: bool,
    /// Late-binding (Redshift's `WITH NO SCHEMA BINDING`) or not.
    pub binding: bool,
    /// Redshift's materialized-view options (`dialect::redshift::attrs`).
    pub redshift: bool,
    pub indexes: bool,
    pub comment: bool,
    pub grants: bool,
    /// PostgreSQL's own options of a view (`View::postgres`).
    pub postgres: bool,
}

impl ViewChanges {
    fn between(a: &View, b: &View) -> ViewChanges {
        ViewChanges {
            body: a.sql != b.sql,
            kind: a.materialized != b.materialized,
            binding: a.late_binding != b.late_binding,
            redshift: a.redshift != b.redshift,
            indexes: a.indexes != b.indexes,
            comment: a.description != b.description,
            grants: grants(&a.grants, &b.grants).is_some(),
            postgres: a.postgres != b.postgres,
        }
    }

    fn is_empty(self) -> bool {
        self == ViewChanges::default()
    }
}

/// The grants to revoke and to grant to go from `from` to `to`, when they differ. Only managed
/// grants change: where `to` is None nothing does; `from` None is no grants.
pub fn grants(from: &Option<Vec<Grant>>, to: &Option<Vec<Grant>>) -> Option<(Vec<Grant>, Vec<Grant>)> {
    let to = to.as_deref()?;
    let from = from.as_deref().unwrap_or_default();
    let (revoke, grant) = (minus(from, to), minus(to, from));
    (!revoke.is_empty() || !grant.is_empty()).then_some((revoke, grant))
}

/// The changes from `from` to `to`: tables added or modified (by name), views added or
/// modified, then what goes. Renames come from `renamed_from`. Column order, phases, checks and
/// derived expressions are not compared: no migration changes them.
pub fn diff(from: &Project, to: &Project) -> Vec<Change> {
    let mut changes: Vec<Change> = (to.namespaces.iter())
        .filter(|ns| !from.namespaces.contains(ns))
        .map(|ns| Change::AddNamespace { name: ns.clone() })
        .collect();
    // First: the types of an extension serve the enums, sequences and tables after.
    for name in to.extensions.difference(&from.extensions) {
        changes.push(Change::Extension { name: name.clone(), create: true });
    }
    for name in from.extensions.difference(&to.extensions) {
        changes.push(Change::Extension { name: name.clone(), create: false });
    }
    for (name, values) in &to.enums {
        match from.enums.get(name) {
            None => changes.push(Change::AddEnum { name: name.clone(), values: values.clone() }),
            Some(old) if old != values => {
                changes.push(Change::ModifyEnum { name: name.clone(), from: old.clone(), to: values.clone() })
            }
            Some(_) => {}
        }
    }
    for (name, values) in from.enums.iter().filter(|(name, _)| !to.enums.contains_key(*name)) {
        changes.push(Change::DropEnum { name: name.clone(), values: values.clone() });
    }
    // Compared with every option spelt out: the YAML leaves out the defaults the catalog states.
    let same = |a: &Sequence, b: &Sequence| a.effective() == b.effective();
    for (name, new) in &to.sequences {
        if !from.sequences.get(name).is_some_and(|old| same(old, new)) {
            let (from, to) = (from.sequences.get(name).copied(), Some(*new));
            changes.push(Change::Sequence { name: name.clone(), from, to });
        }
    }
    for (name, old) in from.sequences.iter().filter(|(name, _)| !to.sequences.contains_key(*name)) {
        changes.push(Change::Sequence { name: name.clone(), from: Some(*old), to: None });
    }
    // After the types a domain may be based on; before the tables whose columns use it.
    for (name, new) in &to.domains {
        if !from.domains.get(name).is_some_and(|old| old.changed(new).is_empty()) {
            changes.push(Change::Domain {
                name: name.clone(),
                from: from.domains.get(name).cloned(),
                to: Some(new.clone()),
            });
        }
    }
    for (name, old) in from.domains.iter().filter(|(name, _)| !to.domains.contains_key(*name)) {
        changes.push(Change::Domain { name: name.clone(), from: Some(old.clone()), to: None });
    }
    // By name, so thousands of tables cost n log n, not n².
    let old_tables: BTreeMap<&str, &Table> = from.tables.iter().map(|t| (t.name.as_str(), t)).collect();
    let new_tables: BTreeSet<&str> = to.tables.iter().map(|t| t.name.as_str()).collect();
    for new in &to.tables {
        match old_tables.get(new.name.as_str()) {
            None => changes.push(Change::AddTable { table: new.clone() }),
            Some(old) => {
                let table_changes = table(old, new);
                if !table_changes.is_empty() {
                    let d = TableDiff { from: (*old).clone(), to: new.clone(), changes: table_changes };
                    changes.push(Change::ModifyTable(Box::new(d)));
                }
            }
        }
    }
    for new in &to.views {
        match from.view(&new.name) {
            None => changes.push(Change::AddView { view: new.clone() }),
            Some(old) => {
                let changed = ViewChanges::between(old, new);
                if !changed.is_empty() {
                    changes.push(Change::ModifyView { from: old.clone(), to: new.clone(), changed });
                }
            }
        }
    }
    for old in from.tables.iter().filter(|t| !new_tables.contains(t.name.as_str())) {
        changes.push(Change::DropTable { table: old.clone() });
    }
    for old in from.views.iter().filter(|v| to.view(&v.name).is_none()) {
        changes.push(Change::DropView { view: old.clone() });
    }
    // The procedure lists the views by name: it changes whenever that list does.
    let views = crate::graph::materialized(&to.views);
    if from.refresh_procedure != to.refresh_procedure
        || (to.refresh_procedure.is_some() && crate::graph::materialized(&from.views) != views)
    {
        let (from, to) = (from.refresh_procedure.clone(), to.refresh_procedure.clone());
        changes.push(Change::RefreshProcedure { from, to, views });
    }
    changes
}

/// Old column name → new column name, for the columns renamed with `renamed_from`.
pub fn renames<'a>(old: &'a Table, new: &'a Table) -> BTreeMap<&'a str, &'a str> {
    new.columns
        .iter()
        .filter_map(|c| {
            let from = c.renamed_from.as_deref()?;
            (old.column(from).is_some() && old.column(&c.name).is_none()).then_some((from, c.name.as_str()))
        })
        .collect()
}

fn table(old: &Table, new: &Table) -> Vec<TableChange> {
    let renamed = renames(old, new);
    let previous = |c: &Column| {
        let name = renamed.iter().find(|(_, to)| **to == c.name).map_or(c.name.as_str(), |(from, _)| from);
        old.column(name)
    };
    let mut out = Vec::new();
    for c in &new.columns {
        if let Some(p) = previous(c) {
            let changed = ColumnChanges::between(p, c);
            if !changed.is_empty() {
                out.push(TableChange::ModifyColumn { from: p.clone(), to: c.clone(), changed });
            }
        }
    }
    for (from, to) in &renamed {
        out.push(TableChange::RenameColumn { from: from.to_string(), to: to.to_string() });
    }
    for c in new.columns.iter().filter(|c| previous(c).is_none()) {
        out.push(TableChange::AddColumn { column: c.clone() });
    }
    for c in old.columns.iter().filter(|c| !renamed.contains_key(c.name.as_str()) && new.column(&c.name).is_none()) {
        out.push(TableChange::DropColumn { column: c.clone() });
    }
    key_changes(&mut out, &keys(old), &keys(new));
    indexes(&mut out, &old.indexes, &new.indexes);
    if old.redshift != new.redshift {
        out.push(TableChange::Redshift { from: old.redshift.clone(), to: new.redshift.clone() });
    }
    if old.postgres != new.postgres {
        out.push(TableChange::Postgres { from: old.postgres.clone(), to: new.postgres.clone() });
    }
    if old.description != new.description {
        out.push(TableChange::Comment { from: old.description.clone(), to: new.description.clone() });
    }
    if let Some((revoke, grant)) = grants(&old.grants, &new.grants) {
        out.push(TableChange::Grants { revoke, grant });
    }
    // Rows are compared by their columns' new names: a rename alone changes no row.
    let old_rows: Vec<Row> = old
        .rows
        .iter()
        .map(|r| {
            r.iter().map(|(c, v)| (renamed.get(c.as_str()).map_or(c.clone(), |n| n.to_string()), v.clone())).collect()
        })
        .collect();
    let gone: Vec<Row> = old_rows.iter().filter(|r| !new.rows.contains(r)).cloned().collect();
    if !gone.is_empty() {
        out.push(TableChange::DeleteRows { rows: gone });
    }
    let added: Vec<Row> = new.rows.iter().filter(|r| !old_rows.contains(r)).cloned().collect();
    if !added.is_empty() {
        out.push(TableChange::AddRows { rows: added });
    }
    out
}

/// Indexes by name: dropped, changed in place, added.
pub fn indexes(out: &mut Vec<TableChange>, old: &[Index], new: &[Index]) {
    for o in old {
        match new.iter().find(|n| n.name == o.name) {
            None => out.push(TableChange::DropIndex { index: o.clone() }),
            Some(n) if n != o => out.push(TableChange::ModifyIndex { from: o.clone(), to: n.clone() }),
            Some(_) => {}
        }
    }
    for n in new.iter().filter(|n| !old.iter().any(|o| o.name == n.name)) {
        out.push(TableChange::AddIndex { index: n.clone() });
    }
}
