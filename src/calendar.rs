//! UTC calendar arithmetic on days since 1970-01-01, for the dates and timestamps the tool
//! writes as SQL text (run times, --since, backfill batches, generated rows).

use std::time::{SystemTime, UNIX_EPOCH};

/// Days since the epoch of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// The date of a day number: (year, month, day).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, m, d)
}

/// `YYYY-MM-DD` of a day number.
pub fn date_text(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Parses `YYYY-MM-DD` (a real calendar date) to its day number.
pub fn parse_date(text: &str) -> Option<i64> {
    let mut parts = text.trim().splitn(3, '-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    let day = days_from_civil(y, m, d);
    (civil_from_days(day) == (y, m, d)).then_some(day)
}

/// A date given on the command line, as the day number of a date PostgreSQL and Redshift both
/// hold: `YYYY-MM-DD` from year 1 to 9999 (year 0 does not exist, and neither server reads it).
pub fn parse_day(text: &str) -> Option<i64> {
    let text = text.trim();
    let year = text.split('-').next().unwrap_or_default();
    (year.len() == 4 && year != "0000").then(|| parse_date(text)).flatten()
}

/// `YYYY-MM-DD HH:MM:SS.mmm` of milliseconds since the epoch.
pub fn timestamp_text(ms: i64) -> String {
    let (day, ms) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let (h, min, s, milli) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    format!("{} {h:02}:{min:02}:{s:02}.{milli:03}", date_text(day))
}

/// ISO 8601 with its zone, `YYYY-MM-DDTHH:MM:SS.mmmZ`: how every output shows a moment.
pub fn iso_timestamp(ms: i64) -> String {
    format!("{}Z", timestamp_text(ms).replacen(' ', "T", 1))
}

/// Milliseconds since the epoch, now.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_impossible_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(date_text(days_from_civil(2024, 2, 29)), "2024-02-29");
        assert_eq!(parse_date("2000-03-01"), Some(days_from_civil(2000, 3, 1)));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("yesterday"), None);
        assert_eq!(parse_day("0001-01-01"), Some(days_from_civil(1, 1, 1)));
        for text in ["0000-01-01", "10000-01-01", "99-01-01", "2023-02-29"] {
            assert_eq!(parse_day(text), None, "{text}");
        }
        assert_eq!(timestamp_text(86_400_000 + 3_723_004), "1970-01-02 01:02:03.004");
        assert_eq!(timestamp_text(-1), "1969-12-31 23:59:59.999");
        assert_eq!(iso_timestamp(86_400_000 + 3_723_004), "1970-01-02T01:02:03.004Z");
    }
}
