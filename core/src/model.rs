//! The emoncms facts as the host reads them (rows of `groups`, `group_users`, `users`, feeds), the
//! changes the engine asks the host to write, and `apply`, which is what the host's database would
//! hold after writing them.

use crate::error::{ErrorCode, WireError};
use crate::json::{Map, Next, Parser, ToJson, Value, json};
use crate::read::{self, Reader};

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
#[derive(Debug, Clone, PartialEq)]
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
        let mut r = Reader::row("groups", i, v)?;
        let id = r.req("id", read::id)?;
        let mut s: [Option<String>; 6] = Default::default();
        strings(&mut r, GROUP_COLUMNS, &mut s)?;
        r.finish()?;
        let [name, description, organization, area, visibility, access] = s;
        Ok(GroupRow { id, name, description, organization, area, visibility, access })
    }

    /// The row as JSON (every column, NULL as null).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.put("id", self.id.into());
        let texts =
            [&self.name, &self.description, &self.organization, &self.area, &self.visibility, &self.access];
        for (&(key, _), text) in GROUP_COLUMNS.iter().zip(texts) {
            m.put(key, text.to_json());
        }
        Value::Object(m)
    }

    /// The name, `""` when NULL.
    pub fn name_str(&self) -> &str {
        self.name.as_deref().unwrap_or("")
    }
}

/// A `group_users` row.
#[derive(Debug, Clone, PartialEq)]
pub struct MembershipRow {
    pub groupid: Id,
    pub userid: Id,
    pub role: i64,
    pub admin_rights: Option<String>,
}

impl MembershipRow {
    fn read(i: usize, v: Value) -> Result<MembershipRow, WireError> {
        let mut r = Reader::row("memberships", i, v)?;
        let row = MembershipRow {
            groupid: r.req("groupid", read::id)?,
            userid: r.req("userid", read::id)?,
            role: r.req("role", read::lenient_int)?,
            admin_rights: r.opt("admin_rights", read::string)?,
        };
        r.finish()?;
        Ok(row)
    }

    /// The row as JSON.
    pub fn to_json(&self) -> Value {
        json!({"groupid": self.groupid, "userid": self.userid, "role": self.role, "admin_rights": self.admin_rights})
    }
}

/// A `users` row (only the columns the group module reads; never passwords or API keys).
#[derive(Debug, Clone, PartialEq)]
pub struct UserRow {
    pub id: Id,
    pub username: Option<String>,
    /// Site administrator (`users.admin`).
    pub admin: bool,
    /// emoncms ≥ 11.10 `users.access`: 0 login disabled, 1 read, 2 write.
    pub access: Option<u8>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub bio: Option<String>,
    pub location: Option<String>,
    pub timezone: Option<String>,
    /// JSON object, JSON text of one, or null.
    pub tags: Value,
    /// Passed through as userlist's `inputslist`.
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

    fn read(i: usize, v: Value) -> Result<UserRow, WireError> {
        let mut r = Reader::row("users", i, v)?;
        let id = r.req("id", read::id)?;
        let mut row = UserRow::bare(id);
        // Fields in this order (the first bad one is reported); `row` is dropped once on error.
        row.username = r.opt("username", read::string)?;
        row.admin = r.or("admin", false, read::flag)?;
        row.access = r.opt("access", access)?;
        let mut s: [Option<String>; 5] = Default::default();
        strings(&mut r, USER_STRINGS, &mut s)?;
        [row.name, row.email, row.bio, row.location, row.timezone] = s;
        if let Some(tags) = r.take("tags") {
            row.tags = tags;
        }
        match r.take("inputs") {
            None | Some(Value::Null) => {}
            Some(inputs) => row.inputs = inputs,
        }
        r.finish()?;
        Ok(row)
    }

    /// The row as JSON (`access` only when known).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.put("id", self.id.into());
        m.put("username", self.username.to_json());
        m.put("admin", self.admin.into());
        if let Some(a) = self.access {
            m.put("access", a.into());
        }
        let texts = [&self.name, &self.email, &self.bio, &self.location, &self.timezone];
        for (&(key, _), text) in USER_STRINGS.iter().zip(texts) {
            m.put(key, text.to_json());
        }
        m.put("tags", self.tags.clone());
        m.put("inputs", self.inputs.clone());
        Value::Object(m)
    }

    /// `tags` as userlist answers it: the decoded object, or null.
    pub fn tags_value(&self) -> Value {
        match &self.tags {
            Value::String(text) => match crate::json::from_str(text) {
                Ok(v @ Value::Object(_)) => v,
                _ => Value::Null,
            },
            v @ Value::Object(_) => v.clone(),
            _ => Value::Null,
        }
    }
}

