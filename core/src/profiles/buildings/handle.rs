//! The ops, dispatched: the [`ProfileEngine`] impl.

use crate::error::WireError;
use crate::profiles::{Fields, Profile, ProfileEngine, unknown_op, version_op};
use crate::value::{Value, object_of};

use super::change::after_changes;
use super::engine::BuildingsEngine;
use super::policy::Policy;
use super::query::{CheckFields, WhatCanFields, WhoCanFields};
use super::state::State;
use crate::de;
use crate::profiles::NoFields;

impl ProfileEngine for BuildingsEngine {
    fn build(state: Value) -> Result<Self, WireError> {
        BuildingsEngine::from_state(Policy::new()?, State::read(state)?)
    }

    fn handle(&self, op: &str, fields: Fields) -> Result<Value, WireError> {
        match op {
            "version" => version_op(fields),
            "list_permission_sets" => {
                de::op::<NoFields>(op, fields)?;
                Ok(self.policy.permission_sets_json())
            }
            "catalog" => {
                de::op::<NoFields>(op, fields)?;
                Ok(self.policy.catalog_json())
            }
            "http" => self.http(de::op(op, fields)?),
            "check" => {
                let (actor, target) = de::op::<CheckFields>(op, fields)?.target()?;
                Ok(self.decide(&actor, &target, true).0)
            }
            "who_can" => Ok(self.who_can(&de::op::<WhoCanFields>(op, fields)?.target()?)),
            "what_can" => {
                let user = de::op::<WhatCanFields>(op, fields)?.user;
                let caps = Value::Array(self.capabilities_of(&user));
                Ok(object_of(&mut [("user", Value::String(user)), ("capabilities", caps)]))
            }
            "what_if" => self.what_if(de::op(op, fields)?),
            _ => Err(unknown_op(Profile::Buildings, op)),
        }
    }

    fn apply(state: Value, changes: Value) -> Result<Value, WireError> {
        Ok(after_changes(State::read(state)?, changes)?.state.to_json())
    }

    fn is_stateless_op(op: &str) -> bool {
        matches!(op, "list_permission_sets" | "catalog")
    }
}

#[cfg(test)]
mod tests {
    use crate::profiles::buildings::testing::*;
    use crate::value::json;

    #[test]
    fn hostile_input_is_an_error_or_an_answer() {
        let s = state();
        for extra in [
            json!({"op": "http", "method": "GET", "path": "/user_groups/", "actor": 5}),
            json!({"op": "http", "method": "GET", "path": "/user_groups/", "actor": "u", "x": 1}),
            json!({"op": "http", "method": "GET", "actor": "u"}),
            json!({"op": "check", "actor": "u", "action": "user_group.view"}),
            json!({"op": "check", "actor": "u", "action": "view_buildings", "user_group": "g"}),
            json!({"op": "list_permission_sets", "x": 1}),
            json!({"op": "what_if", "changes": [{"kind": "insert_user_group", "user_group": {"id": "g"}}]}),
        ] {
            let mut req = json!({"v": 1, "profile": "buildings", "state": s});
            for (k, v) in extra.as_object().unwrap() {
                req[k] = v.clone();
            }
            assert_eq!(call(req.clone())["ok"], false, "{req}");
        }
        // Odd but well-formed requests are answers, never panics.
        for (method, path, body) in [
            ("GET", "/user_groups/?%", json!(null)),
            ("GET", "/user_groups/?permission_sets__view_buildings__gt=%ff%fe", json!(null)),
            ("GET", "/user_groups/?&&=&", json!(null)),
            ("PATCH", "/user_groups/g/", json!({"permission_sets": {"view_buildings": ["B", "B", "ghost"]}})),
            ("PATCH", "/user_groups/g/", json!({"users": [1, 2]})),
            ("put", "/user_groups/g", json!({"name": "é".repeat(81)})),
            ("BREW", "/user_groups/", json!(null)),
            (
                "POST",
                "/user_groups/",
                json!({"name": "x", "type": "customer", "customer": "C", "permission_sets": {"view_buildings": [[]]}}),
            ),
        ] {
            let req = json!({"v": 1, "profile": "buildings", "state": s, "op": "http", "method": method, "path": path,
                             "actor": "u", "body": body, "now": "2024-01-01T00:00:00Z", "new_id": "n"});
            let a = call(req.clone());
            assert_eq!(a["ok"], true, "{req}: {a}");
            assert!(a["result"]["status"].as_u64().is_some_and(|s| (200..500).contains(&s)), "{a}");
        }
    }

    #[test]
    fn ops_are_read_strictly() {
        let base = |op: &str| json!({"v": 1, "op": op, "profile": "buildings", "state": state()});
        let mut req = base("check");
        req["actor"] = json!("u");
        req["action"] = json!("view_buildings");
        req["x"] = json!(1);
        assert_eq!(
            error_of(&call(req)),
            (
                "bad_request",
                "op `check`: unknown field `x`, expected one of `actor`, `action`, `object`, `user_group`"
            )
        );
        let mut req = base("http");
        req["method"] = json!("GET");
        req["actor"] = json!("u");
        assert_eq!(error_of(&call(req)), ("bad_request", "op `http`: missing field `path`"));
        let mut req = base("what_can");
        req["user"] = json!(5);
        assert_eq!(
            error_of(&call(req)),
            ("bad_request", "op `what_can`: field `user`: expected a string, found a number")
        );
        let mut req = base("what_if");
        req["changes"] = json!([{"kind": "delete_user_group", "id": "g", "user_group": {}}]);
        assert_eq!(
            error_of(&call(req)),
            ("bad_request", "`changes`[0]: unknown field `user_group`, expected `id`")
        );
        let mut req = base("what_if");
        req["users"] = json!(["u"]);
        assert_eq!(error_of(&call(req)), ("bad_request", "op `what_if`: missing field `changes`"));
    }

    #[test]
    fn stateless_ops_need_no_state() {
        let a = call(json!({"v": 1, "op": "list_permission_sets", "profile": "buildings"}));
        assert_eq!(a["result"].as_array().map(Vec::len), Some(13));
        let a = call(json!({"v": 1, "op": "catalog", "profile": "buildings"}));
        assert_eq!(a["result"]["tiers"][2]["includes"], "partner");
        let a = call(
            json!({"v": 1, "op": "http", "profile": "buildings", "method": "GET", "path": "/user_groups/", "actor": "u"}),
        );
        assert_eq!(a["error"]["code"], "missing_state");
    }
}
