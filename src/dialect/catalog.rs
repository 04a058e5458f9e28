//! Live database → model, the parts both dialects share. Each driver reads its catalog with a
//! fixed number of queries (one per catalog source, filtered to the namespace on the server)
//! whatever the number of tables, and the rows are joined in Rust. The SQL of a dialect lives in
//! its driver's `catalog` module and nowhere else; this module holds the session that counts
//! round trips, text rows, the assembly of rows into tables and views, and the parsers for
//! constraint definitions and view bodies.

use crate::error::{describe, Error, Result};
use crate::model::*;
use std::collections::{BTreeMap, BTreeSet};

/// What the catalog shows of the managed namespace.
#[derive(Debug, Clone)]
pub struct Live {
    /// Tables and views in model form (phase 1; no rows or checks: the catalog holds neither).
    pub project: Project,
    /// Properties the catalog does not show for an object (e.g. whether an empty Redshift table
    /// is on SORTKEY AUTO or has none): diff does not compare them.
    pub unknown: BTreeSet<(String, Unknown)>,
    /// Columns of a type the YAML format cannot express: (table, column, type as printed).
    pub foreign_types: Vec<(String, String, String)>,
    /// Materialized views the server says it can no longer refresh: (name, why).
    pub broken: Vec<(String, String)>,
    /// Sources that could not be read or objects that could not be normalised, and the effect.
    pub warnings: Vec<String>,
    /// Round trips to the server: constant, whatever the size of the schema.
    pub queries: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Unknown {
    /// Whether the table is on ENCODE AUTO (its columns' current encodings are known).
    EncodeAuto,
    /// SORTKEY AUTO or no sort key.
    SortKey,
    Backup,
    AutoRefresh,
}

impl std::fmt::Display for Unknown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Unknown::EncodeAuto => "whether the table is on ENCODE AUTO (encodings written as found)",
            Unknown::SortKey => "SORTKEY AUTO or none (written as auto)",
            Unknown::Backup => "BACKUP (written as yes)",
            Unknown::AutoRefresh => "AUTO REFRESH (written as no)",
        })
    }
}

/// A connection that counts its round trips. Everything goes through the simple protocol: text
/// results need no type lookups, which Redshift's catalog does not always support.
pub struct Session<'a> {
    client: &'a mut ::postgres::Client,
    pub queries: usize,
}

impl<'a> Session<'a> {
    pub fn new(client: &'a mut ::postgres::Client) -> Session<'a> {
        Session { client, queries: 0 }
    }

    pub fn rows(&mut self, sql: &str) -> Result<Rows> {
        self.queries += 1;
        let messages = self
            .client
            .simple_query(sql)
            .map_err(|e| Error::Catalog(format!("reading the catalog: {}", describe(&e))))?;
        let mut rows = Rows::default();
        for message in messages {
            match message {
                ::postgres::SimpleQueryMessage::RowDescription(columns) => {
                    rows.columns = columns.iter().map(|c| c.name().to_string()).collect();
                }
                ::postgres::SimpleQueryMessage::Row(row) => {
                    rows.data.push((0..row.len()).map(|i| row.get(i).map(str::to_string)).collect());
                }
                _ => {}
            }
        }
        Ok(rows)
    }

    /// Runs statements; the error is the server's message.
    pub fn execute(&mut self, sql: &str) -> std::result::Result<(), String> {
        self.queries += 1;
        self.client.batch_execute(sql).map_err(|e| describe(&e))
    }
}

/// The text rows of one query, read by column name.
#[derive(Debug, Default, Clone)]
pub struct Rows {
    columns: Vec<String>,
    data: Vec<Vec<Option<String>>>,
}

impl Rows {
    pub fn new(columns: &[&str], data: Vec<Vec<Option<String>>>) -> Rows {
        Rows { columns: columns.iter().map(|c| c.to_string()).collect(), data }
    }

    pub fn iter(&self) -> impl Iterator<Item = Row<'_>> {
        (0..self.data.len()).map(move |i| Row { rows: self, i })
    }
}

#[derive(Clone, Copy)]
pub struct Row<'a> {
    rows: &'a Rows,
    i: usize,
}

