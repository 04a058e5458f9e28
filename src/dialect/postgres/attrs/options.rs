//! Storage parameters and view options: `name = value` pairs the catalog keeps as text
//! (`reloptions`), exactly as each was written. Both sides are spelt one way before they are
//! compared, so `false`, `off` and `'no'` are the same value.

use std::collections::BTreeMap;

/// A value as it is compared and written: a boolean word as `true` or `false`, a number
/// without leading zeros or trailing ones, any other word in lower case (PostgreSQL folds them).
pub fn parameter_value(text: &str) -> String {
    let lower = text.trim().to_ascii_lowercase();
    match lower.as_str() {
        "true" | "on" | "yes" => return "true".into(),
        "false" | "off" | "no" => return "false".into(),
        _ => {}
    }
    if let Ok(n) = lower.parse::<i64>() {
        return n.to_string();
    }
    match lower.parse::<f64>() {
        Ok(x) if x.is_finite() && lower.contains(|c: char| c.is_ascii_digit()) => x.to_string(),
        _ => lower,
    }
}

/// Why `key` is not a storage parameter's name as the YAML writes one: an identifier,
/// optionally after `toast.` (the parameters of the table's TOAST table).
pub fn parameter_key_problem(key: &str) -> Option<String> {
    let name = key.strip_prefix("toast.").unwrap_or(key);
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= 63;
    (!ok).then(|| {
        format!("`{key}` is not a storage parameter: a name of lowercase letters, digits and `_`, optionally after `toast.`")
    })
}

/// What `ALTER ... SET (...)` and `RESET (...)` change to go from `from` to `to`: the pairs to
/// set (new or of another value), and the names to reset.
pub fn option_changes<K: AsRef<str> + Ord>(
    from: &BTreeMap<K, String>,
    to: &BTreeMap<K, String>,
) -> (BTreeMap<String, String>, Vec<String>) {
    let set = to.iter().filter(|(k, v)| from.get(*k) != Some(*v)).map(|(k, v)| (k.as_ref().to_string(), v.clone()));
    let reset = from.keys().filter(|k| !to.contains_key(*k)).map(|k| k.as_ref().to_string());
    (set.collect(), reset.collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_spelt_one_way() {
        for (written, spelt) in [
            ("50", "50"),
            ("050", "50"),
            ("OFF", "false"),
            ("yes", "true"),
            ("0.010", "0.01"),
            ("1e-3", "0.001"),
            ("Auto", "auto"),
            ("inf", "inf"),
        ] {
            assert_eq!(parameter_value(written), spelt, "{written}");
        }
    }

    #[test]
    fn names_are_identifiers_maybe_of_the_toast_table() {
        assert_eq!(parameter_key_problem("fillfactor"), None);
        assert_eq!(parameter_key_problem("toast.autovacuum_enabled"), None);
        for bad in ["Fillfactor", "toast.", "a b", "x = 1); DROP TABLE t; --", "toast.toast.x", "heap.x"] {
            assert!(parameter_key_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn changes_set_what_is_new_or_other_and_reset_what_goes() {
        let m = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        let (set, reset) = option_changes(&m(&[("a", "1"), ("b", "2")]), &m(&[("b", "3"), ("c", "4")]));
        assert_eq!(set, m(&[("b", "3"), ("c", "4")]));
        assert_eq!(reset, ["a"]);
    }
}
