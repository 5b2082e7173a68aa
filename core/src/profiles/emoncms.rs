//! Profile `emoncms`: the group module's roles as data on the general policy mechanism, and the
//! wire glue for its ops (`route`, `check`, `who_can`, `what_can`, `what_if`, `apply`, `redact`).

use std::sync::OnceLock;

use crate::read::{self, Reader};
use crate::value::{Reply, ToJson, Value, json};

use crate::decide::{self, Action, Decision, Fact, NoTrace};
use crate::error::WireError;
use crate::model::{Change, Id, Role, State};
use crate::policy::{Catalog, PermId, PermSet, PermissionDef, RoleDef, Roles};
use crate::profiles::{Profile, ProfileEngine};
use crate::snapshot::Snapshot;
use crate::util::owned_all;
use crate::wire::{Fields, unknown_op};
use crate::{ops, query};

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
const ROLES: [(&str, &[&str]); 6] = [
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
        PERMISSIONS[perm as usize].0
    }
    /// The catalog (listing, docs).
    pub(crate) fn catalog(&self) -> &Catalog {
        &self.catalog
    }
}

/// The profile's policy, built once from the constant tables above. Not reachable from input:
/// the tables are validated by `the_role_tables_are_a_valid_policy`.
pub(crate) fn policy() -> &'static EmoncmsPolicy {
    static POLICY: OnceLock<EmoncmsPolicy> = OnceLock::new();
    // `unwrap_or_else` rather than `expect`: `expect` would link the error's `Debug` printing into
    // the WebAssembly module for a message no input can reach.
    POLICY.get_or_init(|| {
        EmoncmsPolicy::new().unwrap_or_else(|_| panic!("the emoncms permission tables are a valid policy"))
    })
}

/// The held facts of the emoncms profile.
#[derive(Debug)]
pub struct EmoncmsEngine {
    snapshot: Snapshot,
}

/// The fields of `check` (which needs `actor`) and `who_can` (which takes none).
struct DecisionArgs {
    actor: Option<Id>,
    action: String,
    group: Option<Id>,
    user: Option<Id>,
    feed: Option<Id>,
}

impl DecisionArgs {
    fn read(op: &str, fields: Fields) -> Result<DecisionArgs, WireError> {
        let mut r = Reader::request(format!("op `{op}`"), fields);
        let args = DecisionArgs {
            actor: r.opt("actor", actor)?,
            action: r.req("action", read::string)?,
            group: r.opt("group", read::id)?,
            user: r.opt("user", read::id)?,
            feed: r.opt("feed", read::id)?,
        };
        r.finish()?;
        Ok(args)
    }
}

/// The actor of a check: a user id, or 0 for anonymous.
fn actor(v: Value) -> Result<Id, String> {
    if v == 0 { Ok(0) } else { read::id(v) }
}

fn parse_action(name: &str) -> Result<Action, WireError> {
    Action::parse(name).ok_or_else(|| {
        WireError::bad_request(format!("unknown action `{}`", crate::wire::truncate(name, 64)))
    })
}

/// The wire form of a decision with its chain.
pub(crate) fn decision_json(d: Decision, chain: &[Fact]) -> Value {
    let mut facts = Vec::with_capacity(chain.len());
    for fact in chain {
        facts.push(fact.to_json());
    }
    crate::value::object([
        ("allowed", Value::Bool(d.allowed)),
        ("status", Value::from(d.status.as_str())),
        ("reason", Value::from(d.reason.code())),
        ("chain", Value::Array(facts)),
    ])
}

/// The `catalog` op: the permissions, the five stored roles and the actions.
fn catalog() -> Value {
    let pol = policy();
    let mut permissions = Vec::new();
    for def in pol.catalog().defs() {
        permissions.push(def.to_json());
    }
    let mut roles = Vec::new();
    for (code, (name, _)) in ROLES.iter().take(5).enumerate() {
        let role = Role::from_code(code as i64);
        roles.push(json!({"role": code, "code": name, "label": role.label(),
                          "permissions": pol.catalog().codes(pol.role_permissions(role))}));
    }
    let mut actions = Vec::new();
    for a in Action::ALL {
        actions.push(Value::from(a.as_str()));
    }
    crate::value::object([
        ("permissions", Value::Array(permissions)),
        ("roles", Value::Array(roles)),
        ("actions", Value::Array(actions)),
    ])
}

impl EmoncmsEngine {
    /// Indexes typed facts (native callers and benchmarks).
    pub fn from_state(state: State) -> Result<EmoncmsEngine, WireError> {
        Ok(EmoncmsEngine { snapshot: Snapshot::build(state)? })
    }

