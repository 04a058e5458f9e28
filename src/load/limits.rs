//! Bounds on what the loader reads, so hostile input gets a clear error instead of an unbounded
//! read, a hang or an explosion: regular files only, each followed once (symlink loops end),
//! at most `MAX_FILE` bytes, at most `MAX_DEPTH` levels of nesting and `MAX_NODES` nodes once
//! aliases are expanded (a "billion laughs" file expands exponentially), and no NUL character
//! in any text.

use saphyr_parser::{Event, Parser};
use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Far beyond any real table or view file.
pub(super) const MAX_FILE: u64 = 1 << 20;
const MAX_DEPTH: usize = 64;
const MAX_NODES: u64 = 100_000;

/// The `.yaml`/`.yml` files below `dir`, each once, however symlinks lead to it.
pub(super) fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>, seen: &mut HashSet<PathBuf>) -> std::io::Result<()> {
    if !seen.insert(std::fs::canonicalize(dir)?) {
        return Ok(());
    }
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        // Follows symlinks; a dangling one is listed and reported when read.
        let meta = std::fs::metadata(&path);
        if meta.as_ref().is_ok_and(|m| m.is_dir()) {
            yaml_files(&path, out, seen)?;
        } else if matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")) {
            let once = std::fs::canonicalize(&path).map_or(true, |real| seen.insert(real));
            if once {
                out.push(path);
            }
        }
    }
    Ok(())
}

/// A file's text: a regular file (a FIFO would hang, a device read forever) of at most
/// `MAX_FILE` bytes, in UTF-8.
pub(super) fn read(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read file: {e}"))?;
    if !meta.is_file() {
        return Err("not a regular file: a YAML file must be a file (not a device, FIFO or socket)".into());
    }
    let too_big = || format!("the file is larger than {} KiB; split it", MAX_FILE >> 10);
    if meta.len() > MAX_FILE {
        return Err(too_big());
    }
    let mut text = String::new();
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read file: {e}"))?;
    file.take(MAX_FILE + 1).read_to_string(&mut text).map_err(|e| format!("cannot read file: {e}"))?;
    if text.len() as u64 > MAX_FILE {
        return Err(too_big());
    }
    Ok(text)
}

/// Nesting and alias expansion within bounds. Most files have neither anchors nor deep flow
/// collections: a cheap scan says so, and only the others are parsed event by event. The error
/// says where (line, column) when the parser knows.
pub(super) fn check(text: &str) -> Result<(), (Option<(usize, usize)>, String)> {
    if !suspicious(text) {
        return Ok(());
    }
    let mut count = Count::default();
    for item in Parser::new_from_str(text) {
        // Past the parser's own nesting limit, or broken: say so here, for the deserialiser can
        // take quadratic time on such text.
        let (event, _) = item.map_err(|e| {
            let at = (e.marker().line(), e.marker().col() + 1);
            (Some(at), format!("the YAML does not parse: {}", e.info()))
        })?;
        match event {
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if count.open.len() >= MAX_DEPTH {
                    return Err((None, format!("the YAML is nested more than {MAX_DEPTH} levels deep")));
                }
                count.open.push((anchor, 1));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((anchor, n)) = count.open.pop() {
                    count.add(anchor, n);
                }
            }
            Event::Scalar(_, _, anchor, _) => count.add(anchor, 1),
            Event::Alias(anchor) => count.add(0, count.anchors.get(&anchor).copied().unwrap_or(1)),
            _ => {}
        }
        if count.open.iter().map(|(_, n)| n).sum::<u64>() + count.total > MAX_NODES {
            return Err((None, format!("the YAML expands to more than {MAX_NODES} nodes (aliases of aliases?)")));
        }
    }
    Ok(())
}

