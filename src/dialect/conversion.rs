//! What converting a column's stored values to another type does: whether every value fits
//! unchanged, whether the conversion needs an explicit cast, and the guard that fails a
//! migration, changing nothing, when a stored value would not survive the conversion.

use crate::model::ColumnType;
use serde::Serialize;

/// Whether every value of `from` fits `to` unchanged.
pub fn widens(from: &ColumnType, to: &ColumnType) -> bool {
    use ColumnType::*;
    match (from, to) {
        (a, b) if a == b => true,
        (Varchar(a), Varchar(b)) | (Char(a), Varchar(b)) => b >= a,
        (Varchar(_) | Char(_), Text) => true,
        (Char(a), Char(b)) => b >= a,
        (Decimal(p, s), Decimal(p2, s2)) => s2 >= s && p2 - s2 >= p - s,
        (Real, Double) | (Date, Timestamp) | (Date, TimestampTz) => true,
        (a, Decimal(p, s)) => integer_digits(a).is_some_and(|d| u32::from(p - s) >= d),
        (a, b) => integer_rank(a).zip(integer_rank(b)).is_some_and(|(x, y)| y >= x),
    }
}

/// Whether converting `from` to `to` needs an explicit conversion: not for the same type, and
/// never for a string target, where an explicit cast cuts what the assignment would refuse.
pub fn needs_cast(from: &ColumnType, to: &ColumnType) -> bool {
    from != to && !matches!(to, ColumnType::Varchar(_) | ColumnType::Char(_) | ColumnType::Text)
}

/// The checks whose failure means a stored value would change. A row fails when its value is
/// longer than `length` (a string target; `text`: the value is a string already, else it is
/// measured as text), outside `bounds` (inclusive, as numeric literals), or does not read back
/// equal after converting to the new type and back (`round_trip`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fit {
    pub length: Option<u32>,
    pub text: bool,
    pub bounds: Option<(String, String)>,
    pub round_trip: bool,
}

/// The guard for a type change that can lose information, or None when every value fits
/// (`widens`) or no query can tell (a conversion between unrelated kinds, e.g. text to a
/// number, either succeeds or fails the migration with the server's error).
pub fn fit(from: &ColumnType, to: &ColumnType) -> Option<Fit> {
    use ColumnType::*;
    if widens(from, to) {
        return None;
    }
    let text = matches!(from, Varchar(_) | Char(_) | Text);
    let fit = |length, bounds, round_trip| Some(Fit { length, text, bounds, round_trip });
    match to {
        Varchar(n) | Char(n) => fit(Some(*n), None, false),
        _ if numeric(from) && numeric(to) => fit(None, bounds(from, to), true),
        Date | Timestamp | TimestampTz if matches!(from, Date | Timestamp | TimestampTz) => fit(None, None, true),
        _ => None,
    }
}

/// What converting a column's values from `from` to `to` risks, for the hazard lists, when not
/// every value fits: a guard (`fit`) fails the migration before anything changes if a stored
/// value would change; a conversion no guard can check is said to be one.
pub fn risk(column: &str, from: &ColumnType, to: &ColumnType) -> Option<String> {
    if widens(from, to) {
        return None;
    }
    Some(match fit(from, to) {
        Some(_) => format!(
            "{column} {from} -> {to} can change stored values: a check fails the migration first, changing nothing, if one would"
        ),
        None => format!(
            "{column} {from} -> {to} converts each value with a cast: one that does not convert fails the migration, and nothing checks whether one changes (text '007' becomes 7)"
        ),
    })
}

/// Decimal digits before the point an integer type can hold.
fn integer_digits(ty: &ColumnType) -> Option<u32> {
    integer_rank(ty).map(|r| [5, 10, 19][r])
}

fn integer_rank(ty: &ColumnType) -> Option<usize> {
    match ty {
        ColumnType::SmallInt => Some(0),
        ColumnType::Integer => Some(1),
        ColumnType::BigInt => Some(2),
        _ => None,
    }
}

