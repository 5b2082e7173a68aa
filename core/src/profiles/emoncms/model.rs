//! The emoncms facts as the host reads them (rows of `groups`, `group_users`, `users`, feeds), the
//! changes the engine asks the host to write, and `apply`, which is what the host's database would
//! hold after writing them.

use std::fmt;

use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::error::{ErrorCode, WireError};
use crate::read::{self, Flag, LenientInt, Scalar, ScalarAt, Text, WireId};
use crate::value::{Key, Map, Skip, Value};

pub use crate::read::{Id, MAX_ID};

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
    fn read(i: usize, v: Value) -> Result<GroupRow, WireError> {
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
    fn read(i: usize, v: Value) -> Result<MembershipRow, WireError> {
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

    fn read(i: usize, v: Value) -> Result<UserRow, WireError> {
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
struct GroupWire {
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
struct MembershipWire {
    groupid: WireId,
    userid: WireId,
    role: LenientInt,
    admin_rights: Option<Text>,
}

/// A `users` row as the wire has it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserWire {
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

/// A feed row as emoncms's Feed model returns it. `id`, `userid`, `public`, `name`, `time` and
/// `value` are read. A row read from JSON keeps its text, the host's own, which member lists
/// write out unchanged (a key the engine does not know, a number's spelling); a row built from
/// its parts ([`FeedRow::new`]) is written from them.
#[derive(Debug, Clone)]
pub struct FeedRow {
    pub id: Id,
    pub userid: Id,
    pub public: bool,
    pub name: Option<String>,
    pub time: Option<f64>,
    pub value: Option<f64>,
    text: Option<Box<RawValue>>,
}

/// Rows are equal when they say the same, however their text is spaced, escaped or ordered.
impl PartialEq for FeedRow {
    fn eq(&self, other: &FeedRow) -> bool {
        (self.id, self.userid, self.public, &self.name, self.time, self.value)
            == (other.id, other.userid, other.public, &other.name, other.time, other.value)
            && match (&self.text, &other.text) {
                (Some(a), Some(b)) if a.get() == b.get() => true,
                _ => self.to_json() == other.to_json(),
            }
    }
}

/// A feed row is written as the host gave it, or from its parts.
impl Serialize for FeedRow {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.text {
            Some(text) => text.serialize(s),
            None => FeedParts::of(self).serialize(s),
        }
    }
}

/// A feed row built from its parts, as it is written: `{"id", "userid", "name", "public", "time",
/// "value"}`.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct FeedParts<'a> {
    pub(crate) id: Id,
    pub(crate) userid: Id,
    pub(crate) name: Option<&'a str>,
    pub(crate) public: bool,
    pub(crate) time: Option<f64>,
    pub(crate) value: Option<f64>,
}

impl FeedParts<'_> {
    fn of(row: &FeedRow) -> FeedParts<'_> {
        FeedParts {
            id: row.id,
            userid: row.userid,
            name: row.name.as_deref(),
            public: row.public,
            time: row.time,
            value: row.value,
        }
    }
}

impl FeedRow {
    /// Reads a feed row: `id` and `userid` are required, every key is kept.
    #[cfg(test)]
    fn read(i: usize, v: Value) -> Result<FeedRow, WireError> {
        let text = crate::value::to_string(&v);
        let raw = serde_json::from_str::<&RawValue>(&text)
            .map_err(|e| WireError::invalid_state(format!("state: feeds[{i}]: {e}")))?;
        FeedRow::from_raw(i, raw)
    }

