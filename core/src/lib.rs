#![forbid(unsafe_code)]
// A panic in the engine would take down the host's request (or, in the .wasm, built with
// panic = "abort", the whole instance): outside tests, nothing may unwrap, expect, panic or index.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]
#![doc = include_str!("../README.md")]

// The layers, each using only those above it: the leaves (errors, JSON values, small helpers),
// the policy mechanism, the profiles on it, and the call/answer layer every door drives.
mod de;
mod error;
mod util;
mod value;

pub mod policy;
mod read;

mod profiles;

mod wire;

#[doc(hidden)]
#[cfg(feature = "fixtures")]
pub mod fixtures;

#[doc(hidden)]
#[cfg(feature = "ts")]
pub mod ts;

pub use error::{ErrorCode, WireError};
pub use profiles::emoncms::decide::{Action, Decision, Fact, Reason, Status};
pub use profiles::emoncms::engine::EmoncmsEngine;
pub use profiles::emoncms::model::{Change, FeedRow, GroupRow, Id, MembershipRow, Role, State, UserRow};
pub use profiles::emoncms::query::{AccessDiff, Capability, WhoCan};
pub use profiles::emoncms::routes::{
    Body, MAX_HOUSEHOLD_SHARE_PERCENT, MIN_OBSERVER_AGGREGATE, Outcome, filter_name, parse_id,
};
pub use profiles::emoncms::snapshot::Snapshot;
pub use profiles::{Profile, WIRE_VERSION};
pub use value::MAX_DEPTH;
pub use wire::{Engine, MAX_REQUEST_BYTES, call, call_apart};
