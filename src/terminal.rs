//! Text from the database or the YAML, as the tool prints it in messages, tables and reports.
//! A name, value or server message could otherwise drive the terminal or CI log that shows
//! it: ESC starts escape sequences (colours, cursor moves, a rewritten screen), a line break or
//! carriage return forges a line of its own, and a line starting with `::` is a GitHub Actions
//! workflow command. SQL and YAML the tool writes as data (`render`, `inspect`, `diff --format
//! sql`) are left as they are.

use std::borrow::Cow;
use std::fmt::Write;

/// `text` with every control character (C0, DEL, C1), Unicode line separator and bidirectional
/// override written as an escape (`\n`, `\r`, `\t`, `\x1b`, `\u{202e}`), and a leading `::`
/// (after spaces) written `\x3a:`, so it prints on one line and does only what it says.
pub fn safe(text: &str) -> Cow<'_, str> {
    let command = text.trim_start().starts_with("::");
    if !command && !text.chars().any(escaped) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut colon = command;
    for c in text.chars() {
        match c {
            ':' if colon => {
                out.push_str("\\x3a");
                colon = false;
            }
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if escaped(c) && u32::from(c) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if escaped(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `1 table`, `2 tables`.
pub fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// A message the tool composed of several lines (each part of it already one line): every line
/// made [`safe`], the line breaks kept.
pub fn safe_lines(text: &str) -> String {
    text.split('\n').map(safe).collect::<Vec<_>>().join("\n")
}

fn escaped(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_and_workflow_commands_are_escaped() {
        assert_eq!(safe("events_2024"), "events_2024");
        assert!(matches!(safe("plain: text, 50% é 中"), Cow::Borrowed(_)));
        assert_eq!(safe("a\x1b[2Jb"), "a\\x1b[2Jb");
        assert_eq!(safe("x\ny\r\tz\u{7f}\u{85}"), "x\\ny\\r\\tz\\x7f\\u{85}");
        assert_eq!(safe("::error::forged"), "\\x3a:error::forged");
        assert_eq!(safe("  ::warning x"), "  \\x3a:warning x");
        assert_eq!(safe("v\n::error::x"), "v\\n::error::x");
        assert_eq!(safe("a\u{202e}b\u{2028}"), "a\\u{202e}b\\u{2028}");
        assert_eq!(safe_lines("a\x1b\n  ::error::x\r"), "a\\x1b\n  \\x3a:error::x\\r");
    }
}
