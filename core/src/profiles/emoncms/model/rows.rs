//! The rows of `groups`, `group_users` and `users` as the host reads them, and as the wire has them.

use super::*;

/// A `groups` row (written with every column, NULL as null).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupRow {
    pub id: Id,
    pub name: Option<String>,
    pub description: Option<String>,
    pub organization: Option<String>,
    pub area: Option<String>,
    pub visibility: Option<String>,
    pub access: Option<String>,
}

impl GroupRow {
    pub(super) fn read(i: usize, v: Value) -> Result<GroupRow, WireError> {
        let w: GroupWire = crate::de::read_at(|| format!("state: groups[{i}]"), ErrorCode::InvalidState, v)?;
        Ok(w.into())
    }

    /// A row known only by its id.
    pub fn bare(id: Id) -> GroupRow {
        GroupRow {
            id,
            name: None,
            description: None,
            organization: None,
            area: None,
            visibility: None,
            access: None,
        }
    }

    /// The name, `""` when NULL.
    pub fn name_str(&self) -> &str {
        self.name.as_deref().unwrap_or("")
    }
}

/// A `group_users` row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MembershipRow {
    pub groupid: Id,
    pub userid: Id,
    pub role: i64,
    pub admin_rights: Option<String>,
}

impl MembershipRow {
    pub(super) fn read(i: usize, v: Value) -> Result<MembershipRow, WireError> {
        let w: MembershipWire =
            crate::de::read_at(|| format!("state: memberships[{i}]"), ErrorCode::InvalidState, v)?;
        Ok(w.into())
    }
}

/// A `users` row (only the columns the group module reads; never passwords or API keys); written
/// with `access` only when known.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserRow {
    pub id: Id,
    pub username: Option<String>,
    /// Site administrator (`users.admin`).
    pub admin: bool,
    /// emoncms ≥ 11.10 `users.access`: 0 login disabled, 1 read, 2 write.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access: Option<u8>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub bio: Option<String>,
    pub location: Option<String>,
    pub timezone: Option<String>,
    /// JSON object, JSON text of one; `None` for null (boxed: most users have none, and a
    /// `Value` is 72 bytes).
    pub tags: Option<Box<Value>>,
    /// Passed through as userlist's `inputslist`; `None` for `{}`.
    #[serde(serialize_with = "inputs_or_empty")]
    pub inputs: Option<Box<Value>>,
}

/// `inputs` as written: `{}` when there are none.
fn inputs_or_empty<S: serde::Serializer>(inputs: &Option<Box<Value>>, s: S) -> Result<S::Ok, S::Error> {
    match inputs {
        Some(v) => v.serialize(s),
        None => Map::new().serialize(s),
    }
}

/// A value boxed, `None` for what is written as nothing (null, or `{}` when `empty_is_none`).
pub(crate) fn boxed(v: Value, empty_is_none: bool) -> Option<Box<Value>> {
    match v {
        Value::Null => None,
        Value::Object(m) if empty_is_none && m.is_empty() => None,
        v => Some(Box::new(v)),
    }
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
            tags: None,
            inputs: None,
        }
    }

    pub(super) fn read(i: usize, v: Value) -> Result<UserRow, WireError> {
        let w: UserWire = crate::de::read_at(|| format!("state: users[{i}]"), ErrorCode::InvalidState, v)?;
        Ok(w.into())
    }

    /// `tags` as userlist answers it: the decoded object, or null.
    pub fn tags_value(&self) -> Value {
        tags_value(self.tags.as_deref())
    }
}

/// `tags` as userlist answers it: the decoded object, or null.
pub(crate) fn tags_value(tags: Option<&Value>) -> Value {
    match tags {
        Some(Value::String(text)) => match serde_json::from_str::<Value>(text) {
            Ok(v @ Value::Object(_)) => v,
            _ => Value::Null,
        },
        Some(v @ Value::Object(_)) => v.clone(),
        _ => Value::Null,
    }
}

/// A `groups` row as the wire has it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct GroupWire {
    id: WireId,
    name: Option<Text>,
    description: Option<Text>,
    organization: Option<Text>,
    area: Option<Text>,
    visibility: Option<Text>,
    access: Option<Text>,
}

/// A `group_users` row as the wire has it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MembershipWire {
    groupid: WireId,
    userid: WireId,
    role: LenientInt,
    admin_rights: Option<Text>,
}

/// A `users` row as the wire has it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct UserWire {
    id: WireId,
    username: Option<Text>,
    admin: Option<Flag>,
    access: Option<Access>,
    name: Option<Text>,
    email: Option<Text>,
    bio: Option<Text>,
    location: Option<Text>,
    timezone: Option<Text>,
    /// Any value; null is none.
    tags: Option<Value>,
    inputs: Option<Value>,
}

fn text(t: Option<Text>) -> Option<String> {
    t.map(|t| t.0)
}

impl From<GroupWire> for GroupRow {
    fn from(w: GroupWire) -> GroupRow {
        GroupRow {
            id: w.id.0,
            name: text(w.name),
            description: text(w.description),
            organization: text(w.organization),
            area: text(w.area),
            visibility: text(w.visibility),
            access: text(w.access),
        }
    }
}

impl From<MembershipWire> for MembershipRow {
    fn from(w: MembershipWire) -> MembershipRow {
        MembershipRow {
            groupid: w.groupid.0,
            userid: w.userid.0,
            role: w.role.0,
            admin_rights: text(w.admin_rights),
        }
    }
}

impl From<UserWire> for UserRow {
    fn from(w: UserWire) -> UserRow {
        UserRow {
            id: w.id.0,
            username: text(w.username),
            admin: w.admin.is_some_and(|f| f.0),
            access: w.access.map(|a| a.0),
            name: text(w.name),
            email: text(w.email),
            bio: text(w.bio),
            location: text(w.location),
            timezone: text(w.timezone),
            tags: w.tags.and_then(|t| boxed(t, false)),
            inputs: w.inputs.and_then(|i| boxed(i, true)),
        }
    }
}

/// `users.access` ([`read::access`]).
struct Access(u8);

impl<'de> Deserialize<'de> for Access {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Access, D::Error> {
        read::access(read::Scalar::deserialize(d)?).map(Access).map_err(serde::de::Error::custom)
    }
}
