//! Small helpers for messages and JSON values.

use crate::util::truncate;
use crate::value::Value;

/// `pre`, `id` (cut to 64 characters) between backticks, then `post`: the shape of most messages,
/// written by one formatting site.
#[inline(never)]
pub(super) fn quoted(pre: &str, id: &str, post: &str) -> String {
    format!("{pre}`{}`{post}", truncate(id, 64))
}

/// A JSON array of strings.
#[inline(never)]
pub(super) fn strings_json(list: &[String]) -> Value {
    let mut out = Vec::with_capacity(list.len());
    for s in list {
        out.push(Value::from(s.clone()));
    }
    Value::Array(out)
}

/// A JSON string, or null.
pub(super) fn opt_text(s: Option<&str>) -> Value {
    s.map_or(Value::Null, Value::from)
}

/// A JSON array of `n` items, item `i` made by `item`.
pub(super) fn list_json(n: usize, item: &dyn Fn(usize) -> Value) -> Value {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        out.push(item(i));
    }
    Value::Array(out)
}