impl<'a> Row<'a> {
    /// The value, None for NULL. Panics on a column the query does not select (a bug).
    pub fn get(&self, column: &str) -> Option<&'a str> {
        let j = self.rows.columns.iter().position(|c| c == column);
        let j = j.unwrap_or_else(|| panic!("catalog query has no column `{column}`"));
        self.rows.data[self.i][j].as_deref()
    }

    pub fn text(&self, column: &str) -> &'a str {
        self.get(column).unwrap_or("")
    }

    pub fn int(&self, column: &str) -> Option<i64> {
        self.get(column).and_then(|v| v.trim().parse().ok())
    }

    /// Booleans as either server prints them (`t`, `true`, `1`, `y`).
    pub fn flag(&self, column: &str) -> bool {
        matches!(
            self.get(column).map(|v| v.trim().to_ascii_lowercase()).as_deref(),
            Some("t" | "true" | "1" | "y" | "yes")
        )
    }
}

/// Rows of both dialects joined into tables and views.
pub(in crate::dialect) struct Builder {
    namespace: String,
    pub(in crate::dialect) tables: BTreeMap<String, Table>,
    pub(in crate::dialect) views: BTreeMap<String, View>,
    pub(in crate::dialect) live: Live,
}

impl Builder {
    pub(in crate::dialect) fn new(namespace: &str, dialect: Dialect) -> Builder {
        let project = Project {
            name: namespace.to_string(),
            namespace: namespace.to_string(),
            dialects: vec![dialect],
            phases: vec![1],
            ignore: vec![],
            // Procedures are not read from the catalog; diff does not compare them.
            refresh_procedure: None,
            tables: vec![],
            views: vec![],
        };
        let live = Live {
            project,
            unknown: BTreeSet::new(),
            foreign_types: vec![],
            broken: vec![],
            warnings: vec![],
            queries: 0,
        };
        Builder { namespace: namespace.to_string(), tables: BTreeMap::new(), views: BTreeMap::new(), live }
    }

    /// A table of the namespace; the tool's own bookkeeping tables are not part of the model.
    pub(in crate::dialect) fn table(&mut self, name: &str, description: Option<&str>) {
        if crate::layout::INTERNAL_TABLES.contains(&name) {
            return;
        }
        let table = Table {
            name: name.to_string(),
            phase: 1,
            description: description.map(str::to_string),
            columns: vec![],
            primary_key: vec![],
            unique: vec![],
            foreign_keys: vec![],
            distribution: Distribution::Auto,
            sort_key: SortKey::AUTO,
            backup: true,
            indexes: vec![],
            rows: vec![],
            checks: vec![],
        };
        self.tables.insert(name.to_string(), table);
    }

    pub(in crate::dialect) fn view(&mut self, name: &str, materialized: bool, description: Option<&str>) {
        let view = View {
            name: name.to_string(),
            materialized,
            phase: 1,
            description: description.map(str::to_string),
            sql: String::new(),
            depends_on: vec![],
            backup: true,
            auto_refresh: false,
            distribution: Distribution::Even,
            sort_key: SortKey { kind: SortKind::Compound, columns: vec![] },
            indexes: vec![],
        };
        self.views.insert(name.to_string(), view);
    }

    pub(in crate::dialect) fn view_body(&mut self, name: &str, sql: String, depends_on: Vec<String>) {
        if let Some(v) = self.views.get_mut(name) {
            v.sql = sql;
            v.depends_on = depends_on;
        }
    }

    /// The column's type, or None (recorded) when the model cannot express it.
    pub(in crate::dialect) fn column_type(&mut self, table: &str, column: &str, printed: &str) -> Option<ColumnType> {
        let parsed = ColumnType::parse(printed).ok();
        if parsed.is_none() && self.tables.contains_key(table) {
            self.live.foreign_types.push((table.to_string(), column.to_string(), printed.to_string()));
        }
        parsed
    }

    pub(in crate::dialect) fn column(&mut self, table: &str, column: Column) {
        if let Some(t) = self.tables.get_mut(table) {
            t.columns.push(column);
        }
    }

    /// A PRIMARY KEY, UNIQUE or FOREIGN KEY definition as `pg_get_constraintdef` prints it.
    pub(in crate::dialect) fn constraint(&mut self, table: &str, definition: &str) {
        let Some(t) = self.tables.get_mut(table) else { return };
        match parse_constraint(definition) {
            Some(Constraint::PrimaryKey(columns)) => t.primary_key = columns,
            Some(Constraint::Unique(columns)) => t.unique.push(columns),
            Some(Constraint::ForeignKey { columns, schema, table, references }) => {
                let table = match schema {
                    Some(s) if s != self.namespace => format!("{s}.{table}"),
                    _ => table,
                };
                t.foreign_keys.push(ForeignKey { columns, table, references });
            }
            None => self.live.warnings.push(format!("{table}: constraint `{definition}` is not understood; ignored")),
        }
    }

