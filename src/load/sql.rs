//! SQL text inside the YAML (defaults, derived expressions, index predicates, check conditions,
//! view bodies) is parsed at load, for every dialect the project targets, as exactly one
//! expression or one query: nothing else can reach a migration or a validation query.

use super::positions::Pos;
use super::project::Loader;
use super::Source;
use crate::dialect::driver;
use crate::sql::expr::{self, Role};
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
                    let pos = self.within(src, path, text, e.offset);
                    self.error(src, pos, format!("`{key}` {}", e.message), None);
                    return None;
                }
            }
        }
        Some(columns)
    }

    /// Like `expression`, and every column it reads must be one of `cols` of `table`: the
    /// columns it reads.
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
    ) -> Vec<String> {
        let read = self.expression(src, path, key, text, role).unwrap_or_default();
        for word in &read {
            if !cols.contains(&word.as_str()) {
                let msg = format!("`{key}` uses `{word}`, which is not a column of table `{table}`");
                self.at_help(src, path, msg, nearest(word, cols.iter().copied()));
            }
        }
        read
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

    /// Where byte `offset` of `text`, the value at `path`, sits in the file: exactly, where the
    /// file holds the text as it reads up to there (a plain or quoted scalar on one line, or the
    /// lines of a block scalar at its indent), else at the start of the value.
    pub(super) fn within(&self, src: &Source, path: &str, text: &str, offset: usize) -> Pos {
        let base = src.positions().value(path);
        let before = &text[..offset.min(text.len())];
        let (lines, last) = (before.matches('\n').count(), before.rsplit('\n').next().unwrap_or_default());
        let line = src.text.lines().nth((base.line + lines).saturating_sub(1)).unwrap_or_default();
        let at: usize = line.chars().take(base.col.saturating_sub(1)).map(char::len_utf8).sum();
        let rest = line.get(at..).unwrap_or_default();
        let quote = usize::from(lines == 0 && rest.starts_with(['"', '\'']));
        if rest.get(quote..).is_some_and(|r| r.starts_with(last)) {
            Pos { line: base.line + lines, col: base.col + quote + last.chars().count() }
        } else {
            base
        }
    }
}
