//! The general permission mechanism, independent of emoncms: a catalog of permissions with
//! dependencies (closure computed once, cycles rejected), roles as bundles of permissions, ordered
//! tiers, object-level grants with implied view of parent objects, and the delegation rule.

use std::collections::HashMap;
use std::fmt;

mod catalog;

pub use catalog::{Catalog, PermId, PermSet, PermissionDef, RoleDef, Roles};

/// Why a policy definition (catalog, roles, tiers, grants) was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PolicyError {
    /// Two permissions share a code.
    DuplicatePermission(String),
    /// A dependency names no permission of the catalog.
    UnknownDependency { permission: String, dependency: String },
    /// Dependencies form a cycle; the path starts and ends at the same code.
    DependencyCycle(Vec<String>),
    /// The catalog holds more permissions than a [`PermSet`] can.
    TooManyPermissions(usize),
    /// A role, tier or grant names no permission of the catalog.
    UnknownPermission(String),
    /// Two roles share a code.
    DuplicateRole(String),
}

impl PolicyError {
    /// Stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            PolicyError::DuplicatePermission(_) => "duplicate_permission",
            PolicyError::UnknownDependency { .. } => "unknown_dependency",
            PolicyError::DependencyCycle(_) => "dependency_cycle",
            PolicyError::TooManyPermissions(_) => "too_many_permissions",
            PolicyError::UnknownPermission(_) => "unknown_permission",
            PolicyError::DuplicateRole(_) => "duplicate_role",
        }
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyError::DuplicatePermission(c) => write!(f, "permission `{c}` is defined twice"),
            PolicyError::UnknownDependency { permission, dependency } => {
                write!(f, "permission `{permission}` depends on unknown permission `{dependency}`")
            }
            PolicyError::DependencyCycle(path) => {
                let path: Vec<String> = path.iter().map(|c| format!("`{c}`")).collect();
                write!(f, "dependency cycle: {}", path.join(" -> "))
            }
            PolicyError::TooManyPermissions(n) => {
                write!(f, "a catalog holds at most {} permissions, this one has {n}", PermSet::CAPACITY)
            }
            PolicyError::UnknownPermission(c) => write!(f, "unknown permission `{c}`"),
            PolicyError::DuplicateRole(c) => write!(f, "role `{c}` is defined twice"),
        }
    }
}

impl std::error::Error for PolicyError {}

impl From<PolicyError> for crate::error::WireError {
    fn from(e: PolicyError) -> Self {
        crate::error::WireError::new(crate::error::ErrorCode::Policy, format!("{} ({})", e, e.code()))
    }
}

/// Index of codes to dense ids, shared by the catalog pieces.
pub(crate) type CodeIndex = HashMap<String, PermId>;
