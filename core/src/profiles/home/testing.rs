//! Helpers of the profile's tests: requests through the wire, answers taken apart.

use crate::value::{Value, json};

pub(super) fn call(req: Value) -> Value {
    serde_json::from_str::<Value>(&crate::call(&req.to_string())).unwrap()
}

/// The error an answer holds, as (code, message).
pub(super) fn error_of(a: &Value) -> (String, String) {
    let text = |v: &Value| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
    (text(&a["error"]["code"]), text(&a["error"]["message"]))
}

pub(super) fn bad_request(message: &str) -> (String, String) {
    ("bad_request".to_string(), message.to_string())
}

pub(super) fn invalid_state(message: &str) -> (String, String) {
    ("invalid_state".to_string(), message.to_string())
}

pub(super) fn one_home() -> Value {
    json!({"homes": [{"id": "h",
        "users": [{"user_id": 1, "email": "a@b.co", "user_name": "A", "role": "administrator"}],
        "devices": [{"id": "tv", "class": "utility"}]}]})
}

/// Answers `op` with `fields` on `state`.
pub(super) fn ask(op: &str, fields: Value, state: Value) -> Value {
    let mut req = fields;
    let m = req.as_object_mut().unwrap();
    m.insert("v".into(), json!(1));
    m.insert("op".into(), Value::from(op));
    m.insert("profile".into(), json!("home"));
    m.insert("state".into(), state);
    call(req)
}
