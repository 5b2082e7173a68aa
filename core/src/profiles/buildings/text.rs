//! Small helpers for messages and JSON values.

use crate::util::truncate;
use crate::value::Value;

/// `pre`, `id` (cut to 64 characters) between backticks, then `post`: the shape of most messages,
/// written by one formatting site.
#[inline(never)]
pub(super) fn quoted(pre: &str, id: &str, post: &str) -> String {
    format!("{pre}`{}`{post}", truncate(id, 64))
}

/// A JSON string, or null.
pub(super) fn opt_text(s: Option<&str>) -> Value {
    s.map_or(Value::Null, Value::from)
}
