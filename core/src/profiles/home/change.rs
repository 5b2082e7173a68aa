//! Changes: what ops return, what `apply` and `what_if` take.

use crate::error::{ErrorCode, WireError};
use crate::read::{self, Reader};
use crate::util::truncate;
use crate::value::{ToJson, Value, object_of};

use super::de;
use super::id::Id;
use super::policy::Policy;
use super::state::{Device, State, User, state_error};

/// One change of the state, as ops return them and `apply` takes them.
#[derive(Debug, Clone)]
pub(super) struct Change {
    /// The index of its kind in [`CHANGE_KINDS`]: 0–2 insert, update and delete a user, 3–5 the
    /// same for a device.
    pub(super) kind: usize,
    pub(super) home: String,
    pub(super) row: Row,
}

/// What a change carries (in its field [`CHANGE_FIELDS`] names): the whole user or device it
/// inserts or updates, or the id of the one it deletes.
#[derive(Debug, Clone)]
pub(super) enum Row {
    User(User),
    Device(Device),
    Id(Id),
}

/// The kinds of [`Change`], in the order messages list them.
const CHANGE_KINDS: [&str; 6] =
    ["insert_user", "update_user", "delete_user", "insert_device", "update_device", "delete_device"];

/// The field holding the [`Row`] of each kind of [`Change`].
const CHANGE_FIELDS: [&str; 6] = ["user", "user", "user_id", "device", "device", "id"];

impl Change {
    /// Reads change `i`: `kind`, `home`, then the kind's own field.
    fn read(mut r: Reader, i: usize) -> Result<Change, WireError> {
        let kind = r.req("kind", read::string)?;
        let Some(k) = CHANGE_KINDS.iter().position(|c| *c == kind) else {
            let expected: Vec<String> = CHANGE_KINDS.iter().map(|k| format!("`{k}`")).collect();
            return Err(WireError::new(
                r.code(),
                format!(
                    "`changes`: unknown variant `{}`, expected one of {}",
                    truncate(&kind, 64),
                    expected.join(", ")
                ),
            ));
        };
        let home = r.req("home", read::string)?;
        let field = CHANGE_FIELDS[k];
        let row = if k % 3 == 2 {
            Row::Id(r.req(field, |v| Id::from_value(&v).ok_or_else(|| "expected an id".to_string()))?)
        } else {
            let v = r.req(field, read::any)?;
            let what = format!("`changes`[{i}]: {field}");
            if k < 3 {
                Row::User(de::read(&what, ErrorCode::BadRequest, v)?)
            } else {
                Row::Device(de::read(&what, ErrorCode::BadRequest, v)?)
            }
        };
        r.finish()?;
        Ok(Change { kind: k, home, row })
    }

    /// The change as ops return it: `kind`, `home`, then the kind's own field.
    pub(super) fn to_json(&self) -> Value {
        let row = match &self.row {
            Row::User(u) => ToJson::to_json(u),
            Row::Device(d) => ToJson::to_json(d),
            Row::Id(id) => id.to_value(),
        };
        object_of(&mut [
            ("kind", CHANGE_KINDS[self.kind].into()),
            ("home", self.home.as_str().into()),
            (CHANGE_FIELDS[self.kind], row),
        ])
    }
}

impl State {
    fn apply(&mut self, change: Change) -> Result<(), WireError> {
        let Change { kind, home, row } = change;
        let Some(h) = self.homes.iter_mut().find(|h| h.id == home) else {
            return Err(state_error(&["change names unknown home ", &home]));
        };
        let id = match &row {
            Row::User(u) => &u.user_id,
            Row::Device(d) => &d.id,
            Row::Id(id) => id,
        };
        let (noun, at) = if kind < 3 {
            ("user ", h.users.iter().position(|u| u.user_id == *id))
        } else {
            ("device ", h.devices.iter().position(|d| d.id == *id))
        };
        let mut buf = [0; 20];
        match (kind % 3, at) {
            (0, Some(_)) => {
                return Err(state_error(&[noun, id.text(&mut buf), " already exists in home ", &home]));
            }
            (verb @ (1 | 2), None) => {
                let no = if kind < 3 { "no user " } else { "no device " };
                let to = if verb == 1 { " to update" } else { " to delete" };
                return Err(state_error(&[no, id.text(&mut buf), to]));
            }
            _ => {}
        }
        // An update keeps the stored form of the id; a delete removes every row with the id.
        match (row, at) {
            (Row::User(user), Some(i)) => {
                let old = &mut h.users[i];
                (old.email, old.user_name, old.role) = (user.email, user.user_name, user.role);
            }
            (Row::User(user), None) => h.users.push(user),
            (Row::Device(device), Some(i)) => {
                let old = &mut h.devices[i];
                (old.class, old.name) = (device.class, device.name);
            }
            (Row::Device(device), None) => h.devices.push(device),
            (Row::Id(id), _) if kind < 3 => h.users.retain(|u| u.user_id != id),
            (Row::Id(id), _) => h.devices.retain(|d| d.id != id),
        }
        Ok(())
    }
}

