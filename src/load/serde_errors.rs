//! serde's failures as positioned diagnostics in the user's terms: the exact key that breaks a
//! node, every broken item of a table file rather than only the first, and a "did you mean".

use super::docs::{CheckDoc, ColumnDoc, GrantDoc, ProjectDoc, TableDoc, TargetDoc, ViewDoc};
use super::positions::Pos;
use super::project::Loader;
use super::{top_level, Diagnostic, Kind, Source};
use crate::suggest::nearest;
use serde::de;

/// A list or map of a document whose items are checked one by one, and how.
type Nested<'l> = (&'static str, fn(&mut Loader<'l>, &Source, &str, serde_yaml::Value));

impl<'l> Loader<'l> {
    pub(super) fn parse<T: de::DeserializeOwned>(&mut self, src: &Source) -> Option<T> {
        match serde_yaml::from_str::<T>(&src.text) {
            Ok(doc) => Some(doc),
            Err(e) => {
                let pos =
                    e.location().map(|l| Pos { line: l.line(), col: l.column() }).unwrap_or(Pos { line: 1, col: 1 });
                let text = e.to_string();
                let suffix = format!(" at line {} column {}", pos.line, pos.col);
                let message = plain_serde(text.strip_suffix(&suffix).unwrap_or(&text));
                let help = suggestion_from_serde(&message);
                self.error(src, pos, message, help);
                None
            }
        }
    }

    /// Like `parse`, but when the document does not deserialise every mistake in it is reported,
    /// not only the first: the items of its lists and maps named in `nested` one by one (each
    /// item's every mistake), then each of its own keys.
    pub(super) fn parse_every<T: de::DeserializeOwned>(&mut self, src: &Source, nested: &[Nested<'l>]) -> Option<T> {
        let first = self.diags.len();
        let doc = self.parse::<T>(src);
        let Ok(serde_yaml::Value::Mapping(mut map)) = serde_yaml::from_str(&src.text) else { return doc };
        if doc.is_some() {
            return doc;
        }
        let whole_file = self.diags.pop();
        for (key, check) in nested {
            match map.get_mut(*key) {
                Some(serde_yaml::Value::Sequence(items)) => {
                    for (i, item) in std::mem::take(items).into_iter().enumerate() {
                        check(self, src, &format!("{key}.{i}"), item);
                    }
                }
                Some(serde_yaml::Value::Mapping(items)) => {
                    for (name, item) in std::mem::take(items) {
                        let Some(name) = name.as_str() else { continue };
                        check(self, src, &format!("{key}.{name}"), item);
                    }
                }
                _ => {}
            }
        }
        self.item::<T>(src, "", serde_yaml::Value::Mapping(map));
        // serde located its (first) error exactly, nested paths included: prefer its report.
        let detail = |d: &Diagnostic| d.message.split_once(": ").map_or(d.message.clone(), |(_, m)| m.to_string());
        if let Some(whole) = whole_file {
            let found = self.diags.len() > first;
            match self.diags[first..].iter_mut().find(|d| detail(d) == detail(&whole)) {
                Some(same) => *same = whole,
                None if !found => self.diags.push(whole),
                None => {}
            }
        }
        self.diags[first..].sort_by_key(|d| (d.line, d.col));
        None
    }

    pub(super) fn parse_project(&mut self, src: &Source) -> Option<ProjectDoc> {
        self.parse_every(src, &[("targets", Self::item::<TargetDoc>), ("grants", Self::item::<GrantDoc>)])
    }

    pub(super) fn parse_table(&mut self, src: &Source) -> Option<TableDoc> {
        let nested: [Nested<'l>; 3] = [
            ("columns", Self::item::<ColumnDoc>),
            ("checks", Self::item::<CheckDoc>),
            ("grants", Self::item::<GrantDoc>),
        ];
        self.parse_every(src, &nested)
    }

    pub(super) fn parse_view(&mut self, src: &Source) -> Option<ViewDoc> {
        self.parse_every(src, &[("grants", Self::item::<GrantDoc>)])
    }

    /// Reports every mistake of one node, each at the key that causes it (the key whose removal
    /// changes the error): the key is set aside and the node tried again, until it deserialises
    /// or what is left is a key set aside (a required key of the wrong type), already reported.
    pub(super) fn item<D: de::DeserializeOwned>(&mut self, src: &Source, path: &str, item: serde_yaml::Value) {
        let mut item = item;
        let mut set_aside: Vec<String> = Vec::new();
        while let Err(e) = serde_yaml::from_value::<D>(item.clone()) {
            let message = plain_serde(&e.to_string());
            // A required key set aside for its type, or one a set-aside typo meant: said already.
            if set_aside.iter().any(|k| message == format!("missing field `{k}`")) {
                return;
            }
            // An unknown field names itself; otherwise it is the key whose removal changes the error.
            let named = message.strip_prefix("unknown field `").and_then(|rest| rest.split('`').next());
            let culprit = item.as_mapping().and_then(|m| {
                if let Some(name) = named.filter(|n| m.contains_key(*n)) {
                    return m.keys().filter_map(|k| k.as_str()).find(|k| *k == name);
                }
                if message.starts_with("missing field") {
                    return None;
                }
                m.keys().filter_map(|k| k.as_str()).find(|k| {
                    let mut without = m.clone();
                    without.shift_remove(*k);
                    serde_yaml::from_value::<D>(serde_yaml::Value::Mapping(without)).err().map(|e| e.to_string())
                        != Some(e.to_string())
                })
            });
            let (pos, shown) = match culprit {
                Some(k) if message.starts_with("unknown field") => {
                    (src.positions().key(&join_path(path, k)), path.to_string())
                }
                Some(k) => (src.positions().value(&join_path(path, k)), join_path(path, k)),
                None => (src.positions().value(path), path.to_string()),
            };
            let message = if shown.is_empty() { message } else { format!("{}: {message}", display_path(&shown)) };
            let help = suggestion_from_serde(&message);
            let meant = help.as_deref().and_then(|h| h.split('`').nth(1)).map(str::to_string);
            self.error(src, pos, message, help);
            let (Some(k), Some(map)) = (culprit.map(str::to_string), item.as_mapping_mut()) else { return };
            map.shift_remove(k.as_str());
            set_aside.push(k);
            set_aside.extend(meant);
        }
    }

    pub(super) fn kind(&mut self, src: &Source) -> Option<Kind> {
        // Block-style files name their kind in a top-level key: no parse needed.
        let mut keys: Vec<String> = top_level(&src.text).map(|(k, _)| k.to_string()).collect();
        if keys.is_empty() {
            let value: serde_yaml::Value = self.parse(src)?;
            let map = value.as_mapping().into_iter().flat_map(|m| m.keys());
            keys = map.filter_map(|k| k.as_str().map(str::to_string)).collect();
        }
        let kinds = ["table", "view", "materialized_view"];
        match keys.iter().find(|k| kinds.contains(&k.as_str())).map(String::as_str) {
            Some("table") => Some(Kind::Table),
            Some(_) => Some(Kind::View),
            None => {
                let help = keys.iter().find_map(|k| nearest(k, kinds));
                self.at_help(
                    src,
                    "",
                    "expected an object file with a `table`, `view` or `materialized_view` key",
                    help,
                );
                None
            }
        }
    }
}

pub(super) fn join_path(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_string()
    } else {
        format!("{parent}.{child}")
    }
}

/// `columns.3.type` → `columns[3].type`, the way serde prints paths.
pub(super) fn display_path(path: &str) -> String {
    path.split('.')
        .map(|p| if p.chars().all(|c| c.is_ascii_digit()) { format!("[{p}]") } else { format!(".{p}") })
        .collect::<String>()
        .trim_start_matches('.')
        .to_string()
}

/// serde's vocabulary in the user's terms.
pub(super) fn plain_serde(message: &str) -> String {
    [
        ("expected u8", "expected a whole number such as 1"),
        ("expected u32", "expected a whole number >= 0"),
        ("expected i64", "expected a whole number"),
        ("expected f64", "expected a number"),
        ("a sequence", "a list"),
        ("expected a string", "expected text"),
    ]
    .iter()
    .fold(message.to_string(), |m, (from, to)| m.replace(from, to))
}

/// serde names the offending field or variant and the expected ones: turn that into a hint.
pub(super) fn suggestion_from_serde(message: &str) -> Option<String> {
    // `{ type: decimal(18,4) }`: the flow mapping ends the value at the comma and `4)` becomes a key.
    if message.contains("unknown field `") && message.split('`').nth(1).is_some_and(|f| f.ends_with(')')) {
        return Some("inside `{ ... }` a comma ends the value: quote it, e.g. type: \"decimal(18,4)\"".into());
    }
    let ticked = |s: &str| -> Vec<String> { s.split('`').skip(1).step_by(2).map(str::to_string).collect() };
    for marker in ["unknown field ", "unknown variant "] {
        if let Some(i) = message.find(marker) {
            let names = ticked(&message[i..]);
            let (word, expected) = names.split_first()?;
            return nearest(word, expected.iter().map(String::as_str));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_from_serde_messages() {
        let m = "columns[1]: unknown field `nulable`, expected one of `name`, `type`, `nullable`";
        assert_eq!(suggestion_from_serde(m).as_deref(), Some("did you mean `nullable`?"));
        let m = "unknown variant `evn`, expected one of `auto`, `even`, `all`, `key`";
        assert_eq!(suggestion_from_serde(m).as_deref(), Some("did you mean `even`?"));
    }
}
