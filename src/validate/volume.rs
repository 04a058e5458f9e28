//! Volume checks: the rows a run checks against what the same check counted in earlier
//! recorded runs over the same window (`validate --record` keeps them).

use super::{CheckResult, Plan};
use crate::calendar;
use crate::db;
use crate::error::Result;
use crate::layout::RUNS_TABLE;
use crate::model::{Check, CheckKind};
use postgres::error::SqlState;
use std::collections::BTreeMap;

/// Rows checked by earlier runs, newest first, per (table, check): those with this run's
/// `--since` offset (days before the run), or none when no run was recorded yet.
pub(super) type History = BTreeMap<(String, String), Vec<u64>>;

/// One query for every volume check of the plan; none when there is no volume check.
pub(super) fn history(plan: &Plan, client: &mut postgres::Client) -> Result<History> {
    let names: Vec<&str> = plan
        .tables
        .iter()
        .flat_map(|r| r.queries.iter().flat_map(|q| &q.checks))
        .filter(|c| matches!(c.kind, CheckKind::Volume { .. }))
        .map(|c| c.name.as_str())
        .collect();
    if names.is_empty() {
        return Ok(History::new());
    }
    let sql = plan.renderer.query("validate_history", minijinja::context! { table => RUNS_TABLE, checks => names })?;
    let rows = match db::read_only_rows(client, &sql) {
        Ok(rows) => rows,
        // Nothing recorded yet: every volume check passes, saying so.
        Err(e) if e.code() == Some(&SqlState::UNDEFINED_TABLE) => return Ok(History::new()),
        Err(e) => {
            return Err(crate::error::Error::database(format!("reading {RUNS_TABLE}: {}", crate::error::describe(&e))))
        }
    };
    let today = calendar::now_ms().div_euclid(86_400_000);
    let offset = plan.since.as_deref().and_then(calendar::parse_day).map(|day| (today - day).to_string());
    let mut history = History::new();
    for row in rows {
        let text = |i: usize| row.get(i).cloned().flatten();
        let (Some(table), Some(check), Some(rows)) = (text(0), text(1), text(2).and_then(|r| r.parse().ok())) else {
            continue;
        };
        if text(3) == offset {
            history.entry((table, check)).or_default().push(rows);
        }
    }
    Ok(history)
}

/// The median of the last `runs` counts, and whether `rows` is within `tolerance` of it. No
/// history passes.
pub(super) fn outcome(result: CheckResult, check: &Check, past: Option<&Vec<u64>>) -> CheckResult {
    let CheckKind::Volume { runs, tolerance } = check.kind else { return result };
    let mut last: Vec<u64> = past.map(|p| p.iter().take(runs as usize).copied().collect()).unwrap_or_default();
    if last.is_empty() {
        return result;
    }
    last.sort_unstable();
    let n = last.len();
    let median = if n % 2 == 1 { last[n / 2] as f64 } else { (last[n / 2 - 1] + last[n / 2]) as f64 / 2.0 };
    let rows = result.rows_checked as f64;
    let outside = rows < median * (1.0 - tolerance) || rows > median * (1.0 + tolerance);
    let failing = if outside { 1 } else { 0 };
    let judged = super::outcome::outcome(&result.table, check, failing, result.rows_checked, result.seconds);
    CheckResult { expected_rows: Some(median), ..judged }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Severity;

    fn judged(rows: u64, past: &[u64], runs: u32) -> CheckResult {
        let check = Check {
            name: "v".into(),
            severity: Severity::Error,
            window: None,
            kind: CheckKind::Volume { runs, tolerance: 0.5 },
            warn_above: None,
            error_above: None,
        };
        let counted = super::super::outcome::outcome("t", &check, 0, rows, 0.0);
        outcome(counted, &check, Some(&past.to_vec()))
    }

    #[test]
    fn the_median_of_the_last_runs_and_the_tolerance_decide() {
        use super::super::Status::{Fail, Pass};
        let r = judged(1000, &[1000, 900, 1100], 3);
        assert_eq!((r.status, r.expected_rows), (Pass, Some(1000.0)));
        assert_eq!(judged(499, &[1000, 1000, 1000], 3).status, Fail);
        assert_eq!(judged(500, &[1000, 1000, 1000], 3).status, Pass, "exactly at the tolerance passes");
        assert_eq!(judged(1501, &[1000, 1000, 1000], 3).status, Fail, "too many rows fail too");
        // Only the newest `runs` count, and an even count takes the middle two.
        assert_eq!(judged(100, &[100, 100, 5000, 5000], 2).expected_rows, Some(100.0));
        assert_eq!(judged(100, &[100, 300], 2).expected_rows, Some(200.0));
        let none = judged(5, &[], 3);
        assert_eq!((none.status, none.expected_rows), (Pass, None), "no history passes");
    }
}
