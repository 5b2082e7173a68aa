//! JSON values, a strict parser and a compact writer: everything the engine reads and writes.
//!
//! Written for this engine instead of serde_json: the WebAssembly package ships over the network,
//! and serde's generic machinery, instantiated for every type, was most of its size. Objects
//! keep their keys in insertion order (answers read in the order they are written). The parser
//! follows RFC 8259 strictly, limits nesting to [`MAX_DEPTH`], and a repeated key keeps its last
//! value, as serde_json did.
//!
//! ```
//! use emongroups_core::json::{self, json};
//! let v = json::from_str(r#"{"a":[1,-2,3.5,"x\n"],"b":null}"#).unwrap();
//! assert_eq!(v["a"][1], -2);
//! assert_eq!(v.to_string(), r#"{"a":[1,-2,3.5,"x\n"],"b":null}"#);
//! assert_eq!(json!({"n": 1, "list": [true, null]}).to_string(), r#"{"n":1,"list":[true,null]}"#);
//! ```

use std::fmt;
use std::ops::{Index, IndexMut};

/// How deep arrays and objects may nest.
pub const MAX_DEPTH: usize = 128;

/// A JSON value.
#[derive(Debug, Clone, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Value>),
    Object(Map<String, Value>),
    /// JSON text that was parsed already, written out as it is: a feed row on its way from the
    /// host's state to an answer (mygroups carries tens of thousands; re-reading each into a
    /// tree only to write it again cost most of the answer's time). Only [`Value::raw`] makes
    /// one; readers see it as nothing (`as_object` is `None`), and it equals the value it holds.
    Raw(Box<str>),
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Array(a), Value::Array(b)) => a == b,
            (Value::Object(a), Value::Object(b)) => a == b,
            (Value::Raw(a), Value::Raw(b)) if a == b => true,
            (Value::Raw(a), b) | (b, Value::Raw(a)) => {
                from_str(a).is_ok_and(|v| !matches!(v, Value::Raw(_)) && &v == b)
            }
            _ => false,
        }
    }
}

/// A JSON number: an unsigned or negative integer when it is one, else a finite float.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Number(N);

#[derive(Debug, Clone, Copy, PartialEq)]
enum N {
    /// Non-negative integers (always here, so equal numbers compare equal).
    U(u64),
    /// Negative integers.
    I(i64),
    /// Finite floats.
    F(f64),
}

impl Number {
    /// The number as `u64`, if it is a non-negative integer.
    pub fn as_u64(&self) -> Option<u64> {
        match self.0 {
            N::U(u) => Some(u),
            _ => None,
        }
    }
    /// The number as `i64`, if it is an integer in range.
    pub fn as_i64(&self) -> Option<i64> {
        match self.0 {
            N::U(u) => i64::try_from(u).ok(),
            N::I(i) => Some(i),
            N::F(_) => None,
        }
    }
    /// The number as `f64` (integers converted).
    pub fn as_f64(&self) -> Option<f64> {
        Some(match self.0 {
            N::U(u) => u as f64,
            N::I(i) => i as f64,
            N::F(f) => f,
        })
    }
    pub fn is_u64(&self) -> bool {
        matches!(self.0, N::U(_))
    }
    pub fn is_i64(&self) -> bool {
        self.as_i64().is_some()
    }
    pub fn is_f64(&self) -> bool {
        matches!(self.0, N::F(_))
    }
    /// A float number; `None` for NaN and infinities, which JSON cannot hold.
    pub fn from_f64(f: f64) -> Option<Number> {
        f.is_finite().then_some(Number(N::F(f)))
    }
    fn from_i64(i: i64) -> Number {
        if i < 0 { Number(N::I(i)) } else { Number(N::U(i as u64)) }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        write_number(self, &mut s);
        f.write_str(&s)
    }
}

// --- objects ---

/// A JSON object: keys in insertion order. Lookups are linear, which is fastest for the small
/// objects the wire carries (a row has about ten keys).
#[derive(Clone, Default)]
pub struct Map<K = String, V = Value> {
    entries: Vec<(K, V)>,
}

/// Objects are equal when they hold the same keys with equal values, in any order.
impl PartialEq for Map<String, Value> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl fmt::Debug for Map<String, Value> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.entries.iter().map(|(k, v)| (k, v))).finish()
    }
}

impl Map<String, Value> {
    pub fn new() -> Self {
        Map { entries: Vec::new() }
    }
    pub fn with_capacity(n: usize) -> Self {
        Map { entries: Vec::with_capacity(n) }
    }
    /// Sets the static `key` (what `json!` expands to).
    #[doc(hidden)]
    #[inline(never)]
    pub fn put(&mut self, key: &'static str, value: Value) {
        self.insert(key.to_string(), value);
    }
    #[inline(never)]
    fn position(&self, key: &str) -> Option<usize> {
        self.entries.iter().position(|(k, _)| k == key)
    }
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.entries.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
    }
    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }
    /// Sets `key`; an existing key keeps its place and its old value is returned.
    // Never inlined here and below: `json!` and every row writer call these at each key, and one
    // shared copy keeps those call sites a few bytes each in the WebAssembly module.
    #[inline(never)]
    pub fn insert(&mut self, key: String, value: Value) -> Option<Value> {
        match self.position(&key) {
            Some(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            None => {
                self.entries.push((key, value));
                None
            }
        }
    }
    /// Removes `key`, keeping the order of the others.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let i = self.position(key)?;
        Some(self.entries.remove(i).1)
    }
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.entries.iter().map(|(k, _)| k)
    }
    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.entries.iter().map(|(_, v)| v)
    }
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&String, &mut Value)> {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }
    pub fn retain(&mut self, mut keep: impl FnMut(&String, &mut Value) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v));
    }
}

impl IntoIterator for Map<String, Value> {
    type Item = (String, Value);
    type IntoIter = std::vec::IntoIter<(String, Value)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a> IntoIterator for &'a Map<String, Value> {
    type Item = (&'a String, &'a Value);
    type IntoIter =
        std::iter::Map<std::slice::Iter<'a, (String, Value)>, fn(&'a (String, Value)) -> Self::Item>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

impl Extend<(String, Value)> for Map<String, Value> {
    fn extend<I: IntoIterator<Item = (String, Value)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl FromIterator<(String, Value)> for Map<String, Value> {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        let mut m = Map::new();
        m.extend(iter);
        m
    }
}

