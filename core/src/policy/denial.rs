//! Why the mechanism says no to one holder, grant or object: stable reason codes that profiles
//! put into their decisions and error bodies.

use std::fmt;

/// A refusal of the mechanism, with the permission and object it concerns.
///
/// Unlike [`super::PolicyError`] (a definition is broken), a denial is an ordinary answer:
/// the holder, the grant or the object does not satisfy a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Denial {
    /// The holder does not hold the permission on any object.
    PermissionNotHeld { permission: String },
    /// The holder holds the permission, but not on this object.
    ObjectNotGranted { permission: String, object: String },
    /// The object lies outside the scope (the customer, partner … the grant is bound to).
    OutOfScope { permission: String, object: String },
    /// The permission is not available in the tier.
    NotInTier { permission: String, tier: String },
    /// The grant gives more than the granter holds: a permission it lacks (`object` absent when
    /// the whole permission, or "every object in scope", exceeds), or an object it does not cover.
    DelegationExceedsGranter { permission: String, object: Option<String> },
    /// The object is not known to the facts (or its chain of parents is broken).
    UnknownObject { object: String },
    /// The object is of a type the permission cannot name (a building on a customer permission).
    ObjectTypeMismatch { permission: String, object: String },
    /// The permission is not object-level: its object list must be empty.
    ObjectsNotSupported { permission: String },
}

impl Denial {
    /// Stable code of this reason.
    pub fn code(&self) -> &'static str {
        match self {
            Denial::PermissionNotHeld { .. } => "permission_not_held",
            Denial::ObjectNotGranted { .. } => "object_not_granted",
            Denial::OutOfScope { .. } => "out_of_scope",
            Denial::NotInTier { .. } => "not_in_tier",
            Denial::DelegationExceedsGranter { .. } => "delegation_exceeds_granter",
            Denial::UnknownObject { .. } => "unknown_object",
            Denial::ObjectTypeMismatch { .. } => "object_type_mismatch",
            Denial::ObjectsNotSupported { .. } => "objects_not_supported",
        }
    }

    /// The permission concerned, when there is one.
    pub fn permission(&self) -> Option<&str> {
        match self {
            Denial::PermissionNotHeld { permission }
            | Denial::ObjectNotGranted { permission, .. }
            | Denial::OutOfScope { permission, .. }
            | Denial::NotInTier { permission, .. }
            | Denial::DelegationExceedsGranter { permission, .. }
            | Denial::ObjectTypeMismatch { permission, .. }
            | Denial::ObjectsNotSupported { permission } => Some(permission),
            Denial::UnknownObject { .. } => None,
        }
    }

    /// The object concerned, when there is one.
    pub fn object(&self) -> Option<&str> {
        match self {
            Denial::ObjectNotGranted { object, .. }
            | Denial::OutOfScope { object, .. }
            | Denial::UnknownObject { object }
            | Denial::ObjectTypeMismatch { object, .. } => Some(object),
            Denial::DelegationExceedsGranter { object, .. } => object.as_deref(),
            Denial::PermissionNotHeld { .. }
            | Denial::NotInTier { .. }
            | Denial::ObjectsNotSupported { .. } => None,
        }
    }
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Denial::PermissionNotHeld { permission } => {
                write!(f, "permission `{permission}` is not held")
            }
            Denial::ObjectNotGranted { permission, object } => {
                write!(f, "permission `{permission}` is not granted on object `{object}`")
            }
            Denial::OutOfScope { permission, object } => {
                write!(f, "object `{object}` of permission `{permission}` is outside the scope")
            }
            Denial::NotInTier { permission, tier } => {
                write!(f, "permission `{permission}` is not available in tier `{tier}`")
            }
            Denial::DelegationExceedsGranter { permission, object: None } => {
                write!(f, "the granter does not hold permission `{permission}` on every object granted")
            }
            Denial::DelegationExceedsGranter { permission, object: Some(object) } => {
                write!(f, "the granter does not hold permission `{permission}` on object `{object}`")
            }
            Denial::UnknownObject { object } => write!(f, "object `{object}` does not exist"),
            Denial::ObjectTypeMismatch { permission, object } => {
                write!(f, "object `{object}` cannot be named by permission `{permission}`")
            }
            Denial::ObjectsNotSupported { permission } => {
                write!(f, "permission `{permission}` takes no objects")
            }
        }
    }
}
