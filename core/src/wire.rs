//! The one entry point every door drives: `call(request_json) -> response_json`.
//!
//! A request is read in two stages: its members in one pass (the `state` kept as its text), the
//! envelope (`v`, `op`, `profile`, `state`) taken off here, then each profile reads the op's
//! own fields strictly (unknown fields are errors). An emoncms `state` goes from its text straight
//! to rows ([`State::from_json_text`]), never through a tree.

use std::borrow::Cow;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::error::{ErrorCode, WireError};
use crate::profiles::buildings::BuildingsEngine;
use crate::profiles::emoncms::engine::EmoncmsEngine;
use crate::profiles::emoncms::model::State;
use crate::profiles::home::HomeEngine;
use crate::profiles::{Fields, Profile, ProfileEngine, WIRE_VERSION, version_op};
use crate::util::truncate;
use crate::value::{Key, Map, Reply, Skip, Value, json};

/// Requests larger than this are refused with `too_large` before parsing.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024 * 1024;

/// Answers one wire request. Never panics; every problem is an error answer.
///
/// ```
/// let answer = emongroups_core::call(r#"{"v":1,"op":"version"}"#);
/// assert!(answer.starts_with(r#"{"ok":true"#));
/// ```
pub fn call(request: &str) -> String {
    guarded(|| call_reply(request))
}

/// [`call`], with the JSON body of a route's answer written apart: in the answer text
/// `result.body` is `null`, and the body's own text comes second. A host that passes the body on
/// unread (the PHP module sending mygroups, megabytes of feed rows) then never parses it. Every
/// other answer is the text `call` gives, and `None`.
///
/// ```
/// let request = r#"{"v":1,"profile":"emoncms","op":"route","route":"grouplist",
///   "session":{"userid":1,"read":true,"write":true},"params":{},"state":{}}"#;
/// let (head, body) = emongroups_core::call_apart(request);
/// assert!(head.starts_with(r#"{"ok":true"#) && head.contains(r#""body":null"#));
/// assert_eq!(body.as_deref(), Some("[]"));
/// ```
pub fn call_apart(request: &str) -> (String, Option<String>) {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let mut reply = call_reply(request)?;
        let body = match &mut reply.result {
            Value::Object(m)
                if m.get("outcome").and_then(Value::as_str) == Some("done")
                    && m.get("format").and_then(Value::as_str) == Some("json") =>
            {
                match (reply.body.take(), m.get_mut("body")) {
                    (Some(text), _) => Some(text),
                    (None, Some(b)) => Some(crate::value::to_string(&b.take())),
                    (None, None) => None,
                }
            }
            _ => None,
        };
        Ok::<_, WireError>((reply, body))
    }))
    .ok();
    match outcome {
        Some(Ok((reply, body))) => (answer(Some(Ok(reply))), body),
        Some(Err(e)) => (answer(Some(Err(e))), None),
        None => (answer(None), None),
    }
}

fn call_reply(request: &str) -> Result<Reply, WireError> {
    let (envelope, fields) = parse_envelope(request)?;
    match envelope.state {
        Some(state) => on_state(envelope.profile, &envelope.op, state, fields),
        None if envelope.op == "version" => version_op(fields).map(Reply::from),
        None if is_stateless_op(envelope.profile, &envelope.op) => {
            Engine::from_state(envelope.profile, Value::Object(Map::new()))?.dispatch(&envelope.op, fields)
        }
        None => Err(WireError::new(
            ErrorCode::MissingState,
            format!("op `{}` needs `state`", truncate(&envelope.op, 64)),
        )),
    }
}

/// Ops of `profile` that need no facts (answered on an empty state when a free `call` carries
/// none).
fn is_stateless_op(profile: Profile, op: &str) -> bool {
    match profile {
        Profile::Emoncms => EmoncmsEngine::is_stateless_op(op),
        Profile::Home => HomeEngine::is_stateless_op(op),
        Profile::Buildings => BuildingsEngine::is_stateless_op(op),
    }
}

/// Answers a request on the `state` it carries.
fn on_state(profile: Profile, op: &str, state: &RawValue, fields: Fields) -> Result<Reply, WireError> {
    if op == "apply" {
        return apply(profile, parse_json(state.get(), "state")?, fields).map(Reply::from);
    }
    if profile == Profile::Emoncms {
        let state = State::from_json_text(state.get())?;
        return EmoncmsEngine::from_state(state)?.reply(op, fields);
    }
    Engine::from_state(profile, parse_json(state.get(), "state")?)?.dispatch(op, fields)
}

/// A profile's facts, indexed once, answering many requests (the PHP and JS `Engine` classes).
#[derive(Debug)]
pub struct Engine {
    inner: Held,
}

