//! The emoncms facts as the host reads them (rows of `groups`, `group_users`, `users`, feeds), the
//! changes the engine asks the host to write, and `apply`, which is what the host's database would
//! hold after writing them.

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::WireError;

/// A database id (`int(11)` in emoncms: 1 … 2147483647).
pub type Id = u32;

/// The largest id MySQL's signed `int(11)` holds.
pub const MAX_ID: u32 = i32::MAX as u32;

/// Role codes of `group_users.role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// 0: a managed account; sees no group.
    Passive,
    /// 1: manages the group and its members.
    Administrator,
    /// 2: sees the member list and members' feeds.
    SubAdministrator,
    /// 3: sees the group in its list.
    Member,
    /// 4: sees the group, its member count and aggregates, never one member's data.
    Observer,
    /// Any other stored integer (2.0.0 stored any int): grants nothing.
    Invalid,
}

impl Role {
    /// The role of a stored integer.
    pub fn from_code(code: i64) -> Role {
        match code {
            0 => Role::Passive,
            1 => Role::Administrator,
            2 => Role::SubAdministrator,
            3 => Role::Member,
            4 => Role::Observer,
            _ => Role::Invalid,
        }
    }
    /// Index into per-role tables.
    pub(crate) fn index(self) -> usize {
        self as usize
    }
    /// The stored integer of a valid role.
    pub fn code(self) -> Option<i64> {
        match self {
            Role::Passive => Some(0),
            Role::Administrator => Some(1),
            Role::SubAdministrator => Some(2),
            Role::Member => Some(3),
            Role::Observer => Some(4),
            Role::Invalid => None,
        }
    }
    /// Name used in login e-mails (`{{role}}`), as 2.0.0 wrote them.
    pub fn label(self) -> &'static str {
        match self {
            Role::Passive => "Passive member",
            Role::Administrator => "Administrator",
            Role::SubAdministrator => "Subadministrator",
            Role::Member => "Member",
            Role::Observer => "Observer",
            Role::Invalid => "Not valid",
        }
    }
}

/// A `groups` row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupRow {
    #[serde(deserialize_with = "de_id")]
    pub id: Id,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub organization: Option<String>,
    #[serde(default)]
    pub area: Option<String>,
    #[serde(default)]
    pub visibility: Option<String>,
    #[serde(default)]
    pub access: Option<String>,
}

impl GroupRow {
    /// The name, `""` when NULL.
    pub fn name_str(&self) -> &str {
        self.name.as_deref().unwrap_or("")
    }
}

/// A `group_users` row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MembershipRow {
    #[serde(deserialize_with = "de_id")]
    pub groupid: Id,
    #[serde(deserialize_with = "de_id")]
    pub userid: Id,
    #[serde(deserialize_with = "de_int")]
    pub role: i64,
    #[serde(default)]
    pub admin_rights: Option<String>,
}

/// A `users` row (only the columns the group module reads; never passwords or API keys).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserRow {
    #[serde(deserialize_with = "de_id")]
    pub id: Id,
    #[serde(default)]
    pub username: Option<String>,
    /// Site administrator (`users.admin`).
    #[serde(default, deserialize_with = "de_flag")]
    pub admin: bool,
    /// emoncms ≥ 11.10 `users.access`: 0 login disabled, 1 read, 2 write.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "de_opt_access")]
    pub access: Option<u8>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub bio: Option<String>,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub timezone: Option<String>,
    /// JSON object, JSON text of one, or null.
    #[serde(default)]
    pub tags: Value,
    /// Passed through as userlist's `inputslist`.
    #[serde(default = "empty_object")]
    pub inputs: Value,
}

impl UserRow {
    /// A row known only by its id (a member whose users row the host did not load).
    pub fn bare(id: Id) -> UserRow {
        UserRow {
            id,
            username: None,
            admin: false,
            access: None,
            name: None,
            email: None,
            bio: None,
            location: None,
            timezone: None,
            tags: Value::Null,
            inputs: empty_object(),
        }
    }

    /// `tags` as userlist answers it: the decoded object, or null.
    pub fn tags_value(&self) -> Value {
        match &self.tags {
            Value::String(text) => match serde_json::from_str::<Value>(text) {
                Ok(v @ Value::Object(_)) => v,
                _ => Value::Null,
            },
            v @ Value::Object(_) => v.clone(),
            _ => Value::Null,
        }
    }
}

