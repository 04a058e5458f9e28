//! How the model names objects: keys (`ns.name`), index entries, and names for messages.

/// An object's name in the project (its key) split into namespace and name: `orders` lives in
/// the project's namespace (None), `staging.orders` in `staging`. Names are identifiers without
/// a dot, so the first `.` is always the separator.
pub fn split_key(key: &str) -> (Option<&str>, &str) {
    match key.split_once('.') {
        Some((ns, name)) => (Some(ns), name),
        None => (None, key),
    }
}

/// An index entry `column [ASC | DESC] [NULLS FIRST | NULLS LAST]`: the column (any name, with
/// spaces too: the order is read from the end) and the order words upper-cased, "" if none.
pub fn index_entry(entry: &str) -> (&str, String) {
    const ORDERS: [&str; 8] = [
        "ASC",
        "DESC",
        "NULLS FIRST",
        "NULLS LAST",
        "ASC NULLS FIRST",
        "ASC NULLS LAST",
        "DESC NULLS FIRST",
        "DESC NULLS LAST",
    ];
    let entry = entry.trim();
    let words: Vec<&str> = entry.split_whitespace().collect();
    for k in (1..=3.min(words.len().saturating_sub(1))).rev() {
        let order = words[words.len() - k..].join(" ").to_ascii_uppercase();
        if ORDERS.contains(&order.as_str()) {
            let at = words[words.len() - k].as_ptr() as usize - entry.as_ptr() as usize;
            return (entry[..at].trim_end(), order);
        }
    }
    (entry, String::new())
}

/// The key of `name` in the namespace of the object `key`: an index beside its table.
pub fn sibling_key(key: &str, name: &str) -> String {
    match split_key(key).0 {
        Some(ns) => format!("{ns}.{name}"),
        None => name.to_string(),
    }
}

/// `ns.name` for messages, whichever namespace the object `key` lives in; `home` is the
/// project's namespace.
pub fn display_key(home: &str, key: &str) -> String {
    match split_key(key) {
        (Some(_), _) => key.to_string(),
        (None, name) => format!("{home}.{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_entries_read_their_order_from_the_end() {
        assert_eq!(index_entry("day desc nulls last"), ("day", "DESC NULLS LAST".into()));
        assert_eq!(index_entry("Orders by date DESC"), ("Orders by date", "DESC".into()));
        assert_eq!(index_entry("desc"), ("desc", String::new()));
        assert_eq!(index_entry(" created at "), ("created at", String::new()));
    }
}