#[derive(Debug)]
enum Held {
    Emoncms(Box<EmoncmsEngine>),
    Home(Box<HomeEngine>),
    Buildings(Box<BuildingsEngine>),
}

impl Engine {
    /// Builds an engine for `profile` (`emoncms`, `home`, `buildings`) from its state as JSON text.
    pub fn from_state_json(profile: &str, state_json: &str) -> Result<Engine, WireError> {
        let profile = Profile::parse(profile)?;
        check_size(state_json, "state")?;
        if profile == Profile::Emoncms {
            // Feed rows straight from the text: a group's snapshot has tens of thousands.
            let state = State::from_json_text(state_json)?;
            let engine = EmoncmsEngine::from_state(state)?;
            return Ok(Engine { inner: Held::Emoncms(Box::new(engine)) });
        }
        let state = parse_json(state_json, "state")?;
        Engine::from_state(profile, state)
    }

    /// Builds an engine from a state already parsed.
    pub fn from_state(profile: Profile, state: Value) -> Result<Engine, WireError> {
        if !state.is_object() {
            return Err(WireError::invalid_state("the state is a JSON object"));
        }
        let inner = match profile {
            Profile::Emoncms => Held::Emoncms(Box::new(EmoncmsEngine::build(state)?)),
            Profile::Home => Held::Home(Box::new(HomeEngine::build(state)?)),
            Profile::Buildings => Held::Buildings(Box::new(BuildingsEngine::build(state)?)),
        };
        Ok(Engine { inner })
    }

    /// The profile this engine was built for.
    pub fn profile(&self) -> Profile {
        match self.inner {
            Held::Emoncms(_) => Profile::Emoncms,
            Held::Home(_) => Profile::Home,
            Held::Buildings(_) => Profile::Buildings,
        }
    }

    /// Answers one wire request against the held facts (a request carrying its own `state` is
    /// answered from that state instead). Never panics.
    pub fn handle(&self, request: &str) -> String {
        guarded(|| {
            let (envelope, fields) = parse_envelope(request)?;
            if envelope.profile != self.profile() && envelope.state.is_none() {
                return Err(WireError::bad_request(format!(
                    "this engine holds profile `{}`, the request names `{}`",
                    self.profile().as_str(),
                    envelope.profile.as_str()
                )));
            }
            match envelope.state {
                Some(state) => on_state(envelope.profile, &envelope.op, state, fields),
                None if envelope.op == "apply" => Err(WireError::new(
                    ErrorCode::MissingState,
                    "`apply` works on the `state` of the request",
                )),
                None => self.dispatch(&envelope.op, fields),
            }
        })
    }

    fn dispatch(&self, op: &str, fields: Fields) -> Result<Reply, WireError> {
        match &self.inner {
            Held::Emoncms(e) => e.reply(op, fields),
            Held::Home(e) => e.reply(op, fields),
            Held::Buildings(e) => e.reply(op, fields),
        }
    }

    /// The emoncms engine, when this is one (native Rust callers and benchmarks use it directly).
    pub fn emoncms(&self) -> Option<&EmoncmsEngine> {
        match &self.inner {
            Held::Emoncms(e) => Some(e),
            _ => None,
        }
    }
}

fn apply(profile: Profile, state: Value, mut fields: Fields) -> Result<Value, WireError> {
    let changes =
        fields.shift_remove("changes").ok_or_else(|| WireError::bad_request("missing field `changes`"))?;
    if let Some(extra) = fields.keys().next() {
        return Err(WireError::bad_request(format!("unknown field `{extra}` for op `apply`")));
    }
    let state = match profile {
        Profile::Emoncms => EmoncmsEngine::apply(state, changes)?,
        Profile::Home => HomeEngine::apply(state, changes)?,
        Profile::Buildings => BuildingsEngine::apply(state, changes)?,
    };
    Ok(crate::value::object([("state", state)]))
}

/// What every request says besides its op's own fields.
struct Envelope<'a> {
    op: String,
    profile: Profile,
    /// The state's text, as the request holds it.
    state: Option<&'a RawValue>,
}

fn check_size(text: &str, what: &str) -> Result<(), WireError> {
    if text.len() > MAX_REQUEST_BYTES {
        return Err(WireError::new(
            ErrorCode::TooLarge,
            format!("{what} is {} bytes, the limit is {MAX_REQUEST_BYTES}", text.len()),
        ));
    }
    Ok(())
}

/// The wire error of text that serde_json could not read as JSON.
fn json_error(e: &serde_json::Error, what: &str) -> WireError {
    if crate::value::is_too_deep(e) {
        WireError::new(
            ErrorCode::TooDeep,
            format!("{what} nests deeper than {} levels", crate::value::MAX_DEPTH),
        )
    } else {
        WireError::new(ErrorCode::BadJson, format!("{what} is not valid JSON: {e}"))
    }
}