impl Index<&str> for Map<String, Value> {
    type Output = Value;
    fn index(&self, key: &str) -> &Value {
        self.get(key).unwrap_or(&NULL)
    }
}

// --- Value accessors ---

static NULL: Value = Value::Null;

impl Value {
    /// JSON text checked by this crate's parser, to be written out unchanged (see [`Value::Raw`]).
    pub(crate) fn raw(text: &str) -> Value {
        Value::Raw(text.into())
    }
    /// A [`Value::Raw`] read into a tree; any other value as it is.
    pub fn expanded(self) -> Value {
        match self {
            Value::Raw(text) => from_str(&text).unwrap_or(Value::Null),
            Value::Array(items) => Value::Array(items.into_iter().map(Value::expanded).collect()),
            Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, v.expanded())).collect()),
            v => v,
        }
    }
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
    pub fn is_boolean(&self) -> bool {
        matches!(self, Value::Bool(_))
    }
    pub fn is_number(&self) -> bool {
        matches!(self, Value::Number(_))
    }
    pub fn is_string(&self) -> bool {
        matches!(self, Value::String(_))
    }
    pub fn is_array(&self) -> bool {
        matches!(self, Value::Array(_))
    }
    pub fn is_object(&self) -> bool {
        matches!(self, Value::Object(_))
    }
    pub fn is_u64(&self) -> bool {
        self.as_u64().is_some()
    }
    pub fn is_i64(&self) -> bool {
        self.as_i64().is_some()
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Number(n) => n.as_u64(),
            _ => None,
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) => n.as_i64(),
            _ => None,
        }
    }
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => n.as_f64(),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }
    pub fn as_array_mut(&mut self) -> Option<&mut Vec<Value>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }
    pub fn as_object(&self) -> Option<&Map<String, Value>> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }
    pub fn as_object_mut(&mut self) -> Option<&mut Map<String, Value>> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }
    /// The member `key` of an object, or item `i` of an array.
    pub fn get<K: Key>(&self, key: K) -> Option<&Value> {
        key.get_in(self)
    }
    /// The member `key` of an object, or item `i` of an array, mutably.
    pub fn get_mut<K: Key>(&mut self, key: K) -> Option<&mut Value> {
        key.get_in_mut(self)
    }
    /// Takes the value out, leaving null.
    pub fn take(&mut self) -> Value {
        std::mem::take(self)
    }
}

/// What indexes a [`Value`]: `&str` (object members) or `usize` (array items).
pub trait Key {
    fn get_in(self, v: &Value) -> Option<&Value>;
    fn get_in_mut(self, v: &mut Value) -> Option<&mut Value>;
}

impl Key for &str {
    fn get_in(self, v: &Value) -> Option<&Value> {
        v.as_object()?.get(self)
    }
    fn get_in_mut(self, v: &mut Value) -> Option<&mut Value> {
        v.as_object_mut()?.get_mut(self)
    }
}

impl Key for &String {
    fn get_in(self, v: &Value) -> Option<&Value> {
        v.as_object()?.get(self)
    }
    fn get_in_mut(self, v: &mut Value) -> Option<&mut Value> {
        v.as_object_mut()?.get_mut(self)
    }
}

impl Key for usize {
    fn get_in(self, v: &Value) -> Option<&Value> {
        v.as_array()?.get(self)
    }
    fn get_in_mut(self, v: &mut Value) -> Option<&mut Value> {
        v.as_array_mut()?.get_mut(self)
    }
}

impl<K: Key> Index<K> for Value {
    type Output = Value;
    /// The member or item, null when there is none.
    fn index(&self, key: K) -> &Value {
        self.get(key).unwrap_or(&NULL)
    }
}

impl IndexMut<&str> for Value {
    /// The member `key`, created null when missing; a null value becomes an empty object first.
    ///
    /// # Panics
    /// When the value is neither an object nor null (as serde_json's).
    fn index_mut(&mut self, key: &str) -> &mut Value {
        if self.is_null() {
            *self = Value::Object(Map::new());
        }
        let Value::Object(map) = self else { panic!("cannot index a non-object JSON value with a string") };
        let i = match map.position(key) {
            Some(i) => i,
            None => {
                map.entries.push((key.to_string(), Value::Null));
                map.entries.len() - 1
            }
        };
        &mut map.entries[i].1
    }
}

impl IndexMut<&String> for Value {
    /// As `value[key.as_str()]`.
    fn index_mut(&mut self, key: &String) -> &mut Value {
        &mut self[key.as_str()]
    }
}

impl IndexMut<usize> for Value {
    /// # Panics
    /// When the value is not an array or the index is out of bounds (as serde_json's).
    fn index_mut(&mut self, i: usize) -> &mut Value {
        match self {
            Value::Array(a) => &mut a[i],
            _ => panic!("cannot index a non-array JSON value with a number"),
        }
    }
}

// --- conversions ---

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}
impl From<&str> for Value {
    #[inline(never)]
    fn from(s: &str) -> Value {
        Value::String(s.to_string())
    }
}
impl From<&String> for Value {
    #[inline(never)]
    fn from(s: &String) -> Value {
        Value::String(s.clone())
    }
}
impl From<f64> for Value {
    /// NaN and infinities become null.
    fn from(f: f64) -> Value {
        Number::from_f64(f).map_or(Value::Null, Value::Number)
    }
}
impl From<Number> for Value {
    fn from(n: Number) -> Value {
        Value::Number(n)
    }
}
impl From<Map<String, Value>> for Value {
    fn from(m: Map<String, Value>) -> Value {
        Value::Object(m)
    }
}
impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(v: Vec<T>) -> Value {
        Value::Array(v.into_iter().map(Into::into).collect())
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(o: Option<T>) -> Value {
        o.map_or(Value::Null, Into::into)
    }
}
impl From<()> for Value {
    fn from((): ()) -> Value {
        Value::Null
    }
}

macro_rules! from_integers {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(n: $t) -> Value {
                Value::Number(Number::from_i64(n as i64))
            }
        }
        impl From<$t> for Number {
            fn from(n: $t) -> Number {
                Number::from_i64(n as i64)
            }
        }
    )*};
}
from_integers!(i8, i16, i32, i64, isize, u8, u16, u32);

macro_rules! from_unsigned {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(n: $t) -> Value {
                Value::Number(Number(N::U(n as u64)))
            }
        }
        impl From<$t> for Number {
            fn from(n: $t) -> Number {
                Number(N::U(n as u64))
            }
        }
    )*};
}
from_unsigned!(u64, usize);

