//! The pure part of the JS methods: building wire requests from JSON values and taking answers
//! apart, with `serde_json`. No JS here, so it is tested natively.

use emongroups_core::{ErrorCode, WireError};
use serde_json::{Map, Value, json};

/// A wire error answer, or a problem with the arguments found before the request was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The stable wire error code (`bad_request`, `invalid_state`, …).
    pub code: String,
    /// The message for people.
    pub message: String,
}

impl Failure {
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Failure {
        Failure { code: code.as_str().to_string(), message: message.into() }
    }
}

impl From<WireError> for Failure {
    fn from(err: WireError) -> Failure {
        Failure::new(err.code(), err.message())
    }
}

/// [`emongroups_core::call`] on raw bytes: text that is not UTF-8 gets the `bad_json` answer the
/// wire promises instead of reaching the core.
pub fn call_bytes(request: &[u8]) -> String {
    match std::str::from_utf8(request) {
        Ok(text) => emongroups_core::call(text),
        Err(e) => error_answer(&Failure::new(ErrorCode::BadJson, format!("request is not valid UTF-8: {e}"))),
    }
}

/// JSON text handed over as bytes (a state read with `fetch(…).arrayBuffer()`), as text: bytes
/// that are not UTF-8 are `bad_json`, as the wire answers them.
pub(crate) fn text_of_bytes(name: &str, bytes: Vec<u8>) -> Result<String, Failure> {
    String::from_utf8(bytes).map_err(|e| {
        Failure::new(ErrorCode::BadJson, format!("`{name}` is not valid UTF-8: {}", e.utf8_error()))
    })
}

/// The wire's error answer for `failure`, written as the core writes its own.
pub(crate) fn error_answer(failure: &Failure) -> String {
    json!({"ok": false, "error": {"code": failure.code, "message": failure.message}}).to_string()
}

/// A request being built: the envelope first, then the op's fields.
#[derive(Debug)]
pub(crate) struct Request {
    fields: Map<String, Value>,
}

impl Request {
    pub(crate) fn new(profile: &str, op: &str) -> Request {
        let mut fields = Map::new();
        fields.insert("v".into(), json!(emongroups_core::WIRE_VERSION));
        fields.insert("op".into(), json!(op));
        fields.insert("profile".into(), json!(profile));
        Request { fields }
    }

    /// Adds a field; `None` (JS `undefined`) leaves it out.
    pub(crate) fn field(mut self, name: &str, value: Option<Value>) -> Request {
        if let Some(value) = value {
            self.fields.insert(name.to_string(), value);
        }
        self
    }

    /// Adds every field of an object argument (a check's object: `{"group":1,"user":5}`).
    /// `None` or `null` adds nothing; a field the request already has is refused, so an object
    /// cannot change the op or the actor.
    pub(crate) fn merge(mut self, argument: &str, object: Option<Value>) -> Result<Request, Failure> {
        match object {
            None | Some(Value::Null) => Ok(self),
            Some(Value::Object(object)) => {
                for (key, value) in object {
                    if self.fields.contains_key(&key) {
                        return Err(Failure::new(
                            ErrorCode::BadRequest,
                            format!("`{argument}` may not set `{key}`"),
                        ));
                    }
                    self.fields.insert(key, value);
                }
                Ok(self)
            }
            Some(_) => Err(Failure::new(ErrorCode::BadRequest, format!("`{argument}` must be an object"))),
        }
    }

    pub(crate) fn to_json(&self) -> String {
        // Writing a map of `Value`s cannot fail (every key is a string).
        serde_json::to_string(&self.fields).unwrap_or_default()
    }
}

/// Parses an argument that JS wrote with `JSON.stringify` (`None` when it wrote nothing, i.e.
/// `undefined` or a function).
pub(crate) fn argument(name: &str, json_text: Option<&str>) -> Result<Option<Value>, Failure> {
    match json_text {
        None => Ok(None),
        Some(text) => serde_json::from_str(text).map(Some).map_err(|e| {
            // serde_json stops at 128 levels, the wire's own limit.
            let code = if e.to_string().starts_with("recursion limit exceeded") {
                ErrorCode::TooDeep
            } else {
                ErrorCode::BadRequest
            };
            Failure::new(code, format!("`{name}` cannot be sent: {e}"))
        }),
    }
}

