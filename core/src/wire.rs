//! The one entry point every door drives: `call(request_json) -> response_json`.
//!
//! Parsing is in two stages: the envelope (`v`, `op`, `profile`, `state`) here, then each
//! profile reads the op's own fields strictly (unknown fields are errors).

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::error::{ErrorCode, WireError};
use crate::json::{Map, Value, json};
use crate::profiles::{Profile, ProfileEngine};

/// The wire format version this engine speaks.
pub const WIRE_VERSION: u64 = 1;

/// Requests larger than this are refused with `too_large` before parsing.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024 * 1024;

/// The fields of a request after the envelope was taken off.
pub(crate) type Fields = Map<String, Value>;

/// Answers one wire request. Never panics; every problem is an error answer.
///
/// ```
/// let answer = emongroups_core::call(r#"{"v":1,"op":"version"}"#);
/// assert!(answer.starts_with(r#"{"ok":true"#));
/// ```
pub fn call(request: &str) -> String {
    guarded(|| call_value(request))
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
        let mut result = call_value(request)?;
        let body = match &mut result {
            Value::Object(m)
                if m.get("outcome").and_then(Value::as_str) == Some("done")
                    && m.get("format").and_then(Value::as_str) == Some("json") =>
            {
                m.get_mut("body").map(|b| crate::json::to_string(&b.take()))
            }
            _ => None,
        };
        Ok::<_, WireError>((result, body))
    }))
    .ok();
    match outcome {
        Some(Ok((result, body))) => (answer(Some(Ok(result))), body),
        Some(Err(e)) => (answer(Some(Err(e))), None),
        None => (answer(None), None),
    }
}

fn call_value(request: &str) -> Result<Value, WireError> {
    {
        if let Some(answer) = call_streamed(request) {
            return answer;
        }
        let (mut envelope, fields) = parse_envelope(request)?;
        let state = match envelope.state.take() {
            Some(state) => state,
            None if envelope.op == "version" => return version_op(fields),
            None if envelope.profile.is_stateless_op(&envelope.op) => Value::Object(Map::new()),
            None => {
                return Err(WireError::new(
                    ErrorCode::MissingState,
                    format!("op `{}` needs `state`", truncate(&envelope.op, 64)),
                ));
            }
        };
        on_state(envelope, state, fields)
    }
}

/// An emoncms request carrying its state (what the PHP module sends for every route), read in
/// one pass: the state's rows straight from the text, as [`Engine::from_state_json`] reads them,
/// instead of a tree of the whole request first (mygroups' state holds tens of thousands of feed
/// rows). It takes only requests it can answer whole: `profile` `"emoncms"` before `state`, no
/// key twice, valid JSON, a state that reads and indexes. Anything else is `None`, and `call`
/// answers it the ordinary way — so every refusal, and which refusal comes first, stays as it is.
fn call_streamed(request: &str) -> Option<Result<Value, WireError>> {
    if request.len() > MAX_REQUEST_BYTES {
        return None;
    }
    let mut p = crate::json::Parser::new(request);
    if p.next() != crate::json::Next::Object {
        return None;
    }
    let mut fields = Map::new();
    let mut state = None;
    let read = p.object(|p, key| {
        if fields.contains_key(key) || (key == "state" && state.is_some()) {
            return Err(Declined);
        }
        if key == "state" {
            if fields.get("profile").and_then(Value::as_str) != Some("emoncms") {
                return Err(Declined);
            }
            state = Some(crate::model::State::stream_at(p).ok_or(Declined)?);
        } else {
            let v = p.value().map_err(|_| Declined)?;
            fields.insert(key.to_string(), v);
        }
        Ok(())
    });
    if read.is_err() || p.finish().is_err() {
        return None;
    }
    let state = state?;
    let (envelope, fields) = envelope_of(fields).ok()?;
    if envelope.profile != Profile::Emoncms || matches!(envelope.op.as_str(), "apply" | "version") {
        return None;
    }
    let engine = crate::profiles::emoncms::EmoncmsEngine::from_state(state).ok()?;
    Some(engine.handle(&envelope.op, fields))
}