impl<T: Into<Value>> FromIterator<T> for Value {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Value {
        Value::Array(iter.into_iter().map(Into::into).collect())
    }
}

// --- comparisons with plain values, as serde_json allows (`v["role"] == 1`) ---

impl PartialEq<str> for Value {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == Some(other)
    }
}
impl PartialEq<&str> for Value {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == Some(*other)
    }
}
impl PartialEq<String> for Value {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == Some(other.as_str())
    }
}
impl PartialEq<Value> for &str {
    fn eq(&self, other: &Value) -> bool {
        other == self
    }
}
impl PartialEq<Value> for str {
    fn eq(&self, other: &Value) -> bool {
        other == self
    }
}
impl PartialEq<Value> for String {
    fn eq(&self, other: &Value) -> bool {
        other == self
    }
}
impl PartialEq<bool> for Value {
    fn eq(&self, other: &bool) -> bool {
        self.as_bool() == Some(*other)
    }
}
impl PartialEq<f64> for Value {
    fn eq(&self, other: &f64) -> bool {
        self.as_f64() == Some(*other)
    }
}

macro_rules! eq_integers {
    ($($t:ty),*) => {$(
        impl PartialEq<$t> for Value {
            fn eq(&self, other: &$t) -> bool {
                match self {
                    Value::Number(Number(N::U(u))) => i128::from(*u) == *other as i128,
                    Value::Number(Number(N::I(i))) => i128::from(*i) == *other as i128,
                    _ => false,
                }
            }
        }
        impl PartialEq<Value> for $t {
            fn eq(&self, other: &Value) -> bool {
                other == self
            }
        }
    )*};
}
eq_integers!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

/// An object of owned values, moved in (`json!` takes each expression by reference and copies
/// it: for a large value already built, such as a whole answer, this avoids the copy).
pub fn object<const N: usize>(mut entries: [(&str, Value); N]) -> Value {
    object_of(&mut entries)
}

/// An object of `members` in their order, their values taken: one shared loop, where `json!`
/// expands an insertion per member (callers with a fixed list pass an array and build no Vec).
#[doc(hidden)]
#[inline(never)]
pub fn object_of(members: &mut [(&str, Value)]) -> Value {
    let mut map = Map::with_capacity(members.len());
    for (k, v) in members {
        map.insert(k.to_string(), v.take());
    }
    Value::Object(map)
}

/// Turns a borrowed Rust value into JSON (what `json!` does with each expression).
pub trait ToJson {
    fn to_json(&self) -> Value;
}

impl ToJson for Value {
    fn to_json(&self) -> Value {
        self.clone()
    }
}
impl ToJson for Map<String, Value> {
    fn to_json(&self) -> Value {
        Value::Object(self.clone())
    }
}
impl ToJson for Number {
    fn to_json(&self) -> Value {
        Value::Number(*self)
    }
}
impl ToJson for str {
    #[inline(never)]
    fn to_json(&self) -> Value {
        Value::String(self.to_string())
    }
}
impl ToJson for String {
    #[inline(never)]
    fn to_json(&self) -> Value {
        Value::String(self.clone())
    }
}
impl ToJson for bool {
    fn to_json(&self) -> Value {
        Value::Bool(*self)
    }
}
impl ToJson for f64 {
    fn to_json(&self) -> Value {
        Value::from(*self)
    }
}
impl ToJson for () {
    fn to_json(&self) -> Value {
        Value::Null
    }
}
macro_rules! to_json_integers {
    ($($t:ty),*) => {$(
        impl ToJson for $t {
            fn to_json(&self) -> Value {
                Value::from(*self)
            }
        }
    )*};
}
to_json_integers!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

impl<T: ToJson + ?Sized> ToJson for &T {
    fn to_json(&self) -> Value {
        (**self).to_json()
    }
}
impl<T: ToJson> ToJson for Option<T> {
    fn to_json(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToJson::to_json)
    }
}
impl<T: ToJson> ToJson for [T] {
    fn to_json(&self) -> Value {
        Value::Array(self.iter().map(ToJson::to_json).collect())
    }
}
impl<T: ToJson, const K: usize> ToJson for [T; K] {
    fn to_json(&self) -> Value {
        self.as_slice().to_json()
    }
}
impl<T: ToJson> ToJson for Vec<T> {
    fn to_json(&self) -> Value {
        self.as_slice().to_json()
    }
}

/// Turns a Rust value into JSON: `[…]` and `{"key": …}` literals (string-literal keys) whose
/// items are other literals or any expression implementing [`ToJson`] (taken by reference).
#[macro_export]
#[doc(hidden)]
macro_rules! json_value {
    (null) => { $crate::json::Value::Null };
    ({}) => { $crate::json::Value::Object($crate::json::Map::new()) };
    ({ $($tt:tt)+ }) => {{
        let mut object = $crate::json::Map::new();
        $crate::json_value!(@object object () $($tt)+);
        $crate::json::Value::Object(object)
    }};
    ([]) => { $crate::json::Value::Array(::std::vec::Vec::new()) };
    ([ $($tt:tt)+ ]) => { $crate::json::Value::Array($crate::json_value!(@array [] () $($tt)+)) };
    // Objects: `"key": value` pairs; a value's tokens are gathered up to the next top-level comma.
    (@object $m:ident ()) => {};
    (@object $m:ident () $key:literal : $($rest:tt)+) => { $crate::json_value!(@member $m $key () $($rest)+) };
    (@member $m:ident $key:literal ($($v:tt)+) , $($rest:tt)*) => {
        $m.put($key, $crate::json_value!($($v)+));
        $crate::json_value!(@object $m () $($rest)*);
    };
    (@member $m:ident $key:literal ($($v:tt)+)) => {
        $m.put($key, $crate::json_value!($($v)+));
    };
    (@member $m:ident $key:literal ($($v:tt)*) $next:tt $($rest:tt)*) => {
        $crate::json_value!(@member $m $key ($($v)* $next) $($rest)*)
    };
    // Arrays: items separated by top-level commas, converted ones gathered in `[…]`.
    (@array [$($done:expr,)*] ()) => { ::std::vec![$($done,)*] };
    (@array [$($done:expr,)*] ($($v:tt)+) , $($rest:tt)*) => {
        $crate::json_value!(@array [$($done,)* $crate::json_value!($($v)+),] () $($rest)*)
    };
    (@array [$($done:expr,)*] ($($v:tt)+)) => {
        $crate::json_value!(@array [$($done,)* $crate::json_value!($($v)+),] ())
    };
    (@array [$($done:expr,)*] ($($v:tt)*) $next:tt $($rest:tt)*) => {
        $crate::json_value!(@array [$($done,)*] ($($v)* $next) $($rest)*)
    };
    ($e:expr) => { $crate::json::ToJson::to_json(&$e) };
}

