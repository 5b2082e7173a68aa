//! The state: homes with their users and devices, read strictly and checked.

use serde::{Deserialize, Serialize};

use crate::error::{ErrorCode, WireError};
use crate::util::truncate;
use crate::value::{ToJson, Value};

use super::id::Id;
use super::policy::{DeviceClass, Policy};
use crate::de;

// Every object is read strictly: a field nobody reads is an error, and a field with a default
// may be absent but not null. Rows are written back with their fields in this order.

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct State {
    #[serde(default)]
    pub(super) homes: Vec<Home>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Home {
    pub(super) id: String,
    #[serde(default)]
    pub(super) users: Vec<User>,
    #[serde(default)]
    pub(super) devices: Vec<Device>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct User {
    pub(super) user_id: Id,
    pub(super) email: String,
    pub(super) user_name: String,
    pub(super) role: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Device {
    pub(super) id: Id,
    pub(super) class: DeviceClass,
    #[serde(default)]
    pub(super) name: String,
}

impl Home {
    /// The user `id` names.
    pub(super) fn user(&self, id: &Id) -> Option<&User> {
        self.users.iter().find(|u| u.user_id == *id)
    }
}

impl State {
    /// Reads a state (`invalid_state` errors).
    pub(super) fn read(state: Value) -> Result<State, WireError> {
        de::read("state", ErrorCode::InvalidState, state)
    }

    pub(super) fn to_json(&self) -> Value {
        ToJson::to_json(self)
    }

    pub(super) fn home(&self, id: &str) -> Option<&Home> {
        self.homes.iter().find(|h| h.id == id)
    }

    /// Facts that contradict themselves, or roles outside the catalog; the first problem in reading
    /// order is named.
    pub(super) fn validate(&self, policy: &Policy) -> Result<(), WireError> {
        let home_repeat = first_repeat(&self.homes, |h| &h.id);
        let mut buf = [0; 20];
        for (i, h) in self.homes.iter().enumerate() {
            if h.id.is_empty() {
                return Err(WireError::invalid_state("a home has an empty `id`"));
            }
            if home_repeat == Some(i) {
                return Err(state_error(&["home ", &h.id, " is listed twice"]));
            }
            let user_repeat = first_repeat(&h.users, |u| &u.user_id);
            for (j, u) in h.users.iter().enumerate() {
                let id = u.user_id.text(&mut buf);
                if user_repeat == Some(j) {
                    return Err(state_error(&["user ", id, " is listed twice in home ", &h.id]));
                }
                if policy.roles.index(&u.role).is_none() {
                    return Err(state_error(&[
                        "user ",
                        id,
                        " of home ",
                        &h.id,
                        " has unknown role ",
                        &u.role,
                        "; expected `administrator`, `family_member` or `guest`",
                    ]));
                }
            }
            if let Some(d) = first_repeat(&h.devices, |d| &d.id).and_then(|j| h.devices.get(j)) {
                let id = d.id.text(&mut buf);
                return Err(state_error(&["device ", id, " is listed twice in home ", &h.id]));
            }
        }
        Ok(())
    }
}

/// An `invalid_state` error of `pieces`: text at even places, names at odd places (shown between
/// backquotes, cut to 64 characters).
pub(super) fn state_error(pieces: &[&str]) -> WireError {
    let mut message = String::new();
    for (i, piece) in pieces.iter().enumerate() {
        if i % 2 == 0 {
            message.push_str(piece);
        } else {
            message.push('`');
            message.push_str(&truncate(piece, 64));
            message.push('`');
        }
    }
    WireError::invalid_state(message)
}

/// The first of `n` items (by index) equal to an earlier one, `cmp` ordering items by index.
/// The first of `items` (by index) whose `key` equals an earlier one's.
fn first_repeat<T, K: Ord + ?Sized>(items: &[T], key: impl Fn(&T) -> &K) -> Option<usize> {
    let key_at = |i: usize| items.get(i).map(&key);
    crate::util::repeats(items.len(), &|a, b| key_at(a).cmp(&key_at(b))).1.iter().position(|&r| r)
}

#[cfg(test)]
mod tests {
    use crate::profiles::home::testing::*;
    use crate::value::{Value, json};

    #[test]
    fn state_is_strict() {
        let bad = [
            json!({"homes": [{"id": "h", "users": [], "extra": 1}]}),
            json!({"homes": [{"id": "h"}, {"id": "h"}]}),
            json!({"homes": [{"id": "h", "users": [
                {"user_id": 1, "email": "a@b.co", "user_name": "A", "role": "administrator"},
                {"user_id": "1", "email": "c@b.co", "user_name": "C", "role": "guest"}]}]}),
            json!({"homes": [{"id": "h", "users": [{"user_id": 1, "email": "a@b.co", "user_name": "A", "role": "adult"}]}]}),
            json!({"homes": [{"id": "h", "devices": [{"id": "d", "class": "kitchen"}]}]}),
            json!({"homes": [{"id": "h", "devices": [{"id": "d", "class": "utility"}, {"id": "d", "class": "security"}]}]}),
            json!({"homes": [{"id": ""}]}),
        ];
        for state in bad {
            let a = call(json!({"v": 1, "op": "what_can", "profile": "home", "user": 1, "state": state}));
            assert_eq!(a["error"]["code"], "invalid_state", "{state}: {a}");
        }
    }

    #[test]
    fn state_rows_are_read_strictly() {
        let with_user = |user: Value| json!({"homes": [{"id": "h", "users": [user]}]});
        let a = ask(
            "what_can",
            json!({"user": 1}),
            with_user(json!({"user_id": 1, "email": "a@b.co", "user_name": "A", "role": "guest", "age": 3})),
        );
        assert_eq!(
            error_of(&a),
            invalid_state(
                "state: homes[0]: users[0]: unknown field `age`, expected one of `user_id`, `email`, `user_name`, `role`"
            )
        );
        let a = ask(
            "what_can",
            json!({"user": 1}),
            with_user(json!({"user_id": 1, "user_name": "A", "role": "guest"})),
        );
        assert_eq!(error_of(&a), invalid_state("state: homes[0]: users[0]: missing field `email`"));
        let a = ask(
            "what_can",
            json!({"user": 1}),
            json!({"homes": [{"id": "h", "devices": [{"id": "d", "class": "kitchen"}]}]}),
        );
        assert_eq!(
            error_of(&a),
            invalid_state(
                "state: homes[0]: devices[0]: field `class`: unknown variant `kitchen`, expected `security` or `utility`"
            )
        );
        let a = ask("what_can", json!({"user": 1}), json!({"homes": [["h"]]}));
        assert_eq!(error_of(&a), invalid_state("state: homes[0]: expected an object, found an array"));
        let a = ask(
            "what_can",
            json!({"user": 1}),
            with_user(json!({"user_id": 1, "email": 5, "user_name": "A", "role": "guest"})),
        );
        assert_eq!(
            error_of(&a),
            invalid_state("state: homes[0]: users[0]: field `email`: expected a string, found a number")
        );
        let a = ask("what_can", json!({"user": 1}), json!({"homes": [], "owners": []}));
        assert_eq!(error_of(&a), invalid_state("state: unknown field `owners`, expected `homes`"));
        // Absent lists and names default; null ones are refused, as the derives did.
        let a = ask("what_can", json!({"user": 1}), json!({}));
        assert_eq!(a["ok"], true, "{a}");
        for state in [
            json!({"homes": null}),
            json!({"homes": [{"id": "h", "users": null}]}),
            json!({"homes": [{"id": "h", "devices": [{"id": "d", "class": "utility", "name": null}]}]}),
        ] {
            let a = ask("what_can", json!({"user": 1}), state.clone());
            assert_eq!(a["error"]["code"], "invalid_state", "{state}: {a}");
        }
    }

    #[test]
    fn the_first_repeat_in_reading_order_is_named() {
        let user =
            |id: Value, role: &str| json!({"user_id": id, "email": "a@b.co", "user_name": "A", "role": role});
        let state = json!({"homes": [
            {"id": "b", "users": [user(json!(5), "guest"), user(json!(3), "guest"), user(json!("3"), "guest"), user(json!(5), "guest")]},
            {"id": "a"}, {"id": "b"},
        ]});
        let a = ask("what_can", json!({"user": 1}), state);
        assert_eq!(error_of(&a), invalid_state("user `3` is listed twice in home `b`"));
        let state = json!({"homes": [
            {"id": "a", "users": [user(json!(5), "admin"), user(json!(5), "guest")]},
        ]});
        let a = ask("what_can", json!({"user": 1}), state);
        let (_, message) = error_of(&a);
        assert!(message.starts_with("user `5` of home `a` has unknown role `admin`"), "{message}");
        let state = json!({"homes": [
            {"id": "a", "devices": [{"id": "x", "class": "utility"}, {"id": "y", "class": "utility"}, {"id": "y", "class": "utility"}, {"id": "x", "class": "utility"}]},
            {"id": "a"},
        ]});
        let a = ask("what_can", json!({"user": 1}), state);
        assert_eq!(error_of(&a), invalid_state("device `y` is listed twice in home `a`"));
        let state = json!({"homes": [{"id": "c"}, {"id": "a"}, {"id": "c"}, {"id": "a"}]});
        let a = ask("what_can", json!({"user": 1}), state);
        assert_eq!(error_of(&a), invalid_state("home `c` is listed twice"));
    }
}