    /// Reads feed row `i` from its text, which is kept as it is.
    fn from_raw(i: usize, raw: &RawValue) -> Result<FeedRow, WireError> {
        let head = match serde_json::from_str::<FeedHead<'_>>(raw.get()) {
            Ok(FeedHead { head, not: None }) => head,
            Ok(FeedHead { not: Some(kind), .. }) => {
                return Err(WireError::invalid_state(format!(
                    "state: feeds[{i}]: expected an object, found {kind}"
                )));
            }
            Err(e) if crate::value::is_too_deep(&e) => return Err(too_deep()),
            // The text was read as JSON already.
            Err(e) => return Err(WireError::invalid_state(format!("state: feeds[{i}]: {e}"))),
        };
        let field = |key: &str, v: Option<Scalar<'_>>| -> Result<Id, WireError> {
            match v {
                None => Err(WireError::invalid_state(format!("state: feeds[{i}]: missing field `{key}`"))),
                Some(v) => read::id(v)
                    .map_err(|m| WireError::invalid_state(format!("state: feeds[{i}]: field `{key}`: {m}"))),
            }
        };
        Ok(FeedRow {
            id: field("id", head.id)?,
            userid: field("userid", head.userid)?,
            public: head.public.as_ref().is_some_and(read::feed_public),
            name: match head.name {
                Some(Scalar::Str(s)) => Some(s.into_owned()),
                _ => None,
            },
            time: head.time.as_ref().and_then(read::number),
            value: head.value.as_ref().and_then(read::number),
            text: Some(raw.to_owned()),
        })
    }

    /// The row as the host gave it.
    pub fn to_json(&self) -> Value {
        match &self.text {
            // The text was read as JSON, so it reads back.
            Some(text) => serde_json::from_str(text.get()).unwrap_or(Value::Null),
            None => serde_json::to_value(FeedParts::of(self)).unwrap_or(Value::Null),
        }
    }

    /// The host's text of the row, when it was read from JSON.
    pub(crate) fn text(&self) -> Option<&RawValue> {
        self.text.as_deref()
    }

    /// The row with its text (`None`: it is written from its parts).
    pub(crate) fn with_text(mut self, text: Option<Box<RawValue>>) -> FeedRow {
        self.text = text;
        self
    }

    /// Takes the row's text away, for a store that keeps texts apart.
    pub(crate) fn take_text(&mut self) -> Option<Box<RawValue>> {
        self.text.take()
    }

    /// A feed row built from its parts (written from them: no text is kept).
    pub fn new(id: Id, userid: Id, public: bool, name: &str, time: f64, value: f64) -> FeedRow {
        FeedRow {
            id,
            userid,
            public,
            name: Some(name.to_string()),
            time: Some(time),
            value: Some(value),
            text: None,
        }
    }
}

fn too_deep() -> WireError {
    WireError::new(ErrorCode::TooDeep, format!("state nests deeper than {} levels", crate::value::MAX_DEPTH))
}

/// The fields of a feed row the engine reads (the last of a repeated key counts, as in a tree).
#[derive(Default)]
struct Head<'a> {
    id: Option<Scalar<'a>>,
    userid: Option<Scalar<'a>>,
    public: Option<Scalar<'a>>,
    name: Option<Scalar<'a>>,
    time: Option<Scalar<'a>>,
    value: Option<Scalar<'a>>,
}

/// A feed row's text read for its [`Head`]; `not` names what it is when it is not an object.
struct FeedHead<'a> {
    head: Head<'a>,
    not: Option<&'static str>,
}

fn not_a_row<'a>(kind: &'static str) -> FeedHead<'a> {
    FeedHead { head: Head::default(), not: Some(kind) }
}

impl<'de> Deserialize<'de> for FeedHead<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<FeedHead<'de>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FeedHead<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a feed row")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FeedHead<'de>, A::Error> {
                let mut head = Head::default();
                while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                    let slot = match key.as_ref() {
                        "id" => &mut head.id,
                        "userid" => &mut head.userid,
                        "public" => &mut head.public,
                        "name" => &mut head.name,
                        "time" => &mut head.time,
                        "value" => &mut head.value,
                        // A row sits at depth 3 of its state: the state, `feeds`, the row.
                        _ => {
                            map.next_value_seed(Skip { depth: 3 })?;
                            continue;
                        }
                    };
                    *slot = Some(map.next_value_seed(ScalarAt(3))?);
                }
                Ok(FeedHead { head, not: None })
            }
            // A row is at depth 3 of its state; the array's items one deeper.
            crate::value::not_an_object!(not_a_row, 3);
        }
        d.deserialize_any(V)
    }
}

/// Everything the host loaded for a request.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct State {
    pub groups: Vec<GroupRow>,
    pub memberships: Vec<MembershipRow>,
    pub users: Vec<UserRow>,
    pub feeds: Vec<FeedRow>,
}

impl State {
    /// Reads a state object strictly (`groups`, `memberships`, `users`, `feeds`, each optional);
    /// problems are `invalid_state` errors naming the row.
    pub fn from_json(v: Value) -> Result<State, WireError> {
        State::from_json_text(&crate::value::to_string(&v))
    }

