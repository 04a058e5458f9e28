//! GitHub Actions workflow commands (`::error file=…,line=…,title=…::message`), shared by
//! `diff --format github` and `validate --format github`.

use crate::layout::Layout;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where to point an annotation about `owner` (a table or view, found in `files`) and one of
/// its items: the line declaring `name: <item>` (after the top-level `section:` line, if given),
/// else line 1 of the owner's file, else schema.yaml. The path is relative to the working
/// directory when it lies under it, as GitHub resolves it from the repository root.
pub fn locate(
    layout: &Layout,
    files: &BTreeMap<String, PathBuf>,
    owner: &str,
    item: Option<&str>,
    section: Option<&str>,
) -> (String, usize) {
    let path = files.get(owner).cloned().unwrap_or_else(|| layout.schema.join("schema.yaml"));
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let from = section
        .and_then(|key| text.lines().position(|l| l.strip_prefix(key).is_some_and(|r| r.starts_with(':'))))
        .unwrap_or(0);
    let line = item
        .and_then(|item| {
            text.lines().skip(from).position(|l| {
                l.split("name:").skip(1).any(|rest| {
                    let word = rest.trim_start().trim_start_matches(['"', '\'']);
                    word.strip_prefix(item)
                        .is_some_and(|after| !after.starts_with(|c: char| c.is_alphanumeric() || c == '_'))
                })
            })
        })
        .map_or(1, |i| from + i + 1);
    let shown =
        std::env::current_dir().ok().and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf)).unwrap_or(path);
    (shown.display().to_string().trim_start_matches("./").to_string(), line)
}

/// One annotation; `at` is the file and line it points at, when there is one.
pub fn annotation(level: &str, title: &str, message: &str, at: Option<(&str, usize)>) -> String {
    let location = at.map(|(file, line)| format!("file={},line={line},", property(file))).unwrap_or_default();
    format!("::{level} {location}title={}::{}", property(title), data(message))
}

/// Escaping of command data (actions/toolkit `command.ts`), then of the control characters
/// that remain (ESC and others), as everywhere else the tool prints.
fn data(text: &str) -> String {
    crate::terminal::safe(&text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")).into_owned()
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
