//! # emongroups-wasm
//!
//! The emongroups engine as WebAssembly, behind two doors in one module:
//!
//! * **wasm-bindgen** (browsers, Node): a free [`call`] and a class [`Engine`] holding one
//!   profile's facts (built from JSON text or its UTF-8 bytes), with convenience methods that
//!   build the wire request (`core/WIRE.md`) from JS values with `serde_json` and hand back the
//!   `result` as plain JS objects made by `serde-wasm-bindgen`, or throw a `js_sys::Error` whose
//!   `code` is the wire error code.
//! * **a raw ABI** for any other host (the wasmtime runner drives it): `eg_alloc`, `eg_free`,
//!   `eg_call`; see the `abi` module.
//!
//! ```
//! // The same pure layer the JS methods use, runnable natively.
//! let answer = emongroups_wasm::call_bytes(br#"{"v":1,"op":"version"}"#);
//! assert!(answer.starts_with(r#"{"ok":true"#));
//! let answer = emongroups_wasm::call_bytes(b"\xff");
//! assert!(answer.contains(r#""code":"bad_json""#));
//! ```
//!
//! ## Panics
//!
//! `wasm32-unknown-unknown` has no unwinding: a Rust panic aborts, which JS sees as a
//! `RuntimeError: unreachable` and which leaves the instance unusable. The core never panics by
//! design (natively `call` also catches its own panics and answers `internal`), and this crate
//! keeps its own paths panic-free: no `unwrap`, no indexing, every fallible step becomes an error
//! answer or a thrown `Error`. A JS exception must not unwind through Rust frames either (those
//! frames never restore wasm's stack pointer: a few thousand such exceptions and the module was
//! dead, wasm/README.md), so
//! every JS call that can throw on the caller's values is a caught one (`JSON.stringify`,
//! `Reflect`). The hostile-input tests (`host-tests/node/`) check the module keeps answering
//! after each bad input.

mod abi;
mod bindings;
mod requests;

pub use bindings::{Engine, call, version};
pub use requests::{Failure, call_bytes};
