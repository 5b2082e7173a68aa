//! PHP values ⇄ wire values, through ext-php-rs's own accessors and conversions and serde.
//!
//! PHP has one container, the array, for both JSON arrays and JSON objects. Going to JSON, an array
//! whose keys are exactly 0, 1, 2, … in order is a list; any other array is an object (integer
//! keys become strings). An *empty* array is ambiguous: it is `[]` unless the caller knows the
//! wire wants an object there ([`Shape`]). Going to PHP, objects become associative arrays (as
//! `json_decode($json, true)` does).
//!
//! Only scalars and arrays convert: PHP objects, resources and closures are refused, as are
//! strings that are not UTF-8 and floats that JSON cannot hold (NaN, infinities). Nesting is
//! limited to [`MAX_DEPTH`] so that a hostile array (or one that contains itself through a
//! reference) cannot exhaust the stack, and the strings of one request to
//! [`MAX_REQUEST_BYTES`].
//!
//! A PHP value becomes JSON as a [`serde::Serialize`] walk ([`Php`], [`Rows`]): serialized with
//! `serde_json::to_value` it is a `serde_json::Value` (the arguments of `check`, `route`, …),
//! with `serde_json::to_string` it is wire text without a tree in between (`fromRows`' tens of
//! thousands of rows, where building the tree first doubled the cost).

use std::cell::{Cell, RefCell};
use std::fmt;

use emongroups_core::MAX_REQUEST_BYTES;
use ext_php_rs::boxed::ZBox;
use ext_php_rs::convert::IntoZval;
use ext_php_rs::flags::DataType;
use ext_php_rs::types::array::Iter;
use ext_php_rs::types::{ZendHashTable, ZendStr, Zval};
use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;

/// The deepest nesting accepted from PHP, the same limit the wire puts on JSON text.
pub const MAX_DEPTH: usize = 128;

/// What the wire expects of a converted array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A JSON object, whatever the keys: an empty PHP array becomes `{}`.
    Object,
    /// A list when the keys are 0, 1, 2, …, an object otherwise; an empty array becomes `[]`.
    Any,
    /// As [`Shape::Any`], but an empty array becomes `{}`.
    AnyEmptyObject,
}

/// Why a PHP value could not become JSON. The path says where, e.g. `params.groupid`.
#[derive(Debug)]
pub struct ConvertError {
    kind: ErrorKind,
    path: Vec<String>,
}

#[derive(Debug)]
enum ErrorKind {
    TooDeep,
    TooLarge,
    NotUtf8,
    NotFinite,
    NotRow,
    Unsupported(&'static str),
    /// The serializer itself failed (it cannot for text in memory and for `serde_json::Value`).
    Serializer(String),
}

impl ConvertError {
    fn new(kind: ErrorKind) -> Self {
        ConvertError { kind, path: Vec::new() }
    }

    /// The wire code this error stands for: `too_deep`, `too_large`, `bad_request` or, for a
    /// failing serializer, `internal`.
    pub fn code(&self) -> &'static str {
        match self.kind {
            ErrorKind::TooDeep => "too_deep",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::Serializer(_) => "internal",
            _ => "bad_request",
        }
    }

    /// The message, naming the argument (`root`; empty when the outermost segment of the path
    /// names it, as for `fromRows`' tables) and where inside it the problem is.
    pub fn message(&self, root: &str) -> String {
        let mut path = root.to_string();
        // Segments were added while unwinding, innermost first.
        for (i, segment) in self.path.iter().rev().enumerate() {
            if i == 8 {
                // A path 128 levels deep says nothing more than its first steps do.
                path.push_str(".…");
                break;
            }
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(&crate::truncate(segment, 64));
        }
        match &self.kind {
            ErrorKind::TooDeep => format!("`{path}` nests deeper than {MAX_DEPTH} levels"),
            ErrorKind::TooLarge => {
                format!("at `{path}` the strings pass the wire limit of {MAX_REQUEST_BYTES} bytes")
            }
            ErrorKind::NotUtf8 => format!("`{path}` is a string that is not valid UTF-8"),
            ErrorKind::NotFinite => {
                format!("`{path}` is a float that JSON cannot hold (NaN or infinite)")
            }
            ErrorKind::NotRow => format!("`{path}` must be an array (one row of the table)"),
            ErrorKind::Unsupported(what) => {
                format!(
                    "`{path}` is {what}; only arrays, strings, numbers, booleans and null convert to JSON"
                )
            }
            ErrorKind::Serializer(e) => format!("`{path}` did not serialize: {e}"),
        }
    }
}

