//! The held facts of the profile, and the rules that read them: who sees what, who manages which
//! groups.

use crate::error::WireError;
use crate::policy::{Grant, Holding, ObjectFacts, Objects, Reach};
use crate::util::truncate;

use super::objects::ObjectIndex;
use super::policy::{BUILDING, CUSTOMER, PARTNER, Policy};
use super::state::{GroupRow, Kind, PermissionSets, State, UserRow, repeats};
use super::text::quoted;

/// What one stored group gives: its scope, its expanded grant, what that reaches.
#[derive(Debug, Clone)]
pub(super) struct GroupInfo {
    pub(super) scope: Reach,
    pub(super) holding: Holding,
}

/// The held facts of the `buildings` profile.
#[derive(Debug)]
pub struct BuildingsEngine {
    pub(super) policy: Policy,
    pub(super) state: State,
    pub(super) objects: ObjectIndex,
    pub(super) groups: Vec<GroupInfo>,
    /// (user id, what the user holds through all its groups), sorted by user id.
    holdings: Vec<(String, Holding)>,
    /// What a user in no group holds: nothing (`holding` lends it, no Holding made per question).
    nothing: Holding,
}

impl BuildingsEngine {
    pub(super) fn from_state(policy: Policy, state: State) -> Result<BuildingsEngine, WireError> {
        let objects = ObjectIndex::new(&state)?;
        validate_users(&state, &objects)?;
        let repeated = repeats(state.user_groups.iter().map(|g| g.id.as_str()));
        let mut groups = Vec::with_capacity(state.user_groups.len());
        for (g, again) in state.user_groups.iter().zip(repeated) {
            validate_group_row(&policy, &state, &objects, g)?;
            if again {
                return Err(WireError::invalid_state(quoted("user group ", &g.id, " is listed twice")));
            }
            groups.push(stored_group_info(&policy, &objects, g));
        }
        // (member, group) pairs sorted by member (stably: each member's groups in state order).
        let mut members: Vec<(&str, &GroupInfo)> = Vec::new();
        for (g, info) in state.user_groups.iter().zip(&groups) {
            for u in &g.users {
                members.push((u.as_str(), info));
            }
        }
        members.sort_by_key(|(u, _)| *u);
        let mut holdings: Vec<(String, Holding)> = Vec::new();
        for (u, info) in members {
            match holdings.last_mut() {
                Some((last, h)) if last == u => h.merge(&info.holding),
                _ => holdings.push((u.to_string(), info.holding.clone())),
            }
        }
        Ok(BuildingsEngine { policy, state, objects, groups, holdings, nothing: Holding::default() })
    }

    pub(super) fn user(&self, id: &str) -> Option<&UserRow> {
        self.state.users.iter().find(|u| u.id == id)
    }

    pub(super) fn holding(&self, user: &str) -> &Holding {
        let at = self.holdings.binary_search_by(|h| h.0.as_str().cmp(user));
        at.ok().and_then(|i| self.holdings.get(i)).map_or(&self.nothing, |(_, h)| h)
    }

    /// The stored group `id`, and its place in the state.
    pub(super) fn group(&self, id: &str) -> Option<(usize, &GroupRow)> {
        self.state.user_groups.iter().enumerate().find(|(_, g)| g.id == id)
    }

    /// Whether `actor` may see object `id`: every partner; a customer with `view_customers` on
    /// it (or being that customer's user); a building with `view_buildings` on it.
    pub(super) fn can_view_object(&self, actor: &UserRow, holding: &Holding, id: &str) -> bool {
        let p = &self.policy;
        let allows = |perm| p.model.allows(&p.catalog, &self.objects, holding, perm, id).is_ok();
        match self.objects.object_type(id) {
            Some(PARTNER) => true,
            Some(CUSTOMER) => {
                (actor.kind == Kind::Customer && actor.customer.as_deref() == Some(id))
                    || allows(p.view_customers)
            }
            Some(BUILDING) => allows(p.view_buildings),
            _ => false,
        }
    }

