//! `partition_by:` and `partitions:` of a table → `postgres::attrs::Partitioning`. A key part is
//! a column of the table or one expression over its columns; a bound's values are constants
//! (each quoted as a literal when rendered, so no text of theirs is SQL); each partition's
//! bound has the form its strategy takes, as PostgreSQL requires.

use super::docs::{ParameterDoc, PartitionByDoc, PartitionDoc};
use super::project::Loader;
use super::Source;
use crate::dialect::postgres::attrs::{Bound, KeyPart, Partition, Partitioning, Strategy, Value};
use crate::sql::expr::Role;
use std::collections::BTreeSet;

impl Loader<'_> {
    /// The partitioning of `table` (columns `cols`) that `by` and `partitions` declare at `path`
    /// (`""` for the table, `partitions.0.` for a partition); `names` collects the partitions'.
    pub(super) fn partitioning(
        &mut self,
        src: &Source,
        path: &str,
        (by, partitions): (Option<&PartitionByDoc>, &[PartitionDoc]),
        (table, cols): (&str, &[&str]),
        names: &mut BTreeSet<String>,
    ) -> Option<Partitioning> {
        let Some(by) = by else {
            if !partitions.is_empty() {
                self.at(src, &format!("{path}partitions"), "`partitions` needs `partition_by` (how rows are spread)");
            }
            return None;
        };
        let at = format!("{path}partition_by");
        let forms = [(Strategy::Range, &by.range), (Strategy::List, &by.list), (Strategy::Hash, &by.hash)];
        let mut given = forms.into_iter().filter_map(|(s, parts)| Some((s, parts.as_ref()?)));
        let (Some((strategy, parts)), None) = (given.next(), given.next()) else {
            self.at(src, &at, "`partition_by` takes one of `range`, `list` and `hash`");
            return None;
        };
        let at = format!("{at}.{}", strategy.sql().to_lowercase());
        if parts.is_empty() || (strategy == Strategy::List && parts.len() > 1) {
            let many = if strategy == Strategy::List { "one column or expression" } else { "a column or more" };
            self.at(src, &at, format!("a {} partition key takes {many}", strategy.sql()));
        }
        let mut key = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            key.push(match cols.contains(&part.as_str()) {
                true => KeyPart { column: Some(part.clone()), expression: None },
                false => {
                    self.expression_over(
                        src,
                        &format!("{at}.{i}"),
                        "partition_by",
                        part,
                        Role::IndexPredicate,
                        table,
                        cols,
                    );
                    KeyPart { column: None, expression: Some(part.clone()) }
                }
            });
        }
        let mut out = Partitioning { strategy, key, partitions: Vec::new() };
        for (i, doc) in partitions.iter().enumerate() {
            let at = format!("{path}partitions.{i}.");
            self.name(src, &format!("{at}name"), &doc.name);
            if doc.name == table {
                self.at(src, &format!("{at}name"), format!("partition `{}` has the name of its table", doc.name));
            } else if !names.insert(doc.name.clone()) {
                self.at(src, &format!("{at}name"), format!("partition `{}` is declared twice", doc.name));
            }
            let bound = self.bound(src, &at, doc, &out);
            let sub = (doc.partition_by.as_ref(), doc.partitions.as_slice());
            let partitioning = self.partitioning(src, &at, sub, (table, cols), names).map(Box::new);
            out.partitions.push(Partition {
                name: doc.name.clone(),
                bound: bound.unwrap_or(Bound::Default),
                partitioning,
            });
        }
        // By name, as the catalog reads them.
        out.partitions.sort_by(|a, b| a.name.cmp(&b.name));
        Some(out)
    }

    /// The bound of partition `doc` at `at` of `parent`'s partitions: the form its strategy
    /// takes, a value per key part for a range, a remainder below the modulus for a hash.
    fn bound(&mut self, src: &Source, at: &str, doc: &PartitionDoc, parent: &Partitioning) -> Option<Bound> {
        let given = |on: bool, key: &'static str| on.then_some(key);
        let keys: Vec<&str> = [
            given(doc.from.is_some(), "from"),
            given(doc.to.is_some(), "to"),
            given(doc.values.is_some(), "in"),
            given(doc.modulus.is_some(), "modulus"),
            given(doc.remainder.is_some(), "remainder"),
            given(doc.default, "default"),
        ]
        .into_iter()
        .flatten()
        .collect();
        let (wanted, form): (&[&str], &str) = match parent.strategy {
            _ if doc.default => (&["default"], "`default: true`"),
            Strategy::Range => (&["from", "to"], "`from` and `to`"),
            Strategy::List => (&["in"], "`in`"),
            Strategy::Hash => (&["modulus", "remainder"], "`modulus` and `remainder`"),
        };
        if keys != wanted || (doc.default && parent.strategy == Strategy::Hash) {
            let strategy = parent.strategy.sql();
            let message =
                format!("a partition of a {strategy} partitioned table takes {form} (found: {})", keys.join(", "));
            let message = match doc.default && parent.strategy == Strategy::Hash {
                true => format!("a {strategy} partitioned table has no default partition"),
                false => message,
            };
            self.at(src, &format!("{at}name"), message);
            return None;
        }
        let parts = parent.key.len();
        let mut values = |key: &str, docs: &[Option<ParameterDoc>], open: bool| -> Option<Vec<Value>> {
            let path = format!("{at}{key}");
            if open && docs.len() != parts {
                self.at(src, &path, format!("`{key}` takes one value per part of the partition key ({parts})"));
                return None;
            }
            if docs.is_empty() {
                self.at(src, &path, format!("`{key}` takes a value or more"));
                return None;
            }
            let value = |d: &Option<ParameterDoc>| match d {
                None if !open => Some(Value::Null),
                None => None,
                Some(ParameterDoc::Word(w)) if open && w == "MINVALUE" => Some(Value::MinValue),
                Some(ParameterDoc::Word(w)) if open && w == "MAXVALUE" => Some(Value::MaxValue),
                Some(ParameterDoc::Word(w)) => Some(Value::Literal(w.clone())),
                Some(ParameterDoc::Flag(b)) => Some(Value::Literal(b.to_string())),
                Some(ParameterDoc::Integer(n)) => Some(Value::Literal(n.to_string())),
                Some(ParameterDoc::Number(x)) if x.is_finite() => Some(Value::Literal(x.to_string())),
                Some(ParameterDoc::Number(_)) => None,
            };
            let out: Option<Vec<Value>> = docs.iter().map(value).collect();
            if out.is_none() {
                let what =
                    if open { "a value, MINVALUE or MAXVALUE (a range holds no NULL)" } else { "a value or null" };
                self.at(src, &path, format!("each of `{key}` is {what}"));
            }
            out
        };
        match (parent.strategy, &doc.from, &doc.to, &doc.values, doc.modulus, doc.remainder) {
            _ if doc.default => Some(Bound::Default),
            (Strategy::Range, Some(from), Some(to), ..) => {
                let (from, to) = (values("from", from, true), values("to", to, true));
                Some(Bound::Range { from: from?, to: to? })
            }
            (Strategy::List, _, _, Some(list), ..) => Some(Bound::List { values: values("in", list, false)? }),
            (_, _, _, _, Some(modulus), Some(remainder)) if modulus == 0 || remainder >= modulus => {
                self.at(src, &format!("{at}remainder"), "`remainder` is below `modulus`, which is at least 1");
                None
            }
            (_, _, _, _, Some(modulus), Some(remainder)) => Some(Bound::Hash { modulus, remainder }),
            _ => None,
        }
    }
}
