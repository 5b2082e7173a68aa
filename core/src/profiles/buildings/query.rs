//! `check`, `who_can` and `what_can`: decisions and the reverse questions.

use std::cmp::Ordering;

use serde::Deserialize;

use crate::error::WireError;
use crate::policy::{ObjectFacts, Reach};
use crate::util::truncate;
use crate::value::{Map, ToJson, Value, object_of};

use super::engine::BuildingsEngine;
use super::policy::{ACTION_GROUP_CHANGE, ACTION_GROUP_VIEW, PERMISSION_SETS, type_code};
use super::text::opt_text;

/// The fields of `check`: who asks, and what (`object` with a permission set, `user_group` with
/// the group actions).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CheckFields {
    actor: String,
    action: String,
    object: Option<String>,
    user_group: Option<String>,
}

/// The fields of `who_can`: `check`'s question without an actor.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WhoCanFields {
    action: String,
    object: Option<String>,
    user_group: Option<String>,
}

/// The fields of `what_can`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WhatCanFields {
    pub(super) user: String,
}

impl CheckFields {
    /// Who asks, and what.
    pub(super) fn target(self) -> Result<(String, Target), WireError> {
        Ok((self.actor, target(self.action, self.object, self.user_group)?))
    }
}

impl WhoCanFields {
    /// What is asked.
    pub(super) fn target(self) -> Result<Target, WireError> {
        target(self.action, self.object, self.user_group)
    }
}
/// What a check asks about.
#[derive(Debug, Clone)]
pub(super) enum Target {
    /// A permission set, on one object or on any.
    Permission { code: String, object: Option<String> },
    /// Seeing a user group.
    GroupView(String),
    /// Changing or deleting a user group.
    GroupChange(String),
}

fn target(action: String, object: Option<String>, user_group: Option<String>) -> Result<Target, WireError> {
    if action == ACTION_GROUP_VIEW || action == ACTION_GROUP_CHANGE {
        return match (object, user_group) {
            (None, Some(g)) if action == ACTION_GROUP_VIEW => Ok(Target::GroupView(g)),
            (None, Some(g)) => Ok(Target::GroupChange(g)),
            _ => Err(WireError::bad_request(format!("action `{action}` needs `user_group` and no `object`"))),
        };
    }
    if !PERMISSION_SETS.iter().any(|(c, ..)| *c == action) {
        return Err(WireError::bad_request(format!(
            "unknown action `{}`; expected a permission set code, `{ACTION_GROUP_VIEW}` or `{ACTION_GROUP_CHANGE}`",
            truncate(&action, 64)
        )));
    }
    if user_group.is_some() {
        return Err(WireError::bad_request(format!("action `{action}` takes `object`, not `user_group`")));
    }
    Ok(Target::Permission { code: action, object })
}

/// One thing a user can do.
#[derive(Debug, Clone)]
struct Cap {
    action: String,
    /// `object` (an object-level permission set on that object), `within` (another permission set
    /// anywhere under that object; absent: everywhere) or `user_group`.
    key: &'static str,
    id: Option<String>,
}

impl Cap {
    /// The order of capabilities: by action, key, then id (none first). One function serves the
    /// sort and the searches.
    #[inline(never)]
    fn order(&self, other: &Cap) -> Ordering {
        self.action.cmp(&other.action).then(self.key.cmp(other.key)).then_with(|| self.id.cmp(&other.id))
    }

    fn to_json(&self) -> Value {
        let mut members = vec![("action", Value::from(self.action.clone()))];
        if let Some(id) = &self.id {
            members.push((self.key, Value::from(id.clone())));
        }
        object_of(&mut members)
    }
}

impl BuildingsEngine {
    /// A Decision (core/WIRE.md) and whether it allows. `trace`: build the chain.
    pub(super) fn decide(&self, actor_id: &str, target: &Target, trace: bool) -> (Value, bool) {
        let mut chain = Vec::new();
        let (allowed, status, reason) = self.verdict(actor_id, target, trace, &mut chain);
        let decision = object_of(&mut [
            ("allowed", Value::Bool(allowed)),
            ("status", Value::from(status)),
            ("reason", Value::from(reason)),
            ("chain", Value::Array(chain)),
        ]);
        (decision, allowed)
    }

