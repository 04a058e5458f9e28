//! PostgreSQL sequences no column owns (`sequences:` in schema.yaml): the ids an application
//! draws with `nextval` (Hibernate's `hibernate_sequence`), or one a column default shares.
//! A sequence an identity or serial column owns belongs to that column, not here.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The integer type a sequence counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SequenceType {
    Smallint,
    Integer,
    #[default]
    Bigint,
}

impl SequenceType {
    /// What an identity or a serial of a column of type `ty` counts in (None: not an integer).
    pub fn of(ty: &crate::model::ColumnType) -> Option<SequenceType> {
        match ty {
            crate::model::ColumnType::SmallInt => Some(SequenceType::Smallint),
            crate::model::ColumnType::Integer => Some(SequenceType::Integer),
            crate::model::ColumnType::BigInt => Some(SequenceType::Bigint),
            _ => None,
        }
    }

    fn range(self) -> (i64, i64) {
        match self {
            SequenceType::Smallint => (i16::MIN.into(), i16::MAX.into()),
            SequenceType::Integer => (i32::MIN.into(), i32::MAX.into()),
            SequenceType::Bigint => (i64::MIN, i64::MAX),
        }
    }

    /// As `format_type` prints it.
    pub fn parse(printed: &str) -> Option<SequenceType> {
        match printed {
            "smallint" => Some(SequenceType::Smallint),
            "integer" => Some(SequenceType::Integer),
            "bigint" => Some(SequenceType::Bigint),
            _ => None,
        }
    }
}

impl fmt::Display for SequenceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SequenceType::Smallint => "smallint",
            SequenceType::Integer => "integer",
            SequenceType::Bigint => "bigint",
        })
    }
}

/// A sequence's options as written: what is left out takes PostgreSQL's default, which
/// depends on the type and the sign of the increment (`effective`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sequence {
    /// smallint, integer or bigint (default).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub ty: Option<SequenceType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<i64>,
    /// Default 1; negative counts down.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub increment: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<i64>,
    /// Values preallocated per session (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<i64>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cycle: bool,
}

impl Sequence {
    /// Every option spelt out, as the catalog holds it: two sequences are the same when these are.
    pub fn effective(&self) -> Sequence {
        let ty = self.ty.unwrap_or_default();
        let increment = self.increment.unwrap_or(1);
        let (low, high) = ty.range();
        let min = self.min.unwrap_or(if increment > 0 { 1 } else { low });
        let max = self.max.unwrap_or(if increment > 0 { high } else { -1 });
        let start = self.start.unwrap_or(if increment > 0 { min } else { max });
        let (cache, cycle) = (self.cache.unwrap_or(1), self.cycle);
        let (ty, increment, start, min, max, cache) =
            (Some(ty), Some(increment), Some(start), Some(min), Some(max), Some(cache));
        Sequence { ty, start, increment, min, max, cache, cycle }
    }

    /// Only what differs from the defaults: what `inspect` writes.
    pub fn minimal(&self) -> Sequence {
        let full = self.effective();
        let ty = full.ty.filter(|t| *t != SequenceType::Bigint);
        let increment = full.increment.filter(|i| *i != 1);
        let base = Sequence { ty, increment, ..Sequence::default() }.effective();
        // The default start is the first value in the direction of counting.
        let first = if full.increment > Some(0) { full.min } else { full.max };
        Sequence {
            ty,
            increment,
            min: full.min.filter(|v| Some(*v) != base.min),
            max: full.max.filter(|v| Some(*v) != base.max),
            start: full.start.filter(|v| Some(*v) != first),
            cache: full.cache.filter(|c| *c != 1),
            cycle: full.cycle,
        }
    }

    /// Why PostgreSQL would refuse it, if it would.
    pub fn problem(&self) -> Option<String> {
        let full = self.effective();
        let (ty, [start, increment, min, max, cache]) = (
            full.ty.unwrap_or_default(),
            [full.start, full.increment, full.min, full.max, full.cache].map(Option::unwrap_or_default),
        );
        let (low, high) = ty.range();
        if increment == 0 {
            return Some("increment must not be zero".into());
        }
        if min < low || max > high {
            return Some(format!("min and max must be within the range of {ty} ({low}..={high})"));
        }
        if min >= max {
            return Some(format!("min ({min}) must be less than max ({max})"));
        }
        if start < min || start > max {
            return Some(format!("start ({start}) must be within min ({min}) and max ({max})"));
        }
        (cache < 1).then(|| format!("cache ({cache}) must be at least 1"))
    }
}

impl fmt::Display for Sequence {
    /// `AS bigint START WITH 1 INCREMENT BY 1 MINVALUE 1 MAXVALUE ... CACHE 1 NO CYCLE`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.effective();
        let value = |v: Option<i64>| v.unwrap_or_default();
        write!(
            f,
            "AS {} START WITH {} INCREMENT BY {} MINVALUE {} MAXVALUE {} CACHE {} {}",
            s.ty.unwrap_or_default(),
            value(s.start),
            value(s.increment),
            value(s.min),
            value(s.max),
            value(s.cache),
            if s.cycle { "CYCLE" } else { "NO CYCLE" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_type_and_the_direction() {
        let down = Sequence { ty: Some(SequenceType::Integer), increment: Some(-1), ..Sequence::default() }.effective();
        assert_eq!((down.min, down.max, down.start), (Some(i32::MIN.into()), Some(-1), Some(-1)));
        let up = Sequence { min: Some(100), ..Sequence::default() }.effective();
        assert_eq!((up.start, up.max), (Some(100), Some(i64::MAX)));
    }

    #[test]
    fn minimal_keeps_only_what_differs_and_means_the_same() {
        for s in [
            Sequence::default(),
            Sequence { increment: Some(50), ..Sequence::default() },
            Sequence {
                ty: Some(SequenceType::Smallint),
                start: Some(10),
                min: Some(5),
                cycle: true,
                ..Sequence::default()
            },
            Sequence { increment: Some(-2), max: Some(100), start: Some(50), cache: Some(20), ..Sequence::default() },
        ] {
            let full = s.effective();
            assert_eq!(full.minimal().effective(), full, "{s:?}");
            assert_eq!(full.minimal(), s, "{s:?}");
        }
    }

    #[test]
    fn what_postgresql_refuses_is_said() {
        let bad = |s: Sequence| s.problem().unwrap_or_default();
        assert!(bad(Sequence { increment: Some(0), ..Sequence::default() }).contains("zero"));
        assert!(bad(Sequence { min: Some(5), max: Some(5), ..Sequence::default() }).contains("less than"));
        assert!(bad(Sequence { start: Some(0), ..Sequence::default() }).contains("within"));
        assert!(bad(Sequence { ty: Some(SequenceType::Smallint), max: Some(40000), ..Sequence::default() })
            .contains("range"));
        assert!(Sequence { increment: Some(50), ..Sequence::default() }.problem().is_none());
    }
}