/// The `result` of an answer, or the answer's error.
pub(crate) fn result_of(answer: &str) -> Result<Value, Failure> {
    // The core's answers nest at most a few levels deeper than what it read, which it read with
    // the wire's limit of 128 levels: parse them whole (a redacted state can carry a member's
    // `tags` nested 126 deep, and its answer wraps that in four more).
    let mut reader = serde_json::Deserializer::from_str(answer);
    reader.disable_recursion_limit();
    let mut answer: Value = serde::Deserialize::deserialize(&mut reader)
        .and_then(|answer| reader.end().map(|()| answer))
        .map_err(|e| Failure::new(ErrorCode::Internal, format!("the engine's answer is not JSON: {e}")))?;
    if answer.get("ok") == Some(&Value::Bool(true)) {
        return Ok(answer.get_mut("result").map(Value::take).unwrap_or(Value::Null));
    }
    let error = answer.get("error");
    let text = |key: &str| error.and_then(|e| e.get(key)).and_then(Value::as_str).unwrap_or("").to_string();
    Err(Failure { code: text("code"), message: text("message") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_is_a_bad_json_answer() {
        let answer: Value = serde_json::from_str(&call_bytes(b"{\"v\":1,\"op\":\"\xc3\x28\"}")).unwrap();
        assert_eq!(answer["ok"], json!(false));
        assert_eq!(answer["error"]["code"], json!("bad_json"));
        assert!(answer["error"]["message"].as_str().unwrap().contains("utf-8"));
    }

    #[test]
    fn our_error_answers_are_written_as_the_core_writes_its_own() {
        let core = emongroups_core::call(r#"{"v":1,"op":"nope","profile":"home"}"#);
        let ours = error_answer(&Failure::new(ErrorCode::MissingState, "op `nope` needs `state`"));
        assert_eq!(ours, core);
    }

    #[test]
    fn state_bytes_are_text_when_utf8_and_bad_json_otherwise() {
        assert_eq!(text_of_bytes("stateJson", b"{}".to_vec()), Ok("{}".to_string()));
        let err = text_of_bytes("stateJson", b"{\"a\":\"\xc3\x28\"}".to_vec()).unwrap_err();
        assert_eq!(err.code, "bad_json");
        assert!(err.message.starts_with("`stateJson` is not valid UTF-8"), "{}", err.message);
    }

    #[test]
    fn a_check_request_carries_envelope_and_object_fields() {
        let request = Request::new("emoncms", "check")
            .field("actor", Some(json!(5)))
            .field("action", Some(json!("feed.read")))
            .merge("object", Some(json!({"feed": 10})))
            .unwrap();
        assert_eq!(
            request.to_json(),
            r#"{"v":1,"op":"check","profile":"emoncms","actor":5,"action":"feed.read","feed":10}"#
        );
    }

    #[test]
    fn an_object_cannot_override_the_envelope_and_must_be_an_object() {
        let base = || Request::new("emoncms", "check").field("actor", Some(json!(5)));
        let err = base().merge("object", Some(json!({"op": "apply"}))).unwrap_err();
        assert_eq!((err.code.as_str(), err.message.as_str()), ("bad_request", "`object` may not set `op`"));
        assert!(base().merge("object", Some(json!({"actor": 1}))).is_err());
        assert_eq!(base().merge("object", Some(json!([1]))).unwrap_err().code, "bad_request");
        assert!(base().merge("object", Some(Value::Null)).is_ok());
        assert!(base().merge("object", None).is_ok());
    }

    #[test]
    fn undefined_fields_are_left_out() {
        let sent = Request::new("home", "what_if").field("users", None).to_json();
        assert!(!sent.contains("users"), "{sent}");
    }

    #[test]
    fn arguments_that_are_not_json_are_bad_requests_naming_the_argument() {
        assert_eq!(argument("x", None), Ok(None));
        assert_eq!(argument("x", Some("[1]")), Ok(Some(json!([1]))));
        let err = argument("action", Some(r#""\ud800""#)).unwrap_err();
        assert_eq!(err.code, "bad_request");
        assert!(err.message.starts_with("`action` cannot be sent"));
        let deep = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
        assert_eq!(argument("object", Some(&deep)).unwrap_err().code, "too_deep");
        let within = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(argument("object", Some(&within)).is_ok());
    }

    #[test]
    fn answers_become_results_or_failures() {
        assert_eq!(result_of(r#"{"ok":true,"result":{"allowed":true}}"#), Ok(json!({"allowed": true})));
        let err = result_of(r#"{"ok":false,"error":{"code":"unknown_op","message":"no"}}"#).unwrap_err();
        assert_eq!(err, Failure { code: "unknown_op".into(), message: "no".into() });
        assert_eq!(result_of("nope").unwrap_err().code, "internal");
        assert_eq!(result_of(r#"{"ok":true,"result":1} x"#).unwrap_err().code, "internal");
        let answer = emongroups_core::call(r#"{"v":1,"op":"catalog"}"#);
        let result = result_of(&answer).unwrap();
        assert!(result["permissions"].as_array().is_some_and(|p| !p.is_empty()));
    }

    #[test]
    fn an_answer_deeper_than_the_wire_limit_is_still_read() {
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let value = result_of(&format!(r#"{{"ok":true,"result":{deep}}}"#)).unwrap();
        assert_eq!(serde_json::to_string(&value).unwrap(), deep);
    }

    #[test]
    fn numbers_keep_the_value_the_core_wrote() {
        // `float_roundtrip`: the closest double, as JSON.parse reads it.
        let result = result_of(
            r#"{"ok":true,"result":[0.1,2.2250738585072014e-308,1.7976931348623157e308,9007199254740993]}"#,
        )
        .unwrap();
        assert_eq!(result[0].as_f64(), Some(0.1));
        assert_eq!(result[1].as_f64(), Some(2.2250738585072014e-308));
        assert_eq!(result[2].as_f64(), Some(f64::MAX));
        assert_eq!(result[3].as_u64(), Some(9_007_199_254_740_993));
    }

    #[test]
    fn a_real_engine_answers_through_these_requests() {
        let request = Request::new("emoncms", "version").to_json();
        let version = result_of(&emongroups_core::call(&request)).unwrap();
        assert_eq!(version["wire"], json!(1));
    }
}
