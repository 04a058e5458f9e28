//! How the model names objects: keys (`ns.name`) and names for messages.

/// An object's name in the project (its key) split into namespace and name: `orders` lives in
/// the project's namespace (None), `staging.orders` in `staging`. Names are identifiers without
/// a dot, so the first `.` is always the separator.
pub fn split_key(key: &str) -> (Option<&str>, &str) {
    match key.split_once('.') {
        Some((ns, name)) => (Some(ns), name),
        None => (None, key),
    }
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
