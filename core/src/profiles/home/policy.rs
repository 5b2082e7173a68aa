//! The seed's role matrix as policy data: permissions, roles and the role names commands may use.

use serde::{Deserialize, Serialize};

use crate::error::WireError;
use crate::policy::{Catalog, PermId, PermissionDef, PolicyError, RoleDef, Roles};
use crate::util::owned;
use crate::value::{Value, object_of};

/// Permission codes, in the seed's row order.
const MANAGE_USERS: &str = "manage_users";
const CONTROL_SECURITY: &str = "control_security_devices";
pub(super) const CONTROL_UTILITY: &str = "control_utility_devices";

/// (code, name, description): one permission per row of the seed's table.
const PERMISSIONS: [(&str, &str, &str); 3] = [
    (MANAGE_USERS, "User management", "Add, update and delete the users of the home"),
    (CONTROL_SECURITY, "Security device control", "Control the security devices of the home"),
    (
        CONTROL_UTILITY,
        "Utility home device control",
        "Control utility home devices, such as lights and smart TVs",
    ),
];

/// (code, name, permissions): one role per column of the seed's table.
const ROLES: [(&str, &str, &[&str]); 3] = [
    ("administrator", "Administrator", &[MANAGE_USERS, CONTROL_SECURITY, CONTROL_UTILITY]),
    ("family_member", "Family member", &[CONTROL_SECURITY, CONTROL_UTILITY]),
    ("guest", "Guest", &[CONTROL_UTILITY]),
];

/// Role names accepted in command bodies besides the codes, after normalising (trimmed, lower
/// case, spaces and hyphens as `_`). `adult` is the role of the seed's own example.
const ROLE_ALIASES: [(&str, &str); 1] = [("adult", "family_member")];

pub(super) const ACTION_USERS_MANAGE: &str = "users.manage";
pub(super) const ACTION_DEVICE_CONTROL: &str = "device.control";

/// The longest user name and e-mail address accepted.
pub(super) const MAX_USER_NAME: usize = 255;
pub(super) const MAX_EMAIL: usize = 254;

/// The ids of the permissions: a catalog numbers its permissions in the order they are defined,
/// here the order of [`PERMISSIONS`] (a test checks them against the catalog).
pub(super) const P_MANAGE_USERS: PermId = 0;
const P_CONTROL_SECURITY: PermId = 1;
const P_CONTROL_UTILITY: PermId = 2;

/// The classes of devices, each controlled with its own permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum DeviceClass {
    Security,
    Utility,
}

impl DeviceClass {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            DeviceClass::Security => "security",
            DeviceClass::Utility => "utility",
        }
    }
}

#[derive(Debug)]
pub(super) struct Policy {
    pub(super) catalog: Catalog,
    pub(super) roles: Roles,
}

impl Policy {
    pub(super) fn new() -> Result<Policy, WireError> {
        Ok(Policy::of_data()?)
    }

    /// The policy of the tables above.
    fn of_data() -> Result<Policy, PolicyError> {
        let mut permissions = Vec::new();
        for (code, name, description) in PERMISSIONS {
            permissions.push(PermissionDef {
                code: owned(code),
                name: owned(name),
                description: owned(description),
                dependencies: Vec::new(),
            });
        }
        let catalog = Catalog::new(permissions)?;
        let mut defs = Vec::new();
        for (code, _, perms) in ROLES {
            let mut permissions = Vec::new();
            for p in perms {
                permissions.push(owned(p));
            }
            defs.push(RoleDef { code: owned(code), permissions });
        }
        let roles = Roles::new(&catalog, &defs)?;
        Ok(Policy { catalog, roles })
    }

    /// The permission a device of `class` needs.
    pub(super) fn device_permission(class: DeviceClass) -> PermId {
        match class {
            DeviceClass::Security => P_CONTROL_SECURITY,
            DeviceClass::Utility => P_CONTROL_UTILITY,
        }
    }

    /// Whether role `role` (a code) holds permission `p`; unknown roles hold nothing.
    pub(super) fn role_holds(&self, role: &str, p: PermId) -> bool {
        self.roles.index(role).is_some_and(|i| self.roles.permissions(i).contains(p))
    }

