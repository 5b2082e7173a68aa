//! The wasm-bindgen door: what browsers and Node see. Each method is one wire request, built
//! with `serde_json` from the JS arguments; its result reaches JS as plain objects, arrays,
//! strings and numbers made by `serde-wasm-bindgen`; a failure is a `js_sys::Error` whose `code`
//! is the wire error code.

use emongroups_core::{ErrorCode, MAX_REQUEST_BYTES};
use js_sys::{ArrayBuffer, JsString, Uint8Array};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;
use wasm_bindgen::prelude::*;

use crate::requests::{Failure, Request, argument, error_answer, result_of, text_of_bytes};

/// The error JS sees: an `Error` with the message, and the wire code as its `code`.
fn thrown(failure: &Failure) -> js_sys::Error {
    let error = js_sys::Error::new(&failure.message);
    // Setting a property of a fresh Error cannot throw; Reflect.set reports, not throws.
    let _ = js_sys::Reflect::set(&error, &JsValue::from_str("code"), &JsValue::from_str(&failure.code));
    error
}

// ---- text in ---------------------------------------------------------------------------------

#[wasm_bindgen]
extern "C" {
    /// JS `TextEncoder`, whose `encodeInto` writes a string's UTF-8 straight into wasm memory.
    /// Neither js-sys nor web-sys offers it on a JS string (web-sys's takes a Rust `&str`, which
    /// is the very copy this avoids).
    #[wasm_bindgen(js_name = TextEncoder)]
    type Utf8Encoder;
    #[wasm_bindgen(constructor, js_class = "TextEncoder")]
    fn new() -> Utf8Encoder;
    #[wasm_bindgen(method, js_class = "TextEncoder", js_name = encodeInto)]
    fn encode_into(this: &Utf8Encoder, text: &JsString, into: &mut [u8]) -> Encoded;

    /// What `encodeInto` did: UTF-16 units `read`, bytes `written`.
    type Encoded;
    #[wasm_bindgen(method, getter)]
    fn read(this: &Encoded) -> u32;
    #[wasm_bindgen(method, getter)]
    fn written(this: &Encoded) -> u32;
}

/// Below this many UTF-16 units a string crosses through wasm-bindgen's own glue. From it on, one
/// `encodeInto`: the glue copies ASCII one character at a time in a JS loop, slower from a few
/// dozen characters on (measured in wasm/README.md).
const FAST_TEXT_UNITS: u32 = 64;

/// A JS string argument as Rust text; with `bytes`, a `Uint8Array` or `ArrayBuffer` of UTF-8 too.
fn text_of(name: &str, value: &JsValue, bytes: bool) -> Result<String, Failure> {
    if let Some(text) = value.dyn_ref::<JsString>() {
        // At least one byte per UTF-16 unit: longer than the limit in units is too large in bytes,
        // known before a byte is copied.
        let units = text.length();
        if units as usize > MAX_REQUEST_BYTES {
            return Err(too_large(name, units as usize));
        }
        if units < FAST_TEXT_UNITS {
            return Ok(String::from(text));
        }
        return utf8_of_long(name, text, units);
    }
    if bytes {
        if let Some(array) = value.dyn_ref::<Uint8Array>() {
            return text_of_bytes(name, bytes_of(name, array)?);
        }
        if let Some(buffer) = value.dyn_ref::<ArrayBuffer>() {
            // A detached buffer has no bytes (and a view on it cannot be made).
            if buffer.byte_length() == 0 {
                return text_of_bytes(name, Vec::new());
            }
            return text_of_bytes(name, bytes_of(name, &Uint8Array::new(buffer))?);
        }
        return Err(Failure::new(
            ErrorCode::BadRequest,
            format!("`{name}` must be a string, or a Uint8Array of UTF-8 JSON"),
        ));
    }
    Err(Failure::new(ErrorCode::BadRequest, format!("`{name}` must be a string")))
}

fn too_large(name: &str, len: usize) -> Failure {
    Failure::new(
        ErrorCode::TooLarge,
        format!("`{name}` is at least {len} bytes, the limit is {MAX_REQUEST_BYTES}"),
    )
}

