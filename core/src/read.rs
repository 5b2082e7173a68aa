//! What serde needs to read the wire as the engine means it: the values PHP hosts send in their
//! own way (ids as digit strings, flags as "0"/"1"/"", integers as strings), as converters with
//! their messages and as newtypes to use in `#[derive(Deserialize)]` structs, which
//! [`crate::de::read`] reads, saying where a refusal is ("op `check`: field `feed`: expected an
//! id, found a string").

use crate::value::{Map, Value};

/// A database id (`int(11)` in emoncms: 1 … 2147483647).
pub type Id = u32;

/// The largest id MySQL's signed `int(11)` holds.
pub const MAX_ID: u32 = i32::MAX as u32;

/// How a value is named in messages.
pub(crate) fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

// --- converters, `Value -> Result<T, String>`, for `Reader::req` / `opt` / `or` ---

/// A string.
pub(crate) fn string(v: Value) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s),
        other => Err(format!("expected a string, found {}", kind_of(&other))),
    }
}

/// An integer (strictly a JSON number without fraction).
pub(crate) fn integer(v: Value) -> Result<i64, String> {
    match &v {
        Value::Number(n) => n.as_i64().ok_or_else(|| format!("`{n}` is not an integer")),
        other => Err(format!("expected an integer, found {}", kind_of(other))),
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
pub(crate) fn id(v: Value) -> Result<Id, String> {
    id_ref(&v)
}

/// [`id`] of a borrowed value.
pub(crate) fn id_ref(v: &Value) -> Result<Id, String> {
    let n = match v {
        Value::Number(n) => n.as_u64().ok_or_else(|| format!("`{n}` is not a positive integer"))?,
        Value::String(s) if !s.is_empty() && s.len() <= 10 && s.bytes().all(|b| b.is_ascii_digit()) => {
            // At most ten digits: no overflow, so no parser (and its error type) is needed.
            let mut n = 0u64;
            for b in s.bytes() {
                n = n * 10 + u64::from(b - b'0');
            }
            n
        }
        other => return Err(format!("expected an id, found {}", kind_of(other))),
    };
    if n == 0 || n > u64::from(MAX_ID) {
        return Err(format!("id `{n}` is out of range 1..{MAX_ID}"));
    }
    Ok(n as Id)
}

/// A flag as PHP hosts send it: bool, 0/1, "0"/"1", "" or null.
pub(crate) fn flag(v: Value) -> Result<bool, String> {
    flag_ref(&v)
}

/// [`flag`] of a borrowed value.
pub(crate) fn flag_ref(v: &Value) -> Result<bool, String> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::Null => Ok(false),
        Value::Number(n) if n.as_u64() == Some(0) => Ok(false),
        Value::Number(n) if n.as_u64() == Some(1) => Ok(true),
        Value::String(s) if s.is_empty() || s == "0" => Ok(false),
        Value::String(s) if s == "1" => Ok(true),
        other => Err(format!("expected a flag, found {}", kind_of(other))),
    }
}

/// A feed's `public` flag as emoncms stores it: public only when it says 1 (`1`, `"1"`, `true`).
/// Anything else is private and never an error: emoncms casts the value it is given and clamps
/// only positive values, so a row can say `-1`, and one odd row must not break every list the
/// member appears in.
pub(crate) fn feed_public(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_u64() == Some(1),
        Value::String(s) => s.trim() == "1",
        _ => false,
    }
}

/// An integer, or a string holding one (a mysqli column).
pub(crate) fn lenient_int(v: Value) -> Result<i64, String> {
    match &v {
        Value::Number(n) => n.as_i64().ok_or_else(|| format!("`{n}` is not an integer")),
        Value::String(s) => s.trim().parse::<i64>().map_err(|_| "expected an integer".to_string()),
        other => Err(format!("expected an integer, found {}", kind_of(other))),
    }
}

// --- serde: typed readers for the wire's unusual values, and errors that say where ---

/// Converts a value read whole with `f`, one of the converters above, its message kept.
fn with<'de, D: serde::Deserializer<'de>, T>(d: D, f: fn(Value) -> Result<T, String>) -> Result<T, D::Error> {
    use serde::Deserialize;
    f(Value::deserialize(d)?).map_err(serde::de::Error::custom)
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
read_with!(/// An object ([`object`]).
    Object(Map<String, Value>) by object, derive(Default));
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
        assert_eq!(id(json!("7")), Ok(7));
        for bad in
            [json!(0), json!(-1), json!("1abc"), json!(" 1"), json!(2147483648u64), json!(1.5), json!("")]
        {
            assert!(id(bad.clone()).is_err(), "{bad} accepted");
        }
        assert_eq!(flag(json!("1")), Ok(true));
        assert_eq!(flag(json!(null)), Ok(false));
        assert!(flag(json!(2)).is_err());
        assert_eq!(lenient_int(json!(" 3")), Ok(3));
    }
}
