//! Helpers of the profile's tests: requests through the wire, answers taken apart.

use crate::value::{Value, json};

pub(super) fn call(req: Value) -> Value {
    serde_json::from_str::<Value>(&crate::call(&req.to_string())).unwrap()
}

pub(super) fn state() -> Value {
    json!({
        "partners": [{"id": "P"}],
        "customers": [{"id": "C", "partner": "P"}],
        "buildings": [{"id": "B", "customer": "C"}, {"id": "B2", "customer": "C"}],
        "users": [{"id": "u", "type": "customer", "customer": "C"}],
        "user_groups": [{
            "id": "g", "created": "t", "modified": "t", "name": "n", "type": "customer", "customer": "C",
            "users": ["u"], "permission_sets": {"control_fixtures": ["gone"], "view_buildings": ["B"]}
        }]
    })
}

/// The code and message of an error answer.
pub(super) fn error_of(a: &Value) -> (&str, &str) {
    (a["error"]["code"].as_str().unwrap_or_default(), a["error"]["message"].as_str().unwrap_or_default())
}
