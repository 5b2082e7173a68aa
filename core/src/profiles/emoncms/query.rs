//! Reverse questions: who can do A on O; everything U can do; and what-if: the access each person
//! gains and loses if hypothetical changes were applied. Answers are complete, never cut.

use serde::Serialize;

use super::decide::{self, Action, NoTrace, ObjectKind};
use super::model::{Change, Id, Role};
use super::policy::{Perm, policy};
use super::snapshot::{Dense, Facts, Member, Overlay, Snapshot};
use crate::error::WireError;

/// One thing a user may do: an action and its object; written as `{"action": …}` plus the object
/// ids the action takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Capability {
    pub action: Action,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub group: Option<Id>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub user: Option<Id>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub feed: Option<Id>,
}

/// Who may do an action on an object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WhoCan {
    /// True when anyone, even anonymous, may (a public feed).
    pub everyone: bool,
    /// Users allowed on grounds other than `everyone`, ascending.
    pub users: Vec<Id>,
}

/// What one user gains and loses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AccessDiff {
    pub user: Id,
    pub gains: Vec<Capability>,
    pub loses: Vec<Capability>,
}

/// The `what_can` op's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "WhatCan"))]
pub(crate) struct WhatCanAnswer {
    pub(crate) user: Id,
    pub(crate) capabilities: Vec<Capability>,
    /// Always true: other users' public feeds are readable by everyone and not listed.
    pub(crate) public_feeds: bool,
}

/// The `what_if` op's answer: who gains and loses what, by user ascending; users whose access
/// does not change are left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "WhatIf"))]
pub(crate) struct WhatIfAnswer {
    pub(crate) diff: Vec<AccessDiff>,
}

/// Checks that the object fields fit the action.
pub(crate) fn check_object(
    action: Action,
    group: Option<Id>,
    user: Option<Id>,
    feed: Option<Id>,
) -> Result<(), String> {
    let (g, u, f) = match action.object() {
        ObjectKind::Group => (true, false, false),
        ObjectKind::Member => (true, true, false),
        ObjectKind::Feed => (false, false, true),
    };
    for (needed, given, name) in
        [(g, group.is_some(), "group"), (u, user.is_some(), "user"), (f, feed.is_some(), "feed")]
    {
        if needed && !given {
            return Err(format!("action `{}` needs field `{name}`", action.as_str()));
        }
        if !needed && given {
            return Err(format!("action `{}` takes no field `{name}`", action.as_str()));
        }
    }
    Ok(())
}

/// Everyone who may do `action` on the object. Candidates are the members of the group (only
/// members can hold a role there) or, for a feed, its owner and the members of the owner's groups.
pub(crate) fn who_can<F: Facts>(
    f: &F,
    action: Action,
    group: Option<Id>,
    user: Option<Id>,
    feed: Option<Id>,
) -> WhoCan {
    let mut users = Vec::new();
    let mut everyone = false;
    match action.object() {
        ObjectKind::Group | ObjectKind::Member => {
            let Some(gid) = group else {
                return WhoCan { everyone, users: Vec::new() };
            };
            if let Some(g) = f.group_dense(gid) {
                for m in f.members(g) {
                    let actor = f.user(m.user).id();
                    if decide::decide(f, actor, action, group, user, None, &mut NoTrace)
                        .is_ok_and(|d| d.allowed)
                    {
                        users.push(actor);
                    }
                }
            }
        }
        ObjectKind::Feed => {
            let Some(fid) = feed else {
                return WhoCan { everyone, users: Vec::new() };
            };
            if let Some(fd) = f.feed_dense(fid) {
                let (owner, public) = f.feed_meta(fd);
                everyone = public;
                users.push(f.user(owner).id());
                let pol = policy();
                for mo in f.groups_of(owner) {
                    for m in f.members(mo.group) {
                        if pol.holds(pol.role_permissions(m.role()), Perm::MemberFeeds) {
                            users.push(f.user(m.user).id());
                        }
                    }
                }
            }
        }
    }
    WhoCan { everyone, users: into_set(users) }
}

/// `ids` sorted and without repeats: the sets of ids here are sorted `Vec`s, found in by binary
/// search.
fn into_set(mut ids: Vec<Id>) -> Vec<Id> {
    ids.sort();
    ids.dedup();
    ids
}

fn in_set(set: &[Id], id: Id) -> bool {
    set.binary_search(&id).is_ok()
}

/// Adds the ids of the feeds of `u` to `feeds`.
fn push_feeds<F: Facts>(f: &F, u: Dense, feeds: &mut Vec<Id>) {
    for &fd in f.feeds_of(u) {
        feeds.push(f.feed_id(fd));
    }
}