    /// Reads a state from JSON text in one pass: feed rows are kept as the text they are (a
    /// group's snapshot has tens of thousands). A key given twice counts as its last value, and
    /// with several problems the first of this order is told: `groups`, `memberships`, `users`,
    /// `feeds` (each at its first bad row), an unknown key; text that is not JSON before all.
    pub fn from_json_text(text: &str) -> Result<State, WireError> {
        // A state the host wrote is well formed: its rows are read straight from the text. What
        // that refuses, whatever it is, is read again row by row, which finds the problem to tell.
        let mut de = serde_json::Deserializer::from_str(text);
        if let Ok(Direct(state)) = Direct::deserialize(&mut de).and_then(|d| de.end().map(|()| d)) {
            return Ok(state);
        }
        State::from_json_text_by_rows(text)
    }

    /// [`State::from_json_text`] row by row: each row read as a value, then as a row. Public for
    /// the fuzz target that holds the two readings to agreeing.
    #[doc(hidden)]
    pub fn from_json_text_by_rows(text: &str) -> Result<State, WireError> {
        let mut de = serde_json::Deserializer::from_str(text);
        let lists = Lists::deserialize(&mut de).and_then(|lists| de.end().map(|()| lists));
        match lists {
            Ok(lists) => lists.state(),
            Err(e) if crate::value::is_too_deep(&e) => Err(too_deep()),
            Err(e) => Err(WireError::new(ErrorCode::BadJson, format!("state is not valid JSON: {e}"))),
        }
    }
}

/// A state read straight from its text into rows, the fast way: any problem is an error (the
/// reading row by row, [`Lists`], says which).
struct Direct(State);

impl<'de> Deserialize<'de> for Direct {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Direct, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Direct;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a state")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Direct, A::Error> {
                fn list<'de, A: MapAccess<'de>, W: Deserialize<'de>, T: From<W>>(
                    map: &mut A,
                ) -> Result<Vec<T>, A::Error> {
                    let rows: Option<Vec<Row<W>>> = map.next_value()?;
                    Ok(rows.unwrap_or_default().into_iter().map(|Row(w)| T::from(w)).collect())
                }
                let mut state = State::default();
                while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                    match key.as_ref() {
                        "groups" => state.groups = list::<_, GroupWire, _>(&mut map)?,
                        "memberships" => state.memberships = list::<_, MembershipWire, _>(&mut map)?,
                        "users" => state.users = list::<_, UserWire, _>(&mut map)?,
                        "feeds" => {
                            let feeds = map.next_value::<FeedList>()?.0;
                            state.feeds = feeds.map_err(|e| serde::de::Error::custom(e.message()))?;
                        }
                        _ => return Err(serde::de::Error::custom("unknown field")),
                    }
                }
                Ok(Direct(state))
            }
        }
        d.deserialize_map(V)
    }
}

/// A row of a state's list, read as an object only (serde would take a struct from an array).
struct Row<W>(W);

impl<'de, W: Deserialize<'de>> Deserialize<'de> for Row<W> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Row<W>, D::Error> {
        struct V<W>(std::marker::PhantomData<W>);
        impl<'de, W: Deserialize<'de>> Visitor<'de> for V<W> {
            type Value = Row<W>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a row")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Row<W>, A::Error> {
                W::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Row)
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// A state's lists as read, each the last one given, with its first bad row.
#[derive(Default)]
struct Lists {
    groups: Option<Result<Vec<GroupRow>, WireError>>,
    memberships: Option<Result<Vec<MembershipRow>, WireError>>,
    users: Option<Result<Vec<UserRow>, WireError>>,
    feeds: Option<Result<Vec<FeedRow>, WireError>>,
    unknown: Option<String>,
    not_object: Option<&'static str>,
}

impl Lists {
    fn state(self) -> Result<State, WireError> {
        if let Some(kind) = self.not_object {
            return Err(WireError::invalid_state(format!("state: expected an object, found {kind}")));
        }
        let state = State {
            groups: self.groups.unwrap_or(Ok(Vec::new()))?,
            memberships: self.memberships.unwrap_or(Ok(Vec::new()))?,
            users: self.users.unwrap_or(Ok(Vec::new()))?,
            feeds: self.feeds.unwrap_or(Ok(Vec::new()))?,
        };
        match self.unknown {
            Some(key) => Err(WireError::invalid_state(format!(
                "state: unknown field `{}`",
                crate::util::truncate(&key, 64)
            ))),
            None => Ok(state),
        }
    }
}

