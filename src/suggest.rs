//! "Did you mean": the nearest valid name for a misspelt one, shared by the loader, the model's
//! lookups and every command that takes names.

/// The closest candidate, if it is close enough to be a likely typo.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    candidates
        .into_iter()
        .filter(|c| *c != word)
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| format!("did you mean `{c}`?"))
}

/// "no table `x`", with the nearest existing name when one is close.
pub fn unknown<'a>(what: &str, name: &str, names: impl IntoIterator<Item = &'a str>) -> String {
    let hint = nearest(name, names).map(|h| format!("; {h}")).unwrap_or_default();
    format!("no {what} `{name}`{hint}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(nearest("nulable", ["nullable", "name"]).as_deref(), Some("did you mean `nullable`?"));
        assert_eq!(nearest("zzz", ["nullable"]), None);
        // Suggesting the very name that was given helps nobody.
        assert_eq!(nearest("a_check", ["a_check"]), None);
        assert_eq!(unknown("table", "evnts", ["events"]), "no table `evnts`; did you mean `events`?");
    }
}
