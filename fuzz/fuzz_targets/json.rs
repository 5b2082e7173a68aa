//! The engine's own JSON (core/src/json.rs) against serde_json on any text: both accept or both
//! refuse it, what we read is what serde_json reads, and what we write reads back the same.
#![no_main]

use emongroups_core::json;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// Numbers as f64 (the two read floats alike, integers too within range): equal JSON.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match (json::from_str(text), serde_json::from_str::<Value>(text)) {
        (Ok(ours), Ok(theirs)) => {
            let written = json::to_string(&ours);
            let back: Value = match serde_json::from_str(&written) {
                Ok(v) => v,
                Err(e) => panic!("we wrote text that is not JSON ({e}): {written}"),
            };
            assert!(same(&back, &theirs), "{text:?}: we read {back}, serde_json {theirs}");
            let again = json::from_str(&written).map(|v| json::to_string(&v));
            assert_eq!(again.as_deref(), Ok(written.as_str()), "writing is not stable for {text:?}");
        }
        (Err(_), Err(_)) => {}
        // serde_json has a recursion limit of 128 and refuses numbers out of the f64 range; ours
        // refuses nesting over MAX_DEPTH and out-of-range numbers too: any other disagreement is a bug.
        (ours, theirs) => panic!("disagree on {text:?}: ours {ours:?}, serde_json {theirs:?}"),
    }
});
