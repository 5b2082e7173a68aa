//! `what_if`: the difference in access, person by person, that changes would make.

use serde::Deserialize;

use crate::error::WireError;
use crate::value::{Value, object_of};

use super::change::applied;
use super::engine::HomeEngine;
use super::id::Id;
use super::query::{capabilities, caps_missing, run_of};

/// The fields of `what_if`: the changes, and whose access to report (everyone's when absent).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WhatIfFields {
    changes: Value,
    users: Option<Vec<Id>>,
}

impl HomeEngine {
    pub(super) fn what_if(&self, req: WhatIfFields) -> Result<Value, WireError> {
        let after = applied(self.state.clone(), &self.policy, req.changes)?;
        let before = capabilities(&self.policy, &self.state, None);
        let after = capabilities(&self.policy, &after, None);
        let (mut b, mut a) = (&before[..], &after[..]);
        let mut diff = Vec::new();
        // People in id order, each named by the form the state after lists first, else the one
        // the state before lists first.
        while let Some(&(id, _)) = match (b.first(), a.first()) {
            (Some(x), Some(y)) if x.0 < y.0 => Some(x),
            (_, Some(y)) => Some(y),
            (x, None) => x,
        } {
            let (run_b, rest_b) = b.split_at(run_of(b, id));
            let (run_a, rest_a) = a.split_at(run_of(a, id));
            (b, a) = (rest_b, rest_a);
            if let Some(only) = &req.users
                && !only.contains(id)
            {
                continue;
            }
            let gains = caps_missing(run_a, run_b);
            let loses = caps_missing(run_b, run_a);
            if !gains.is_empty() || !loses.is_empty() {
                diff.push(object_of(&mut [
                    ("user", id.to_value()),
                    ("gains", Value::Array(gains)),
                    ("loses", Value::Array(loses)),
                ]));
            }
        }
        Ok(object_of(&mut [("diff", Value::Array(diff))]))
    }
}

#[cfg(test)]
mod tests {
    use crate::profiles::home::testing::*;
    use crate::value::{Value, json};

    #[test]
    fn what_if_names_each_person_by_the_form_the_states_hold() {
        let admin =
            |id: Value| json!({"user_id": id, "email": "a@b.co", "user_name": "A", "role": "administrator"});
        let guest = |id: Value| json!({"user_id": id, "email": "g@b.co", "user_name": "G", "role": "guest"});
        // In both states: the form the state after holds first.
        let state = json!({"homes": [{"id": "h", "users": [admin(json!(1))]}, {"id": "h2"}]});
        let changes = json!([
            {"kind": "delete_user", "home": "h", "user_id": 1},
            {"kind": "insert_user", "home": "h2", "user": admin(json!("1"))},
        ]);
        let a = ask("what_if", json!({"changes": changes}), state);
        assert_eq!(
            a["result"].to_string(),
            r#"{"diff":[{"user":"1","gains":[{"action":"users.manage","home":"h2"}],"loses":[{"action":"users.manage","home":"h"}]}]}"#
        );
        // Only before: the form the state before holds first, a home without capabilities included.
        let state = json!({"homes": [
            {"id": "h1", "users": [guest(json!("01")), guest(json!(1))]},
            {"id": "h2", "users": [admin(json!("1")), admin(json!(2))], "devices": [{"id": 3, "class": "security"}]},
        ]});
        let changes = json!([
            {"kind": "delete_user", "home": "h1", "user_id": 1},
            {"kind": "delete_user", "home": "h2", "user_id": 1},
        ]);
        let a = ask("what_if", json!({"changes": changes, "users": [2, "1", 7]}), state.clone());
        assert_eq!(
            a["result"].to_string(),
            r#"{"diff":[{"user":1,"gains":[],"loses":[{"action":"device.control","home":"h2","device":3},{"action":"users.manage","home":"h2"}]}]}"#
        );
        let a = ask("what_can", json!({"user": "1"}), state);
        assert_eq!(
            a["result"].to_string(),
            r#"{"user":"1","roles":[{"home":"h1","role":"guest"},{"home":"h2","role":"administrator"}],"capabilities":[{"action":"device.control","home":"h2","device":3},{"action":"users.manage","home":"h2"}]}"#
        );
    }
}