    /// The indexed facts.
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// May `actor` (0 = anonymous) read feed `feed`? The fast path: no allocation.
    #[inline]
    pub fn can_read_feed(&self, actor: Id, feed: Id) -> Decision {
        decide::feed_read(&self.snapshot, actor, feed, &mut NoTrace)
    }

    /// Decides `action` for `actor` on the object fields given, without the chain.
    pub fn decide(
        &self,
        actor: Id,
        action: Action,
        group: Option<Id>,
        user: Option<Id>,
        feed: Option<Id>,
    ) -> Option<Decision> {
        decide::decide(&self.snapshot, actor, action, group, user, feed, &mut NoTrace).ok()
    }

    /// Everyone who may do `action` on the object (complete).
    pub fn who_can(
        &self,
        action: Action,
        group: Option<Id>,
        user: Option<Id>,
        feed: Option<Id>,
    ) -> query::WhoCan {
        query::who_can(&self.snapshot, action, group, user, feed)
    }

    /// Everything `user` may do.
    pub fn what_can(&self, user: Id) -> Vec<query::Capability> {
        query::what_can(&self.snapshot, user)
    }

    /// Who gains and who loses which access if `changes` were applied.
    pub fn what_if(
        &self,
        changes: &[Change],
        only: Option<&[Id]>,
    ) -> Result<Vec<query::AccessDiff>, WireError> {
        query::what_if(&self.snapshot, changes, only)
    }
}

impl ProfileEngine for EmoncmsEngine {
    fn build(state: Value) -> Result<Self, WireError> {
        EmoncmsEngine::from_state(State::from_json(state)?)
    }

    fn handle(&self, op: &str, fields: Fields) -> Result<Value, WireError> {
        match op {
            "version" => crate::wire::version_op(fields),
            "route" => ops::route(&self.snapshot, fields).map(|r| {
                let mut result = r.result;
                if let (Some(text), Some(body)) = (r.body, result.get_mut("body")) {
                    *body = serde_json::from_str(&text).unwrap_or(Value::Null);
                }
                result
            }),
            "check" => {
                let a = DecisionArgs::read(op, fields)?;
                let actor =
                    a.actor.ok_or_else(|| WireError::bad_request("op `check`: missing field `actor`"))?;
                let action = parse_action(&a.action)?;
                let mut chain = Vec::new();
                let d = decide::decide(&self.snapshot, actor, action, a.group, a.user, a.feed, &mut chain)
                    .map_err(|m| {
                        WireError::bad_request(format!("op `check`: {m} for action `{}`", action.as_str()))
                    })?;
                Ok(decision_json(d, &chain))
            }
            "who_can" => {
                let a = DecisionArgs::read(op, fields)?;
                if a.actor.is_some() {
                    return Err(WireError::bad_request("op `who_can`: unknown field `actor`"));
                }
                let action = parse_action(&a.action)?;
                query::check_object(action, a.group, a.user, a.feed).map_err(WireError::bad_request)?;
                Ok(self.who_can(action, a.group, a.user, a.feed).to_json())
            }
            "what_can" => {
                let mut r = Reader::request("op `what_can`", fields);
                let user = r.req("user", read::id)?;
                r.finish()?;
                Ok(json!({
                    "user": user,
                    "capabilities": self.what_can(user),
                    "public_feeds": true,
                }))
            }
            "what_if" => {
                let mut r = Reader::request("op `what_if`", fields);
                let changes = r.req("changes", Ok)?;
                let changes = Change::list_from_json("op `what_if`: `changes`", changes)?;
                let users = r.opt("users", read::ids)?;
                r.finish()?;
                let diff = self.what_if(&changes, users.as_deref())?;
                Ok(json!({ "diff": diff }))
            }
            "redact" => {
                let mut r = Reader::request("op `redact`", fields);
                let (viewer, group) = (r.req("viewer", read::id)?, r.req("group", read::id)?);
                r.finish()?;
                Ok(match query::redact(&self.snapshot, viewer, group) {
                    Ok(state) => {
                        crate::value::object([("allowed", Value::Bool(true)), ("state", state.to_json())])
                    }
                    Err(d) => json!({ "allowed": false, "reason": d.reason.code(), "state": null }),
                })
            }
            "catalog" => Ok(catalog()),
            _ => Err(unknown_op(Profile::Emoncms, op)),
        }
    }

    fn reply(&self, op: &str, fields: Fields) -> Result<Reply, WireError> {
        match op {
            "route" => ops::route(&self.snapshot, fields),
            _ => self.handle(op, fields).map(Reply::from),
        }
    }

    fn apply(state: Value, changes: Value) -> Result<Value, WireError> {
        let state = State::from_json(state)?;
        let changes = Change::list_from_json("`changes`", changes)?;
        Ok(state.apply(&changes)?.to_json())
    }

    fn is_stateless_op(op: &str) -> bool {
        op == "catalog"
    }
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