pub use crate::json_value as json;

// --- writing ---

/// The compact JSON text of `v` (no spaces; `/` and non-ASCII written as they are).
pub fn to_string(v: &Value) -> String {
    let mut out = String::new();
    write_value(v, &mut out);
    out
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&to_string(self))
    }
}

fn write_value(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => write_string(s, out),
        Value::Raw(text) => out.push_str(text),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                write_value(item, out);
            }
            out.push('}');
        }
    }
}

fn write_number(n: &Number, out: &mut String) {
    match n.0 {
        N::U(u) => write_u64(u, out),
        N::I(i) => {
            out.push('-');
            write_u64(i.unsigned_abs(), out);
        }
        N::F(f) => {
            let start = out.len();
            // Rust's shortest round-trip form; an integral float keeps a `.0` so it reads back as
            // a float. Never NaN or infinite (`Number` holds only finite floats).
            write_f64(f, out);
            if !out[start..].contains('.') {
                out.push_str(".0");
            }
        }
    }
}

/// Writes a finite `f` exactly as `format!("{f}")` does: the fewest significant digits that read
/// back as `f`, of those the closest to `f` (half way rounds up), written out in full, never with
/// an exponent (`1e21` is `1000000000000000000000`, `-0.0` is `-0`).
///
/// Our own because the standard formatter (Grisu with a Dragon fallback, big-integer code and
/// tables) was about 20 KB of the WebAssembly module. What reads back as `f` is decided by
/// `str::parse`, which the parser needs anyway; a float is written rarely (sums, parameters), so
/// trying a few candidates costs nothing that matters.
fn write_f64(f: f64, out: &mut String) {
    if f.is_sign_negative() {
        out.push('-');
    }
    if f == 0.0 {
        out.push('0');
        return;
    }
    let (mut c, mut x) = shortest_decimal(f.abs());
    while c % 10 == 0 {
        c /= 10;
        x += 1;
    }
    // `c · 10^x`, with `c` of `n` digits.
    let mut digits = String::new();
    write_u64(c, &mut digits);
    let n = digits.len() as i32;
    let zeros = |out: &mut String, count: i32| (0..count).for_each(|_| out.push('0'));
    if x >= 0 {
        out.push_str(&digits);
        zeros(out, x);
    } else if n + x > 0 {
        let (int, frac) = digits.split_at((n + x) as usize);
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    } else {
        out.push_str("0.");
        zeros(out, -x - n);
        out.push_str(&digits);
    }
}

/// The shortest `c · 10^x` that reads back as the positive finite `v`, the closest one when there
/// are two (a tie rounds up, as Rust's formatter does).
fn shortest_decimal(v: f64) -> (u64, i32) {
    let bits = v.to_bits();
    let biased = (bits >> 52) as i32;
    let frac = bits & ((1 << 52) - 1);
    // v = m · 2^e, and one unit in the last place is 2^e.
    let (m, e) = if biased == 0 { (frac, -1074) } else { (frac | 1 << 52, biased - 1075) };
    // 2^log2 ≤ v, so 10^(k-1) ≤ v < 10^(k+1) with k = floor(log2 · log10(2)) + 1; 78913 / 2^18
    // is log10(2) closely enough that the floor is exact for every float's log2.
    let log2 = 63 - m.leading_zeros() as i32 + e;
    let k = ((log2 * 78913) >> 18) + 1;
    // d = floor(v · 10^q) = floor(m · 2^(e+q) · 5^q) has 18 or 19 digits, at least one more than
    // any shortest form: each candidate, and on which side of the middle between two `v` lies, are
    // read off `d`.
    let q = 18 - k;
    let shift = e + q;
    let mut big = Big { len: 1 + usize::from(m >> 32 != 0), w: [0; 40] };
    big.w[0] = m as u32;
    big.w[1] = (m >> 32) as u32;
    if shift > 0 {
        big.shl(shift as usize);
    }
    if q >= 0 {
        big.mul_pow5(q as u32);
    } else {
        big.div_pow5(-q as u32);
    }
    if shift < 0 {
        big.shr(-shift as usize);
    }
    let d = u64::from(big.w[0]) | u64::from(big.w[1]) << 32;
    debug_assert!(big.len <= 2 && (100_000_000_000_000_000..10_000_000_000_000_000_000).contains(&d));
    let len = if d >= 1_000_000_000_000_000_000 { 19 } else { 18 };
    // Half the gap between floats around `v` is at most 2^e / 2 = d / m / 2 units of d's last
    // digit: a candidate farther away than d / m + 1 cannot read back, and is not even tried.
    let reach = d / m + 1;
    // Rust's `{}` never needs more than 17 digits; with 17, one of the two always reads back.
    for p in 1..=17 {
        let unit = 10u64.pow(len - p);
        let (t, rem) = (d / unit, d % unit);
        let x = (len - p) as i32 - q;
        let down = rem <= reach && reads_back(t, x, v);
        let up = unit - rem <= reach && reads_back(t + 1, x, v);
        if down || up || p == 17 {
            // `v` lies rem units (and a fraction, for the digits cut off `d`) above t: at least
            // half way to t + 1 exactly when 2·rem ≥ unit, `unit` being even.
            return (if up && (!down || 2 * rem >= unit) { t + 1 } else { t }, x);
        }
    }
    unreachable!()
}

/// Whether `c · 10^x` reads back as `v`.
fn reads_back(c: u64, x: i32, v: f64) -> bool {
    let mut text = String::new();
    write_u64(c, &mut text);
    text.push('e');
    if x < 0 {
        text.push('-');
    }
    write_u64(u64::from(x.unsigned_abs()), &mut text);
    text.parse::<f64>().is_ok_and(|r| r.to_bits() == v.to_bits())
}

/// An unsigned integer in base 2^32, lowest digit first, for `shortest_decimal`: its values stay
/// below 2^1100 (m · 5^342 for the smallest floats, m · 2^1000 for the largest).
struct Big {
    len: usize,
    w: [u32; 40],
}

