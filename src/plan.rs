//! Two models → the ordered list of changes that turns the first into the second. Tables are
//! created before the tables whose foreign keys reference them, views after what they read.

use crate::model::{Column, Project, Table, View};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    CreateSchema,
    CreateTable {
        table: Table,
    },
    CreateView {
        view: View,
    },
    AddColumn {
        table: String,
        column: Column,
    },
    /// (Re)creates the procedure refreshing these materialized views, in this order.
    CreateRefreshProcedure {
        name: String,
        views: Vec<String>,
    },
}

impl Change {
    /// The template that renders this change.
    pub fn kind(&self) -> &'static str {
        match self {
            Change::CreateSchema => "create_schema",
            Change::CreateTable { .. } => "create_table",
            Change::CreateView { .. } => "create_view",
            Change::AddColumn { .. } => "add_column",
            Change::CreateRefreshProcedure { .. } => "create_refresh_procedure",
        }
    }

    /// One line for migration headers and `generate --check`.
    pub fn describe(&self, namespace: &str) -> String {
        match self {
            Change::CreateSchema => format!("create schema {namespace}"),
            Change::CreateTable { table } => format!("create table {namespace}.{}", table.name),
            Change::CreateView { view } => {
                let kind = if view.materialized { "materialized view" } else { "view" };
                format!("create {kind} {namespace}.{}", view.name)
            }
            Change::AddColumn { table, column } => format!("add column {namespace}.{table}.{}", column.name),
            Change::CreateRefreshProcedure { name, .. } => format!("create or replace procedure {namespace}.{name}"),
        }
    }
}

/// The changes from `from` to `to`, or the list of differences the planner cannot express.
pub fn plan(from: &Project, to: &Project) -> Result<Vec<Change>, Vec<String>> {
    let mut changes = Vec::new();
    let mut unsupported = Vec::new();
    let empty = from.tables.is_empty() && from.views.is_empty();
    if empty {
        changes.push(Change::CreateSchema);
    } else if from.namespace != to.namespace {
        unsupported.push(format!("namespace changed from `{}` to `{}`", from.namespace, to.namespace));
    }

    for table in table_order(&to.tables) {
        match from.table(&table.name) {
            None => changes.push(Change::CreateTable { table: table.clone() }),
            Some(old) => table_changes(old, table, &mut changes, &mut unsupported),
        }
    }
    for old in &from.tables {
        if to.table(&old.name).is_none() {
            unsupported.push(format!("table `{}` was removed", old.name));
        }
    }

    let order = view_order(&to.views).unwrap_or_else(|_| to.views.iter().collect());
    for view in order {
        match from.view(&view.name) {
            None => changes.push(Change::CreateView { view: view.clone() }),
            Some(old) if old != view => unsupported.push(format!("view `{}` changed", view.name)),
            Some(_) => {}
        }
    }
    for old in &from.views {
        if to.view(&old.name).is_none() {
            unsupported.push(format!("view `{}` was removed", old.name));
        }
    }
    // The procedure lists the views, so it is replaced whenever the set of views changes.
    match (&from.refresh_procedure, &to.refresh_procedure) {
        (Some(old), Some(new)) if old != new => unsupported.push(format!("refresh procedure `{old}` was renamed")),
        (Some(old), None) => unsupported.push(format!("refresh procedure `{old}` was removed")),
        (old, Some(name)) if old.is_none() || materialized(&from.views) != materialized(&to.views) => {
            changes.push(Change::CreateRefreshProcedure { name: name.clone(), views: materialized(&to.views) })
        }
        _ => {}
    }

    if unsupported.is_empty() {
        Ok(changes)
    } else {
        Err(unsupported)
    }
}

fn table_changes(old: &Table, new: &Table, changes: &mut Vec<Change>, unsupported: &mut Vec<String>) {
    for column in &new.columns {
        match old.column(&column.name) {
            None if !column.nullable && column.default.is_none() => unsupported.push(format!(
                "column `{}.{}` is added NOT NULL without a default (existing rows would have no value)",
                new.name, column.name
            )),
            None if column.identity.is_some() => unsupported
                .push(format!("identity column `{}.{}` cannot be added to an existing table", new.name, column.name)),
            None => changes.push(Change::AddColumn { table: new.name.clone(), column: column.clone() }),
            Some(c) if c != column => unsupported.push(format!("column `{}.{}` changed", new.name, column.name)),
            Some(_) => {}
        }
    }
    for column in &old.columns {
        if new.column(&column.name).is_none() {
            unsupported.push(format!("column `{}.{}` was removed", new.name, column.name));
        }
    }
    let same = |a: &Table, b: &Table| {
        (&a.primary_key, &a.unique, &a.foreign_keys, &a.distribution, &a.sort_key, a.backup, &a.indexes, &a.rows)
            == (&b.primary_key, &b.unique, &b.foreign_keys, &b.distribution, &b.sort_key, b.backup, &b.indexes, &b.rows)
            && (&a.description, a.phase) == (&b.description, b.phase)
    };
    if !same(old, new) {
        unsupported
            .push(format!("table `{}` changed (keys, distribution, sort key, indexes, rows or description)", new.name));
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
}