    /// Whether `actor` may create, change or delete groups of type `kind` belonging to
    /// `company`; the denial's code when not.
    pub(super) fn may_manage(
        &self,
        actor: &UserRow,
        holding: &Holding,
        kind: Kind,
        company: &str,
    ) -> Result<(), &'static str> {
        if actor.kind < kind {
            return Err("type_above_actor");
        }
        let p = &self.policy;
        let perm = if kind == Kind::Customer { p.manage_customer_groups } else { p.manage_partner_groups };
        p.model.allows(&p.catalog, &self.objects, holding, perm, company).map_err(|d| d.code())
    }

    /// Whether `actor` may change or delete group `g` as it is stored (stored groups have a
    /// company); the denial's code when not.
    pub(super) fn may_manage_group(
        &self,
        actor: &UserRow,
        holding: &Holding,
        g: &GroupRow,
    ) -> Result<(), &'static str> {
        self.may_manage(actor, holding, g.kind, g.company().unwrap_or_default())
    }

    /// Whether `actor` may see group `g`: a member, a user of the same company and type, whoever
    /// may manage it, and (for a customer's group) whoever may view that customer.
    pub(super) fn can_view_group(&self, actor: &UserRow, holding: &Holding, g: &GroupRow) -> bool {
        if g.users.contains(&actor.id) {
            return true;
        }
        let Some(company) = g.company() else { return false };
        if actor.kind == g.kind && actor.company() == Some(company) {
            return true;
        }
        if self.may_manage(actor, holding, g.kind, company).is_ok() {
            return true;
        }
        g.kind == Kind::Customer && self.can_view_object(actor, holding, company)
    }
}

fn validate_users(state: &State, objects: &ObjectIndex) -> Result<(), WireError> {
    let repeated = repeats(state.users.iter().map(|u| u.id.as_str()));
    for (u, again) in state.users.iter().zip(repeated) {
        if u.id.is_empty() {
            return Err(WireError::invalid_state("a user has an empty `id`"));
        }
        if again {
            return Err(WireError::invalid_state(quoted("user ", &u.id, " is listed twice")));
        }
        let (needed, needed_type, field, other, other_name) = match u.kind {
            Kind::Customer => (&u.customer, CUSTOMER, "customer", &u.partner, "partner"),
            Kind::Partner | Kind::Gooee => (&u.partner, PARTNER, "partner", &u.customer, "customer"),
        };
        match needed {
            Some(c) if objects.is(c, needed_type) => {}
            Some(c) => {
                return Err(WireError::invalid_state(format!(
                    "user `{}` names unknown {field} `{}`",
                    truncate(&u.id, 64),
                    truncate(c, 64)
                )));
            }
            None => {
                return Err(WireError::invalid_state(format!(
                    "user `{}` of type `{}` needs `{field}`",
                    truncate(&u.id, 64),
                    u.kind.as_str()
                )));
            }
        }
        if other.is_some() {
            return Err(WireError::invalid_state(format!(
                "user `{}` of type `{}` has no `{other_name}`",
                truncate(&u.id, 64),
                u.kind.as_str()
            )));
        }
    }
    Ok(())
}

/// References of a stored group: codes known, companies and users existing. The constraints of
/// writes (delegation, tiers, types) are checked when a group is written, not on every load.
fn validate_group_row(
    policy: &Policy,
    state: &State,
    objects: &ObjectIndex,
    g: &GroupRow,
) -> Result<(), WireError> {
    let gid = truncate(&g.id, 64);
    if g.id.is_empty() {
        return Err(WireError::invalid_state("a user group has an empty `id`"));
    }
    for (code, _) in &g.permission_sets.0 {
        if policy.catalog.id(code).is_none() {
            return Err(WireError::invalid_state(format!(
                "user group `{gid}` names unknown permission set `{}`",
                truncate(code, 64)
            )));
        }
    }
    for (field, id, t) in [("partner", &g.partner, PARTNER), ("customer", &g.customer, CUSTOMER)]
        .map(|(f, id, t)| (f, id.as_deref(), t))
    {
        if let Some(id) = id
            && !objects.is(id, t)
        {
            return Err(WireError::invalid_state(format!(
                "user group `{gid}` names unknown {field} `{}`",
                truncate(id, 64)
            )));
        }
    }
    if g.company().is_none() {
        return Err(WireError::invalid_state(format!(
            "user group `{gid}` of type `{}` needs `{}`",
            g.kind.as_str(),
            if g.kind == Kind::Customer { "customer" } else { "partner" }
        )));
    }
    for u in &g.users {
        if !state.users.iter().any(|r| r.id == *u) {
            return Err(WireError::invalid_state(format!(
                "user group `{gid}` names unknown user `{}`",
                truncate(u, 64)
            )));
        }
    }
    Ok(())
}

