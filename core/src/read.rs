//! What serde needs to read the wire as the engine means it: the values PHP hosts send in their
//! own way (ids as digit strings, flags as "0"/"1"/"", integers as strings), as converters with
//! their messages and as newtypes to use in `#[derive(Deserialize)]` structs, which
//! [`crate::de::read`] reads, saying where a refusal is ("op `check`: field `feed`: expected an
//! id, found a string").

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::value::{Map, Value};

/// A database id (`int(11)` in emoncms: 1 … 2147483647).
pub type Id = u32;

/// The largest id MySQL's signed `int(11)` holds.
pub const MAX_ID: u32 = i32::MAX as u32;

// --- what the converters read: a scalar, a string borrowed from the text where it can be ---

/// A wire value as the converters below see it: a scalar, or only the kind of a compound (no
/// converter takes one). Read straight from a text, a string borrows it unless it has escapes;
/// [`Scalar::of`] views a value already read. Compounds are read through, so the deserializer's
/// own nesting limit counts them as it counts a value's.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar<'a> {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    Str(Cow<'a, str>),
    Array,
    Object,
}

impl<'a> Scalar<'a> {
    /// The scalar view of `v`.
    pub(crate) fn of(v: &'a Value) -> Scalar<'a> {
        match v {
            Value::Null => Scalar::Null,
            Value::Bool(b) => Scalar::Bool(*b),
            Value::Number(n) => Scalar::Number(n.clone()),
            Value::String(s) => Scalar::Str(Cow::Borrowed(s)),
            Value::Array(_) => Scalar::Array,
            Value::Object(_) => Scalar::Object,
        }
    }

    /// How the value is named in messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Scalar::Null => "null",
            Scalar::Bool(_) => "a boolean",
            Scalar::Number(_) => "a number",
            Scalar::Str(_) => "a string",
            Scalar::Array => "an array",
            Scalar::Object => "an object",
        }
    }
}

impl<'de> Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Scalar<'de>, D::Error> {
        d.deserialize_any(ScalarVisitor { depth: None })
    }
}

/// A [`Scalar`] at `.0` levels deep in its text: a compound's nesting is counted from there
/// against [`crate::value::MAX_DEPTH`] (for a text read apart from the one it sits in, as a feed row is).
pub(crate) struct ScalarAt(pub(crate) usize);

impl<'de> DeserializeSeed<'de> for ScalarAt {
    type Value = Scalar<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Scalar<'de>, D::Error> {
        d.deserialize_any(ScalarVisitor { depth: Some(self.0) })
    }
}

/// Reads a [`Scalar`]; a compound's items are read through as values of their own (depth known:
/// skipped and counted; unknown: read as scalars, which the deserializer counts).
struct ScalarVisitor {
    depth: Option<usize>,
}

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_bool<E>(self, b: bool) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Number(n.into()))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Number(n.into()))
    }
    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Scalar<'de>, E> {
        // A JSON text has no NaN or infinity, and serde_json reads an overflow as an error.
        serde_json::Number::from_f64(n).map(Scalar::Number).ok_or_else(|| E::custom("not a JSON number"))
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Str(Cow::Borrowed(s)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Str(Cow::Owned(s.to_string())))
    }
    fn visit_string<E>(self, s: String) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Str(Cow::Owned(s)))
    }
    fn visit_unit<E>(self) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Null)
    }
    fn visit_none<E>(self) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Scalar<'de>, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar<'de>, A::Error> {
        match self.depth {
            Some(depth) => crate::value::Skip { depth }.visit_seq(seq)?,
            None => while seq.next_element::<Scalar<'de>>()?.is_some() {},
        }
        Ok(Scalar::Array)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar<'de>, A::Error> {
        match self.depth {
            Some(depth) => crate::value::Skip { depth }.visit_map(map)?,
            None => {
                while map.next_key::<IgnoredAny>()?.is_some() {
                    map.next_value::<Scalar<'de>>()?;
                }
            }
        }
        Ok(Scalar::Object)
    }
}

// --- converters, `Scalar -> Result<T, String>`, for the newtypes below and the readers ---

