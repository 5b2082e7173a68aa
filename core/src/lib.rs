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

mod decide;
mod error;
#[doc(hidden)]
pub mod fixtures;
mod model;
mod ops;
pub mod policy;
mod profiles;
mod query;
mod snapshot;
mod wire;

pub use decide::{Action, Decision, Fact, Reason, Status};
pub use error::{ErrorCode, WireError};
pub use model::{Change, FeedRow, GroupRow, Id, MembershipRow, Role, State, UserRow};
pub use ops::{MIN_OBSERVER_AGGREGATE, Outcome, filter_name, parse_id};
pub use profiles::Profile;
pub use profiles::emoncms::EmoncmsEngine;
pub use query::{AccessDiff, Capability, WhoCan};
pub use snapshot::Snapshot;
pub use wire::{Engine, MAX_REQUEST_BYTES, WIRE_VERSION, call};
