//! Redshift rules PostgreSQL does not enforce, checked on the untranslated text of migration
//! files. Each names the AWS Database Developer Guide page it comes from; docs/redshift.md has
//! the same list.

use super::lex::{name_at, significant, statements, tokens, Token};
use std::collections::BTreeSet;

use crate::dialect::NO_TRANSACTION;

/// "Leader node–only functions" (with its deprecated date and string functions): a DEFAULT is
/// evaluated on the compute nodes, where these fail.
const LEADER_NODE_ONLY: [&str; 19] = [
    "current_schema",
    "current_schemas",
    "has_database_privilege",
    "has_schema_privilege",
    "has_table_privilege",
    "substr",
    "factorial",
    "log",
    "age",
    "current_time",
    "current_timestamp",
    "localtime",
    "isfinite",
    "now",
    "getbit",
    "get_byte",
    "set_bit",
    "set_byte",
    "to_ascii",
];

const IN_TRANSACTION: &str = "Redshift refuses it inside a transaction block, and this migration runs in one: it \
    belongs in a `-- schema:no-transaction` migration";
const MIXED: &str = "a `-- schema:no-transaction` migration holds this transactional statement: statements \
    Redshift refuses inside a transaction block go into migrations of their own, never mixed with transactional \
    changes (AWS \"SVL_MULTI_STATEMENT_VIOLATIONS\")";
const LEADER_DEFAULT: &str = "a DEFAULT calls a leader node-only function, which fails on the compute nodes that \
    evaluate it (AWS \"Leader node-only functions\"); use GETDATE() or SYSDATE";
const ONE_ADD: &str =
    "more than one ADD in one ALTER TABLE: Redshift adds one column per statement (AWS \"ALTER TABLE\")";
const ADD_KEY_COLUMN: &str = "ADD COLUMN cannot add an IDENTITY/GENERATED, PRIMARY KEY, UNIQUE or REFERENCES \
    column (AWS \"ALTER TABLE\")";
const ONLY_VARCHAR: &str = "ALTER COLUMN TYPE only changes the size of a VARCHAR column; other type changes \
    rebuild the column or the table (AWS \"ALTER TABLE\")";
const NO_USING: &str = "ALTER COLUMN TYPE has no USING clause in Redshift (AWS \"ALTER TABLE\")";
const ENCODE_INTERLEAVED: &str = "ALTER COLUMN ENCODE on a table with an interleaved sort key, which Redshift \
    refuses (AWS \"ALTER TABLE\"): deep copy the table instead";
const DISTRIBUTE_INTERLEAVED: &str = "ALTER DISTKEY / DISTSTYLE ALL|EVEN on a table with an interleaved sort key, \
    which Redshift refuses (AWS \"ALTER TABLE\"): deep copy the table instead";
const TO_INTERLEAVED: &str =
    "ALTER SORTKEY cannot make a sort key interleaved (AWS \"ALTER TABLE\"): deep copy the table instead";
const NO_INDEX: &str = "Redshift has no indexes: CREATE INDEX is refused (AWS \"Unsupported PostgreSQL features\")";
const NO_LATERAL: &str = "LATERAL is not in the grammar of PostgreSQL 8.0.2, which Redshift is based on (AWS \
    \"Amazon Redshift and PostgreSQL\")";
const NO_FILTER: &str = "aggregate FILTER (…) is not in the grammar of PostgreSQL 8.0.2, which Redshift is based \
    on (AWS \"Amazon Redshift and PostgreSQL\"); use CASE inside the aggregate";
const NO_DISTINCT_ON: &str =
    "DISTINCT ON is not in Redshift's SELECT list, only ALL and DISTINCT (AWS \"SELECT list\")";
const NO_COMMENT_ON_MV: &str = "COMMENT has no MATERIALIZED VIEW form in Redshift: comment on a materialized view \
    with COMMENT ON VIEW (AWS \"COMMENT\")";

/// What the rules remember from earlier statements and files: tables with an interleaved
/// sort key (normalised names).
#[derive(Default)]
pub struct Checker {
    interleaved: BTreeSet<String>,
}