    pub(in crate::dialect) fn index(&mut self, owner: &str, index: Index) {
        if let Some(t) = self.tables.get_mut(owner) {
            t.indexes.push(index);
        } else if let Some(v) = self.views.get_mut(owner) {
            v.indexes.push(index);
        }
    }

    pub(in crate::dialect) fn unknown(&mut self, object: &str, what: Unknown) {
        self.live.unknown.insert((object.to_string(), what));
    }

    pub(in crate::dialect) fn finish(mut self) -> Live {
        self.live.project.tables = self.tables.into_values().collect();
        self.live.project.views = self.views.into_values().collect();
        self.live
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Constraint {
    PrimaryKey(Vec<String>),
    Unique(Vec<String>),
    ForeignKey { columns: Vec<String>, schema: Option<String>, table: String, references: Vec<String> },
}

/// Parses `PRIMARY KEY (a, b)`, `UNIQUE [NULLS NOT DISTINCT] (a)` and
/// `FOREIGN KEY (a) REFERENCES [schema.]t(b) [ON DELETE ...]` as both dialects print them.
/// Options the model does not hold (ON DELETE, DEFERRABLE, INCLUDE, ...) are ignored.
pub fn parse_constraint(definition: &str) -> Option<Constraint> {
    let text = definition.trim();
    if let Some(rest) = strip_keyword(text, "PRIMARY KEY") {
        return Some(Constraint::PrimaryKey(ident_list(rest)?.0));
    }
    if let Some(rest) = strip_keyword(text, "UNIQUE") {
        return Some(Constraint::Unique(ident_list(&rest[rest.find('(')?..])?.0));
    }
    let rest = strip_keyword(text, "FOREIGN KEY")?;
    let (columns, rest) = ident_list(rest)?;
    let rest = strip_keyword(rest.trim_start(), "REFERENCES")?;
    let (first, rest) = identifier(rest)?;
    let (schema, table, rest) = match rest.strip_prefix('.') {
        Some(rest) => {
            let (table, rest) = identifier(rest)?;
            (Some(first), table, rest)
        }
        None => (None, first, rest),
    };
    let references = ident_list(rest).map(|(r, _)| r).unwrap_or_default();
    Some(Constraint::ForeignKey { columns, schema, table, references })
}

pub(in crate::dialect) fn strip_keyword<'a>(text: &'a str, keyword: &str) -> Option<&'a str> {
    text.get(..keyword.len()).filter(|head| head.eq_ignore_ascii_case(keyword)).map(|_| &text[keyword.len()..])
}

/// `(a, "B", c)` at the start of `text` → the names and the text after `)`.
pub(in crate::dialect) fn ident_list(text: &str) -> Option<(Vec<String>, &str)> {
    let mut rest = text.trim_start().strip_prefix('(')?;
    let mut names = Vec::new();
    loop {
        let (name, after) = identifier(rest)?;
        names.push(name);
        let after = after.trim_start();
        if let Some(after) = after.strip_prefix(',') {
            rest = after;
        } else {
            return Some((names, after.strip_prefix(')')?));
        }
    }
}

/// A bare or double-quoted identifier at the start of `text` (after spaces).
pub(in crate::dialect) fn identifier(text: &str) -> Option<(String, &str)> {
    let text = text.trim_start();
    if let Some(quoted) = text.strip_prefix('"') {
        let mut name = String::new();
        let mut chars = quoted.char_indices();
        while let Some((i, c)) = chars.next() {
            if c != '"' {
                name.push(c);
            } else if quoted[i + 1..].starts_with('"') {
                name.push('"');
                chars.next();
            } else {
                return Some((name, &quoted[i + 1..]));
            }
        }
        return None;
    }
    let end = text.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$')).unwrap_or(text.len());
    (end > 0 && !text.starts_with(|c: char| c.is_ascii_digit())).then(|| (text[..end].to_string(), &text[end..]))
}