impl fmt::Display for ConvertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message("value"))
    }
}

/// What one conversion shares across its walk: the string bytes spent so far (a PHP array can
/// hold gigabytes of text at no cost to PHP, as many copies of one shared string, so they are
/// counted before they are copied into Rust) and the error that stopped it. serde's errors carry
/// only a message; the [`ConvertError`] itself waits here, and each level it unwinds through
/// adds its segment of the path. Use one walk per request, shared by its arguments.
#[derive(Debug, Default)]
pub struct Walk {
    bytes: Cell<usize>,
    error: RefCell<Option<ConvertError>>,
}

impl Walk {
    /// Runs one serialization (`serde_json::to_value`, `serde_json::to_string`) whose values use
    /// this walk; its error, if any, as the [`ConvertError`] that stopped it.
    pub fn run<T>(&self, serialize: impl FnOnce() -> serde_json::Result<T>) -> Result<T, ConvertError> {
        serialize().map_err(|e| {
            self.error.take().unwrap_or_else(|| ConvertError::new(ErrorKind::Serializer(e.to_string())))
        })
    }

    fn fail<E: serde::ser::Error>(&self, kind: ErrorKind) -> E {
        *self.error.borrow_mut() = Some(ConvertError::new(kind));
        E::custom("the PHP value does not convert to JSON")
    }

    /// Passes an error on, adding the segment it happened under.
    fn under<E>(&self, error: E, segment: impl FnOnce() -> String) -> E {
        if let Some(e) = self.error.borrow_mut().as_mut() {
            e.path.push(segment());
        }
        error
    }

    fn spend<E: serde::ser::Error>(&self, bytes: usize) -> Result<(), E> {
        let total = self.bytes.get().saturating_add(bytes);
        self.bytes.set(total);
        if total > MAX_REQUEST_BYTES { Err(self.fail(ErrorKind::TooLarge)) } else { Ok(()) }
    }

    /// A string's text, counted against the budget.
    fn text<'s, E: serde::ser::Error>(&self, s: &'s ZendStr) -> Result<&'s str, E> {
        self.spend(s.len())?;
        s.as_str().map_err(|_| self.fail(ErrorKind::NotUtf8))
    }
}

/// A PHP value as wire JSON. `depth` is how deep it sits in the wire request (1 = the request
/// itself), so that the request as a whole stays within the wire's nesting limit.
#[derive(Debug, Clone, Copy)]
pub struct Php<'a> {
    zval: &'a Zval,
    depth: usize,
    walk: &'a Walk,
}

impl Serialize for Php<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // The accessors follow references (`&$x`) themselves; the type tests need the value.
        let zval = self.zval.dereference();
        if zval.is_null() {
            return s.serialize_unit();
        }
        if let Some(b) = zval.bool() {
            return s.serialize_bool(b);
        }
        if let Some(n) = zval.long() {
            return s.serialize_i64(n);
        }
        if let Some(f) = zval.double() {
            if !f.is_finite() {
                return Err(self.walk.fail(ErrorKind::NotFinite));
            }
            return s.serialize_f64(f);
        }
        if let Some(text) = zval.zend_str() {
            return s.serialize_str(self.walk.text(text)?);
        }
        if let Some(array) = zval.array() {
            return PhpArray { array, shape: Shape::Any, depth: self.depth + 1, walk: self.walk }
                .serialize(s);
        }
        let what = if zval.is_object() {
            "an object"
        } else if zval.is_resource() {
            "a resource"
        } else {
            "a value of an unsupported type"
        };
        Err(self.walk.fail(ErrorKind::Unsupported(what)))
    }
}