/// The text columns of `groups` after `id`, in order, all optional.
const GROUP_COLUMNS: &[(&str, bool)] = &[
    ("name", false),
    ("description", false),
    ("organization", false),
    ("area", false),
    ("visibility", false),
    ("access", false),
];

/// The text columns of `users` after `access`, in order, all optional.
const USER_STRINGS: &[(&str, bool)] =
    &[("name", false), ("email", false), ("bio", false), ("location", false), ("timezone", false)];

/// Takes the string fields `keys` in order into `out` (`true`: required, else absent or null is
/// `None`); the first bad one is the error.
fn strings(r: &mut Reader, keys: &[(&str, bool)], out: &mut [Option<String>]) -> Result<(), WireError> {
    for (&(key, required), slot) in keys.iter().zip(out) {
        *slot = if required { Some(r.req(key, read::string)?) } else { r.opt(key, read::string)? };
    }
    Ok(())
}

fn empty_object() -> Value {
    Value::Object(Map::new())
}

/// A feed row as emoncms's Feed model returns it. `id`, `userid`, `public`, `name`, `time` and
/// `value` are read; the whole row is kept, as JSON text, and passed through unchanged. (Text,
/// not a map: a group's snapshot holds tens of thousands of feeds, and most are never written.)
#[derive(Debug, Clone)]
pub struct FeedRow {
    pub id: Id,
    pub userid: Id,
    pub public: bool,
    pub name: Option<String>,
    pub time: Option<f64>,
    pub value: Option<f64>,
    raw: Box<str>,
}

/// Rows are equal when they say the same, however their text is spaced, escaped or ordered.
impl PartialEq for FeedRow {
    fn eq(&self, other: &FeedRow) -> bool {
        (self.id, self.userid, self.public, &self.name, self.time, self.value)
            == (other.id, other.userid, other.public, &other.name, other.time, other.value)
            && (self.raw == other.raw || self.to_json() == other.to_json())
    }
}

impl FeedRow {
    /// Reads a feed row: `id` and `userid` are required, every key is kept.
    fn read(i: usize, v: Value) -> Result<FeedRow, WireError> {
        let r = Reader::row("feeds", i, v)?;
        let id = r.ref_req("id", read::id_ref)?;
        let userid = r.ref_req("userid", read::id_ref)?;
        let public = r.ref_opt("public", |v| Ok::<_, String>(read::feed_public(v)))?.unwrap_or(false);
        let row = r.into_rest();
        let name = row.get("name").and_then(Value::as_str).map(str::to_string);
        let (time, value) = (number_of(row.get("time")), number_of(row.get("value")));
        let raw = crate::json::to_string(&Value::Object(row)).into_boxed_str();
        Ok(FeedRow { id, userid, public, name, time, value, raw })
    }

    /// Reads feed row `i` straight from the text (the fast path of [`State::from_json_text`]):
    /// the same rules as [`FeedRow::read`], and the row's text is kept as it is.
    fn stream(i: usize, p: &mut Parser) -> Result<FeedRow, Load> {
        if p.next() != Next::Object {
            let v = p.value()?;
            return Err(Load::State(WireError::invalid_state(format!(
                "state: feeds[{i}]: expected an object, found {}",
                read::kind_of(&v)
            ))));
        }
        let start = p.offset();
        let (mut id, mut userid, mut public) = (None, None, None);
        let (mut name, mut time, mut value) = (None, None, None);
        let field = |key: &str, m: String| {
            Load::State(WireError::invalid_state(format!("state: feeds[{i}]: field `{key}`: {m}")))
        };
        p.object(|p, key| {
            let v = p.value()?;
            match key {
                "id" => id = Some(read::id_ref(&v).map_err(|m| field(key, m))?),
                "userid" => userid = Some(read::id_ref(&v).map_err(|m| field(key, m))?),
                "public" => public = Some(read::feed_public(&v)),
                "name" => {
                    name = match v {
                        Value::String(s) => Some(s),
                        _ => None,
                    }
                }
                "time" => time = number_of(Some(&v)),
                "value" => value = number_of(Some(&v)),
                _ => {}
            }
            Ok::<(), Load>(())
        })?;
        let raw = p.text(start, p.here()).into();
        let missing = |key: &str| {
            Load::State(WireError::invalid_state(format!("state: feeds[{i}]: missing field `{key}`")))
        };
        Ok(FeedRow {
            id: id.ok_or_else(|| missing("id"))?,
            userid: userid.ok_or_else(|| missing("userid"))?,
            public: public.unwrap_or(false),
            name,
            time,
            value,
            raw,
        })
    }

