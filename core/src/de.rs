//! Reading JSON values into the engine's types with serde's derives, strictly, with messages that
//! say where the problem is: `state: homes[0]: users[1]: field `email`: expected a string, found a
//! number`. Every profile reads its op fields, state rows and changes through here.
//!
//! serde_json's own `from_value` names neither the row nor the field of a problem, so values are
//! read through [`At`], a deserializer of a [`Value`] that adds each field and item to an error
//! as it unwinds. It also wants an object where a struct is read (serde_json would take an array
//! of the fields in order).

use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Unexpected, Visitor};
use serde::{Deserialize, forward_to_deserialize_any};

use crate::error::{ErrorCode, WireError};
use crate::util::truncate;
use crate::value::{Map, Value};

/// The fields of op `op` as a `T` (`bad_request` errors about "op `op`").
pub(crate) fn op<T: DeserializeOwned>(op: &str, fields: Map<String, Value>) -> Result<T, WireError> {
    read(&format!("op `{op}`"), ErrorCode::BadRequest, Value::Object(fields))
}

/// `value`, an object, as a `T`; a problem is an error with `code` about `what` ("state").
pub(crate) fn read<T: DeserializeOwned>(what: &str, code: ErrorCode, value: Value) -> Result<T, WireError> {
    read_at(|| what.to_string(), code, value)
}

/// [`read`], `what` written only for an error (a state has thousands of rows).
pub(crate) fn read_at<T: DeserializeOwned>(
    what: impl FnOnce() -> String,
    code: ErrorCode,
    value: Value,
) -> Result<T, WireError> {
    let read = match value {
        Value::Object(map) => T::deserialize(At(Value::Object(map))),
        other => Err(mismatch(&other, "an object")),
    };
    read.map_err(|e| WireError::new(code, truncate(&format!("{}: {e}", what()), 300)))
}

/// A `T` read through [`At`] from what serde hands a variant of an internally tagged enum (the
/// object buffered, its tag taken out), so that the problems inside it say where they are too.
pub(crate) fn rest<'de, D: de::Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<T, D::Error> {
    T::deserialize(At(Value::deserialize(d)?)).map_err(de::Error::custom)
}

/// A problem, and where it is: the fields and items it was found in, innermost first.
#[derive(Debug)]
pub(crate) struct Error {
    path: Vec<Step>,
    message: String,
}

#[derive(Debug)]
enum Step {
    Field(String),
    Item(usize),
}

