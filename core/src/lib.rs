//! # emongroups-core
//!
//! The permission and group engine behind emoncms's group module, as pure functions: given facts
//! (groups, memberships, users, feeds) it returns decisions and change sets; the host does the I/O.
//!
//! Every door drives one entry point, [`call`], with a JSON request (see `WIRE.md`):
//!
//! ```
//! let answer = emongroups_core::call(r#"{"v":1,"op":"version"}"#);
//! let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
//! assert_eq!(answer["result"]["wire"], 1);
//! ```
#![forbid(unsafe_code)]

mod error;
pub mod policy;
mod profiles;
mod wire;

pub use error::{ErrorCode, WireError};
pub use profiles::Profile;
pub use wire::{Engine, MAX_REQUEST_BYTES, WIRE_VERSION, call};