fn empty_object() -> Value {
    Value::Object(Map::new())
}

/// A feed row as emoncms's Feed model returns it. `id`, `userid`, `public`, `name`, `time` and
/// `value` are read; the whole row is kept and passed through unchanged.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedRow {
    pub id: Id,
    pub userid: Id,
    pub public: bool,
    pub name: Option<String>,
    pub time: Option<f64>,
    pub value: Option<f64>,
    pub row: Map<String, Value>,
}

impl<'de> Deserialize<'de> for FeedRow {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let row = Map::<String, Value>::deserialize(d)?;
        let id = row.get("id").ok_or_else(|| de::Error::missing_field("id"))?;
        let id = id_of(id).map_err(|e| de::Error::custom(format!("feed `id`: {e}")))?;
        let userid = row.get("userid").ok_or_else(|| de::Error::missing_field("userid"))?;
        let userid = id_of(userid).map_err(|e| de::Error::custom(format!("feed `userid`: {e}")))?;
        let public = match row.get("public") {
            None => false,
            Some(v) => flag_of(v).map_err(|e| de::Error::custom(format!("feed `public`: {e}")))?,
        };
        let name = match row.get("name") {
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        };
        Ok(FeedRow {
            id,
            userid,
            public,
            name,
            time: number_of(row.get("time")),
            value: number_of(row.get("value")),
            row,
        })
    }
}

impl Serialize for FeedRow {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.row.serialize(s)
    }
}

impl FeedRow {
    /// A feed row built from its parts (benchmarks and generated data).
    pub fn new(id: Id, userid: Id, public: bool, name: &str, time: f64, value: f64) -> FeedRow {
        let mut row = Map::new();
        row.insert("id".into(), id.into());
        row.insert("userid".into(), userid.into());
        row.insert("name".into(), name.into());
        row.insert("public".into(), public.into());
        row.insert("time".into(), time.into());
        row.insert("value".into(), value.into());
        FeedRow {
            id,
            userid,
            public,
            name: Some(name.to_string()),
            time: Some(time),
            value: Some(value),
            row,
        }
    }
}

/// Everything the host loaded for a request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    #[serde(default)]
    pub groups: Vec<GroupRow>,
    #[serde(default)]
    pub memberships: Vec<MembershipRow>,
    #[serde(default)]
    pub users: Vec<UserRow>,
    #[serde(default)]
    pub feeds: Vec<FeedRow>,
}

/// A row to write, in order, inside one transaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Change {
    InsertGroup {
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
        id: Id,
        name: String,
        description: Option<String>,
        organization: Option<String>,
        area: Option<String>,
        visibility: String,
        access: String,
    },
    DeleteGroup {
        id: Id,
    },
    InsertMembership {
        groupid: Id,
        userid: Id,
        role: i64,
        admin_rights: String,
    },
    UpdateMembership {
        groupid: Id,
        userid: Id,
        role: i64,
        admin_rights: Option<String>,
    },
    DeleteMembership {
        groupid: Id,
        userid: Id,
    },
    UpdateUserProfile {
        userid: Id,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        location: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bio: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timezone: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tags: Option<Value>,
    },
    SetUsername {
        userid: Id,
        username: String,
    },
    SetEmail {
        userid: Id,
        email: String,
    },
    SetPassword {
        userid: Id,
        password: String,
    },
}

impl Change {
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
                let u = self.user_mut(*userid);
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
                    u.tags = v.clone();
                }
            }
            Change::SetUsername { userid, username } => {
                self.user_mut(*userid).username = Some(username.clone())
            }
            Change::SetEmail { userid, email } => self.user_mut(*userid).email = Some(email.clone()),
            // Passwords are never part of the facts.
            Change::SetPassword { userid, .. } => {
                self.user_mut(*userid);
            }
        }
        Ok(())
    }

    /// The users row of `id`, created bare when the state does not hold it yet (a user the host
    /// registered during the request).
    fn user_mut(&mut self, id: Id) -> &mut UserRow {
        let i = match self.users.iter().position(|u| u.id == id) {
            Some(i) => i,
            None => {
                self.users.push(UserRow::bare(id));
                self.users.len() - 1
            }
        };
        &mut self.users[i]
    }
}