impl Checker {
    /// The violations of one migration file, after the files checked before it.
    pub fn file(&mut self, text: &str) -> Vec<String> {
        let no_transaction = text.lines().next().is_some_and(|l| l.starts_with(NO_TRANSACTION));
        let mut out = Vec::new();
        for (n, statement) in statements(text).iter().enumerate() {
            let toks = tokens(statement);
            let sig = significant(&toks);
            let excerpt: String = statement.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(90).collect();
            let s = Statement { toks: &toks, sig: &sig };
            let mut found = Vec::new();
            match (autocommit_only(&s), no_transaction) {
                (Some(page), false) => found.push(format!("{IN_TRANSACTION} (AWS \"{page}\")")),
                (None, true) => found.push(MIXED.to_string()),
                _ => {}
            }
            found.extend(self.statement(&s));
            out.extend(found.into_iter().map(|f| format!("statement {} `{excerpt}`: {f}", n + 1)));
        }
        out
    }

    fn statement(&mut self, s: &Statement) -> Vec<String> {
        let mut out = Vec::new();
        let mut say = |ok: bool, text: &str| {
            if !ok {
                out.push(text.to_string());
            }
        };
        if s.is(0, "CREATE") && s.is(1, "TABLE") {
            if let Some((name, _)) = name_at(s.toks, s.sig, 2) {
                self.interleaved.remove(&name);
                if s.find(&["INTERLEAVED", "SORTKEY"]).is_some() {
                    self.interleaved.insert(name);
                }
            }
            say(!s.defaults_call_leader_functions(), LEADER_DEFAULT);
        }
        if s.is(0, "DROP") && s.is(1, "TABLE") {
            if let Some((name, _)) = name_at(s.toks, s.sig, 2) {
                self.interleaved.remove(&name);
            }
        }
        if s.is(0, "ALTER") && s.is(1, "TABLE") {
            let Some((table, k)) = name_at(s.toks, s.sig, 2) else { return out };
            let interleaved = self.interleaved.contains(&table);
            if s.is(k, "RENAME") && s.is(k + 1, "TO") && interleaved {
                if let Some((to, _)) = name_at(s.toks, s.sig, k + 2) {
                    let schema = table.rsplit_once('.').map(|(ns, _)| format!("{ns}.")).unwrap_or_default();
                    self.interleaved.remove(&table);
                    self.interleaved.insert(if to.contains('.') { to } else { format!("{schema}{to}") });
                }
            }
            let adds = s.sig.iter().filter(|&&i| s.toks[i].is("ADD")).count();
            say(adds <= 1, ONE_ADD);
            if s.is(k, "ADD") {
                let refused = ["IDENTITY", "GENERATED", "PRIMARY", "UNIQUE", "REFERENCES"];
                let column = !s.is(k + 1, "CONSTRAINT")
                    && !s.is(k + 1, "PRIMARY")
                    && !s.is(k + 1, "UNIQUE")
                    && !s.is(k + 1, "FOREIGN");
                say(!column || !refused.iter().any(|w| s.find(&[w]).is_some()), ADD_KEY_COLUMN);
                say(!column || !s.defaults_call_leader_functions(), LEADER_DEFAULT);
            }
            if let Some(t) = s.find(&["TYPE"]).filter(|_| s.find(&["ALTER", "COLUMN"]).is_some()) {
                let varchar = s.is(t + 1, "VARCHAR")
                    || s.is(t + 1, "NVARCHAR")
                    || (s.is(t + 1, "CHARACTER") && s.is(t + 2, "VARYING"));
                say(varchar, ONLY_VARCHAR);
                say(s.find(&["USING"]).is_none(), NO_USING);
            }
            for form in [["SET", "NOT"], ["DROP", "NOT"], ["SET", "DEFAULT"], ["DROP", "DEFAULT"]] {
                say(
                    s.find(&form).is_none(),
                    &format!(
                        "Redshift has no ALTER COLUMN … {} {} (AWS \"ALTER TABLE\"): rebuild the column or the table",
                        form[0],
                        if form[1] == "NOT" { "NOT NULL" } else { "DEFAULT" }
                    ),
                );
            }
            let column_encode = s.find(&["ALTER", "COLUMN"]).is_some() && s.find(&["ENCODE"]).is_some();
            say(!(interleaved && column_encode), ENCODE_INTERLEAVED);
            let redistribute = s.is(k, "ALTER")
                && (s.is(k + 1, "DISTKEY")
                    || (s.is(k + 1, "DISTSTYLE") && (s.is(k + 2, "ALL") || s.is(k + 2, "EVEN") || s.is(k + 2, "KEY"))));
            say(!(interleaved && redistribute), DISTRIBUTE_INTERLEAVED);
            say(!(s.is(k, "ALTER") && s.is(k + 1, "INTERLEAVED")), TO_INTERLEAVED);
            if s.is(k, "ALTER") && (s.is(k + 1, "SORTKEY") || s.is(k + 1, "COMPOUND")) {
                self.interleaved.remove(&table);
            }
        }
        say(!(s.is(0, "CREATE") && (s.is(1, "INDEX") || (s.is(1, "UNIQUE") && s.is(2, "INDEX")))), NO_INDEX);
        say(s.find(&["LATERAL"]).is_none(), NO_LATERAL);
        say(s.find(&["FILTER", "("]).is_none(), NO_FILTER);
        say(s.find(&["DISTINCT", "ON"]).is_none(), NO_DISTINCT_ON);
        say(s.find(&["COMMENT", "ON", "MATERIALIZED"]).is_none(), NO_COMMENT_ON_MV);
        out
    }
}