/// The actions on a group, or on a member, in `Action::ALL` order.
fn actions_on(kind: ObjectKind) -> impl Iterator<Item = Action> {
    Action::ALL.into_iter().filter(move |a| a.object() == kind)
}

/// Everything user `user_id` may do, sorted. Other users' public feeds are readable by everyone
/// and not listed.
pub(crate) fn what_can(snap: &Snapshot, user_id: Id) -> Vec<Capability> {
    // Read through an overlay without changes: what_if's comparison reads overlays, so the
    // capability code is there once.
    what_can_within(&Overlay::new(snap), user_id, &Scope::ALL)
}

/// The member actions `user_id`, holding `held` in group `gid`, may take on member `tid`.
fn member_caps<F: Facts>(
    f: &F,
    user_id: Id,
    held: crate::policy::PermSet,
    gid: Id,
    tid: Id,
    caps: &mut Vec<Capability>,
) {
    let pol = policy();
    for action in actions_on(ObjectKind::Member) {
        if pol.holds(held, action.permission())
            && decide::member_action(f, user_id, action, gid, tid, &mut NoTrace).allowed
        {
            caps.push(Capability { action, group: Some(gid), user: Some(tid), feed: None });
        }
    }
}

/// `caps` with a read capability for each of `feeds`, all sorted.
fn with_feeds(mut caps: Vec<Capability>, feeds: Vec<Id>) -> Vec<Capability> {
    for id in into_set(feeds) {
        caps.push(Capability { action: Action::FeedRead, group: None, user: None, feed: Some(id) });
    }
    caps.sort();
    caps
}

/// Which capabilities of one person a set of changes can alter; everything outside is the same
/// before and after, so it is not computed (what_if would otherwise list every feed of every
/// member for each manager, twice). Each list is sorted; `None` is everything.
struct Scope<'a> {
    /// Touched groups: their group actions are compared.
    groups: Option<&'a [Id]>,
    /// Touched groups whose member actions are compared for every target, not only touched users
    /// (the person's own membership there changed, or the group's administrator count did: the
    /// last-administrator rule reads it. With today's roles only administrators remove members,
    /// so that count never changes a capability; it is compared anyway, so that a change of the
    /// role tables cannot make a preview wrong).
    every_target: Option<&'a [Id]>,
    /// Touched users: member actions on them are compared in every group (account rules read a
    /// target's memberships everywhere).
    users: &'a [Id],
    /// Owners whose feeds the person may gain or lose (`None`: every owner, oneself included).
    owners: Option<&'a [Id]>,
}

impl Scope<'_> {
    /// Everything: [`what_can`].
    const ALL: Scope<'static> = Scope { groups: None, every_target: None, users: &[], owners: None };
}

/// Is `id` in `set` (`None` being every id)?
fn in_scope(set: Option<&[Id]>, id: Id) -> bool {
    set.is_none_or(|set| in_set(set, id))
}

/// The part of what `user_id` may do inside `scope` (see [`what_can`]), sorted.
fn what_can_within<F: Facts>(f: &F, user_id: Id, scope: &Scope) -> Vec<Capability> {
    let Some(u) = f.user_dense(user_id) else {
        return Vec::new();
    };
    let pol = policy();
    let (mut caps, mut feeds) = (Vec::new(), Vec::new());
    let mut feed_groups: Vec<Dense> = Vec::new();
    for mo in f.groups_of(u) {
        let held = pol.role_permissions(mo.role);
        if held.is_empty() {
            continue;
        }
        let gid = f.group(mo.group).id;
        if in_scope(scope.groups, gid) {
            for action in actions_on(ObjectKind::Group) {
                if pol.holds(held, action.permission()) {
                    caps.push(Capability { action, group: Some(gid), user: None, feed: None });
                }
            }
        }
        if pol.holds(held, Perm::MemberFeeds) {
            feed_groups.push(mo.group);
        }
        if !pol.holds(held, Perm::MembersList) {
            continue;
        }
        let every = in_scope(scope.every_target, gid);
        if !every && scope.users.is_empty() {
            continue;
        }
        for m in f.members(mo.group) {
            let tid = f.user(m.user).id();
            if !every && !in_set(scope.users, tid) {
                continue;
            }
            member_caps(f, user_id, held, gid, tid, &mut caps);
            if scope.owners.is_none() && pol.holds(held, Perm::MemberFeeds) {
                push_feeds(f, m.user, &mut feeds);
            }
        }
    }
    // Feeds: an owner's feeds are readable through any group the two share where the person's role
    // holds `member.feeds`; one's own feeds always are, before and after.
    let Some(owners) = scope.owners else {
        push_feeds(f, u, &mut feeds);
        return with_feeds(caps, feeds);
    };
    for &owner in owners {
        let Some(o) = f.user_dense(owner).filter(|&o| o != u) else {
            continue;
        };
        if f.groups_of(o).iter().any(|m| feed_groups.contains(&m.group)) {
            push_feeds(f, o, &mut feeds);
        }
    }
    with_feeds(caps, feeds)
}

