//! Texts as 2.0.0 checks and writes them: names, templates, HTML escaping, ids, numbers,
//! e-mail addresses.

use super::*;

/// 2.0.0's name regex: keep Unicode letters, Unicode digits, `_`, `-`, `:`.
pub fn filter_name(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_alphabetic() || c.is_numeric() || matches!(c, '_' | '-' | ':') {
            out.push(c);
        }
    }
    out
}

/// A name as uniqueness compares it: case-folded (see `util::fold_case`).
pub(super) fn lower(s: &str) -> String {
    crate::util::fold_case(s)
}

/// `template` with each placeholder of `values` replaced in turn, in the text the previous ones
/// left; the values HTML-escaped when `escape`.
pub(super) fn fill(template: String, values: &[(&str, &str)], escape: bool) -> String {
    let mut text = template;
    for &(key, value) in values {
        let value = if escape { html_escape(value) } else { value.to_string() };
        text = text.replace(key, &value);
    }
    text
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#039;"),
            c => out.push(c),
        }
    }
    out
}

/// The text fields of a group as create and editgroup take them: parameter, label in messages,
/// longest length in characters.
pub(super) const GROUP_TEXTS: [(&str, &str, usize); 4] = [
    ("name", "Group name", 64),
    ("description", "Description", 256),
    ("organization", "Organization", 64),
    ("area", "Area", 64),
];

/// The string in `slot` (empty when none), leaving `None`.
pub(super) fn take(slot: &mut Option<String>) -> String {
    slot.take().unwrap_or_default()
}

/// Digits only, no sign or spaces, 1 … 2147483647.
pub fn parse_id(raw: &str) -> Option<Id> {
    if raw.is_empty() || raw.len() > 10 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    raw.parse::<u64>().ok().filter(|&n| n >= 1 && n <= u64::from(MAX_ID)).map(|n| n as Id)
}

/// An integer or a decimal, as a JSON number.
pub(super) fn parse_number(raw: &str) -> Option<Value> {
    let digits = raw.strip_prefix('-').unwrap_or(raw);
    if digits.is_empty()
        || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        || digits.bytes().filter(|&b| b == b'.').count() > 1
    {
        return None;
    }
    if let Ok(i) = raw.parse::<i64>() {
        return Some(json!(i));
    }
    raw.parse::<f64>().ok().filter(|f| f.is_finite()).map(|f| json!(f))
}

/// `local@domain.tld`: one `@`, no spaces or control characters, a dot in the domain with
/// characters around it.
pub(super) fn valid_email(e: &str) -> bool {
    if e.len() > 254 {
        return false;
    }
    // The byte offsets of the first `@`, and of the last `.` after it.
    let (mut at, mut dot) = (None, None);
    for (i, c) in e.char_indices() {
        if c.is_whitespace() || c.is_control() {
            return false;
        }
        match (c, at) {
            ('@', None) => at = Some(i),
            ('@', Some(_)) => return false,
            ('.', Some(_)) => dot = Some(i),
            _ => {}
        }
    }
    let (Some(at), Some(dot)) = (at, dot) else {
        return false;
    };
    let host = e.as_bytes().get(at + 1..dot).unwrap_or_default();
    at > 0
        && e.len() - dot > 2
        && host.first().is_some_and(|&b| b != b'.')
        && host.last().is_some_and(|&b| b != b'.')
}
