//! The emoncms profile's engine: the held facts and the wire glue for its ops (`route`, `check`,
//! `who_can`, `what_can`, `what_if`, `apply`, `redact`).

use crate::error::{ErrorCode, WireError};
use crate::profiles::{Fields, Profile, ProfileEngine, unknown_op, version_op};
use crate::read::{self, Text, WireId};
use serde::Deserialize;

use crate::value::{Reply, ToJson, Value, json};

use super::decide::{self, Action, Decision, Explained, Fact, NoTrace};
use super::model::{Change, Id, Role, State};
use super::policy::{ROLES, policy};
use super::snapshot::Snapshot;
use super::{query, routes};

/// The held facts of the emoncms profile.
#[derive(Debug)]
pub struct EmoncmsEngine {
    snapshot: Snapshot,
}

/// The fields of `check` (which needs `actor`) and `who_can` (which takes none).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionArgs {
    actor: Option<Actor>,
    action: Text,
    group: Option<WireId>,
    user: Option<WireId>,
    feed: Option<WireId>,
}

impl DecisionArgs {
    fn read(op: &str, fields: Fields) -> Result<DecisionArgs, WireError> {
        crate::de::read(&format!("op `{op}`"), ErrorCode::BadRequest, Value::Object(fields))
    }

    fn ids(&self) -> (Option<Id>, Option<Id>, Option<Id>) {
        (self.group.map(|i| i.0), self.user.map(|i| i.0), self.feed.map(|i| i.0))
    }
}

/// The actor of a check: a user id, or 0 for anonymous.
struct Actor(Id);

impl<'de> Deserialize<'de> for Actor {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Actor, D::Error> {
        let v = Value::deserialize(d)?;
        let id = if v == 0 { Ok(0) } else { read::id_of(&v) };
        id.map(Actor).map_err(serde::de::Error::custom)
    }
}

/// The fields of `what_can`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WhatCanArgs {
    user: WireId,
}

/// The fields of `what_if`: the changes, and whom to report on.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WhatIfArgs {
    changes: Value,
    users: Option<Vec<WireId>>,
}

/// The fields of `redact`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RedactArgs {
    viewer: WireId,
    group: WireId,
}

fn parse_action(name: &str) -> Result<Action, WireError> {
    Action::parse(name).ok_or_else(|| {
        WireError::bad_request(format!("unknown action `{}`", crate::util::truncate(name, 64)))
    })
}

/// The wire form of a decision with its chain.
pub(crate) fn decision_json(d: Decision, chain: &[Fact]) -> Value {
    Explained::new(d, chain).to_json()
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
            "version" => version_op(fields),
            "route" => routes::route(&self.snapshot, fields).map(Reply::into_value),
            "check" => {
                let a = DecisionArgs::read(op, fields)?;
                let actor = a
                    .actor
                    .as_ref()
                    .map(|a| a.0)
                    .ok_or_else(|| WireError::bad_request("op `check`: missing field `actor`"))?;
                let action = parse_action(&a.action.0)?;
                let (group, user, feed) = a.ids();
                let mut chain = Vec::new();
                let d = decide::decide(&self.snapshot, actor, action, group, user, feed, &mut chain)
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
                let action = parse_action(&a.action.0)?;
                let (group, user, feed) = a.ids();
                query::check_object(action, group, user, feed).map_err(WireError::bad_request)?;
                Ok(self.who_can(action, group, user, feed).to_json())
            }
            "what_can" => {
                let args: WhatCanArgs =
                    crate::de::read("op `what_can`", ErrorCode::BadRequest, Value::Object(fields))?;
                let user = args.user.0;
                Ok(query::WhatCanAnswer { user, capabilities: self.what_can(user), public_feeds: true }
                    .to_json())
            }
            "what_if" => {
                let args: WhatIfArgs =
                    crate::de::read("op `what_if`", ErrorCode::BadRequest, Value::Object(fields))?;
                let changes = Change::list_from_json("op `what_if`: `changes`", args.changes)?;
                let users: Option<Vec<Id>> = args.users.map(|u| u.into_iter().map(|i| i.0).collect());
                let diff = self.what_if(&changes, users.as_deref())?;
                Ok(query::WhatIfAnswer { diff }.to_json())
            }
            "redact" => {
                let args: RedactArgs =
                    crate::de::read("op `redact`", ErrorCode::BadRequest, Value::Object(fields))?;
                let (viewer, group) = (args.viewer.0, args.group.0);
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
            "route" => routes::route(&self.snapshot, fields),
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
