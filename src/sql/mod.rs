//! SQL text handling shared by every command, so all of them agree on where quotes and comments end.

pub mod lexer;
