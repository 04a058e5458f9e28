//! PostgreSQL indexes (Redshift has none): key columns with their order, operator class and
//! collation, the access method, INCLUDE columns, storage parameters, NULLS NOT DISTINCT and
//! a predicate. The defaults are what the server gives an index declared without them, so an
//! index written with columns alone is the plain btree it always was.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    pub name: String,
    pub columns: Vec<IndexColumn>,
    #[serde(default)]
    pub unique: bool,
    #[serde(default, rename = "where")]
    pub predicate: Option<String>,
    /// The access method where it is not btree (`gin`, `gist`, `brin`, `hash`, ...).
    #[serde(default)]
    pub using: Option<String>,
    /// Columns stored in the index beside its key (INCLUDE).
    #[serde(default)]
    pub include: Vec<String>,
    /// Storage parameters, each value as the server stores it (text).
    #[serde(default)]
    pub with: BTreeMap<String, String>,
    /// A unique index on which two rows whose key columns are all NULL collide.
    #[serde(default)]
    pub nulls_not_distinct: bool,
}

impl Index {
    /// A plain btree index on `columns`.
    pub fn new(name: impl Into<String>, columns: Vec<IndexColumn>) -> Index {
        Index {
            name: name.into(),
            columns,
            unique: false,
            predicate: None,
            using: None,
            include: vec![],
            with: BTreeMap::new(),
            nulls_not_distinct: false,
        }
    }
}

/// A key column of an index. The order is kept in one spelling: `nulls_first` only says
/// where NULLs sort, whatever the default of the direction (last ascending, first descending).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexColumn {
    /// The column's name; "" where the key is an `expression`.
    pub column: String,
    /// An expression over the table's columns (`lower(email)`) instead of a column, as one
    /// expression the parser reads (the loader's rule) or as the server prints it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    #[serde(default)]
    pub descending: bool,
    #[serde(default)]
    pub nulls_first: bool,
    /// The operator class where it is not the default of the column's type for the method, as
    /// `Index::using` names are written: `name`, or `schema.name` outside pg_catalog.
    #[serde(default)]
    pub opclass: Option<String>,
    /// The collation where it is not the column's.
    #[serde(default)]
    pub collation: Option<String>,
}

impl IndexColumn {
    /// The column in the default order, without an operator class or collation.
    pub fn named(column: impl Into<String>) -> IndexColumn {
        let column = column.into();
        IndexColumn { column, expression: None, descending: false, nulls_first: false, opclass: None, collation: None }
    }

    /// The column of an entry `column [ASC | DESC] [NULLS FIRST | NULLS LAST]`; None when the
    /// entry holds order words only.
    pub fn parse(entry: &str) -> Option<IndexColumn> {
        let (column, order) = index_entry(entry);
        (!column.is_empty()).then(|| IndexColumn::ordered(column, &order))
    }

    /// The column in the order of the words `order` (`DESC NULLS LAST`; "" for the default).
    pub fn ordered(column: impl Into<String>, order: &str) -> IndexColumn {
        let order = order.to_ascii_uppercase();
        let descending = order.starts_with("DESC");
        let nulls_first = match order.rsplit_once("NULLS ") {
            Some((_, "FIRST")) => true,
            Some(_) => false,
            None => descending,
        };
        IndexColumn { descending, nulls_first, ..IndexColumn::named(column) }
    }

    /// The order words where the order is not the default: ` DESC`, ` NULLS FIRST`,
    /// ` DESC NULLS LAST`, or "".
    pub fn order(&self) -> &'static str {
        match (self.descending, self.nulls_first) {
            (false, false) => "",
            (false, true) => " NULLS FIRST",
            (true, true) => " DESC",
            (true, false) => " DESC NULLS LAST",
        }
    }

    /// The entry as the plain string form writes it: `slug`, `slug DESC`.
    pub fn entry(&self) -> String {
        format!("{}{}", self.column, self.order())
    }

    /// Whether the string form holds all of it (a column, no operator class or collation).
    pub fn is_plain(&self) -> bool {
        self.expression.is_none() && self.opclass.is_none() && self.collation.is_none()
    }

    /// Whether the key reads `column`: it is that column, or an expression naming it.
    pub fn reads(&self, column: &str, grammars: crate::sql::expr::Grammars) -> bool {
        match &self.expression {
            None => self.column == column,
            Some(x) => crate::sql::expr::expression(x, grammars, crate::sql::expr::Role::IndexPredicate)
                .is_ok_and(|e| e.columns().iter().any(|c| c == column)),
        }
    }
}

/// As the server's definition orders it: `slug COLLATE C varchar_pattern_ops DESC`.
impl fmt::Display for IndexColumn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.expression {
            Some(x) => write!(f, "({x})")?,
            None => f.write_str(&self.column)?,
        }
        if let Some(c) = &self.collation {
            write!(f, " COLLATE {c}")?;
        }
        if let Some(o) = &self.opclass {
            write!(f, " {o}")?;
        }
        f.write_str(self.order())
    }
}

