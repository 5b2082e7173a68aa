//! Changes: what `http` writes return, what `apply` and `what_if` take.

use crate::error::{ErrorCode, WireError};
use crate::read::{Reader, string};
use crate::value::Value;

use super::engine::BuildingsEngine;
use super::policy::Policy;
use super::state::{GroupRow, State, req_object, unknown_variant};
use super::text::quoted;

/// One change of `apply` and `what_if`, tagged by `kind`.
#[derive(Debug, Clone)]
enum Change {
    /// `insert_user_group`
    Insert { user_group: GroupRow },
    /// `update_user_group`
    Update { user_group: GroupRow },
    /// `delete_user_group`
    Delete { id: String },
}

impl State {
    fn apply(&mut self, change: Change) -> Result<(), WireError> {
        let insert = matches!(change, Change::Insert { .. });
        match change {
            Change::Insert { user_group } | Change::Update { user_group } => {
                match (self.user_groups.iter().position(|g| g.id == user_group.id), insert) {
                    (None, true) => self.user_groups.push(user_group),
                    (Some(i), false) => self.user_groups[i] = user_group,
                    (Some(_), true) => {
                        return Err(WireError::invalid_state(quoted(
                            "user group ",
                            &user_group.id,
                            " already exists",
                        )));
                    }
                    (None, false) => {
                        return Err(WireError::invalid_state(quoted(
                            "no user group ",
                            &user_group.id,
                            " to update",
                        )));
                    }
                }
            }
            Change::Delete { id } => {
                let before = self.user_groups.len();
                self.user_groups.retain(|g| g.id != id);
                if self.user_groups.len() == before {
                    return Err(WireError::invalid_state(quoted("no user group ", &id, " to delete")));
                }
            }
        }
        Ok(())
    }
}

impl Change {
    const KINDS: [&str; 3] = ["insert_user_group", "update_user_group", "delete_user_group"];

    /// Reads one change: `kind`, then the fields of that kind (and no others).
    fn read(mut r: Reader) -> Result<Change, WireError> {
        let kind = r.req("kind", string)?;
        let change = match kind.as_str() {
            "insert_user_group" | "update_user_group" => {
                let user_group = GroupRow::read(req_object(&mut r, "user_group")?)?;
                if kind == "insert_user_group" {
                    Change::Insert { user_group }
                } else {
                    Change::Update { user_group }
                }
            }
            "delete_user_group" => Change::Delete { id: r.req("id", string)? },
            other => return Err(r.field_error("kind", unknown_variant(other, &Change::KINDS))),
        };
        r.finish()?;
        Ok(change)
    }
}

/// The engine of `state` after `changes` (of `apply` and `what_if`). The changes are all read
/// first, every problem a `bad_request` error naming the change (`changes[2]`), then applied in
/// order.
pub(super) fn after_changes(mut state: State, changes: Value) -> Result<BuildingsEngine, WireError> {
    let Value::Array(items) = changes else {
        return Err(WireError::bad_request("`changes` must be an array"));
    };
    let mut read = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        read.push(Change::read(Reader::of(format!("changes[{i}]"), ErrorCode::BadRequest, item)?)?);
    }
    for change in read {
        state.apply(change)?;
    }
    BuildingsEngine::from_state(Policy::new()?, state)
}

#[cfg(test)]
mod tests {
    use crate::profiles::buildings::testing::*;
    use crate::value::{Value, json};

    #[test]
    fn changes_are_read_by_kind() {
        let apply = |changes: Value| {
            call(json!({"v": 1, "op": "apply", "profile": "buildings", "state": state(), "changes": changes}))
        };
        assert_eq!(
            error_of(&apply(json!([{"kind": "fly"}]))),
            (
                "bad_request",
                "changes[0]: field `kind`: unknown variant `fly`, expected one of `insert_user_group`, `update_user_group`, `delete_user_group`"
            )
        );
        assert_eq!(
            error_of(&apply(json!([{"id": "g"}]))),
            ("bad_request", "changes[0]: missing field `kind`")
        );
        assert_eq!(
            error_of(&apply(json!([{"kind": "insert_user_group"}]))),
            ("bad_request", "changes[0]: missing field `user_group`")
        );
        let mut row = state()["user_groups"][0].clone();
        row["id"] = json!("g2");
        row["x"] = json!(1);
        assert_eq!(
            error_of(&apply(json!([{"kind": "insert_user_group", "user_group": row}]))),
            ("bad_request", "changes[0]: field `user_group`: unknown field `x`")
        );
        assert_eq!(apply(json!([]))["ok"], true);
    }
}
