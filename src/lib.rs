//! `schema`: an analytics warehouse's schema as code, for PostgreSQL and Amazon Redshift.
//!
//! The pipeline every command is built from:
//!
//! 1. [`load()`] reads the YAML into one [`Project`] model (every problem with file:line:col);
//! 2. [`diff()`] compares two projects and returns neutral [`Change`]s, as data;
//! 3. a dialect's [`Driver`] lowers the changes to its operations, which the templates render
//!    ([`plan()`] does both and returns the statements with their hazards and transaction needs);
//! 4. the driver also reads the live catalog back into the model (`Driver::inspect`), so
//!    `diff(live, desired)` is the drift report and its plan the SQL that repairs it.
//!
//! ```
//! use std::path::PathBuf;
//! use schema::{diff, load_texts, plan, Dialect};
//!
//! let yaml = |table: &str| {
//!     let dir = PathBuf::from("/demo");
//!     load_texts(&dir, vec![
//!         (dir.join("schema.yaml"), Ok("name: demo\nnamespace: app\ndialects: [postgres, redshift]\n".into())),
//!         (dir.join("tables/t.yaml"), Ok(table.into())),
//!     ])
//!     .expect("the YAML loads")
//! };
//! let before = yaml("table: t\ncolumns:\n  - { name: id, type: bigint }\n");
//! let after = yaml("table: t\ncolumns:\n  - { name: id, type: bigint }\n  - { name: note, type: varchar(40) }\n");
//!
//! // Neutral changes: the same for every dialect.
//! let changes = diff(&before, &after);
//! assert_eq!(changes[0].describe("app"), ["add column app.t.note"]);
//!
//! // Lowered and rendered per dialect.
//! let redshift = plan("redshift".parse::<Dialect>().expect("a dialect"), &before, &after)?;
//! assert_eq!(redshift.sql(), "ALTER TABLE \"app\".\"t\" ADD COLUMN \"note\" VARCHAR(40);\n");
//! assert!(redshift.steps.iter().all(|s| s.transactional && s.hazards.is_empty()));
//! # Ok::<(), schema::Error>(())
//! ```
//!
//! Reading a live database (a connection is needed, so this example is not run):
//!
//! ```no_run
//! use schema::{db::Target, driver, Dialect};
//! use std::time::Duration;
//!
//! let target = Target::parse("postgres://app@localhost/warehouse", None, Duration::from_secs(10))?;
//! let mut client = target.connect()?;
//! let (live, _) = driver(target.dialect()).inspect(&mut client, &["analytics".to_string()], None)?;
//! println!("{} tables", live.project.tables.len());
//! # Ok::<(), schema::Error>(())
//! ```

pub mod annotations;
pub mod backfill;
pub mod calendar;
mod cli;
pub mod connect;
pub mod db;
pub mod dialect;
pub mod diff;
pub mod docs;
pub mod drift;
pub mod error;
pub mod graph;
pub mod init;
pub mod inspect;
pub mod layout;
pub mod load;
pub mod local;
pub mod migrate;
pub mod migrations;
pub mod model;
pub mod plan;
pub mod refresh;
pub mod rehearse;
pub mod render;
pub mod review;
pub mod seed;
pub mod sql;
pub mod suggest;
pub mod terminal;
pub mod validate;

pub use dialect::{driver, Driver};
pub use diff::{diff, Change};
pub use error::{Error, Result};
pub use load::{load, load_texts, Diagnostic};
pub use model::{Dialect, Project};
pub use plan::{create_all, plan, Plan, Step};

/// The command line (`src/main.rs` is this call): exit code 0 all good, 1 the command found
/// something, 2 it could not run.
pub fn main() -> std::process::ExitCode {
    cli::main()
}
