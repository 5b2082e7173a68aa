//! Every route of the group module as a pure function: request in, `Outcome` out (the response
//! body exactly as emoncms clients expect it, plus the changes to write in one transaction, or a
//! `need` the host must answer first). The behaviour, message by message, is in `ROUTES.md`.
//!
//! This file holds what every route shares: the outcome, the table of routes, the request
//! ([`Req`]) with its gates and parameters. The routes are one file per area of the module
//! (`groups`, `members`, `impersonation`, `lists`, `feed_data`), each an `impl Req` that sees
//! this file's names through `use super::*`; `request` reads the wire's fields, `text` holds
//! 2.0.0's text rules.

use serde::{Deserialize, Serialize};

use crate::value::{Map, Put, Reply, ToJson, Value, json};

use super::decide::{self, Action, Decision, NoTrace, Reason};
use super::model::{Change, GroupRow, Id, MAX_ID, Role};
use super::policy::{Perm, policy};
use super::snapshot::{Dense, Facts, FeedOut, Snapshot};
use crate::error::{ErrorCode, WireError};
use crate::profiles::Fields;
use crate::read::{self, Flag, Integer, LenientInt, Object, Text, id_of, kind_of};

mod feed_data;
mod groups;
mod impersonation;
mod lists;
mod members;
mod request;
#[cfg(test)]
mod tests;
mod text;

pub use lists::{MAX_HOUSEHOLD_SHARE_PERCENT, MIN_OBSERVER_AGGREGATE};
use request::{Context, RouteRequest, Session};
use text::*;
pub use text::{filter_name, parse_id};

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
}
