//! Reading what a server prints (constraint definitions, view bodies, index columns) with the
//! project's lexer, so quotes, comments and escapes are where the server meant them.

use crate::model::{Action, Deferrable, ForeignKey};
use crate::sql::lexer::{ident_value, significant, tokens, Escapes, Token};
use crate::sql::refs::escape;
use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Constraint {
    PrimaryKey(Vec<String>),
    Unique { columns: Vec<String>, nulls_not_distinct: bool },
    ForeignKey(Box<PrintedForeignKey>),
}

/// A foreign key as printed: `schema` where the server qualifies the referenced table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintedForeignKey {
    pub schema: Option<String>,
    pub key: ForeignKey,
}

/// Parses `PRIMARY KEY (a, b)`, `UNIQUE [NULLS NOT DISTINCT] (a)` and
/// `FOREIGN KEY (a) REFERENCES [schema.]t(b) [MATCH FULL] [ON UPDATE ...] [ON DELETE ...]
/// [DEFERRABLE [INITIALLY DEFERRED]]` as both dialects print them, with the options the model
/// does not hold (INCLUDE, WITH, a PRIMARY KEY's DEFERRABLE, `SET NULL (a)`'s column list,
/// NOT VALID, ...) as printed, empty when there are none.
pub fn parse_constraint(definition: &str) -> Option<(Constraint, String)> {
    let mut c = Cursor::new(definition, Escapes::Standard);
    let constraint = if c.keywords(&["primary", "key"]) {
        Constraint::PrimaryKey(c.ident_list()?)
    } else if c.keywords(&["unique"]) {
        let nulls_not_distinct = c.keywords(&["nulls", "not", "distinct"]);
        Constraint::Unique { columns: c.ident_list()?, nulls_not_distinct }
    } else if c.keywords(&["foreign", "key"]) {
        let columns = c.ident_list()?;
        if !c.keywords(&["references"]) {
            return None;
        }
        let first = c.ident()?;
        let (schema, table) = if c.punct('.') { (Some(first), c.ident()?) } else { (None, first) };
        let references = c.ident_list().unwrap_or_default();
        let mut key = ForeignKey::new(columns, table, references);
        let unmodelled = foreign_key_options(&mut c, &mut key);
        let rest = c.rest().trim();
        let options: Vec<&str> = unmodelled.into_iter().chain(Some(rest).filter(|r| !r.is_empty())).collect();
        return Some((Constraint::ForeignKey(Box::new(PrintedForeignKey { schema, key })), options.join(" ")));
    } else {
        return None;
    };
    Some((constraint, c.rest().trim().to_string()))
}

/// Reads MATCH, the actions and deferrability onto `key`, stopping at anything else; returns the
/// parts the model does not hold (an action's column list, with its action).
fn foreign_key_options<'a>(c: &mut Cursor<'a>, key: &mut ForeignKey) -> Vec<&'a str> {
    let mut unmodelled = Vec::new();
    loop {
        let start = c.at;
        if c.keywords(&["match", "full"]) {
            key.match_full = true;
        } else if c.keywords(&["match", "simple"]) {
        } else if c.keywords(&["deferrable"]) {
            key.deferrable = Deferrable::Immediate;
            if c.keywords(&["initially", "deferred"]) {
                key.deferrable = Deferrable::Deferred;
            }
            c.keywords(&["initially", "immediate"]);
        } else if c.keywords(&["not", "deferrable"]) {
            key.deferrable = Deferrable::No;
        } else if let Some(update) =
            [false, true].into_iter().find(|u| c.keywords(&["on", if *u { "update" } else { "delete" }]))
        {
            let Some(action) = Action::ALL.into_iter().find(|a| c.keywords(&a.sql().split(' ').collect::<Vec<_>>()))
            else {
                c.at = start;
                break;
            };
            *(if update { &mut key.on_update } else { &mut key.on_delete }) = action;
            if c.ident_list().is_some() {
                unmodelled.push(c.since(start));
            }
        } else {
            break;
        }
    }
    unmodelled
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

    /// The text of the tokens from `from` to the current one.
    fn since(&self, from: usize) -> &'a str {
        match (self.tokens.get(from), self.at.checked_sub(1).and_then(|last| self.tokens.get(last))) {
            (Some(first), Some(last)) if from < self.at => &self.text[first.start..last.start + last.text.len()],
            _ => "",
        }
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

