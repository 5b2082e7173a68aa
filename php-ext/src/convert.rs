//! PHP values ⇄ JSON values.
//!
//! PHP has one container, the array, for both JSON arrays and JSON objects. Going to JSON, an array
//! whose keys are exactly 0, 1, 2, … in order is a list; any other array is an object (integer
//! keys become strings). An *empty* array is ambiguous: it is `[]` unless the caller knows the
//! wire wants an object there ([`Shape::Object`]). Going to PHP, objects become associative arrays
//! (as `json_decode($json, true)` does).
//!
//! Only scalars and arrays convert: PHP objects, resources and closures are refused, as are
//! strings that are not UTF-8 and floats that JSON cannot hold (NaN, infinities). Nesting is
//! limited to [`MAX_DEPTH`] so that a hostile array (or one that contains itself through a
//! reference) cannot exhaust the stack.

use std::fmt;

use emongroups_core::MAX_REQUEST_BYTES;
use emongroups_core::json::{Map, Number, Value};
use ext_php_rs::boxed::ZBox;
use ext_php_rs::flags::DataType;
use ext_php_rs::types::{ZendHashTable, Zval};

/// The deepest nesting accepted from PHP, the same limit the wire puts on JSON text.
pub const MAX_DEPTH: usize = 128;

/// What the wire expects at the top of a converted array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A JSON object: an empty PHP array becomes `{}`.
    Object,
    /// Whatever the array looks like (an empty one becomes `[]`).
    Any,
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
    Unsupported(&'static str),
}

impl ConvertError {
    fn new(kind: ErrorKind) -> Self {
        ConvertError { kind, path: Vec::new() }
    }

    /// Adds the segment the error happened under (called while unwinding, so in reverse).
    fn under(mut self, segment: impl Into<String>) -> Self {
        self.path.push(segment.into());
        self
    }

    /// The wire code this error stands for: `too_deep`, `too_large` or `bad_request`.
    pub fn code(&self) -> &'static str {
        match self.kind {
            ErrorKind::TooDeep => "too_deep",
            ErrorKind::TooLarge => "too_large",
            _ => "bad_request",
        }
    }

    /// The message, naming the argument (`root`) and where inside it the problem is.
    pub fn message(&self, root: &str) -> String {
        let mut path = root.to_string();
        for (i, segment) in self.path.iter().rev().enumerate() {
            if i == 8 {
                // A path 128 levels deep says nothing more than its first steps do.
                path.push_str(".…");
                break;
            }
            path.push('.');
            path.push_str(&crate::truncate(segment, 64));
        }
        match &self.kind {
            ErrorKind::TooDeep => format!("`{path}` nests deeper than {MAX_DEPTH} levels"),
            ErrorKind::TooLarge => {
                format!("`{path}` is larger than the wire limit of {MAX_REQUEST_BYTES} bytes")
            }
            ErrorKind::NotUtf8 => format!("`{path}` is a string that is not valid UTF-8"),
            ErrorKind::NotFinite => {
                format!("`{path}` is a float that JSON cannot hold (NaN or infinite)")
            }
            ErrorKind::Unsupported(what) => {
                format!(
                    "`{path}` is {what}; only arrays, strings, numbers, booleans and null convert to JSON"
                )
            }
        }
    }
}

impl fmt::Display for ConvertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message("value"))
    }
}

/// Converts a PHP array into JSON (see the module documentation for the rules). `depth` is how
/// deep the array will sit in the wire request (1 = the request itself), so that the request as
/// a whole stays within the wire's nesting limit.
pub fn array_to_json(array: &ZendHashTable, shape: Shape, depth: usize) -> Result<Value, ConvertError> {
    let mut budget = Budget::default();
    array_to_json_at(array, shape, depth, &mut budget)
}

/// Counts string bytes so that a PHP array holding gigabytes of text (many copies of one shared
/// string cost PHP nothing) is refused before it is copied into Rust.
#[derive(Default)]
struct Budget {
    bytes: usize,
}

impl Budget {
    fn spend(&mut self, bytes: usize) -> Result<(), ConvertError> {
        self.bytes = self.bytes.saturating_add(bytes);
        if self.bytes > MAX_REQUEST_BYTES { Err(ConvertError::new(ErrorKind::TooLarge)) } else { Ok(()) }
    }
}