/// `call_streamed` leaves the request to the ordinary way.
struct Declined;

impl From<crate::json::Error> for Declined {
    fn from(_: crate::json::Error) -> Declined {
        Declined
    }
}

/// Answers a request on the `state` it carries (or, for `call`'s stateless ops, an empty one).
fn on_state(envelope: Envelope, state: Value, fields: Fields) -> Result<Value, WireError> {
    if envelope.op == "apply" {
        return apply(envelope.profile, state, fields);
    }
    Engine::from_state(envelope.profile, state)?.dispatch(&envelope.op, fields)
}

/// A profile's facts, indexed once, answering many requests (the PHP and JS `Engine` classes).
#[derive(Debug)]
pub struct Engine {
    inner: Held,
}

#[derive(Debug)]
enum Held {
    Emoncms(Box<crate::profiles::emoncms::EmoncmsEngine>),
    Home(Box<crate::profiles::home::HomeEngine>),
    Buildings(Box<crate::profiles::buildings::BuildingsEngine>),
}

impl Engine {
    /// Builds an engine for `profile` (`emoncms`, `home`, `buildings`) from its state as JSON text.
    pub fn from_state_json(profile: &str, state_json: &str) -> Result<Engine, WireError> {
        let profile = Profile::parse(profile)?;
        if profile == Profile::Emoncms {
            // Feed rows straight from the text: a group's snapshot has tens of thousands.
            check_size(state_json, "state")?;
            let state = crate::model::State::from_json_text(state_json)?;
            let engine = crate::profiles::emoncms::EmoncmsEngine::from_state(state)?;
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
            Profile::Emoncms => {
                Held::Emoncms(Box::new(crate::profiles::emoncms::EmoncmsEngine::build(state)?))
            }
            Profile::Home => Held::Home(Box::new(crate::profiles::home::HomeEngine::build(state)?)),
            Profile::Buildings => {
                Held::Buildings(Box::new(crate::profiles::buildings::BuildingsEngine::build(state)?))
            }
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
            let (mut envelope, fields) = parse_envelope(request)?;
            if envelope.profile != self.profile() && envelope.state.is_none() {
                return Err(WireError::bad_request(format!(
                    "this engine holds profile `{}`, the request names `{}`",
                    self.profile().as_str(),
                    envelope.profile.as_str()
                )));
            }
            match envelope.state.take() {
                Some(state) => on_state(envelope, state, fields),
                None if envelope.op == "apply" => Err(WireError::new(
                    ErrorCode::MissingState,
                    "`apply` works on the `state` of the request",
                )),
                None => self.dispatch(&envelope.op, fields),
            }
        })
    }

    fn dispatch(&self, op: &str, fields: Fields) -> Result<Value, WireError> {
        match &self.inner {
            Held::Emoncms(e) => e.handle(op, fields),
            Held::Home(e) => e.handle(op, fields),
            Held::Buildings(e) => e.handle(op, fields),
        }
    }

    /// The emoncms engine, when this is one (native Rust callers and benchmarks use it directly).
    pub fn emoncms(&self) -> Option<&crate::profiles::emoncms::EmoncmsEngine> {
        match &self.inner {
            Held::Emoncms(e) => Some(e),
            _ => None,
        }
    }
}

fn apply(profile: Profile, state: Value, mut fields: Fields) -> Result<Value, WireError> {
    let changes =
        fields.remove("changes").ok_or_else(|| WireError::bad_request("missing field `changes`"))?;
    if let Some(extra) = fields.keys().next() {
        return Err(WireError::bad_request(format!("unknown field `{extra}` for op `apply`")));
    }
    let state = match profile {
        Profile::Emoncms => crate::profiles::emoncms::EmoncmsEngine::apply(state, changes)?,
        Profile::Home => crate::profiles::home::HomeEngine::apply(state, changes)?,
        Profile::Buildings => crate::profiles::buildings::BuildingsEngine::apply(state, changes)?,
    };
    Ok(crate::json::object([("state", state)]))
}

