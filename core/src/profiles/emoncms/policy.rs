//! The emoncms profile's roles and permissions as data on the general policy mechanism.

use std::sync::OnceLock;

use crate::policy::{Catalog, PermId, PermSet, PermissionDef, RoleDef, Roles};
use crate::util::owned_all;

use super::model::Role;

/// The permissions of the emoncms profile, in catalog order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Perm {
    GroupView = 0,
    GroupSummary,
    GroupAggregate,
    MembersList,
    MemberFeeds,
    MemberProfile,
    MembersManage,
    MemberAccount,
    GroupEdit,
    GroupDelete,
}

/// (code, description, dependencies), in the order of [`Perm`].
const PERMISSIONS: [(&str, &str, &[&str]); 10] = [
    ("group.view", "See the group in one's group list", &[]),
    ("group.summary", "See the group's details and member count", &["group.view"]),
    ("group.aggregate", "Sums and counts over members' feeds, never one member's data", &["group.summary"]),
    ("members.list", "See the member list", &["group.summary"]),
    ("member.feeds", "List and read members' feeds", &["members.list"]),
    ("member.profile", "See members' e-mail, bio, location and inputs", &["members.list"]),
    ("members.manage", "Add and remove members, change roles", &["member.profile"]),
    (
        "member.account",
        "Act on a member's account (log in as, edit, delete, send login details); needs full rights over it",
        &["member.profile", "member.feeds"],
    ),
    ("group.edit", "Edit the group", &["group.view"]),
    ("group.delete", "Delete the group", &["group.view"]),
];

/// Roles by `group_users.role` code; index 5 is any other stored integer.
pub(crate) const ROLES: [(&str, &[&str]); 6] = [
    ("passive", &[]),
    ("administrator", &["members.manage", "member.account", "group.edit", "group.delete", "group.aggregate"]),
    ("subadministrator", &["member.feeds", "group.aggregate"]),
    ("member", &["group.summary"]),
    ("observer", &["group.aggregate"]),
    ("invalid", &[]),
];

/// The emoncms vocabulary resolved on the policy mechanism, built once.
#[derive(Debug)]
pub(crate) struct EmoncmsPolicy {
    catalog: Catalog,
    roles: Roles,
    /// Permissions only the administrator role holds (a refusal says `not_group_admin`).
    admin_only: PermSet,
}

impl EmoncmsPolicy {
    fn new() -> Result<EmoncmsPolicy, crate::policy::PolicyError> {
        let mut defs = Vec::with_capacity(PERMISSIONS.len());
        for (code, description, deps) in PERMISSIONS {
            defs.push(PermissionDef {
                code: code.to_string(),
                name: code.to_string(),
                description: description.to_string(),
                dependencies: owned_all(deps),
            });
        }
        let catalog = Catalog::new(defs)?;
        let mut role_defs = Vec::with_capacity(ROLES.len());
        for (code, perms) in ROLES {
            role_defs.push(RoleDef { code: code.to_string(), permissions: owned_all(perms) });
        }
        let roles = Roles::new(&catalog, &role_defs)?;
        let admin = roles.permissions(Role::Administrator.index());
        let mut others = PermSet::EMPTY;
        for i in 0..roles.len() {
            if i != Role::Administrator.index() {
                others = others.union(roles.permissions(i));
            }
        }
        Ok(EmoncmsPolicy { catalog, roles, admin_only: admin.minus(others) })
    }

    #[inline]
    pub(crate) fn role_permissions(&self, role: Role) -> PermSet {
        self.roles.permissions(role.index())
    }
    #[inline]
    pub(crate) fn holds(&self, set: PermSet, perm: Perm) -> bool {
        set.contains(perm as PermId)
    }
    pub(crate) fn admin_only(&self, perm: Perm) -> bool {
        self.admin_only.contains(perm as PermId)
    }
    pub(crate) fn code(&self, perm: Perm) -> &'static str {
        PERMISSIONS.get(perm as usize).map_or("", |p| p.0)
    }
    /// The catalog (listing, docs).
    pub(crate) fn catalog(&self) -> &Catalog {
        &self.catalog
    }
}

/// The profile's policy, built once from the constant tables above. Not reachable from input:
/// the tables are validated by `the_role_tables_are_a_valid_policy`.
#[allow(clippy::panic, reason = "the tables are constants, checked by a test; no input reaches this")]
pub(crate) fn policy() -> &'static EmoncmsPolicy {
    static POLICY: OnceLock<EmoncmsPolicy> = OnceLock::new();
    POLICY.get_or_init(|| {
        EmoncmsPolicy::new().unwrap_or_else(|_| panic!("the emoncms permission tables are a valid policy"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_role_tables_are_a_valid_policy() {
        let p = EmoncmsPolicy::new().expect("emoncms policy tables are valid");
        let admin = p.role_permissions(Role::Administrator);
        assert_eq!(admin.len(), PERMISSIONS.len(), "administrators hold every permission");
        let sub = p.role_permissions(Role::SubAdministrator);
        assert!(p.holds(sub, Perm::MemberFeeds) && p.holds(sub, Perm::MembersList));
        assert!(!p.holds(sub, Perm::MemberProfile), "B-12: sub-administrators never see e-mail/bio/location");
        let observer = p.role_permissions(Role::Observer);
        assert!(p.holds(observer, Perm::GroupAggregate) && !p.holds(observer, Perm::MembersList));
        assert!(p.role_permissions(Role::Passive).is_empty() && p.role_permissions(Role::Invalid).is_empty());
        assert!(p.admin_only(Perm::GroupEdit) && !p.admin_only(Perm::MembersList));
        // Perm discriminants line up with catalog ids.
        for (i, (code, _, _)) in PERMISSIONS.iter().enumerate() {
            assert_eq!(p.catalog.id(code), Some(i as PermId));
        }
    }
}
