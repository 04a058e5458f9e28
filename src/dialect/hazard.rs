//! Why an operation needs care: the hazards every dialect shares (drivers add their own).

use super::ops::Op;

/// Why an operation needs care. Guarded hazards make `schema generate` refuse without
/// `--allow-destructive`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hazard {
    pub guarded: bool,
    pub text: String,
}

impl Hazard {
    pub fn guarded(text: &str) -> Vec<Hazard> {
        vec![Hazard { guarded: true, text: text.to_string() }]
    }

    pub fn note(text: &str) -> Vec<Hazard> {
        vec![Hazard { guarded: false, text: text.to_string() }]
    }
}

impl Op {
    /// Hazards every dialect shares; drivers add their own.
    pub fn common_hazards(&self) -> Vec<Hazard> {
        match self {
            Op::DropTable { .. } => Hazard::guarded("deletes the table and all its rows"),
            Op::Sequence { options: None, .. } => Hazard::guarded("deletes the sequence and where it had counted to"),
            Op::Domain { to: None, .. } => Hazard::guarded("drops the domain; refused while a column uses it"),
            Op::Domain { added, .. } if !added.is_empty() => {
                Hazard::note("a new CHECK constraint fails the migration if a stored value breaks it")
            }
            Op::Extension { create: false, .. } => {
                Hazard::guarded("drops the extension's types and functions; refused while a column uses them")
            }
            Op::AddEnumValue { .. } => {
                Hazard::note("the new value can be stored only once this migration has committed")
            }
            Op::DropColumn { .. } => Hazard::guarded("deletes the column's data"),
            Op::DeleteRows { .. } => Hazard::guarded("deletes reference rows"),
            Op::Backfill { .. } => Hazard::note("updates every row where the column is NULL"),
            _ => vec![],
        }
    }
}