impl Big {
    fn mul(&mut self, k: u32) {
        let mut carry = 0;
        for w in &mut self.w[..self.len] {
            let t = u64::from(*w) * u64::from(k) + carry;
            *w = t as u32;
            carry = t >> 32;
        }
        if carry > 0 {
            self.w[self.len] = carry as u32;
            self.len += 1;
        }
    }

    /// Divides by `k`, rounding down.
    fn div(&mut self, k: u32) {
        let mut rem = 0;
        for w in self.w[..self.len].iter_mut().rev() {
            let t = rem << 32 | u64::from(*w);
            *w = (t / u64::from(k)) as u32;
            rem = t % u64::from(k);
        }
        while self.len > 0 && self.w[self.len - 1] == 0 {
            self.len -= 1;
        }
    }

    fn mul_pow5(&mut self, mut n: u32) {
        while n > 0 {
            let step = n.min(13);
            self.mul(5u32.pow(step));
            n -= step;
        }
    }

    fn div_pow5(&mut self, mut n: u32) {
        while n > 0 {
            let step = n.min(13);
            self.div(5u32.pow(step));
            n -= step;
        }
    }

    fn shl(&mut self, n: usize) {
        let words = n / 32;
        self.w.copy_within(..self.len, words);
        self.w[..words].fill(0);
        self.len += words;
        self.mul(1 << (n % 32));
    }

    fn shr(&mut self, n: usize) {
        let words = (n / 32).min(self.len);
        self.w.copy_within(words..self.len, 0);
        self.w[self.len - words..self.len].fill(0);
        self.len -= words;
        self.div(1 << (n % 32));
    }
}

fn write_u64(u: u64, out: &mut String) {
    out.push_str(decimal(u, &mut [0; 20]));
}

/// `u` in decimal digits, written into `buf` (20 bytes hold any u64), without allocating.
pub(crate) fn decimal(mut u: u64, buf: &mut [u8; 20]) -> &str {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (u % 10) as u8;
        u /= 10;
        if u == 0 {
            break;
        }
    }
    // Only ASCII digits were written: this never falls back.
    std::str::from_utf8(&buf[i..]).unwrap_or_default()
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        // `i` is at an ASCII byte, so a char boundary.
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

// --- parsing ---

/// Why a text is not JSON, and where. Small on purpose: every parse step returns it in a
/// `Result`, and a large error makes each step move more bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Error {
    problem: Problem,
    line: u32,
    column: u32,
}

/// What is wrong with a JSON text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Problem {
    ControlCharacterInAString,
    ExpectedAStringKey,
    ExpectedAValue,
    ExpectedAnArray,
    ExpectedAnObject,
    ExpectedColon,
    ExpectedCommaOrBrace,
    ExpectedCommaOrBracket,
    InvalidEscapeInAString,
    InvalidNumber,
    InvalidNumberLeadingZero,
    InvalidUEscape,
    NestedTooDeeply,
    NumberOutOfRange,
    TrailingCharacters,
    UnexpectedEndOfInput,
    UnexpectedEndOfInputInAString,
    UnexpectedEndOfInputInAnArray,
    UnexpectedEndOfInputInAnObject,
    UnpairedSurrogateInAString,
}

impl Problem {
    fn as_str(self) -> &'static str {
        match self {
            Problem::ControlCharacterInAString => "control character in a string",
            Problem::ExpectedAStringKey => "expected a string key",
            Problem::ExpectedAValue => "expected a value",
            Problem::ExpectedAnArray => "expected an array",
            Problem::ExpectedAnObject => "expected an object",
            Problem::ExpectedColon => "expected `:`",
            Problem::ExpectedCommaOrBrace => "expected `,` or `}`",
            Problem::ExpectedCommaOrBracket => "expected `,` or `]`",
            Problem::InvalidEscapeInAString => "invalid escape in a string",
            Problem::InvalidNumber => "invalid number",
            Problem::InvalidNumberLeadingZero => "invalid number: leading zero",
            Problem::InvalidUEscape => "invalid \\u escape",
            Problem::NestedTooDeeply => "nested too deeply",
            Problem::NumberOutOfRange => "number out of range",
            Problem::TrailingCharacters => "trailing characters",
            Problem::UnexpectedEndOfInput => "unexpected end of input",
            Problem::UnexpectedEndOfInputInAString => "unexpected end of input in a string",
            Problem::UnexpectedEndOfInputInAnArray => "unexpected end of input in an array",
            Problem::UnexpectedEndOfInputInAnObject => "unexpected end of input in an object",
            Problem::UnpairedSurrogateInAString => "unpaired surrogate in a string",
        }
    }
}

impl Error {
    /// Whether the text nests deeper than [`MAX_DEPTH`].
    pub fn is_too_deep(&self) -> bool {
        self.problem == Problem::NestedTooDeeply
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at line {} column {}", self.problem.as_str(), self.line, self.column)
    }
}

impl std::error::Error for Error {}

/// Parses one JSON text (RFC 8259; surrounding whitespace allowed, nothing else after it).
pub fn from_str(text: &str) -> Result<Value, Error> {
    let mut p = Parser::new(text);
    let v = p.value()?;
    p.finish()?;
    Ok(v)
}

/// A parser that can also be driven piece by piece, so that a large state is read into rows
/// without building a [`Value`] for each of its tens of thousands of feeds.
pub(crate) struct Parser<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
}

/// What the next value is, for streaming readers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    Null,
    Object,
    Array,
    Other,
}

impl<'a> Parser<'a> {
    pub(crate) fn new(text: &'a str) -> Parser<'a> {
        Parser { src: text, bytes: text.as_bytes(), pos: 0, depth: 0 }
    }

    /// The kind of the next value, after whitespace.
    pub(crate) fn next(&mut self) -> Next {
        self.skip_ws();
        match self.peek() {
            Some(b'n') => Next::Null,
            Some(b'{') => Next::Object,
            Some(b'[') => Next::Array,
            _ => Next::Other,
        }
    }

    /// Where the parser is (a byte offset), after whitespace.
    pub(crate) fn offset(&mut self) -> usize {
        self.skip_ws();
        self.pos
    }

    /// Where the parser is, right after what it read last.
    pub(crate) fn here(&self) -> usize {
        self.pos
    }

    /// The text between two offsets.
    pub(crate) fn text(&self, from: usize, to: usize) -> &'a str {
        &self.src[from..to]
    }