/// An index entry `column [ASC | DESC] [NULLS FIRST | NULLS LAST]`: the column (any name, with
/// spaces too: the order is read from the end) and the order words upper-cased, "" if none.
pub fn index_entry(entry: &str) -> (&str, String) {
    const ORDERS: [&str; 8] = [
        "ASC",
        "DESC",
        "NULLS FIRST",
        "NULLS LAST",
        "ASC NULLS FIRST",
        "ASC NULLS LAST",
        "DESC NULLS FIRST",
        "DESC NULLS LAST",
    ];
    let entry = entry.trim();
    let words: Vec<&str> = entry.split_whitespace().collect();
    for k in (1..=3.min(words.len().saturating_sub(1))).rev() {
        let order = words[words.len() - k..].join(" ").to_ascii_uppercase();
        if ORDERS.contains(&order.as_str()) {
            let at = words[words.len() - k].as_ptr() as usize - entry.as_ptr() as usize;
            return (entry[..at].trim_end(), order);
        }
    }
    (entry, String::new())
}

/// A catalog name as the YAML writes an operator class or collation: `name`, or `schema.name`;
/// a part holding a dot or a double quote is double-quoted as in SQL (`"en_US.utf8"`). The
/// parts, or what is wrong with the text.
pub fn catalog_name(text: &str) -> Result<(Option<String>, String), String> {
    let mut parts = Vec::new();
    let mut rest = text;
    loop {
        let (part, after) = match rest.strip_prefix('"') {
            Some(quoted) => {
                let mut part = String::new();
                let mut chars = quoted.char_indices();
                let end = loop {
                    match chars.next() {
                        Some((i, '"')) if quoted[i + 1..].starts_with('"') => {
                            part.push('"');
                            chars.next();
                        }
                        Some((i, '"')) => break i + 1,
                        Some((_, c)) => part.push(c),
                        None => return Err(format!("`{text}`: a double quote is not closed")),
                    }
                };
                (part, &quoted[end..])
            }
            None => {
                let end = rest.find(['.', '"']).unwrap_or(rest.len());
                (rest[..end].to_string(), &rest[end..])
            }
        };
        parts.push(part);
        match after.strip_prefix('.') {
            Some(next) if parts.len() < 2 => rest = next,
            None if after.is_empty() => break,
            _ => return Err(format!("`{text}`: expected `name` or `schema.name`")),
        }
    }
    let name = parts.pop().unwrap_or_default();
    Ok((parts.pop(), name))
}

/// The YAML form of a catalog name (see `catalog_name`); `schema` None in pg_catalog.
pub fn catalog_name_text(schema: Option<&str>, name: &str) -> String {
    let part = |p: &str| if p.contains(['.', '"']) { format!("\"{}\"", p.replace('"', "\"\"")) } else { p.to_string() };
    match schema {
        Some(s) => format!("{}.{}", part(s), part(name)),
        None => part(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_entries_read_their_order_from_the_end() {
        assert_eq!(index_entry("day desc nulls last"), ("day", "DESC NULLS LAST".into()));
        assert_eq!(index_entry("Orders by date DESC"), ("Orders by date", "DESC".into()));
        assert_eq!(index_entry("desc"), ("desc", String::new()));
        assert_eq!(index_entry(" created at "), ("created at", String::new()));
    }

    #[test]
    fn index_columns_have_one_spelling() {
        let entry = |e: &str| IndexColumn::parse(e).unwrap().entry();
        assert_eq!(entry("event_date desc"), "event_date DESC");
        assert_eq!(entry("a ASC NULLS LAST"), "a");
        assert_eq!(entry("a desc nulls first"), "a DESC");
        assert_eq!(entry("a desc nulls last"), "a DESC NULLS LAST");
        assert_eq!(entry("a nulls first"), "a NULLS FIRST");
        assert_eq!(IndexColumn::parse("a ASC"), IndexColumn::parse("a"));
        let c = IndexColumn {
            collation: Some("C".into()),
            opclass: Some("text_pattern_ops".into()),
            ..IndexColumn::parse("a desc").unwrap()
        };
        assert_eq!(c.to_string(), "a COLLATE C text_pattern_ops DESC");
    }

    #[test]
    fn catalog_names_split_at_a_dot_outside_quotes() {
        let split = |t: &str| catalog_name(t).map(|(s, n)| (s.unwrap_or_default(), n));
        assert_eq!(split("varchar_pattern_ops"), Ok((String::new(), "varchar_pattern_ops".into())));
        assert_eq!(split("public.gin_trgm_ops"), Ok(("public".into(), "gin_trgm_ops".into())));
        assert_eq!(split("\"en_US.utf8\""), Ok((String::new(), "en_US.utf8".into())));
        assert_eq!(split("\"my \"\"ns\".C"), Ok(("my \"ns".into(), "C".into())));
        assert_eq!(split("x); DROP TABLE t; --"), Ok((String::new(), "x); DROP TABLE t; --".into())));
        assert!(["a.b.c", "\"a", "a\"b\"", "a.\"b"].iter().all(|t| catalog_name(t).is_err()));
        for (schema, name) in [(None, "en_US.utf8"), (Some("public"), "a\"b"), (Some("x.y"), "C")] {
            let text = catalog_name_text(schema, name);
            assert_eq!(catalog_name(&text), Ok((schema.map(String::from), name.to_string())), "{text}");
        }
    }
}
