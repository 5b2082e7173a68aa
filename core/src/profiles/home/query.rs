//! `check`, `who_can` and `what_can`: decisions and the reverse questions.

use serde::Deserialize;

use crate::error::WireError;
use crate::util::truncate;
use crate::value::{Put, Value, object_of};

use super::engine::{HomeEngine, Refusal};
use super::id::Id;
use super::policy::{ACTION_DEVICE_CONTROL, ACTION_USERS_MANAGE, P_MANAGE_USERS, Policy};
use super::state::State;

/// One thing one person can do: `(action, home, device)`, borrowed from the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Cap<'a> {
    action: &'static str,
    home: &'a str,
    device: Option<&'a Id>,
}

impl Cap<'_> {
    fn to_json(self) -> Value {
        let mut cap = object_of(&mut [("action", self.action.into()), ("home", self.home.into())]);
        if let (Some(d), Value::Object(m)) = (self.device, &mut cap) {
            m.put("device", d.to_value());
        }
        cap
    }
}

/// Everything each person can do, across homes (only `only`'s when given): `(person, cap)`
/// pairs sorted by person, then capability. Each time the state lists a person, a pair without
/// capability comes first: they keep a person who can do nothing, and the stable sort puts the
/// form of the id the state lists first at the head of the person's run.
pub(super) fn capabilities<'a>(
    policy: &Policy,
    state: &'a State,
    only: Option<&Id>,
) -> Vec<(&'a Id, Option<Cap<'a>>)> {
    let mut out = Vec::new();
    for home in &state.homes {
        for u in &home.users {
            if only.is_some_and(|id| *id != u.user_id) {
                continue;
            }
            out.push((&u.user_id, None));
            if policy.role_holds(&u.role, P_MANAGE_USERS) {
                out.push((
                    &u.user_id,
                    Some(Cap { action: ACTION_USERS_MANAGE, home: &home.id, device: None }),
                ));
            }
            for d in &home.devices {
                if policy.role_holds(&u.role, Policy::device_permission(d.class)) {
                    let cap = Cap { action: ACTION_DEVICE_CONTROL, home: &home.id, device: Some(&d.id) };
                    out.push((&u.user_id, Some(cap)));
                }
            }
        }
    }
    out.sort();
    out
}

/// The length of the run of pairs about person `id` at the head of `pairs`.
pub(super) fn run_of(pairs: &[(&Id, Option<Cap>)], id: &Id) -> usize {
    pairs.iter().take_while(|(p, _)| *p == id).count()
}

/// The capabilities of `run` (one person's pairs) that `other` (the same person's) lacks, as JSON.
pub(super) fn caps_missing(run: &[(&Id, Option<Cap>)], other: &[(&Id, Option<Cap>)]) -> Vec<Value> {
    let mut out = Vec::new();
    for (_, cap) in run {
        if let Some(c) = cap
            && other.binary_search_by(|(_, o)| o.cmp(cap)).is_err()
        {
            out.push(c.to_json());
        }
    }
    out
}

/// The action a request names, with its device when it needs one.
fn parse_action(action: &str, device: Option<&Id>) -> Result<&'static str, WireError> {
    match (action, device) {
        (ACTION_USERS_MANAGE, None) => Ok(ACTION_USERS_MANAGE),
        (ACTION_USERS_MANAGE, Some(_)) => {
            Err(WireError::bad_request(format!("action `{ACTION_USERS_MANAGE}` takes no `device`")))
        }
        (ACTION_DEVICE_CONTROL, Some(_)) => Ok(ACTION_DEVICE_CONTROL),
        (ACTION_DEVICE_CONTROL, None) => {
            Err(WireError::bad_request(format!("action `{ACTION_DEVICE_CONTROL}` needs `device`")))
        }
        (other, _) => Err(WireError::bad_request(format!(
            "unknown action `{}`; expected `{ACTION_USERS_MANAGE}` or `{ACTION_DEVICE_CONTROL}`",
            truncate(other, 64)
        ))),
    }
}

/// The fields of `check`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CheckFields {
    pub(super) actor: Id,
    pub(super) action: String,
    pub(super) home: String,
    pub(super) device: Option<Id>,
}