    /// Whether `actor_id` may do `target`, the decision's status and reason. With `trace`, the
    /// facts that led there are added to `chain` (made only then: who_can decides for every
    /// user).
    fn verdict(
        &self,
        actor_id: &str,
        target: &Target,
        trace: bool,
        chain: &mut Vec<Value>,
    ) -> (bool, &'static str, &'static str) {
        const NOT_FOUND: &str = "not_found";
        const FORBIDDEN: &str = "forbidden";
        let Some(actor) = self.user(actor_id) else {
            if trace {
                exists_fact(chain, "user", actor_id, false, &mut []);
            }
            return (false, NOT_FOUND, "no_such_user");
        };
        if trace {
            exists_fact(
                chain,
                "user",
                &actor.id,
                true,
                &mut [
                    ("type", Value::from(actor.kind.as_str())),
                    ("partner", opt_text(actor.partner.as_deref())),
                    ("customer", opt_text(actor.customer.as_deref())),
                ],
            );
        }
        let holding = self.holding(&actor.id);
        let p = &self.policy;
        match target {
            Target::Permission { code, object } => {
                let Some(perm) = p.catalog.id(code) else {
                    return (false, FORBIDDEN, "permission_not_held");
                };
                if trace {
                    for (g, info) in self.state.user_groups.iter().zip(&self.groups) {
                        if g.users.contains(&actor.id) && info.holding.reach(perm).is_some() {
                            let listed = g.permission_sets.0.iter().find(|(c, _)| c == code);
                            chain.push(object_of(&mut [
                                ("fact", Value::from("grant")),
                                ("user_group", Value::from(g.id.clone())),
                                ("permission_set", Value::from(code.clone())),
                                ("objects", listed.map_or(Value::Array(Vec::new()), |(_, l)| l.to_json())),
                                ("implied", Value::Bool(listed.is_none())),
                                ("scope", reach_json(&info.scope)),
                            ]));
                        }
                    }
                }
                let Some(object) = object else {
                    return if holding.permissions().contains(perm) {
                        (true, "ok", "group_permits")
                    } else {
                        (false, FORBIDDEN, "permission_not_held")
                    };
                };
                let Some(t) = self.objects.object_type(object) else {
                    if trace {
                        exists_fact(chain, "object", object, false, &mut []);
                    }
                    return (false, NOT_FOUND, "unknown_object");
                };
                if trace {
                    exists_fact(
                        chain,
                        "object",
                        object,
                        true,
                        &mut [
                            ("type", Value::from(type_code(t))),
                            ("parent", opt_text(self.objects.parent_object(object))),
                        ],
                    );
                }
                if !self.can_view_object(actor, holding, object) {
                    if trace {
                        chain.push(object_of(&mut [
                            ("fact", Value::from("rule")),
                            ("rule", Value::from("view_needed")),
                        ]));
                    }
                    return (false, NOT_FOUND, "not_visible");
                }
                match p.model.allows(&p.catalog, &self.objects, holding, perm, object) {
                    Ok(()) => (true, "ok", "group_permits"),
                    Err(d) => (false, FORBIDDEN, d.code()),
                }
            }
            Target::GroupView(gid) | Target::GroupChange(gid) => {
                let Some((_, g)) = self.group(gid) else {
                    if trace {
                        exists_fact(chain, "user_group", gid, false, &mut []);
                    }
                    return (false, NOT_FOUND, "no_such_user_group");
                };
                if trace {
                    exists_fact(
                        chain,
                        "user_group",
                        &g.id,
                        true,
                        &mut [
                            ("type", Value::from(g.kind.as_str())),
                            ("company", opt_text(g.company())),
                            ("member", Value::Bool(g.users.contains(&actor.id))),
                        ],
                    );
                }
                if !self.can_view_group(actor, holding, g) {
                    return (false, NOT_FOUND, "not_visible");
                }
                if matches!(target, Target::GroupView(_)) {
                    return (true, "ok", "group_visible");
                }
                match self.may_manage_group(actor, holding, g) {
                    Ok(()) => (true, "ok", "group_permits"),
                    Err(reason) => (false, FORBIDDEN, reason),
                }
            }
        }
    }

