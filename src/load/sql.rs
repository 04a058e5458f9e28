//! SQL text inside the YAML (defaults, derived expressions, index predicates, check conditions,
//! view bodies) is parsed at load, for every dialect the project targets, as exactly one
//! expression or one query: nothing else can reach a migration or a validation query.

use super::positions::Pos;
use super::project::Loader;
use super::Source;
use crate::dialect::driver;
use crate::sql::expr::{self, ParseError, Role};
use crate::suggest::nearest;

impl Loader<'_> {
    /// Parses `text` (the value of `key` at `path`) as one expression of `role` in every dialect
    /// of the project; the columns it reads, or None when it does not parse (reported).
    pub(super) fn expression(
        &mut self,
        src: &Source,
        path: &str,
        key: &str,
        text: &str,
        role: Role,
    ) -> Option<Vec<String>> {
        let mut columns = Vec::new();
        for dialect in self.dialects.clone() {
            // Projects repeat expressions (`DATE(event_timestamp)` in every table): parse each once.
            let parsed = self
                .parsed
                .entry((text.to_string(), dialect, role))
                .or_insert_with(|| expr::expression(text, driver(dialect).grammars(), role).map(|e| e.columns()))
                .clone();
            match parsed {
                Ok(c) => columns = c,
                Err(e) => {
                    let pos = self.within(src, path, text, &e);
                    self.error(src, pos, format!("`{key}` {}", e.message), None);
                    return None;
                }
            }
        }
        Some(columns)
    }

    /// Like `expression`, and every column it reads must be one of `cols` of `table`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn expression_over(
        &mut self,
        src: &Source,
        path: &str,
        key: &str,
        text: &str,
        role: Role,
        table: &str,
        cols: &[&str],
    ) {
        for word in self.expression(src, path, key, text, role).unwrap_or_default() {
            if !cols.contains(&word.as_str()) {
                let msg = format!("`{key}` uses `{word}`, which is not a column of table `{table}`");
                self.at_help(src, path, msg, nearest(&word, cols.iter().copied()));
            }
        }
    }

    /// Parses a view body (refs expanded) as one query in every dialect of the project.
    pub(super) fn query(&mut self, src: &Source, body: &str) -> bool {
        for dialect in self.dialects.clone() {
            if let Err(e) = expr::query(body, driver(dialect).grammars()) {
                let near: String = body[e.offset.min(body.len())..].chars().take(30).collect();
                let near = near.split_whitespace().collect::<Vec<_>>().join(" ");
                let msg = if near.is_empty() {
                    format!("`sql` {}", e.message)
                } else {
                    format!("`sql` {} (near `{near}`)", e.message)
                };
                self.at(src, "sql", msg);
                return false;
            }
        }
        true
    }

    /// Where a parse error sits: its exact column when the text is written on one line as it
    /// reads (a plain scalar), else the start of the value.
    fn within(&self, src: &Source, path: &str, text: &str, e: &ParseError) -> Pos {
        let base = src.positions().value(path);
        let line = src.text.lines().nth(base.line.saturating_sub(1)).unwrap_or_default();
        let at: usize = line.chars().take(base.col.saturating_sub(1)).map(char::len_utf8).sum();
        let before = &text[..e.offset.min(text.len())];
        if line.get(at..).is_some_and(|rest| rest.starts_with(before)) && !before.contains('\n') {
            Pos { line: base.line, col: base.col + before.chars().count() }
        } else {
            base
        }
    }
}
