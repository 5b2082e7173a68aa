//! The emoncms facts as the host reads them (rows of `groups`, `group_users`, `users`, feeds), the
//! changes the engine asks the host to write, and `apply`, which is what the host's database would
//! hold after writing them.
//!
//! One file per kind of fact: `rows` (groups, memberships, users), `feeds` (feed rows, which keep
//! the host's text), `state` (a whole state read from its text), `change` (the rows to write, and
//! `State::apply`). They see this file's names through `use super::*`.

use std::fmt;

use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::error::{ErrorCode, WireError};
use crate::read::{self, Flag, LenientInt, Scalar, ScalarAt, Text, WireId};
use crate::value::{Key, Map, Skip, Value};

pub use crate::read::{Id, MAX_ID};

mod change;
mod feeds;
mod rows;
mod state;
#[cfg(test)]
mod tests;

pub use change::Change;
pub(crate) use feeds::FeedParts;
pub use feeds::FeedRow;
use feeds::too_deep;
pub use rows::{GroupRow, MembershipRow, UserRow};
use rows::{GroupWire, MembershipWire, UserWire};
pub(crate) use rows::{boxed, tags_value};
pub use state::State;

/// Role codes of `group_users.role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// 0: a managed account; sees no group.
    Passive,
    /// 1: manages the group and its members.
    Administrator,
    /// 2: sees the member list and members' feeds.
    SubAdministrator,
    /// 3: sees the group in its list.
    Member,
    /// 4: sees the group, its member count and aggregates, never one member's data.
    Observer,
    /// Any other stored integer (2.0.0 stored any int): grants nothing.
    Invalid,
}

impl Role {
    /// The role of a stored integer.
    pub fn from_code(code: i64) -> Role {
        match code {
            0 => Role::Passive,
            1 => Role::Administrator,
            2 => Role::SubAdministrator,
            3 => Role::Member,
            4 => Role::Observer,
            _ => Role::Invalid,
        }
    }
    /// Index into per-role tables.
    pub(crate) fn index(self) -> usize {
        self as usize
    }
    /// The stored integer of a valid role.
    pub fn code(self) -> Option<i64> {
        match self {
            Role::Passive => Some(0),
            Role::Administrator => Some(1),
            Role::SubAdministrator => Some(2),
            Role::Member => Some(3),
            Role::Observer => Some(4),
            Role::Invalid => None,
        }
    }
    /// Name used in login e-mails (`{{role}}`), as 2.0.0 wrote them.
    pub fn label(self) -> &'static str {
        match self {
            Role::Passive => "Passive member",
            Role::Administrator => "Administrator",
            Role::SubAdministrator => "Subadministrator",
            Role::Member => "Member",
            Role::Observer => "Observer",
            Role::Invalid => "Not valid",
        }
    }
}
