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
    let by_name: BTreeMap<&str, &Table> = tables.iter().map(|t| (t.name.as_str(), t)).collect();
    order.iter().filter_map(|n| by_name.get(n).copied()).collect()
}

/// Views ordered after the views they read, or the names forming a cycle.
pub fn view_order(views: &[View]) -> Result<Vec<&View>, Vec<String>> {
    let deps = views.iter().map(|v| (v.name.as_str(), v.depends_on.iter().map(String::as_str).collect())).collect();
    let order = topo(deps)?;
    let by_name: BTreeMap<&str, &View> = views.iter().map(|v| (v.name.as_str(), v)).collect();
    Ok(order.iter().filter_map(|n| by_name.get(n).copied()).collect())
}

/// Views in dependency order, or as given when they form a cycle (the loader reports cycles).
pub fn views_in_order(views: &[View]) -> Vec<&View> {
    view_order(views).unwrap_or_else(|_| views.iter().collect())
}

/// The names of the materialized views in refresh order (a view after the views it reads).
pub fn materialized(views: &[View]) -> Vec<String> {
    views_in_order(views).into_iter().filter(|v| v.materialized).map(|v| v.name.clone()).collect()
}

/// Kahn's algorithm over names (dependencies outside the set are ignored), in rounds: each
/// round takes every name whose dependencies are all placed, smallest name first, so the order
/// is deterministic. Linear in names and edges (plus sorting each round).
fn topo<'a>(deps: BTreeMap<&'a str, BTreeSet<&'a str>>) -> Result<Vec<&'a str>, Vec<String>> {
    let mut waiting: BTreeMap<&str, usize> = BTreeMap::new();
    let mut dependents: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (n, d) in &deps {
        let inside: Vec<&str> = d.iter().copied().filter(|x| deps.contains_key(x)).collect();
        waiting.insert(n, inside.len());
        inside.into_iter().for_each(|x| dependents.entry(x).or_default().push(n));
    }
    let mut round: Vec<&str> = waiting.iter().filter(|(_, w)| **w == 0).map(|(n, _)| *n).collect();
    let mut order = Vec::with_capacity(deps.len());
    while !round.is_empty() {
        let mut next = Vec::new();
        for n in &round {
            for m in dependents.get(n).into_iter().flatten() {
                let w = waiting.get_mut(m).expect("every dependent is a name");
                *w -= 1;
                if *w == 0 {
                    next.push(*m);
                }
            }
        }
        order.append(&mut round);
        next.sort_unstable();
        round = next;
    }
    if order.len() < deps.len() {
        let placed: BTreeSet<&str> = order.iter().copied().collect();
        return Err(deps.keys().filter(|n| !placed.contains(*n)).map(|s| s.to_string()).collect());
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
