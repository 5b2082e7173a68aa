//! Every route of the group module as a pure function: request in, `Outcome` out (the response
//! body exactly as emoncms clients expect it, plus the changes to write in one transaction, or a
//! `need` the host must answer first). The behaviour, message by message, is in `ROUTES.md`.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::value::{Map, Put, Reply, ToJson, Value, json};

use super::decide::{self, Action, Decision, NoTrace, Reason};
use super::model::{Change, GroupRow, Id, MAX_ID, Role};
use super::policy::{Perm, policy};
use super::snapshot::{Dense, Facts, FeedOut, Snapshot};
use crate::error::{ErrorCode, WireError};
use crate::profiles::Fields;
use crate::read::{self, Flag, Integer, LenientInt, Object, Text, id_of, kind_of};

/// What the host does with a route.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Answer `body` in `format` after writing `changes` in one transaction; set `session` keys.
    Done { format: &'static str, body: Body, changes: Vec<Change>, session: Option<Map<String, Value>> },
    /// Do one thing only the host can, then call again with the answer under `host.<kind>`.
    Need(Value),
}

/// A route's response body.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// A value, written as JSON (`json`) or as the text it holds (`text`, `redirect`).
    Value(Value),
    /// JSON already written: the member lists, whose feed rows are the host's own text.
    Json(String),
}

impl Outcome {
    fn json(body: Value) -> Outcome {
        Outcome::Done { format: "json", body: Body::Value(body), changes: Vec::new(), session: None }
    }
    /// A JSON body written from `body` (a typed list that borrows the host's feed rows).
    fn json_of(body: &impl Serialize) -> Outcome {
        let text = crate::value::to_string(body);
        Outcome::Done { format: "json", body: Body::Json(text), changes: Vec::new(), session: None }
    }
    fn changes(body: Value, changes: Vec<Change>) -> Outcome {
        Outcome::Done { format: "json", body: Body::Value(body), changes, session: None }
    }
    fn fail(message: &str) -> Outcome {
        Outcome::json(json!({"success": false, "message": message}))
    }
    /// `{"success": true, "message": …}` after writing `changes`.
    fn done(message: &str, changes: Vec<Change>) -> Outcome {
        Outcome::changes(json!({"success": true, "message": message}), changes)
    }
    fn text(message: &str) -> Outcome {
        Outcome::Done {
            format: "text",
            body: Body::Value(Value::String(format!("ERROR: {message}"))),
            changes: Vec::new(),
            session: None,
        }
    }
    fn redirect(to: &str, session: Option<Map<String, Value>>) -> Outcome {
        Outcome::Done {
            format: "redirect",
            body: Body::Value(Value::String(to.to_string())),
            changes: Vec::new(),
            session,
        }
    }
    fn need(kind: &str, fields: Value) -> Outcome {
        let mut need = Map::new();
        need.put("kind", kind.into());
        if let Value::Object(f) = fields {
            need.extend(f);
        }
        Outcome::Need(Value::Object(need))
    }

    /// The wire form.
    pub fn to_json(&self) -> Value {
        self.clone().into_reply().into_value()
    }

    /// The wire form, taking the outcome (a large body is moved, not copied; one written
    /// already stays text).
    pub(crate) fn into_reply(self) -> Reply {
        match self {
            Outcome::Done { format, body, changes, session } => {
                let (body, text) = match body {
                    Body::Value(v) => (v, None),
                    Body::Json(text) => (Value::Null, Some(text)),
                };
                let mut m = Map::new();
                m.put("outcome", "done".into());
                m.put("format", format.into());
                m.put("body", body);
                m.put("changes", Value::Array(changes.iter().map(Change::to_json).collect()));
                if let Some(s) = session {
                    m.put("session", Value::Object(s));
                }
                Reply { result: Value::Object(m), body: text }
            }
            Outcome::Need(need) => Reply::from(json!({"outcome": "need", "need": need})),
        }
    }
}

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

/// An early answer: a route's failure body, or a wire error.
enum Stop {
    Answer(Box<Outcome>),
    Error(WireError),
}

impl From<Outcome> for Stop {
    fn from(o: Outcome) -> Stop {
        Stop::Answer(Box::new(o))
    }
}
impl From<WireError> for Stop {
    fn from(e: WireError) -> Stop {
        Stop::Error(e)
    }
}

type Step<T> = Result<T, Stop>;

/// The emoncms session as the host computed it.
#[derive(Debug, Default)]
pub(crate) struct Session {
    userid: Id,
    read: bool,
    write: bool,
    admin: bool,
    apikey: bool,
    username: Option<String>,
    previous_userid: Option<Id>,
    previous_username: Option<String>,
    previous_admin: Option<bool>,
    previous_read: Option<bool>,
    previous_write: Option<bool>,
    /// Whom `setuser` made this session (log-back is only for that user's session).
    previous_target: Option<Id>,
    /// When (`now` of that setuser).
    previous_since: Option<i64>,
}

/// `session` as the wire has it: every field optional, null as absent.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "an object")]
struct SessionWire {
    userid: Option<SessionUser>,
    read: Option<Flag>,
    write: Option<Flag>,
    admin: Option<Flag>,
    apikey: Option<Flag>,
    username: Option<Text>,
    previous_userid: Option<SessionUser>,
    previous_username: Option<Text>,
    previous_admin: Option<Flag>,
    previous_read: Option<Flag>,
    previous_write: Option<Flag>,
    previous_target: Option<SessionUser>,
    previous_since: Option<LenientInt>,
}

impl From<SessionWire> for Session {
    fn from(w: SessionWire) -> Session {
        let flag = |f: Option<Flag>| f.is_some_and(|f| f.0);
        let user = |u: Option<SessionUser>| u.and_then(|u| u.0);
        Session {
            userid: user(w.userid).unwrap_or(0),
            read: flag(w.read),
            write: flag(w.write),
            admin: flag(w.admin),
            apikey: flag(w.apikey),
            username: w.username.map(|t| t.0),
            previous_userid: user(w.previous_userid),
            previous_username: w.previous_username.map(|t| t.0),
            previous_admin: w.previous_admin.map(|f| f.0),
            previous_read: w.previous_read.map(|f| f.0),
            previous_write: w.previous_write.map(|f| f.0),
            previous_target: user(w.previous_target),
            previous_since: w.previous_since.map(|i| i.0),
        }
    }
}

