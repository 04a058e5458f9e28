//! Declarative partitioning: a table's rows spread over partitions by a key (`PARTITION BY`),
//! each partition a table of the same columns holding the rows its bound admits, maybe itself
//! partitioned. The catalog prints the key with `pg_get_partkeydef` and a bound with `pg_get_expr`;
//! `parse_key` and `parse_bound` read back what `key_sql` and `bound_sql` write, and anything else
//! is left to be reported unmodelled.

use crate::sql::lexer::{ident_value, significant, string_value, Escapes, Kind, Token};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    Range,
    List,
    Hash,
}

impl Strategy {
    pub fn sql(self) -> &'static str {
        match self {
            Strategy::Range => "RANGE",
            Strategy::List => "LIST",
            Strategy::Hash => "HASH",
        }
    }
}

/// A part of the key: a column, or one expression over the columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyPart {
    #[serde(default)]
    pub column: Option<String>,
    #[serde(default)]
    pub expression: Option<String>,
}

/// How a table is partitioned, and its partitions in the YAML's order (the catalog's is by name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partitioning {
    pub strategy: Strategy,
    pub key: Vec<KeyPart>,
    #[serde(default)]
    pub partitions: Vec<Partition>,
}

/// A partition, named in its table's namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partition {
    pub name: String,
    pub bound: Bound,
    /// Sub-partitioning: this partition's own key and partitions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partitioning: Option<Box<Partitioning>>,
}

/// Which rows a partition holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Bound {
    /// `FROM (..) TO (..)`: lower bound included, upper excluded, one value per key part.
    Range { from: Vec<Value>, to: Vec<Value> },
    /// `IN (..)`.
    List { values: Vec<Value> },
    /// `WITH (MODULUS m, REMAINDER r)`.
    Hash { modulus: u32, remainder: u32 },
    /// The rows no other partition holds.
    Default,
}

/// A bound's value: a constant the server converts to the key's type, or a range's open end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Value {
    Literal(String),
    Null,
    MinValue,
    MaxValue,
}

impl Value {
    fn sql(&self) -> String {
        match self {
            Value::Literal(text) => crate::dialect::Driver::literal(&super::super::Postgres, text),
            Value::Null => "NULL".into(),
            Value::MinValue => "MINVALUE".into(),
            Value::MaxValue => "MAXVALUE".into(),
        }
    }

    /// As the YAML writes it: a range's open ends as the words, NULL as `null`.
    pub fn shown(&self) -> String {
        match self {
            Value::Literal(text) => text.clone(),
            Value::Null => "null".into(),
            Value::MinValue => "MINVALUE".into(),
            Value::MaxValue => "MAXVALUE".into(),
        }
    }
}

fn values_sql(values: &[Value]) -> String {
    values.iter().map(Value::sql).collect::<Vec<_>>().join(", ")
}

impl Bound {
    /// As SQL after the partition's name (`FOR VALUES FROM ('a') TO ('b')`, `DEFAULT`).
    pub fn sql(&self) -> String {
        match self {
            Bound::Range { from, to } => format!("FOR VALUES FROM ({}) TO ({})", values_sql(from), values_sql(to)),
            Bound::List { values } => format!("FOR VALUES IN ({})", values_sql(values)),
            Bound::Hash { modulus, remainder } => format!("FOR VALUES WITH (MODULUS {modulus}, REMAINDER {remainder})"),
            Bound::Default => "DEFAULT".into(),
        }
    }
}

impl Partitioning {
    /// `RANGE ("day", (lower(name)))`: each column quoted, each expression in parentheses
    /// (the server keeps `(column)` a column).
    pub fn key_sql(&self) -> String {
        let parts: Vec<String> = self.key.iter().map(|p| super::element_sql(&p.column, &p.expression)).collect();
        format!("{} ({})", self.strategy.sql(), parts.join(", "))
    }

    /// What creating each partition of table `key` takes, sub-partitions after their parent.
    pub fn created(&self, key: &str) -> Vec<Created> {
        let mut out = Vec::new();
        for p in &self.partitions {
            let name = crate::model::sibling_key(key, &p.name);
            let by = p.partitioning.as_ref().map(|s| s.key_sql());
            out.push(Created { name: name.clone(), parent: key.to_string(), bound: p.bound.sql(), by });
            if let Some(sub) = &p.partitioning {
                out.extend(sub.created(&name));
            }
        }
        out
    }