/// Turns the qualified names of `objects` (keys, see `model::split_key`) in a view body as the
/// server prints it (`ns.t` or `"ns"."t"`) into `{{ ref('t') }}` (`{{ ref('staging.t') }}` outside
/// the project's namespace `home`), the form YAML bodies use, and returns the body with the
/// names replaced, sorted. Strings, comments and longer paths (`x.ns.t`) are left alone, but
/// `{{`, `{%` and `{#` anywhere are escaped (`{{ '{{' }}`), so the body reads back verbatim.
pub fn to_refs(sql: &str, home: &str, objects: &BTreeSet<String>, escapes: Escapes) -> (String, Vec<String>) {
    let tokens: Vec<Token> = tokens(sql, escapes).collect();
    let (mut out, mut copied) = (String::with_capacity(sql.len()), 0);
    let mut refs = BTreeSet::new();
    let mut i = 0;
    while i < tokens.len() {
        // schema . name, with no `.` before or after (trivia between them is not printed).
        let path = i + 2 < tokens.len()
            && tokens.get(i + 1).is_some_and(|t| t.is_punct('.'))
            && (i == 0 || !tokens[i - 1].is_punct('.'))
            && !tokens.get(i + 3).is_some_and(|t| t.is_punct('.'));
        let key = match (path, ident_value(&tokens[i]), tokens.get(i + 2).and_then(ident_value)) {
            (true, Some(ns), Some(name)) if ns == home => Some(name),
            (true, Some(ns), Some(name)) => Some(format!("{ns}.{name}")),
            _ => None,
        };
        let name = key.filter(|k| objects.contains(k));
        match name {
            Some(name) => {
                out.push_str(&escape(&sql[copied..tokens[i].start], true));
                out.push_str(&format!("{{{{ ref('{name}') }}}}"));
                copied = tokens[i + 2].start + tokens[i + 2].text.len();
                refs.insert(name);
                i += 3;
            }
            None => i += 1,
        }
    }
    out.push_str(&escape(&sql[copied..], false));
    (out, refs.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_constraint_definitions() {
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let plain = |c| Some((c, String::new()));
        assert_eq!(parse_constraint("PRIMARY KEY (session_id)"), plain(Constraint::PrimaryKey(s(&["session_id"]))));
        assert_eq!(
            parse_constraint("UNIQUE NULLS NOT DISTINCT (amount, \"Odd \"\"name\") INCLUDE (x)"),
            Some((
                Constraint::Unique { columns: s(&["amount", "Odd \"name"]), nulls_not_distinct: true },
                "INCLUDE (x)".into()
            ))
        );
        assert_eq!(
            parse_constraint("PRIMARY KEY (a) WITH (fillfactor='70') DEFERRABLE"),
            Some((Constraint::PrimaryKey(s(&["a"])), "WITH (fillfactor='70') DEFERRABLE".into()))
        );
        let fk = |schema: Option<&str>, key: ForeignKey| {
            Constraint::ForeignKey(Box::new(PrintedForeignKey { schema: schema.map(String::from), key }))
        };
        let base = || ForeignKey::new(s(&["user_id"]), "user_profiles".into(), s(&["user_id"]));
        assert_eq!(
            parse_constraint("FOREIGN KEY (user_id) REFERENCES analytics.user_profiles(user_id) MATCH FULL ON UPDATE SET NULL ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED NOT VALID"),
            Some((
                fk(
                    Some("analytics"),
                    ForeignKey {
                        on_delete: Action::Cascade,
                        on_update: Action::SetNull,
                        match_full: true,
                        deferrable: Deferrable::Deferred,
                        ..base()
                    }
                ),
                "NOT VALID".into()
            ))
        );
        assert_eq!(
            parse_constraint(
                "FOREIGN KEY (user_id) REFERENCES user_profiles(user_id) ON DELETE SET NULL (user_id) DEFERRABLE"
            ),
            Some((
                fk(None, ForeignKey { on_delete: Action::SetNull, deferrable: Deferrable::Immediate, ..base() }),
                "ON DELETE SET NULL (user_id)".into()
            ))
        );
        assert_eq!(
            parse_constraint("FOREIGN KEY (a, b) REFERENCES t(x, y)"),
            plain(fk(None, ForeignKey::new(s(&["a", "b"]), "t".into(), s(&["x", "y"]))))
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
        let objects = BTreeSet::from(["t".to_string(), "raw.t".to_string()]);
        let (sql, refs) = to_refs(
            "SELECT 1 FROM raw.t, \"raw\".\"t\", analytics.t, mart.t",
            "analytics",
            &objects,
            Escapes::Standard,
        );
        assert_eq!(sql, "SELECT 1 FROM {{ ref('raw.t') }}, {{ ref('raw.t') }}, {{ ref('t') }}, mart.t");
        assert_eq!(refs, vec!["raw.t", "t"]);
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
    fn template_syntax_in_catalog_text_is_escaped_to_read_back_verbatim() {
        let objects = BTreeSet::from(["t".to_string()]);
        let live = "SELECT '{{ 7*7 }}'::text AS a, '{%x%}{#' AS b FROM analytics.t";
        let (body, refs) = to_refs(live, "analytics", &objects, Escapes::Standard);
        assert_eq!(body, "SELECT '{{ '{{' }} 7*7 }}'::text AS a, '{{ '{%' }}x%}{{ '{#' }}' AS b FROM {{ ref('t') }}");
        assert_eq!(refs, vec!["t"]);
        let (expanded, _) = crate::sql::expand_refs(&body, "analytics").unwrap();
        assert_eq!(expanded, live.replace("analytics.t", "\"analytics\".\"t\""));
    }
}