/// A session user id: 0, "0" or "" is nobody.
struct SessionUser(Option<Id>);

impl<'de> Deserialize<'de> for SessionUser {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<SessionUser, D::Error> {
        let v = Value::deserialize(d)?;
        let user = match &v {
            Value::Number(n) if n.as_u64() == Some(0) => Ok(None),
            Value::String(s) if s.is_empty() || s == "0" => Ok(None),
            _ => read::id_of(&v).map(Some),
        };
        user.map(SessionUser).map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Default)]
struct Context {
    appname: String,
    path: String,
}

/// `context` as the wire has it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "an object")]
struct ContextWire {
    appname: Option<Text>,
    path: Option<Text>,
}

/// The fields of the `route` op.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RouteWire {
    route: Text,
    session: Option<SessionWire>,
    context: Option<ContextWire>,
    params: Option<Object>,
    host: Option<Object>,
    now: Option<Integer>,
}

struct RouteRequest {
    route: String,
    session: Session,
    params: Map<String, Value>,
    host: Map<String, Value>,
    now: Option<i64>,
    context: Context,
}

impl RouteRequest {
    fn read(fields: Fields) -> Result<RouteRequest, WireError> {
        let w: RouteWire = crate::de::read("op `route`", ErrorCode::BadRequest, Value::Object(fields))?;
        Ok(RouteRequest {
            route: w.route.0,
            session: w.session.map(Session::from).unwrap_or_default(),
            params: w.params.map(|o| o.0).unwrap_or_default(),
            host: w.host.map(|o| o.0).unwrap_or_default(),
            now: w.now.map(|i| i.0),
            context: w.context.map_or_else(Context::default, |c| Context {
                appname: c.appname.map(|t| t.0).unwrap_or_default(),
                path: c.path.map(|t| t.0).unwrap_or_default(),
            }),
        })
    }
}

/// One route request, parsed, against the facts.
struct Req<'a> {
    snap: &'a Snapshot,
    session: Session,
    params: Map<String, Value>,
    host: Map<String, Value>,
    now: Option<i64>,
    context: Context,
}

/// The wire's `route` op.
pub(crate) fn route(snap: &Snapshot, fields: Fields) -> Result<Reply, WireError> {
    let r = RouteRequest::read(fields)?;
    for (name, value) in &r.params {
        if !matches!(value, Value::String(_) | Value::Null | Value::Number(_)) {
            return Err(WireError::bad_request(format!(
                "param `{}` must be a string or null, found {}",
                crate::util::truncate(name, 64),
                kind_of(value)
            )));
        }
    }
    let req =
        Req { snap, session: r.session, params: r.params, host: r.host, now: r.now, context: r.context };
    let outcome = match run(&req, &r.route) {
        Ok(o) => o,
        Err(Stop::Answer(o)) => *o,
        Err(Stop::Error(e)) => return Err(e),
    };
    Ok(outcome.into_reply())
}

/// A route's code.
type RouteFn = fn(&Req<'_>) -> Step<Outcome>;

/// Every route by name.
const ROUTES: [(&str, RouteFn); 23] = [
    ("create", |r| r.create()),
    ("editgroup", |r| r.editgroup()),
    ("delete", |r| r.delete()),
    ("deleteallgroupsfromuser", |r| r.delete_all()),
    ("addmemberauth", |r| r.add_member(AddKind::Auth)),
    ("adduserauth", |r| r.add_member(AddKind::V1)),
    ("createuseraddtogroup", |r| r.add_member(AddKind::Register)),
    ("removeuser", |r| r.removeuser()),
    ("fullremoveuser", |r| r.fullremoveuser()),
    ("setuserinfo", |r| r.setuserinfo()),
    ("sendlogindetails", |r| r.sendlogindetails()),
    ("setuser", |r| r.setuser()),
    ("logasprevioususer", |r| Ok(r.logasprevioususer())),
    ("grouplist", |r| r.gate(Gate::Read).map(|_| Outcome::json(r.grouplist()))),
    ("userlist", |r| r.userlist()),
    ("mygroups", |r| r.mygroups()),
    ("getuserfeeds", |r| r.getuserfeeds()),
    ("getsessionuserrole", |r| r.getsessionuserrole()),
    ("summary", |r| r.summary()),
    ("aggregate", |r| r.aggregate()),
    ("getfeed", |r| r.getfeed()),
    ("csvexport", |r| r.csvexport()),
    ("snapshot", |r| r.snapshot()),
];

/// Runs one route natively (the PHP module and tests call this through the wire).
fn run(req: &Req, route: &str) -> Step<Outcome> {
    for (name, f) in ROUTES {
        if name == route {
            return f(req);
        }
    }
    Ok(Outcome::fail("Unknown group route"))
}

#[derive(Clone, Copy, PartialEq)]
enum Gate {
    Read,
    Write,
    /// setuser: write, failures as text.
    WriteText,
}

#[derive(Clone, Copy, PartialEq)]
enum AddKind {
    Auth,
    V1,
    Register,
}

/// 2.0.0's name regex: keep Unicode letters, Unicode digits, `_`, `-`, `:`.
pub fn filter_name(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_alphabetic() || c.is_numeric() || matches!(c, '_' | '-' | ':') {
            out.push(c);
        }
    }
    out
}

/// A name as uniqueness compares it: case-folded (see `util::fold_case`).
fn lower(s: &str) -> String {
    crate::util::fold_case(s)
}

/// `template` with each placeholder of `values` replaced in turn, in the text the previous ones
/// left; the values HTML-escaped when `escape`.
fn fill(template: String, values: &[(&str, &str)], escape: bool) -> String {
    let mut text = template;
    for &(key, value) in values {
        let value = if escape { html_escape(value) } else { value.to_string() };
        text = text.replace(key, &value);
    }
    text
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#039;"),
            c => out.push(c),
        }
    }
    out
}