/// A PHP array as wire JSON, of the [`Shape`] the wire wants there.
#[derive(Debug, Clone, Copy)]
pub struct PhpArray<'a> {
    /// The array.
    pub array: &'a ZendHashTable,
    /// What the wire wants it to be.
    pub shape: Shape,
    /// Where it sits in the request, as for [`Php`].
    pub depth: usize,
    /// The walk it is part of.
    pub walk: &'a Walk,
}

impl PhpArray<'_> {
    fn value<'v>(&'v self, zval: &'v Zval) -> Php<'v> {
        Php { zval, depth: self.depth, walk: self.walk }
    }
}

impl Serialize for PhpArray<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let walk = self.walk;
        if self.depth > MAX_DEPTH {
            return Err(walk.fail(ErrorKind::TooDeep));
        }
        let as_list = match self.shape {
            Shape::Object => false,
            Shape::AnyEmptyObject if self.array.is_empty() => false,
            Shape::Any | Shape::AnyEmptyObject => is_list(self.array),
        };
        if as_list {
            let mut seq = s.serialize_seq(None)?;
            for (i, (_, value)) in entries(self.array).enumerate() {
                seq.serialize_element(&self.value(value)).map_err(|e| walk.under(e, || i.to_string()))?;
            }
            return seq.end();
        }
        let mut map = s.serialize_map(None)?;
        for (key, value) in entries(self.array) {
            key.serialize_into(&mut map, walk)?;
            map.serialize_value(&self.value(value)).map_err(|e| walk.under(e, || key.to_string()))?;
        }
        map.end()
    }
}

/// The rows of one of emoncms's tables (`fromRows`) as a JSON list of objects. `ints` are the
/// fields whose canonical integer strings (mysqli returns every column as a string) become
/// integers, which the wire requires for ids; `objects` the fields where an empty array is `{}`.
#[derive(Debug, Clone, Copy)]
pub struct Rows<'a> {
    /// The table's name, the first segment of an error's path.
    pub name: &'static str,
    /// The rows.
    pub table: &'a ZendHashTable,
    /// Fields holding ids.
    pub ints: &'static [&'static str],
    /// Fields holding JSON objects.
    pub objects: &'static [&'static str],
    /// The walk they are part of.
    pub walk: &'a Walk,
}

impl Serialize for Rows<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let walk = self.walk;
        let mut seq = s.serialize_seq(None)?;
        for (at, (_, row)) in entries(self.table).enumerate() {
            let row = Row { zval: row, rows: self };
            seq.serialize_element(&row)
                .map_err(|e| walk.under(walk.under(e, || at.to_string()), || self.name.into()))?;
        }
        seq.end()
    }
}

struct Row<'a> {
    zval: &'a Zval,
    rows: &'a Rows<'a>,
}

impl Serialize for Row<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let Rows { ints, objects, walk, .. } = *self.rows;
        let Some(row) = self.zval.array() else {
            return Err(walk.fail(ErrorKind::NotRow));
        };
        // A row sits at depth 4 of a request: request → state → table → row.
        let depth = 4;
        let mut map = s.serialize_map(None)?;
        for (key, value) in entries(row) {
            let name = key.serialize_into(&mut map, walk)?;
            let field = |f: &[&str]| name.is_some_and(|name| f.contains(&name));
            let written = if field(ints)
                && let Some(n) = value.zend_str().and_then(|s| canonical_integer(s.as_bytes()))
            {
                map.serialize_value(&n)
            } else if field(objects)
                && let Some(array) = value.array()
            {
                map.serialize_value(&PhpArray { array, shape: Shape::AnyEmptyObject, depth: depth + 1, walk })
            } else {
                map.serialize_value(&Php { zval: value, depth, walk })
            };
            written.map_err(|e| walk.under(e, || key.to_string()))?;
        }
        map.end()
    }
}