fn zval_to_json_at(zval: &Zval, depth: usize, budget: &mut Budget) -> Result<Value, ConvertError> {
    let zval = dereference(zval);
    if zval.is_null() {
        return Ok(Value::Null);
    }
    if let Some(b) = zval.bool() {
        return Ok(Value::Bool(b));
    }
    if let Some(n) = zval.long() {
        return Ok(Value::Number(n.into()));
    }
    if let Some(f) = zval.double() {
        return Number::from_f64(f).map(Value::Number).ok_or_else(|| ConvertError::new(ErrorKind::NotFinite));
    }
    if let Some(s) = zval.zend_str() {
        budget.spend(s.len())?;
        return std::str::from_utf8(s.as_bytes())
            .map(|s| Value::String(s.to_string()))
            .map_err(|_| ConvertError::new(ErrorKind::NotUtf8));
    }
    if let Some(array) = zval.array() {
        return array_to_json_at(array, Shape::Any, depth + 1, budget);
    }
    let what = if zval.is_object() {
        "an object"
    } else if zval.is_resource() {
        "a resource"
    } else {
        "a value of an unsupported type"
    };
    Err(ConvertError::new(ErrorKind::Unsupported(what)))
}

fn array_to_json_at(
    array: &ZendHashTable,
    shape: Shape,
    depth: usize,
    budget: &mut Budget,
) -> Result<Value, ConvertError> {
    if depth > MAX_DEPTH {
        return Err(ConvertError::new(ErrorKind::TooDeep));
    }
    if array.is_empty() {
        return Ok(match shape {
            Shape::Object => Value::Object(Map::new()),
            Shape::Any => Value::Array(Vec::new()),
        });
    }
    if shape == Shape::Any && is_list(array) {
        let mut list = Vec::with_capacity(array.len());
        for (_, value) in entries(array) {
            let at = list.len();
            list.push(zval_to_json_at(value, depth, budget).map_err(|e| e.under(at.to_string()))?);
        }
        return Ok(Value::Array(list));
    }
    object_to_json(array, depth, budget, &[])
}

/// Converts one database row (always an object); the `int_fields` that hold canonical integer
/// strings, as mysqli returns every column, become integers on the way (the wire wants integer
/// ids; converting here saves copying the strings first).
pub fn row_to_json(row: &ZendHashTable, depth: usize, int_fields: &[&str]) -> Result<Value, ConvertError> {
    let mut budget = Budget::default();
    if depth > MAX_DEPTH {
        return Err(ConvertError::new(ErrorKind::TooDeep));
    }
    object_to_json(row, depth, &mut budget, int_fields)
}

fn object_to_json(
    array: &ZendHashTable,
    depth: usize,
    budget: &mut Budget,
    int_fields: &[&str],
) -> Result<Value, ConvertError> {
    let mut object = Map::with_capacity(array.len());
    for (key, value) in entries(array) {
        if let Key::Name(name) = key
            && int_fields.iter().any(|f| f.as_bytes() == name)
            && let Some(n) = dereference(value).zend_str().and_then(|s| canonical_integer(s.as_bytes()))
        {
            // An int field's name is ASCII, so the key is valid UTF-8.
            object.insert(String::from_utf8_lossy(name).into_owned(), n.into());
            continue;
        }
        let key = match key {
            Key::Index(index) => index.to_string(),
            Key::Name(bytes) => {
                budget.spend(bytes.len())?;
                match std::str::from_utf8(bytes) {
                    Ok(k) => k.to_string(),
                    Err(_) => {
                        let shown = String::from_utf8_lossy(bytes).into_owned();
                        return Err(ConvertError::new(ErrorKind::NotUtf8).under(shown));
                    }
                }
            }
        };
        let value = zval_to_json_at(value, depth, budget).map_err(|e| e.under(key.clone()))?;
        object.insert(key, value);
    }
    Ok(Value::Object(object))
}

/// `b"12"` → 12, `b"-3"` → -3; `b"012"`, `b"+1"`, `b" 1"`, `b""` and overflowing digits → None.
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
        .all(|(i, (key, _))| matches!(key, Key::Index(k) if usize::try_from(k) == Ok(i)))
}

/// The key of an array entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key<'a> {
    /// An integer key.
    Index(i64),
    /// A string key: bytes, not necessarily UTF-8.
    Name(&'a [u8]),
}