/// The text fields of a group as create and editgroup take them: parameter, label in messages,
/// longest length in characters.
const GROUP_TEXTS: [(&str, &str, usize); 4] = [
    ("name", "Group name", 64),
    ("description", "Description", 256),
    ("organization", "Organization", 64),
    ("area", "Area", 64),
];

/// The string in `slot` (empty when none), leaving `None`.
fn take(slot: &mut Option<String>) -> String {
    slot.take().unwrap_or_default()
}

impl<'a> Req<'a> {
    fn actor(&self) -> Id {
        self.session.userid
    }

    /// A parameter as a string; `None` when missing or null. Numbers are taken in their decimal
    /// form (a PHP host may pass ints).
    fn param(&self, name: &str) -> Option<String> {
        match self.params.get(name)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    /// A parameter that counts only when non-empty.
    fn given(&self, name: &str) -> Option<String> {
        self.param(name).filter(|s| !s.is_empty())
    }

    fn gate(&self, gate: Gate) -> Step<()> {
        let s = &self.session;
        let message = if s.userid == 0 {
            Some("Authentication required")
        } else if gate == Gate::Read && !s.read {
            Some("Read access required")
        } else if gate != Gate::Read && !s.write {
            Some("Write access required")
        } else {
            None
        };
        match message {
            Some(m) if gate == Gate::WriteText => Err(Outcome::text(m).into()),
            Some(m) => Err(Outcome::fail(m).into()),
            None => Ok(()),
        }
    }

    fn no_apikey(&self, text: bool) -> Step<()> {
        if self.session.apikey {
            let m = "This action is not available with an API key";
            return Err(if text { Outcome::text(m) } else { Outcome::fail(m) }.into());
        }
        Ok(())
    }

    /// A strictly parsed id parameter (B-8).
    fn id_param(&self, name: &str, text: bool) -> Step<Id> {
        let fail = |m: String| -> Stop { if text { Outcome::text(&m) } else { Outcome::fail(&m) }.into() };
        let Some(raw) = self.given(name) else {
            return Err(fail(format!("Missing {name} parameter")));
        };
        parse_id(&raw).ok_or_else(|| fail(format!("Invalid {name} parameter")))
    }

    fn role_param(&self) -> Step<Option<Role>> {
        match self.given("role") {
            None => Ok(None),
            Some(r) => match r.as_str() {
                "0" | "1" | "2" | "3" | "4" => Ok(r.parse::<i64>().ok().map(Role::from_code)),
                _ => Err(Outcome::fail("Invalid role").into()),
            },
        }
    }

    fn rights_param(&self) -> Step<Option<&'static str>> {
        match self.given("admin_rights").as_deref() {
            None => Ok(None),
            Some("full") => Ok(Some("full")),
            Some("read") => Ok(Some("read")),
            Some(_) => Err(Outcome::fail("Invalid admin_rights").into()),
        }
    }

    fn group_dense(&self, id: Id) -> Option<Dense> {
        self.snap.group_dense(id)
    }

    fn group_decision(&self, action: Action, group: Id) -> Decision {
        decide::group_action(self.snap, self.actor(), action, group, &mut NoTrace)
    }

    fn member_decision(&self, action: Action, group: Id, user: Id) -> Decision {
        decide::member_action(self.snap, self.actor(), action, group, user, &mut NoTrace)
    }

    /// The host's answer to a need, if given.
    fn host(&self, kind: &str) -> Option<&Value> {
        self.host.get(kind).filter(|v| !v.is_null())
    }

    fn host_userid(&self, kind: &str, answer: &Value) -> Step<Id> {
        answer.get("userid").and_then(|v| id_of(v).ok()).ok_or_else(|| {
            WireError::bad_request(format!("`host.{kind}` says success but has no valid `userid`")).into()
        })
    }

    // --- group management ---

    /// The text fields of create and editgroup ([`GROUP_TEXTS`]), filtered and length-checked in
    /// order; the name must not be empty. A missing parameter keeps `old`'s value, NULL included
    /// (B-15), or is empty when there is no `old` (create).
    fn group_texts(&self, old: Option<&GroupRow>) -> Step<[Option<String>; 4]> {
        let mut out: [Option<String>; 4] = Default::default();
        let kept = old.map(|old| [&old.name, &old.description, &old.organization, &old.area]);
        for (i, (slot, &(key, label, max))) in out.iter_mut().zip(GROUP_TEXTS.iter()).enumerate() {
            *slot = match (self.param(key), kept) {
                (Some(raw), _) => Some(Self::group_field(&raw, label, max)?),
                (None, Some(kept)) => kept.get(i).and_then(|t| (*t).clone()),
                (None, None) => Some(String::new()),
            };
            if i == 0 && slot.as_deref().unwrap_or("").is_empty() {
                return Err(Outcome::fail("Group name cannot be empty").into());
            }
        }
        Ok(out)
    }

    /// `yes` when parameter `key` is `yes`, `no` when it is anything else; when it is missing, the
    /// `stored` value, else `no`.
    fn choice(&self, key: &str, yes: &str, no: &str, stored: Option<&Option<String>>) -> String {
        match self.param(key) {
            Some(v) => if v == yes { yes } else { no }.to_string(),
            None => stored.cloned().flatten().unwrap_or_else(|| no.to_string()),
        }
    }

    /// Filters and length-checks one group text field.
    fn group_field(raw: &str, label: &str, max: usize) -> Step<String> {
        let v = filter_name(raw);
        if v.chars().count() > max {
            return Err(Outcome::fail(&format!("{label} too long (max {max} characters)")).into());
        }
        Ok(v)
    }

    fn name_taken(&self, name: &str, except: Option<Id>) -> bool {
        let name = lower(name);
        self.snap.groups.iter().any(|g| Some(g.id) != except && lower(g.name_str()) == name)
    }