/// The bytes of `array`, copied into wasm memory in one call; over the size limit, or more than
/// memory can hold, is an error, not an abort.
fn bytes_of(name: &str, array: &Uint8Array) -> Result<Vec<u8>, Failure> {
    let len = array.length();
    if len as usize > MAX_REQUEST_BYTES {
        return Err(too_large(name, len as usize));
    }
    let mut bytes = Vec::new();
    if bytes.try_reserve_exact(len as usize).is_err() {
        return Err(too_large(name, len as usize));
    }
    bytes.resize(len as usize, 0);
    // A fixed-length view of exactly `len` bytes: `copy_to` insists the lengths agree.
    array.subarray(0, len).copy_to(&mut bytes);
    Ok(bytes)
}

/// A long string as UTF-8 through `encodeInto`: one byte per UTF-16 unit holds an ASCII text
/// whole; what does not fit (at most 3 bytes per unit) is encoded from where the first pass
/// stopped.
fn utf8_of_long(name: &str, text: &JsString, units: u32) -> Result<String, Failure> {
    let encoder = Utf8Encoder::new();
    let mut bytes = Vec::new();
    if bytes.try_reserve_exact(units as usize).is_err() {
        return Err(too_large(name, units as usize));
    }
    bytes.resize(units as usize, 0);
    let first = encoder.encode_into(text, &mut bytes);
    let (read, mut len) = (first.read(), first.written() as usize);
    if read < units {
        let more = 3 * (units - read) as usize;
        bytes.truncate(len);
        if bytes.try_reserve_exact(more).is_err() {
            return Err(too_large(name, len + more));
        }
        bytes.resize(len + more, 0);
        let rest = text.slice(read, units);
        let tail = bytes.get_mut(len..).unwrap_or_default();
        len += encoder.encode_into(&rest, tail).written() as usize;
    }
    bytes.truncate(len);
    // `encodeInto` writes UTF-8 (a lone surrogate becomes U+FFFD, as in wasm-bindgen's glue), so
    // this never fails; it is what keeps the conversion safe.
    String::from_utf8(bytes).map_err(|_| Failure::new(ErrorCode::BadRequest, format!("`{name}` is not text")))
}

// ---- JS values in ----------------------------------------------------------------------------

/// A JS argument as a JSON value; `undefined` is `None` (the field is left out).
///
/// Through `JSON.stringify` (caught), not `serde_wasm_bindgen::from_value`: see wasm/README.md,
/// "Arguments". In short, `from_value` reads getters and Proxy traps with JS calls that are not
/// caught, so their exceptions would unwind through Rust frames, has no depth limit (a cyclic
/// object recurses until wasm's stack runs out) and reads `10n` as 10, `undefined` in an object
/// as `null` and a `Date` as `{}`, where the wire has always had what `JSON.stringify` writes.
fn to_json(name: &str, value: &JsValue) -> Result<Option<Value>, Failure> {
    if value.is_undefined() {
        return Ok(None);
    }
    // An id (most arguments are): JSON.stringify writes a safe integer as its digits, so this is
    // the value it would give, without the call and the text.
    if let Some(n) = value.as_f64()
        && n.fract() == 0.0
        && n.abs() <= 9_007_199_254_740_991.0
    {
        return Ok(Some(Value::from(n as i64)));
    }
    let text = js_sys::JSON::stringify(value).map_err(|e| {
        // What JSON.stringify threw (a TypeError for a cycle or a BigInt, whatever a toJSON
        // threw): its `message` when that is a string, read through Reflect.get, which catches
        // what a getter might throw.
        let why = js_sys::Reflect::get(&e, &JsValue::from_str("message"))
            .ok()
            .and_then(|m| m.as_string())
            .or_else(|| e.as_string())
            .unwrap_or_default();
        Failure::new(ErrorCode::BadRequest, format!("`{name}` cannot be written as JSON: {why}"))
    })?;
    // JSON.stringify answers `undefined` (no string) for a function or a symbol.
    match text.dyn_ref::<JsString>() {
        Some(text) => argument(name, Some(&text_of(name, text, false)?)),
        None => argument(name, None),
    }
}

// ---- results out -----------------------------------------------------------------------------