/// `b"12"` → 12, `b"-3"` → -3; `b"012"`, `b"+1"`, `b" 1"`, `b"-0"`, `b""` and overflowing digits
/// → None (PHP's own rule for integer-like array keys).
fn canonical_integer(bytes: &[u8]) -> Option<i64> {
    let digits = bytes.strip_prefix(b"-").unwrap_or(bytes);
    let canonical = match digits {
        [b'0'] => bytes.len() == 1,
        [b'1'..=b'9', rest @ ..] => rest.iter().all(u8::is_ascii_digit),
        _ => false,
    };
    if !canonical {
        return None;
    }
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

/// True when the keys are exactly 0, 1, 2, … in order (PHP's `array_is_list`).
fn is_list(array: &ZendHashTable) -> bool {
    entries(array)
        .enumerate()
        .all(|(i, (key, _))| key.0.long().and_then(|k| usize::try_from(k).ok()) == Some(i))
}

/// The key of an array entry, as ext-php-rs hands it over: a zval holding a PHP integer or a
/// string (bytes, not necessarily UTF-8).
pub struct Key(Zval);

impl Key {
    /// Writes the key as a JSON member name; the name when it is a string key.
    fn serialize_into<'k, M: SerializeMap>(
        &'k self,
        map: &mut M,
        walk: &Walk,
    ) -> Result<Option<&'k str>, M::Error> {
        if let Some(i) = self.0.long() {
            // serde_json writes integer keys as strings: 5 → "5".
            map.serialize_key(&i)?;
            return Ok(None);
        }
        let Some(name) = self.0.zend_str() else {
            return Err(walk.fail(ErrorKind::Unsupported("a key of an unsupported type")));
        };
        let name = walk.text(name).map_err(|e| walk.under(e, || self.to_string()))?;
        map.serialize_key(name)?;
        Ok(Some(name))
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.0.long(), self.0.zend_str()) {
            (Some(i), _) => write!(f, "{i}"),
            (None, Some(name)) => f.write_str(&String::from_utf8_lossy(name.as_bytes())),
            (None, None) => f.write_str("?"),
        }
    }
}

/// The entries of a PHP array in order. ext-php-rs's `Iterator` for arrays (and `values()`) turns
/// each key into an `ArrayKey`, which panics on a string key that is not UTF-8 (`"\xff" => 1` is
/// a valid PHP key); its `next_zval` hands the key over as a zval instead, which [`Key`] reads.
pub fn entries(array: &ZendHashTable) -> impl Iterator<Item = (Key, &Zval)> {
    let mut iter = Iter::new(array);
    std::iter::from_fn(move || iter.next_zval())
        // An unset variable of a symbol table stays behind as an indirect slot to nothing.
        .filter(|(_, value)| !matches!(value.dereference().get_type(), DataType::Undef))
        .map(|(key, value)| (Key(key), value))
}

/// A wire value on its way to PHP through ext-php-rs's [`IntoZval`]: objects become associative
/// arrays, lists become lists, as `json_decode($json, true)` gives them.
pub struct ToPhp<'a>(pub &'a Value);

impl IntoZval for ToPhp<'_> {
    const TYPE: DataType = DataType::Mixed;
    const NULLABLE: bool = true;

    fn set_zval(self, zval: &mut Zval, persistent: bool) -> ext_php_rs::error::Result<()> {
        match self.0 {
            Value::Null => zval.set_null(),
            Value::Bool(b) => zval.set_bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => zval.set_long(i),
                // Above i64::MAX, or a fraction: PHP has only a float for it (as json_decode does).
                None => zval.set_double(n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(s) => zval.set_string(s, persistent)?,
            Value::Array(_) | Value::Object(_) => zval.set_hashtable(json_to_array(self.0)?),
        }
        Ok(())
    }
}

/// Converts a JSON array or object into a PHP array; any other value becomes a one-element list.
pub fn json_to_array(value: &Value) -> ext_php_rs::error::Result<ZBox<ZendHashTable>> {
    let capacity = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    match value {
        Value::Array(items) => {
            let mut array = ZendHashTable::with_capacity(capacity(items.len()));
            for item in items {
                array.push(ToPhp(item))?;
            }
            Ok(array)
        }
        Value::Object(map) => {
            let mut array = ZendHashTable::with_capacity(capacity(map.len()));
            for (key, item) in map {
                // A `&str` key that is a canonical integer ("5") becomes the integer key 5, as
                // PHP itself and json_decode do.
                array.insert(key.as_str(), ToPhp(item))?;
            }
            Ok(array)
        }
        other => {
            let mut array = ZendHashTable::new();
            array.push(ToPhp(other))?;
            Ok(array)
        }
    }
}