    fn create(&self) -> Step<Outcome> {
        self.gate(Gate::Write)?;
        let mut texts = self.group_texts(None)?;
        let name = take(&mut texts[0]);
        if self.name_taken(&name, None) {
            return Ok(Outcome::fail("Cannot create group,  already exists"));
        }
        let Some(answer) = self.host("new_groupid") else {
            return Ok(Outcome::need("new_groupid", json!({})));
        };
        let id = id_of(answer).map_err(|e| WireError::bad_request(format!("`host.new_groupid`: {e}")))?;
        if self.group_dense(id).is_some() {
            return Err(WireError::bad_request(format!("`host.new_groupid` {id} is already a group")).into());
        }
        Ok(Outcome::changes(
            json!({"success": true, "groupid": id, "message": format!("Group {id} added")}),
            vec![
                Change::InsertGroup {
                    id,
                    name,
                    description: take(&mut texts[1]),
                    organization: take(&mut texts[2]),
                    area: take(&mut texts[3]),
                    visibility: self.choice("visibility", "public", "private", None),
                    access: self.choice("access", "open", "closed", None),
                },
                Change::InsertMembership {
                    groupid: id,
                    userid: self.actor(),
                    role: 1,
                    admin_rights: "full".into(),
                },
            ],
        ))
    }

    fn editgroup(&self) -> Step<Outcome> {
        self.gate(Gate::Write)?;
        let gid = self.id_param("groupid", false)?;
        if !self.group_decision(Action::GroupEdit, gid).allowed {
            return Ok(Outcome::fail("You are not administrator of the group"));
        }
        let Some(g) = self.group_dense(gid) else {
            return Ok(Outcome::fail("You are not administrator of the group"));
        };
        let old: &GroupRow = self.snap.group(g);
        let [name, description, organization, area] = self.group_texts(Some(old))?;
        let name = name.unwrap_or_default();
        if self.name_taken(&name, Some(gid)) {
            return Ok(Outcome::fail("Group name already exists"));
        }
        let visibility = self.choice("visibility", "public", "private", Some(&old.visibility));
        let access = self.choice("access", "open", "closed", Some(&old.access));
        Ok(Outcome::done(
            "Group edited",
            vec![Change::UpdateGroup { id: gid, name, description, organization, area, visibility, access }],
        ))
    }

    fn delete(&self) -> Step<Outcome> {
        self.gate(Gate::Write)?;
        let gid = self.id_param("groupid", false)?;
        if !self.group_decision(Action::GroupDelete, gid).allowed {
            return Ok(Outcome::fail("User is not a member or does not have access to group"));
        }
        Ok(Outcome::done("Group deleted", vec![Change::DeleteGroup { id: gid }]))
    }

    fn delete_all(&self) -> Step<Outcome> {
        self.gate(Gate::Write)?;
        // The groups the actor has a membership row in and may delete, by id.
        let mut ids: Vec<Id> = Vec::new();
        if let Some(u) = self.snap.user_dense(self.actor()) {
            for m in self.snap.groups_of(u) {
                let gid = self.snap.group(m.group).id;
                if self.group_decision(Action::GroupDelete, gid).allowed {
                    ids.push(gid);
                }
            }
        }
        ids.sort();
        let mut changes = Vec::with_capacity(ids.len());
        for id in ids {
            changes.push(Change::DeleteGroup { id });
        }
        Ok(Outcome::done("", changes))
    }

    // --- members ---

    fn add_member(&self, kind: AddKind) -> Step<Outcome> {
        self.gate(Gate::Write)?;
        let gid = self.id_param("groupid", false)?;
        if self.group_dense(gid).is_none() {
            return Ok(Outcome::fail("Group does not exist"));
        }
        if !self.group_decision(Action::MembersAdd, gid).allowed {
            return Ok(Outcome::fail(if kind == AddKind::V1 {
                "User is not a member or does not have access to group"
            } else {
                "You haven't got enough permissions to add a member to this group"
            }));
        }
        let (role, rights) = if kind == AddKind::V1 {
            let role = match self.given("access").as_deref() {
                None | Some("0") => Role::Passive,
                Some("1") => Role::Administrator,
                Some(_) => return Ok(Outcome::fail("Invalid access")),
            };
            (role, "full")
        } else {
            (self.role_param()?.unwrap_or(Role::Passive), self.rights_param()?.unwrap_or("full"))
        };
        let username = self.param("username").unwrap_or_default();
        let password = self.param("password").unwrap_or_default();
        let need = if kind == AddKind::Register { "register_user" } else { "verify_login" };
        let Some(answer) = self.host(need) else {
            return Ok(if need == "verify_login" {
                Outcome::need(need, json!({"username": username, "password": password}))
            } else {
                Outcome::need(
                    need,
                    json!({"username": username, "password": password,
                           "email": self.param("email").unwrap_or_default(), "timezone": "UTC"}),
                )
            });
        };
        if answer.get("success") != Some(&Value::Bool(true)) {
            return Ok(Outcome::json(answer.clone()));
        }
        let uid = self.host_userid(need, answer)?;
        let already = self
            .group_dense(gid)
            .zip(self.snap.user_dense(uid))
            .is_some_and(|(g, u)| self.snap.membership(g, u).is_some());
        if already {
            return Ok(Outcome::fail("Error adding user to group"));
        }
        let role_code = role.code().unwrap_or(0);
        let insert = Change::InsertMembership {
            groupid: gid,
            userid: uid,
            role: role_code,
            admin_rights: rights.into(),
        };
        let message = format!("User {uid}:{username} added");
        Ok(match kind {
            AddKind::Register => {
                let mut changes = Vec::new();
                if let Some(name) = self.param("name") {
                    changes.push(Change::UpdateUserProfile {
                        userid: uid,
                        name: Some(name),
                        location: None,
                        bio: None,
                        timezone: None,
                        tags: None,
                    });
                }
                changes.push(insert);
                Outcome::changes(json!({"success": true, "message": message, "userid": uid}), changes)
            }
            _ => Outcome::done(&message, vec![insert]),
        })
    }

    fn removeuser(&self) -> Step<Outcome> {
        self.gate(Gate::Write)?;
        let gid = self.id_param("groupid", false)?;
        let uid = self.id_param("userid", false)?;
        if uid == self.actor() {
            return Ok(Outcome::fail("Cannot remove yourself from group"));
        }
        let d = self.member_decision(Action::MembersRemove, gid, uid);
        if !d.allowed {
            return Ok(Outcome::fail(match d.reason {
                Reason::TargetNotMember => "The user to remove doesn't belong to the group",
                Reason::LastAdministrator => "A group must keep at least one administrator",
                _ => "User is not a member or does not have access to group",
            }));
        }
        Ok(Outcome::done(
            "User removed from group",
            vec![Change::DeleteMembership { groupid: gid, userid: uid }],
        ))
    }