fn numeric(ty: &ColumnType) -> bool {
    integer_rank(ty).is_some() || matches!(ty, ColumnType::Decimal(..) | ColumnType::Real | ColumnType::Double)
}

/// The inclusive range of `to` when `from` can hold values outside it: integers by their width,
/// decimals by their digits before the point (decimal(6,2): -9999.99 to 9999.99).
fn bounds(from: &ColumnType, to: &ColumnType) -> Option<(String, String)> {
    let (min, max) = match to {
        ColumnType::SmallInt => (i16::MIN.to_string(), i16::MAX.to_string()),
        ColumnType::Integer => (i32::MIN.to_string(), i32::MAX.to_string()),
        ColumnType::BigInt => (i64::MIN.to_string(), i64::MAX.to_string()),
        ColumnType::Decimal(p, s) => {
            let whole = "9".repeat((p - s).max(1) as usize);
            let max = if *s == 0 { whole } else { format!("{whole}.{}", "9".repeat(*s as usize)) };
            (format!("-{max}"), max)
        }
        _ => return None,
    };
    let room = |digits: u32| match to {
        ColumnType::Decimal(p, s) => u32::from(p - s) >= digits,
        other => integer_digits(other).is_some_and(|d| d > digits),
    };
    let fits_already = match from {
        ColumnType::Decimal(p, s) => room(u32::from(p - s)),
        other => integer_digits(other).is_some_and(room),
    };
    (!fits_already).then_some((min, max))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ColumnType::*;

    #[test]
    fn widening_is_exact() {
        assert!(widens(&Varchar(10), &Varchar(20)));
        assert!(!widens(&Varchar(20), &Varchar(10)));
        assert!(widens(&Integer, &BigInt));
        assert!(!widens(&BigInt, &Integer));
        assert!(widens(&Integer, &Decimal(12, 2)));
        assert!(!widens(&Integer, &Decimal(9, 2)));
        assert!(widens(&Decimal(10, 2), &Decimal(12, 3)));
        assert!(!widens(&Decimal(10, 2), &Decimal(10, 3)));
        assert!(!widens(&Timestamp, &Date));
        assert!(!widens(&Varchar(10), &Integer));
    }

    #[test]
    fn every_change_that_can_lose_information_gets_a_guard() {
        let round_trip = |b: Option<(&str, &str)>| {
            let bounds = b.map(|(a, b)| (a.to_string(), b.to_string()));
            Some(Fit { length: None, text: false, bounds, round_trip: true })
        };
        assert_eq!(fit(&Decimal(5, 4), &Decimal(5, 2)), round_trip(None), "scale");
        assert_eq!(fit(&Decimal(12, 2), &Decimal(6, 2)), round_trip(Some(("-9999.99", "9999.99"))), "precision");
        assert_eq!(fit(&Decimal(12, 2), &Integer), round_trip(Some(("-2147483648", "2147483647"))));
        assert_eq!(fit(&Decimal(9, 0), &Integer), round_trip(None), "nine digits fit an integer");
        assert_eq!(fit(&BigInt, &SmallInt), round_trip(Some(("-32768", "32767"))));
        assert_eq!(fit(&Double, &Real), round_trip(None));
        assert_eq!(fit(&Double, &Decimal(4, 0)), round_trip(Some(("-9999", "9999"))));
        assert_eq!(fit(&Integer, &Decimal(9, 2)), round_trip(Some(("-9999999.99", "9999999.99"))));
        assert_eq!(fit(&Timestamp, &Date), round_trip(None));
        assert_eq!(fit(&TimestampTz, &Timestamp), round_trip(None));
        let length = |n, text| Some(Fit { length: Some(n), text, bounds: None, round_trip: false });
        assert_eq!(fit(&Varchar(300), &Varchar(256)), length(256, true));
        assert_eq!(fit(&BigInt, &Varchar(5)), length(5, false));
        // Nothing to guard, or nothing a query can tell.
        assert_eq!(fit(&Integer, &BigInt), None);
        assert_eq!(fit(&Date, &Timestamp), None);
        assert_eq!(fit(&Varchar(10), &Integer), None);
    }
}
