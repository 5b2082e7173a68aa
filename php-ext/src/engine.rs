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
use emongroups_core::json::{self, Map, Value};
use ext_php_rs::binary_slice::BinarySlice;
use ext_php_rs::boxed::ZBox;
use ext_php_rs::prelude::*;
use ext_php_rs::types::ZendHashTable;

use crate::convert::{ConvertError, Shape, array_to_json, entries, json_to_array, row_to_json};
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
            CoreEngine::from_state_json(profile, state)
                .map(|inner| PhpEngine { inner })
                .map_err(|e| exception(e.code().as_str(), e.message()))
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
            // Built by hand, not with `json!`: that macro copies each table through
            // `to_value`, which for 10,000 rows doubled the cost.
            let mut state = Map::new();
            state.insert("groups".into(), rows(groups, "groups", &["id"])?);
            let membership_ints = ["groupid", "userid", "role"];
            state.insert("memberships".into(), rows(memberships, "memberships", &membership_ints)?);
            state.insert("users".into(), rows(users, "users", &["id"])?);
            state.insert("feeds".into(), rows(feeds, "feeds", &["id", "userid"])?);
            let state = Value::Object(state);
            CoreEngine::from_state(emongroups_core::Profile::Emoncms, state)
                .map(|inner| PhpEngine { inner })
                .map_err(|e| exception(e.code().as_str(), e.message()))
        })
    }

    /// Answers one wire request (JSON text) against the held facts; the answer is JSON text.
    /// Like `EmonGroups\call`, wire errors are answers here, not exceptions.
    pub fn handle(&self, json: BinarySlice<u8>) -> String {
        crate::wire_guarded(|| self.handle_bytes(json.into()))
    }

    /// The decision on `$actor` doing `$action` to `$object` (e.g. `['group' => 3]`).
    pub fn check(&self, actor: i64, action: &str, object: &ZendHashTable) -> PhpResult<ZBox<ZendHashTable>> {
        guarded(|| {
            let mut fields = object_fields(object)?;
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
            let mut fields = Map::new();
            fields.insert("route".into(), route.into());
            fields.insert("session".into(), argument(session, "session", Shape::Object)?);
            fields.insert("params".into(), argument(params, "params", Shape::Object)?);
            if let Some(host) = host {
                fields.insert("host".into(), argument(host, "host", Shape::Object)?);
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

    /// Everyone who may do `$action` to `$object`: `['everyone' => bool, 'users' => [ids]]`.
    pub fn who_can(&self, action: &str, object: &ZendHashTable) -> PhpResult<ZBox<ZendHashTable>> {
        guarded(|| {
            let mut fields = object_fields(object)?;
            fields.insert("action".into(), action.into());
            self.ask("who_can", fields)
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
            let mut fields = Map::new();
            fields.insert("changes".into(), argument(changes, "changes", Shape::Any)?);
            if let Some(users) = users {
                fields.insert("users".into(), argument(users, "users", Shape::Any)?);
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
                    &format!(
                        "canReadFeed needs an emoncms engine; this one holds `{}`",
                        self.inner.profile().as_str()
                    ),
                ));
            };
            let actor = id(actor, "actor", 0)?;
            let feed = id(feed, "feed", 1)?;
            Ok(engine.can_read_feed(actor, feed).allowed)
        })
    }

    /// The engine's version (the same for every profile).
    pub fn version() -> PhpResult<String> {
        guarded(|| Ok(crate::engine_version()))
    }
}

impl PhpEngine {
    fn handle_bytes(&self, json: &[u8]) -> String {
        match std::str::from_utf8(json) {
            Ok(json) => self.inner.handle(json),
            Err(_) => crate::not_utf8_answer(),
        }
    }

    /// Sends `op` with `fields` to the held engine; the result as a PHP array, or the error thrown.
    fn ask(&self, op: &str, mut fields: Map<String, Value>) -> PhpResult<ZBox<ZendHashTable>> {
        fields.insert("v".into(), emongroups_core::WIRE_VERSION.into());
        fields.insert("op".into(), op.into());
        fields.insert("profile".into(), self.inner.profile().as_str().into());
        let request = Value::Object(fields).to_string();
        let answer = self.inner.handle(&request);
        result_of(&answer).map(|result| json_to_array(&result))
    }
}

/// The `result` of an answer, or its error as an exception.
pub fn result_of(answer: &str) -> PhpResult<Value> {
    let answer: Value = json::from_str(answer)
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

/// The ids the wire accepts: emoncms's `int(11)` columns, 1 … 2147483647 (`min` 0 for an actor,
/// where 0 is anonymous). Anything else is refused as the wire refuses it.
fn id(value: i64, name: &str, min: i64) -> PhpResult<emongroups_core::Id> {
    const MAX_ID: i64 = i32::MAX as i64;
    if (min..=MAX_ID).contains(&value) {
        // In range, so it fits.
        Ok(value as emongroups_core::Id)
    } else {
        Err(exception("bad_request", &format!("`{name}` is `{value}`, not an id in {min} … {MAX_ID}")))
    }
}

/// Converts an argument that the wire wants as JSON, with its name in any error.
fn argument(array: &ZendHashTable, name: &str, shape: Shape) -> PhpResult<Value> {
    // The argument sits at depth 2 of the request (request → field).
    array_to_json(array, shape, 2).map_err(|e| convert_error(&e, name))
}

fn convert_error(err: &ConvertError, name: &str) -> PhpException {
    exception(err.code(), &err.message(name))
}

/// The fields of a check's object (`group`, `user`, `feed`), which go at the top of the request.
fn object_fields(object: &ZendHashTable) -> PhpResult<Map<String, Value>> {
    let Value::Object(fields) = argument(object, "object", Shape::Object)? else {
        return Err(exception("bad_request", "`object` must be an associative array such as ['group' => 3]"));
    };
    if let Some(key) = ENVELOPE_FIELDS.iter().find(|k| fields.contains_key(k)) {
        return Err(exception(
            "bad_request",
            &format!("`object` may not set `{key}`; it holds only the object fields (group, user, feed)"),
        ));
    }
    Ok(fields)
}

/// The rows of one table as JSON objects; `int_fields` that hold integer strings (as mysqli
/// returns every column) become integers, which the wire requires for ids.
fn rows(table: &ZendHashTable, name: &str, int_fields: &[&str]) -> PhpResult<Value> {
    let mut out = Vec::with_capacity(table.len());
    for (_, row) in entries(table) {
        let at = out.len();
        let Some(row) = row.array() else {
            return Err(exception(
                "bad_request",
                &format!("`{name}.{at}` must be an array (one row of the table)"),
            ));
        };
        // A row sits at depth 4 of a request: request → state → table → row.
        let mut row =
            row_to_json(row, 4, int_fields).map_err(|e| convert_error(&e, &format!("{name}.{at}")))?;
        // An empty PHP array cannot say whether it is [] or {}; these two user fields are objects.
        if name == "users"
            && let Value::Object(fields) = &mut row
        {
            for field in ["inputs", "tags"] {
                if let Some(value) = fields.get_mut(field)
                    && value.as_array().is_some_and(Vec::is_empty)
                {
                    *value = Value::Object(Map::new());
                }
            }
        }
        out.push(row);
    }
    Ok(Value::Array(out))
}
