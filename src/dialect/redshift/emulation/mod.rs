//! Redshift migrations proven without a cluster (docs/redshift.md, "The emulation"): every
//! statement runs on a real PostgreSQL after a small, documented translation (`translate`), with
//! stand-ins for the Redshift system views the migrations read when they run (`STAND_INS`), and
//! the Redshift rules PostgreSQL does not enforce checked on the untranslated text (`Checker`).
//! `generate` and `check --dev-url` prove Redshift files this way on a scratch database; the
//! tests run every planner case through it.
//!
//! The emulation is stricter than Redshift in one way, on purpose: PostgreSQL enforces PRIMARY
//! KEY, UNIQUE and FOREIGN KEY constraints, which Redshift only records. Like Redshift,
//! PostgreSQL treats PRIMARY KEY / UNIQUE constraint names as relation names, and neither
//! advances an identity generator when explicit values are inserted. What only a cluster can
//! show (docs/redshift.md lists it) is not proven here.

mod lex;
mod rules;
mod translate;

pub use lex::statements;
pub use rules::Checker;
pub use translate::translate;

/// Stand-ins for the Redshift system views the generated migrations read, created in `public`
/// of the emulating database before the first migration.
pub const STAND_INS: &str = include_str!("../../../../templates/redshift/emulation_stand_ins.sql");
