//! Live database → model, the parts both dialects share. Each driver reads its catalog with a
//! fixed number of queries (one per catalog source, filtered to the namespace on the server)
//! whatever the number of tables, and the rows are joined in Rust. The SQL of a dialect lives in
//! its driver's `catalog` module and nowhere else; this module holds the session that counts
//! round trips, text rows, the assembly of rows into tables and views, and the parsers for
//! constraint definitions and view bodies.

use crate::error::{describe, Error, Result};
use crate::model::*;
use crate::sql::lexer::{ident_value, significant, tokens, Escapes, Token};
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
    /// Grants to roles (Redshift shows them in SVV_RELATION_PRIVILEGES only).
    RoleGrants,
}

impl std::fmt::Display for Unknown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Unknown::EncodeAuto => "whether the table is on ENCODE AUTO (encodings written as found)",
            Unknown::SortKey => "SORTKEY AUTO or none (written as auto)",
            Unknown::Backup => "BACKUP (written as yes)",
            Unknown::AutoRefresh => "AUTO REFRESH (written as no)",
            Unknown::RoleGrants => "grants to roles (none written)",
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

    /// The rows of one query in a READ ONLY transaction of its own.
    pub fn read_only(&mut self, sql: &str) -> Result<Rows> {
        self.execute("BEGIN READ ONLY").map_err(|e| Error::Catalog(format!("reading the catalog: {e}")))?;
        let rows = self.rows(sql);
        let end = self.execute("ROLLBACK");
        let rows = rows?;
        end.map_err(|e| Error::Catalog(format!("ending the catalog transaction: {e}")))?;
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
            seed_values: Default::default(),
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
            grants: None,
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
            grants: None,
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
    let mut c = Cursor::new(definition, Escapes::Standard);
    if c.keywords(&["primary", "key"]) {
        return Some(Constraint::PrimaryKey(c.ident_list()?));
    }
    if c.keywords(&["unique"]) {
        c.keywords(&["nulls", "not", "distinct"]);
        return Some(Constraint::Unique(c.ident_list()?));
    }
    if !c.keywords(&["foreign", "key"]) {
        return None;
    }
    let columns = c.ident_list()?;
    if !c.keywords(&["references"]) {
        return None;
    }
    let first = c.ident()?;
    let (schema, table) = if c.punct('.') { (Some(first), c.ident()?) } else { (None, first) };
    let references = c.ident_list().unwrap_or_default();
    Some(Constraint::ForeignKey { columns, schema, table, references })
}

/// Significant tokens of text a server printed, read front to back.
pub(in crate::dialect) struct Cursor<'a> {
    text: &'a str,
    tokens: Vec<Token<'a>>,
    at: usize,
}

impl<'a> Cursor<'a> {
    pub(in crate::dialect) fn new(text: &'a str, escapes: Escapes) -> Cursor<'a> {
        Cursor { text, tokens: significant(text, escapes).collect(), at: 0 }
    }

    /// Consumes these keywords in a row, or nothing.
    pub(in crate::dialect) fn keywords(&mut self, words: &[&str]) -> bool {
        let found = words.iter().enumerate().all(|(k, w)| self.tokens.get(self.at + k).is_some_and(|t| t.is_word(w)));
        if found {
            self.at += words.len();
        }
        found
    }

    pub(in crate::dialect) fn punct(&mut self, c: char) -> bool {
        let found = self.tokens.get(self.at).is_some_and(|t| t.is_punct(c));
        self.at += usize::from(found);
        found
    }

    /// A bare or quoted identifier, as the name it denotes.
    pub(in crate::dialect) fn ident(&mut self) -> Option<String> {
        let name = ident_value(self.tokens.get(self.at)?)?;
        self.at += 1;
        Some(name)
    }

    /// `(a, "B", c)`.
    pub(in crate::dialect) fn ident_list(&mut self) -> Option<Vec<String>> {
        let start = self.at;
        let list = (|| {
            if !self.punct('(') {
                return None;
            }
            let mut names = vec![self.ident()?];
            while self.punct(',') {
                names.push(self.ident()?);
            }
            self.punct(')').then_some(names)
        })();
        if list.is_none() {
            self.at = start;
        }
        list
    }

    /// The text from the current token on.
    pub(in crate::dialect) fn rest(&self) -> &'a str {
        self.tokens.get(self.at).map_or("", |t| &self.text[t.start..])
    }

