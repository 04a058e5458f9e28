//! Partitions read with the relations, put under their tables once all are read: a partition
//! whose table shares its namespace and is itself held (its key read back), with a bound read
//! back, is part of the model; any other is reported `unmanaged` with its definition, alone.

use super::attrs::{parse_bound, parse_key, Bound, Partition, Partitioning};
use crate::dialect::catalog::{Builder, Row};
use crate::model::{sibling_key, split_key};
use std::collections::BTreeMap;

/// A partition as `RELATIONS` reads it.
pub(super) struct Read {
    key: String,
    parent: Option<String>,
    bound: Option<Bound>,
    partitioning: Option<Partitioning>,
    definition: String,
}

/// A table's row: its partition key, if any; one `parse_key` cannot read is reported (and its
/// partitions with it).
pub(super) fn table(b: &mut Builder, r: &Row, name: &str) {
    let Some(definition) = r.get("partkey") else { return };
    match parse_key(definition) {
        Some((strategy, key)) => b.table_mut(name).into_iter().for_each(|t| {
            t.postgres.partitioning = Some(Partitioning { strategy, key: key.clone(), partitions: Vec::new() })
        }),
        None => b.unmodelled(name, None, "partition key", None, definition),
    }
}

/// A partition's row (one with `partition_of`), or None for any other.
pub(super) fn read(r: &Row, name: &str) -> Option<Read> {
    let of = r.get("partition_of")?;
    let bound_text = r.text("bound");
    // A sub-partition key the model cannot read back leaves the partition unheld, whole.
    let partitioning = r.get("partkey").map(parse_key);
    let parent = r.get("parent").map(|p| sibling_key(name, p)).filter(|_| !matches!(partitioning, Some(None)));
    let partitioning = partitioning.flatten().map(|(strategy, key)| Partitioning { strategy, key, partitions: vec![] });
    Some(Read {
        key: name.to_string(),
        parent,
        bound: parse_bound(bound_text),
        partitioning,
        definition: format!("PARTITION OF {of} {bound_text}"),
    })
}

/// Each partition under its table (by name, as the loader orders them); the others reported.
pub(super) fn attach(b: &mut Builder, read: Vec<Read>) {
    let mut by_parent: BTreeMap<String, Vec<Read>> = BTreeMap::new();
    let mut stray = Vec::new();
    for r in read {
        match (&r.parent, &r.bound) {
            (Some(parent), Some(_)) => by_parent.entry(parent.clone()).or_default().push(r),
            _ => stray.push(r),
        }
    }
    let tables: Vec<String> =
        b.tables.iter().filter(|(_, t)| t.postgres.partitioning.is_some()).map(|(k, _)| k.clone()).collect();
    for key in tables {
        let partitions = children(&key, &mut by_parent);
        if let Some(p) = b.table_mut(&key).and_then(|t| t.postgres.partitioning.as_mut()) {
            p.partitions = partitions;
        }
    }
    // Those of a table or partition the model does not hold.
    stray.extend(by_parent.into_values().flatten());
    for r in stray {
        b.stray("partition", &r.key, &r.definition);
    }
}

fn children(parent: &str, by_parent: &mut BTreeMap<String, Vec<Read>>) -> Vec<Partition> {
    let mut out = Vec::new();
    for r in by_parent.remove(parent).unwrap_or_default() {
        let partitioning = r.partitioning.map(|mut p| {
            p.partitions = children(&r.key, by_parent);
            Box::new(p)
        });
        let name = split_key(&r.key).1.to_string();
        out.push(Partition { name, bound: r.bound.unwrap_or(Bound::Default), partitioning });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}