/// The entries of a PHP array in order, read straight from its buckets as the engine's own
/// `ZEND_HASH_FOREACH` does. ext-php-rs's iterator makes four engine calls and copies the key per
/// entry, which made converting 10,000 rows cost tens of milliseconds.
pub fn entries(array: &ZendHashTable) -> Entries<'_> {
    // Zend/zend_hash.h: a packed array (list-like keys, no key strings).
    const HASH_FLAG_PACKED: u32 = 1 << 2;
    // From PHP 8.2 (Zend API 20220829) a packed array stores bare zvals, not buckets.
    const PACKED_ZVALS: bool = ext_php_rs::ffi::ZEND_MODULE_API_NO >= 20220829;
    // SAFETY: `flags` is the u32 view of the array's flag bytes; both views are plain integers.
    let flags = unsafe { array.u.flags };
    Entries { array, next: 0, zvals_only: PACKED_ZVALS && flags & HASH_FLAG_PACKED != 0 }
}

/// Iterator of [`entries`].
#[derive(Debug)]
pub struct Entries<'a> {
    array: &'a ZendHashTable,
    next: u32,
    zvals_only: bool,
}

impl<'a> Iterator for Entries<'a> {
    type Item = (Key<'a>, &'a Zval);

    fn next(&mut self) -> Option<Self::Item> {
        while self.next < self.array.nNumUsed {
            let i = self.next;
            self.next += 1;
            let (key, value) = if self.zvals_only {
                // SAFETY: a packed array of PHP ≥ 8.2 holds `nNumUsed` zvals at `arPacked`, the
                // same pointer as `arData` in the union; `i < nNumUsed`, and the array is borrowed
                // for 'a, so nothing frees or moves the storage meanwhile.
                let value = unsafe { &*self.array.__bindgen_anon_1.arData.cast::<Zval>().add(i as usize) };
                (Key::Index(i64::from(i)), value)
            } else {
                // SAFETY: any other array holds `nNumUsed` buckets at `arData` (`i < nNumUsed`),
                // borrowed for 'a as above.
                let bucket = unsafe { &*self.array.__bindgen_anon_1.arData.add(i as usize) };
                // SAFETY: a bucket's key is null (integer key in `h`) or a live zend_string owned
                // by the array.
                let key = match unsafe { bucket.key.as_ref() } {
                    Some(name) => Key::Name(name.as_bytes()),
                    // `h` is the zend_ulong bit pattern of the signed integer key.
                    None => Key::Index(bucket.h as i64),
                };
                (key, &bucket.val)
            };
            // Deleted slots stay behind as UNDEF until the array is compacted.
            if !matches!(dereference(value).get_type(), DataType::Undef) {
                return Some((key, value));
            }
        }
        None
    }
}

/// Follows references (`&$x`) and indirect slots (symbol tables) to the value.
fn dereference(mut zval: &Zval) -> &Zval {
    // Bounded: a reference never points at another reference in the engine, but do not trust it.
    for _ in 0..4 {
        if !(zval.is_reference() || zval.is_indirect()) {
            break;
        }
        zval = zval.dereference();
    }
    zval
}

/// Converts a JSON value into a PHP value (objects become associative arrays).
pub fn json_to_zval(value: &Value) -> Zval {
    let mut zval = Zval::new();
    match value {
        Value::Null => zval.set_null(),
        Value::Bool(b) => zval.set_bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => zval.set_long(i),
            // Above i64::MAX, or a fraction: PHP has only a float for it (as json_decode does).
            None => zval.set_double(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => zval.set_zend_string(ext_php_rs::types::ZendStr::new(s, false)),
        Value::Array(_) | Value::Object(_) => zval.set_hashtable(json_to_array(value)),
        // Text the engine passes through (a feed row): PHP gets it as the array it stands for.
        Value::Raw(_) => return json_to_zval(&value.clone().expanded()),
    }
    zval
}

/// Converts a JSON array or object into a PHP array; any other value becomes a one-element list.
pub fn json_to_array(value: &Value) -> ZBox<ZendHashTable> {
    match value {
        Value::Array(items) => {
            let mut array = ZendHashTable::with_capacity(u32::try_from(items.len()).unwrap_or(u32::MAX));
            for item in items {
                // Inserting a plain Zval cannot fail.
                let _ = array.push(json_to_zval(item));
            }
            array
        }
        Value::Object(map) => {
            let mut array = ZendHashTable::with_capacity(u32::try_from(map.len()).unwrap_or(u32::MAX));
            for (key, item) in map {
                // `insert` with a `&str` turns canonical integer keys ("5") into integer keys,
                // as PHP itself does.
                let _ = array.insert(key.as_str(), json_to_zval(item));
            }
            array
        }
        Value::Raw(_) => json_to_array(&value.clone().expanded()),
        other => {
            let mut array = ZendHashTable::new();
            let _ = array.push(json_to_zval(other));
            array
        }
    }
}
