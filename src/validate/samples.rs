//! What a failing row shows: its key and the values that make it fail (the checked columns, an
//! orphan's missing parent key, the value a derived column should hold), or for a unique check
//! the duplicated key and its rows, for accepted values each unexpected value and its rows.

use crate::model::{Check, CheckKind, ColumnType, Table};
use crate::sql::expr::{expression, Grammars, Role};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

/// Why the failing rows of a check are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Purpose {
    /// `--samples`: what a person reads to fix the data.
    Show,
    /// `--store-failures` and `--sql`: rows that can be found again in the table.
    Keep,
}

/// How a check's failing rows are listed: the columns of the query, in order, then "expected
/// value" and "rows" when set.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub(super) struct Listing {
    /// What identifies the row: the primary key (else the first column); for a unique check the
    /// duplicated key, which every row of its group shares; none for accepted values' groups.
    pub keys: Vec<String>,
    /// The checked columns' values.
    pub values: Vec<String>,
    /// The value the row should hold follows (derived, lookup, latency).
    pub expected: bool,
    /// Groups of rows, each with its number of rows (`"rows"`), the most rows first.
    pub grouped: bool,
}

/// The listing of a check's failing rows; None for checks that count no rows of their own
/// (freshness, volume).
pub(super) fn listing(table: &Table, check: &Check, purpose: Purpose, grammars: Grammars) -> Option<Listing> {
    let row_key = || match table.primary_key.as_slice() {
        [] => vec![table.columns[0].name.clone()],
        pk => pk.to_vec(),
    };
    let read = |sql: &str, but: &str| -> Vec<String> {
        let columns = expression(sql, grammars, Role::Condition).map(|e| e.columns()).unwrap_or_default();
        let known = |c: &&String| table.column(c).is_some() && c.as_str() != but;
        columns.iter().filter(known).cloned().collect()
    };
    let rows = |values: Vec<String>, expected: bool| Listing { keys: row_key(), values, expected, grouped: false };
    Some(match &check.kind {
        CheckKind::NotNull { column } | CheckKind::Range { column, .. } => rows(vec![column.clone()], false),
        CheckKind::Derived { column, expr } => rows([vec![column.clone()], read(expr, column)].concat(), true),
        CheckKind::Ratio { when: sql, .. } | CheckKind::Condition { sql } => rows(read(sql, ""), false),
        CheckKind::Latency { reported, start, end, .. } => {
            rows(vec![reported.clone(), start.clone(), end.clone()], true)
        }
        CheckKind::Lookup { column, lookup } => {
            let on = lookup.on.iter().map(|(mine, _)| mine.clone());
            rows(std::iter::once(column.clone()).chain(on).collect(), true)
        }
        CheckKind::Relationship { columns, .. } => rows(columns.clone(), false),
        CheckKind::AcceptedValues { column, .. } if purpose == Purpose::Show => {
            Listing { keys: vec![], values: vec![column.clone()], expected: false, grouped: true }
        }
        CheckKind::AcceptedValues { column, .. } => rows(vec![column.clone()], false),
        CheckKind::Unique { columns, .. } => {
            Listing { keys: columns.clone(), values: vec![], expected: false, grouped: true }
        }
        CheckKind::Freshness { .. } | CheckKind::Volume { .. } => return None,
    })
}

/// Column names and their values, in the order of the query (a JSON object keeps it).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fields(pub Vec<(String, Value)>);

impl Fields {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// As one JSON object, for `--store-failures`.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("fields serialise")
    }
}

impl Serialize for Fields {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// One failing row (or group of rows) of a check.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Sample {
    #[serde(skip_serializing_if = "Fields::is_empty")]
    pub key: Fields,
    #[serde(skip_serializing_if = "Fields::is_empty")]
    pub values: Fields,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
}

/// Values longer than this are cut (marked with `…`): a sample is for reading, and a SUPER scalar
/// on Redshift holds at most 64 KB. Keys are never cut: they find the row again.
const MAX_VALUE_CHARS: usize = 1000;

impl Sample {
    /// A row of the listing's query.
    pub(super) fn read(listing: &Listing, table: &Table, check: &Check, row: &[Option<String>]) -> Sample {
        let mut cells = row.iter().map(|v| v.as_deref());
        let mut take = |names: &[String], cut: bool| {
            let fields = names.iter().map(|n| {
                let text = cells.next().flatten();
                let text = text.map(|t| if cut { shortened(t) } else { t.to_string() });
                (n.clone(), typed(table.column(n).map(|c| &c.ty), text.as_deref()))
            });
            Fields(fields.collect())
        };
        let key = take(&listing.keys, false);
        let values = take(&listing.values, true);
        let expected_type = match &check.kind {
            CheckKind::Derived { column, .. } | CheckKind::Lookup { column, .. } => table.column(column),
            CheckKind::Latency { reported, .. } => table.column(reported),
            _ => None,
        };
        let expected = listing.expected.then(|| {
            let text = cells.next().flatten().map(shortened);
            typed(expected_type.map(|c| &c.ty), text.as_deref())
        });
        let rows = listing.grouped.then(|| cells.next().flatten().and_then(|n| n.parse().ok()).unwrap_or(0));
        Sample { key, values, expected, rows }
    }
}

fn shortened(text: &str) -> String {
    match text.char_indices().nth(MAX_VALUE_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// A value as JSON: integers as numbers (exact), booleans as booleans, everything else as the
/// server prints it, so a key reads back with a cast to its column's type.
fn typed(ty: Option<&ColumnType>, text: Option<&str>) -> Value {
    let Some(text) = text else { return Value::Null };
    let number = || text.parse::<i64>().ok().map(Value::from).or_else(|| text.parse::<f64>().ok().map(Value::from));
    match ty {
        Some(ColumnType::SmallInt | ColumnType::Integer | ColumnType::BigInt) => number(),
        Some(ColumnType::Boolean) => match text {
            "t" | "true" => Some(Value::Bool(true)),
            "f" | "false" => Some(Value::Bool(false)),
            _ => None,
        },
        _ => None,
    }
    .unwrap_or_else(|| Value::String(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_keep_their_type_and_long_ones_are_cut() {
        assert_eq!(typed(Some(&ColumnType::BigInt), Some("9007199254740993")), Value::from(9_007_199_254_740_993_i64));
        assert_eq!(typed(Some(&ColumnType::Integer), Some("1200.5")), Value::from(1200.5));
        assert_eq!(typed(Some(&ColumnType::Boolean), Some("t")), Value::Bool(true));
        assert_eq!(typed(Some(&ColumnType::Decimal(18, 2)), Some("1.50")), Value::from("1.50"), "decimals exact");
        assert_eq!(typed(None, None), Value::Null);
        let long = "é".repeat(MAX_VALUE_CHARS + 5);
        assert_eq!(shortened(&long).chars().count(), MAX_VALUE_CHARS + 1);
        assert!(shortened(&long).ends_with('…'));
        assert_eq!(shortened("short"), "short");
    }

    #[test]
    fn fields_serialise_in_query_order() {
        let f = Fields(vec![("b".into(), Value::from(1)), ("a".into(), Value::Null)]);
        assert_eq!(f.to_json(), r#"{"b":1,"a":null}"#);
    }
}