/// Applies `changes` to an overlay of `snap` and reports, person by person, the capabilities
/// gained and lost. Only people whose access can change are examined: the users whose memberships
/// change, the members of touched groups, and the managers of every group those users belong to
/// (account rules look at a target's roles in all groups). For each, only the capabilities the
/// changes can alter are compared ([`Scope`]); the answer is the same as comparing [`what_can`]
/// before and after in full (a test checks this on random changes).
pub(crate) fn what_if(
    snap: &Snapshot,
    changes: &[Change],
    only: Option<&[Id]>,
) -> Result<Vec<AccessDiff>, WireError> {
    let mut overlay = Overlay::new(snap);
    let mut touched_users: Vec<Dense> = Vec::new();
    let mut touched_groups: Vec<Dense> = Vec::new();
    for (i, change) in changes.iter().enumerate() {
        apply_change(&mut overlay, change, &mut touched_users, &mut touched_groups)
            .map_err(|m| WireError::bad_request(format!("change {i}: {m}")))?;
    }

    let touched_users = into_set(touched_users);
    let touched_groups = into_set(touched_groups);

    // Who to examine, by id.
    let pol = policy();
    let before_members =
        |g: Dense| -> &[Member] { if (g as usize) < snap.group_count() { snap.members(g) } else { &[] } };
    let id_of = |u: Dense| overlay.user(u).id();
    let mut members_of_touched = Vec::new();
    for &g in &touched_groups {
        for list in [before_members(g), overlay.members(g)] {
            for m in list {
                members_of_touched.push(id_of(m.user));
            }
        }
    }
    let mut people = members_of_touched.clone();
    for &u in &touched_users {
        people.push(id_of(u));
        let mut groups = Vec::new();
        for m in overlay.groups_of(u) {
            groups.push(m.group);
        }
        if (u as usize) < snap.users.len() {
            for m in snap.groups_of(u) {
                groups.push(m.group);
            }
        }
        // The managers of each, before and after.
        for g in groups {
            for list in [before_members(g), overlay.members(g)] {
                for m in list {
                    if pol.holds(pol.role_permissions(m.role()), Perm::MembersList) {
                        people.push(id_of(m.user));
                    }
                }
            }
        }
    }
    let people = into_set(people);

    // The scope of the comparison (see `Scope`), in ids: dense ids of new rows differ between
    // the snapshot and the overlay.
    let (mut group_ids, mut user_ids, mut admins_changed) = (Vec::new(), Vec::new(), Vec::new());
    for &g in &touched_groups {
        let id = overlay.group(g).id;
        group_ids.push(id);
        let before = if (g as usize) < snap.group_count() { decide::administrators(snap, g) } else { 0 };
        if before != decide::administrators(&overlay, g) {
            admins_changed.push(id);
        }
    }
    for &u in &touched_users {
        user_ids.push(id_of(u));
    }
    let (group_ids, user_ids, admins_changed) =
        (into_set(group_ids), into_set(user_ids), into_set(admins_changed));
    members_of_touched.extend_from_slice(&user_ids);
    let members_of_touched = into_set(members_of_touched);

    // The snapshot seen through an overlay without changes: one copy of the comparison's code
    // serves both sides.
    let unchanged = Overlay::new(snap);
    let mut diffs = Vec::new();
    for id in people {
        if only.is_some_and(|only| !only.contains(&id)) {
            continue;
        }
        // Someone whose own memberships did not change keeps every capability except those on
        // touched users, in groups whose administrator count changed, and on touched owners' feeds.
        let changed_self = in_set(&user_ids, id);
        let scope = Scope {
            groups: Some(&group_ids),
            every_target: Some(if changed_self { &group_ids } else { &admins_changed }),
            users: &user_ids,
            owners: Some(if changed_self { &members_of_touched } else { &user_ids }),
        };
        let before = what_can_within(&unchanged, id, &scope);
        let after = what_can_within(&overlay, id, &scope);
        let (gains, loses) = diff_sorted(&before, &after);
        if !gains.is_empty() || !loses.is_empty() {
            diffs.push(AccessDiff { user: id, gains, loses });
        }
    }
    Ok(diffs)
}

