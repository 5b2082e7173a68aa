//! `EmonGroups\Engine`: the facts indexed once, many questions answered.
//!
//! Every method but `handle` is a wire request of `core/WIRE.md` built from PHP values, sent to
//! the held core engine, and answered as a PHP array; an `ok:false` answer is thrown as the
//! exception of its family (see `errors.rs`).

// ext-php-rs names PHP parameters after the Rust ones and the PHP convention (`$stateJson`)
// wins; the code it generates for them is outside the impl block, so the allow is module-wide.
#![allow(non_snake_case)]

use std::time::{SystemTime, UNIX_EPOCH};

use emongroups_core::Engine as CoreEngine;
use ext_php_rs::binary_slice::BinarySlice;
use ext_php_rs::boxed::ZBox;
use ext_php_rs::prelude::*;
use ext_php_rs::types::ZendHashTable;
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::convert::{ConvertError, PhpArray, Rows, Shape, Walk, json_to_array};
use crate::errors::exception;
use crate::{guarded, utf8};

/// Fields of a request that the object of a check must not override.
const ENVELOPE_FIELDS: [&str; 6] = ["v", "op", "profile", "state", "actor", "action"];

/// The held engine. Build it with `Engine::fromState` or `Engine::fromRows`.
#[php_class]
#[php(name = "EmonGroups\\Engine")]
#[derive(Debug)]
pub struct PhpEngine {
    inner: CoreEngine,
    /// The profile the engine was built for, as the wire names it; every request to it says so.
    profile: Box<str>,
}

#[php_impl]
impl PhpEngine {
    /// Objects come only from `fromState` and `fromRows`: `new EmonGroups\Engine()` throws.
    #[php(vis = "private")]
    pub fn __construct() -> PhpResult<Self> {
        Err(exception("bad_request", "build an engine with Engine::fromState() or Engine::fromRows()"))
    }

    /// Builds an engine for `$profile` (`emoncms`, `home`, `buildings`) from its state as JSON.
    pub fn from_state(profile: BinarySlice<u8>, stateJson: BinarySlice<u8>) -> PhpResult<Self> {
        guarded(|| {
            let profile = utf8(profile.into(), "profile")?;
            let state = utf8(stateJson.into(), "stateJson")?;
            PhpEngine::build(profile, state)
        })
    }

    /// Builds an emoncms engine from the rows PHP read from its tables (`groups`,
    /// `group_users`, `users`, `feeds`), as mysqli returns them: ids may be digit strings.
    pub fn from_rows(
        groups: &ZendHashTable,
        memberships: &ZendHashTable,
        users: &ZendHashTable,
        feeds: &ZendHashTable,
    ) -> PhpResult<Self> {
        guarded(|| {
            // One walk: the four tables are one state, which the wire limits as a whole.
            let walk = Walk::default();
            let table = |name, table, ints| Rows { name, table, ints, objects: &[], walk: &walk };
            let state = State([
                table("groups", groups, &["id"]),
                table("memberships", memberships, &["groupid", "userid", "role"]),
                // An empty PHP array cannot say whether it is [] or {}; these user fields are objects.
                Rows { objects: &["inputs", "tags"], ..table("users", users, &["id"]) },
                table("feeds", feeds, &["id", "userid"]),
            ]);
            let text = walk.run(|| serde_json::to_string(&state)).map_err(|e| convert_error(&e, ""))?;
            PhpEngine::build("emoncms", &text)
        })
    }

    /// Answers one wire request (JSON text) against the held facts; the answer is JSON text.
    /// Like `EmonGroups\call`, wire errors are answers here, not exceptions.
    pub fn handle(&self, json: BinarySlice<u8>) -> String {
        let json: &[u8] = json.into();
        crate::wire_guarded(|| match std::str::from_utf8(json) {
            Ok(json) => self.inner.handle(json),
            Err(_) => crate::not_utf8_answer(),
        })
    }

    /// The decision on `$actor` doing `$action` to `$object` (e.g. `['group' => 3]`).
    pub fn check(&self, actor: i64, action: &str, object: &ZendHashTable) -> PhpResult<ZBox<ZendHashTable>> {
        guarded(|| {
            let mut fields = object_fields(object, &Walk::default())?;
            fields.insert("actor".into(), actor.into());
            fields.insert("action".into(), action.into());
            self.ask("check", fields)
        })
    }

    /// Runs one emoncms group route (`create`, `addmemberauth`, …) for `$session` with the
    /// request `$params`; `$host` carries the answers to earlier `need`s; `$now` is the unix time
    /// (default: the current time).
    pub fn route(
        &self,
        route: &str,
        session: &ZendHashTable,
        params: &ZendHashTable,
        host: Option<&ZendHashTable>,
        now: Option<i64>,
    ) -> PhpResult<ZBox<ZendHashTable>> {
        guarded(|| {
            let walk = Walk::default();
            let mut fields = Map::new();
            fields.insert("route".into(), route.into());
            fields.insert("session".into(), argument(session, "session", Shape::Object, &walk)?);
            fields.insert("params".into(), argument(params, "params", Shape::Object, &walk)?);
            if let Some(host) = host {
                fields.insert("host".into(), argument(host, "host", Shape::Object, &walk)?);
            }
            let now = now.unwrap_or_else(|| {
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            });
            fields.insert("now".into(), now.into());
            self.ask("route", fields)
        })
    }

    /// Everything `$user` may do.
    pub fn what_can(&self, user: i64) -> PhpResult<ZBox<ZendHashTable>> {
        guarded(|| {
            let mut fields = Map::new();
            fields.insert("user".into(), user.into());
            self.ask("what_can", fields)
        })
    }

