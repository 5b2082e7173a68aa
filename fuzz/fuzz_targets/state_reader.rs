//! The state reader on any text: the one-pass reader (`State::from_json_text`) and the tree
//! reader (`State::from_json`) agree on every input — the same state, or the same error code and
//! message — and neither panics.
#![no_main]

use emongroups_core::State;
use emongroups_core::json;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let streamed = State::from_json_text(text);
    let Ok(tree) = json::from_str(text) else {
        assert!(streamed.is_err(), "the one-pass reader took text that is not JSON: {text:?}");
        return;
    };
    match (streamed, State::from_json(tree)) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{text}"),
        (Err(a), Err(b)) => assert_eq!((a.code(), a.message()), (b.code(), b.message()), "{text}"),
        (a, b) => panic!("the readers disagree on {text:?}: one pass {a:?}, tree {b:?}"),
    }
});