    /// The partitions as a finding shows them: `p1 FOR VALUES IN ('a'); p2 DEFAULT`.
    pub fn text(&self) -> String {
        let partitions: Vec<String> = self
            .partitions
            .iter()
            .map(|p| {
                let sub = p.partitioning.as_ref().map(|s| format!(" PARTITION BY {} [{}]", s.key_sql(), s.text()));
                format!("{} {}{}", p.name, p.bound.sql(), sub.unwrap_or_default())
            })
            .collect();
        if partitions.is_empty() {
            "none".into()
        } else {
            partitions.join("; ")
        }
    }
}

/// A partition as its CREATE TABLE ... PARTITION OF takes it: its key and its table's, its bound,
/// and its own `PARTITION BY` if it has sub-partitions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Created {
    pub name: String,
    pub parent: String,
    pub bound: String,
    pub by: Option<String>,
}

/// What a migration does to one partition of a kept table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PartitionChange {
    /// DROP TABLE, with its rows (and its sub-partitions).
    Drop(String),
    /// DETACH, before any ATTACH: a new bound may take over another's old range.
    Detach(Created),
    /// ATTACH with the new bound, which proves the rows fit it.
    Attach(Created),
    /// CREATE TABLE ... PARTITION OF, then the table's column statistics targets, which a new
    /// partition does not take from it: `(column, target)`.
    Create(Created, Vec<(String, i32)>),
}

impl PartitionChange {
    pub fn describe(&self, q: impl Fn(&str) -> String) -> String {
        match self {
            PartitionChange::Drop(name) => format!("drop partition {}", q(name)),
            PartitionChange::Detach(p) => format!("detach partition {}", q(&p.name)),
            PartitionChange::Attach(p) => format!("attach partition {} {}", q(&p.name), p.bound),
            PartitionChange::Create(p, _) => format!("create partition {} {}", q(&p.name), p.bound),
        }
    }
}

/// The items of a parenthesised, comma-separated list starting at `tokens[0]` (`(`), each as
/// its tokens, and the index after the closing parenthesis.
fn list<'a>(tokens: &[Token<'a>]) -> Option<(Vec<Vec<Token<'a>>>, usize)> {
    if !tokens.first()?.is_punct('(') {
        return None;
    }
    let (mut depth, mut items, mut item) = (0usize, Vec::new(), Vec::new());
    for (i, t) in tokens.iter().enumerate().skip(1) {
        match () {
            _ if t.is_punct('(') => depth += 1,
            _ if t.is_punct(')') && depth == 0 => {
                items.push(std::mem::take(&mut item));
                return Some((items, i + 1));
            }
            _ if t.is_punct(')') => depth -= 1,
            _ if t.is_punct(',') && depth == 0 => {
                items.push(std::mem::take(&mut item));
                continue;
            }
            _ => {}
        }
        item.push(*t);
    }
    None
}

/// `pg_get_partkeydef`'s `RANGE (a, lower(b))`: a part that is one identifier is a column, any
/// other the expression printed (`text` slices it out whole); None for another form.
pub fn parse_key(definition: &str) -> Option<(Strategy, Vec<KeyPart>)> {
    let tokens: Vec<Token> = significant(definition, Escapes::Standard).collect();
    let first = tokens.first()?;
    let strategy = [Strategy::Range, Strategy::List, Strategy::Hash].into_iter().find(|s| first.is_word(s.sql()))?;
    let (items, end) = list(&tokens[1..])?;
    if end + 1 != tokens.len() {
        return None;
    }
    let mut key = Vec::new();
    for item in items {
        let (first, last) = (item.first()?, item.last()?);
        key.push(match (item.len(), ident_value(first)) {
            (1, Some(column)) => KeyPart { column: Some(column), expression: None },
            _ => {
                // A column with its operator class (`a text_pattern_ops`) is no expression.
                let text = &definition[first.start..last.start + last.text.len()];
                let grammars = crate::dialect::Driver::grammars(&super::super::Postgres);
                crate::sql::expr::expression(text, grammars, crate::sql::expr::Role::IndexPredicate).ok()?;
                KeyPart { column: None, expression: Some(text.to_string()) }
            }
        });
    }
    Some((strategy, key))
}

