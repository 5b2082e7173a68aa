//! The general permission mechanism, independent of emoncms: a catalog of permissions with
//! dependencies (closure computed once, cycles rejected), roles as bundles of permissions, ordered
//! tiers, object-level grants with implied view of parent objects, and the delegation rule.

use std::fmt;

mod catalog;
mod denial;
mod objects;
mod tiers;

pub use catalog::{Catalog, PermId, PermSet, PermissionDef, RoleDef, Roles};
pub use denial::Denial;
pub use objects::{
    Grant, Holding, IdSet, ObjectFacts, ObjectModel, ObjectTypeDef, ObjectTypeId, ObjectTypes, Objects,
    PermissionObjectType, Reach,
};
pub use tiers::{TierDef, Tiers};

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
    /// Two tiers share a code.
    DuplicateTier(String),
    /// A permission is listed in two tiers (each permission enters at exactly one tier).
    PermissionInTwoTiers { permission: String, first: String, second: String },
    /// A permission available in `tier` depends on one that is not (it enters a higher tier or
    /// none), so the tier could never grant it whole.
    TierNotClosed { tier: String, permission: String, dependency: String },
    /// A name refers to no tier.
    UnknownTier(String),
    /// Two object types share a code.
    DuplicateObjectType(String),
    /// A parent or a permission binding names no object type.
    UnknownObjectType(String),
    /// Object types' parents form a cycle; the path starts and ends at the same code.
    ObjectTypeCycle(Vec<String>),
    /// A permission is bound to two object types.
    PermissionTypedTwice(String),
    /// A permission depends on one whose object type is neither its own, an ancestor nor a
    /// descendant: a grant's object list could not be carried over.
    UnrelatedDependencyType { permission: String, dependency: String },
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
            PolicyError::DuplicateTier(_) => "duplicate_tier",
            PolicyError::PermissionInTwoTiers { .. } => "permission_in_two_tiers",
            PolicyError::TierNotClosed { .. } => "tier_not_closed",
            PolicyError::UnknownTier(_) => "unknown_tier",
            PolicyError::DuplicateObjectType(_) => "duplicate_object_type",
            PolicyError::UnknownObjectType(_) => "unknown_object_type",
            PolicyError::ObjectTypeCycle(_) => "object_type_cycle",
            PolicyError::PermissionTypedTwice(_) => "permission_typed_twice",
            PolicyError::UnrelatedDependencyType { .. } => "unrelated_dependency_type",
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
            PolicyError::DependencyCycle(path) => write_cycle(f, "dependency cycle", path),
            PolicyError::TooManyPermissions(n) => {
                write!(f, "a catalog holds at most {} permissions, this one has {n}", PermSet::CAPACITY)
            }
            PolicyError::UnknownPermission(c) => write!(f, "unknown permission `{c}`"),
            PolicyError::DuplicateRole(c) => write!(f, "role `{c}` is defined twice"),
            PolicyError::DuplicateTier(c) => write!(f, "tier `{c}` is defined twice"),
            PolicyError::PermissionInTwoTiers { permission, first, second } => {
                write!(f, "permission `{permission}` is listed in tiers `{first}` and `{second}`")
            }
            PolicyError::TierNotClosed { tier, permission, dependency } => write!(
                f,
                "permission `{permission}` is available in tier `{tier}` but its dependency `{dependency}` is not"
            ),
            PolicyError::UnknownTier(c) => write!(f, "unknown tier `{c}`"),
            PolicyError::DuplicateObjectType(c) => write!(f, "object type `{c}` is defined twice"),
            PolicyError::UnknownObjectType(c) => write!(f, "unknown object type `{c}`"),
            PolicyError::ObjectTypeCycle(path) => write_cycle(f, "object type parent cycle", path),
            PolicyError::PermissionTypedTwice(c) => {
                write!(f, "permission `{c}` is bound to two object types")
            }
            PolicyError::UnrelatedDependencyType { permission, dependency } => write!(
                f,
                "permission `{permission}` depends on `{dependency}` whose object type is unrelated to its own"
            ),
        }
    }
}

/// `label: `a` -> `b` -> `a``.
fn write_cycle(f: &mut fmt::Formatter<'_>, label: &str, path: &[String]) -> fmt::Result {
    write!(f, "{label}: ")?;
    for (i, code) in path.iter().enumerate() {
        write!(f, "{}`{code}`", if i == 0 { "" } else { " -> " })?;
    }
    Ok(())
}

impl std::error::Error for PolicyError {}

impl From<PolicyError> for crate::error::WireError {
    fn from(e: PolicyError) -> Self {
        crate::error::WireError::new(crate::error::ErrorCode::Policy, format!("{} ({})", e, e.code()))
    }
}