impl<'de> Deserialize<'de> for Lists {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Lists, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Lists;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a state")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Lists, A::Error> {
                let mut lists = Lists::default();
                while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                    match key.as_ref() {
                        "groups" => lists.groups = Some(rows(map.next_value()?, "groups", GroupRow::read)),
                        "memberships" => {
                            lists.memberships =
                                Some(rows(map.next_value()?, "memberships", MembershipRow::read))
                        }
                        "users" => lists.users = Some(rows(map.next_value()?, "users", UserRow::read)),
                        "feeds" => lists.feeds = Some(map.next_value::<FeedList>()?.0),
                        other => {
                            map.next_value_seed(Skip { depth: 1 })?;
                            if lists.unknown.is_none() {
                                lists.unknown = Some(other.to_string());
                            }
                        }
                    }
                }
                Ok(lists)
            }
            crate::value::not_an_object!(not_object, 1);
        }
        d.deserialize_any(V)
    }
}

fn not_object(kind: &'static str) -> Lists {
    Lists { not_object: Some(kind), ..Lists::default() }
}

/// The rows of list `key` (null: none), each read by `row`; the first bad one is the error.
fn rows<T>(v: Value, key: &str, row: fn(usize, Value) -> Result<T, WireError>) -> Result<Vec<T>, WireError> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items.into_iter().enumerate().map(|(i, v)| row(i, v)).collect(),
        other => Err(WireError::invalid_state(format!(
            "state: field `{key}`: expected an array, found {}",
            read::kind_of(&other)
        ))),
    }
}

/// The `feeds` list, each row's text kept; read through to its end even after a bad row.
struct FeedList(Result<Vec<FeedRow>, WireError>);

impl<'de> Deserialize<'de> for FeedList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<FeedList, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FeedList;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of feed rows")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<FeedList, A::Error> {
                let mut feeds = Ok(Vec::with_capacity(seq.size_hint().unwrap_or(0)));
                let mut i = 0;
                while let Some(raw) = seq.next_element::<&'de RawValue>()? {
                    if let Ok(list) = &mut feeds {
                        match FeedRow::from_raw(i, raw) {
                            Ok(row) => list.push(row),
                            Err(e) => feeds = Err(e),
                        }
                    }
                    i += 1;
                }
                Ok(FeedList(feeds))
            }
            fn visit_unit<E>(self) -> Result<FeedList, E> {
                Ok(FeedList(Ok(Vec::new())))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FeedList, A::Error> {
                while map.next_key::<IgnoredAny>()?.is_some() {
                    map.next_value_seed(Skip { depth: 2 })?;
                }
                Ok(not_a_list("an object"))
            }
            crate::value::not_an_object!(scalars not_a_list);
        }
        d.deserialize_any(V)
    }
}

fn not_a_list(kind: &str) -> FeedList {
    FeedList(Err(WireError::invalid_state(format!("state: field `feeds`: expected an array, found {kind}"))))
}