/// Reads `changes` (`bad_request` errors; an item is named `` `changes`[i] ``).
fn parse_changes(changes: Value) -> Result<Vec<Change>, WireError> {
    let Value::Array(items) = changes else {
        return Err(WireError::bad_request("`changes` must be an array"));
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        out.push(Change::read(Reader::of(format!("`changes`[{i}]"), ErrorCode::BadRequest, item)?, i)?);
    }
    Ok(out)
}

pub(super) fn applied(mut state: State, policy: &Policy, changes: Value) -> Result<State, WireError> {
    for change in parse_changes(changes)? {
        state.apply(change)?;
    }
    state.validate(policy)?;
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::home::testing::*;
    use crate::value::json;

    #[test]
    fn changes_are_read_strictly() {
        let rename = json!([{"kind": "rename_home", "home": "h"}]);
        let message = "`changes`: unknown variant `rename_home`, expected one of `insert_user`, `update_user`, \
                       `delete_user`, `insert_device`, `update_device`, `delete_device`";
        for op in ["what_if", "apply"] {
            let a = ask(op, json!({"changes": rename.clone()}), one_home());
            assert_eq!(error_of(&a), bad_request(message));
        }
        let cases = [
            (json!([{"home": "h"}]), "`changes`[0]: missing field `kind`"),
            (json!([{"kind": "delete_device", "home": "h"}]), "`changes`[0]: missing field `id`"),
            (
                json!([{"kind": "delete_device", "home": "h", "id": "tv", "why": 1}]),
                "`changes`[0]: unknown field `why`",
            ),
            (
                json!([{"kind": "delete_user", "home": "h", "user_id": 1},
                       {"kind": "insert_user", "home": "h", "user": {"user_id": 2, "email": "b@b.co", "role": "guest"}}]),
                "`changes`[1]: user: missing field `user_name`",
            ),
            (
                json!([{"kind": "insert_device", "home": "h", "device": {"id": "x", "class": "utility", "size": 1}}]),
                "`changes`[0]: device: unknown field `size`, expected one of `id`, `class`, `name`",
            ),
        ];
        for (changes, message) in cases {
            let a = ask("apply", json!({"changes": changes}), one_home());
            assert_eq!(error_of(&a), bad_request(message));
        }
        let a = ask(
            "what_if",
            json!({"changes": [{"kind": "delete_device", "home": "home9", "id": "lamp"}]}),
            one_home(),
        );
        assert_eq!(error_of(&a), invalid_state("change names unknown home `home9`"));
        for (change, message) in [
            (
                json!({"kind": "insert_user", "home": "h",
                       "user": {"user_id": "1", "email": "b@b.co", "user_name": "B", "role": "guest"}}),
                "user `1` already exists in home `h`",
            ),
            (
                json!({"kind": "update_device", "home": "h", "device": {"id": "lamp", "class": "utility"}}),
                "no device `lamp` to update",
            ),
            (json!({"kind": "delete_user", "home": "h", "user_id": 7}), "no user `7` to delete"),
        ] {
            let a = ask("apply", json!({"changes": [change]}), one_home());
            assert_eq!(error_of(&a), invalid_state(message));
        }
    }

    #[test]
    fn state_and_changes_are_written_back_field_by_field() {
        let a = ask(
            "apply",
            json!({"changes": [
                {"kind": "insert_user", "home": "h",
                 "user": {"user_id": "u2", "email": "b@b.co", "user_name": "B", "role": "guest"}},
                {"kind": "update_device", "home": "h", "device": {"id": "tv", "class": "security", "name": "TV"}},
                {"kind": "insert_device", "home": "h", "device": {"id": 7, "class": "utility"}},
            ]}),
            one_home(),
        );
        let expected = json!({"homes": [{"id": "h",
            "users": [
                {"user_id": 1, "email": "a@b.co", "user_name": "A", "role": "administrator"},
                {"user_id": "u2", "email": "b@b.co", "user_name": "B", "role": "guest"}],
            "devices": [
                {"id": "tv", "class": "security", "name": "TV"},
                {"id": 7, "class": "utility", "name": ""}]}]});
        // Same values and the fields in their declared order.
        assert_eq!(a["result"]["state"].to_string(), expected.to_string());
        let change = Change { kind: 2, home: "h".into(), row: Row::Id(Id::Num(4)) };
        assert_eq!(change.to_json().to_string(), r#"{"kind":"delete_user","home":"h","user_id":4}"#);
        let a = ask(
            "command",
            json!({"topic": "h/users", "command_type": "add_user", "actor": 1,
                   "body": {"user_id": 5, "email": "e@b.co", "user_name": "E", "role": "Guest"}}),
            one_home(),
        );
        assert_eq!(
            a["result"]["changes"].to_string(),
            r#"[{"kind":"insert_user","home":"h","user":{"user_id":5,"email":"e@b.co","user_name":"E","role":"guest"}}]"#
        );
    }
}
