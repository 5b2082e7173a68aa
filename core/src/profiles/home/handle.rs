//! The ops, dispatched: the [`ProfileEngine`] impl.

use crate::error::WireError;
use crate::profiles::{Fields, Profile, ProfileEngine, unknown_op, version_op};
use crate::value::Value;

use super::change::applied;
use super::engine::HomeEngine;
use super::policy::Policy;
use super::query::{CheckFields, WhatCanFields};
use super::report::read_report;
use super::state::State;
use crate::de;
use crate::profiles::NoFields;

impl ProfileEngine for HomeEngine {
    fn build(state: Value) -> Result<Self, WireError> {
        let policy = Policy::new()?;
        let state = State::read(state)?;
        state.validate(&policy)?;
        Ok(HomeEngine { policy, state })
    }

    fn handle(&self, op: &str, fields: Fields) -> Result<Value, WireError> {
        match op {
            "version" => version_op(fields),
            "catalog" => {
                de::op::<NoFields>(op, fields)?;
                Ok(self.policy.catalog_json())
            }
            "check" => {
                let q: CheckFields = de::op(op, fields)?;
                Ok(self.decide(&q.actor, &q.action, &q.home, q.device.as_ref())?.0)
            }
            "who_can" => self.who_can(&de::op(op, fields)?),
            "what_can" => Ok(self.what_can(&de::op::<WhatCanFields>(op, fields)?.user)),
            "report" => read_report(de::op(op, fields)?),
            "command" => Ok(self.command(de::op(op, fields)?)),
            "what_if" => self.what_if(de::op(op, fields)?),
            _ => Err(unknown_op(Profile::Home, op)),
        }
    }

    fn apply(state: Value, changes: Value) -> Result<Value, WireError> {
        let policy = Policy::new()?;
        let state = State::read(state)?;
        Ok(applied(state, &policy, changes)?.to_json())
    }

    fn is_stateless_op(op: &str) -> bool {
        matches!(op, "catalog" | "report")
    }
}

#[cfg(test)]
mod tests {
    use crate::profiles::home::policy::CONTROL_UTILITY;
    use crate::profiles::home::testing::*;
    use crate::value::json;

    #[test]
    fn hostile_input_is_an_error_answer() {
        let state = json!({"homes": [{"id": "h", "users": [{"user_id": 1, "email": "a@b.co", "user_name": "A", "role": "administrator"}]}]});
        for (op, extra) in [
            ("command", json!({"topic": 5, "command_type": "add_user", "actor": 1, "body": {}})),
            ("command", json!({"topic": "h/users", "command_type": "add_user", "actor": -3, "body": {}})),
            ("command", json!({"topic": "h/users", "command_type": "add_user", "actor": 1})),
            ("check", json!({"actor": 1, "action": "device.control", "home": "h"})),
            ("check", json!({"actor": 1, "action": "fly", "home": "h"})),
            ("what_if", json!({"changes": {"kind": "delete_user"}})),
            ("what_if", json!({"changes": [{"kind": "delete_user", "home": "h", "user_id": 9}]})),
            ("catalog", json!({"x": 1})),
            ("report", json!({"body": {"result": "maybe"}})),
        ] {
            let mut req = json!({"v": 1, "op": op, "profile": "home", "state": state.clone()});
            for (k, v) in extra.as_object().unwrap().iter() {
                req.as_object_mut().unwrap().insert(k.clone(), v.clone());
            }
            let a = call(req);
            assert_eq!(a["ok"], false, "{op} {extra}: {a}");
        }
    }

    #[test]
    fn stateless_ops_need_no_state() {
        let a = call(json!({"v": 1, "op": "catalog", "profile": "home"}));
        assert_eq!(a["result"]["roles"][2]["permissions"], json!([CONTROL_UTILITY]));
        let a = call(json!({"v": 1, "op": "report", "profile": "home", "body": {"result": "ok"}}));
        assert_eq!(a["result"]["result"], "OK");
        let a = call(
            json!({"v": 1, "op": "check", "profile": "home", "actor": 1, "action": "users.manage", "home": "h"}),
        );
        assert_eq!(a["error"]["code"], "missing_state");
    }

    #[test]
    fn ops_refuse_unknown_fields() {
        for (op, fields, expected) in [
            (
                "check",
                json!({"actor": 1, "action": "users.manage", "home": "h", "colour": 1}),
                "one of `actor`, `action`, `home`, `device`",
            ),
            (
                "who_can",
                json!({"action": "users.manage", "home": "h", "colour": 1}),
                "one of `action`, `home`, `device`",
            ),
            ("what_can", json!({"user": 1, "colour": 1}), "`user`"),
            ("what_if", json!({"changes": [], "colour": 1}), "`changes` or `users`"),
            (
                "command",
                json!({"topic": "h/users", "command_type": "del_user", "actor": 1, "body": {}, "colour": 1}),
                "one of `topic`, `command_type`, `actor`, `body`",
            ),
            (
                "report",
                json!({"body": {"result": "ok"}, "colour": 1}),
                "one of `report_type`, `topic`, `body`",
            ),
        ] {
            let a = ask(op, fields, one_home());
            let message = format!("op `{op}`: unknown field `colour`, expected {expected}");
            assert_eq!(error_of(&a), bad_request(&message));
        }
        let a = ask("catalog", json!({"colour": 1}), one_home());
        assert_eq!(error_of(&a), bad_request("op `catalog`: unknown field `colour`, there are no fields"));
    }

    #[test]
    fn ops_name_missing_and_bad_fields() {
        let a = ask("check", json!({"actor": 1, "action": "users.manage"}), one_home());
        assert_eq!(error_of(&a), bad_request("op `check`: missing field `home`"));
        let a =
            ask("command", json!({"topic": "h/users", "command_type": "add_user", "body": {}}), one_home());
        assert_eq!(error_of(&a), bad_request("op `command`: missing field `actor`"));
        let a = ask("report", json!({"topic": "h/users"}), one_home());
        assert_eq!(error_of(&a), bad_request("op `report`: missing field `body`"));
        let a = ask("what_if", json!({"users": [1]}), one_home());
        assert_eq!(error_of(&a), bad_request("op `what_if`: missing field `changes`"));
        let id = "an id (a non-negative integer, or a string of 1 to 256 characters)";
        let a = ask("what_can", json!({"user": -3}), one_home());
        let message = format!("op `what_can`: field `user`: expected {id}, found integer `-3`");
        assert_eq!(error_of(&a), bad_request(&message));
        let a = ask("what_if", json!({"changes": [], "users": [1, true]}), one_home());
        let message = format!("op `what_if`: users[1]: expected {id}, found a boolean");
        assert_eq!(error_of(&a), bad_request(&message));
        let a = ask("check", json!({"actor": 1, "action": 5, "home": "h"}), one_home());
        let message = "op `check`: field `action`: expected a string, found a number";
        assert_eq!(error_of(&a), bad_request(message));
        let a = ask("what_if", json!({"changes": null}), one_home());
        assert_eq!(error_of(&a), bad_request("`changes` must be an array"));
        // Optional fields may be null, as before.
        let a = ask(
            "check",
            json!({"actor": 1, "action": "users.manage", "home": "h", "device": null}),
            one_home(),
        );
        assert_eq!(a["result"]["allowed"], true, "{a}");
        let a = ask(
            "report",
            json!({"report_type": null, "topic": null, "body": {"result": "Error"}}),
            one_home(),
        );
        assert_eq!(
            a["result"],
            json!({"report_type": null, "topic": null, "result": "Error", "success": false})
        );
    }
}
