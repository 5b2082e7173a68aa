//! Decisions: allowed or not, a status, a stable reason code, and (on request) the chain of facts
//! that led there. The rules are written once, generic over [`Facts`] (a snapshot, or a what-if
//! overlay on one) and over [`Trace`] (no-op for fast checks, a fact list for explanations).

use super::model::{Id, Role};
use super::policy::{Perm, policy};
use super::snapshot::{Dense, Facts, MemberOf};

/// Every action the emoncms profile decides. See `WIRE.md` for their objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Action {
    #[cfg_attr(feature = "ts", ts(rename = "group.view"))]
    GroupView,
    #[cfg_attr(feature = "ts", ts(rename = "group.summary"))]
    GroupSummary,
    #[cfg_attr(feature = "ts", ts(rename = "group.aggregate"))]
    GroupAggregate,
    #[cfg_attr(feature = "ts", ts(rename = "group.edit"))]
    GroupEdit,
    #[cfg_attr(feature = "ts", ts(rename = "group.delete"))]
    GroupDelete,
    #[cfg_attr(feature = "ts", ts(rename = "members.list"))]
    MembersList,
    #[cfg_attr(feature = "ts", ts(rename = "members.add"))]
    MembersAdd,
    #[cfg_attr(feature = "ts", ts(rename = "members.remove"))]
    MembersRemove,
    #[cfg_attr(feature = "ts", ts(rename = "member.feeds"))]
    MemberFeeds,
    #[cfg_attr(feature = "ts", ts(rename = "member.profile"))]
    MemberProfile,
    #[cfg_attr(feature = "ts", ts(rename = "member.set_role"))]
    MemberSetRole,
    #[cfg_attr(feature = "ts", ts(rename = "member.edit_account"))]
    MemberEditAccount,
    #[cfg_attr(feature = "ts", ts(rename = "member.impersonate"))]
    MemberImpersonate,
    #[cfg_attr(feature = "ts", ts(rename = "member.delete_account"))]
    MemberDeleteAccount,
    #[cfg_attr(feature = "ts", ts(rename = "member.send_login"))]
    MemberSendLogin,
    #[cfg_attr(feature = "ts", ts(rename = "feed.read"))]
    FeedRead,
}

/// What object an action is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    Group,
    Member,
    Feed,
}

impl Action {
    /// Every action, in their sort order.
    pub const ALL: [Action; 16] = [
        Action::GroupView,
        Action::GroupSummary,
        Action::GroupAggregate,
        Action::GroupEdit,
        Action::GroupDelete,
        Action::MembersList,
        Action::MembersAdd,
        Action::MembersRemove,
        Action::MemberFeeds,
        Action::MemberProfile,
        Action::MemberSetRole,
        Action::MemberEditAccount,
        Action::MemberImpersonate,
        Action::MemberDeleteAccount,
        Action::MemberSendLogin,
        Action::FeedRead,
    ];

    /// The name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::GroupView => "group.view",
            Action::GroupSummary => "group.summary",
            Action::GroupAggregate => "group.aggregate",
            Action::GroupEdit => "group.edit",
            Action::GroupDelete => "group.delete",
            Action::MembersList => "members.list",
            Action::MembersAdd => "members.add",
            Action::MembersRemove => "members.remove",
            Action::MemberFeeds => "member.feeds",
            Action::MemberProfile => "member.profile",
            Action::MemberSetRole => "member.set_role",
            Action::MemberEditAccount => "member.edit_account",
            Action::MemberImpersonate => "member.impersonate",
            Action::MemberDeleteAccount => "member.delete_account",
            Action::MemberSendLogin => "member.send_login",
            Action::FeedRead => "feed.read",
        }
    }

    /// Parses a wire name.
    pub fn parse(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == name)
    }

    /// The object the action is about.
    pub fn object(self) -> ObjectKind {
        match self {
            Action::GroupView
            | Action::GroupSummary
            | Action::GroupAggregate
            | Action::GroupEdit
            | Action::GroupDelete
            | Action::MembersList
            | Action::MembersAdd => ObjectKind::Group,
            Action::FeedRead => ObjectKind::Feed,
            _ => ObjectKind::Member,
        }
    }

    /// The permission a role must hold for the action.
    pub(crate) fn permission(self) -> Perm {
        match self {
            Action::GroupView => Perm::GroupView,
            Action::GroupSummary => Perm::GroupSummary,
            Action::GroupAggregate => Perm::GroupAggregate,
            Action::GroupEdit => Perm::GroupEdit,
            Action::GroupDelete => Perm::GroupDelete,
            Action::MembersList => Perm::MembersList,
            Action::MembersAdd | Action::MembersRemove | Action::MemberSetRole => Perm::MembersManage,
            Action::MemberFeeds | Action::FeedRead => Perm::MemberFeeds,
            Action::MemberProfile => Perm::MemberProfile,
            Action::MemberEditAccount
            | Action::MemberImpersonate
            | Action::MemberDeleteAccount
            | Action::MemberSendLogin => Perm::MemberAccount,
        }
    }

    fn is_account_action(self) -> bool {
        matches!(
            self,
            Action::MemberEditAccount
                | Action::MemberImpersonate
                | Action::MemberDeleteAccount
                | Action::MemberSendLogin
        )
    }
}