/// How a value is named in messages.
pub(crate) fn kind_of(v: &Value) -> &'static str {
    Scalar::of(v).kind()
}

/// A string.
pub(crate) fn string(v: Scalar<'_>) -> Result<String, String> {
    match v {
        Scalar::Str(s) => Ok(s.into_owned()),
        other => Err(format!("expected a string, found {}", other.kind())),
    }
}

/// An integer (strictly a JSON number without fraction).
pub(crate) fn integer(v: Scalar<'_>) -> Result<i64, String> {
    match &v {
        Scalar::Number(n) => n.as_i64().ok_or_else(|| format!("`{n}` is not an integer")),
        other => Err(format!("expected an integer, found {}", other.kind())),
    }
}

/// An object.
pub(crate) fn object(v: Value) -> Result<Map<String, Value>, String> {
    match v {
        Value::Object(m) => Ok(m),
        other => Err(format!("expected an object, found {}", kind_of(&other))),
    }
}

/// An id: a positive integer, or a string of digits, within `int(11)` (PHP and mysqli send
/// numbers as strings).
pub(crate) fn id(v: Scalar<'_>) -> Result<Id, String> {
    let n = match &v {
        Scalar::Number(n) => n.as_u64().ok_or_else(|| format!("`{n}` is not a positive integer"))?,
        Scalar::Str(s) if !s.is_empty() && s.len() <= 10 && s.bytes().all(|b| b.is_ascii_digit()) => {
            // At most ten digits: no overflow, so no parser (and its error type) is needed.
            let mut n = 0u64;
            for b in s.bytes() {
                n = n * 10 + u64::from(b - b'0');
            }
            n
        }
        other => return Err(format!("expected an id, found {}", other.kind())),
    };
    if n == 0 || n > u64::from(MAX_ID) {
        return Err(format!("id `{n}` is out of range 1..{MAX_ID}"));
    }
    Ok(n as Id)
}

/// [`id`] of a value.
pub(crate) fn id_of(v: &Value) -> Result<Id, String> {
    id(Scalar::of(v))
}

/// A flag as PHP hosts send it: bool, 0/1, "0"/"1", "" or null.
pub(crate) fn flag(v: Scalar<'_>) -> Result<bool, String> {
    match &v {
        Scalar::Bool(b) => Ok(*b),
        Scalar::Null => Ok(false),
        Scalar::Number(n) if n.as_u64() == Some(0) => Ok(false),
        Scalar::Number(n) if n.as_u64() == Some(1) => Ok(true),
        Scalar::Str(s) if s.is_empty() || s == "0" => Ok(false),
        Scalar::Str(s) if s == "1" => Ok(true),
        other => Err(format!("expected a flag, found {}", other.kind())),
    }
}

/// A feed's `public` flag as emoncms stores it: public only when it says 1 (`1`, `"1"`, `true`).
/// Anything else is private and never an error: emoncms casts the value it is given and clamps
/// only positive values, so a row can say `-1`, and one odd row must not break every list the
/// member appears in.
pub(crate) fn feed_public(v: &Scalar<'_>) -> bool {
    match v {
        Scalar::Bool(b) => *b,
        Scalar::Number(n) => n.as_u64() == Some(1),
        Scalar::Str(s) => s.trim() == "1",
        _ => false,
    }
}

/// An integer, or a string holding one (a mysqli column).
pub(crate) fn lenient_int(v: Scalar<'_>) -> Result<i64, String> {
    match &v {
        Scalar::Number(n) => n.as_i64().ok_or_else(|| format!("`{n}` is not an integer")),
        Scalar::Str(s) => s.trim().parse::<i64>().map_err(|_| "expected an integer".to_string()),
        other => Err(format!("expected an integer, found {}", other.kind())),
    }
}