    /// The role code a command body names, if any: a code or an alias, trimmed and normalised.
    pub(super) fn parse_role(&self, text: &str) -> Option<&'static str> {
        let text = text.trim();
        let mut alias_of = None;
        for (alias, code) in ROLE_ALIASES {
            if normalises_to(text, alias) {
                alias_of = Some(code);
            }
        }
        let names = |code: &str| alias_of.map_or_else(|| normalises_to(text, code), |c| c == code);
        ROLES.iter().find(|(code, _, _)| names(code)).map(|(code, _, _)| *code)
    }

    pub(super) fn catalog_json(&self) -> Value {
        let mut permissions = Vec::new();
        for d in self.catalog.defs() {
            permissions.push(crate::value::ToJson::to_json(d));
        }
        let mut roles = Vec::new();
        for (code, name, _) in ROLES {
            let perms = self.roles.index(code).map(|i| self.roles.permissions(i)).unwrap_or_default();
            let mut aliases = Vec::new();
            for (alias, c) in ROLE_ALIASES {
                if c == code {
                    aliases.push(Value::from(alias));
                }
            }
            roles.push(object_of(&mut [
                ("code", code.into()),
                ("name", name.into()),
                ("aliases", Value::Array(aliases)),
                ("permissions", strings(&self.catalog.codes(perms))),
            ]));
        }
        let mut classes = Vec::new();
        for (class, permission) in [("security", CONTROL_SECURITY), ("utility", CONTROL_UTILITY)] {
            classes.push(object_of(&mut [("class", class.into()), ("permission", permission.into())]));
        }
        object_of(&mut [
            ("permissions", Value::Array(permissions)),
            ("roles", Value::Array(roles)),
            ("device_classes", Value::Array(classes)),
            ("actions", strings(&[ACTION_USERS_MANAGE, ACTION_DEVICE_CONTROL])),
        ])
    }
}

/// Whether `text` is `name` once normalised: ASCII letters in lower case, spaces and hyphens as
/// `_` (compared byte by byte, without building the normalised text).
fn normalises_to(text: &str, name: &str) -> bool {
    if text.len() != name.len() {
        return false;
    }
    for (t, n) in text.bytes().zip(name.bytes()) {
        let t = if t == b' ' || t == b'-' { b'_' } else { t.to_ascii_lowercase() };
        if t != n {
            return false;
        }
    }
    true
}

/// Strings as a JSON array.
fn strings(items: &[&str]) -> Value {
    let mut out = Vec::with_capacity(items.len());
    for s in items {
        out.push(Value::from(*s));
    }
    Value::Array(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_matrix_is_policy_data() {
        let p = Policy::new().unwrap();
        let holds = |role: &str| -> Vec<&str> {
            let i = p.roles.index(role).unwrap();
            p.catalog.codes(p.roles.permissions(i))
        };
        assert_eq!(holds("administrator"), vec![MANAGE_USERS, CONTROL_SECURITY, CONTROL_UTILITY]);
        assert_eq!(holds("family_member"), vec![CONTROL_SECURITY, CONTROL_UTILITY]);
        assert_eq!(holds("guest"), vec![CONTROL_UTILITY]);
        for (id, code) in [
            (P_MANAGE_USERS, MANAGE_USERS),
            (P_CONTROL_SECURITY, CONTROL_SECURITY),
            (P_CONTROL_UTILITY, CONTROL_UTILITY),
        ] {
            assert_eq!(p.catalog.id(code), Some(id), "{code}");
        }
    }

    #[test]
    fn role_names_and_aliases() {
        let p = Policy::new().unwrap();
        for (text, code) in [
            ("administrator", Some("administrator")),
            ("Administrator", Some("administrator")),
            ("family_member", Some("family_member")),
            ("Family member", Some("family_member")),
            (" family-member ", Some("family_member")),
            ("adult", Some("family_member")),
            ("ADULT", Some("family_member")),
            ("guest", Some("guest")),
            ("admin", None),
            ("child", None),
            ("", None),
        ] {
            assert_eq!(p.parse_role(text), code, "{text}");
        }
    }
}
