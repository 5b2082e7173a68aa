//! Ids: the seed writes `"user_id": "id"` in its template and `123456789` in its example.

use std::cmp::Ordering;

use crate::read;
use crate::value::Value;

/// A user or device id: a non-negative integer or a non-empty string. A number and the string of
/// its decimal digits are the same id; the form first stored is kept.
#[derive(Debug, Clone)]
pub(crate) enum Id {
    Num(u64),
    Text(String),
}

impl Id {
    pub(super) fn from_value(v: &Value) -> Option<Id> {
        match v {
            Value::Number(n) => n.as_u64().map(Id::Num),
            Value::String(s) if !s.is_empty() && s.chars().count() <= 256 => Some(Id::Text(s.clone())),
            _ => None,
        }
    }
    /// The id as text, a number written into `buf` in decimal digits: ids are compared often, and
    /// named in messages, without allocating.
    pub(super) fn text<'a>(&'a self, buf: &'a mut [u8; 20]) -> &'a str {
        match self {
            Id::Num(n) => decimal(*n, buf),
            Id::Text(s) => s,
        }
    }
    pub(super) fn to_value(&self) -> Value {
        match self {
            Id::Num(n) => Value::from(*n),
            Id::Text(s) => Value::from(s.as_str()),
        }
    }
}

/// `n` in decimal digits, written into `buf`.
fn decimal(n: u64, buf: &mut [u8; 20]) -> &str {
    use std::io::Write;
    let mut free = &mut buf[..];
    // 20 digits hold every u64.
    let _ = write!(free, "{n}");
    let len = 20 - free.len();
    buf.get(..len).and_then(|d| std::str::from_utf8(d).ok()).unwrap_or("")
}

impl PartialEq for Id {
    fn eq(&self, other: &Id) -> bool {
        let (mut x, mut y) = ([0; 20], [0; 20]);
        self.text(&mut x) == other.text(&mut y)
    }
}
impl Eq for Id {}

impl Ord for Id {
    /// Ids made of digits only come first, in numeric order; other ids follow in text order.
    fn cmp(&self, other: &Id) -> Ordering {
        let (mut x, mut y) = ([0; 20], [0; 20]);
        let (a, b) = (self.text(&mut x), other.text(&mut y));
        let numeric = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
        match (numeric(a), numeric(b)) {
            (true, true) => {
                let (ta, tb) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
                ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb)).then_with(|| a.cmp(b))
            }
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => a.cmp(b),
        }
    }
}
impl PartialOrd for Id {
    fn partial_cmp(&self, other: &Id) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Id {
    /// An id field, for [`Reader::req`] and the fields of ops.
    pub(super) fn read(v: Value) -> Result<Id, String> {
        Id::from_value(&v).ok_or_else(|| {
            "an id is a non-negative integer or a non-empty string of at most 256 characters".to_string()
        })
    }
}

/// A list of ids (a bad one is named by its index).
pub(super) fn ids(v: Value) -> Result<Vec<Id>, String> {
    let items = read::array(v)?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        out.push(Id::read(item).map_err(|m| format!("[{i}]: {m}"))?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::json;

    #[test]
    fn ids_compare_by_digits_then_text() {
        let mut ids =
            [Id::Text("b".into()), Id::Num(10), Id::Text("9".into()), Id::Text("a".into()), Id::Num(100)];
        ids.sort();
        let keys: Vec<String> = ids.iter().map(|id| id.text(&mut [0; 20]).to_string()).collect();
        assert_eq!(keys, vec!["9", "10", "100", "a", "b"]);
        assert_eq!(Id::Num(7), Id::Text("7".into()));
        assert_ne!(Id::Num(7), Id::Text("07".into()));
        assert!(Id::from_value(&json!(-1)).is_none());
        assert!(Id::from_value(&json!(1.5)).is_none());
        assert!(Id::from_value(&json!("")).is_none());
        assert!(Id::from_value(&json!(null)).is_none());
    }
}