fn parse_json(text: &str, what: &str) -> Result<Value, WireError> {
    check_size(text, what)?;
    serde_json::from_str(text).map_err(|e| json_error(&e, what))
}

/// A request's members in order, `state` as its text and every other member read in the same pass;
/// a repeated key keeps its first place and its last value (as serde_json's own map does).
/// `None`: the request is not an object.
struct Members<'a>(Option<Vec<(Cow<'a, str>, Member<'a>)>>);

enum Member<'a> {
    State(&'a RawValue),
    Value(Value),
}

fn not_members(_: &'static str) -> Members<'static> {
    Members(None)
}

impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Members<'de>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a request")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members<'de>, A::Error> {
                let mut members: Vec<(Cow<'de, str>, Member<'de>)> = Vec::new();
                while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                    let value = if key == "state" {
                        Member::State(map.next_value::<&'de RawValue>()?)
                    } else {
                        Member::Value(map.next_value::<Value>()?)
                    };
                    match members.iter_mut().find(|(k, _)| *k == key) {
                        Some(slot) => slot.1 = value,
                        None => members.push((key, value)),
                    }
                }
                Ok(Members(Some(members)))
            }
            crate::value::not_an_object!(not_members, 1);
        }
        d.deserialize_any(V)
    }
}

/// Takes the envelope off a request: its `state` stays text, every other member is parsed.
fn parse_envelope(request: &str) -> Result<(Envelope<'_>, Fields), WireError> {
    check_size(request, "request")?;
    let members: Members<'_> = serde_json::from_str(request).map_err(|e| json_error(&e, "request"))?;
    let Some(members) = members.0 else {
        return Err(WireError::bad_request("a request is a JSON object"));
    };
    let mut fields = Map::new();
    let mut state = None;
    for (key, member) in members {
        match member {
            Member::State(raw) => state = Some(raw),
            Member::Value(value) => {
                fields.insert(key.into_owned(), value);
            }
        }
    }
    let (op, profile) = envelope_of(&mut fields)?;
    if let Some(s) = state
        && !s.get().starts_with('{')
    {
        // Too deep is told before not an object, as when the whole request was one tree.
        let mut de = serde_json::Deserializer::from_str(s.get());
        serde::de::DeserializeSeed::deserialize(Skip { depth: 1 }, &mut de)
            .map_err(|e| json_error(&e, "request"))?;
        return Err(WireError::bad_request("`state` must be an object"));
    }
    Ok((Envelope { op, profile, state }, fields))
}

/// The envelope taken off a request's members (`state` aside).
fn envelope_of(fields: &mut Fields) -> Result<(String, Profile), WireError> {
    match fields.shift_remove("v") {
        Some(Value::Number(n)) if n.as_u64() == Some(WIRE_VERSION) => {}
        Some(Value::Number(n)) => {
            return Err(WireError::new(
                ErrorCode::UnsupportedVersion,
                format!("wire version `{n}` is not supported; this engine speaks {WIRE_VERSION}"),
            ));
        }
        Some(_) => return Err(WireError::bad_request("`v` must be an integer")),
        None => return Err(WireError::bad_request("missing field `v`")),
    }
    let op = match fields.shift_remove("op") {
        Some(Value::String(s)) => s,
        Some(_) => return Err(WireError::bad_request("`op` must be a string")),
        None => return Err(WireError::bad_request("missing field `op`")),
    };
    let profile = match fields.shift_remove("profile") {
        None | Some(Value::Null) => Profile::Emoncms,
        Some(Value::String(s)) => Profile::parse(&s)?,
        Some(_) => return Err(WireError::bad_request("`profile` must be a string")),
    };
    Ok((op, profile))
}

fn guarded(f: impl FnOnce() -> Result<Reply, WireError>) -> String {
    answer(catch_unwind(AssertUnwindSafe(f)).ok())
}

/// The answer text of a request's outcome (`None`: it panicked). Not generic: `call` and
/// `Engine::handle` share it.
fn answer(outcome: Option<Result<Reply, WireError>>) -> String {
    match outcome {
        Some(Ok(reply)) => format!(r#"{{"ok":true,"result":{}}}"#, reply.result_text()),
        Some(Err(err)) => crate::value::to_string(&error_answer(&err)),
        None => crate::value::to_string(&error_answer(&WireError::new(
            ErrorCode::Internal,
            "the engine failed on this request",
        ))),
    }
}

fn error_answer(err: &WireError) -> Value {
    json!({ "ok": false, "error": { "code": err.code().as_str(), "message": err.message() } })
}
