#![forbid(unsafe_code)]
#![doc = include_str!("../README.md")]

mod decide;
mod error;
#[doc(hidden)]
#[cfg(feature = "fixtures")]
pub mod fixtures;
mod model;
mod ops;
pub mod policy;
mod profiles;
mod query;
mod read;
mod snapshot;
mod util;
mod value;
mod wire;

pub use decide::{Action, Decision, Fact, Reason, Status};
pub use error::{ErrorCode, WireError};
pub use model::{Change, FeedRow, GroupRow, Id, MembershipRow, Role, State, UserRow};
pub use ops::{MIN_OBSERVER_AGGREGATE, Outcome, filter_name, parse_id};
pub use profiles::Profile;
pub use profiles::emoncms::EmoncmsEngine;
pub use query::{AccessDiff, Capability, WhoCan};
pub use snapshot::Snapshot;
pub use value::MAX_DEPTH;
pub use wire::{Engine, MAX_REQUEST_BYTES, WIRE_VERSION, call, call_apart};