    /// Reads an object member by member: `member` gets each key and must read its value.
    /// The caller checks first that an object comes ([`Parser::next`]).
    pub(crate) fn object<E: From<Error>>(
        &mut self,
        mut member: impl FnMut(&mut Self, &str) -> Result<(), E>,
    ) -> Result<(), E> {
        self.skip_ws();
        if self.peek() != Some(b'{') {
            return Err(self.error(Problem::ExpectedAnObject).into());
        }
        self.enter()?;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(());
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.error(Problem::ExpectedAStringKey).into());
            }
            let key = self.key()?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.error(Problem::ExpectedColon).into());
            }
            self.pos += 1;
            member(self, &key)?;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(());
                }
                None => return Err(self.error(Problem::UnexpectedEndOfInputInAnObject).into()),
                _ => return Err(self.error(Problem::ExpectedCommaOrBrace).into()),
            }
        }
    }

    /// Reads an array item by item: `item` must read each. The caller checks first that an
    /// array comes ([`Parser::next`]).
    pub(crate) fn array<E: From<Error>>(
        &mut self,
        mut item: impl FnMut(&mut Self) -> Result<(), E>,
    ) -> Result<(), E> {
        self.skip_ws();
        if self.peek() != Some(b'[') {
            return Err(self.error(Problem::ExpectedAnArray).into());
        }
        self.enter()?;
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(());
        }
        loop {
            item(self)?;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(());
                }
                None => return Err(self.error(Problem::UnexpectedEndOfInputInAnArray).into()),
                _ => return Err(self.error(Problem::ExpectedCommaOrBracket).into()),
            }
        }
    }

    /// Ends the text: only whitespace may follow.
    pub(crate) fn finish(&mut self) -> Result<(), Error> {
        self.skip_ws();
        if self.pos < self.bytes.len() {
            return Err(self.error(Problem::TrailingCharacters));
        }
        Ok(())
    }

    #[cold]
    fn error(&self, problem: Problem) -> Error {
        let upto = &self.bytes[..self.pos.min(self.bytes.len())];
        let line = 1 + upto.iter().filter(|&&b| b == b'\n').count();
        let line_start = upto.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let column = 1 + self.src.get(line_start..self.pos).map_or(0, |s| s.chars().count());
        let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Error { problem, line: clamp(line), column: clamp(column) }
    }

    #[inline(always)]
    fn skip_ws(&mut self) {
        // A local index and slice: the loops stay tight even in the size-optimised build.
        let bytes = self.bytes;
        let mut i = self.pos;
        while i < bytes.len() && matches!(bytes[i], b' ' | b'\n' | b'\r' | b'\t') {
            i += 1;
        }
        self.pos = i;
    }

    /// The offset of the first byte from `from` on that ends a plain run of string characters:
    /// a quote, a backslash or a control character (or the end of the text).
    fn plain_run(&self, from: usize) -> usize {
        let bytes = self.bytes;
        let mut i = from;
        while i < bytes.len() {
            let b = bytes[i];
            if b == b'"' || b == b'\\' || b < 0x20 {
                break;
            }
            i += 1;
        }
        i
    }

    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn literal(&mut self, word: &'static str, v: Value) -> Result<Value, Error> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(v)
        } else {
            Err(self.error(Problem::ExpectedAValue))
        }
    }

    /// Reads one whole value.
    pub(crate) fn value(&mut self) -> Result<Value, Error> {
        self.skip_ws();
        match self.peek() {
            None => Err(self.error(Problem::UnexpectedEndOfInput)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'"') => Ok(Value::String(self.string()?)),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'[') => {
                let mut items = Vec::new();
                self.array(|p| {
                    items.push(p.value()?);
                    Ok::<(), Error>(())
                })?;
                Ok(Value::Array(items))
            }
            Some(b'{') => {
                let mut entries = Vec::new();
                self.object(|p, key| {
                    entries.push((key.to_string(), p.value()?));
                    Ok::<(), Error>(())
                })?;
                Ok(Value::Object(Map { entries: dedup_keys(entries) }))
            }
            Some(_) => Err(self.error(Problem::ExpectedAValue)),
        }
    }

    fn enter(&mut self) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(Problem::NestedTooDeeply));
        }
        self.pos += 1;
        Ok(())
    }

    /// A key starting at the opening quote: borrowed from the text unless it has escapes.
    fn key(&mut self) -> Result<std::borrow::Cow<'a, str>, Error> {
        let quote = self.pos;
        let end = self.plain_run(quote + 1);
        if self.bytes.get(end) == Some(&b'"') {
            self.pos = end + 1;
            return Ok(std::borrow::Cow::Borrowed(&self.src[quote + 1..end]));
        }
        self.string().map(std::borrow::Cow::Owned)
    }

    /// A string starting at the opening quote.
    fn string(&mut self) -> Result<String, Error> {
        self.pos += 1;
        let start = self.pos;
        // The common case: no escapes, taken as one slice.
        self.pos = self.plain_run(start);
        match self.peek() {
            Some(b'"') => {
                let s = self.src[start..self.pos].to_string();
                self.pos += 1;
                return Ok(s);
            }
            Some(0..=0x1f) => return Err(self.error(Problem::ControlCharacterInAString)),
            _ => {}
        }
        let mut out = self.src[start..self.pos].to_string();
        let mut run = self.pos;
        loop {
            match self.peek() {
                None => return Err(self.error(Problem::UnexpectedEndOfInputInAString)),
                Some(b'"') => {
                    out.push_str(&self.src[run..self.pos]);
                    self.pos += 1;
                    return Ok(out);
                }
                Some(0..=0x1f) => return Err(self.error(Problem::ControlCharacterInAString)),
                Some(b'\\') => {
                    out.push_str(&self.src[run..self.pos]);
                    self.pos += 1;
                    let c = match self.peek() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.pos += 1;
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                if !self.bytes[self.pos..].starts_with(b"\\u") {
                                    return Err(self.error(Problem::UnpairedSurrogateInAString));
                                }
                                self.pos += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(self.error(Problem::UnpairedSurrogateInAString));
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            let c = char::from_u32(code)
                                .ok_or_else(|| self.error(Problem::UnpairedSurrogateInAString))?;
                            out.push(c);
                            run = self.pos;
                            continue;
                        }
                        _ => return Err(self.error(Problem::InvalidEscapeInAString)),
                    };
                    out.push(c);
                    self.pos += 1;
                    run = self.pos;
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, Error> {
        let digits =
            self.bytes.get(self.pos..self.pos + 4).ok_or_else(|| self.error(Problem::InvalidUEscape))?;
        let mut n = 0;
        for &d in digits {
            let v = match d {
                b'0'..=b'9' => d - b'0',
                b'a'..=b'f' => d - b'a' + 10,
                b'A'..=b'F' => d - b'A' + 10,
                _ => return Err(self.error(Problem::InvalidUEscape)),
            };
            n = n * 16 + u32::from(v);
        }
        self.pos += 4;
        Ok(n)
    }

    #[inline(always)]
    fn digits(&mut self) -> usize {
        let bytes = self.bytes;
        let start = self.pos;
        let mut i = start;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        self.pos = i;
        i - start
    }

    fn number(&mut self) -> Result<Value, Error> {
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        let int_start = self.pos;
        let n = self.digits();
        if n == 0 {
            return Err(self.error(Problem::InvalidNumber));
        }
        if n > 1 && self.bytes[int_start] == b'0' {
            return Err(self.error(Problem::InvalidNumberLeadingZero));
        }
        let mut float = false;
        let mut fraction = 0;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            fraction = self.digits();
            if fraction == 0 {
                return Err(self.error(Problem::InvalidNumber));
            }
            float = true;
        }
        if float && n + fraction <= 15 && !matches!(self.peek(), Some(b'e' | b'E')) {
            // The common `1699993350.5`: fewer than 16 digits make an integer below 2^53, exact
            // as f64, and one division by an exact power of ten is correctly rounded (Clinger's
            // fast path, which the standard parser also takes, after more work).
            let mut m: u64 = 0;
            for &d in &self.bytes[int_start..self.pos] {
                if d != b'.' {
                    m = m * 10 + u64::from(d - b'0');
                }
            }
            let f = m as f64 / POW10[fraction];
            return Ok(Value::Number(Number(N::F(if negative { -f } else { f }))));
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.error(Problem::InvalidNumber));
            }
            float = true;
        }
        if !float && n <= 19 {
            // At most 19 digits always fit a u64: read them here rather than through `str::parse`.
            let mut u: u64 = 0;
            for &d in &self.bytes[int_start..self.pos] {
                u = u * 10 + u64::from(d - b'0');
            }
            if !negative {
                return Ok(Value::Number(Number(N::U(u))));
            }
            // `-0` falls through to the float -0.0, as serde_json reads it.
            if let Some(i) = 0i64.checked_sub_unsigned(u).filter(|&i| i < 0) {
                return Ok(Value::Number(Number(N::I(i))));
            }
        }
        let text = &self.src[start..self.pos];
        if !float {
            let digits = &self.src[int_start..self.pos];
            if let Ok(u) = digits.parse::<u64>() {
                if !negative {
                    return Ok(Value::Number(Number(N::U(u))));
                }
                // `-0` falls through to the float -0.0, as serde_json reads it.
                if let Some(i) = 0i64.checked_sub_unsigned(u).filter(|&i| i < 0) {
                    return Ok(Value::Number(Number(N::I(i))));
                }
            }
        }
        // Out-of-range integers become floats, as in serde_json.
        match text.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Value::Number(Number(N::F(f)))),
            _ => Err(self.error(Problem::NumberOutOfRange)),
        }
    }
}