struct Envelope {
    op: String,
    profile: Profile,
    state: Option<Value>,
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

fn parse_json(text: &str, what: &str) -> Result<Value, WireError> {
    check_size(text, what)?;
    crate::json::from_str(text).map_err(|e| {
        if e.is_too_deep() {
            WireError::new(
                ErrorCode::TooDeep,
                format!("{what} nests deeper than {} levels", crate::json::MAX_DEPTH),
            )
        } else {
            WireError::new(ErrorCode::BadJson, format!("{what} is not valid JSON: {e}"))
        }
    })
}

fn parse_envelope(request: &str) -> Result<(Envelope, Fields), WireError> {
    let Value::Object(fields) = parse_json(request, "request")? else {
        return Err(WireError::bad_request("a request is a JSON object"));
    };
    envelope_of(fields)
}

/// The envelope taken off a request's members.
fn envelope_of(mut fields: Fields) -> Result<(Envelope, Fields), WireError> {
    match fields.remove("v") {
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
    let op = match fields.remove("op") {
        Some(Value::String(s)) => s,
        Some(_) => return Err(WireError::bad_request("`op` must be a string")),
        None => return Err(WireError::bad_request("missing field `op`")),
    };
    let profile = match fields.remove("profile") {
        None | Some(Value::Null) => Profile::Emoncms,
        Some(Value::String(s)) => Profile::parse(&s)?,
        Some(_) => return Err(WireError::bad_request("`profile` must be a string")),
    };
    let state = fields.remove("state");
    if let Some(s) = &state
        && !s.is_object()
    {
        return Err(WireError::bad_request("`state` must be an object"));
    }
    Ok((Envelope { op, profile, state }, fields))
}

/// The `version` op with its (empty) fields checked.
pub(crate) fn version_op(fields: Fields) -> Result<Value, WireError> {
    match fields.keys().next() {
        Some(extra) => {
            Err(WireError::bad_request(format!("unknown field `{}` for op `version`", truncate(extra, 64))))
        }
        None => Ok(version()),
    }
}

/// The `version` op, the same for every profile.
pub(crate) fn version() -> Value {
    json!({
        "engine": "emongroups",
        "version": env!("CARGO_PKG_VERSION"),
        "wire": WIRE_VERSION,
        "profiles": ["emoncms", "home", "buildings"],
    })
}

pub(crate) fn unknown_op(profile: Profile, op: &str) -> WireError {
    WireError::new(
        ErrorCode::UnknownOp,
        format!("profile `{}` has no op `{}`", profile.as_str(), truncate(op, 64)),
    )
}

/// Cuts user input quoted in a message so a 10 MB string does not become a 10 MB message.
pub(crate) fn truncate(s: &str, max_chars: usize) -> String {
    match s.char_indices().nth(max_chars) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

fn guarded(f: impl FnOnce() -> Result<Value, WireError>) -> String {
    answer(catch_unwind(AssertUnwindSafe(f)).ok())
}

/// The answer text of a request's outcome (`None`: it panicked). Not generic: `call` and
/// `Engine::handle` share it.
fn answer(outcome: Option<Result<Value, WireError>>) -> String {
    let answer = match outcome {
        Some(Ok(result)) => crate::json::object([("ok", Value::Bool(true)), ("result", result)]),
        Some(Err(err)) => error_answer(&err),
        None => error_answer(&WireError::new(ErrorCode::Internal, "the engine failed on this request")),
    };
    crate::json::to_string(&answer)
}

fn error_answer(err: &WireError) -> Value {
    json!({ "ok": false, "error": { "code": err.code().as_str(), "message": err.message() } })
}
