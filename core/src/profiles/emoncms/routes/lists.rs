//! The lists: grouplist, userlist, mygroups, getuserfeeds, getsessionuserrole, summary,
//! aggregate and the preview's snapshot.

use std::borrow::Cow;

use super::*;

/// A group's member list as userlist answers it (and mygroups, under each group's `users`).
#[derive(Serialize)]
#[serde(untagged)]
enum Members<'a> {
    /// The viewer may not see the list: 2.0.0's failure body.
    Refused(Value),
    List(Vec<Member<'a>>),
}

/// One member of a list, in 2.0.0's key order; the profile fields only for who may see them.
#[derive(Serialize)]
struct Member<'a> {
    userid: Id,
    username: Option<&'a str>,
    role: i64,
    admin_rights: Option<&'a str>,
    totalfeeds: usize,
    feedslist: Vec<FeedOut<'a>>,
    inputslist: Cow<'a, Value>,
    taskslist: [(); 0],
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bio: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<Option<&'a str>>,
    timezone: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<Option<&'a str>>,
    tags: Value,
}

/// One group of mygroups: its grouplist entry, then its members.
#[derive(Serialize)]
struct MyGroup<'a> {
    #[serde(flatten)]
    group: Map<String, Value>,
    users: Members<'a>,
}

impl<'a> Req<'a> {
    pub(super) fn grouplist(&self) -> Value {
        let Some(u) = self.snap.user_dense(self.actor()) else {
            return json!([]);
        };
        let mut entries: Vec<(Id, Value)> = Vec::new();
        for m in self.snap.groups_of(u) {
            let g = self.snap.group(m.group);
            if self.group_decision(Action::GroupView, g.id).allowed {
                entries.push((
                    g.id,
                    json!({"groupid": g.id, "name": g.name, "description": g.description,
                           "role": self.stored_role(m.group, u).unwrap_or(0)}),
                ));
            }
        }
        entries.sort_by_key(|e| e.0);
        Value::Array(entries.into_iter().map(|e| e.1).collect())
    }