/// Turns the namespace-qualified names of `objects` in a view body as the server prints it
/// (`ns.t` or `"ns"."t"`) into `{{ ref('t') }}`, the form YAML bodies use, and returns the body
/// with the names replaced, sorted. String literals are left alone.
pub fn to_refs(sql: &str, namespace: &str, objects: &BTreeSet<String>) -> (String, Vec<String>) {
    let bytes = sql.as_bytes();
    let (mut out, mut copied, mut i) = (String::with_capacity(sql.len()), 0, 0);
    let mut refs = BTreeSet::new();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80;
    while i < bytes.len() {
        let starts_name =
            (bytes[i] == b'"' || word(bytes[i])) && (i == 0 || !(word(bytes[i - 1]) || bytes[i - 1] == b'.'));
        if bytes[i] == b'\'' {
            i += sql[i + 1..].find('\'').map_or(bytes.len(), |j| j + 2);
        } else if let Some((schema, rest)) = starts_name.then(|| identifier(&sql[i..])).flatten() {
            let after_schema = sql.len() - rest.len();
            let qualified = rest.strip_prefix('.').and_then(identifier);
            match qualified {
                Some((name, rest)) if schema == namespace && objects.contains(&name) && !rest.starts_with('.') => {
                    out.push_str(&sql[copied..i]);
                    out.push_str(&format!("{{{{ ref('{name}') }}}}"));
                    i = sql.len() - rest.len();
                    copied = i;
                    refs.insert(name);
                }
                _ => i = after_schema,
            }
        } else {
            i += 1;
        }
    }
    out.push_str(&sql[copied..]);
    (out, refs.into_iter().collect())
}

/// Puts the items the YAML also has in the YAML's order, the others after them: column order is
/// not drift (a column added later sits last in the database), but the DDL diff reads better.
pub(in crate::dialect) fn order_like<T>(live: &mut [T], desired: &[T], same: impl Fn(&T, &T) -> bool) {
    live.sort_by_key(|l| desired.iter().position(|d| same(l, d)).unwrap_or(usize::MAX));
}

/// Index columns in one spelling: the column, then ` DESC`, ` NULLS FIRST` or
/// ` DESC NULLS LAST` only where they differ from the default order.
pub fn index_column(entry: &str) -> String {
    let (column, order) = entry.trim().split_once(char::is_whitespace).unwrap_or((entry.trim(), ""));
    let order = order.split_whitespace().map(str::to_ascii_uppercase).collect::<Vec<_>>().join(" ");
    let order = match order.as_str() {
        "" | "ASC" | "NULLS LAST" | "ASC NULLS LAST" => "",
        "DESC" | "DESC NULLS FIRST" => " DESC",
        "NULLS FIRST" | "ASC NULLS FIRST" => " NULLS FIRST",
        _ => " DESC NULLS LAST",
    };
    format!("{column}{order}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_constraint_definitions() {
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(parse_constraint("PRIMARY KEY (session_id)"), Some(Constraint::PrimaryKey(s(&["session_id"]))));
        assert_eq!(
            parse_constraint("UNIQUE NULLS NOT DISTINCT (amount, \"Odd \"\"name\")"),
            Some(Constraint::Unique(s(&["amount", "Odd \"name"])))
        );
        assert_eq!(
            parse_constraint("FOREIGN KEY (user_id) REFERENCES analytics.user_profiles(user_id) ON DELETE CASCADE"),
            Some(Constraint::ForeignKey {
                columns: s(&["user_id"]),
                schema: Some("analytics".into()),
                table: "user_profiles".into(),
                references: s(&["user_id"]),
            })
        );
        assert_eq!(
            parse_constraint("FOREIGN KEY (a, b) REFERENCES t(x, y)"),
            Some(Constraint::ForeignKey {
                columns: s(&["a", "b"]),
                schema: None,
                table: "t".into(),
                references: s(&["x", "y"])
            })
        );
        assert_eq!(parse_constraint("CHECK ((x > 0))"), None);
    }

    #[test]
    fn qualified_names_become_refs_outside_string_literals() {
        let objects = BTreeSet::from(["t".to_string(), "mv".to_string()]);
        let (sql, refs) = to_refs(
            "SELECT t.a, 'analytics.t' FROM analytics.t JOIN \"analytics\".\"mv\" m ON true JOIN analytics.other o ON true JOIN x.analytics.t ON true",
            "analytics",
            &objects,
        );
        assert_eq!(
            sql,
            "SELECT t.a, 'analytics.t' FROM {{ ref('t') }} JOIN {{ ref('mv') }} m ON true JOIN analytics.other o ON true JOIN x.analytics.t ON true"
        );
        assert_eq!(refs, vec!["mv", "t"]);
    }

    #[test]
    fn index_columns_have_one_spelling() {
        assert_eq!(index_column("event_date desc"), "event_date DESC");
        assert_eq!(index_column("a ASC NULLS LAST"), "a");
        assert_eq!(index_column("a desc nulls first"), "a DESC");
        assert_eq!(index_column("a desc nulls last"), "a DESC NULLS LAST");
        assert_eq!(index_column("a nulls first"), "a NULLS FIRST");
    }
}
