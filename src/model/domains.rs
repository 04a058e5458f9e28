//! PostgreSQL domains (`domains:` in schema.yaml): a base type with a default, NOT NULL and
//! named CHECK constraints over `VALUE`, that columns name as their type (`members.email`).

use super::{CheckConstraint, ColumnType};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Domain {
    #[serde(rename = "type")]
    pub ty: ColumnType,
    pub nullable: bool,
    #[serde(default)]
    pub default: Option<String>,
    /// By name, as PostgreSQL keeps them (an unnamed one is `<domain>_check`).
    #[serde(default)]
    pub check_constraints: Vec<CheckConstraint>,
}

impl Domain {
    /// What differs from `to`, in the words of a plan: the base type, NOT NULL, the default,
    /// the CHECK constraints.
    pub fn changed(&self, to: &Domain) -> Vec<&'static str> {
        let differs = [
            (self.ty != to.ty, "type"),
            (self.nullable != to.nullable, "NOT NULL"),
            (self.default != to.default, "default"),
            (self.checks() != to.checks(), "CHECK constraints"),
        ];
        differs.into_iter().filter(|(d, _)| *d).map(|(_, what)| what).collect()
    }

    /// `numeric(12,2) NOT NULL DEFAULT 0 CONSTRAINT c CHECK (...)`, for findings.
    pub fn definition(&self) -> String {
        let mut out = self.ty.to_string();
        out.push_str(if self.nullable { "" } else { " NOT NULL" });
        if let Some(d) = &self.default {
            out.push_str(&format!(" DEFAULT {d}"));
        }
        for (name, expression) in self.checks() {
            out.push_str(&format!(" CONSTRAINT {name} CHECK ({expression})"));
        }
        out
    }

    /// The CHECK constraints by name: their order in the YAML means nothing.
    pub fn checks(&self) -> Vec<(&str, &str)> {
        let mut k: Vec<_> = self.check_constraints.iter().map(|c| (c.name.as_str(), c.expression.as_str())).collect();
        k.sort();
        k
    }
}
