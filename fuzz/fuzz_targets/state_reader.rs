//! The state reader on any text: reading the text (`State::from_json_text`) and reading the tree
//! serde_json makes of it (`State::from_json`) agree on every input — the same state, or the same
//! error code and message — and neither panics; and the direct reading inside `from_json_text`
//! never takes a text that the reading row by row refuses, nor reads it otherwise.
#![no_main]

use emongroups_core::State;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let streamed = State::from_json_text(text);
    let by_rows = State::from_json_text_by_rows(text);
    match (&streamed, &by_rows) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{text}"),
        (Err(a), Err(b)) => assert_eq!((a.code(), a.message()), (b.code(), b.message()), "{text}"),
        (a, b) => panic!("the direct reading and the reading by rows disagree on {text:?}: {a:?}, {b:?}"),
    }
    let Ok(tree) = serde_json::from_str::<serde_json::Value>(text) else {
        assert!(streamed.is_err(), "the reader took text that is not JSON: {text:?}");
        return;
    };
    match (streamed, State::from_json(tree)) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{text}"),
        (Err(a), Err(b)) => assert_eq!((a.code(), a.message()), (b.code(), b.message()), "{text}"),
        (a, b) => panic!("the readers disagree on {text:?}: one pass {a:?}, tree {b:?}"),
    }
});
