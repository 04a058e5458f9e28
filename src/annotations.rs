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
    let names = |l: &str| -> Vec<String> {
        let words = l.split("name:").skip(1).map(|rest| rest.trim_start().trim_start_matches(['"', '\'']));
        words.map(|w| w.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect()).collect()
    };
    let declared = |item: &str| text.lines().skip(from).position(|l| names(l).iter().any(|n| n == item));
    // A check the tool derives from a column (`event_date_not_null`, `event_date_derived`) has
    // no `name:` line of its own: it points at the column's, the longest name it starts with.
    let column = |item: &str| {
        let lines = text.lines().enumerate().flat_map(|(i, l)| names(l).into_iter().map(move |n| (i, n)));
        lines.filter(|(_, n)| !n.is_empty() && item.starts_with(&format!("{n}_"))).max_by_key(|(_, n)| n.len())
    };
    // A key named by the server's convention (`<table>_<column>_fkey`, `<table>_pkey`) points at
    // its column, or at the primary key's line.
    let table = crate::model::split_key(owner).1;
    let key = |item: &str| {
        let bare = item.strip_prefix(table)?.strip_prefix('_')?;
        column(bare)
            .map(|(i, _)| i)
            .or_else(|| (bare == "pkey").then(|| text.lines().position(|l| l.contains("primary_key"))).flatten())
    };
    let line = item
        .and_then(|item| {
            declared(item).map(|i| from + i).or_else(|| column(item).map(|(i, _)| i)).or_else(|| key(item))
        })
        .map_or(1, |i| i + 1);
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

    #[test]
    fn a_check_derived_from_a_column_points_at_the_column() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t.yaml");
        let yaml = "table: t\ncolumns:\n  - { name: event, type: date }\n  - name: event_date\n    type: date\n    checks: [not_null]\nchecks:\n  - name: event_date_recent\n    not_null: event_date\n";
        std::fs::write(&file, yaml).unwrap();
        let layout = Layout::find(dir.path());
        let files = BTreeMap::from([("t".to_string(), file)]);
        let at = |item: &str| locate(&layout, &files, "t", Some(item), Some("checks")).1;
        assert_eq!(at("event_date_not_null"), 4, "the column's line, not line 1");
        assert_eq!(at("event_date_recent"), 8, "a declared check keeps its own line");
        assert_eq!(at("unrelated"), 1);
    }
}