/// `ok`, `not_found` (may not even see the object) or `forbidden` (may see it, may not act).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Status {
    Ok,
    NotFound,
    Forbidden,
}

impl Status {
    /// The wire name: `ok`, `not_found`, `forbidden`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::NotFound => "not_found",
            Status::Forbidden => "forbidden",
        }
    }
}

/// Stable reason codes of decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Reason {
    // allowed
    /// The actor's role in the group holds the permission.
    RolePermits,
    /// The actor owns the feed.
    Owner,
    /// The feed is public.
    PublicFeed,
    /// The actor acts on its own account.
    #[cfg_attr(feature = "ts", ts(rename = "self"))]
    SelfAccount,
    // not allowed
    NotAuthenticated,
    NoSuchGroup,
    NoSuchFeed,
    NotGroupMember,
    PassiveMember,
    InvalidStoredRole,
    NotGroupAdmin,
    InsufficientRole,
    TargetNotMember,
    TargetIsSelf,
    ReadOnlyRights,
    TargetIsAdministrator,
    TargetIsSiteAdmin,
    TargetInOtherGroups,
    TargetLoginDisabled,
    LastAdministrator,
    FeedNotShared,
}

impl Reason {
    /// Every reason.
    pub const ALL: [Reason; 21] = [
        Reason::RolePermits,
        Reason::Owner,
        Reason::PublicFeed,
        Reason::SelfAccount,
        Reason::NotAuthenticated,
        Reason::NoSuchGroup,
        Reason::NoSuchFeed,
        Reason::NotGroupMember,
        Reason::PassiveMember,
        Reason::InvalidStoredRole,
        Reason::NotGroupAdmin,
        Reason::InsufficientRole,
        Reason::TargetNotMember,
        Reason::TargetIsSelf,
        Reason::ReadOnlyRights,
        Reason::TargetIsAdministrator,
        Reason::TargetIsSiteAdmin,
        Reason::TargetInOtherGroups,
        Reason::TargetLoginDisabled,
        Reason::LastAdministrator,
        Reason::FeedNotShared,
    ];

    /// The code on the wire.
    pub fn code(self) -> &'static str {
        match self {
            Reason::RolePermits => "role_permits",
            Reason::Owner => "owner",
            Reason::PublicFeed => "public_feed",
            Reason::SelfAccount => "self",
            Reason::NotAuthenticated => "not_authenticated",
            Reason::NoSuchGroup => "no_such_group",
            Reason::NoSuchFeed => "no_such_feed",
            Reason::NotGroupMember => "not_group_member",
            Reason::PassiveMember => "passive_member",
            Reason::InvalidStoredRole => "invalid_stored_role",
            Reason::NotGroupAdmin => "not_group_admin",
            Reason::InsufficientRole => "insufficient_role",
            Reason::TargetNotMember => "target_not_member",
            Reason::TargetIsSelf => "target_is_self",
            Reason::ReadOnlyRights => "read_only_rights",
            Reason::TargetIsAdministrator => "target_is_administrator",
            Reason::TargetIsSiteAdmin => "target_is_site_admin",
            Reason::TargetInOtherGroups => "target_in_other_groups",
            Reason::TargetLoginDisabled => "target_login_disabled",
            Reason::LastAdministrator => "last_administrator",
            Reason::FeedNotShared => "feed_not_shared",
        }
    }

    /// A sentence for people (the access preview shows it on hover).
    pub fn explain(self) -> &'static str {
        match self {
            Reason::RolePermits => "the role in the group allows it",
            Reason::Owner => "the feed belongs to this user",
            Reason::PublicFeed => "the feed is public",
            Reason::SelfAccount => "it is the user's own account",
            Reason::NotAuthenticated => "nobody is logged in",
            Reason::NoSuchGroup => "the group does not exist",
            Reason::NoSuchFeed => "the feed does not exist",
            Reason::NotGroupMember => "the user is not a member of the group",
            Reason::PassiveMember => "passive members do not see the group",
            Reason::InvalidStoredRole => "the stored role is not one of 0-4 and grants nothing",
            Reason::NotGroupAdmin => "only group administrators may do this",
            Reason::InsufficientRole => "the user's role in the group does not allow this",
            Reason::TargetNotMember => "the target user is not a member of the group",
            Reason::TargetIsSelf => "this cannot be done to one's own account",
            Reason::ReadOnlyRights => "the group has only read rights over this member's account",
            Reason::TargetIsAdministrator => {
                "the target administers a group; accounts of administrators are never taken over"
            }
            Reason::TargetIsSiteAdmin => "the target is a site administrator",
            Reason::TargetInOtherGroups => "the target belongs to other groups",
            Reason::TargetLoginDisabled => "the target's login is disabled",
            Reason::LastAdministrator => "a group must keep at least one administrator",
            Reason::FeedNotShared => "the feed is not shared with this user through any group",
        }
    }
}