    /// The row as the host gave it.
    pub fn to_json(&self) -> Value {
        // The text was read as JSON (or written by us), so it reads back.
        crate::json::from_str(&self.raw).unwrap_or(Value::Null)
    }

    /// The row as the host gave it, for an answer: its text, written out unchanged.
    pub(crate) fn to_answer(&self) -> Value {
        Value::raw(&self.raw)
    }

    /// A feed row built from its parts (benchmarks and generated data).
    pub fn new(id: Id, userid: Id, public: bool, name: &str, time: f64, value: f64) -> FeedRow {
        let row =
            json!({"id": id, "userid": userid, "name": name, "public": public, "time": time, "value": value});
        FeedRow {
            id,
            userid,
            public,
            name: Some(name.to_string()),
            time: Some(time),
            value: Some(value),
            raw: crate::json::to_string(&row).into_boxed_str(),
        }
    }
}

/// Everything the host loaded for a request.
#[derive(Debug, Clone, Default, PartialEq)]
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
        let mut r = Reader::of("state", ErrorCode::InvalidState, v)?;
        let mut state = State::default();
        rows(&mut r, "groups", &mut |i, v| {
            state.groups.push(GroupRow::read(i, v)?);
            Ok(())
        })?;
        rows(&mut r, "memberships", &mut |i, v| {
            state.memberships.push(MembershipRow::read(i, v)?);
            Ok(())
        })?;
        rows(&mut r, "users", &mut |i, v| {
            state.users.push(UserRow::read(i, v)?);
            Ok(())
        })?;
        rows(&mut r, "feeds", &mut |i, v| {
            state.feeds.push(FeedRow::read(i, v)?);
            Ok(())
        })?;
        r.finish()?;
        Ok(state)
    }

    /// Reads a state from JSON text: the same rules and messages as [`State::from_json`], but
    /// feed rows are read straight from the text (a group's snapshot has tens of thousands).
    pub fn from_json_text(text: &str) -> Result<State, WireError> {
        let mut p = Parser::new(text);
        let state = State::stream(&mut p).and_then(|s| p.finish().map(|()| s).map_err(Load::Json));
        let e = match state {
            Ok(state) => return Ok(state),
            // A refused row may belong to a key the text repeats later (the last one counts), and
            // with several problems the one-pass reader meets another first: the tree reader
            // decides, so both readers always give the same answer (found by fuzzing).
            Err(Load::State(e)) => {
                return match crate::json::from_str(text) {
                    Ok(tree) => State::from_json(tree),
                    Err(_) => Err(e),
                };
            }
            Err(e) => e,
        };
        Err(match e {
            Load::State(e) => e,
            Load::Json(e) if e.is_too_deep() => WireError::new(
                ErrorCode::TooDeep,
                format!("state nests deeper than {} levels", crate::json::MAX_DEPTH),
            ),
            Load::Json(e) => WireError::new(ErrorCode::BadJson, format!("state is not valid JSON: {e}")),
        })
    }

    /// Reads the state object at the parser's position, as [`State::from_json_text`] does; `None`
    /// for anything it would refuse (the caller then reads the request the ordinary way, which
    /// gives the error).
    pub(crate) fn stream_at(p: &mut Parser) -> Option<State> {
        if p.next() != Next::Object {
            return None;
        }
        State::stream(p).ok()
    }

    fn stream(p: &mut Parser) -> Result<State, Load> {
        if p.next() != Next::Object {
            let v = p.value()?;
            return Err(Load::State(WireError::invalid_state(format!(
                "state: expected an object, found {}",
                read::kind_of(&v)
            ))));
        }
        let mut state = State::default();
        p.object(|p, key| {
            let next = p.next();
            // null is "no rows" for the four lists only: an unknown key is refused whatever its
            // value, as the tree reader does (found by fuzzing: `{"f":null}` was accepted).
            if next == Next::Null && matches!(key, "groups" | "memberships" | "users" | "feeds") {
                p.value()?;
                return Ok(());
            }
            if next != Next::Array && matches!(key, "groups" | "memberships" | "users" | "feeds") {
                let v = p.value()?;
                return Err(Load::State(WireError::invalid_state(format!(
                    "state: field `{key}`: expected an array, found {}",
                    read::kind_of(&v)
                ))));
            }
            match key {
                "groups" => state.groups = stream_rows(p, GroupRow::read)?,
                "memberships" => state.memberships = stream_rows(p, MembershipRow::read)?,
                "users" => state.users = stream_rows(p, UserRow::read)?,
                "feeds" => {
                    let mut feeds = Vec::new();
                    p.array(|p| {
                        feeds.push(FeedRow::stream(feeds.len(), p)?);
                        Ok::<(), Load>(())
                    })?;
                    state.feeds = feeds;
                }
                other => {
                    let other = crate::wire::truncate(other, 64);
                    return Err(Load::State(WireError::invalid_state(format!(
                        "state: unknown field `{other}`"
                    ))));
                }
            }
            Ok(())
        })?;
        Ok(state)
    }

    /// The state as JSON, every list written.
    pub fn to_json(&self) -> Value {
        json!({
            "groups": self.groups,
            "memberships": self.memberships,
            "users": self.users,
            "feeds": self.feeds,
        })
    }
}

