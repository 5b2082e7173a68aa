//! Ids: the seed writes `"user_id": "id"` in its template and `123456789` in its example.

use std::cmp::Ordering;

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

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
            Value::String(s) if is_id_text(s) => Some(Id::Text(s.clone())),
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

/// Whether `s` may be an id: not empty, at most 256 characters.
fn is_id_text(s: &str) -> bool {
    !s.is_empty() && s.chars().count() <= 256
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Id::Num(n) => s.serialize_u64(*n),
            Id::Text(t) => s.serialize_str(t),
        }
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Id, D::Error> {
        d.deserialize_any(IdVisitor)
    }
}

struct IdVisitor;

impl de::Visitor<'_> for IdVisitor {
    type Value = Id;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an id (a non-negative integer, or a string of 1 to 256 characters)")
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Id, E> {
        Ok(Id::Num(n))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Id, E> {
        u64::try_from(n).map(Id::Num).map_err(|_| E::invalid_value(de::Unexpected::Signed(n), &self))
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Id, E> {
        Err(E::invalid_value(de::Unexpected::Float(n), &self))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Id, E> {
        self.visit_string(s.to_string())
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Id, E> {
        match is_id_text(&s) {
            true => Ok(Id::Text(s)),
            false if s.is_empty() => Err(E::invalid_value(de::Unexpected::Str(""), &self)),
            false => Err(E::invalid_value(de::Unexpected::Other("a longer string"), &self)),
        }
    }
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
        for bad in [json!(-1), json!(1.5), json!(""), json!(null), json!("x".repeat(257))] {
            assert!(Id::from_value(&bad).is_none(), "{bad}");
            assert!(serde_json::from_value::<Id>(bad.clone()).is_err(), "{bad}");
        }
        for (good, id) in [(json!(0), Id::Num(0)), (json!("07"), Id::Text("07".into()))] {
            assert_eq!(serde_json::from_value::<Id>(good.clone()).ok(), Some(id.clone()), "{good}");
            assert_eq!(serde_json::to_value(&id).ok(), Some(good));
        }
    }
}
