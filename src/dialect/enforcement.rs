//! What a server enforces of the declared keys, so `validate` (`key_checks: auto`) checks a key
//! only where nothing guarantees it for every row.

/// A unique key or a foreign key as the server holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerKey {
    /// The table's key (`model::split_key`).
    pub table: String,
    /// The constraint's or index's name.
    pub name: String,
    pub columns: Vec<String>,
    /// A foreign key's parent (its key; None outside the managed namespaces) and columns,
    /// pairwise with `columns`; None for a unique key.
    pub references: Option<(Option<String>, Vec<String>)>,
    /// Why it does not hold for every row now; None: it does.
    pub gap: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum KeyEnforcement {
    /// Keys are recorded, never enforced (why, in words): every key is checked.
    Informational(String),
    /// The keys the server enforces, each with its gap if any.
    Enforced(Vec<ServerKey>),
}