/// The outcome of a check. `Copy`, no allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub status: Status,
    pub reason: Reason,
}

impl Decision {
    pub(crate) const fn allow(reason: Reason) -> Decision {
        Decision { allowed: true, status: Status::Ok, reason }
    }
    pub(crate) const fn not_found(reason: Reason) -> Decision {
        Decision { allowed: false, status: Status::NotFound, reason }
    }
    pub(crate) const fn forbidden(reason: Reason) -> Decision {
        Decision { allowed: false, status: Status::Forbidden, reason }
    }
}

/// One fact of a decision's chain; on the wire an object tagged by `fact` (`group`,
/// `membership`, `feed`, `account`, `rule`), absent values as null.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "fact", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Fact {
    /// Whether the group exists.
    Group { group: Id, exists: bool },
    /// A user's role in a group (`role` null: not a member).
    Membership { group: Id, user: Id, role: Option<i64>, admin_rights: Option<&'static str> },
    /// A feed, its owner and whether it is public (`owner` null: no such feed).
    Feed { feed: Id, owner: Option<Id>, public: bool },
    /// What the account rules look at on the target.
    Account { user: Id, site_admin: bool, administers: Vec<Id>, groups: usize, access: Option<u8> },
    /// A profile rule that decided.
    Rule { rule: &'static str },
}

/// The `check` op's answer: a decision and the facts that led there, in order.
#[derive(Debug, Clone, Copy, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "Decision"))]
pub struct Explained<'a> {
    pub allowed: bool,
    /// `ok` when allowed; `not_found` when the actor may not even see the object; `forbidden`
    /// otherwise.
    pub status: Status,
    /// A stable reason code.
    pub reason: Reason,
    pub chain: &'a [Fact],
}

impl<'a> Explained<'a> {
    /// The decision `d` with its chain.
    pub fn new(d: Decision, chain: &'a [Fact]) -> Explained<'a> {
        Explained { allowed: d.allowed, status: d.status, reason: d.reason, chain }
    }
}

/// Collects facts when asked; the no-op tracer costs nothing.
pub(crate) trait Trace {
    /// Whether facts are recorded at all (`false`: their closures are never called).
    const ON: bool;
    /// Records one fact.
    fn push(&mut self, fact: Fact);
    /// Records the fact `f` builds, when recording. Inlined, so the only per-tracer code is
    /// [`Trace::push`], not one copy per fact closure.
    #[inline(always)]
    fn fact(&mut self, f: impl FnOnce() -> Fact) {
        if Self::ON {
            self.push(f());
        }
    }
}

/// Records nothing.
pub(crate) struct NoTrace;

impl Trace for NoTrace {
    const ON: bool = false;
    #[inline(always)]
    fn push(&mut self, _fact: Fact) {}
}

impl Trace for Vec<Fact> {
    const ON: bool = true;
    fn push(&mut self, fact: Fact) {
        Vec::push(self, fact);
    }
}

fn rights_text(full: bool) -> &'static str {
    if full { "full" } else { "read" }
}

fn membership_fact<F: Facts>(f: &F, g: Dense, u_id: Id, m: Option<MemberOf>) -> Fact {
    // The stored role integer is the group's member's.
    let raw = || {
        let u = f.user_dense(u_id)?;
        let members = f.members(g);
        let i = members.binary_search_by_key(&u, |m| m.user).ok()?;
        members.get(i).map(|m| i64::from(m.raw))
    };
    Fact::Membership {
        group: f.group(g).id,
        user: u_id,
        role: m.and_then(|_| raw()),
        admin_rights: m.map(|m| rights_text(m.full)),
    }
}