    pub(super) fn who_can(&self, target: &Target) -> Value {
        let mut users = Vec::new();
        for u in &self.state.users {
            if self.verdict(&u.id, target, false, &mut Vec::new()).0 {
                users.push(u.id.as_str());
            }
        }
        users.sort_unstable();
        object_of(&mut [("everyone", Value::Bool(false)), ("users", users.to_json())])
    }

    /// What `user` can do.
    pub(super) fn capabilities(&self, user: &str) -> Caps {
        let mut caps = Vec::new();
        let Some(actor) = self.user(user) else { return Caps::new(caps) };
        let holding = self.holding(user);
        let p = &self.policy;
        for (perm, reach) in holding.iter() {
            let code = p.catalog.code(perm).to_string();
            match p.model.object_type_of(perm) {
                Some(t) => {
                    for (id, ot, _) in &self.objects.objects {
                        if *ot == t && p.model.reach_contains(&self.objects, reach, id) {
                            caps.push(Cap { action: code.clone(), key: "object", id: Some(id.clone()) });
                        }
                    }
                }
                None => match reach {
                    Reach::Everything => {
                        caps.push(Cap { action: code, key: "within", id: None });
                    }
                    Reach::Under(roots) => {
                        for r in roots {
                            caps.push(Cap { action: code.clone(), key: "within", id: Some(r.clone()) });
                        }
                    }
                },
            }
        }
        for g in &self.state.user_groups {
            if !self.can_view_group(actor, holding, g) {
                continue;
            }
            caps.push(Cap { action: ACTION_GROUP_VIEW.into(), key: "user_group", id: Some(g.id.clone()) });
            if self.may_manage_group(actor, holding, g).is_ok() {
                caps.push(Cap {
                    action: ACTION_GROUP_CHANGE.into(),
                    key: "user_group",
                    id: Some(g.id.clone()),
                });
            }
        }
        Caps::new(caps)
    }

    pub(super) fn capabilities_of(&self, user: &str) -> Vec<Value> {
        self.capabilities(user).json(None)
    }
}

/// What a user can do, sorted. No repeats: one entry per permission held, objects and roots are
/// unique, and so are group ids.
pub(super) struct Caps {
    list: Vec<Cap>,
}

impl Caps {
    fn new(mut list: Vec<Cap>) -> Caps {
        list.sort_by(Cap::order);
        Caps { list }
    }

    fn contains(&self, c: &Cap) -> bool {
        self.list.binary_search_by(|x| x.order(c)).is_ok()
    }

    /// The capabilities in order as JSON; with `other`, only those it lacks.
    pub(super) fn json(&self, other: Option<&Caps>) -> Vec<Value> {
        let mut out = Vec::new();
        for c in &self.list {
            if other.is_none_or(|o| !o.contains(c)) {
                out.push(c.to_json());
            }
        }
        out
    }
}

/// Adds to `chain` the fact that `what` `id` exists or not (members `fact`, `what`, `exists`),
/// then the members of `more`.
#[inline(never)]
fn exists_fact(chain: &mut Vec<Value>, what: &str, id: &str, exists: bool, more: &mut [(&str, Value)]) {
    let mut m = Map::with_capacity(3 + more.len());
    m.insert("fact".to_string(), Value::from(what));
    m.insert(what.to_string(), Value::from(id));
    m.insert("exists".to_string(), Value::Bool(exists));
    for (k, v) in more {
        m.insert(k.to_string(), std::mem::take(v));
    }
    chain.push(Value::Object(m));
}

fn reach_json(r: &Reach) -> Value {
    match r {
        Reach::Everything => Value::from("everything"),
        Reach::Under(roots) => roots.to_json(),
    }
}
