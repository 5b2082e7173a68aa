//! The wire call on any text. It never panics (libFuzzer reports one as a crash), every answer is
//! JSON with `ok`, `call_apart` recombined is `call`, and an emoncms request answers the same
//! whether its state is read in one pass (`profile` before `state`) or as a tree (after).
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fn answer(text: &str) -> Value {
    let answer = emongroups_core::call(text);
    let parsed: Value = match serde_json::from_str(&answer) {
        Ok(v) => v,
        Err(e) => panic!("call answered something that is not JSON ({e}): {answer}"),
    };
    match parsed.get("ok") {
        Some(Value::Bool(true)) => assert!(parsed.get("result").is_some(), "{answer}"),
        Some(Value::Bool(false)) => assert!(parsed["error"]["code"].is_string(), "{answer}"),
        _ => panic!("an answer without ok: {answer}"),
    }
    parsed
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let whole = answer(text);

    let (head, body) = emongroups_core::call_apart(text);
    let mut head: Value = serde_json::from_str(&head).unwrap_or(Value::Null);
    if let Some(body) = body {
        head["result"]["body"] = serde_json::from_str(&body).unwrap_or(Value::Null);
    }
    assert_eq!(head, whole, "call_apart recombined differs from call");

    // The one-pass reading against the ordinary one, on the same request written twice.
    if let Ok(Value::Object(mut request)) = serde_json::from_str::<Value>(text)
        && request.get("state").is_some_and(Value::is_object)
    {
        request.remove("profile");
        let rest = Value::Object(request).to_string();
        let inner = rest.strip_prefix('{').and_then(|r| r.strip_suffix('}')).unwrap_or("");
        let sep = if inner.is_empty() { "" } else { "," };
        let first = format!(r#"{{"profile":"emoncms"{sep}{inner}}}"#);
        let last = format!(r#"{{{inner}{sep}"profile":"emoncms"}}"#);
        assert_eq!(answer(&first), answer(&last), "one-pass and ordinary reading differ on {first}");
    }
});
