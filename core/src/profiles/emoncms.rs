//! Profile `emoncms`: placeholder, replaced by the real engine in the next commit.

use serde_json::Value;

use crate::error::WireError;
use crate::profiles::{Profile, ProfileEngine};
use crate::wire::{Fields, unknown_op, version};

/// The held facts of the emoncms profile.
#[derive(Debug)]
pub struct EmoncmsEngine {}

impl ProfileEngine for EmoncmsEngine {
    fn build(_state: Value) -> Result<Self, WireError> {
        Ok(EmoncmsEngine {})
    }
    fn handle(&self, op: &str, _fields: Fields) -> Result<Value, WireError> {
        match op {
            "version" => Ok(version()),
            _ => Err(unknown_op(Profile::Emoncms, op)),
        }
    }
    fn apply(state: Value, _changes: Value) -> Result<Value, WireError> {
        Ok(state)
    }
}
