//! GitHub Actions workflow commands (`::error file=…,line=…,title=…::message`), shared by
//! `diff --format github` and `validate --format github`.

/// One annotation; `at` is the file and line it points at, when there is one.
pub fn annotation(level: &str, title: &str, message: &str, at: Option<(&str, usize)>) -> String {
    let location = at.map(|(file, line)| format!("file={},line={line},", property(file))).unwrap_or_default();
    format!("::{level} {location}title={}::{}", property(title), data(message))
}

/// Escaping of command data (actions/toolkit `command.ts`).
fn data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Properties also escape `:` and `,`.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_data_and_properties() {
        assert_eq!(
            annotation("error", "schema drift: a,b", "50%\nmore", Some(("x.yaml", 3))),
            "::error file=x.yaml,line=3,title=schema drift%3A a%2Cb::50%25%0Amore"
        );
        assert_eq!(annotation("warning", "t", "m", None), "::warning title=t::m");
    }
}
