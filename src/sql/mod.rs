//! SQL text written in the YAML, checked before it is pasted into generated SQL.

pub mod expr;
