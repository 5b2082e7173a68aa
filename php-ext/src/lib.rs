//! # emongroups-php
//!
//! The PHP extension `emongroups`: the emongroups permission engine inside emoncms's PHP.
//!
//! ```php
//! $answer = EmonGroups\call('{"v":1,"op":"version"}');      // the wire, JSON in, JSON out
//! $engine = EmonGroups\Engine::fromRows($groups, $memberships, $users, $feeds);
//! $decision = $engine->check(5, 'group.edit', ['group' => 3]); // ['allowed' => false, …]
//! ```
//!
//! Everything is a thin layer over `emongroups_core`: PHP values become wire requests
//! (`core/WIRE.md`), answers become PHP arrays, errors become exceptions under
//! `EmonGroups\Exception`. No Rust panic reaches PHP: every exported body runs under
//! `catch_unwind` ([`guarded`]) and a panic becomes `EmonGroups\Exception\EngineFailure`
//! (or, for the plain wire calls, an `internal` error answer).
#![deny(unsafe_op_in_unsafe_fn)]

mod convert;
mod engine;
mod errors;

use std::panic::{AssertUnwindSafe, catch_unwind};

use ext_php_rs::binary_slice::BinarySlice;
use ext_php_rs::prelude::*;
use ext_php_rs::zend::ModuleEntry;
use ext_php_rs::{info_table_end, info_table_row, info_table_start};
use serde_json::{Value, json};

pub use engine::PhpEngine;

/// `EmonGroups\call(string $json): string` — the wire call. Never throws for a wire error: every
/// problem, including a request that is not UTF-8, is an error answer.
#[php_function]
#[php(name = "EmonGroups\\call")]
pub fn call(json: BinarySlice<u8>) -> String {
    let json: &[u8] = json.into();
    wire_guarded(|| match std::str::from_utf8(json) {
        Ok(json) => emongroups_core::call(json),
        Err(_) => not_utf8_answer(),
    })
}

/// `EmonGroups\callApart(string $json): array` — the wire call with a route's JSON body written
/// apart (`emongroups_core::call_apart`): `[answer, body]`, where the answer's `result.body` is
/// null and `body` is the body's JSON text, or `[answer, null]` for every other answer. The
/// module prints such a body as it is, instead of decoding megabytes only to encode them again.
#[php_function]
#[php(name = "EmonGroups\\callApart")]
pub fn call_apart(json: BinarySlice<u8>) -> Vec<Option<String>> {
    let json: &[u8] = json.into();
    catch_unwind(AssertUnwindSafe(|| match std::str::from_utf8(json) {
        Ok(json) => {
            let (answer, body) = emongroups_core::call_apart(json);
            vec![Some(answer), body]
        }
        Err(_) => vec![Some(not_utf8_answer()), None],
    }))
    .unwrap_or_else(|_| vec![Some(internal_answer()), None])
}

/// Runs the body of a wire function (`call`, `handle`); a panic becomes the `internal` error
/// answer, as the wire promises an answer for everything.
pub(crate) fn wire_guarded(body: impl FnOnce() -> String) -> String {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|_| internal_answer())
}

/// Runs an exported body; a panic becomes `EmonGroups\Exception\EngineFailure`.
pub(crate) fn guarded<T>(body: impl FnOnce() -> PhpResult<T>) -> PhpResult<T> {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|_| {
        Err(errors::exception("internal", "the emongroups extension failed on this call"))
    })
}

/// Reads a PHP string argument that must be UTF-8 text.
pub(crate) fn utf8<'a>(bytes: &'a [u8], name: &str) -> PhpResult<&'a str> {
    std::str::from_utf8(bytes)
        .map_err(|_| errors::exception("bad_json", &format!("`{name}` is not valid UTF-8")))
}

/// Cuts user input quoted in a message, so a 10 MB key does not make a 10 MB message.
pub(crate) fn truncate(s: &str, max_chars: usize) -> String {
    match s.char_indices().nth(max_chars) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

fn error_answer(code: &str, message: &str) -> String {
    json!({"ok": false, "error": {"code": code, "message": message}}).to_string()
}

pub(crate) fn not_utf8_answer() -> String {
    error_answer("bad_json", "request is not valid UTF-8")
}

pub(crate) fn internal_answer() -> String {
    error_answer("internal", "the emongroups extension failed on this call")
}

/// The `version` op's result.
fn version_info() -> Value {
    let answer: Value =
        serde_json::from_str(&emongroups_core::call(r#"{"v":1,"op":"version"}"#)).unwrap_or_default();
    answer.get("result").cloned().unwrap_or_default()
}

/// `phpinfo()` and `php --ri emongroups`.
extern "C" fn module_info(_module: *mut ModuleEntry) {
    let info = catch_unwind(|| {
        let version = version_info();
        let profiles = version
            .get("profiles")
            .and_then(Value::as_array)
            .map(|p| p.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", "))
            .unwrap_or_default();
        let engine = version.get("version").and_then(Value::as_str).unwrap_or(env!("CARGO_PKG_VERSION"));
        [
            ("emongroups support", "enabled".to_string()),
            ("extension version", env!("CARGO_PKG_VERSION").to_string()),
            ("engine version", engine.to_string()),
            ("wire version", emongroups_core::WIRE_VERSION.to_string()),
            ("profiles", profiles),
        ]
        // ext-php-rs's row macro makes C strings with `unwrap`: a NUL would panic there.
        .map(|(name, value)| (name, value.replace('\0', "")))
    });
    let Ok(info) = info else { return };
    // ext-php-rs's macros around `php_info_print_table_*`: called by the engine while it prints
    // module information, the only time they may run.
    info_table_start!();
    for (name, value) in info {
        info_table_row!(name, value);
    }
    info_table_end!();
}

/// Module startup (MINIT): registers the exception classes, before ext-php-rs registers
/// `EmonGroups\Engine`. A failure (or panic) refuses to start the module instead of leaving PHP
/// without the classes our methods throw.
extern "C" fn startup(_type: i32, _module_number: i32) -> i32 {
    match catch_unwind(errors::register) {
        Ok(Ok(())) => 0,
        _ => -1,
    }
}

#[php_module]
#[php(startup = startup)]
pub fn get_module(module: ModuleBuilder) -> ModuleBuilder {
    let module = module
        .name("emongroups")
        .version(env!("CARGO_PKG_VERSION"))
        .info_function(module_info)
        .function(wrap_function!(call))
        .function(wrap_function!(call_apart))
        .class::<PhpEngine>();
    #[cfg(feature = "panic-probe")]
    let module = module.function(wrap_function!(panic_probe));
    module
}

/// `EmonGroups\panicProbe(bool $wire): string`, built only with the test feature `panic-probe`:
/// panics inside the same guards the exported functions use, so `host-tests/php/panic.php` can
/// show that a panic becomes an `internal` answer (`$wire`) or an `EngineFailure`, and that the
/// process goes on.
#[cfg(feature = "panic-probe")]
#[php_function]
#[php(name = "EmonGroups\\panicProbe")]
pub fn panic_probe(wire: bool) -> PhpResult<String> {
    if wire {
        Ok(wire_guarded(|| panic!("panic probe (wire)")))
    } else {
        guarded(|| -> PhpResult<String> { panic!("panic probe (engine)") })
    }
}