/// The scope of a group: everything for gooee, else its company's objects; narrowed to the
/// listed partner and customer scopes when there are any.
pub(super) fn group_scope(
    policy: &Policy,
    objects: &ObjectIndex,
    kind: Kind,
    company: Option<&str>,
    partner_scopes: &[String],
    customer_scopes: &[String],
) -> Reach {
    let base = match (kind, company) {
        (Kind::Gooee, _) => Reach::Everything,
        (_, Some(c)) => Reach::of_ids(vec![c.to_string()]),
        (_, None) => Reach::Under(Default::default()),
    };
    if partner_scopes.is_empty() && customer_scopes.is_empty() {
        return base;
    }
    let mut ids = Vec::with_capacity(partner_scopes.len() + customer_scopes.len());
    ids.extend_from_slice(partner_scopes);
    ids.extend_from_slice(customer_scopes);
    let narrowed = Reach::of_ids(ids);
    policy.model.intersect(objects, &base, &narrowed)
}

/// The grant of a stored group. Ids that no longer name an object of a fitting type grant
/// nothing; a list left with none of its ids grants nothing (it never becomes "all objects").
fn stored_grant(policy: &Policy, objects: &ObjectIndex, sets: &PermissionSets) -> Grant {
    let mut grant = Grant::new();
    for (code, list) in &sets.0 {
        let Some(p) = policy.catalog.id(code) else { continue };
        if list.is_empty() {
            grant.add(p, Objects::All);
            continue;
        }
        let Some(pt) = policy.model.object_type_of(p) else { continue };
        let mut kept = Vec::new();
        for id in list {
            if objects.object_type(id).is_some_and(|t| policy.model.types().is_at_or_above(t, pt)) {
                kept.push(id.clone());
            }
        }
        if !kept.is_empty() {
            grant.add(p, Objects::of_ids(kept));
        }
    }
    grant
}

fn stored_group_info(policy: &Policy, objects: &ObjectIndex, g: &GroupRow) -> GroupInfo {
    let scope = group_scope(policy, objects, g.kind, g.company(), &g.partner_scopes, &g.customer_scopes);
    let grant = stored_grant(policy, objects, &g.permission_sets);
    // Every kept id has a complete chain of parents (checked by ObjectIndex::new), so expansion
    // cannot fail; if it ever did, the group keeps only what it lists.
    let grant = policy.model.expand(&policy.catalog, objects, &grant).unwrap_or(grant);
    let holding = policy.model.holding(objects, &grant, &scope);
    GroupInfo { scope, holding }
}

/// Who is asking and what they hold.
#[derive(Debug)]
pub(super) struct Ctx<'a> {
    pub(super) actor: &'a UserRow,
    pub(super) holding: &'a Holding,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::ProfileEngine;
    use crate::profiles::buildings::testing::*;
    use crate::value::json;

    #[test]
    fn stale_ids_grant_nothing_and_never_become_all() {
        let engine = BuildingsEngine::build(state()).unwrap();
        let p = &engine.policy;
        let h = engine.holding("u");
        // control_fixtures listed only a vanished building: not held at all.
        assert!(h.reach(p.catalog.id("control_fixtures").unwrap()).is_none());
        assert_eq!(h.reach(p.view_buildings), Some(&Reach::under(&["B"])));
        // The implied parent view is there.
        assert_eq!(h.reach(p.view_customers), Some(&Reach::under(&["C"])));
        assert!(!p.model.reach_contains(&engine.objects, h.reach(p.view_buildings).unwrap(), "B2"));
    }

    #[test]
    fn state_is_strict_and_consistent() {
        let mut cases = Vec::new();
        let mut s = state();
        s["extra"] = json!(1);
        cases.push(s);
        let mut s = state();
        s["buildings"][1]["id"] = json!("C");
        cases.push(s);
        let mut s = state();
        s["buildings"][0]["customer"] = json!("P");
        cases.push(s);
        let mut s = state();
        s["users"][0]["customer"] = json!(null);
        cases.push(s);
        let mut s = state();
        s["users"][0]["partner"] = json!("P");
        cases.push(s);
        let mut s = state();
        s["user_groups"][0]["permission_sets"] = json!({"fly": []});
        cases.push(s);
        let mut s = state();
        s["user_groups"][0]["users"] = json!(["nobody"]);
        cases.push(s);
        let mut s = state();
        s["user_groups"][0]["customer"] = json!(null);
        cases.push(s);
        let mut s = state();
        s["user_groups"][0]["type"] = json!("admin");
        cases.push(s);
        let mut s = state();
        s["user_groups"][0]["permission_sets"] = json!({"view_buildings": "B"});
        cases.push(s);
        let mut s = state();
        let g = s["user_groups"][0].clone();
        s["user_groups"].as_array_mut().unwrap().push(g);
        cases.push(s);
        for s in cases {
            let a = call(json!({"v": 1, "op": "what_can", "profile": "buildings", "user": "u", "state": s}));
            assert_eq!(a["error"]["code"], "invalid_state", "{s}: {a}");
        }
    }
}