/// Applies one change of [`what_if`] to `o`, noting the users and groups whose memberships it
/// touches.
fn apply_change(
    o: &mut Overlay,
    change: &Change,
    users: &mut Vec<Dense>,
    groups: &mut Vec<Dense>,
) -> Result<(), String> {
    let group = |o: &Overlay, id: Id| o.group_dense(id).ok_or_else(|| format!("no group {id}"));
    let (groupid, userid, set) = match change {
        Change::InsertGroup { .. } => {
            let row = change.inserted_group().ok_or("not a group")?;
            groups.push(o.add_group(row)?);
            return Ok(());
        }
        Change::UpdateGroup { id, .. } => return group(o, *id).map(|_| ()),
        Change::DeleteGroup { id } => {
            let g = group(o, *id)?;
            groups.push(g);
            for m in o.members(g) {
                users.push(m.user);
            }
            o.delete_group(g);
            return Ok(());
        }
        Change::InsertMembership { groupid, userid, role, admin_rights } => {
            (*groupid, *userid, Some((*role, admin_rights == "full")))
        }
        Change::UpdateMembership { groupid, userid, role, admin_rights } => {
            (*groupid, *userid, Some((*role, admin_rights.as_deref() == Some("full"))))
        }
        Change::DeleteMembership { groupid, userid } => (*groupid, *userid, None),
        // Profile and credential changes do not change access.
        Change::UpdateUserProfile { .. }
        | Change::SetUsername { .. }
        | Change::SetEmail { .. }
        | Change::SetPassword { .. } => return Ok(()),
    };
    // A membership change: an insertion may name a user not loaded yet, the others a member.
    let g = group(o, groupid)?;
    let u = if matches!(change, Change::InsertMembership { .. }) {
        Some(o.ensure_user(userid))
    } else {
        o.user_dense(userid).filter(|&u| o.membership(g, u).is_some())
    };
    let u = u.ok_or_else(|| format!("user {userid} is not a member of group {groupid}"))?;
    match set {
        Some((role, full)) => o.set_membership(g, u, Role::from_code(role), full),
        None => {
            o.remove_membership(g, u);
        }
    }
    users.push(u);
    groups.push(g);
    Ok(())
}

/// (in `after` only, in `before` only) of two sorted lists.
fn diff_sorted(before: &[Capability], after: &[Capability]) -> (Vec<Capability>, Vec<Capability>) {
    use std::cmp::Ordering;
    let (mut gains, mut loses) = (Vec::new(), Vec::new());
    let (mut i, mut j) = (0, 0);
    loop {
        let (b, a) = (before.get(i), after.get(j));
        let order = match (b, a) {
            (Some(b), Some(a)) => b.cmp(a),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => break,
        };
        match order {
            Ordering::Less => {
                loses.extend(b.copied());
                i += 1;
            }
            Ordering::Greater => {
                gains.extend(a.copied());
                j += 1;
            }
            Ordering::Equal => {
                i += 1;
                j += 1;
            }
        }
    }
    (gains, loses)
}

/// The facts `viewer` may see about group `group_id`, for a browser to run the engine on (the
/// access preview). Only an actor who may list the group's members gets anything, and nothing
/// the viewer's own member list (userlist) does not show: the group's row; its memberships; the
/// members' users rows without `admin` and `access` (site administrator, login disabled or
/// read-only: userlist shows neither), and without e-mail, bio, location and inputs unless the
/// viewer may see profiles; their feeds only if the viewer may read members' feeds; and nothing
/// about other groups (not even pseudonyms: two members sharing one would show). The preview
/// therefore cannot foresee a refusal that rests on those facts (impersonating a site
/// administrator, removing an account that is in another group); the server still refuses, and
/// the page shows its answer.
pub(crate) fn redact(
    snap: &Snapshot,
    viewer: Id,
    group_id: Id,
) -> Result<super::model::State, super::decide::Decision> {
    use super::model::State;
    let d = decide::group_action(snap, viewer, Action::MembersList, group_id, &mut NoTrace);
    if !d.allowed {
        return Err(d);
    }
    let Some(g) = snap.group_dense(group_id) else {
        return Err(d);
    };
    let pol = policy();
    let viewer_role =
        snap.user_dense(viewer).and_then(|v| snap.membership(g, v)).map_or(Role::Invalid, |m| m.role);
    let held = pol.role_permissions(viewer_role);
    let (profiles, feeds) = (pol.holds(held, Perm::MemberProfile), pol.holds(held, Perm::MemberFeeds));

    let mut state = State { groups: vec![snap.group(g).clone()], ..State::default() };
    for m in snap.members(g) {
        state.memberships.push(snap.membership_row(g, m));
        let mut user = snap.user(m.user).to_row();
        user.admin = false;
        user.access = None;
        if !profiles {
            user.email = None;
            user.bio = None;
            user.location = None;
            user.inputs = None;
        }
        if feeds {
            for &f in snap.feeds_of(m.user) {
                state.feeds.push(snap.feed_row(f));
            }
        }
        state.users.push(user);
    }
    Ok(state)
}