/// Why a state text could not be read: not JSON, or JSON that is not a valid state.
enum Load {
    Json(crate::json::Error),
    State(WireError),
}

impl From<crate::json::Error> for Load {
    fn from(e: crate::json::Error) -> Load {
        Load::Json(e)
    }
}

/// Reads an array of rows, each parsed as a value and then by `row`.
fn stream_rows<T>(p: &mut Parser, row: fn(usize, Value) -> Result<T, WireError>) -> Result<Vec<T>, Load> {
    let mut out = Vec::new();
    p.array(|p| {
        let v = p.value()?;
        out.push(row(out.len(), v).map_err(Load::State)?);
        Ok::<(), Load>(())
    })?;
    Ok(out)
}

/// Takes the list `key` of rows (absent or null: empty) and gives `row` each one with its index;
/// a bad row's error names it. (`dyn`: one copy of the loop serves the four lists.)
fn rows(
    r: &mut Reader,
    key: &str,
    row: &mut dyn FnMut(usize, Value) -> Result<(), WireError>,
) -> Result<(), WireError> {
    match r.take(key) {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Array(items)) => {
            for (i, v) in items.into_iter().enumerate() {
                row(i, v)?;
            }
            Ok(())
        }
        Some(other) => Err(r.field_error(key, format!("expected an array, found {}", read::kind_of(&other)))),
    }
}

/// A row to write, in order, inside one transaction.
#[derive(Debug, Clone, PartialEq)]
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
        name: Option<String>,
        location: Option<String>,
        bio: Option<String>,
        timezone: Option<String>,
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

/// The wire fields of one kind of change, in the order they are read and written: `kind`, the
/// ids, `role` when there is one, the text fields (`true`: required), `tags` when there is one.
struct ChangeSpec {
    kind: &'static str,
    ids: &'static [&'static str],
    role: bool,
    texts: &'static [(&'static str, bool)],
    tags: bool,
}

/// The text fields of a group change (`insert_group` requires them all).
const GROUP_TEXTS: [(&str, bool); 6] = [
    ("name", true),
    ("description", false),
    ("organization", false),
    ("area", false),
    ("visibility", true),
    ("access", true),
];

const fn spec(
    kind: &'static str,
    ids: &'static [&'static str],
    texts: &'static [(&'static str, bool)],
) -> ChangeSpec {
    ChangeSpec { kind, ids, role: false, texts, tags: false }
}

const GROUP_ID: &[&str] = &["id"];
const MEMBER_IDS: &[&str] = &["groupid", "userid"];
const USER_ID: &[&str] = &["userid"];

