//! Changes: what `http` writes return, what `apply` and `what_if` take.

use serde::{Deserialize, Serialize};

use crate::error::{ErrorCode, WireError};
use crate::value::Value;

use super::engine::BuildingsEngine;
use super::policy::Policy;
use super::state::{GroupRow, State};
use super::text::quoted;
use crate::de;

/// One change of `apply` and `what_if`, tagged by `kind`, then the fields of that kind.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(tag = "kind")]
pub(super) enum Change {
    #[serde(rename = "insert_user_group", deserialize_with = "de::rest")]
    Insert(GroupChange),
    #[serde(rename = "update_user_group", deserialize_with = "de::rest")]
    Update(GroupChange),
    #[serde(rename = "delete_user_group", deserialize_with = "de::rest")]
    Delete(DeleteGroup),
}

/// The user group a change inserts or updates, whole.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct GroupChange {
    pub(super) user_group: GroupRow,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DeleteGroup {
    pub(super) id: String,
}

impl State {
    fn apply(&mut self, change: Change) -> Result<(), WireError> {
        let insert = matches!(change, Change::Insert(_));
        match change {
            Change::Insert(GroupChange { user_group }) | Change::Update(GroupChange { user_group }) => {
                let stored = self.user_groups.iter_mut().find(|g| g.id == user_group.id);
                match (stored, insert) {
                    (None, true) => self.user_groups.push(user_group),
                    (Some(g), false) => *g = user_group,
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
            Change::Delete(DeleteGroup { id }) => {
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

/// The engine of `state` after `changes` (of `apply` and `what_if`). The changes are all read
/// first, every problem a `bad_request` error naming the change (`` `changes`[2] ``), then
/// applied in order.
pub(super) fn after_changes(mut state: State, changes: Value) -> Result<BuildingsEngine, WireError> {
    let Value::Array(items) = changes else {
        return Err(WireError::bad_request("`changes` must be an array"));
    };
    let mut read = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        read.push(de::read::<Change>(&format!("`changes`[{i}]"), ErrorCode::BadRequest, item)?);
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
                "`changes`[0]: field `kind`: unknown variant `fly`, expected one of `insert_user_group`, `update_user_group`, `delete_user_group`"
            )
        );
        assert_eq!(
            error_of(&apply(json!([{"id": "g"}]))),
            ("bad_request", "`changes`[0]: missing field `kind`")
        );
        assert_eq!(
            error_of(&apply(json!([{"kind": "insert_user_group"}]))),
            ("bad_request", "`changes`[0]: missing field `user_group`")
        );
        let mut row = state()["user_groups"][0].clone();
        row["id"] = json!("g2");
        row["x"] = json!(1);
        assert_eq!(
            error_of(&apply(json!([{"kind": "insert_user_group", "user_group": row}]))),
            (
                "bad_request",
                "`changes`[0]: field `user_group`: unknown field `x`, expected one of `id`, `created`, `modified`, \
                 `name`, `description`, `type`, `users`, `customer`, `partner`, `permission_sets`, `customer_scopes`, \
                 `partner_scopes`, `tags`"
            )
        );
        assert_eq!(
            error_of(&apply(json!([["delete_user_group", "g"]]))),
            ("bad_request", "`changes`[0]: expected an object, found an array")
        );
        assert_eq!(apply(json!([]))["ok"], true);
    }
}
