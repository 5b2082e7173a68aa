//! The wasm-bindgen door: what browsers and Node see. Each method is one wire request; JS values
//! cross as JSON text (`JSON.stringify` in, `JSON.parse` out), which keeps the glue small.

use emongroups_core::ErrorCode;
use wasm_bindgen::prelude::*;

use crate::requests::{Failure, Request, argument, error_answer, result_of};

#[wasm_bindgen]
extern "C" {
    /// JS `Error`, so a failure reaches JS as a real `Error` carrying the wire `code`.
    #[wasm_bindgen(js_name = Error)]
    type JsError;
    #[wasm_bindgen(constructor, js_class = "Error")]
    fn new(message: &str) -> JsError;
    #[wasm_bindgen(method, setter = code, js_class = "Error")]
    fn set_code(this: &JsError, code: &str);

    #[wasm_bindgen(js_namespace = JSON, js_name = stringify, catch)]
    fn json_stringify(value: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    fn json_parse(text: &str) -> Result<JsValue, JsValue>;

    /// JS `String(value)`: how an exception thrown by `JSON.stringify` reads (`catch`, since
    /// even that can throw, and a JS exception must never unwind through Rust frames).
    #[wasm_bindgen(js_name = String, catch)]
    fn js_string(value: &JsValue) -> Result<String, JsValue>;

    /// A JS string, for the two reads [`utf8_of`] makes of it.
    type JsText;
    #[wasm_bindgen(method, getter)]
    fn length(this: &JsText) -> u32;
    #[wasm_bindgen(method)]
    fn slice(this: &JsText, from: u32) -> JsText;

    /// JS `TextEncoder`, whose `encodeInto` writes a string's UTF-8 straight into wasm memory.
    #[wasm_bindgen(js_name = TextEncoder)]
    type Utf8Encoder;
    #[wasm_bindgen(constructor, js_class = "TextEncoder")]
    fn new() -> Utf8Encoder;
    #[wasm_bindgen(method, js_class = "TextEncoder", js_name = encodeInto)]
    fn encode_into(this: &Utf8Encoder, text: &JsText, into: &mut [u8]) -> Encoded;

    /// What `encodeInto` did: UTF-16 units `read`, bytes `written`.
    type Encoded;
    #[wasm_bindgen(method, getter)]
    fn read(this: &Encoded) -> u32;
    #[wasm_bindgen(method, getter)]
    fn written(this: &Encoded) -> u32;
}

/// A JS string argument as Rust text, for the arguments that can be megabytes (a state, a
/// request carrying one). wasm-bindgen's own `&str` glue copies ASCII one character at a time in
/// a JS loop: 3.6 ms for a 2 MB state in Node, against 0.1 ms for one `encodeInto`.
fn utf8_of(name: &str, value: &JsValue) -> Result<String, Failure> {
    if !value.is_string() {
        return Err(Failure::new(ErrorCode::BadRequest, format!("`{name}` must be a string")));
    }
    let text: &JsText = value.unchecked_ref();
    let encoder = Utf8Encoder::new();
    // One byte per UTF-16 unit holds an ASCII text whole; what does not fit (at most 3 bytes per
    // unit) is encoded from where the first pass stopped.
    let units = text.length();
    let mut bytes = vec![0; units as usize];
    let first = encoder.encode_into(text, &mut bytes);
    let (read, mut len) = (first.read(), first.written() as usize);
    if read < units {
        bytes.truncate(len);
        bytes.resize(len + 3 * (units - read) as usize, 0);
        len += encoder.encode_into(&text.slice(read), &mut bytes[len..]).written() as usize;
    }
    bytes.truncate(len);
    // `encodeInto` writes UTF-8 (a lone surrogate becomes U+FFFD, as in wasm-bindgen's glue), so
    // this check never fails; it is what keeps the conversion safe.
    String::from_utf8(bytes).map_err(|_| Failure::new(ErrorCode::BadRequest, format!("`{name}` is not text")))
}

fn thrown(failure: &Failure) -> JsValue {
    let error = JsError::new(&failure.message);
    error.set_code(&failure.code);
    error.into()
}

/// Writes a JS argument as JSON text; `undefined` becomes `None` (the field is left out).
fn to_json(name: &str, value: &JsValue) -> Result<Option<emongroups_core::json::Value>, Failure> {
    if value.is_undefined() {
        return Ok(None);
    }
    let text = json_stringify(value).map_err(|e| {
        Failure::new(
            ErrorCode::BadRequest,
            format!("`{name}` cannot be written as JSON: {}", js_string(&e).unwrap_or_default()),
        )
    })?;
    argument(name, text.as_string().as_deref())
}

/// The largest id the wire accepts (emoncms stores ids in MySQL `int(11)`).
const MAX_ID: f64 = i32::MAX as f64;

/// A JS number as an id, when it is an integer from `min` to [`MAX_ID`].
fn id_from_number(n: f64, min: u32) -> Option<emongroups_core::Id> {
    (n.fract() == 0.0 && n >= f64::from(min) && n <= MAX_ID).then_some(n as emongroups_core::Id)
}

fn bad_id(name: &str) -> Failure {
    // The integer, not the f64 `MAX_ID`: formatting a float would pull the standard float
    // formatter (~20 KB) into the module. Same text.
    Failure::new(ErrorCode::BadRequest, format!("`{name}` must be an integer id up to {}", i32::MAX))
}

fn parsed(result_json: &str) -> Result<JsValue, JsValue> {
    json_parse(result_json)
}

/// Answers one wire request (JSON text in, JSON text out). Never throws: every problem is an
/// error answer.
#[wasm_bindgen]
pub fn call(request: &JsValue) -> String {
    match utf8_of("request", request) {
        Ok(text) => emongroups_core::call(&text),
        Err(failure) => error_answer(&failure),
    }
}

/// The engine's `version` result: `{engine, version, wire, profiles}`.
#[wasm_bindgen]
pub fn version() -> Result<JsValue, JsValue> {
    let answer = emongroups_core::call(r#"{"v":1,"op":"version"}"#);
    parsed(&result_of(&answer).map_err(|f| thrown(&f))?)
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
    /// Builds an engine for `profile` from its state as JSON text. Throws an `Error` whose `code`
    /// is the wire error code (`unknown_profile`, `bad_json`, `invalid_state`, …).
    #[wasm_bindgen(constructor)]
    pub fn new(
        profile: &str,
        #[wasm_bindgen(js_name = stateJson)] state_json: &JsValue,
    ) -> Result<Engine, JsValue> {
        let state_json = utf8_of("stateJson", state_json).map_err(|f| thrown(&f))?;
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
        match utf8_of("request", request) {
            Ok(text) => self.inner.handle(&text),
            Err(failure) => error_answer(&failure),
        }
    }

    /// `check`: may `actor` do `action` to `object` (`{group, user, feed}` as the action needs)?
    /// Returns the Decision.
    pub fn check(&self, actor: JsValue, action: JsValue, object: JsValue) -> Result<JsValue, JsValue> {
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
    pub fn who_can(&self, action: JsValue, object: JsValue) -> Result<JsValue, JsValue> {
        self.send(
            |r| r.field("action", to_json("action", &action)?).merge("object", to_json("object", &object)?),
            "who_can",
        )
    }

    /// `what_can`: everything `user` can do.
    #[wasm_bindgen(js_name = whatCan)]
    pub fn what_can(&self, user: JsValue) -> Result<JsValue, JsValue> {
        self.send(|r| Ok(r.field("user", to_json("user", &user)?)), "what_can")
    }

    /// `what_if`: who gains or loses what if `changes` were applied (optionally only `users`).
    #[wasm_bindgen(js_name = whatIf)]
    pub fn what_if(&self, changes: JsValue, users: JsValue) -> Result<JsValue, JsValue> {
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
    ) -> Result<JsValue, JsValue> {
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
    pub fn can_read_feed(&self, actor: f64, feed: f64) -> Result<bool, JsValue> {
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
    pub fn version(&self) -> Result<JsValue, JsValue> {
        self.send(Ok, "version")
    }

    fn send(
        &self,
        build: impl FnOnce(Request) -> Result<Request, Failure>,
        op: &str,
    ) -> Result<JsValue, JsValue> {
        let request = build(Request::new(self.profile, op)).map_err(|f| thrown(&f))?;
        let result = result_of(&self.inner.handle(&request.to_json())).map_err(|f| thrown(&f))?;
        parsed(&result)
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
