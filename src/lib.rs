//! `schema`: an analytics warehouse's schema as code, for PostgreSQL and Amazon Redshift.

pub mod backfill;
pub mod calendar;
pub mod cli;
pub mod db;
pub mod error;
pub mod generate;
pub mod layout;
pub mod load;
pub mod local;
pub mod migrate;
pub mod model;
pub mod plan;
pub mod refresh;
pub mod render;
pub mod seed;
pub mod validate;