// --- lenient readers for values that arrive as PHP/mysqli strings ---

/// An id: a positive integer, or a string of digits, within `int(11)`.
pub(crate) fn id_of(v: &Value) -> Result<Id, String> {
    let n = match v {
        Value::Number(n) => n.as_u64().ok_or_else(|| format!("`{n}` is not a positive integer"))?,
        Value::String(s) if !s.is_empty() && s.len() <= 10 && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse::<u64>().map_err(|e| e.to_string())?
        }
        other => return Err(format!("expected an id, found {}", kind_of(other))),
    };
    if n == 0 || n > u64::from(MAX_ID) {
        return Err(format!("id `{n}` is out of range 1..{MAX_ID}"));
    }
    Ok(n as Id)
}

/// A flag: bool, 0/1, "0"/"1", "" or null.
pub(crate) fn flag_of(v: &Value) -> Result<bool, String> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::Null => Ok(false),
        Value::Number(n) if n.as_u64() == Some(0) => Ok(false),
        Value::Number(n) if n.as_u64() == Some(1) => Ok(true),
        Value::String(s) if s.is_empty() || s == "0" => Ok(false),
        Value::String(s) if s == "1" => Ok(true),
        other => Err(format!("expected a flag, found {}", kind_of(other))),
    }
}

fn number_of(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    }
}

pub(crate) fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub(crate) fn de_id<'de, D: Deserializer<'de>>(d: D) -> Result<Id, D::Error> {
    id_of(&Value::deserialize(d)?).map_err(de::Error::custom)
}

pub(crate) fn de_flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    flag_of(&Value::deserialize(d)?).map_err(de::Error::custom)
}

fn de_int<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    match Value::deserialize(d)? {
        Value::Number(n) => n.as_i64().ok_or_else(|| de::Error::custom(format!("`{n}` is not an integer"))),
        Value::String(s) => s.trim().parse::<i64>().map_err(|_| de::Error::custom("expected an integer")),
        other => Err(de::Error::custom(format!("expected an integer, found {}", kind_of(&other)))),
    }
}

fn de_opt_access<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u8>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::Number(n) if n.as_u64().is_some_and(|a| a <= 2) => Ok(n.as_u64().map(|a| a as u8)),
        Value::String(s) if matches!(s.as_str(), "0" | "1" | "2") => Ok(s.parse().ok()),
        _ => Err(de::Error::custom("`access` is 0, 1 or 2")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_are_strict() {
        assert_eq!(id_of(&json!(7)), Ok(7));
        assert_eq!(id_of(&json!("7")), Ok(7));
        for bad in [
            json!(0),
            json!(-1),
            json!("1abc"),
            json!(" 1"),
            json!(2147483648u64),
            json!(1.5),
            json!(true),
            json!(""),
        ] {
            assert!(id_of(&bad).is_err(), "{bad} accepted");
        }
        assert_eq!(id_of(&json!(2147483647)), Ok(MAX_ID));
    }

    #[test]
    fn feed_rows_keep_every_key() {
        let row: FeedRow = serde_json::from_value(
            json!({"id":"3","userid":2,"public":"1","engine":5,"name":"power","time":"100","value":1.5}),
        )
        .unwrap();
        assert_eq!(
            (row.id, row.userid, row.public, row.time, row.value),
            (3, 2, true, Some(100.0), Some(1.5))
        );
        assert_eq!(serde_json::to_value(&row).unwrap()["engine"], 5);
        assert_eq!(serde_json::to_value(&row).unwrap()["id"], "3");
    }

    #[test]
    fn apply_is_all_or_nothing() {
        let state = State {
            groups: vec![GroupRow {
                id: 1,
                name: Some("a".into()),
                description: None,
                organization: None,
                area: None,
                visibility: None,
                access: None,
            }],
            ..State::default()
        };
        let ok = Change::InsertMembership { groupid: 1, userid: 2, role: 1, admin_rights: "full".into() };
        let bad = Change::DeleteMembership { groupid: 1, userid: 9 };
        assert!(state.apply(&[ok.clone(), bad]).is_err());
        let next = state.apply(&[ok, Change::DeleteGroup { id: 1 }]).unwrap();
        assert!(next.groups.is_empty() && next.memberships.is_empty());
    }
}
