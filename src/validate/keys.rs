//! `key_checks: auto`: a key check is left to the server only where a key it enforces holds for
//! every row (a valid unique index on the key's columns or some of them; a validated foreign key
//! on the same columns to the same parent, with its triggers firing). Every other key check runs
//! and says why; every one left to the server is named.

use super::Plan;
use crate::dialect::enforcement::{KeyEnforcement, ServerKey};
use crate::error::Result;
use crate::model::{Check, CheckKind, KeyChecks};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A key check the server's constraint answers.
#[derive(Debug, Clone, Serialize)]
pub struct LeftToServer {
    pub table: String,
    pub check: String,
    /// The index or constraint that enforces it.
    pub by: String,
}

/// The key checks of a run, settled: which the server answers, and why each other one runs.
#[derive(Debug, Default)]
pub(super) struct Settled {
    pub left: Vec<LeftToServer>,
    skipped: BTreeSet<(String, String)>,
    reasons: BTreeMap<(String, String), String>,
}

impl Settled {
    pub fn runs(&self, table: &str, check: &str) -> bool {
        !self.skipped.contains(&(table.to_string(), check.to_string()))
    }

    /// Why a key check runs (None for other checks).
    pub fn reason(&self, table: &str, check: &str) -> Option<String> {
        self.reasons.get(&(table.to_string(), check.to_string())).cloned()
    }
}

/// Reads what the server enforces when a planned key check is `auto` (one catalog query), and
/// settles every key check of the plan.
pub(super) fn settle(plan: &Plan, client: &mut postgres::Client) -> Result<Settled> {
    let mut settled = Settled::default();
    let auto = plan.tables.iter().any(|r| r.key_mode == KeyChecks::Auto && !r.key_checks.is_empty());
    let enforcement = match auto {
        true => Some(plan.driver().key_enforcement(client, &plan.namespaces)?),
        false => None,
    };
    for run in &plan.tables {
        for check in run.queries.iter().flat_map(|q| &q.checks).filter(|c| run.key_checks.contains(&c.name)) {
            let at = (run.table.name.clone(), check.name.clone());
            let reason = match &enforcement {
                Some(enforcement) if run.key_mode == KeyChecks::Auto => {
                    match judge(enforcement, &run.table.name, check) {
                        Ok(by) => {
                            settled.skipped.insert(at.clone());
                            settled.left.push(LeftToServer { table: at.0, check: at.1, by });
                            continue;
                        }
                        Err(why) => why,
                    }
                }
                _ => "key_checks: always".to_string(),
            };
            settled.reasons.insert(at, reason);
        }
    }
    Ok(settled)
}

/// Ok(what enforces it) when the server guarantees the key for every row, else why not.
fn judge(enforcement: &KeyEnforcement, table: &str, check: &Check) -> std::result::Result<String, String> {
    let keys = match enforcement {
        KeyEnforcement::Informational(why) => return Err(why.clone()),
        KeyEnforcement::Enforced(keys) => keys.iter().filter(|k| k.table == table),
    };
    let (candidates, missing): (Vec<&ServerKey>, String) = match &check.kind {
        CheckKind::Unique { columns, .. } => {
            // A unique index on some of the key's columns makes the whole key unique.
            let within = |k: &&ServerKey| k.references.is_none() && k.columns.iter().all(|c| columns.contains(c));
            let missing = format!("no primary key, unique constraint or unique index covers ({})", columns.join(", "));
            (keys.filter(within).collect(), missing)
        }
        CheckKind::Relationship { columns, table: parent, to } => {
            let pairs: BTreeSet<(&String, &String)> = columns.iter().zip(to).collect();
            let same = |k: &&ServerKey| match &k.references {
                Some((Some(p), theirs)) => {
                    p == parent && k.columns.iter().zip(theirs).collect::<BTreeSet<_>>() == pairs
                }
                _ => false,
            };
            let missing = format!("no foreign key constraint on ({}) references {parent}", columns.join(", "));
            (keys.filter(same).collect(), missing)
        }
        _ => return Err("not a key check".into()),
    };
    if let Some(k) = candidates.iter().find(|k| k.gap.is_none()) {
        return Ok(k.name.clone());
    }
    Err(candidates.first().and_then(|k| k.gap.clone()).unwrap_or(missing))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Severity;

    fn check(kind: CheckKind) -> Check {
        Check { name: "c".into(), severity: Severity::Error, window: None, kind, warn_above: None, error_above: None }
    }

    fn key(name: &str, columns: &[&str], references: Option<(&str, &[&str])>, gap: Option<&str>) -> ServerKey {
        let names = |c: &[&str]| c.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        ServerKey {
            table: "t".into(),
            name: name.into(),
            columns: names(columns),
            references: references.map(|(p, c)| (Some(p.to_string()), names(c))),
            gap: gap.map(str::to_string),
        }
    }

    #[test]
    fn only_a_key_that_holds_for_every_row_answers_a_check() {
        let unique = check(CheckKind::Unique { columns: vec!["a".into(), "b".into()], filter: None });
        let fk = check(CheckKind::Relationship {
            columns: vec!["a".into(), "b".into()],
            table: "p".into(),
            to: vec!["x".into(), "y".into()],
        });
        let judged = |keys: Vec<ServerKey>, c: &Check| judge(&KeyEnforcement::Enforced(keys), "t", c);
        assert_eq!(judged(vec![key("t_pkey", &["b", "a"], None, None)], &unique), Ok("t_pkey".into()));
        assert_eq!(judged(vec![key("t_a", &["a"], None, None)], &unique), Ok("t_a".into()), "a part is unique");
        assert!(judged(vec![key("t_c", &["a", "c"], None, None)], &unique).unwrap_err().starts_with("no primary key"));
        assert_eq!(judged(vec![key("t_a", &["a"], None, Some("invalid"))], &unique), Err("invalid".into()));
        // Pairs, not positions: (b -> y, a -> x) is the same foreign key.
        assert_eq!(judged(vec![key("fk", &["b", "a"], Some(("p", &["y", "x"])), None)], &fk), Ok("fk".into()));
        assert!(judged(vec![key("fk", &["a", "b"], Some(("p", &["y", "x"])), None)], &fk).is_err(), "other pairs");
        assert!(judged(vec![key("fk", &["a", "b"], Some(("q", &["x", "y"])), None)], &fk).is_err(), "other parent");
        let gaps = vec![key("fk", &["a", "b"], Some(("p", &["x", "y"])), Some("NOT VALID"))];
        assert_eq!(judged(gaps, &fk), Err("NOT VALID".into()));
        let both = vec![
            key("old", &["a", "b"], Some(("p", &["x", "y"])), Some("NOT VALID")),
            key("new", &["a", "b"], Some(("p", &["x", "y"])), None),
        ];
        assert_eq!(judged(both, &fk), Ok("new".into()), "one enforced key is enough");
        assert!(judged(vec![key("t_pkey", &["a", "b"], None, None)], &fk).is_err(), "a unique key is no foreign key");
        let informational = KeyEnforcement::Informational("only recorded".into());
        assert_eq!(judge(&informational, "t", &unique), Err("only recorded".into()));
    }
}
