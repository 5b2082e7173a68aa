//! `what_if`: the difference in access, user by user, that changes would make.

use serde::Deserialize;

use crate::error::WireError;
use crate::value::{Value, object_of};

use super::change::after_changes;
use super::engine::BuildingsEngine;

/// The fields of `what_if`: the changes (checked by [`after_changes`]: null is "`changes` must be
/// an array"), and whose access to report (everyone's when absent).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WhatIfRequest {
    changes: Value,
    users: Option<Vec<String>>,
}

impl BuildingsEngine {
    pub(super) fn what_if(&self, req: WhatIfRequest) -> Result<Value, WireError> {
        let after = after_changes(self.state.clone(), req.changes)?;
        let mut people: Vec<&str> = Vec::with_capacity(self.state.users.len() + after.state.users.len());
        for u in self.state.users.iter().chain(&after.state.users) {
            people.push(&u.id);
        }
        people.sort_unstable();
        people.dedup();
        let mut diff = Vec::new();
        for id in people {
            if let Some(only) = &req.users
                && !only.iter().any(|u| u == id)
            {
                continue;
            }
            let (b, a) = (self.capabilities(id), after.capabilities(id));
            let (gains, loses) = (a.json(Some(&b)), b.json(Some(&a)));
            if !gains.is_empty() || !loses.is_empty() {
                diff.push(object_of(&mut [
                    ("user", Value::from(id)),
                    ("gains", Value::Array(gains)),
                    ("loses", Value::Array(loses)),
                ]));
            }
        }
        Ok(object_of(&mut [("diff", Value::Array(diff))]))
    }
}