/// May `actor` do `action` on group `group_id` (the group-level part of every group and member
/// action)? On success also returns the dense group and the actor's membership.
pub(crate) fn group_level<F: Facts, T: Trace>(
    f: &F,
    actor: Id,
    action: Action,
    group_id: Id,
    t: &mut T,
) -> Result<(Dense, Dense, MemberOf), Decision> {
    let g = f.group_dense(group_id);
    t.fact(|| Fact::Group { group: group_id, exists: g.is_some() });
    let Some(g) = g else {
        return Err(Decision::not_found(Reason::NoSuchGroup));
    };
    if actor == 0 {
        return Err(Decision::not_found(Reason::NotAuthenticated));
    }
    let a = f.user_dense(actor);
    let m = a.and_then(|a| f.membership(g, a));
    t.fact(|| membership_fact(f, g, actor, m));
    let (Some(a), Some(m)) = (a, m) else {
        return Err(Decision::not_found(Reason::NotGroupMember));
    };
    let pol = policy();
    let held = pol.role_permissions(m.role);
    if held.is_empty() {
        return Err(Decision::not_found(match m.role {
            Role::Passive => Reason::PassiveMember,
            _ => Reason::InvalidStoredRole,
        }));
    }
    let need = action.permission();
    if !pol.holds(held, need) {
        t.fact(|| Fact::Rule { rule: pol.code(need) });
        return Err(Decision::forbidden(if pol.admin_only(need) {
            Reason::NotGroupAdmin
        } else {
            Reason::InsufficientRole
        }));
    }
    Ok((g, a, m))
}

/// Decides a group-level action.
pub(crate) fn group_action<F: Facts, T: Trace>(
    f: &F,
    actor: Id,
    action: Action,
    group_id: Id,
    t: &mut T,
) -> Decision {
    group_or_member(f, actor, action, group_id, None, t)
}

/// Decides an action on member `target_id` of group `group_id`.
pub(crate) fn member_action<F: Facts, T: Trace>(
    f: &F,
    actor: Id,
    action: Action,
    group_id: Id,
    target_id: Id,
    t: &mut T,
) -> Decision {
    group_or_member(f, actor, action, group_id, Some(target_id), t)
}

/// Decides a group-level action (`target` `None`) or an action on member `target` of the group:
/// the one caller of [`group_level`], so each instantiation holds the group rules once.
fn group_or_member<F: Facts, T: Trace>(
    f: &F,
    actor: Id,
    action: Action,
    group_id: Id,
    target: Option<Id>,
    t: &mut T,
) -> Decision {
    let (g, a, _) = match group_level(f, actor, action, group_id, t) {
        Ok(x) => x,
        Err(d) => return d,
    };
    let Some(target_id) = target else {
        return Decision::allow(Reason::RolePermits);
    };
    let target = f.user_dense(target_id);
    let tm = target.and_then(|u| f.membership(g, u));
    t.fact(|| membership_fact(f, g, target_id, tm));
    let (Some(target), Some(tm)) = (target, tm) else {
        return Decision::not_found(Reason::TargetNotMember);
    };
    target_rules(f, action, g, a, target, tm, t)
}