/// No NUL character in any scalar: neither PostgreSQL nor Redshift can store one, and the renderer
/// uses it as an internal marker. YAML writes one only as an escape in a double-quoted scalar
/// (`"\0"`, `"\x00"`, `"\u0000"`), so files without a backslash are not parsed here.
pub(super) fn no_nul(text: &str) -> Result<(), (Option<(usize, usize)>, String)> {
    let message = || "a text holds a NUL character (\\0), which neither PostgreSQL nor Redshift can store".to_string();
    if let Some(at) = text.find('\0') {
        let line = text[..at].matches('\n').count() + 1;
        let col = text[..at].rsplit('\n').next().unwrap_or_default().chars().count() + 1;
        return Err((Some((line, col)), message()));
    }
    if !text.contains('\\') {
        return Ok(());
    }
    for (event, span) in Parser::new_from_str(text).map_while(Result::ok) {
        if let Event::Scalar(value, ..) = event {
            if value.contains('\0') {
                return Err((Some((span.start.line(), span.start.col() + 1)), message()));
            }
        }
    }
    Ok(())
}

/// Nodes as they would be once aliases are expanded.
#[derive(Default)]
struct Count {
    /// Per open collection: its anchor (0: none) and the nodes it holds so far.
    open: Vec<(usize, u64)>,
    /// The size of each anchored node.
    anchors: HashMap<usize, u64>,
    total: u64,
}

impl Count {
    fn add(&mut self, anchor: usize, n: u64) {
        if anchor > 0 {
            self.anchors.insert(anchor, n);
        }
        match self.open.last_mut() {
            Some(parent) => parent.1 += n,
            None => self.total += n,
        }
    }
}

/// Whether the text has an anchor or alias, or flow collections nested deeper than a table file
/// needs; quoted text and comments are skipped.
fn suspicious(text: &str) -> bool {
    let (mut depth, mut quote, mut comment, mut prev) = (0usize, None, false, b'\n');
    for &b in text.as_bytes() {
        match (quote, b) {
            (_, b'\n') if quote != Some(b'"') && quote != Some(b'\'') => comment = false,
            _ if comment => {}
            (Some(q), _) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'\'' | b'"') if matches!(prev, b' ' | b'\t' | b'[' | b'{' | b',' | b':' | b'-' | b'\n') => {
                quote = Some(b)
            }
            (None, b'#') if prev.is_ascii_whitespace() => comment = true,
            (None, b'&' | b'*') if matches!(prev, b' ' | b'\t' | b'[' | b'{' | b',' | b'\n') => return true,
            (None, b'[' | b'{') => {
                depth += 1;
                if depth > 4 {
                    return true;
                }
            }
            (None, b']' | b'}') => depth = depth.saturating_sub(1),
            _ => {}
        }
        prev = b;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bombs_and_deep_nesting_are_refused_quickly() {
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
        for (i, prev) in ('b'..='j').zip('a'..) {
            bomb.push_str(&format!(
                "{i}: &{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
        }
        let started = std::time::Instant::now();
        assert!(check(&bomb).unwrap_err().1.contains("expands"));
        let deep = format!("x: {}{}", "[".repeat(30_000), "]".repeat(30_000));
        assert_eq!(check(&deep).unwrap_err().0, Some((1, 259)));
        assert!(started.elapsed() < std::time::Duration::from_secs(1), "{:?}", started.elapsed());
        // Real files pass without the event scan; a quoted `*` or `&` is text.
        let table = "table: t\ncolumns:\n  - { name: a, type: bigint, description: \"x & y * z\" } # a & b\n";
        assert!(!suspicious(table));
        assert_eq!(check(table), Ok(()));
        assert_eq!(check("a: &x 1\nb: *x\n"), Ok(()));
    }

    #[test]
    fn nul_characters_are_refused_where_they_are() {
        assert_eq!(no_nul("a: \"x\\\\0\"\nb: 'y\\0'\n"), Ok(()));
        for text in ["a: 1\nb: \"x\\0\"\n", "a: 1\nb: \"\\x00\"\n", "a: 1\nb: \"\\u0000\"\n", "a: 1\nb: x\0\n"] {
            assert_eq!(no_nul(text).unwrap_err().0.map(|(line, _)| line), Some(2), "{text:?}");
        }
    }

    #[test]
    fn only_regular_files_are_read() {
        assert!(read(Path::new("/dev/zero")).unwrap_err().contains("not a regular file"));
        assert!(read(Path::new("/no/such/file.yaml")).unwrap_err().contains("cannot read file"));
    }
}
