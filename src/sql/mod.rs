//! SQL text: one lexer every splitter and scanner uses, so all agree on where quotes and
//! comments end; and the YAML's expressions and view bodies parsed with a real SQL parser
//! before they are pasted into generated SQL.

pub mod expr;
pub mod lexer;
