//! `schema`: an analytics warehouse's schema as code, for PostgreSQL and Amazon Redshift.

pub mod annotations;
pub mod backfill;
pub mod calendar;
pub mod catalog;
pub mod cli;
pub mod db;
pub mod docs;
pub mod drift;
pub mod error;
pub mod generate;
pub mod inspect;
pub mod layout;
pub mod load;
pub mod local;
pub mod migrate;
pub mod model;
pub mod plan;
pub mod refresh;
pub mod render;
pub mod seed;
pub mod sql;
pub mod validate;
