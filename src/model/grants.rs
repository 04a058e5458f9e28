//! Privileges on tables and views: who may do what. An object's effective grants are the
//! project default plus its own, merged to one entry per grantee with its privileges sorted,
//! so two lists compare as sets.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Privilege {
    Select,
    Insert,
    Update,
    Delete,
    References,
}

impl Privilege {
    pub const ALL: [Privilege; 5] =
        [Privilege::Select, Privilege::Insert, Privilege::Update, Privilege::Delete, Privilege::References];

    /// As written in the YAML.
    pub fn name(self) -> &'static str {
        match self {
            Privilege::Select => "select",
            Privilege::Insert => "insert",
            Privilege::Update => "update",
            Privilege::Delete => "delete",
            Privilege::References => "references",
        }
    }

    pub fn parse(name: &str) -> Option<Privilege> {
        Privilege::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The letter an aclitem uses for it (PostgreSQL "Privileges", AWS PG_DEFAULT_ACL); the
    /// letters of other privileges (TRIGGER, DROP, TRUNCATE, ...) are not modelled.
    pub fn from_acl(letter: char) -> Option<Privilege> {
        match letter {
            'r' => Some(Privilege::Select),
            'a' => Some(Privilege::Insert),
            'w' => Some(Privilege::Update),
            'd' => Some(Privilege::Delete),
            'x' => Some(Privilege::References),
            _ => None,
        }
    }
}

/// As SQL writes it: `SELECT`.
impl fmt::Display for Privilege {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name().to_ascii_uppercase())
    }
}

/// Who receives a privilege. Redshift keeps users, groups and roles apart; on PostgreSQL all
/// three name a role.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "name", rename_all = "lowercase")]
pub enum Grantee {
    User(String),
    Group(String),
    Role(String),
    Public,
}

impl Grantee {
    /// The words a grantee starts with in the YAML.
    pub const KINDS: [&'static str; 4] = ["user", "group", "role", "public"];

    /// `kind` one of `user`, `group`, `role` with a name, or `public` without one.
    pub fn new(kind: &str, name: Option<&str>) -> Option<Grantee> {
        match (kind, name) {
            ("user", Some(n)) => Some(Grantee::User(n.to_string())),
            ("group", Some(n)) => Some(Grantee::Group(n.to_string())),
            ("role", Some(n)) => Some(Grantee::Role(n.to_string())),
            ("public", None) => Some(Grantee::Public),
            _ => None,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Grantee::User(_) => "user",
            Grantee::Group(_) => "group",
            Grantee::Role(_) => "role",
            Grantee::Public => "public",
        }
    }

    pub fn name(&self) -> Option<&str> {
        match self {
            Grantee::User(n) | Grantee::Group(n) | Grantee::Role(n) => Some(n),
            Grantee::Public => None,
        }
    }
}

/// As the YAML writes it: `group analysts`, `public`.
impl fmt::Display for Grantee {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{} {name}", self.kind()),
            None => f.write_str(self.kind()),
        }
    }
}

/// `group analysts` / `public`: the kind word, then the name (none for `public`).
impl std::str::FromStr for Grantee {
    type Err = String;
    fn from_str(text: &str) -> Result<Grantee, String> {
        let mut words = text.split_whitespace();
        let kind = words.next().unwrap_or_default();
        let name = words.next();
        if words.next().is_some() {
            return Err(format!("`{text}`: expected a kind and one name, like `group analysts`"));
        }
        Grantee::new(kind, name).ok_or_else(|| match (Grantee::KINDS.contains(&kind), name) {
            (true, None) => format!("`{kind}` needs a name: `{kind} NAME`"),
            (true, Some(_)) => "`public` takes no name".to_string(),
            (false, _) => {
                format!("unknown grantee `{text}`: expected `user NAME`, `group NAME`, `role NAME` or `public`")
            }
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub to: Grantee,
    pub privileges: Vec<Privilege>,
}

impl Grant {
    /// `SELECT, INSERT`.
    pub fn privilege_list(&self) -> String {
        self.privileges.iter().map(Privilege::to_string).collect::<Vec<_>>().join(", ")
    }
}

/// As findings show it: `SELECT, INSERT to group analysts`.
impl fmt::Display for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} to {}", self.privilege_list(), self.to)
    }
}

/// One entry per grantee (sorted), its privileges sorted and unique; grantees left without a
/// privilege are dropped.
pub fn merge(grants: impl IntoIterator<Item = Grant>) -> Vec<Grant> {
    let mut by: BTreeMap<Grantee, BTreeSet<Privilege>> = BTreeMap::new();
    for g in grants {
        by.entry(g.to).or_default().extend(g.privileges);
    }
    by.into_iter()
        .filter(|(_, p)| !p.is_empty())
        .map(|(to, privileges)| Grant { to, privileges: privileges.into_iter().collect() })
        .collect()
}

/// What `a` grants and `b` does not, merged.
pub fn minus(a: &[Grant], b: &[Grant]) -> Vec<Grant> {
    let has = |to: &Grantee, p: &Privilege| b.iter().any(|g| &g.to == to && g.privileges.contains(p));
    merge(a.iter().map(|g| Grant {
        to: g.to.clone(),
        privileges: g.privileges.iter().filter(|p| !has(&g.to, p)).copied().collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(to: &str, privileges: &[Privilege]) -> Grant {
        Grant { to: to.parse().unwrap(), privileges: privileges.to_vec() }
    }

    #[test]
    fn grants_merge_and_subtract_as_sets() {
        use Privilege::*;
        let merged =
            merge([grant("role etl", &[Update, Select]), grant("group a", &[Select]), grant("role etl", &[Select])]);
        assert_eq!(merged, [grant("group a", &[Select]), grant("role etl", &[Select, Update])]);
        assert_eq!(
            minus(&merged, &[grant("role etl", &[Select])]),
            [grant("group a", &[Select]), grant("role etl", &[Update])]
        );
        assert!(minus(&merged, &merged).is_empty());
        assert_eq!(merged[1].to_string(), "SELECT, UPDATE to role etl");
    }

    #[test]
    fn grantees_parse_as_written() {
        assert_eq!("group analysts".parse(), Ok(Grantee::Group("analysts".into())));
        assert_eq!("public".parse(), Ok(Grantee::Public));
        assert!("public x".parse::<Grantee>().unwrap_err().contains("no name"));
        assert!("user".parse::<Grantee>().unwrap_err().contains("needs a name"));
        assert!("team a".parse::<Grantee>().unwrap_err().contains("unknown grantee"));
        assert!("user a b".parse::<Grantee>().is_err());
    }
}