/// The fields of `who_can`: `check`'s question without an actor.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WhoCanFields {
    action: String,
    home: String,
    device: Option<Id>,
}

/// The fields of `what_can`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WhatCanFields {
    pub(super) user: Id,
}

/// A fact of a decision's chain: `{"fact": kind, kind: subject, key: value}`.
fn fact(kind: &'static str, subject: Value, key: &'static str, value: Value) -> Value {
    object_of(&mut [("fact", kind.into()), (kind, subject), (key, value)])
}

impl HomeEngine {
    /// A Decision (core/WIRE.md) and whether it allows.
    pub(super) fn decide(
        &self,
        actor: &Id,
        action: &str,
        home_id: &str,
        device: Option<&Id>,
    ) -> Result<(Value, bool), WireError> {
        let action = parse_action(action, device)?;
        let mut chain = Vec::new();
        let held = self.facts(actor, action, home_id, device, &mut chain);
        let allowed = held == Ok(true);
        let (status, reason) = match held {
            Ok(true) => ("ok", "role_permits"),
            Ok(false) => ("forbidden", "insufficient_role"),
            Err(missing) => ("not_found", missing),
        };
        let decision = object_of(&mut [
            ("allowed", allowed.into()),
            ("status", status.into()),
            ("reason", reason.into()),
            ("chain", Value::Array(chain)),
        ]);
        Ok((decision, allowed))
    }

    /// The facts a decision rests on, pushed to `chain`: whether the role holds the permission,
    /// or the reason code of what is not there.
    fn facts(
        &self,
        actor: &Id,
        action: &str,
        home_id: &str,
        device: Option<&Id>,
        chain: &mut Vec<Value>,
    ) -> Result<bool, Refusal> {
        let home = self.state.home(home_id);
        chain.push(fact("home", home_id.into(), "exists", home.is_some().into()));
        let home = home.ok_or("no_such_home")?;
        let user = home.user(actor);
        let role = user.map(|u| u.role.as_str());
        chain.push(fact("user", user.map_or(actor, |u| &u.user_id).to_value(), "role", role.into()));
        let user = user.ok_or("not_home_member")?;
        let permission = match (action, device) {
            (ACTION_DEVICE_CONTROL, Some(id)) => {
                let device = home.devices.iter().find(|d| d.id == *id);
                let class = device.map(|d| d.class.as_str());
                chain.push(fact("device", device.map_or(id, |d| &d.id).to_value(), "class", class.into()));
                Policy::device_permission(device.ok_or("no_such_device")?.class)
            }
            _ => P_MANAGE_USERS,
        };
        let held = self.policy.role_holds(&user.role, permission);
        chain.push(object_of(&mut [
            ("fact", "rule".into()),
            ("rule", "role_permissions".into()),
            ("permission", self.policy.catalog.code(permission).into()),
            ("held", held.into()),
        ]));
        Ok(held)
    }

    pub(super) fn who_can(&self, req: &WhoCanFields) -> Result<Value, WireError> {
        parse_action(&req.action, req.device.as_ref())?;
        let mut users: Vec<Id> = Vec::new();
        if let Some(home) = self.state.home(&req.home) {
            for u in &home.users {
                if self.decide(&u.user_id, &req.action, &req.home, req.device.as_ref())?.1 {
                    users.push(u.user_id.clone());
                }
            }
        }
        users.sort();
        let mut list = Vec::with_capacity(users.len());
        for id in &users {
            list.push(id.to_value());
        }
        Ok(object_of(&mut [("everyone", false.into()), ("users", Value::Array(list))]))
    }

    pub(super) fn what_can(&self, user: &Id) -> Value {
        let mut roles = Vec::new();
        for h in &self.state.homes {
            if let Some(u) = h.user(user) {
                roles
                    .push(object_of(&mut [("home", h.id.as_str().into()), ("role", u.role.as_str().into())]));
            }
        }
        let run = capabilities(&self.policy, &self.state, Some(user));
        let caps = caps_missing(&run, &[]);
        object_of(&mut [
            ("user", user.to_value()),
            ("roles", Value::Array(roles)),
            ("capabilities", Value::Array(caps)),
        ])
    }
}