/// A float column (`time`, `value`): a number or a numeric string; anything else is unknown.
pub(crate) fn number(v: &Scalar<'_>) -> Option<f64> {
    match v {
        Scalar::Number(n) => n.as_f64(),
        Scalar::Str(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    }
}

/// `users.access` as emoncms reads it: 0 login disabled, 1 read-only, anything else full (2). Never
/// an error: one odd row must not break every list the member appears in (as `public`).
pub(crate) fn access(v: Scalar<'_>) -> Result<u8, String> {
    Ok(match &v {
        Scalar::Number(n) => match n.as_i64() {
            Some(0) => 0,
            Some(1) => 1,
            _ => 2,
        },
        Scalar::Str(s) => match s.trim() {
            "0" => 0,
            "1" => 1,
            _ => 2,
        },
        _ => 2,
    })
}

// --- serde: typed readers for the wire's unusual values, and errors that say where ---

/// Converts a value read with `f`, one of the converters above, its message kept.
fn with<'de, D: Deserializer<'de>, T>(d: D, f: fn(Scalar<'de>) -> Result<T, String>) -> Result<T, D::Error> {
    f(Scalar::deserialize(d)?).map_err(de::Error::custom)
}

/// A newtype that reads its value whole with one of the converters above, their message kept
/// (what serde's own impls would say differs: "invalid type: string \"x\", expected u32").
macro_rules! read_with {
    ($(#[$doc:meta])* $name:ident($inner:ty) by $convert:ident, derive($($derive:ident),*)) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, $($derive),*)]
        pub(crate) struct $name(pub(crate) $inner);

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                with(d, $convert).map($name)
            }
        }
    };
}

read_with!(/// An id ([`id`]).
    WireId(Id) by id, derive(Copy, Eq));
read_with!(/// A flag as PHP hosts send it ([`flag`]).
    Flag(bool) by flag, derive(Copy, Eq, Default));
read_with!(/// An integer or a string holding one ([`lenient_int`]).
    LenientInt(i64) by lenient_int, derive(Copy, Eq));
read_with!(/// A string ([`string`]).
    Text(String) by string, derive(Eq, Default));
/// An object ([`object`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Object(pub(crate) Map<String, Value>);

impl<'de> Deserialize<'de> for Object {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Object, D::Error> {
        object(Value::deserialize(d)?).map(Object).map_err(de::Error::custom)
    }
}
read_with!(/// An integer ([`integer`]).
    Integer(i64) by integer, derive(Copy, Eq));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::value::json;

    #[test]
    fn messages_say_where() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code, reason = "read for its errors")]
        struct T {
            a: Option<WireId>,
            l: Vec<WireId>,
        }
        let typed_error = |v: Value| {
            crate::de::read::<T>("op `t`", ErrorCode::BadRequest, v).unwrap_err().message().to_string()
        };
        assert_eq!(
            typed_error(json!({"l": [1, "2", 0]})),
            "op `t`: l[2]: id `0` is out of range 1..2147483647"
        );
        assert_eq!(
            typed_error(json!({"a": "no", "l": []})),
            "op `t`: field `a`: expected an id, found a string"
        );
        assert_eq!(typed_error(json!({"a": null})), "op `t`: missing field `l`");
        let unknown = typed_error(json!({"l": [], "x": 1}));
        assert_eq!(unknown, "op `t`: unknown field `x`, expected `a` or `l`");
        let s = crate::de::read::<T>("state", ErrorCode::InvalidState, json!([])).unwrap_err();
        assert_eq!(
            (s.code(), s.message()),
            (ErrorCode::InvalidState, "state: expected an object, found an array")
        );
    }

    #[test]
    fn ids_and_flags_are_strict() {
        assert_eq!(id_of(&json!("7")), Ok(7));
        for bad in
            [json!(0), json!(-1), json!("1abc"), json!(" 1"), json!(2147483648u64), json!(1.5), json!("")]
        {
            assert!(id_of(&bad).is_err(), "{bad} accepted");
        }
        assert_eq!(flag(Scalar::of(&json!("1"))), Ok(true));
        assert_eq!(flag(Scalar::of(&json!(null))), Ok(false));
        assert!(flag(Scalar::of(&json!(2))).is_err());
        assert_eq!(lenient_int(Scalar::of(&json!(" 3"))), Ok(3));
    }
}
