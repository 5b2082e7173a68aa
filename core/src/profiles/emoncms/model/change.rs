//! The rows the engine asks the host to write, and what the host's database holds after it
//! writes them (`State::apply`).

use super::*;

/// A row to write, in order, inside one transaction. On the wire: `kind`, then the fields (the
/// unset fields of `update_user_profile` left out); ids are read as numbers or digit strings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Change {
    InsertGroup {
        #[serde(deserialize_with = "wire_id")]
        id: Id,
        name: String,
        description: String,
        organization: String,
        area: String,
        visibility: String,
        access: String,
    },
    /// The whole resulting row; a NULL the host stored stays NULL.
    UpdateGroup {
        #[serde(deserialize_with = "wire_id")]
        id: Id,
        name: String,
        description: Option<String>,
        organization: Option<String>,
        area: Option<String>,
        visibility: String,
        access: String,
    },
    DeleteGroup {
        #[serde(deserialize_with = "wire_id")]
        id: Id,
    },
    InsertMembership {
        #[serde(deserialize_with = "wire_id")]
        groupid: Id,
        #[serde(deserialize_with = "wire_id")]
        userid: Id,
        role: i64,
        admin_rights: String,
    },
    UpdateMembership {
        #[serde(deserialize_with = "wire_id")]
        groupid: Id,
        #[serde(deserialize_with = "wire_id")]
        userid: Id,
        role: i64,
        admin_rights: Option<String>,
    },
    DeleteMembership {
        #[serde(deserialize_with = "wire_id")]
        groupid: Id,
        #[serde(deserialize_with = "wire_id")]
        userid: Id,
    },
    UpdateUserProfile {
        #[serde(deserialize_with = "wire_id")]
        userid: Id,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        location: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bio: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timezone: Option<String>,
        /// Any JSON but null (null, like absent, leaves the tags as they are).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(type = "unknown"))]
        tags: Option<Value>,
    },
    SetUsername {
        #[serde(deserialize_with = "wire_id")]
        userid: Id,
        username: String,
    },
    SetEmail {
        #[serde(deserialize_with = "wire_id")]
        userid: Id,
        email: String,
    },
    SetPassword {
        #[serde(deserialize_with = "wire_id")]
        userid: Id,
        password: String,
    },
}

/// An id as PHP hosts send it: a positive integer or a string of digits, within `int(11)`.
fn wire_id<'de, D: Deserializer<'de>>(d: D) -> Result<Id, D::Error> {
    read::id(read::Scalar::deserialize(d)?).map_err(serde::de::Error::custom)
}

impl Change {
    /// Reads a list of changes (`what` names it in messages: `` `changes` ``); problems are
    /// `bad_request` errors.
    pub fn list_from_json(what: &str, v: Value) -> Result<Vec<Change>, WireError> {
        let Value::Array(items) = v else {
            return Err(WireError::bad_request(format!("{what} must be an array")));
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, v) in items.into_iter().enumerate() {
            out.push(Change::from_json(&format!("{what}[{i}]"), v)?);
        }
        Ok(out)
    }

    /// Reads one change, tagged by `kind`.
    pub fn from_json(what: &str, v: Value) -> Result<Change, WireError> {
        if !v.is_object() {
            return Err(WireError::bad_request(format!(
                "{what}: expected an object, found {}",
                read::kind_of(&v)
            )));
        }
        serde_json::from_value(v)
            .map_err(|e| WireError::bad_request(crate::util::truncate(&format!("{what}: {e}"), 300)))
    }

    /// The wire form.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The `groups` row an `insert_group` writes.
    pub fn inserted_group(&self) -> Option<GroupRow> {
        match self {
            Change::InsertGroup { id, name, description, organization, area, visibility, access } => {
                Some(GroupRow {
                    id: *id,
                    name: Some(name.clone()),
                    description: Some(description.clone()),
                    organization: Some(organization.clone()),
                    area: Some(area.clone()),
                    visibility: Some(visibility.clone()),
                    access: Some(access.clone()),
                })
            }
            _ => None,
        }
    }
}