impl fmt::Display for Error {
    /// `users[1]: field `email`: …`: a list's item by its index, other fields by name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut steps = self.path.iter().rev().peekable();
        while let Some(step) = steps.next() {
            match (step, steps.peek()) {
                (Step::Field(key), Some(Step::Item(i))) => {
                    write!(f, "{}[{i}]: ", truncate(key, 64))?;
                    steps.next();
                }
                (Step::Field(key), _) => write!(f, "field `{}`: ", truncate(key, 64))?,
                (Step::Item(i), _) => write!(f, "[{i}]: ")?,
            }
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(message: T) -> Error {
        Error { path: Vec::new(), message: message.to_string() }
    }

    fn invalid_type(found: Unexpected<'_>, expected: &dyn de::Expected) -> Error {
        let found = match found {
            Unexpected::Bool(_) => "a boolean",
            Unexpected::Unsigned(_) | Unexpected::Signed(_) | Unexpected::Float(_) => "a number",
            Unexpected::Char(_) | Unexpected::Str(_) => "a string",
            Unexpected::Unit => "null",
            Unexpected::Seq => "an array",
            Unexpected::Map => "an object",
            _ => "another kind of value",
        };
        Error::custom(format_args!("expected {expected}, found {found}"))
    }

    fn invalid_value(found: Unexpected<'_>, expected: &dyn de::Expected) -> Error {
        Error::custom(format_args!("expected {expected}, found {found}"))
    }
}

/// The error of `value` where `expected` was wanted.
fn mismatch(value: &Value, expected: &str) -> Error {
    let found = match value {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(_) => Unexpected::Float(0.0),
        Value::String(_) => Unexpected::Str(""),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    };
    de::Error::invalid_type(found, &expected)
}

/// A value being read.
struct At(Value);

impl<'de> de::Deserializer<'de> for At {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => visitor.visit_u64(u),
                (None, Some(i), _) => visitor.visit_i64(i),
                (None, None, f) => visitor.visit_f64(f.unwrap_or(f64::NAN)),
            },
            Value::String(s) => visitor.visit_string(s),
            Value::Array(items) => visit_items(items, visitor),
            Value::Object(map) => visit_entries(map, visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            value => visitor.visit_some(At(value)),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::String(s) => visitor.visit_string(s),
            other => Err(mismatch(&other, "a string")),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_string(visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Array(items) => visit_items(items, visitor),
            other => Err(mismatch(&other, "an array")),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Object(map) => visit_entries(map, visitor),
            other => Err(mismatch(&other, "an object")),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Value::String(s) => visitor.visit_enum(s.into_deserializer()),
            other => Err(mismatch(&other, "a string")),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char bytes byte_buf unit unit_struct
        tuple tuple_struct identifier
    }
}

fn visit_items<'de, V: Visitor<'de>>(items: Vec<Value>, visitor: V) -> Result<V::Value, Error> {
    let len = items.len();
    let mut items = Items { items: items.into_iter(), at: 0 };
    let value = visitor.visit_seq(&mut items)?;
    match items.items.len() {
        0 => Ok(value),
        _ => Err(de::Error::invalid_length(len, &"fewer items")),
    }
}

fn visit_entries<'de, V: Visitor<'de>>(map: Map<String, Value>, visitor: V) -> Result<V::Value, Error> {
    visitor.visit_map(Entries { entries: map.into_iter(), key: String::new(), value: None })
}

/// The items of an array, each read at its index.
struct Items {
    items: std::vec::IntoIter<Value>,
    at: usize,
}

impl<'de> de::SeqAccess<'de> for Items {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        let Some(item) = self.items.next() else { return Ok(None) };
        let at = self.at;
        self.at += 1;
        seed.deserialize(At(item)).map(Some).map_err(|mut e| {
            e.path.push(Step::Item(at));
            e
        })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// The members of an object, each value read under its key.
struct Entries {
    entries: serde_json::map::IntoIter,
    /// The key of the member being read, and its value until it is.
    key: String,
    value: Option<Value>,
}

impl<'de> de::MapAccess<'de> for Entries {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        let Some((key, value)) = self.entries.next() else { return Ok(None) };
        (self.key, self.value) = (key, Some(value));
        seed.deserialize(self.key.as_str().into_deserializer()).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        // serde asks for a value only after its key.
        let value = self.value.take().unwrap_or_default();
        seed.deserialize(At(value)).map_err(|mut e| {
            e.path.push(Step::Field(std::mem::take(&mut self.key)));
            e
        })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::json;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code, reason = "read, not used")]
    struct Row {
        name: String,
        #[serde(default)]
        tags: Vec<String>,
        inner: Option<Box<Row>>,
    }

    fn message(v: Value) -> String {
        read::<Row>("row", ErrorCode::BadRequest, v)
            .map(|_| String::new())
            .unwrap_or_else(|e| e.message().into())
    }

    #[test]
    fn messages_say_where() {
        assert_eq!(
            message(json!({"name": "a", "tags": ["x", 1]})),
            "row: tags[1]: expected a string, found a number"
        );
        assert_eq!(
            message(json!({"name": "a", "inner": {"name": 5}})),
            "row: field `inner`: field `name`: expected a string, found a number"
        );
        assert_eq!(
            message(json!({"name": "a", "tags": null})),
            "row: field `tags`: expected an array, found null"
        );
        assert_eq!(message(json!({"tags": []})), "row: missing field `name`");
        assert_eq!(
            message(json!({"name": "a", "x": 1})),
            "row: unknown field `x`, expected one of `name`, `tags`, `inner`"
        );
        // A struct is an object, never an array of its fields.
        assert_eq!(message(json!(["a"])), "row: expected an object, found an array");
        assert_eq!(
            message(json!({"name": "a", "inner": ["b"]})),
            "row: field `inner`: expected an object, found an array"
        );
        assert_eq!(message(json!({"name": "a", "inner": null})), "");
        let long = "k".repeat(1000);
        assert!(message(json!({"name": "a", long: 1})).chars().count() <= 301);
    }
}
