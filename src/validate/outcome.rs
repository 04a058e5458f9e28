//! A check's status from what its query counted: failing rows against the check's severity or
//! thresholds, or a freshness check's age against its limits.

use super::{CheckResult, Status};
use crate::model::{Check, CheckKind, Severity, Threshold};

pub(super) fn outcome(table: &str, check: &Check, failing_rows: u64, rows_checked: u64, seconds: f64) -> CheckResult {
    let ratio = if rows_checked == 0 { 0.0 } else { failing_rows as f64 / rows_checked as f64 };
    let max_ratio = match check.kind {
        CheckKind::Ratio { max, .. } => Some(max),
        _ => None,
    };
    let failed = match max_ratio {
        Some(max) => ratio > max,
        None => failing_rows > 0,
    };
    let above = |t: Option<Threshold>| t.is_some_and(|t| t.exceeded(failing_rows, ratio));
    let status = match (check.warn_above, check.error_above) {
        // Thresholds decide alone: over error_above fails, over warn_above warns.
        (None, None) => match (failed, check.severity) {
            (false, _) => Status::Pass,
            (true, Severity::Warn) => Status::Warn,
            (true, Severity::Error) => Status::Fail,
        },
        (_, error) if above(error) => Status::Fail,
        (warn, _) if above(warn) => Status::Warn,
        _ => Status::Pass,
    };
    CheckResult {
        table: table.to_string(),
        check: check.name.clone(),
        kind: check.kind.name(),
        severity: check.severity,
        window: check.window.clone(),
        failing_rows,
        rows_checked,
        ratio,
        max_ratio,
        status,
        samples: Vec::new(),
        kept: Vec::new(),
        rows_query: None,
        reason: None,
        expected_rows: None,
        age_seconds: None,
        seconds,
    }
}

/// A freshness check: the newest value's age against its limits; an empty table fails, as no
/// load arrived.
pub(super) fn freshness(table: &str, check: &Check, age: Option<f64>, rows: u64, seconds: f64) -> CheckResult {
    let CheckKind::Freshness { warn_after, error_after, .. } = check.kind else {
        return outcome(table, check, 0, rows, seconds);
    };
    let over = |limit: Option<u64>| limit.is_some_and(|l| age.is_none_or(|a| a > l as f64));
    let status = if over(error_after) {
        Status::Fail
    } else if over(warn_after) {
        Status::Warn
    } else {
        Status::Pass
    };
    CheckResult { age_seconds: age, status, ..outcome(table, check, 0, rows, seconds) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(kind: CheckKind, severity: Severity) -> Check {
        Check { name: "c".into(), severity, window: None, kind, warn_above: None, error_above: None }
    }

    #[test]
    fn a_ratio_fails_only_above_its_maximum_and_severity_decides_fail_or_warn() {
        let ratio = check(CheckKind::Ratio { when: "x".into(), max: 0.05 }, Severity::Error);
        assert_eq!(outcome("t", &ratio, 5, 100, 0.0).status, Status::Pass, "exactly at the maximum passes");
        assert_eq!(outcome("t", &ratio, 6, 100, 0.0).status, Status::Fail);
        assert_eq!(outcome("t", &ratio, 0, 0, 0.0).ratio, 0.0, "an empty table has ratio 0");
        let not_null = check(CheckKind::NotNull { column: "x".into() }, Severity::Warn);
        assert_eq!(outcome("t", &not_null, 0, 100, 0.0).status, Status::Pass);
        assert_eq!(outcome("t", &not_null, 1, 100, 0.0).status, Status::Warn);
        assert_eq!(outcome("t", &not_null, 1, 100, 0.0).max_ratio, None);
    }

    #[test]
    fn thresholds_decide_alone_when_given() {
        let mut c = check(CheckKind::NotNull { column: "x".into() }, Severity::Error);
        c.warn_above = Some(Threshold::Rows(5));
        c.error_above = Some(Threshold::Ratio(0.01));
        assert_eq!(outcome("t", &c, 5, 1000, 0.0).status, Status::Pass, "5 is not above 5");
        assert_eq!(outcome("t", &c, 6, 1000, 0.0).status, Status::Warn);
        assert_eq!(outcome("t", &c, 10, 1000, 0.0).status, Status::Warn, "1% is not above 1%");
        assert_eq!(outcome("t", &c, 11, 1000, 0.0).status, Status::Fail);
        c.severity = Severity::Warn;
        c.warn_above = None;
        assert_eq!(outcome("t", &c, 11, 1000, 0.0).status, Status::Fail, "severity is not used with thresholds");
    }

    #[test]
    fn freshness_compares_the_age_with_its_limits() {
        let kind = CheckKind::Freshness {
            column: "ts".into(),
            warn_after: Some(3600),
            error_after: Some(86_400),
            zoned: false,
        };
        let c = check(kind, Severity::Error);
        let status = |age| freshness("t", &c, age, 10, 0.0).status;
        assert_eq!(status(Some(3600.0)), Status::Pass);
        assert_eq!(status(Some(3601.0)), Status::Warn);
        assert_eq!(status(Some(86_401.0)), Status::Fail);
        assert_eq!(status(None), Status::Fail, "an empty table: no load arrived");
        assert_eq!(freshness("t", &c, Some(7.0), 10, 0.0).age_seconds, Some(7.0));
    }
}
