//! Vocabularies on the one policy mechanism: `emoncms` (the group module), `home` (seed 001) and
//! `buildings` (seed 002). A profile is data plus a few rules, not a fork of the engine.

use crate::value::{Map, Reply, ToJson, Value};

use crate::error::{ErrorCode, WireError};
use crate::util::truncate;

pub mod buildings;
pub mod emoncms;
pub mod home;

/// The wire format version this engine speaks.
pub const WIRE_VERSION: u64 = 1;

/// The fields of a request after the envelope was taken off.
pub(crate) type Fields = Map<String, Value>;

/// The profiles the wire knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Profile {
    /// emoncms's group module: groups, members, feeds.
    Emoncms,
    /// A home's administrator / family member / guest (seed 001).
    Home,
    /// User groups with permission sets, tiers and object grants (seed 002).
    Buildings,
}

impl Profile {
    /// Parses a profile name as written on the wire.
    pub fn parse(name: &str) -> Result<Profile, WireError> {
        match name {
            "emoncms" => Ok(Profile::Emoncms),
            "home" => Ok(Profile::Home),
            "buildings" => Ok(Profile::Buildings),
            other => Err(WireError::new(
                ErrorCode::UnknownProfile,
                format!(
                    "unknown profile `{}`; expected `emoncms`, `home` or `buildings`",
                    truncate(other, 64)
                ),
            )),
        }
    }

    /// The name as written on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Emoncms => "emoncms",
            Profile::Home => "home",
            Profile::Buildings => "buildings",
        }
    }
}

/// What each profile provides to the wire.
pub(crate) trait ProfileEngine: Sized {
    /// Indexes the facts of `state` (strictly parsed).
    fn build(state: Value) -> Result<Self, WireError>;
    /// Answers `op` with its fields (envelope already removed).
    fn handle(&self, op: &str, fields: Fields) -> Result<Value, WireError>;
    /// [`ProfileEngine::handle`] for the wire, which may write a route's body apart.
    fn reply(&self, op: &str, fields: Fields) -> Result<Reply, WireError> {
        self.handle(op, fields).map(Reply::from)
    }
    /// Applies `changes` (as this profile's ops return them) to `state`, in order.
    fn apply(state: Value, changes: Value) -> Result<Value, WireError>;
    /// Ops that need no facts.
    fn is_stateless_op(_op: &str) -> bool {
        false
    }
}

/// The fields of an op that takes none (`version`, `catalog`, …): any given is refused as serde
/// words it (``op `version`: unknown field `x`, there are no fields``).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NoFields {}

/// The `version` op with its (empty) fields checked.
pub(crate) fn version_op(fields: Fields) -> Result<Value, WireError> {
    crate::de::op::<NoFields>("version", fields)?;
    Ok(version())
}

/// The `version` op's answer, the same for every profile.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VersionInfo {
    /// Always `emongroups`.
    #[cfg_attr(feature = "ts", ts(type = "\"emongroups\""))]
    pub engine: &'static str,
    /// The engine's version (the crate's).
    pub version: &'static str,
    /// The wire format version (`WIRE_VERSION`).
    pub wire: u64,
    /// The profiles this engine answers for.
    #[cfg_attr(feature = "ts", ts(type = "Profile[]"))]
    pub profiles: [Profile; 3],
}

/// The `version` op, the same for every profile.
pub(crate) fn version() -> Value {
    VersionInfo {
        engine: "emongroups",
        version: env!("CARGO_PKG_VERSION"),
        wire: WIRE_VERSION,
        profiles: [Profile::Emoncms, Profile::Home, Profile::Buildings],
    }
    .to_json()
}

pub(crate) fn unknown_op(profile: Profile, op: &str) -> WireError {
    WireError::new(
        ErrorCode::UnknownOp,
        format!("profile `{}` has no op `{}`", profile.as_str(), truncate(op, 64)),
    )
}