/// A JSON value as JS sees it from JSON.parse: plain objects and arrays, strings, numbers (every
/// number a double, as JSON.parse reads it: never a BigInt, never an error for a large integer),
/// booleans and null.
struct Plain<'a>(&'a Value);

impl Serialize for Plain<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            // `as_f64` rounds a large integer to the nearest double, as JSON.parse does.
            Value::Number(n) => s.serialize_f64(n.as_f64().unwrap_or(f64::NAN)),
            Value::String(text) => serialize_text(text, false, s),
            Value::Array(items) => s.collect_seq(items.iter().map(Plain)),
            // A scan, not a lookup: cheaper than hashing for the small objects answers are made of.
            Value::Object(members) if members.keys().any(|k| k == "__proto__") => {
                serde_wasm_bindgen::preserve::serialize(&object_with_proto_key(members), s)
            }
            Value::Object(members) => {
                let mut map = s.serialize_map(Some(members.len()))?;
                for (key, value) in members {
                    map.serialize_entry(&Key(key), &Plain(value))?;
                }
                map.end()
            }
        }
    }
}

/// An object's key, made a JS string once (see [`serialize_text`]).
struct Key<'a>(&'a str);

impl Serialize for Key<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_text(self.0, true, s)
    }
}

/// How many distinct keys, and short strings, are kept as JS strings, and how short is short.
const KEPT_KEYS: usize = 1024;
const KEPT_WORDS: usize = 1024;
const WORD_BYTES: usize = 24;

thread_local! {
    /// JS strings already made, by their text: keys then words. The wire's keys and words
    /// (`allowed`, `chain`, `feed.read`, `ok`) recur in every answer, and each JS string made
    /// from Rust text is a `TextDecoder.decode` call (measured in wasm/README.md). Bounded, so
    /// no number of distinct strings makes it grow; past the bound strings are made each time.
    static KEPT: std::cell::RefCell<[std::collections::HashMap<String, JsValue>; 2]> = Default::default();
}

/// A string as a JS string, reusing the one made before for a key or a short word.
fn serialize_text<S: Serializer>(text: &str, key: bool, s: S) -> Result<S::Ok, S::Error> {
    let (which, room) = if key { (0, KEPT_KEYS) } else { (1, KEPT_WORDS) };
    if !key && text.len() > WORD_BYTES {
        return s.serialize_str(text);
    }
    let kept = KEPT.with_borrow_mut(|kept| {
        let kept = &mut kept[which];
        if let Some(js) = kept.get(text) {
            return Some(js.clone());
        }
        if kept.len() >= room {
            return None;
        }
        let js = JsValue::from_str(text);
        kept.insert(text.to_string(), js.clone());
        Some(js)
    });
    match kept {
        Some(js) => serde_wasm_bindgen::preserve::serialize(&js, s),
        None => s.serialize_str(text),
    }
}

/// An object with a member named `__proto__` (a member's tags are anyone's JSON): serde-wasm-
/// bindgen assigns members, and assigning `__proto__` sets the object's prototype. JSON.parse
/// makes it an own member like any other, and so does this.
fn object_with_proto_key(members: &serde_json::Map<String, Value>) -> JsValue {
    let object = js_sys::Object::new();
    for (key, value) in members {
        let value = to_js(value).unwrap_or(JsValue::NULL);
        let descriptor = js_sys::Object::new();
        for (field, set) in [
            ("value", value),
            ("writable", true.into()),
            ("enumerable", true.into()),
            ("configurable", true.into()),
        ] {
            let _ = js_sys::Reflect::set(&descriptor, &JsValue::from_str(field), &set);
        }
        // A fresh, extensible object: defining a configurable data property cannot throw.
        js_sys::Object::define_property(&object, &JsValue::from_str(key), &descriptor);
    }
    object.into()
}

/// From this many bytes on, a successful answer is made a JS value by `JSON.parse`.
const LARGE_ANSWER_BYTES: usize = 64 * 1024;

