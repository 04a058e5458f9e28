//! Where each node of a YAML file starts, by path (`columns.3.name`), so errors found after
//! deserialisation can still name a line and column. serde gives locations only for the first
//! syntax error; this index gives them for every semantic one.

use saphyr_parser::{Event, Parser, ScalarStyle};
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

#[derive(Debug, Default)]
pub struct Positions {
    /// Path → start of the value. Keys of mappings are stored under `path#`.
    nodes: HashMap<String, Pos>,
    /// Path → the text of a plain (unquoted) scalar value as written, before YAML reads it as
    /// a number: `.inf` or `1e-400` say what their value cannot.
    plain: HashMap<String, String>,
}

enum Frame {
    Map { path: String, key: Option<String> },
    Seq { path: String, next: usize },
}

impl Positions {
    /// Indexes a file. Syntax errors are left to the deserialiser, which reports them with a
    /// location; a partial index is still useful then.
    pub fn index(text: &str) -> Positions {
        let (mut nodes, mut plain) = (HashMap::new(), HashMap::new());
        let mut stack: Vec<Frame> = Vec::new();
        for item in Parser::new_from_str(text) {
            let Ok((event, span)) = item else { break };
            let pos = Pos { line: span.start.line(), col: span.start.col() + 1 };
            let starts_node = matches!(
                event,
                Event::Scalar(..) | Event::MappingStart(..) | Event::SequenceStart(..) | Event::Alias(_)
            );
            let mut path = None;
            if starts_node {
                match stack.last_mut() {
                    Some(Frame::Map { path: map, key: key @ None }) => {
                        // A mapping key: only scalar keys are addressable.
                        let name = match &event {
                            Event::Scalar(v, ..) => v.to_string(),
                            _ => String::from("?"),
                        };
                        nodes.insert(format!("{}#", join(map, &name)), pos);
                        *key = Some(name);
                        if matches!(event, Event::Scalar(..)) {
                            continue;
                        }
                    }
                    Some(Frame::Map { path: map, key: key @ Some(_) }) => {
                        let p = join(map, key.as_deref().unwrap_or_default());
                        if matches!(event, Event::Scalar(..) | Event::Alias(_)) {
                            *key = None;
                        }
                        path = Some(p);
                    }
                    Some(Frame::Seq { path: seq, next }) => {
                        path = Some(join(seq, &next.to_string()));
                        *next += 1;
                    }
                    None => path = Some(String::new()),
                }
            }
            if let Some(p) = &path {
                nodes.entry(p.clone()).or_insert(pos);
                if let Event::Scalar(text, ScalarStyle::Plain, ..) = &event {
                    plain.entry(p.clone()).or_insert_with(|| text.to_string());
                }
            }
            match event {
                Event::MappingStart(..) => stack.push(Frame::Map { path: path.unwrap_or_default(), key: None }),
                Event::SequenceStart(..) => stack.push(Frame::Seq { path: path.unwrap_or_default(), next: 0 }),
                Event::MappingEnd | Event::SequenceEnd => {
                    stack.pop();
                    if let Some(Frame::Map { key, .. }) = stack.last_mut() {
                        *key = None;
                    }
                }
                _ => {}
            }
        }
        Positions { nodes, plain }
    }

    /// The text of the plain scalar at `path`, if the value there is one.
    pub fn plain(&self, path: &str) -> Option<&str> {
        self.plain.get(path).map(String::as_str)
    }

    /// The position of the value at `path`, or of its nearest indexed ancestor.
    pub fn value(&self, path: &str) -> Pos {
        let mut p = path;
        loop {
            if let Some(pos) = self.nodes.get(p) {
                return *pos;
            }
            match p.rfind('.') {
                Some(i) => p = &p[..i],
                None => return self.nodes.get("").copied().unwrap_or(Pos { line: 1, col: 1 }),
            }
        }
    }

    /// The position of the key `path` (e.g. an unknown field), falling back to the value.
    pub fn key(&self, path: &str) -> Pos {
        self.nodes.get(&format!("{path}#")).copied().unwrap_or_else(|| self.value(path))
    }
}

fn join(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_string()
    } else {
        format!("{parent}.{child}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_block_and_flow_nodes() {
        let text = "table: t\ncolumns:\n  - name: a\n    type: int\n  - { name: b, type: date }\nsort_key:\n  columns: [a, b]\n";
        let p = Positions::index(text);
        assert_eq!(p.value("table"), Pos { line: 1, col: 8 });
        assert_eq!(p.value("columns.0.type"), Pos { line: 4, col: 11 });
        assert_eq!(p.value("columns.1.name"), Pos { line: 5, col: 13 });
        assert_eq!(p.key("columns.1.type"), Pos { line: 5, col: 16 });
        assert_eq!(p.value("sort_key.columns.1"), Pos { line: 7, col: 16 });
        // Unknown paths fall back to the nearest ancestor.
        assert_eq!(p.value("sort_key.columns.9"), Pos { line: 7, col: 12 });
    }
}