impl State {
    /// Applies `changes` in order, as the host's database would. A change that names a row that
    /// is not there is an error and leaves the state unchanged.
    pub fn apply(&self, changes: &[Change]) -> Result<State, WireError> {
        let mut next = self.clone();
        for (i, change) in changes.iter().enumerate() {
            next.apply_one(change).map_err(|m| WireError::bad_request(format!("change {i}: {m}")))?;
        }
        Ok(next)
    }

    fn apply_one(&mut self, change: &Change) -> Result<(), String> {
        match change {
            Change::InsertGroup { id, .. } => {
                if self.groups.iter().any(|g| g.id == *id) {
                    return Err(format!("group {id} exists already"));
                }
                self.groups.extend(change.inserted_group());
            }
            Change::UpdateGroup { id, name, description, organization, area, visibility, access } => {
                let g = self.groups.iter_mut().find(|g| g.id == *id).ok_or(format!("no group {id}"))?;
                g.name = Some(name.clone());
                g.description = description.clone();
                g.organization = organization.clone();
                g.area = area.clone();
                g.visibility = Some(visibility.clone());
                g.access = Some(access.clone());
            }
            Change::DeleteGroup { id } => {
                let before = self.groups.len();
                self.groups.retain(|g| g.id != *id);
                if self.groups.len() == before {
                    return Err(format!("no group {id}"));
                }
                self.memberships.retain(|m| m.groupid != *id);
            }
            Change::InsertMembership { groupid, userid, role, admin_rights } => {
                self.memberships.push(MembershipRow {
                    groupid: *groupid,
                    userid: *userid,
                    role: *role,
                    admin_rights: Some(admin_rights.clone()),
                });
            }
            Change::UpdateMembership { groupid, userid, role, admin_rights } => {
                let mut found = false;
                for m in self.memberships.iter_mut().filter(|m| m.groupid == *groupid && m.userid == *userid)
                {
                    m.role = *role;
                    m.admin_rights = admin_rights.clone();
                    found = true;
                }
                if !found {
                    return Err(format!("user {userid} is not a member of group {groupid}"));
                }
            }
            Change::DeleteMembership { groupid, userid } => {
                let before = self.memberships.len();
                self.memberships.retain(|m| !(m.groupid == *groupid && m.userid == *userid));
                if self.memberships.len() == before {
                    return Err(format!("user {userid} is not a member of group {groupid}"));
                }
            }
            Change::UpdateUserProfile { userid, name, location, bio, timezone, tags } => {
                let u = self.user_mut(*userid)?;
                if let Some(v) = name {
                    u.name = Some(v.clone());
                }
                if let Some(v) = location {
                    u.location = Some(v.clone());
                }
                if let Some(v) = bio {
                    u.bio = Some(v.clone());
                }
                if let Some(v) = timezone {
                    u.timezone = Some(v.clone());
                }
                if let Some(v) = tags {
                    u.tags = boxed(v.clone(), false);
                }
            }
            Change::SetUsername { userid, username } => {
                self.user_mut(*userid)?.username = Some(username.clone())
            }
            Change::SetEmail { userid, email } => self.user_mut(*userid)?.email = Some(email.clone()),
            // Passwords are never part of the facts.
            Change::SetPassword { userid, .. } => {
                self.user_mut(*userid)?;
            }
        }
        Ok(())
    }

    /// The users row of `id`, created bare when the state does not hold it yet (a user the host
    /// registered during the request).
    fn user_mut(&mut self, id: Id) -> Result<&mut UserRow, String> {
        if !self.users.iter().any(|u| u.id == id) {
            self.users.push(UserRow::bare(id));
        }
        // There is one now: the first counts, as everywhere.
        self.users.iter_mut().find(|u| u.id == id).ok_or_else(|| format!("no user {id}"))
    }
}
