//! Passwords out of everything shown: library messages, and URLs in free text.

/// An error and its sources joined by `: ` (rust-postgres keeps the cause out of `Display`).
pub(super) fn chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        msg = format!("{msg}: {s}");
        source = s.source();
    }
    msg
}

/// Scrub a library message and flatten it to one line. Only a password long enough not to be
/// found inside ordinary words is searched for; URLs in the message lose their password either way.
pub(super) fn scrub(secrets: &[String], msg: &str) -> String {
    let mut msg = redact_urls(&msg.replace(['\r', '\n'], " "));
    for s in secrets.iter().filter(|s| s.chars().count() >= MIN_SCRUBBED) {
        msg = msg.replace(s.as_str(), "***");
    }
    msg
}

/// Shorter passwords are not searched for in messages: `e` would turn "refused" into "r***fus***d".
const MIN_SCRUBBED: usize = 4;

/// libpq-style percent-decoding (`+` stays `+`).
pub(super) fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// Masks the passwords of every URL in free text (an argument parser's message, say): see
/// `redact_url`. A URL starts after whitespace or a quote and ends before the next one.
pub fn redact_urls(text: &str) -> String {
    mask_password_pairs(&redact_url_spans(text))
}

/// Whether a connection parameter may hold a secret: its name holds `pass` or `pwd` in any case
/// (`password`, `PASSWORD`, `passwd`, `pwd`, `sslpassword`), whatever the driver makes of it;
/// all but libpq's `passfile`, the path of a password file.
pub(super) fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    (key.contains("pass") || key.contains("pwd")) && key != "passfile"
}

/// The value of every `key=value` pair in free text whose key `is_secret_key` (a key=value
/// connection string in an argument parser's message): up to the next space, quote or `&`.
fn mask_password_pairs(text: &str) -> String {
    let boundary = |c: char| c.is_whitespace() || matches!(c, '\'' | '"' | '`' | '&');
    let (mut out, mut rest) = (String::new(), text);
    while let Some(i) = rest.find('=') {
        let key = rest[..i].rsplit(|c: char| boundary(c) || c == '?').next().unwrap_or_default();
        let value = &rest[i + 1..];
        let end = value.find(boundary).unwrap_or(value.len());
        out.push_str(&rest[..=i]);
        if is_secret_key(key) {
            out.push_str(if end == 0 { "" } else { "***" });
            rest = &value[end..];
        } else {
            rest = value;
        }
    }
    out + rest
}

fn redact_url_spans(text: &str) -> String {
    let boundary = |c: char| c.is_whitespace() || matches!(c, '\'' | '"' | '`' | '<' | '>' | '\x1b');
    let (mut out, mut rest) = (String::new(), text);
    while let Some(i) = rest.find("://") {
        let start = rest[..i].rfind(boundary).map_or(0, |j| j + 1);
        let end = rest[i..].find(boundary).map_or(rest.len(), |j| i + j);
        out.push_str(&rest[..start]);
        out.push_str(&redact_url(&rest[start..end]));
        rest = &rest[end..];
    }
    out + rest
}

/// Masks a URL that may not parse: everything between the user name and the last `@`, and the
/// value of every query key that decodes to a secret's name (`is_secret_key`).
pub(super) fn redact_url(url: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let mut out = url.to_string();
    if let Some(at) = url.rfind('@').filter(|&at| at > start) {
        if let Some(colon) = url[start..at].find(':') {
            out = format!("{}:***{}", &url[..start + colon], &url[at..]);
        }
    }
    let Some(q) = out.find('?') else { return out };
    let query: Vec<String> = out[q + 1..]
        .split('&')
        .map(|seg| match seg.split_once('=') {
            Some((key, _)) if is_secret_key(&decode(key)) => format!("{key}=***"),
            _ => seg.to_string(),
        })
        .collect();
    format!("{}?{}", &out[..q], query.join("&"))
}
