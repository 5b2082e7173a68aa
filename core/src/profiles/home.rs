//! Profile `home`: placeholder until its issue lands; every op answers `unknown_op`.

use serde_json::Value;

use crate::error::WireError;
use crate::profiles::{Profile, ProfileEngine};
use crate::wire::{Fields, unknown_op, version};

/// The held facts of the `home` profile.
#[derive(Debug)]
pub struct HomeEngine {}

impl ProfileEngine for HomeEngine {
    fn build(_state: Value) -> Result<Self, WireError> {
        Ok(HomeEngine {})
    }
    fn handle(&self, op: &str, _fields: Fields) -> Result<Value, WireError> {
        match op {
            "version" => Ok(version()),
            _ => Err(unknown_op(Profile::Home, op)),
        }
    }
    fn apply(_state: Value, _changes: Value) -> Result<Value, WireError> {
        Err(unknown_op(Profile::Home, "apply"))
    }
}