/// The `result` of an answer as a JS value, or the answer's error.
///
/// serde-wasm-bindgen makes every value with calls across the wasm boundary, after serde_json has
/// built the whole tree: 2.3 times JSON.parse's time on a what_if of 755 KB (90.7 ms against
/// 38.7 with the whole door before it; wasm/README.md). A large answer (a what_if granting a new
/// sub-administrator 20,000 feeds, a member list) goes to `JSON.parse` instead, which gives the
/// same value (plain objects, doubles, `__proto__` as an own member); anything unexpected in it
/// falls back to the general way, which reports it.
fn result_to_js(answer: &str) -> Result<JsValue, Failure> {
    if answer.len() >= LARGE_ANSWER_BYTES
        && let Some(result) = parsed_result(answer)
    {
        return Ok(result);
    }
    to_js(&result_of(answer)?)
}

/// The `result` of a successful answer, through `JSON.parse` (caught, as every call here).
fn parsed_result(answer: &str) -> Option<JsValue> {
    let parsed = js_sys::JSON::parse(answer).ok()?;
    let ok = js_sys::Reflect::get(&parsed, &JsValue::from_str("ok")).ok()?;
    if ok.as_bool() != Some(true) {
        return None;
    }
    js_sys::Reflect::get(&parsed, &JsValue::from_str("result")).ok()
}

/// A JSON value as a JS value (see [`Plain`]).
fn to_js(value: &Value) -> Result<JsValue, Failure> {
    Plain(value)
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| Failure::new(ErrorCode::Internal, format!("the answer cannot be made a JS value: {e}")))
}

/// The largest id the wire accepts (emoncms stores ids in MySQL `int(11)`).
const MAX_ID: f64 = i32::MAX as f64;

/// A JS number as an id, when it is an integer from `min` to [`MAX_ID`].
fn id_from_number(n: f64, min: u32) -> Option<emongroups_core::Id> {
    (n.fract() == 0.0 && n >= f64::from(min) && n <= MAX_ID).then_some(n as emongroups_core::Id)
}

fn bad_id(name: &str) -> Failure {
    Failure::new(ErrorCode::BadRequest, format!("`{name}` must be an integer id up to {}", i32::MAX))
}

/// Answers one wire request (JSON text in, JSON text out). Never throws: every problem is an
/// error answer.
#[wasm_bindgen]
pub fn call(request: &JsValue) -> String {
    match text_of("request", request, false) {
        Ok(text) => emongroups_core::call(&text),
        Err(failure) => error_answer(&failure),
    }
}

/// The engine's `version` result: `{engine, version, wire, profiles}`.
#[wasm_bindgen]
pub fn version() -> Result<JsValue, js_sys::Error> {
    let answer = emongroups_core::call(r#"{"v":1,"op":"version"}"#);
    result_to_js(&answer).map_err(|f| thrown(&f))
}

/// One profile's facts, indexed once, answering many requests.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Engine {
    inner: emongroups_core::Engine,
    profile: &'static str,
}

#[wasm_bindgen]
impl Engine {
    /// Builds an engine for `profile` from its state: JSON text, or its UTF-8 bytes as a
    /// `Uint8Array` (or `ArrayBuffer`, what `fetch(…).arrayBuffer()` gives). Throws an `Error`
    /// whose `code` is the wire error code (`unknown_profile`, `bad_json`, `invalid_state`, …).
    #[wasm_bindgen(constructor)]
    pub fn new(
        profile: &str,
        #[wasm_bindgen(js_name = stateJson)] state_json: &JsValue,
    ) -> Result<Engine, js_sys::Error> {
        let state_json = text_of("stateJson", state_json, true).map_err(|f| thrown(&f))?;
        let inner = emongroups_core::Engine::from_state_json(profile, &state_json)
            .map_err(|e| thrown(&Failure::from(e)))?;
        let profile = inner.profile().as_str();
        Ok(Engine { inner, profile })
    }

    /// The profile this engine holds.
    #[wasm_bindgen(getter)]
    pub fn profile(&self) -> String {
        self.profile.to_string()
    }

    /// Answers one wire request against the held facts (JSON text in, JSON text out). Never
    /// throws.
    pub fn handle(&self, request: &JsValue) -> String {
        match text_of("request", request, false) {
            Ok(text) => self.inner.handle(&text),
            Err(failure) => error_answer(&failure),
        }
    }