    pub(in crate::dialect) fn done(&self) -> bool {
        self.at >= self.tokens.len()
    }
}

/// A bare or quoted identifier that is the whole of `text` (spaces around it allowed).
pub(in crate::dialect) fn identifier(text: &str) -> Option<String> {
    let mut c = Cursor::new(text, Escapes::Standard);
    let name = c.ident()?;
    c.done().then_some(name)
}

/// Turns the namespace-qualified names of `objects` in a view body as the server prints it
/// (`ns.t` or `"ns"."t"`) into `{{ ref('t') }}`, the form YAML bodies use, and returns the body
/// with the names replaced, sorted. Strings, comments and longer paths (`x.ns.t`) are left alone.
pub fn to_refs(sql: &str, namespace: &str, objects: &BTreeSet<String>, escapes: Escapes) -> (String, Vec<String>) {
    let tokens: Vec<Token> = tokens(sql, escapes).collect();
    let (mut out, mut copied) = (String::with_capacity(sql.len()), 0);
    let mut refs = BTreeSet::new();
    let mut i = 0;
    while i < tokens.len() {
        // schema . name, with no `.` before or after (trivia between them is not printed).
        let hit = i + 2 < tokens.len()
            && tokens.get(i + 1).is_some_and(|t| t.is_punct('.'))
            && (i == 0 || !tokens[i - 1].is_punct('.'))
            && !tokens.get(i + 3).is_some_and(|t| t.is_punct('.'))
            && ident_value(&tokens[i]).is_some_and(|s| s == namespace);
        let name = tokens.get(i + 2).and_then(ident_value).filter(|n| hit && objects.contains(n));
        match name {
            Some(name) => {
                out.push_str(&sql[copied..tokens[i].start]);
                out.push_str(&format!("{{{{ ref('{name}') }}}}"));
                copied = tokens[i + 2].start + tokens[i + 2].text.len();
                refs.insert(name);
                i += 3;
            }
            None => i += 1,
        }
    }
    out.push_str(&sql[copied..]);
    (out, refs.into_iter().collect())
}

/// An identity's seed only says where a new table starts (a deep copy starts after the ids it
/// copied): where the catalog shows an identity of the same step, it takes the YAML's seed.
pub(in crate::dialect) fn settle_identities(live: &mut Table, desired: &Table) {
    for c in &mut live.columns {
        let wanted = desired.column(&c.name).and_then(|d| d.identity);
        if let (Some(found), Some(wanted)) = (&mut c.identity, wanted) {
            if found.step == wanted.step {
                found.seed = wanted.seed;
            }
        }
    }
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
            Escapes::Backslash,
        );
        assert_eq!(
            sql,
            "SELECT t.a, 'analytics.t' FROM {{ ref('t') }} JOIN {{ ref('mv') }} m ON true JOIN analytics.other o ON true JOIN x.analytics.t ON true"
        );
        assert_eq!(refs, vec!["mv", "t"]);
    }

    #[test]
    fn refs_skip_strings_with_escaped_quotes_and_comments() {
        let objects = BTreeSet::from(["t".to_string()]);
        let sql = "SELECT 'it\\'s analytics.t' /* analytics.t */ FROM analytics.t -- analytics.t";
        let (out, refs) = to_refs(sql, "analytics", &objects, Escapes::Backslash);
        assert_eq!(out, "SELECT 'it\\'s analytics.t' /* analytics.t */ FROM {{ ref('t') }} -- analytics.t");
        assert_eq!(refs, vec!["t"]);
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