/// Statements Redshift refuses inside a transaction block, with the AWS page that says so
/// ("SVL_MULTI_STATEMENT_VIOLATIONS" lists them; ALTER COLUMN TYPE is on "ALTER TABLE").
fn autocommit_only(s: &Statement) -> Option<&'static str> {
    let external = s.is(1, "EXTERNAL") && s.is(2, "TABLE");
    if s.is(0, "ALTER") && s.is(1, "TABLE") && s.find(&["ALTER", "COLUMN"]).is_some() && s.find(&["TYPE"]).is_some() {
        Some("ALTER TABLE")
    } else if s.is(0, "ALTER") && s.is(1, "TABLE") && s.find(&["APPEND", "FROM"]).is_some() {
        Some("ALTER TABLE APPEND")
    } else if s.is(0, "VACUUM") {
        Some("VACUUM")
    } else if s.is(0, "CREATE") && external {
        Some("CREATE EXTERNAL TABLE")
    } else if s.is(0, "DROP") && external {
        Some("DROP TABLE")
    } else if (s.is(0, "CREATE") || s.is(0, "DROP")) && s.is(1, "LIBRARY") {
        Some(if s.is(0, "CREATE") { "CREATE LIBRARY" } else { "DROP LIBRARY" })
    } else if (s.is(0, "CREATE") || s.is(0, "DROP")) && s.is(1, "DATABASE") {
        Some(if s.is(0, "CREATE") { "CREATE DATABASE" } else { "DROP DATABASE" })
    } else {
        None
    }
}

struct Statement<'a> {
    toks: &'a [Token],
    sig: &'a [usize],
}

impl Statement<'_> {
    fn is(&self, k: usize, word: &str) -> bool {
        self.sig.get(k).is_some_and(|&i| self.toks[i].is(word))
    }

    /// The position of the first run of these keywords (or punctuation) in a row.
    fn find(&self, run: &[&str]) -> Option<usize> {
        let matches = |k: usize, w: &str| self.sig.get(k).is_some_and(|&i| self.toks[i].is(w) || self.toks[i].punct(w));
        (0..self.sig.len()).find(|&k| run.iter().enumerate().all(|(j, w)| matches(k + j, w)))
    }

    /// Whether a DEFAULT expression (up to the next comma or closing parenthesis at its level)
    /// names a leader node-only function.
    fn defaults_call_leader_functions(&self) -> bool {
        let mut k = 0;
        while let Some(d) = (k..self.sig.len()).find(|&j| self.is(j, "DEFAULT")) {
            let (mut j, mut depth) = (d + 1, 0);
            while let Some(&i) = self.sig.get(j) {
                let t = &self.toks[i];
                if depth == 0 && (t.punct(",") || t.punct(")")) {
                    break;
                }
                depth += i32::from(t.punct("(")) - i32::from(t.punct(")"));
                if LEADER_NODE_ONLY.iter().any(|f| t.is(f)) {
                    return true;
                }
                j += 1;
            }
            k = j;
        }
        false
    }
}
