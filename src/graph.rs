//! Dependency orders: tables after the tables their foreign keys reference, views after what
//! they read. Used by the loader (cycles), the lowering (create and drop order), refresh and
//! seed.

use crate::model::{Table, View};
use std::collections::{BTreeMap, BTreeSet};

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

/// Views in dependency order, or as given when they form a cycle (the loader reports cycles).
pub fn views_in_order(views: &[View]) -> Vec<&View> {
    view_order(views).unwrap_or_else(|_| views.iter().collect())
}

/// The names of the materialized views in refresh order (a view after the views it reads).
pub fn materialized(views: &[View]) -> Vec<String> {
    views_in_order(views).into_iter().filter(|v| v.materialized).map(|v| v.name.clone()).collect()
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