/// A row to write, in order, inside one transaction. On the wire: `kind`, then the fields (the
/// unset fields of `update_user_profile` left out); ids are read as numbers or digit strings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The direct reading of a state and the reading row by row agree, on what they take and on
    /// what they refuse; the direct one must never take what the other refuses.
    #[test]
    fn the_direct_reading_agrees_with_the_reading_by_rows() {
        let deep = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
        let texts = [
            r#"{}"#.to_string(),
            r#"{"groups":null,"feeds":null}"#.to_string(),
            r#"{"groups":[{"id":"5","name":"a\u00e9","visibility":null}],"memberships":[{"groupid":5,"userid":"7","role":" 1","admin_rights":"full"}]}"#.to_string(),
            r#"{"groups":[[5,null,null,null,null,null,null]]}"#.to_string(),
            r#"{"memberships":[[5,7,1,null]]}"#.to_string(),
            r#"{"users":[{"id":1,"id":2}]}"#.to_string(),
            r#"{"users":[{"id":1,"admin":"1","access":"0","tags":"{\"a\":1}","inputs":{}}]}"#.to_string(),
            r#"{"users":[{"id":1,"access":[1]}]}"#.to_string(),
            r#"{"users":[{"id":1,"x":1}]}"#.to_string(),
            r#"{"groups":[],"groups":[{"id":3}]}"#.to_string(),
            r#"{"feeds":[{"id":1,"userid":2,"name":"a","public":"1","time":"12.5","value":null,"x":[{}]}]}"#.to_string(),
            r#"{"feeds":[{"id":1}],"groups":[{"id":0}]}"#.to_string(),
            r#"{"feeds":{}}"#.to_string(),
            r#"{"other":1}"#.to_string(),
            r#"[]"#.to_string(),
            r#"{"groups":[{"id":1}]} x"#.to_string(),
            format!(r#"{{"users":[{{"id":1,"access":{}}}]}}"#, deep(120)),
            format!(r#"{{"users":[{{"id":1,"access":{}}}]}}"#, deep(126)),
            format!(r#"{{"users":[{{"id":1,"tags":{}}}]}}"#, deep(125)),
            format!(r#"{{"feeds":[{{"id":1,"userid":1,"name":{}}}]}}"#, deep(124)),
            format!(r#"{{"feeds":[{{"id":1,"userid":1,"name":{}}}]}}"#, deep(125)),
        ];
        for text in &texts {
            let rows = State::from_json_text_by_rows(text);
            let mut de = serde_json::Deserializer::from_str(text);
            let direct = Direct::deserialize(&mut de).and_then(|d| de.end().map(|()| d.0));
            match (&direct, &rows) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{text}"),
                (Err(_), Err(_)) => {}
                // A duplicate key is the one thing read by rows only (the last counts there).
                (Err(e), Ok(_)) => assert!(e.to_string().starts_with("duplicate field"), "{text}: {e}"),
                (Ok(_), Err(e)) => panic!("{text}: read directly, refused by rows: {e}"),
            }
            assert_eq!(State::from_json_text(text), rows, "{text}");
        }
    }
    use crate::value::{ToJson, json};

    #[test]
    fn feed_rows_keep_every_key() {
        let row = FeedRow::read(
            0,
            json!({"id":"3","userid":2,"public":"1","engine":5,"name":"power","time":"100","value":1.5}),
        )
        .unwrap();
        assert_eq!(
            (row.id, row.userid, row.public, row.time, row.value),
            (3, 2, true, Some(100.0), Some(1.5))
        );
        assert_eq!(row.to_json()["engine"], 5);
        assert_eq!(row.to_json()["id"], "3");
        let err = FeedRow::read(4, json!({"id": 1})).unwrap_err();
        assert_eq!(err.message(), "state: feeds[4]: missing field `userid`");
    }

    #[test]
    fn state_and_changes_round_trip_through_json() {
        let state = State::from_json(json!({
            "groups": [{"id": 1, "name": "a", "description": null}],
            "memberships": [{"groupid": "1", "userid": 2, "role": "1", "admin_rights": "full"}],
            "users": [{"id": 2, "username": "u", "admin": "0", "access": "2", "tags": "{\"a\":1}"}],
            "feeds": [{"id": 5, "userid": 2, "public": 1}],
        }))
        .unwrap();
        assert_eq!(State::from_json(state.to_json()).unwrap(), state);
        assert_eq!(state.users[0].access, Some(2));
        let changes = vec![
            Change::UpdateUserProfile {
                userid: 2,
                name: Some("n".into()),
                location: None,
                bio: None,
                timezone: None,
                tags: None,
            },
            Change::DeleteMembership { groupid: 1, userid: 2 },
        ];
        let v = Value::Array(changes.iter().map(Change::to_json).collect());
        assert_eq!(
            v.to_string(),
            r#"[{"kind":"update_user_profile","userid":2,"name":"n"},{"kind":"delete_membership","groupid":1,"userid":2}]"#
        );
        assert_eq!(Change::list_from_json("`changes`", v).unwrap(), changes);
        let bad = |v: Value| State::from_json(v).unwrap_err();
        assert_eq!(
            bad(json!({"groups": [{"id": 1, "x": 1}]})).message(),
            "state: groups[0]: unknown field `x`, expected one of `id`, `name`, `description`, `organization`, `area`, `visibility`, `access`"
        );
        assert_eq!(bad(json!({"rows": []})).message(), "state: unknown field `rows`");
        // `access` out of range is read as emoncms reads it (neither 0 nor 1: full), never an error.
        let odd = State::from_json(
            json!({"users": [{"id": 1, "access": 3}, {"id": 2, "access": "-1"}, {"id": 3, "access": "0"}]}),
        );
        assert_eq!(
            odd.unwrap().users.iter().map(|u| u.access).collect::<Vec<_>>(),
            vec![Some(2), Some(2), Some(0)]
        );
        let e = Change::list_from_json("`changes`", json!([{"kind": "rename"}])).unwrap_err();
        assert!(
            e.message()
                .starts_with("`changes`[0]: unknown variant `rename`, expected one of `insert_group`,")
        );
        assert_eq!(e.code(), ErrorCode::BadRequest);
    }

    /// The streaming reader of state text and the reader of parsed values agree: the same rows,
    /// or the same error (code and message), on valid and broken states.
    #[test]
    fn state_text_and_state_values_read_alike() {
        let feed = r#"{"id":5,"userid":"2","public":"1","name":"a\"b","time":"17","value":1.5,"engine":5}"#;
        let good = format!(
            r#"{{"groups":[{{"id":1,"name":"g"}}],"memberships":[{{"groupid":1,"userid":2,"role":1}}],"users":[{{"id":2}}],"feeds":[{feed},{{"id":6,"userid":2}}]}}"#
        );
        let cases = [
            good.clone(),
            r#"{"feeds":null,"users":[]}"#.to_string(),
            "{}".to_string(),
            "[]".to_string(),
            r#"{"feeds":{}}"#.to_string(),
            r#"{"feeds":[1]}"#.to_string(),
            r#"{"feeds":[{"id":1}]}"#.to_string(),
            r#"{"feeds":[{"userid":1}]}"#.to_string(),
            r#"{"feeds":[{"id":0,"userid":1}]}"#.to_string(),
            r#"{"feeds":[{"id":1,"userid":1,"public":"yes"}]}"#.to_string(),
            r#"{"groups":[{"id":1,"x":2}]}"#.to_string(),
            r#"{"rows":[]}"#.to_string(),
            // Escaped keys mean the same keys; a repeated key keeps its last value.
            r#"{"fe\u0065ds":[{"\u0069d":1,"userid":1,"id":2}],"groups":[],"groups":[{"id":3}]}"#.to_string(),
            r#"{"feeds":[{"id":1,"userid":1,"x":{"a":[1,{"b":null}]}}]}"#.to_string(),
            // Found by fuzzing (fuzz/state_reader): a refused row under a key the text repeats
            // (the last one counts), and two problems met in different orders.
            r#"{"users":[{"name":"no id"}],"users":[{"id":1}]}"#.to_string(),
            r#"{"partners":[],"users":[{"id":"p-1"}]}"#.to_string(),
            r#"{"f":null }"#.to_string(),
        ];
        for text in &cases {
            let streamed = State::from_json_text(text);
            let parsed = State::from_json(serde_json::from_str::<Value>(text).unwrap());
            match (&streamed, &parsed) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{text}"),
                (Err(a), Err(b)) => assert_eq!((a.code(), a.message()), (b.code(), b.message()), "{text}"),
                _ => panic!("{text}: streamed {streamed:?}, parsed {parsed:?}"),
            }
        }
        let state = State::from_json_text(&good).unwrap();
        assert_eq!(state.feeds[0].to_json().to_string(), feed);
        assert_eq!((state.feeds[0].public, state.feeds[0].name.as_deref()), (true, Some("a\"b")));
        for (text, code) in [("{", ErrorCode::BadJson), ("{} x", ErrorCode::BadJson)] {
            assert_eq!(State::from_json_text(text).unwrap_err().code(), code);
        }
        let deep =
            format!(r#"{{"feeds":[{{"id":1,"userid":1,"x":{}{}}}]}}"#, "[".repeat(200), "]".repeat(200));
        assert_eq!(State::from_json_text(&deep).unwrap_err().code(), ErrorCode::TooDeep);
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
