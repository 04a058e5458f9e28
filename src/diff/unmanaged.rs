//! What a catalog shows that the model does not hold: properties the YAML cannot express
//! (`unmodelled`: an index's operator class, a table's owner, a foreign key's ON DELETE), objects
//! it cannot hold (`unmanaged`: a function, a sequence no column owns), and what the older kinds
//! name (triggers, policies, rules, row-level security). None is dropped:
//! each is a finding unless an `ignore:` rule names it.

use super::findings::Kind;
use serde::Serialize;

/// Something the catalog shows that the model does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unmanaged {
    pub kind: Kind,
    /// The table or view it is on; for `unmanaged`, the object's own key.
    pub table: String,
    /// The column, index, constraint, trigger, policy or rule; None for the table itself.
    pub item: Option<String>,
    /// For `unmodelled`, the property (`storage parameters`); for `unmanaged`, what kind of
    /// object it is (`function`).
    pub property: Option<String>,
    /// The value the tool's own DDL gives the property (the server's default); None: nothing.
    pub expected: Option<String>,
    /// What the server has, as it prints it.
    pub definition: String,
}

/// Properties that are grants: compared only where the YAML manages the object's grants.
pub const GRANT_PROPERTIES: [&str; 4] =
    ["column privileges", "sequence privileges", "grant options", "other privileges"];

impl Unmanaged {
    /// What is on `table` (its `item`) without a property: a trigger, a policy, a rule.
    pub fn on(kind: Kind, table: &str, item: Option<&str>, definition: &str) -> Unmanaged {
        let (table, item, definition) = (table.to_string(), item.map(str::to_string), definition.to_string());
        Unmanaged { kind, table, item, property: None, expected: None, definition }
    }

    /// A property the model does not hold, with another value than the tool's DDL gives it.
    pub fn unmodelled(
        table: &str,
        item: Option<&str>,
        property: &str,
        expected: Option<&str>,
        found: &str,
    ) -> Unmanaged {
        Unmanaged {
            expected: expected.map(str::to_string),
            property: Some(property.to_string()),
            ..Unmanaged::on(Kind::Unmodelled, table, item, found)
        }
    }

    /// An object of a managed namespace the model cannot hold: its key, what it is, its definition.
    pub fn stray(key: &str, what: &str, definition: &str) -> Unmanaged {
        Unmanaged { property: Some(what.to_string()), ..Unmanaged::on(Kind::Unmanaged, key, None, definition) }
    }

    /// `table.item` (or `table`): what an `ignore:` pattern is matched against.
    pub fn object(&self) -> String {
        match &self.item {
            Some(item) => format!("{}.{item}", self.table),
            None => self.table.clone(),
        }
    }

    /// The `ignore:` entry that silences exactly this.
    pub fn rule(&self) -> String {
        match (self.kind, &self.property) {
            (Kind::Unmodelled, Some(property)) => format!("{} {} {property}", self.kind, self.object()),
            _ => format!("{} {}", self.kind, self.object()),
        }
    }

    /// Whether it is a property of a managed namespace itself (`schema comment`, ...), named by
    /// the namespace alone.
    pub fn is_schema(&self) -> bool {
        self.property.as_deref().is_some_and(|p| p.starts_with("schema "))
    }

    /// Whether it is about grants, which only count where the YAML manages them.
    pub fn is_grant(&self) -> bool {
        self.property.as_deref().is_some_and(|p| GRANT_PROPERTIES.contains(&p))
    }
}

/// An `ignore:` entry for findings: `<kind> <pattern>`, and for `unmodelled` optionally the
/// property after the pattern (`unmodelled events.* storage parameters`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule<'a> {
    pub kind: Kind,
    pub pattern: &'a str,
    pub property: Option<&'a str>,
}

impl Rule<'_> {
    pub fn silences(&self, u: &Unmanaged) -> bool {
        self.kind == u.kind
            && glob(self.pattern, &u.object())
            && self.property.is_none_or(|p| u.property.as_deref() == Some(p))
    }
}

/// The kinds an `ignore:` entry `<kind> <pattern>` can name: what the model does not hold, and
/// CHECK constraints and foreign keys the YAML does not declare (left out of the live side before the diff, so
/// the DDL diff and the plan do not show them either).
pub const IGNORABLE: [Kind; 8] = [
    Kind::CheckConstraint,
    Kind::ForeignKey,
    Kind::Trigger,
    Kind::Policy,
    Kind::RowLevelSecurity,
    Kind::Rule,
    Kind::Unmodelled,
    Kind::Unmanaged,
];

/// The rule an `ignore:` entry states, or None for a table or view pattern.
pub fn ignore_rule(entry: &str) -> Option<Rule<'_>> {
    let (kind, rest) = entry.trim().split_once(' ')?;
    let kind = IGNORABLE.into_iter().find(|k| k.to_string() == kind)?;
    let rest = rest.trim();
    let (pattern, property) = match rest.split_once(' ') {
        Some((pattern, property)) if kind == Kind::Unmodelled => (pattern, Some(property.trim())),
        _ => (rest, None),
    };
    Some(Rule { kind, pattern, property })
}

/// `*` matches any run of characters; everything else matches itself.
pub fn glob(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, tail)) => name
            .strip_prefix(head)
            .is_some_and(|rest| (0..=rest.len()).any(|i| rest.is_char_boundary(i) && glob(tail, &rest[i..]))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignore_patterns() {
        assert!(glob("legacy_*", "legacy_events"));
        assert!(glob("*_old", "events_old"));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(!glob("legacy_*", "events"));
        assert!(glob("exact", "exact"));
        assert!(!glob("exact", "exact2"));
    }

    #[test]
    fn rules_name_a_kind_a_pattern_and_maybe_a_property() {
        let u = Unmanaged {
            kind: Kind::Unmodelled,
            table: "events".into(),
            item: Some("events_day".into()),
            property: Some("storage parameters".into()),
            expected: None,
            definition: "fillfactor=70".into(),
        };
        assert_eq!(u.rule(), "unmodelled events.events_day storage parameters");
        for (entry, silences) in [
            ("unmodelled events.* storage parameters", true),
            ("unmodelled events.events_day", true),
            ("unmodelled events.* owner", false),
            ("unmodelled other.*", false),
            ("trigger events.*", false),
        ] {
            assert_eq!(ignore_rule(entry).unwrap().silences(&u), silences, "{entry}");
        }
        assert!(ignore_rule(&u.rule()).unwrap().silences(&u));
        assert!(ignore_rule("legacy_*").is_none());
        assert!(ignore_rule("triggers x").is_none());
        let f = Unmanaged {
            kind: Kind::Unmanaged,
            table: "raw.f".into(),
            item: None,
            property: Some("function".into()),
            expected: None,
            definition: "f(integer)".into(),
        };
        assert_eq!(f.rule(), "unmanaged raw.f");
        assert!(ignore_rule("unmanaged raw.*").unwrap().silences(&f));
    }
}
