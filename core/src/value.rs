//! JSON values are serde_json's; this adds the few things the engine needs on top: how numbers
//! are written (the texts the vectors and emoncms's module have always seen), the depth limit's
//! error code, and small builders.

use std::io;

use serde::Serialize;
pub(crate) use serde_json::{Map, Value, json};

/// How deep arrays and objects may nest: serde_json's own recursion limit, counted in each text
/// read on its own (a request's members from the request, a state's rows from the state).
pub const MAX_DEPTH: usize = 127;

/// The compact JSON text of `v`. Floats are written as Rust's `{}` writes them (the shortest text
/// that reads back, never an exponent) with a `.0` on integral ones, as the engine always has:
/// serde_json's own writer would turn `1e-7` into `1e-7` where answers said `0.0000001`.
pub fn to_string<T: Serialize + ?Sized>(v: &T) -> String {
    let mut out = Vec::with_capacity(128);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, Floats);
    // Writing into a Vec cannot fail, and every map key the engine writes is a string.
    if v.serialize(&mut ser).is_err() {
        return "null".to_string();
    }
    // serde_json writes UTF-8 only.
    String::from_utf8(out).unwrap_or_default()
}

/// serde_json's compact formatter with the engine's float texts.
struct Floats;

impl serde_json::ser::Formatter for Floats {
    fn write_f64<W: ?Sized + io::Write>(&mut self, w: &mut W, value: f64) -> io::Result<()> {
        let text = format!("{value}");
        w.write_all(text.as_bytes())?;
        if !text.contains('.') {
            w.write_all(b".0")?;
        }
        Ok(())
    }
}

/// Whether a serde_json error is its recursion limit (the wire's `too_deep`).
pub(crate) fn is_too_deep(e: &serde_json::Error) -> bool {
    e.to_string().starts_with(TOO_DEEP)
}

/// How serde_json's recursion error starts ([`Skip`] says the same).
const TOO_DEEP: &str = "recursion limit exceeded";

/// A value read through and dropped, nesting at most to [`MAX_DEPTH`] counted from `depth`, the
/// depth of what holds it (serde_json's `IgnoredAny` skips without counting).
pub(crate) struct Skip {
    pub(crate) depth: usize,
}

impl<'de> serde::de::DeserializeSeed<'de> for Skip {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Skip {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let depth = self.depth + 1;
        if depth > MAX_DEPTH {
            return Err(serde::de::Error::custom(TOO_DEEP));
        }
        while seq.next_element_seed(Skip { depth })?.is_some() {}
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let depth = self.depth + 1;
        if depth > MAX_DEPTH {
            return Err(serde::de::Error::custom(TOO_DEEP));
        }
        while map.next_key::<serde::de::IgnoredAny>()?.is_some() {
            map.next_value_seed(Skip { depth })?;
        }
        Ok(())
    }
}

/// An object key, borrowed from the text when it has no escapes (serde's own `Cow<str>` always
/// copies: a state's feed rows have a million keys).
pub(crate) struct Key<'de>(pub(crate) std::borrow::Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Key<'de>, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(s.to_string())))
            }
            fn visit_string<E>(self, s: String) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(s)))
            }
        }
        d.deserialize_str(V)
    }
}

/// The visitor methods of a value that is not the object (or list) a visitor wants: each gives
/// `$not` of how messages name the value. `scalars` only; the full form adds null and arrays
/// (an array is read through, nesting counted from `$depth`, so the text after it is still checked).
macro_rules! not_an_object {
    (scalars $not:path) => {
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok($not("a boolean"))
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok($not("a number"))
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok($not("a number"))
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok($not("a number"))
        }
        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok($not("a string"))
        }
    };
    ($not:path, $depth:expr) => {
        $crate::value::not_an_object!(scalars $not);
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok($not("null"))
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element_seed($crate::value::Skip { depth: $depth })?.is_some() {}
            Ok($not("an array"))
        }
    };
}
pub(crate) use not_an_object;

/// Sets `key` (the builders below, and rows written field by field).
pub(crate) trait Put {
    fn put(&mut self, key: &str, value: Value);
}

