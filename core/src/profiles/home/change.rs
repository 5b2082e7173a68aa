//! Changes: what ops return, what `apply` and `what_if` take.

use serde::{Deserialize, Serialize};

use crate::error::{ErrorCode, WireError};
use crate::value::Value;

use super::id::Id;
use super::policy::Policy;
use super::state::{Device, State, User, state_error};
use crate::de;

/// One change of the state, as ops return them and `apply` takes them: `kind`, `home`, then the
/// kind's own field.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(super) enum Change {
    #[serde(deserialize_with = "de::rest")]
    InsertUser(UserChange),
    #[serde(deserialize_with = "de::rest")]
    UpdateUser(UserChange),
    #[serde(deserialize_with = "de::rest")]
    DeleteUser(DeleteUser),
    #[serde(deserialize_with = "de::rest")]
    InsertDevice(DeviceChange),
    #[serde(deserialize_with = "de::rest")]
    UpdateDevice(DeviceChange),
    #[serde(deserialize_with = "de::rest")]
    DeleteDevice(DeleteDevice),
}

/// The user a change inserts or updates.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct UserChange {
    pub(super) home: String,
    pub(super) user: User,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DeleteUser {
    pub(super) home: String,
    pub(super) user_id: Id,
}

/// The device a change inserts or updates.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DeviceChange {
    pub(super) home: String,
    pub(super) device: Device,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DeleteDevice {
    pub(super) home: String,
    pub(super) id: Id,
}

impl Change {
    /// The home it changes.
    fn home(&self) -> &str {
        match self {
            Change::InsertUser(c) | Change::UpdateUser(c) => &c.home,
            Change::DeleteUser(c) => &c.home,
            Change::InsertDevice(c) | Change::UpdateDevice(c) => &c.home,
            Change::DeleteDevice(c) => &c.home,
        }
    }
}

impl State {
    fn apply(&mut self, change: Change) -> Result<(), WireError> {
        let Some(h) = self.homes.iter_mut().find(|h| h.id == change.home()) else {
            return Err(state_error(&["change names unknown home ", change.home()]));
        };
        match change {
            Change::InsertUser(c) => edit(&mut h.users, Edit::Insert(c.user), &c.home),
            Change::UpdateUser(c) => edit(&mut h.users, Edit::Update(c.user), &c.home),
            Change::DeleteUser(c) => edit(&mut h.users, Edit::Delete(c.user_id), &c.home),
            Change::InsertDevice(c) => edit(&mut h.devices, Edit::Insert(c.device), &c.home),
            Change::UpdateDevice(c) => edit(&mut h.devices, Edit::Update(c.device), &c.home),
            Change::DeleteDevice(c) => edit(&mut h.devices, Edit::Delete(c.id), &c.home),
        }
    }
}

/// What a change does to one list of a home.
enum Edit<T> {
    Insert(T),
    Update(T),
    Delete(Id),
}

/// A row of a home's lists, as changes edit it.
trait Row {
    /// What messages call it.
    const NOUN: &'static str;
    fn id(&self) -> &Id;
    /// Takes the fields of `new` but keeps the stored form of the id.
    fn update(&mut self, new: Self);
}

impl Row for User {
    const NOUN: &'static str = "user ";
    fn id(&self) -> &Id {
        &self.user_id
    }
    fn update(&mut self, new: User) {
        (self.email, self.user_name, self.role) = (new.email, new.user_name, new.role);
    }
}

impl Row for Device {
    const NOUN: &'static str = "device ";
    fn id(&self) -> &Id {
        &self.id
    }
    fn update(&mut self, new: Device) {
        (self.class, self.name) = (new.class, new.name);
    }
}

/// Applies `edit` to `rows`, a list of home `home`: an insert needs a new id, an update or a
/// delete one that is there; a delete removes every row with the id.
fn edit<T: Row>(rows: &mut Vec<T>, edit: Edit<T>, home: &str) -> Result<(), WireError> {
    let mut buf = [0; 20];
    match edit {
        Edit::Insert(row) => {
            if rows.iter().any(|r| r.id() == row.id()) {
                return Err(state_error(&[
                    T::NOUN,
                    row.id().text(&mut buf),
                    " already exists in home ",
                    home,
                ]));
            }
            rows.push(row);
        }
        Edit::Update(row) => {
            let Some(old) = rows.iter_mut().find(|r| r.id() == row.id()) else {
                let no = format!("no {}", T::NOUN);
                return Err(state_error(&[&no, row.id().text(&mut buf), " to update"]));
            };
            old.update(row);
        }
        Edit::Delete(id) => {
            if !rows.iter().any(|r| *r.id() == id) {
                let no = format!("no {}", T::NOUN);
                return Err(state_error(&[&no, id.text(&mut buf), " to delete"]));
            }
            rows.retain(|r| *r.id() != id);
        }
    }
    Ok(())
}

/// Reads `changes` (`bad_request` errors; an item is named `` `changes`[i] ``).
fn parse_changes(changes: Value) -> Result<Vec<Change>, WireError> {
    let Value::Array(items) = changes else {
        return Err(WireError::bad_request("`changes` must be an array"));
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        out.push(de::read(&format!("`changes`[{i}]"), ErrorCode::BadRequest, item)?);
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
    use crate::value::{ToJson, json};

    #[test]
    fn changes_are_read_strictly() {
        let rename = json!([{"kind": "rename_home", "home": "h"}]);
        let message = "`changes`[0]: field `kind`: unknown variant `rename_home`, expected one of `insert_user`, `update_user`, \
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
                "`changes`[0]: unknown field `why`, expected `home` or `id`",
            ),
            (
                json!([{"kind": "delete_user", "home": "h", "user_id": 1},
                       {"kind": "insert_user", "home": "h", "user": {"user_id": 2, "email": "b@b.co", "role": "guest"}}]),
                "`changes`[1]: field `user`: missing field `user_name`",
            ),
            (
                json!([{"kind": "insert_device", "home": "h", "device": {"id": "x", "class": "utility", "size": 1}}]),
                "`changes`[0]: field `device`: unknown field `size`, expected one of `id`, `class`, `name`",
            ),
            (json!([["delete_user", "h", 1]]), "`changes`[0]: expected an object, found an array"),
            (
                json!([{"kind": "delete_user", "home": 5, "user_id": 1}]),
                "`changes`[0]: field `home`: expected a string, found a number",
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
        let change = Change::DeleteUser(DeleteUser { home: "h".into(), user_id: Id::Num(4) });
        assert_eq!(ToJson::to_json(&change).to_string(), r#"{"kind":"delete_user","home":"h","user_id":4}"#);
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
