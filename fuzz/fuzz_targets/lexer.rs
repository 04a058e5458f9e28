//! The SQL lexer under both escape rules: tokens are non-empty, contiguous and cover the input
//! exactly (they round trip), decoding them never panics, and every statement `split_statements`
//! returns is a slice of the input, in order.
#![no_main]

use libfuzzer_sys::fuzz_target;
use schema::sql::lexer::{ident_value, split_statements, string_value, tokens, Escapes};

fuzz_target!(|data: &[u8]| {
    let Ok(sql) = std::str::from_utf8(data) else { return };
    for escapes in [Escapes::Standard, Escapes::Backslash] {
        let mut end = 0;
        for token in tokens(sql, escapes) {
            assert_eq!(token.start, end, "tokens are contiguous");
            assert!(!token.text.is_empty(), "no empty token at {end}");
            assert_eq!(&sql[token.start..token.start + token.text.len()], token.text);
            let _ = (ident_value(&token), string_value(&token, escapes));
            end += token.text.len();
        }
        assert_eq!(end, sql.len(), "the tokens cover the input");
        let mut from = 0;
        for statement in split_statements(sql, escapes) {
            let at = statement.as_ptr() as usize - sql.as_ptr() as usize;
            assert!(at >= from && at + statement.len() <= sql.len(), "statements are slices, in order");
            from = at + statement.len();
        }
    }
});