impl Put for Map<String, Value> {
    fn put(&mut self, key: &str, value: Value) {
        self.insert(key.to_string(), value);
    }
}

/// An object of owned values, moved in (`json!` copies each expression it is given: for a large
/// value already built, such as a whole answer, this avoids the copy).
pub(crate) fn object<const N: usize>(mut entries: [(&str, Value); N]) -> Value {
    object_of(&mut entries)
}

/// An object of `members` in their order, their values taken.
pub(crate) fn object_of(members: &mut [(&str, Value)]) -> Value {
    let mut map = Map::with_capacity(members.len());
    for (k, v) in members {
        map.insert((*k).to_string(), v.take());
    }
    Value::Object(map)
}

/// A borrowed Rust value as JSON (what `json!` does with each expression).
pub(crate) trait ToJson {
    fn to_json(&self) -> Value;
}

impl<T: Serialize + ?Sized> ToJson for T {
    fn to_json(&self) -> Value {
        // Only maps with non-string keys fail, and the engine has none.
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// An op's answer: its result, and, when that is a route's JSON body written apart (mygroups'
/// feed rows, kept as the host's text), the body's text; the result then holds `null` at `body`.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) result: Value,
    pub(crate) body: Option<String>,
}

impl From<Value> for Reply {
    fn from(result: Value) -> Reply {
        Reply { result, body: None }
    }
}

impl Reply {
    /// The result as one value, a body written apart read back into its place.
    pub(crate) fn into_value(self) -> Value {
        let mut result = self.result;
        if let (Some(text), Some(body)) = (self.body, result.get_mut("body")) {
            // The engine wrote that text, so it reads back.
            *body = serde_json::from_str(&text).unwrap_or(Value::Null);
        }
        result
    }

    /// The result's text, the body written in its place.
    pub(crate) fn result_text(&self) -> String {
        let (Some(body), Value::Object(m)) = (&self.body, &self.result) else {
            return to_string(&self.result);
        };
        let mut out = String::with_capacity(body.len() + 64);
        out.push('{');
        for (i, (k, v)) in m.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&to_string(k));
            out.push(':');
            if k == "body" {
                out.push_str(body);
            } else {
                out.push_str(&to_string(v));
            }
        }
        out.push('}');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_are_written_as_the_engine_always_wrote_them() {
        let cases = [
            (json!(1.0), "1.0"),
            (json!(-0.0), "-0.0"),
            (json!(0.1), "0.1"),
            (json!(1e-7), "0.0000001"),
            (json!(1e21), "1000000000000000000000.0"),
            (json!(1234.5), "1234.5"),
            (json!(0.30000000000000004), "0.30000000000000004"),
            (json!(7), "7"),
            (json!(-7), "-7"),
            (json!(u64::MAX), "18446744073709551615"),
        ];
        for (v, text) in cases {
            assert_eq!(to_string(&v), text);
            let back: Value = serde_json::from_str(text).unwrap_or(Value::Null);
            assert_eq!(back, v, "{text} reads back");
        }
        assert_eq!(to_string(&json!({"a/é": "\u{1f}\"\\"})), r#"{"a/é":"\u001f\"\\"}"#);
        assert_eq!(to_string(&f64::NAN), "null");
    }

    #[test]
    fn the_depth_limit_is_told_apart() {
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        let e = serde_json::from_str::<Value>(&deep).err();
        assert!(e.as_ref().is_some_and(is_too_deep), "{e:?}");
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(serde_json::from_str::<Value>(&ok).is_ok());
        // `Skip` counts as serde_json does.
        let skip = |text: &str| {
            let mut de = serde_json::Deserializer::from_str(text);
            serde::de::DeserializeSeed::deserialize(Skip { depth: 0 }, &mut de)
        };
        assert!(skip(&ok).is_ok());
        assert!(skip(&deep).err().as_ref().is_some_and(is_too_deep));
        let bad = serde_json::from_str::<Value>("[1,").err();
        assert!(bad.as_ref().is_some_and(|e| !is_too_deep(e)));
    }
}