/// Every kind of change, in the order of [`Change`]'s variants.
const CHANGES: [ChangeSpec; 10] = [
    spec(
        "insert_group",
        GROUP_ID,
        &[
            ("name", true),
            ("description", true),
            ("organization", true),
            ("area", true),
            ("visibility", true),
            ("access", true),
        ],
    ),
    spec("update_group", GROUP_ID, &GROUP_TEXTS),
    spec("delete_group", GROUP_ID, &[]),
    ChangeSpec { role: true, ..spec("insert_membership", MEMBER_IDS, &[("admin_rights", true)]) },
    ChangeSpec { role: true, ..spec("update_membership", MEMBER_IDS, &[("admin_rights", false)]) },
    spec("delete_membership", MEMBER_IDS, &[]),
    ChangeSpec {
        tags: true,
        ..spec(
            "update_user_profile",
            USER_ID,
            &[("name", false), ("location", false), ("bio", false), ("timezone", false)],
        )
    },
    spec("set_username", USER_ID, &[("username", true)]),
    spec("set_email", USER_ID, &[("email", true)]),
    spec("set_password", USER_ID, &[("password", true)]),
];

/// The index in [`CHANGES`] of `update_user_profile`, whose unset text fields are left out.
const PROFILE: usize = 6;

/// A change's fields by position, as [`CHANGES`] lists them.
struct Parts<'a> {
    kind: usize,
    ids: [Id; 2],
    role: i64,
    texts: [Option<&'a String>; 6],
    tags: Option<&'a Value>,
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
        let mut r = Reader::of(what, ErrorCode::BadRequest, v)?;
        let kind = r.req("kind", read::string)?;
        let Some(k) = CHANGES.iter().position(|c| c.kind == kind) else {
            let mut expected = String::new();
            for c in &CHANGES {
                if !expected.is_empty() {
                    expected.push_str(", ");
                }
                expected.push_str(&format!("`{}`", c.kind));
            }
            return Err(r.error(format!(
                "unknown variant `{}`, expected one of {expected}",
                crate::wire::truncate(&kind, 64),
            )));
        };
        let spec = &CHANGES[k];
        let mut ids = [0; 2];
        for (i, key) in spec.ids.iter().enumerate() {
            ids[i] = r.req(key, read::id)?;
        }
        let role = if spec.role { r.req("role", read::integer)? } else { 0 };
        let mut s: [Option<String>; 6] = Default::default();
        strings(&mut r, spec.texts, &mut s)?;
        let tags = if spec.tags { r.opt("tags", read::any)? } else { None };
        r.finish()?;
        // Required texts were read, so they are `Some`; taken by place, `s` is dropped once.
        let mut t = |i: usize| std::mem::take(&mut s[i]);
        let [id, userid] = ids;
        Ok(match k {
            0 => Change::InsertGroup {
                id,
                name: t(0).unwrap_or_default(),
                description: t(1).unwrap_or_default(),
                organization: t(2).unwrap_or_default(),
                area: t(3).unwrap_or_default(),
                visibility: t(4).unwrap_or_default(),
                access: t(5).unwrap_or_default(),
            },
            1 => Change::UpdateGroup {
                id,
                name: t(0).unwrap_or_default(),
                description: t(1),
                organization: t(2),
                area: t(3),
                visibility: t(4).unwrap_or_default(),
                access: t(5).unwrap_or_default(),
            },
            2 => Change::DeleteGroup { id },
            3 => {
                Change::InsertMembership { groupid: id, userid, role, admin_rights: t(0).unwrap_or_default() }
            }
            4 => Change::UpdateMembership { groupid: id, userid, role, admin_rights: t(0) },
            5 => Change::DeleteMembership { groupid: id, userid },
            PROFILE => Change::UpdateUserProfile {
                userid: id,
                name: t(0),
                location: t(1),
                bio: t(2),
                timezone: t(3),
                tags,
            },
            7 => Change::SetUsername { userid: id, username: t(0).unwrap_or_default() },
            8 => Change::SetEmail { userid: id, email: t(0).unwrap_or_default() },
            _ => Change::SetPassword { userid: id, password: t(0).unwrap_or_default() },
        })
    }

    /// The fields of this change by position in [`CHANGES`].
    fn parts(&self) -> Parts<'_> {
        let mut p = Parts { kind: 0, ids: [0; 2], role: 0, texts: [None; 6], tags: None };
        match self {
            Change::InsertGroup { id, name, description, organization, area, visibility, access } => {
                p.ids[0] = *id;
                p.texts = [
                    Some(name),
                    Some(description),
                    Some(organization),
                    Some(area),
                    Some(visibility),
                    Some(access),
                ];
            }
            Change::UpdateGroup { id, name, description, organization, area, visibility, access } => {
                p.kind = 1;
                p.ids[0] = *id;
                p.texts = [
                    Some(name),
                    description.as_ref(),
                    organization.as_ref(),
                    area.as_ref(),
                    Some(visibility),
                    Some(access),
                ];
            }
            Change::DeleteGroup { id } => (p.kind, p.ids[0]) = (2, *id),
            Change::InsertMembership { groupid, userid, role, admin_rights } => {
                (p.kind, p.ids, p.role, p.texts[0]) = (3, [*groupid, *userid], *role, Some(admin_rights));
            }
            Change::UpdateMembership { groupid, userid, role, admin_rights } => {
                (p.kind, p.ids, p.role, p.texts[0]) = (4, [*groupid, *userid], *role, admin_rights.as_ref());
            }
            Change::DeleteMembership { groupid, userid } => (p.kind, p.ids) = (5, [*groupid, *userid]),
            Change::UpdateUserProfile { userid, name, location, bio, timezone, tags } => {
                (p.kind, p.ids[0], p.tags) = (PROFILE, *userid, tags.as_ref());
                p.texts = [name.as_ref(), location.as_ref(), bio.as_ref(), timezone.as_ref(), None, None];
            }
            Change::SetUsername { userid, username } => {
                (p.kind, p.ids[0], p.texts[0]) = (7, *userid, Some(username))
            }
            Change::SetEmail { userid, email } => (p.kind, p.ids[0], p.texts[0]) = (8, *userid, Some(email)),
            Change::SetPassword { userid, password } => {
                (p.kind, p.ids[0], p.texts[0]) = (9, *userid, Some(password))
            }
        }
        p
    }

    /// The wire form: `kind` first, then the fields (unset profile fields left out).
    pub fn to_json(&self) -> Value {
        let p = self.parts();
        let spec = &CHANGES[p.kind];
        let mut m = Map::new();
        m.put("kind", spec.kind.into());
        for (key, id) in spec.ids.iter().zip(p.ids) {
            m.put(key, id.into());
        }
        if spec.role {
            m.put("role", p.role.into());
        }
        for (&(key, _), text) in spec.texts.iter().zip(p.texts) {
            match text {
                Some(t) => m.put(key, t.as_str().into()),
                None if p.kind != PROFILE => m.put(key, Value::Null),
                None => {}
            }
        }
        if let Some(t) = p.tags {
            m.put("tags", t.clone());
        }
        Value::Object(m)
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

/// `json!` takes these as they are written on the wire.
macro_rules! to_json_by_method {
    ($($t:ty),*) => {$(
        impl ToJson for $t {
            fn to_json(&self) -> Value {
                <$t>::to_json(self)
            }
        }
    )*};
}
to_json_by_method!(GroupRow, MembershipRow, UserRow, FeedRow, State, Change, crate::decide::Fact);

// --- readers of the values that arrive as PHP/mysqli strings ---

/// A float column (`time`, `value`): a number or a numeric string; anything else is unknown.
fn number_of(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    }
}

/// `users.access`: 0, 1 or 2 (or the same as a string).
/// `users.access` as emoncms reads it: 0 login disabled, 1 read-only, anything else full (2). Never
/// an error: one odd row must not break every list the member appears in (as `public`).
fn access(v: Value) -> Result<u8, String> {
    Ok(match &v {
        Value::Number(n) => match n.as_i64() {
            Some(0) => 0,
            Some(1) => 1,
            _ => 2,
        },
        Value::String(s) => match s.trim() {
            "0" => 0,
            "1" => 1,
            _ => 2,
        },
        _ => 2,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::json;

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
            "state: groups[0]: unknown field `x`"
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
            let parsed = State::from_json(crate::json::from_str(text).unwrap());
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