/// 10^0 … 10^15, all exact in f64.
const POW10: [f64; 16] =
    [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/// A repeated key keeps its last value, in the place of its first occurrence.
fn dedup_keys(mut entries: Vec<(String, Value)>) -> Vec<(String, Value)> {
    let n = entries.len();
    if n < 2 {
        return entries;
    }
    let mut repeated = false;
    if n <= 16 {
        'outer: for i in 1..n {
            for j in 0..i {
                if entries[i].0 == entries[j].0 {
                    repeated = true;
                    break 'outer;
                }
            }
        }
    } else {
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_unstable_by(|&a, &b| entries[a].0.cmp(&entries[b].0));
        repeated = order.windows(2).any(|w| entries[w[0]].0 == entries[w[1]].0);
    }
    if !repeated {
        return entries;
    }
    let mut out = Map { entries: Vec::with_capacity(n) };
    for (k, v) in entries.drain(..) {
        out.insert(k, v);
    }
    out.entries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for text in [
            "null",
            "true",
            "[]",
            "{}",
            r#"{"a":1,"b":[1,2,{"c":"d"}],"e":null}"#,
            "-5",
            "18446744073709551615",
            "1.5",
            "100.0",
            "1e+100",
            r#""\"\\\n\r\t\b\f\u0001é😀/""#,
        ] {
            let v = from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            let again = from_str(&to_string(&v)).unwrap();
            assert_eq!(v, again, "{text}");
        }
        assert_eq!(to_string(&from_str("1E2").unwrap()), "100.0");
        assert_eq!(to_string(&from_str(" [ 1 , 2 ] ").unwrap()), "[1,2]");
        assert_eq!(to_string(&from_str(r#""\u00e9\ud83d\ude00\/""#).unwrap()), "\"é😀/\"");
        assert_eq!(to_string(&Value::from(f64::NAN)), "null");
    }

    #[test]
    fn rejects_what_is_not_json() {
        for text in [
            "",
            " ",
            "nul",
            "[1,]",
            "{\"a\":1,}",
            "{a:1}",
            "[1 2]",
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            "+1",
            "\"a",
            "\"\\x\"",
            "\"\\ud800\"",
            "\"\\udc00\"",
            "\"\u{1}\"",
            "1 2",
            "[",
            "{\"a\"}",
            "1e400",
            "NaN",
            "'a'",
        ] {
            assert!(from_str(text).is_err(), "{text:?} accepted");
        }
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert!(from_str(&deep).unwrap_err().is_too_deep());
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(from_str(&ok).is_ok());
        let e = from_str("{\n  \"a\": tru }").unwrap_err();
        assert_eq!(e.to_string(), "expected a value at line 2 column 8");
    }

    #[test]
    fn short_decimals_read_exactly_as_the_standard_parser_reads_them() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..200_000 {
            let int_digits = 1 + next() % 14;
            let frac_digits = 1 + next() % (15 - int_digits);
            let int = next() % 10u64.pow(int_digits as u32);
            let frac = next() % 10u64.pow(frac_digits as u32);
            let sign = if next() % 2 == 0 { "-" } else { "" };
            let text = format!("{sign}{int}.{frac:0width$}", width = frac_digits as usize);
            let ours = from_str(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(ours.as_f64(), Some(text.parse::<f64>().unwrap()), "{text}");
        }
        assert_eq!(from_str("0.1").unwrap().as_f64(), Some(0.1));
        assert_eq!(from_str("1699993350.5").unwrap().as_f64(), Some(1_699_993_350.5));
        assert_eq!(from_str("-0.0").unwrap().as_f64().map(f64::is_sign_negative), Some(true));
    }

    #[test]
    fn numbers_keep_their_kind() {
        let v = from_str("[0,-0,-1,9223372036854775808,-9223372036854775809,2.0]").unwrap();
        assert_eq!(v[0].as_u64(), Some(0));
        assert_eq!(v[1].as_f64(), Some(0.0));
        assert_eq!(v[2].as_i64(), Some(-1));
        assert_eq!(v[2].as_u64(), None);
        assert_eq!(v[3].as_u64(), Some(1 << 63));
        assert_eq!(v[3].as_i64(), None);
        assert!(v[4].as_f64().is_some() && v[4].as_i64().is_none());
        assert!(v[5].as_u64().is_none() && v[5] == 2.0);
        assert_eq!(Value::from(7u32), Value::from(7i64));
    }

    #[test]
    fn objects_keep_order_and_the_last_repeated_key() {
        let v = from_str(r#"{"b":1,"a":2,"b":3}"#).unwrap();
        assert_eq!(v.to_string(), r#"{"b":3,"a":2}"#);
        assert_eq!(v, from_str(r#"{"a":2,"b":3}"#).unwrap(), "equality ignores order");
        assert_ne!(v, from_str(r#"{"a":2,"b":3,"c":null}"#).unwrap());
        assert_ne!(v, from_str(r#"{"a":2,"c":3}"#).unwrap());
        let many: String = (0..40).map(|i| format!("\"k{}\":{i},", i % 20)).collect();
        let v = from_str(&format!("{{{}\"z\":0}}", many)).unwrap();
        assert_eq!(v.as_object().unwrap().len(), 21);
        assert_eq!(v["k3"], 23);
        let mut m = Map::new();
        m.insert("x".into(), 1.into());
        m.insert("y".into(), 2.into());
        m.insert("x".into(), 3.into());
        m.remove("x");
        assert_eq!(Value::Object(m).to_string(), r#"{"y":2}"#);
    }

    #[test]
    fn the_macro_builds_what_it_says() {
        let name = "a,b";
        let list = vec![1u32, 2];
        let none: Option<u32> = None;
        let v = json!({
            "name": name,
            "list": list,
            "sum": list.iter().sum::<u32>() + 1,
            "nested": {"x": [null, true, {"y": none}], "z": []},
            "empty": {},
        });
        assert_eq!(
            v.to_string(),
            r#"{"name":"a,b","list":[1,2],"sum":4,"nested":{"x":[null,true,{"y":null}],"z":[]},"empty":{}}"#
        );
        assert_eq!(json!([1, "two", [3]]).to_string(), r#"[1,"two",[3]]"#);
        let mut w = json!(null);
        w["k"] = json!(1);
        assert_eq!(w["k"], 1);
        assert_eq!(w["missing"]["deeper"], Value::Null);
    }

    /// Writes `f`, `-f` and both neighbours of each the way `format!("{}")` does.
    fn check_float_and_neighbours(f: f64) {
        for g in [f, f.next_up(), f.next_down()] {
            check_float(g);
            check_float(-g);
        }
    }

    fn check_float(f: f64) {
        if f.is_finite() {
            let mut ours = String::new();
            write_f64(f, &mut ours);
            assert_eq!(ours, format!("{f}"), "{f:e} ({:#018x})", f.to_bits());
        }
    }

    /// A deterministic xorshift: the same bit patterns on every run.
    fn float_patterns(mut seed: u64) -> impl FnMut() -> u64 {
        move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        }
    }

    #[test]
    fn floats_are_written_as_the_standard_formatter_writes_them() {
        for f in [0.0, 1.0, 0.1, 0.5, 1e21, 1e-7, 1e23, 5e-324, 0.3, 123.456, 1699993350.5] {
            check_float_and_neighbours(f);
        }
        for f in [f64::MIN_POSITIVE, f64::MAX, f64::EPSILON, f64::MIN_POSITIVE.next_down()] {
            check_float_and_neighbours(f);
        }
        // Half way between the two shortest forms: Rust rounds up.
        let tie = (1u64 << 50) as f64 + 0.25;
        check_float_and_neighbours(tie);
        let mut text = String::new();
        write_f64(tie, &mut text);
        assert_eq!(text, "1125899906842624.3");
        // Every power of two, the subnormal ones included: every binary exponent, and the floats
        // whose gap below is half the gap above.
        for i in 0..52 + 2046u64 {
            let f = if i < 52 { f64::from_bits(1 << i) } else { f64::from_bits((i - 51) << 52) };
            check_float_and_neighbours(f);
        }
        for i in -320..=308 {
            check_float_and_neighbours(format!("1e{i}").parse().unwrap());
        }
        for i in 0..10_000 {
            check_float_and_neighbours(f64::from(i));
        }
        for i in 1..100 {
            for j in 1..60 {
                let (a, b) = (f64::from(i) / 10.0, f64::from(j) / 100.0);
                check_float_and_neighbours(a + b);
                check_float_and_neighbours(a * b);
                check_float_and_neighbours(a / b);
            }
        }
        let mut next = float_patterns(0x9e37_79b9_7f4a_7c15);
        for _ in 0..10_000 {
            // Integers and halves, quarters… near 2^53, where the closest of two shortest forms
            // can lie exactly half way (1125899906842624.25 is written …624.3).
            let m = (next() >> 11) | 1 << 52;
            check_float_and_neighbours(m as f64 / f64::from(1u32 << (next() % 12)));
            check_float_and_neighbours((next() >> (next() % 64)) as f64);
        }
        for _ in 0..300_000 {
            check_float(f64::from_bits(next()));
        }
    }

    /// The long run: `cargo test --release -p emongroups-core -- --ignored many_random_floats`.
    #[test]
    #[ignore]
    fn many_random_floats_are_written_as_the_standard_formatter_writes_them() {
        let mut next = float_patterns(0x2545_f491_4f6c_dd1d);
        for _ in 0..20_000_000 {
            check_float(f64::from_bits(next()));
        }
    }
}