/// One printed constant: a string, a number (maybe negative), `true`/`false`, or the words.
fn value(item: &[Token]) -> Option<Value> {
    match item {
        [t] if t.kind == Kind::String => string_value(t, Escapes::Standard).map(Value::Literal),
        [t] if t.kind == Kind::Number => Some(Value::Literal(t.text.to_string())),
        [sign, t] if sign.text == "-" && t.kind == Kind::Number => Some(Value::Literal(format!("-{}", t.text))),
        [t] if t.is_word("NULL") => Some(Value::Null),
        [t] if t.is_word("MINVALUE") => Some(Value::MinValue),
        [t] if t.is_word("MAXVALUE") => Some(Value::MaxValue),
        [t] if t.is_word("true") || t.is_word("false") => Some(Value::Literal(t.text.to_ascii_lowercase())),
        _ => None,
    }
}

fn values(items: &[Vec<Token>]) -> Option<Vec<Value>> {
    items.iter().map(|i| value(i)).collect()
}

/// A bound as `pg_get_expr(relpartbound)` prints it; None for another form.
pub fn parse_bound(definition: &str) -> Option<Bound> {
    let tokens: Vec<Token> = significant(definition, Escapes::Standard).collect();
    let word = |at: usize, w: &str| tokens.get(at).is_some_and(|t| t.is_word(w));
    if word(0, "DEFAULT") && tokens.len() == 1 {
        return Some(Bound::Default);
    }
    if !(word(0, "FOR") && word(1, "VALUES")) {
        return None;
    }
    let rest = tokens.get(3..)?;
    let (bound, end) = match tokens.get(2) {
        Some(t) if t.is_word("IN") => {
            let (items, end) = list(rest)?;
            (Bound::List { values: values(&items)? }, end)
        }
        Some(t) if t.is_word("FROM") => {
            let (from, end) = list(rest)?;
            if !rest.get(end)?.is_word("TO") {
                return None;
            }
            let (to, after) = list(&rest[end + 1..])?;
            (Bound::Range { from: values(&from)?, to: values(&to)? }, end + 1 + after)
        }
        Some(t) if t.is_word("WITH") => {
            let (items, end) = list(rest)?;
            let number = |item: &Vec<Token>, w: &str| match item.as_slice() {
                [k, n] if k.is_word(w) && n.kind == Kind::Number => n.text.parse::<u32>().ok(),
                _ => None,
            };
            match items.as_slice() {
                [m, r] => (Bound::Hash { modulus: number(m, "modulus")?, remainder: number(r, "remainder")? }, end),
                _ => return None,
            }
        }
        _ => return None,
    };
    (end == rest.len()).then_some(bound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_read_back_as_written() {
        let (strategy, key) = parse_key("RANGE (viewed_at, lower((name)::text), \"Day\")").unwrap();
        assert_eq!(strategy, Strategy::Range);
        assert_eq!(key[0].column.as_deref(), Some("viewed_at"));
        assert_eq!(key[1].expression.as_deref(), Some("lower((name)::text)"));
        assert_eq!(key[2].column.as_deref(), Some("Day"));
        let p = Partitioning { strategy, key, partitions: vec![] };
        assert_eq!(p.key_sql(), "RANGE (\"viewed_at\", (lower((name)::text)), \"Day\")");
        assert_eq!(parse_key("LIST (kind)").unwrap().0, Strategy::List);
        assert!(parse_key("RANGE (a) x").is_none());
        assert!(parse_key("RANGE (a text_pattern_ops)").is_none());
        assert!(parse_bound("FOR VALUES").is_none());
        assert!(parse_key("TREE (a)").is_none());
    }

    #[test]
    fn bounds_read_back_as_written() {
        let cases = [
            "FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2024-02-01 00:00:00+00')",
            "FOR VALUES FROM (MINVALUE, 1) TO (-5, MAXVALUE)",
            "FOR VALUES IN ('humidity', 'it''s', NULL, true)",
            "FOR VALUES WITH (modulus 2, remainder 0)",
            "DEFAULT",
        ];
        for case in cases {
            let bound = parse_bound(case).unwrap_or_else(|| panic!("{case}"));
            assert_eq!(parse_bound(&bound.sql()), Some(bound.clone()), "{case}");
        }
        let list = parse_bound(cases[2]).unwrap();
        assert_eq!(list.sql(), "FOR VALUES IN ('humidity', 'it''s', NULL, 'true')");
        for odd in ["FOR VALUES IN ('a'::text)", "FOR VALUES FROM (1) TO (2) x", "DEFAULT x", "FOR VALUES WITH (m 1)"] {
            assert_eq!(parse_bound(odd), None, "{odd}");
        }
    }
}