/// The rules on the target member, once the actor's role allows the action.
fn target_rules<F: Facts, T: Trace>(
    f: &F,
    action: Action,
    g: Dense,
    actor: Dense,
    target: Dense,
    tm: MemberOf,
    t: &mut T,
) -> Decision {
    let is_self = actor == target;
    match action {
        Action::MembersRemove => {
            // The sole administrator removing itself is, first of all, the last administrator.
            if tm.role == Role::Administrator && administrators(f, g) <= 1 {
                return Decision::forbidden(Reason::LastAdministrator);
            }
            if is_self {
                return Decision::forbidden(Reason::TargetIsSelf);
            }
            Decision::allow(Reason::RolePermits)
        }
        // A role changes only through setuserinfo, an edit of the member's account: the same
        // rules on the target (the page offered "Edit" where the server then refused).
        a if a.is_account_action() || a == Action::MemberSetRole => {
            if is_self {
                t.fact(|| Fact::Rule { rule: "own_account" });
                // One's own account: edit it (its role too) and mail oneself the login (as 2.0.0
                // allowed); never impersonate or delete oneself.
                return if matches!(
                    action,
                    Action::MemberEditAccount | Action::MemberSendLogin | Action::MemberSetRole
                ) {
                    Decision::allow(Reason::SelfAccount)
                } else {
                    Decision::forbidden(Reason::TargetIsSelf)
                };
            }
            let user = f.user(target);
            let groups = f.groups_of(target);
            t.fact(|| {
                let mut administers = Vec::new();
                for m in groups {
                    if matches!(m.role, Role::Administrator | Role::SubAdministrator) {
                        administers.push(f.group(m.group).id);
                    }
                }
                Fact::Account {
                    user: user.id(),
                    site_admin: user.admin(),
                    administers,
                    groups: groups.len(),
                    access: user.access(),
                }
            });
            if !tm.full {
                t.fact(|| Fact::Rule { rule: "target_rights_full" });
                return Decision::forbidden(Reason::ReadOnlyRights);
            }
            if groups.iter().any(|m| matches!(m.role, Role::Administrator | Role::SubAdministrator)) {
                t.fact(|| Fact::Rule { rule: "target_administers_no_group" });
                return Decision::forbidden(Reason::TargetIsAdministrator);
            }
            let actor_site_admin = f.user(actor).admin();
            if user.admin() && (action == Action::MemberDeleteAccount || !actor_site_admin) {
                t.fact(|| Fact::Rule { rule: "target_not_site_admin" });
                return Decision::forbidden(Reason::TargetIsSiteAdmin);
            }
            if action == Action::MemberDeleteAccount && groups.len() > 1 {
                t.fact(|| Fact::Rule { rule: "target_in_no_other_group" });
                return Decision::forbidden(Reason::TargetInOtherGroups);
            }
            if action == Action::MemberImpersonate && user.access() == Some(0) {
                t.fact(|| Fact::Rule { rule: "target_login_enabled" });
                return Decision::forbidden(Reason::TargetLoginDisabled);
            }
            Decision::allow(Reason::RolePermits)
        }
        _ => Decision::allow(Reason::RolePermits),
    }
}

/// Number of administrators of `g`.
pub(crate) fn administrators<F: Facts>(f: &F, g: Dense) -> usize {
    f.members(g).iter().filter(|m| m.role() == Role::Administrator).count()
}

/// May `actor` read feed `feed_id`? Public, own, or owned by a member of a group where the actor's
/// role holds `member.feeds`. The hot path of getfeed: no allocation with [`NoTrace`].
pub(crate) fn feed_read<F: Facts, T: Trace>(f: &F, actor: Id, feed_id: Id, t: &mut T) -> Decision {
    let Some(feed) = f.feed_dense(feed_id) else {
        t.fact(|| Fact::Feed { feed: feed_id, owner: None, public: false });
        return Decision::not_found(Reason::NoSuchFeed);
    };
    let (owner, public) = f.feed_meta(feed);
    t.fact(|| Fact::Feed { feed: feed_id, owner: Some(f.user(owner).id()), public });
    if public {
        return Decision::allow(Reason::PublicFeed);
    }
    if actor == 0 {
        return Decision::not_found(Reason::NotAuthenticated);
    }
    let Some(a) = f.user_dense(actor) else {
        return Decision::not_found(Reason::FeedNotShared);
    };
    if a == owner {
        return Decision::allow(Reason::Owner);
    }
    // Merge-walk the two sorted membership lists.
    let pol = policy();
    let (mine, theirs) = (f.groups_of(a), f.groups_of(owner));
    let (mut i, mut j) = (0, 0);
    while let (Some(&m), Some(&o)) = (mine.get(i), theirs.get(j)) {
        let (gi, gj) = (m.group, o.group);
        if gi < gj {
            i += 1;
        } else if gj < gi {
            j += 1;
        } else {
            if pol.holds(pol.role_permissions(m.role), Perm::MemberFeeds) {
                t.fact(|| membership_fact(f, gi, actor, Some(m)));
                t.fact(|| membership_fact(f, gi, f.user(owner).id(), Some(o)));
                return Decision::allow(Reason::RolePermits);
            }
            i += 1;
            j += 1;
        }
    }
    Decision::not_found(Reason::FeedNotShared)
}

/// Decides any action (the wire's `check`). `group`, `user`, `feed` are the object fields.
pub(crate) fn decide<F: Facts, T: Trace>(
    f: &F,
    actor: Id,
    action: Action,
    group: Option<Id>,
    user: Option<Id>,
    feed: Option<Id>,
    t: &mut T,
) -> Result<Decision, String> {
    let kind = action.object();
    if kind == ObjectKind::Feed {
        return Ok(feed_read(f, actor, feed.ok_or("missing field `feed`")?, t));
    }
    let group = group.ok_or("missing field `group`")?;
    let target = match kind {
        ObjectKind::Member => Some(user.ok_or("missing field `user`")?),
        _ => None,
    };
    Ok(group_or_member(f, actor, action, group, target, t))
}

/// An action is written as its wire name.
impl serde::Serialize for Action {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A reason is written as its code.
impl serde::Serialize for Reason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}
