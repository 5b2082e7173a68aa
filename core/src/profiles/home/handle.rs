//! The ops, dispatched: the [`ProfileEngine`] impl.

use crate::error::WireError;
use crate::profiles::{Fields, Profile, ProfileEngine, unknown_op, version_op};
use crate::value::Value;

use super::args::{Args, OP_FIELDS, no_fields};
use super::change::applied;
use super::engine::HomeEngine;
use super::policy::Policy;
use super::report::read_report;
use super::state::State;

impl ProfileEngine for HomeEngine {
    fn build(state: Value) -> Result<Self, WireError> {
        let policy = Policy::new()?;
        let state = State::read(state)?;
        state.validate(&policy)?;
        Ok(HomeEngine { policy, state })
    }

    fn handle(&self, op: &str, fields: Fields) -> Result<Value, WireError> {
        match op {
            "version" => return version_op(fields),
            "catalog" => {
                no_fields(op, &fields)?;
                return Ok(self.policy.catalog_json());
            }
            _ => {}
        }
        let Some((_, spec)) = OP_FIELDS.iter().find(|(name, _)| *name == op) else {
            return Err(unknown_op(Profile::Home, op));
        };
        let args = Args::read(op, fields, spec)?;
        // `check` and `what_can` require their person, so it is there.
        match (op, &args.person) {
            ("check", Some(actor)) => {
                Ok(self.decide(actor, &args.action, &args.home, args.device.as_ref())?.0)
            }
            ("what_can", Some(user)) => Ok(self.what_can(user)),
            ("report", _) => read_report(args),
            ("command", _) => Ok(self.command(args)),
            ("what_if", _) => self.what_if(args),
            _ => self.who_can(&args),
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
        for (op, fields) in [
            ("check", json!({"actor": 1, "action": "users.manage", "home": "h", "colour": 1})),
            ("who_can", json!({"action": "users.manage", "home": "h", "colour": 1})),
            ("what_can", json!({"user": 1, "colour": 1})),
            ("what_if", json!({"changes": [], "colour": 1})),
            (
                "command",
                json!({"topic": "h/users", "command_type": "del_user", "actor": 1, "body": {}, "colour": 1}),
            ),
            ("report", json!({"body": {"result": "ok"}, "colour": 1})),
        ] {
            let a = ask(op, fields, one_home());
            assert_eq!(error_of(&a), bad_request(&format!("op `{op}`: unknown field `colour`")));
        }
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
        let a = ask("what_can", json!({"user": -3}), one_home());
        let (code, message) = error_of(&a);
        assert_eq!(code, "bad_request");
        assert!(message.starts_with("op `what_can`: field `user`: "), "{message}");
        let a = ask("what_if", json!({"changes": [], "users": [1, true]}), one_home());
        let (code, message) = error_of(&a);
        assert_eq!(code, "bad_request");
        assert!(message.starts_with("op `what_if`: field `users`: [1]: "), "{message}");
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