    /// How access would change, person by person, if `$changes` were applied; `$users`
    /// restricts the report to these user ids.
    pub fn what_if(
        &self,
        changes: &ZendHashTable,
        users: Option<&ZendHashTable>,
    ) -> PhpResult<ZBox<ZendHashTable>> {
        guarded(|| {
            let walk = Walk::default();
            let mut fields = Map::new();
            fields.insert("changes".into(), argument(changes, "changes", Shape::Any, &walk)?);
            if let Some(users) = users {
                fields.insert("users".into(), argument(users, "users", Shape::Any, &walk)?);
            }
            self.ask("what_if", fields)
        })
    }

    /// May `$actor` (0 = anonymous) read feed `$feed`? The fast path for emoncms's feed API:
    /// no JSON, no allocation, the core's native check.
    pub fn can_read_feed(&self, actor: i64, feed: i64) -> PhpResult<bool> {
        guarded(|| {
            let Some(engine) = self.inner.emoncms() else {
                return Err(exception(
                    "bad_request",
                    &format!("canReadFeed needs an emoncms engine; this one holds `{}`", self.profile),
                ));
            };
            let actor = id(actor, "actor", 0)?;
            let feed = id(feed, "feed", 1)?;
            Ok(engine.can_read_feed(actor, feed).allowed)
        })
    }
}

impl PhpEngine {
    fn build(profile: &str, state_json: &str) -> PhpResult<Self> {
        CoreEngine::from_state_json(profile, state_json)
            .map(|inner| PhpEngine { inner, profile: profile.into() })
            .map_err(|e| exception(e.code().as_str(), e.message()))
    }

    /// Sends `op` with `fields` to the held engine; the result as a PHP array, or the error thrown.
    fn ask(&self, op: &str, mut fields: Map<String, Value>) -> PhpResult<ZBox<ZendHashTable>> {
        fields.insert("v".into(), emongroups_core::WIRE_VERSION.into());
        fields.insert("op".into(), op.into());
        fields.insert("profile".into(), self.profile.as_ref().into());
        let request = serde_json::to_string(&fields)
            .map_err(|e| exception("internal", &format!("the request did not serialize: {e}")))?;
        let result = result_of(&self.inner.handle(&request))?;
        json_to_array(&result)
            .map_err(|e| exception("internal", &format!("the answer did not convert to a PHP array: {e}")))
    }
}

/// `fromRows`' state: the four tables, in the order the wire lists them.
struct State<'a>([Rows<'a>; 4]);

impl Serialize for State<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for rows in &self.0 {
            map.serialize_entry(rows.name, rows)?;
        }
        map.end()
    }
}

/// The `result` of an answer, or its error as an exception.
fn result_of(answer: &str) -> PhpResult<Value> {
    let answer = parse_answer(answer)
        .map_err(|e| exception("internal", &format!("the engine answered with invalid JSON: {e}")))?;
    let Value::Object(mut answer) = answer else {
        return Err(exception("internal", "the engine answered with something other than an object"));
    };
    match answer.get("ok") {
        Some(Value::Bool(true)) => Ok(answer.remove("result").unwrap_or(Value::Null)),
        _ => {
            let error = answer.remove("error").unwrap_or(Value::Null);
            let code = error.get("code").and_then(Value::as_str).unwrap_or("internal");
            let message = error
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("the engine answered with an error and no message");
            Err(exception(code, message))
        }
    }
}

/// Parses an answer of the engine. Without serde_json's limit of 128 levels: an answer nests a
/// few levels deeper than what it quotes (a feed row of the state sits at depth 4 of a request,
/// in an answer's body at 6), and the engine refused every request and state deeper than 128,
/// so an answer's depth stays near that and the stack is safe.
fn parse_answer(answer: &str) -> serde_json::Result<Value> {
    let mut de = serde_json::Deserializer::from_str(answer);
    de.disable_recursion_limit();
    let value = Value::deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// The ids the wire accepts: emoncms's `int(11)` columns, 1 … 2147483647 (`min` 0 for an actor,
/// where 0 is anonymous). Anything else is refused as the wire refuses it.
fn id(value: i64, name: &str, min: i64) -> PhpResult<emongroups_core::Id> {
    const MAX_ID: i64 = i32::MAX as i64;
    match emongroups_core::Id::try_from(value) {
        Ok(id) if (min..=MAX_ID).contains(&value) => Ok(id),
        _ => Err(exception("bad_request", &format!("`{name}` is `{value}`, not an id in {min} … {MAX_ID}"))),
    }
}

/// Converts an argument that the wire wants as JSON, with its name in any error.
fn argument(array: &ZendHashTable, name: &str, shape: Shape, walk: &Walk) -> PhpResult<Value> {
    // The argument sits at depth 2 of the request (request → field).
    let array = PhpArray { array, shape, depth: 2, walk };
    walk.run(|| serde_json::to_value(array)).map_err(|e| convert_error(&e, name))
}

fn convert_error(err: &ConvertError, name: &str) -> PhpException {
    exception(err.code(), &err.message(name))
}

/// The fields of a check's object (`group`, `user`, `feed`), which go at the top of the request.
fn object_fields(object: &ZendHashTable, walk: &Walk) -> PhpResult<Map<String, Value>> {
    let Value::Object(fields) = argument(object, "object", Shape::Object, walk)? else {
        return Err(exception("bad_request", "`object` must be an associative array such as ['group' => 3]"));
    };
    if let Some(key) = ENVELOPE_FIELDS.iter().find(|k| fields.contains_key(**k)) {
        return Err(exception(
            "bad_request",
            &format!("`object` may not set `{key}`; it holds only the object fields (group, user, feed)"),
        ));
    }
    Ok(fields)
}