    fn fullremoveuser(&self) -> Step<Outcome> {
        self.gate(Gate::Write)?;
        self.no_apikey(false)?;
        let gid = self.id_param("groupid", false)?;
        let uid = self.id_param("userid", false)?;
        if uid == self.actor() {
            return Ok(Outcome::fail("Cannot delete yourself"));
        }
        let d = self.member_decision(Action::MemberDeleteAccount, gid, uid);
        if !d.allowed {
            return Ok(Outcome::fail(match d.reason {
                Reason::TargetNotMember => "The user to remove doesn't belong to the group",
                Reason::ReadOnlyRights => "Administrator has not got right over users",
                Reason::TargetIsAdministrator => "Cannot delete the account of a group administrator",
                Reason::TargetIsSiteAdmin => "Cannot delete the account of a site administrator",
                Reason::TargetInOtherGroups => {
                    "Cannot delete the account of a user who belongs to other groups"
                }
                _ => "User is not a member or does not have access to group",
            }));
        }
        match self.host("delete_user") {
            None => Ok(Outcome::need("delete_user", json!({"userid": uid}))),
            Some(Value::String(report)) => Ok(Outcome::done(report, Vec::new())),
            Some(other) => Err(WireError::bad_request(format!(
                "`host.delete_user` must be the report text, found {}",
                kind_of(other)
            ))
            .into()),
        }
    }

    fn setuserinfo(&self) -> Step<Outcome> {
        self.gate(Gate::Write)?;
        self.no_apikey(false)?;
        let gid = self.id_param("groupid", false)?;
        let uid = self.id_param("userid", false)?;
        let d = self.member_decision(Action::MemberEditAccount, gid, uid);
        if !d.allowed {
            return Ok(Outcome::fail(match d.reason {
                Reason::TargetNotMember => "The user to edit doesn't belong to the group",
                Reason::ReadOnlyRights => "Administrator has not got right over user",
                Reason::TargetIsAdministrator => "Cannot edit the account of a group administrator",
                Reason::TargetIsSiteAdmin => "Cannot edit the account of a site administrator",
                _ => "User is not a member or does not have access to group",
            }));
        }
        let (Some(g), Some(u)) = (self.group_dense(gid), self.snap.user_dense(uid)) else {
            return Ok(Outcome::fail("The user to edit doesn't belong to the group"));
        };
        let Some(current) = self.snap.membership(g, u) else {
            return Ok(Outcome::fail("The user to edit doesn't belong to the group"));
        };
        let user = self.snap.user(u);
        // One's own password and e-mail are emoncms's to change, on the account page, which asks
        // for the current password (and limits the tries): here a stolen session would make
        // itself a permanent account.
        if uid == self.actor() {
            let new_email = self.given("email").is_some_and(|e| user.email() != Some(e.as_str()));
            if self.given("password").is_some() || new_email {
                return Ok(Outcome::fail(
                    "Change your own password and email on your account page: it asks for your current password",
                ));
            }
        }

        // Validation: each field only when given non-empty.
        let username = self.given("username");
        if let Some(name) = &username {
            if !name.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Ok(Outcome::fail("Username must only contain a-z and 0-9 characters"));
            }
            if !(3..=30).contains(&name.len()) {
                return Ok(Outcome::fail("Username length error"));
            }
        }
        let email = self.given("email");
        if let Some(e) = &email
            && !valid_email(e)
        {
            return Ok(Outcome::fail("Email address format error"));
        }
        let password = self.given("password");
        if let Some(p) = &password
            && !(4..=250).contains(&p.chars().count())
        {
            return Ok(Outcome::fail("Password length error"));
        }
        let tags = match self.given("tags") {
            None => None,
            Some(text) => match serde_json::from_str::<Value>(&text) {
                Ok(v @ Value::Object(_)) => Some(v),
                _ => return Ok(Outcome::fail("Invalid tags")),
            },
        };
        let role = self.role_param()?;
        let rights = self.rights_param()?;
        if rights == Some("full") && !current.full {
            return Ok(Outcome::fail(
                "Full rights need the member's consent: add them again with addmemberauth",
            ));
        }
        let new_role = role.unwrap_or(current.role);
        if current.role == Role::Administrator
            && new_role != Role::Administrator
            && decide::administrators(self.snap, g) <= 1
        {
            return Ok(Outcome::fail("A group must keep at least one administrator"));
        }