    /// `check`: may `actor` do `action` to `object` (`{group, user, feed}` as the action needs)?
    /// Returns the Decision.
    pub fn check(&self, actor: JsValue, action: JsValue, object: JsValue) -> Result<JsValue, js_sys::Error> {
        self.send(
            |r| {
                r.field("actor", to_json("actor", &actor)?)
                    .field("action", to_json("action", &action)?)
                    .merge("object", to_json("object", &object)?)
            },
            "check",
        )
    }

    /// `who_can`: `{everyone, users}` for `action` on `object`.
    #[wasm_bindgen(js_name = whoCan)]
    pub fn who_can(&self, action: JsValue, object: JsValue) -> Result<JsValue, js_sys::Error> {
        self.send(
            |r| r.field("action", to_json("action", &action)?).merge("object", to_json("object", &object)?),
            "who_can",
        )
    }

    /// `what_can`: everything `user` can do.
    #[wasm_bindgen(js_name = whatCan)]
    pub fn what_can(&self, user: JsValue) -> Result<JsValue, js_sys::Error> {
        self.send(|r| Ok(r.field("user", to_json("user", &user)?)), "what_can")
    }

    /// `what_if`: who gains or loses what if `changes` were applied (optionally only `users`).
    #[wasm_bindgen(js_name = whatIf)]
    pub fn what_if(&self, changes: JsValue, users: JsValue) -> Result<JsValue, js_sys::Error> {
        self.send(
            |r| {
                Ok(r.field("changes", to_json("changes", &changes)?)
                    .field("users", to_json("users", &users)?))
            },
            "what_if",
        )
    }

    /// `route` (profile `emoncms`): one group-module route with the session and raw parameters;
    /// `host` carries answers to earlier needs, `now` is unix seconds (for `aggregate`).
    pub fn route(
        &self,
        route: JsValue,
        session: JsValue,
        params: JsValue,
        host: JsValue,
        now: JsValue,
    ) -> Result<JsValue, js_sys::Error> {
        self.send(
            |r| {
                Ok(r.field("route", to_json("route", &route)?)
                    .field("session", to_json("session", &session)?)
                    .field("params", to_json("params", &params)?)
                    .field("host", to_json("host", &host)?)
                    .field("now", to_json("now", &now)?))
            },
            "route",
        )
    }

    /// The fast path of `check(actor, "feed.read", {feed})` (profile `emoncms`): only the
    /// verdict, no JSON on the way. `actor` 0 is anonymous. Throws `bad_request` for a value that
    /// is no id (as the wire would) and `unknown_op` on another profile's engine.
    #[wasm_bindgen(js_name = canReadFeed)]
    pub fn can_read_feed(&self, actor: f64, feed: f64) -> Result<bool, js_sys::Error> {
        let Some(engine) = self.inner.emoncms() else {
            return Err(thrown(&Failure::new(
                ErrorCode::UnknownOp,
                format!("`canReadFeed` is for profile `emoncms`, this engine holds `{}`", self.profile),
            )));
        };
        let actor = id_from_number(actor, 0).ok_or_else(|| thrown(&bad_id("actor")))?;
        let feed = id_from_number(feed, 1).ok_or_else(|| thrown(&bad_id("feed")))?;
        Ok(engine.can_read_feed(actor, feed).allowed)
    }

    /// The engine's `version` result.
    pub fn version(&self) -> Result<JsValue, js_sys::Error> {
        self.send(Ok, "version")
    }

    fn send(
        &self,
        build: impl FnOnce(Request) -> Result<Request, Failure>,
        op: &str,
    ) -> Result<JsValue, js_sys::Error> {
        let request = build(Request::new(self.profile, op)).map_err(|f| thrown(&f))?;
        result_to_js(&self.inner.handle(&request.to_json())).map_err(|f| thrown(&f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_integers_in_the_wire_range_are_ids() {
        assert_eq!(id_from_number(0.0, 0), Some(0));
        assert_eq!(id_from_number(0.0, 1), None);
        assert_eq!(id_from_number(7.0, 1), Some(7));
        assert_eq!(id_from_number(2_147_483_647.0, 1), Some(2_147_483_647));
        for bad in [-1.0, 1.5, 2_147_483_648.0, f64::NAN, f64::INFINITY, -0.5, 1e300] {
            assert_eq!(id_from_number(bad, 0), None, "{bad}");
        }
    }
}
