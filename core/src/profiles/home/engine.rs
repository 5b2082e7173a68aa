//! The held facts of the profile.

use super::policy::Policy;
use super::state::State;

/// The held facts of the `home` profile.
#[derive(Debug)]
pub struct HomeEngine {
    pub(super) policy: Policy,
    pub(super) state: State,
}

/// Why a command was refused: its reason code.
pub(super) type Refusal = &'static str;