        let mut changes = vec![Change::UpdateUserProfile {
            userid: uid,
            name: self.param("name"),
            location: self.param("location"),
            bio: self.param("bio"),
            timezone: self.param("timezone"),
            tags,
        }];
        if let Some(name) = username
            && user.username() != Some(name.as_str())
        {
            changes.push(Change::SetUsername { userid: uid, username: name });
        }
        if let Some(e) = email
            && user.email() != Some(e.as_str())
        {
            changes.push(Change::SetEmail { userid: uid, email: e });
        }
        if let Some(p) = password {
            changes.push(Change::SetPassword { userid: uid, password: p });
        }
        let new_full = rights.map_or(current.full, |r| r == "full");
        if new_role != current.role || new_full != current.full {
            let stored_rights = self.stored_rights(g, u);
            changes.push(Change::UpdateMembership {
                groupid: gid,
                userid: uid,
                role: new_role.code().unwrap_or(0),
                admin_rights: match rights {
                    Some(r) => Some(r.to_string()),
                    None => stored_rights,
                },
            });
        }
        Ok(Outcome::done("User info updated", changes))
    }

    /// The stored `admin_rights` text of the kept row of (g, u).
    fn stored_rights(&self, g: Dense, u: Dense) -> Option<String> {
        let members = self.snap.members(g);
        let i = members.binary_search_by_key(&u, |m| m.user).ok()?;
        self.snap.rights_text(members.get(i)?).map(str::to_string)
    }

    /// The stored role integer of the kept row of (g, u).
    fn stored_role(&self, g: Dense, u: Dense) -> Option<i64> {
        let members = self.snap.members(g);
        let i = members.binary_search_by_key(&u, |m| m.user).ok()?;
        members.get(i).map(|m| i64::from(m.raw))
    }

    fn sendlogindetails(&self) -> Step<Outcome> {
        self.gate(Gate::Write)?;
        self.no_apikey(false)?;
        let gid = self.id_param("groupid", false)?;
        let uid = self.id_param("userid", false)?;
        if self.group_dense(gid).is_none() {
            return Ok(Outcome::fail("Group does not exist"));
        }
        let d = self.member_decision(Action::MemberSendLogin, gid, uid);
        if !d.allowed {
            return Ok(Outcome::fail(match d.reason {
                Reason::TargetNotMember => "Error, user doesn't belong to group",
                Reason::ReadOnlyRights => "Administrator has not got right over user",
                Reason::TargetIsAdministrator => "Cannot send login details of a group administrator",
                Reason::TargetIsSiteAdmin => "Cannot send login details of a site administrator",
                _ => "You haven't got enough permissions over this group",
            }));
        }
        let (Some(g), Some(u)) = (self.group_dense(gid), self.snap.user_dense(uid)) else {
            return Ok(Outcome::fail("Error, user doesn't belong to group"));
        };
        let user = self.snap.user(u);
        let role = self.snap.membership(g, u).map_or(Role::Invalid, |m| m.role);
        let password = self.param("password").unwrap_or_default();
        let values = [
            ("{{name}}", user.name().unwrap_or("")),
            ("{{username}}", user.username().unwrap_or("")),
            ("{{password}}", &password),
            ("{{role}}", role.label()),
            ("{{appname}}", &self.context.appname),
            ("{{path}}", &self.context.path),
        ];
        let Some(answer) = self.host("send_email") else {
            let bcc = if self.param("sendcopy").as_deref() == Some("true") {
                json!(self.actor())
            } else {
                Value::Null
            };
            return Ok(Outcome::need(
                "send_email",
                json!({
                    "userid": uid,
                    "to": user.email().unwrap_or_default(),
                    "subject": fill(self.param("emailsubject").unwrap_or_default(), &values, false),
                    "body": fill(self.param("template").unwrap_or_default(), &values, true),
                    "bcc": bcc,
                }),
            ));
        };
        if answer.get("success") == Some(&Value::Bool(true)) {
            return Ok(Outcome::json(json!({"success": true})));
        }
        let message = match answer.get("message") {
            Some(Value::String(m)) => m.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        };
        Ok(Outcome::fail(&format!("Email could not be sent to user. Error: {message}")))
    }

    // --- impersonation ---

    fn setuser(&self) -> Step<Outcome> {
        self.gate(Gate::WriteText)?;
        self.no_apikey(true)?;
        let gid = self.id_param("groupid", true)?;
        let uid = self.id_param("userid", true)?;
        let d = self.member_decision(Action::MemberImpersonate, gid, uid);
        if !d.allowed {
            return Ok(Outcome::text(match d.reason {
                Reason::TargetNotMember => "User is not a member of group",
                Reason::ReadOnlyRights => "You haven't got rights to access this user",
                Reason::TargetIsAdministrator | Reason::TargetIsSelf => {
                    "Can't impersonate a group administrator"
                }
                Reason::TargetIsSiteAdmin => "Can't impersonate an admin user as a non-admin user",
                Reason::TargetLoginDisabled => "User login is disabled",
                _ => "You are not an administrator of this group",
            }));
        }
        let Some(u) = self.snap.user_dense(uid) else {
            return Ok(Outcome::text("User is not a member of group"));
        };
        let target = self.snap.user(u);
        let s = &self.session;
        let mut session = login_session(
            [
                uid.into(),
                target.username().to_json(),
                u8::from(target.admin()).into(),
                true.into(),
                (target.access() != Some(1)).into(),
            ],
            s.previous_userid.is_none().then(|| {
                [
                    s.userid.into(),
                    s.username.to_json(),
                    u8::from(s.admin).into(),
                    s.read.into(),
                    s.write.into(),
                ]
            }),
        );
        // The way back belongs to this session while it is the member's: bound to the member's id
        // and the moment (a session whose user changed another way has no way back).
        session.put("previous_target", uid.into());
        session.put("previous_since", self.now.map_or(Value::Null, Value::from));
        let to = if self.param("view").as_deref() == Some("tasks") {
            format!("../task/list#{}", filter_name(&self.param("tag").unwrap_or_default()))
        } else {
            "../user/view".to_string()
        };
        Ok(Outcome::redirect(&to, Some(session)))
    }

    fn logasprevioususer(&self) -> Outcome {
        let s = &self.session;
        let Some(prev) = s.previous_userid else {
            return Outcome::redirect("../group", None);
        };
        let since_ok = match (s.previous_since, self.now) {
            (Some(since), Some(now)) => since <= now,
            (Some(_), None) => true,
            (None, _) => false,
        };
        if s.previous_target != Some(s.userid) || s.userid == 0 || !since_ok {
            // Not the session setuser made (its user changed since, or it predates the binding):
            // no way back, and the keys that offered one go.
            let mut cleared = Map::new();
            for key in SESSION_KEYS[1].iter().chain(&["previous_target", "previous_since"]) {
                cleared.put(key, Value::Null);
            }
            return Outcome::redirect("../group", Some(cleared));
        }
        let mut session = login_session(
            [
                prev.into(),
                s.previous_username.to_json(),
                u8::from(s.previous_admin.unwrap_or(false)).into(),
                s.previous_read.unwrap_or(true).into(),
                s.previous_write.unwrap_or(true).into(),
            ],
            Some(Default::default()),
        );
        session.put("previous_target", Value::Null);
        session.put("previous_since", Value::Null);
        Outcome::redirect("../group", Some(session))
    }

    // --- lists ---

    fn grouplist(&self) -> Value {
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

    fn userlist(&self) -> Step<Outcome> {
        self.gate(Gate::Read)?;
        let gid = self.id_param("groupid", false)?;
        Ok(Outcome::json_of(&self.userlist_value(gid)))
    }

    fn mygroups(&self) -> Step<Outcome> {
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

    fn getuserfeeds(&self) -> Step<Outcome> {
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

    fn getsessionuserrole(&self) -> Step<Outcome> {
        self.gate(Gate::Read)?;
        let role = self
            .given("groupid")
            .and_then(|raw| parse_id(&raw))
            .and_then(|gid| self.group_dense(gid))
            .zip(self.snap.user_dense(self.actor()))
            .and_then(|(g, u)| self.stored_role(g, u));
        Ok(Outcome::json(role.map_or(Value::Bool(false), |r| json!(r))))
    }

    fn summary(&self) -> Step<Outcome> {
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

    fn aggregate(&self) -> Step<Outcome> {
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
        let (mut sum, mut count) = (0.0f64, 0u64);
        for m in self.snap.members(g) {
            for &f in self.snap.feeds_of(m.user) {
                let (time, value) = self.snap.feed_reading(f);
                let fresh = time.is_some_and(|t| (now as f64) - t <= 60.0);
                if self.snap.feed_name(f) == Some(feedname.as_str())
                    && fresh
                    && let Some(v) = value
                {
                    sum += v;
                    count += 1;
                }
            }
        }
        let observer = self
            .snap
            .user_dense(self.actor())
            .and_then(|a| self.snap.membership(g, a))
            .is_some_and(|m| m.role == Role::Observer);
        let result = if observer && count < MIN_OBSERVER_AGGREGATE { Value::Null } else { json!(sum) };
        Ok(Outcome::json(json!({"result": result, "count": count})))
    }

    /// The redacted facts of one group for the browser's access preview (`query::redact`).
    fn snapshot(&self) -> Step<Outcome> {
        self.gate(Gate::Read)?;
        let gid = self.id_param("groupid", false)?;
        /// The answer, written apart: its feed rows are the host's text (a tree of them would be
        /// parsed from that text and written again, tens of thousands of rows).
        #[derive(Serialize)]
        struct Snapshot<'a> {
            success: bool,
            groupid: Id,
            viewer: Id,
            state: &'a super::model::State,
        }
        match super::query::redact(self.snap, self.actor(), gid) {
            Ok(state) => Ok(Outcome::json_of(&Snapshot {
                success: true,
                groupid: gid,
                viewer: self.actor(),
                state: &state,
            })),
            Err(_) => Ok(Outcome::fail("You have not got access to the list of users of this group")),
        }
    }

    // --- feed data ---

    fn number_param(&self, name: &str) -> Step<Value> {
        match self.given(name) {
            None => Ok(Value::Null),
            Some(raw) => {
                parse_number(&raw).ok_or_else(|| Outcome::fail(&format!("Invalid {name} parameter")).into())
            }
        }
    }

    fn bit_param(&self, name: &str) -> Step<Value> {
        match self.given(name).as_deref() {
            None => Ok(Value::Null),
            Some("0") => Ok(json!(0)),
            Some("1") => Ok(json!(1)),
            Some(_) => Err(Outcome::fail(&format!("Invalid {name} parameter")).into()),
        }
    }

    fn getfeed(&self) -> Step<Outcome> {
        const DENIED: &str = "You have not access to that feed";
        let Some(fid) = self.given("id").and_then(|raw| parse_id(&raw)) else {
            return Ok(Outcome::fail(DENIED));
        };
        if !decide::feed_read(self.snap, self.actor(), fid, &mut NoTrace).allowed {
            return Ok(Outcome::fail(DENIED));
        }
        let mode = match self.param("subaction").as_deref() {
            Some("data") => "data",
            Some("average") => "average",
            _ => return Ok(Outcome::fail("Unknown getfeed mode")),
        };
        let (start, end, interval) =
            (self.number_param("start")?, self.number_param("end")?, self.number_param("interval")?);
        let (skipmissing, limitinterval) = (self.bit_param("skipmissing")?, self.bit_param("limitinterval")?);
        let average_mode = if mode == "average" {
            match self.given("mode").as_deref() {
                None => Value::Null,
                Some(m @ ("daily" | "weekly" | "monthly" | "annual")) => json!(m),
                Some(_) => return Ok(Outcome::fail("Invalid mode parameter")),
            }
        } else {
            Value::Null
        };
        match self.host("feed_data") {
            Some(data) => Ok(Outcome::json(data.clone())),
            None => Ok(feed_data_need(
                vec![fid],
                mode,
                [start, end, interval, skipmissing, limitinterval, average_mode, Value::Null, Value::Null],
            )),
        }
    }

    fn csvexport(&self) -> Step<Outcome> {
        self.gate(Gate::Read)?;
        let gid = self.id_param("groupid", false)?;
        // Only digits and commas count; the non-empty runs of digits between commas are the ids.
        let raw = self.param("id").unwrap_or_default();
        let (mut ids, mut invalid, mut piece) = (Vec::new(), false, String::new());
        for i in 0..=raw.len() {
            match raw.as_bytes().get(i).copied().unwrap_or(b',') {
                b @ b'0'..=b'9' => piece.push(char::from(b)),
                b',' if !piece.is_empty() => {
                    match parse_id(&piece) {
                        Some(id) => ids.push(id),
                        None => invalid = true,
                    }
                    piece.clear();
                }
                _ => {}
            }
        }
        if invalid {
            return Ok(Outcome::fail("Invalid id parameter"));
        }
        if ids.is_empty() {
            return Ok(Outcome::fail("Missing id parameter"));
        }
        const RIGHTS: &str = "You haven't got enough rights";
        if !self.group_decision(Action::MemberFeeds, gid).allowed {
            return Ok(Outcome::fail(RIGHTS));
        }
        // B-7: every id, not only the first.
        for &f in &ids {
            if !decide::feed_read(self.snap, self.actor(), f, &mut NoTrace).allowed {
                return Ok(Outcome::fail(RIGHTS));
            }
        }
        let (start, end, interval) =
            (self.number_param("start")?, self.number_param("end")?, self.number_param("interval")?);
        let timeformat = self.bit_param("timeformat")?;
        match self.host("feed_data") {
            Some(Value::String(csv)) => Ok(Outcome::Done {
                format: "csv",
                body: Body::Value(Value::String(csv.clone())),
                changes: Vec::new(),
                session: None,
            }),
            Some(other) => Err(WireError::bad_request(format!(
                "`host.feed_data` for csv must be text, found {}",
                kind_of(other)
            ))
            .into()),
            None => {
                let name = Value::String(filter_name(&self.param("name").unwrap_or_default()));
                let null = || Value::Null;
                Ok(feed_data_need(
                    ids,
                    "csv",
                    [start, end, interval, null(), null(), null(), timeformat, name],
                ))
            }
        }
    }
}

/// The session keys a login sets, then those that remember the login before it.
const SESSION_KEYS: [[&str; 5]; 2] = [
    ["userid", "username", "admin", "read", "write"],
    ["previous_userid", "previous_username", "previous_admin", "previous_read", "previous_write"],
];

/// The session of a login (`user`: [`SESSION_KEYS`]`[0]`), then the `previous` one's when given.
fn login_session(user: [Value; 5], previous: Option<[Value; 5]>) -> Map<String, Value> {
    let mut session = Map::new();
    for (keys, values) in SESSION_KEYS.iter().zip([Some(user), previous]) {
        for (key, value) in keys.iter().zip(values.into_iter().flatten()) {
            session.put(key, value);
        }
    }
    session
}

/// The keys of a `feed_data` need after `feedids` and `mode`, in order.
const FEED_DATA_KEYS: [&str; 8] =
    ["start", "end", "interval", "skipmissing", "limitinterval", "average_mode", "timeformat", "name"];

/// The `feed_data` need of getfeed and csvexport: `feedids`, `mode`, then [`FEED_DATA_KEYS`].
fn feed_data_need(feedids: Vec<Id>, mode: &str, values: [Value; 8]) -> Outcome {
    let mut need = Map::new();
    need.put("kind", "feed_data".into());
    let mut ids = Vec::with_capacity(feedids.len());
    for id in feedids {
        ids.push(Value::from(id));
    }
    need.put("feedids", Value::Array(ids));
    need.put("mode", mode.into());
    for (key, value) in FEED_DATA_KEYS.into_iter().zip(values) {
        need.put(key, value);
    }
    Outcome::Need(Value::Object(need))
}

/// Below this many contributing feeds an observer gets no sum: an aggregate must not reveal one
/// member's value.
pub const MIN_OBSERVER_AGGREGATE: u64 = 3;

/// Digits only, no sign or spaces, 1 … 2147483647.
pub fn parse_id(raw: &str) -> Option<Id> {
    if raw.is_empty() || raw.len() > 10 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    raw.parse::<u64>().ok().filter(|&n| n >= 1 && n <= u64::from(MAX_ID)).map(|n| n as Id)
}

/// An integer or a decimal, as a JSON number.
fn parse_number(raw: &str) -> Option<Value> {
    let digits = raw.strip_prefix('-').unwrap_or(raw);
    if digits.is_empty()
        || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        || digits.bytes().filter(|&b| b == b'.').count() > 1
    {
        return None;
    }
    if let Ok(i) = raw.parse::<i64>() {
        return Some(json!(i));
    }
    raw.parse::<f64>().ok().filter(|f| f.is_finite()).map(|f| json!(f))
}

/// `local@domain.tld`: one `@`, no spaces or control characters, a dot in the domain with
/// characters around it.
fn valid_email(e: &str) -> bool {
    if e.len() > 254 {
        return false;
    }
    // The byte offsets of the first `@`, and of the last `.` after it.
    let (mut at, mut dot) = (None, None);
    for (i, c) in e.char_indices() {
        if c.is_whitespace() || c.is_control() {
            return false;
        }
        match (c, at) {
            ('@', None) => at = Some(i),
            ('@', Some(_)) => return false,
            ('.', Some(_)) => dot = Some(i),
            _ => {}
        }
    }
    let (Some(at), Some(dot)) = (at, dot) else {
        return false;
    };
    let host = e.as_bytes().get(at + 1..dot).unwrap_or_default();
    at > 0
        && e.len() - dot > 2
        && host.first().is_some_and(|&b| b != b'.')
        && host.last().is_some_and(|&b| b != b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_filter_matches_2_0_0() {
        assert_eq!(filter_name("My Group!"), "MyGroup");
        assert_eq!(filter_name("Heat pumps study"), "Heatpumpsstudy");
        assert_eq!(filter_name("N/A"), "NA");
        assert_eq!(filter_name("Ŵärme_pümpen-2:x"), "Ŵärme_pümpen-2:x");
        assert_eq!(filter_name("<script>"), "script");
    }

    #[test]
    fn ids_parse_strictly() {
        assert_eq!(parse_id("12"), Some(12));
        for bad in ["", "0", "-1", "1abc", " 1", "1 ", "2147483648", "99999999999", "1.0", "+1"] {
            assert_eq!(parse_id(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn templates_fill_as_chained_replaces() {
        let values = [("{{x}}", "<{{y}}>"), ("{{y}}", "é&"), ("{{z}}", "")];
        for t in ["", "{{x}}", "a{{x}}b{{x}}{{y}}{{z}}", "{{{x}}}}", "{{y", "ü{{y}}ü"] {
            let escaped = t.replace("{{x}}", "&lt;{{y}}&gt;").replace("{{y}}", "é&amp;").replace("{{z}}", "");
            assert_eq!(fill(t.to_string(), &values, true), escaped, "{t:?}");
            let plain = t.replace("{{x}}", "<{{y}}>").replace("{{y}}", "é&").replace("{{z}}", "");
            assert_eq!(fill(t.to_string(), &values, false), plain, "{t:?}");
        }
    }

    #[test]
    fn emails() {
        assert!(valid_email("a.b@example.org"));
        for bad in ["", "a", "a@b", "a@.org", "a b@x.org", "@x.org", "a@@x.org", "a@x."] {
            assert!(!valid_email(bad), "{bad:?}");
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number("1700000000000"), Some(json!(1700000000000i64)));
        assert_eq!(parse_number("-5"), Some(json!(-5)));
        assert_eq!(parse_number("2.5"), Some(json!(2.5)));
        for bad in ["", "abc", "1e5", "1.2.3", "NaN", "-"] {
            assert_eq!(parse_number(bad), None, "{bad:?}");
        }
    }
}