    fn userlist_value(&self, gid: Id) -> Members<'a> {
        if !self.group_decision(Action::MembersList, gid).allowed {
            return Members::Refused(
                json!({"success": false, "message": "You have not got access to the list of users of this group"}),
            );
        }
        let Some(g) = self.group_dense(gid) else {
            return Members::List(Vec::new());
        };
        let pol = policy();
        let actor_role = self
            .snap
            .user_dense(self.actor())
            .and_then(|a| self.snap.membership(g, a))
            .map_or(Role::Invalid, |m| m.role);
        let full_profile = pol.holds(pol.role_permissions(actor_role), Perm::MemberProfile);
        let mut members: Vec<_> = self.snap.members(g).to_vec();
        members.sort_by_key(|m| self.snap.user(m.user).id());
        let mut list = Vec::with_capacity(members.len());
        for m in &members {
            let user = self.snap.user(m.user);
            let feeds = self.feeds_of(m.user);
            let profile = |field: Option<&'a str>| full_profile.then_some(field);
            list.push(Member {
                userid: user.id(),
                username: user.username(),
                role: i64::from(m.raw),
                admin_rights: self.snap.rights_text(m),
                totalfeeds: feeds.len(),
                feedslist: feeds,
                inputslist: match user.inputs() {
                    Some(inputs) if full_profile => Cow::Borrowed(inputs),
                    _ => Cow::Owned(json!({})),
                },
                taskslist: [],
                name: user.name(),
                bio: profile(user.bio()),
                location: profile(user.location()),
                timezone: user.timezone(),
                email: profile(user.email()),
                tags: user.tags_value(),
            });
        }
        Members::List(list)
    }

    /// The feed rows of a member, as the host wrote them.
    fn feeds_of(&self, u: Dense) -> Vec<FeedOut<'a>> {
        let snap: &'a Snapshot = self.snap;
        snap.feeds_of(u).iter().map(|&f| snap.feed_out(f)).collect()
    }

    pub(super) fn userlist(&self) -> Step<Outcome> {
        self.gate(Gate::Read)?;
        let gid = self.id_param("groupid", false)?;
        Ok(Outcome::json_of(&self.userlist_value(gid)))
    }

    pub(super) fn mygroups(&self) -> Step<Outcome> {
        self.gate(Gate::Read)?;
        let Value::Array(groups) = self.grouplist() else {
            return Ok(Outcome::json(json!([])));
        };
        let mut list = Vec::with_capacity(groups.len());
        for entry in groups {
            if let Value::Object(group) = entry {
                let gid = group.get("groupid").and_then(Value::as_u64).unwrap_or(0) as Id;
                list.push(MyGroup { users: self.userlist_value(gid), group });
            }
        }
        Ok(Outcome::json_of(&list))
    }

    pub(super) fn getuserfeeds(&self) -> Step<Outcome> {
        self.gate(Gate::Read)?;
        let gid = self.id_param("groupid", false)?;
        let uid = self.id_param("userid", false)?;
        let d = self.member_decision(Action::MemberFeeds, gid, uid);
        if !d.allowed {
            return Ok(Outcome::fail(match d.reason {
                Reason::TargetNotMember => "The user is not member of the group",
                _ => "You have not got access to user's feeds of this group",
            }));
        }
        let feeds = match self.snap.user_dense(uid) {
            Some(u) => self.feeds_of(u),
            None => Vec::new(),
        };
        Ok(Outcome::json_of(&feeds))
    }

    pub(super) fn getsessionuserrole(&self) -> Step<Outcome> {
        self.gate(Gate::Read)?;
        let role = self
            .given("groupid")
            .and_then(|raw| parse_id(&raw))
            .and_then(|gid| self.group_dense(gid))
            .zip(self.snap.user_dense(self.actor()))
            .and_then(|(g, u)| self.stored_role(g, u));
        Ok(Outcome::json(role.map_or(Value::Bool(false), |r| json!(r))))
    }

    pub(super) fn summary(&self) -> Step<Outcome> {
        self.gate(Gate::Read)?;
        let gid = self.id_param("groupid", false)?;
        if !self.group_decision(Action::GroupSummary, gid).allowed {
            return Ok(Outcome::fail("You are not a member of this group"));
        }
        let (Some(g), Some(u)) = (self.group_dense(gid), self.snap.user_dense(self.actor())) else {
            return Ok(Outcome::fail("You are not a member of this group"));
        };
        let row = self.snap.group(g);
        Ok(Outcome::json(json!({
            "groupid": row.id, "name": row.name, "description": row.description,
            "organization": row.organization, "area": row.area,
            "visibility": row.visibility.clone().unwrap_or_else(|| "private".into()),
            "access": row.access.clone().unwrap_or_else(|| "closed".into()),
            "role": self.stored_role(g, u).unwrap_or(0),
            "members": self.snap.members(g).len(),
        })))
    }

    pub(super) fn aggregate(&self) -> Step<Outcome> {
        self.gate(Gate::Read)?;
        let gid = self.id_param("groupid", false)?;
        if !self.group_decision(Action::GroupAggregate, gid).allowed {
            return Ok(Outcome::fail("User is not a member or does not have access to group"));
        }
        let now = self.now.ok_or_else(|| WireError::bad_request("route `aggregate` needs `now`"))?;
        let feedname = self.param("feedname").unwrap_or_default();
        let Some(g) = self.group_dense(gid) else {
            return Ok(Outcome::fail("User is not a member or does not have access to group"));
        };
        let viewer = self.actor();
        let me = self.snap.user_dense(viewer);
        let (mut sum, mut count) = (0.0f64, 0u64);
        // Each contributing household's own sum (a household is a member's account), in the
        // order of the members, the viewer's own left out: the viewer can take theirs away.
        let mut others: Vec<f64> = Vec::new();
        for m in self.snap.members(g) {
            let mut own: Option<f64> = None;
            for &f in self.snap.feeds_of(m.user) {
                let (time, value) = self.snap.feed_reading(f);
                let fresh = time.is_some_and(|t| (now as f64) - t <= 60.0);
                if self.snap.feed_name(f) == Some(feedname.as_str())
                    && fresh
                    && let Some(v) = value
                {
                    sum += v;
                    count += 1;
                    own = Some(own.unwrap_or(0.0) + v);
                }
            }
            if let Some(own) = own
                && Some(m.user) != me
            {
                others.push(own);
            }
        }
        let observer = me.and_then(|a| self.snap.membership(g, a)).is_some_and(|m| m.role == Role::Observer);
        if observer && let Err(why) = small_cell(&others) {
            // Neither the sum nor the count: either would tell of one household.
            return Ok(Outcome::json(json!({"result": null, "count": null, "withheld": why})));
        }
        Ok(Outcome::json(json!({"result": sum, "count": count})))
    }

    /// The redacted facts of one group for the browser's access preview (`query::redact`).
    pub(super) fn snapshot(&self) -> Step<Outcome> {
        self.gate(Gate::Read)?;
        let gid = self.id_param("groupid", false)?;
        /// The answer, written apart: its feed rows are the host's text (a tree of them would be
        /// parsed from that text and written again, tens of thousands of rows).
        #[derive(Serialize)]
        struct Snapshot<'a> {
            success: bool,
            groupid: Id,
            viewer: Id,
            state: &'a crate::profiles::emoncms::model::State,
        }
        match crate::profiles::emoncms::query::redact(self.snap, self.actor(), gid) {
            Ok(state) => Ok(Outcome::json_of(&Snapshot {
                success: true,
                groupid: gid,
                viewer: self.actor(),
                state: &state,
            })),
            Err(_) => Ok(Outcome::fail("You have not got access to the list of users of this group")),
        }
    }
}

/// The small-cell rule of an observer's aggregate: at least this many households other than the
/// observer's own contribute (a household: one member's account with a fresh feed of the name).
pub const MIN_OBSERVER_AGGREGATE: usize = 5;

/// …and none of them holds more than this share of their total (in percent, of absolute values).
pub const MAX_HOUSEHOLD_SHARE_PERCENT: f64 = 50.0;

/// Whether an observer may see an aggregate of these households' sums (the observer's own left
/// out); the reason code when not: `too_few_households`, `dominant_household`.
fn small_cell(others: &[f64]) -> Result<(), &'static str> {
    if others.len() < MIN_OBSERVER_AGGREGATE {
        return Err("too_few_households");
    }
    let total: f64 = others.iter().map(|v| v.abs()).sum();
    let largest = others.iter().map(|v| v.abs()).fold(0.0f64, f64::max);
    if total > 0.0 && largest * 100.0 > MAX_HOUSEHOLD_SHARE_PERCENT * total {
        return Err("dominant_household");
    }
    Ok(())
}
