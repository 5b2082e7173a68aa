//! Profile `home` (seed 001): the users of a smart home managed over MQTT, with three roles
//! (administrator, family member, guest) and two classes of devices (security, utility).
//!
//! The seed's role matrix is data on the policy mechanism: three permissions in a [`Catalog`] and
//! three [`Roles`]. Every rule below asks "does this role hold that permission", never "is this
//! the administrator". State, ops, changes and reason codes are documented in `core/PROFILES.md`.

use std::cmp::Ordering;

use crate::error::{ErrorCode, WireError};
use crate::policy::{Catalog, PermId, PermissionDef, PolicyError, RoleDef, Roles};
use crate::profiles::{Fields, unknown_op, version_op};
use crate::profiles::{Profile, ProfileEngine};
use crate::read::{self, Reader};
use crate::util::owned;
use crate::util::truncate;
use crate::value::{Map, Put, Value, object_of};

// ---------------------------------------------------------------------------------------------
// The seed's matrix as policy data

/// Permission codes, in the seed's row order.
const MANAGE_USERS: &str = "manage_users";
const CONTROL_SECURITY: &str = "control_security_devices";
const CONTROL_UTILITY: &str = "control_utility_devices";

/// (code, name, description): one permission per row of the seed's table.
const PERMISSIONS: [(&str, &str, &str); 3] = [
    (MANAGE_USERS, "User management", "Add, update and delete the users of the home"),
    (CONTROL_SECURITY, "Security device control", "Control the security devices of the home"),
    (
        CONTROL_UTILITY,
        "Utility home device control",
        "Control utility home devices, such as lights and smart TVs",
    ),
];

/// (code, name, permissions): one role per column of the seed's table.
const ROLES: [(&str, &str, &[&str]); 3] = [
    ("administrator", "Administrator", &[MANAGE_USERS, CONTROL_SECURITY, CONTROL_UTILITY]),
    ("family_member", "Family member", &[CONTROL_SECURITY, CONTROL_UTILITY]),
    ("guest", "Guest", &[CONTROL_UTILITY]),
];

/// Role names accepted in command bodies besides the codes, after normalising (trimmed, lower
/// case, spaces and hyphens as `_`). `adult` is the role of the seed's own example.
const ROLE_ALIASES: [(&str, &str); 1] = [("adult", "family_member")];

const ACTION_USERS_MANAGE: &str = "users.manage";
const ACTION_DEVICE_CONTROL: &str = "device.control";

/// The longest user name and e-mail address accepted.
const MAX_USER_NAME: usize = 255;
const MAX_EMAIL: usize = 254;

/// The ids of the permissions: a catalog numbers its permissions in the order they are defined,
/// here the order of [`PERMISSIONS`] (a test checks them against the catalog).
const P_MANAGE_USERS: PermId = 0;
const P_CONTROL_SECURITY: PermId = 1;
const P_CONTROL_UTILITY: PermId = 2;

#[derive(Debug)]
struct Policy {
    catalog: Catalog,
    roles: Roles,
}

impl Policy {
    fn new() -> Result<Policy, WireError> {
        Ok(Policy::of_data()?)
    }

    /// The policy of the tables above.
    fn of_data() -> Result<Policy, PolicyError> {
        let mut permissions = Vec::new();
        for (code, name, description) in PERMISSIONS {
            permissions.push(PermissionDef {
                code: owned(code),
                name: owned(name),
                description: owned(description),
                dependencies: Vec::new(),
            });
        }
        let catalog = Catalog::new(permissions)?;
        let mut defs = Vec::new();
        for (code, _, perms) in ROLES {
            let mut permissions = Vec::new();
            for p in perms {
                permissions.push(owned(p));
            }
            defs.push(RoleDef { code: owned(code), permissions });
        }
        let roles = Roles::new(&catalog, &defs)?;
        Ok(Policy { catalog, roles })
    }

    /// The permission a device of `class` needs.
    fn device_permission(class: DeviceClass) -> PermId {
        match class {
            DeviceClass::Security => P_CONTROL_SECURITY,
            DeviceClass::Utility => P_CONTROL_UTILITY,
        }
    }

    /// Whether role `role` (a code) holds permission `p`; unknown roles hold nothing.
    fn role_holds(&self, role: &str, p: PermId) -> bool {
        self.roles.index(role).is_some_and(|i| self.roles.permissions(i).contains(p))
    }

    /// The role code a command body names, if any: a code or an alias, trimmed and normalised.
    fn parse_role(&self, text: &str) -> Option<&'static str> {
        let text = text.trim();
        let mut alias_of = None;
        for (alias, code) in ROLE_ALIASES {
            if normalises_to(text, alias) {
                alias_of = Some(code);
            }
        }
        let names = |code: &str| alias_of.map_or_else(|| normalises_to(text, code), |c| c == code);
        ROLES.iter().find(|(code, _, _)| names(code)).map(|(code, _, _)| *code)
    }

    fn catalog_json(&self) -> Value {
        let mut permissions = Vec::new();
        for d in self.catalog.defs() {
            permissions.push(crate::value::ToJson::to_json(d));
        }
        let mut roles = Vec::new();
        for (code, name, _) in ROLES {
            let perms = self.roles.index(code).map(|i| self.roles.permissions(i)).unwrap_or_default();
            let mut aliases = Vec::new();
            for (alias, c) in ROLE_ALIASES {
                if c == code {
                    aliases.push(Value::from(alias));
                }
            }
            roles.push(object_of(&mut [
                ("code", code.into()),
                ("name", name.into()),
                ("aliases", Value::Array(aliases)),
                ("permissions", strings(&self.catalog.codes(perms))),
            ]));
        }
        let mut classes = Vec::new();
        for (class, permission) in [("security", CONTROL_SECURITY), ("utility", CONTROL_UTILITY)] {
            classes.push(object_of(&mut [("class", class.into()), ("permission", permission.into())]));
        }
        object_of(&mut [
            ("permissions", Value::Array(permissions)),
            ("roles", Value::Array(roles)),
            ("device_classes", Value::Array(classes)),
            ("actions", strings(&[ACTION_USERS_MANAGE, ACTION_DEVICE_CONTROL])),
        ])
    }
}

/// Whether `text` is `name` once normalised: ASCII letters in lower case, spaces and hyphens as
/// `_` (compared byte by byte, without building the normalised text).
fn normalises_to(text: &str, name: &str) -> bool {
    if text.len() != name.len() {
        return false;
    }
    for (t, n) in text.bytes().zip(name.bytes()) {
        let t = if t == b' ' || t == b'-' { b'_' } else { t.to_ascii_lowercase() };
        if t != n {
            return false;
        }
    }
    true
}

/// Strings as a JSON array.
fn strings(items: &[&str]) -> Value {
    let mut out = Vec::with_capacity(items.len());
    for s in items {
        out.push(Value::from(*s));
    }
    Value::Array(out)
}

// ---------------------------------------------------------------------------------------------
// Ids: the seed writes `"user_id": "id"` in its template and `123456789` in its example

/// A user or device id: a non-negative integer or a non-empty string. A number and the string of
/// its decimal digits are the same id; the form first stored is kept.
#[derive(Debug, Clone)]
pub(crate) enum Id {
    Num(u64),
    Text(String),
}

impl Id {
    fn from_value(v: &Value) -> Option<Id> {
        match v {
            Value::Number(n) => n.as_u64().map(Id::Num),
            Value::String(s) if !s.is_empty() && s.chars().count() <= 256 => Some(Id::Text(s.clone())),
            _ => None,
        }
    }
    /// The id as text, a number written into `buf` in decimal digits: ids are compared often, and
    /// named in messages, without allocating.
    fn text<'a>(&'a self, buf: &'a mut [u8; 20]) -> &'a str {
        match self {
            Id::Num(n) => decimal(*n, buf),
            Id::Text(s) => s,
        }
    }
    fn to_value(&self) -> Value {
        match self {
            Id::Num(n) => Value::from(*n),
            Id::Text(s) => Value::from(s.as_str()),
        }
    }
}

/// `n` in decimal digits, written into `buf`.
fn decimal(n: u64, buf: &mut [u8; 20]) -> &str {
    use std::io::Write;
    let mut free = &mut buf[..];
    // 20 digits hold every u64.
    let _ = write!(free, "{n}");
    let len = 20 - free.len();
    buf.get(..len).and_then(|d| std::str::from_utf8(d).ok()).unwrap_or("")
}

impl PartialEq for Id {
    fn eq(&self, other: &Id) -> bool {
        let (mut x, mut y) = ([0; 20], [0; 20]);
        self.text(&mut x) == other.text(&mut y)
    }
}
impl Eq for Id {}

impl Ord for Id {
    /// Ids made of digits only come first, in numeric order; other ids follow in text order.
    fn cmp(&self, other: &Id) -> Ordering {
        let (mut x, mut y) = ([0; 20], [0; 20]);
        let (a, b) = (self.text(&mut x), other.text(&mut y));
        let numeric = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
        match (numeric(a), numeric(b)) {
            (true, true) => {
                let (ta, tb) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
                ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb)).then_with(|| a.cmp(b))
            }
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => a.cmp(b),
        }
    }
}
impl PartialOrd for Id {
    fn partial_cmp(&self, other: &Id) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Id {
    /// An id field, for [`Reader::req`] and the fields of ops.
    fn read(v: Value) -> Result<Id, String> {
        Id::from_value(&v).ok_or_else(|| {
            "an id is a non-negative integer or a non-empty string of at most 256 characters".to_string()
        })
    }
}

/// A list of ids (a bad one is named by its index).
fn ids(v: Value) -> Result<Vec<Id>, String> {
    let items = read::array(v)?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        out.push(Id::read(item).map_err(|m| format!("[{i}]: {m}"))?);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// State and changes

// Every object is read strictly: a field nobody reads is an error. State problems are
// `invalid_state`, problems in `changes` are `bad_request`: the code comes from the reader.

#[derive(Debug, Clone, Default)]
struct State {
    homes: Vec<Home>,
}

#[derive(Debug, Clone)]
struct Home {
    id: String,
    users: Vec<User>,
    devices: Vec<Device>,
}

#[derive(Debug, Clone, PartialEq)]
struct User {
    user_id: Id,
    email: String,
    user_name: String,
    role: String,
}

#[derive(Debug, Clone, PartialEq)]
struct Device {
    id: Id,
    class: DeviceClass,
    name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DeviceClass {
    Security,
    Utility,
}

impl DeviceClass {
    fn as_str(self) -> &'static str {
        match self {
            DeviceClass::Security => "security",
            DeviceClass::Utility => "utility",
        }
    }

    /// The class a `class` field names: `security` or `utility`.
    fn parse(text: &str) -> Result<DeviceClass, String> {
        match text {
            "security" => Ok(DeviceClass::Security),
            "utility" => Ok(DeviceClass::Utility),
            other => {
                Err(format!("unknown variant `{}`, expected `security` or `utility`", truncate(other, 64)))
            }
        }
    }
}

/// One change of the state, as ops return them and `apply` takes them.
#[derive(Debug, Clone)]
struct Change {
    /// The index of its kind in [`CHANGE_KINDS`]: 0–2 insert, update and delete a user, 3–5 the
    /// same for a device.
    kind: usize,
    home: String,
    row: Row,
}

/// What a change carries (in its field [`CHANGE_FIELDS`] names): the whole user or device it
/// inserts or updates, or the id of the one it deletes.
#[derive(Debug, Clone)]
enum Row {
    User(User),
    Device(Device),
    Id(Id),
}

/// Field `key` of `r` read with `f`, `default` when absent. Unlike [`Reader::or`], a `null` is
/// read with `f` (and so refused by the converters used here): a state's lists and a device's
/// name default only when absent.
fn defaulted<T>(
    r: &mut Reader,
    key: &str,
    default: T,
    f: impl FnOnce(Value) -> Result<T, String>,
) -> Result<T, WireError> {
    match r.take(key) {
        None => Ok(default),
        Some(v) => f(v).map_err(|m| r.field_error(key, m)),
    }
}

impl User {
    fn read(mut r: Reader) -> Result<User, WireError> {
        let user = User {
            user_id: r.req("user_id", Id::read)?,
            email: r.req("email", read::string)?,
            user_name: r.req("user_name", read::string)?,
            role: r.req("role", read::string)?,
        };
        r.finish()?;
        Ok(user)
    }

    fn to_json(&self) -> Value {
        object_of(&mut [
            ("user_id", self.user_id.to_value()),
            ("email", self.email.as_str().into()),
            ("user_name", self.user_name.as_str().into()),
            ("role", self.role.as_str().into()),
        ])
    }
}

impl Device {
    fn read(mut r: Reader) -> Result<Device, WireError> {
        let id = r.req("id", Id::read)?;
        // Read as a string first: the reader's string instance serves, not one for the class.
        let class = r.req("class", read::string)?;
        let class = DeviceClass::parse(&class).map_err(|m| r.field_error("class", m))?;
        let device = Device { id, class, name: defaulted(&mut r, "name", String::new(), read::string)? };
        r.finish()?;
        Ok(device)
    }

    fn to_json(&self) -> Value {
        object_of(&mut [
            ("id", self.id.to_value()),
            ("class", self.class.as_str().into()),
            ("name", self.name.as_str().into()),
        ])
    }
}

impl Home {
    /// The user `id` names.
    fn user(&self, id: &Id) -> Option<&User> {
        self.users.iter().find(|u| u.user_id == *id)
    }

    fn read(mut r: Reader) -> Result<Home, WireError> {
        let mut home = Home { id: r.req("id", read::string)?, users: Vec::new(), devices: Vec::new() };
        r.object_rows("users", &mut |row| {
            home.users.push(User::read(row)?);
            Ok(())
        })?;
        r.object_rows("devices", &mut |row| {
            home.devices.push(Device::read(row)?);
            Ok(())
        })?;
        r.finish()?;
        Ok(home)
    }

    fn to_json(&self) -> Value {
        let mut users = Vec::with_capacity(self.users.len());
        for u in &self.users {
            users.push(u.to_json());
        }
        let mut devices = Vec::with_capacity(self.devices.len());
        for d in &self.devices {
            devices.push(d.to_json());
        }
        object_of(&mut [
            ("id", self.id.as_str().into()),
            ("users", Value::Array(users)),
            ("devices", Value::Array(devices)),
        ])
    }
}

/// The kinds of [`Change`], in the order messages list them.
const CHANGE_KINDS: [&str; 6] =
    ["insert_user", "update_user", "delete_user", "insert_device", "update_device", "delete_device"];

/// The field holding the [`Row`] of each kind of [`Change`].
const CHANGE_FIELDS: [&str; 6] = ["user", "user", "user_id", "device", "device", "id"];

impl Change {
    /// Reads one change: `kind`, `home`, then the kind's own field.
    fn read(mut r: Reader) -> Result<Change, WireError> {
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
            Row::Id(r.req(field, Id::read)?)
        } else {
            let v = r.req(field, read::any)?;
            let object = r.nested(field, v)?;
            if k < 3 { Row::User(User::read(object)?) } else { Row::Device(Device::read(object)?) }
        };
        r.finish()?;
        Ok(Change { kind: k, home, row })
    }

    /// The change as ops return it: `kind`, `home`, then the kind's own field.
    fn to_json(&self) -> Value {
        let row = match &self.row {
            Row::User(u) => u.to_json(),
            Row::Device(d) => d.to_json(),
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
    /// Reads a state (`invalid_state` errors).
    fn read(state: Value) -> Result<State, WireError> {
        let mut r = Reader::of("state", ErrorCode::InvalidState, state)?;
        let mut homes = Vec::new();
        r.object_rows("homes", &mut |row| {
            homes.push(Home::read(row)?);
            Ok(())
        })?;
        r.finish()?;
        Ok(State { homes })
    }

    fn to_json(&self) -> Value {
        let mut homes = Vec::with_capacity(self.homes.len());
        for h in &self.homes {
            homes.push(h.to_json());
        }
        object_of(&mut [("homes", Value::Array(homes))])
    }

    fn home(&self, id: &str) -> Option<&Home> {
        self.homes.iter().find(|h| h.id == id)
    }

    /// Facts that contradict themselves, or roles outside the catalog; the first problem in reading
    /// order is named.
    fn validate(&self, policy: &Policy) -> Result<(), WireError> {
        let home_repeat = first_repeat(self.homes.len(), &|a, b| self.homes[a].id.cmp(&self.homes[b].id));
        let mut buf = [0; 20];
        for (i, h) in self.homes.iter().enumerate() {
            if h.id.is_empty() {
                return Err(WireError::invalid_state("a home has an empty `id`"));
            }
            if home_repeat == Some(i) {
                return Err(state_error(&["home ", &h.id, " is listed twice"]));
            }
            let user_repeat =
                first_repeat(h.users.len(), &|a, b| h.users[a].user_id.cmp(&h.users[b].user_id));
            for (j, u) in h.users.iter().enumerate() {
                let id = u.user_id.text(&mut buf);
                if user_repeat == Some(j) {
                    return Err(state_error(&["user ", id, " is listed twice in home ", &h.id]));
                }
                if policy.roles.index(&u.role).is_none() {
                    return Err(state_error(&[
                        "user ",
                        id,
                        " of home ",
                        &h.id,
                        " has unknown role ",
                        &u.role,
                        "; expected `administrator`, `family_member` or `guest`",
                    ]));
                }
            }
            let device_repeat = first_repeat(h.devices.len(), &|a, b| h.devices[a].id.cmp(&h.devices[b].id));
            if let Some(j) = device_repeat {
                let id = h.devices[j].id.text(&mut buf);
                return Err(state_error(&["device ", id, " is listed twice in home ", &h.id]));
            }
        }
        Ok(())
    }

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

/// An `invalid_state` error of `pieces`: text at even places, names at odd places (shown between
/// backquotes, cut to 64 characters).
fn state_error(pieces: &[&str]) -> WireError {
    let mut message = String::new();
    for (i, piece) in pieces.iter().enumerate() {
        if i % 2 == 0 {
            message.push_str(piece);
        } else {
            message.push('`');
            message.push_str(&truncate(piece, 64));
            message.push('`');
        }
    }
    WireError::invalid_state(message)
}

/// The first of `n` items (by index) equal to an earlier one, `cmp` ordering items by index.
fn first_repeat(n: usize, cmp: &dyn Fn(usize, usize) -> Ordering) -> Option<usize> {
    crate::util::repeats(n, cmp).1.iter().position(|&r| r)
}

/// Reads `changes` (`bad_request` errors; an item is named `` `changes`[i] ``).
fn parse_changes(changes: Value) -> Result<Vec<Change>, WireError> {
    let Value::Array(items) = changes else {
        return Err(WireError::bad_request("`changes` must be an array"));
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        out.push(Change::read(Reader::of(format!("`changes`[{i}]"), ErrorCode::BadRequest, item)?)?);
    }
    Ok(out)
}

fn applied(mut state: State, policy: &Policy, changes: Value) -> Result<State, WireError> {
    for change in parse_changes(changes)? {
        state.apply(change)?;
    }
    state.validate(policy)?;
    Ok(state)
}

// ---------------------------------------------------------------------------------------------
// The engine

/// The held facts of the `home` profile.
#[derive(Debug)]
pub struct HomeEngine {
    policy: Policy,
    state: State,
}

impl ProfileEngine for HomeEngine {
    fn build(state: Value) -> Result<Self, WireError> {
        let policy = Policy::new()?;
        let state = State::read(state)?;
        state.validate(&policy)?;
        Ok(HomeEngine { policy, state })
    }

    fn handle(&self, op: &str, fields: Fields) -> Result<Value, WireError> {
        match op {
            "version" => return version_op(fields),
            "catalog" => {
                no_fields(op, &fields)?;
                return Ok(self.policy.catalog_json());
            }
            _ => {}
        }
        let Some((_, spec)) = OP_FIELDS.iter().find(|(name, _)| *name == op) else {
            return Err(unknown_op(Profile::Home, op));
        };
        let args = Args::read(op, fields, spec)?;
        // `check` and `what_can` require their person, so it is there.
        match (op, &args.person) {
            ("check", Some(actor)) => {
                Ok(self.decide(actor, &args.action, &args.home, args.device.as_ref())?.0)
            }
            ("what_can", Some(user)) => Ok(self.what_can(user)),
            ("report", _) => read_report(args),
            ("command", _) => Ok(self.command(args)),
            ("what_if", _) => self.what_if(args),
            _ => self.who_can(&args),
        }
    }

    fn apply(state: Value, changes: Value) -> Result<Value, WireError> {
        let policy = Policy::new()?;
        let state = State::read(state)?;
        Ok(applied(state, &policy, changes)?.to_json())
    }

    fn is_stateless_op(op: &str) -> bool {
        matches!(op, "catalog" | "report")
    }
}

/// Where [`Args::read`] puts a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Person,
    Device,
    Users,
    Value,
    Action,
    Home,
    Topic,
    CommandType,
    ReportType,
}

/// The fields an op takes, in reading order (which names the first problem): key, where it goes,
/// whether it is required (an optional field may be null).
type FieldSpec = (&'static str, Slot, bool);

const CHECK_FIELDS: [FieldSpec; 4] = [
    ("actor", Slot::Person, true),
    ("action", Slot::Action, true),
    ("home", Slot::Home, true),
    ("device", Slot::Device, false),
];

/// The ops with fields (besides `version` and `catalog`): `who_can` asks `check`'s question
/// without an actor.
const OP_FIELDS: [(&str, &[FieldSpec]); 6] = [
    (
        "report",
        &[
            ("report_type", Slot::ReportType, false),
            ("topic", Slot::Topic, false),
            ("body", Slot::Value, true),
        ],
    ),
    (
        "command",
        &[
            ("topic", Slot::Topic, true),
            ("command_type", Slot::CommandType, true),
            ("actor", Slot::Person, true),
            ("body", Slot::Value, true),
        ],
    ),
    ("check", &CHECK_FIELDS),
    ("who_can", CHECK_FIELDS.split_at(1).1),
    ("what_can", &[("user", Slot::Person, true)]),
    ("what_if", &[("changes", Slot::Value, true), ("users", Slot::Users, false)]),
];

/// The fields of one op, read by one function from its table in [`OP_FIELDS`]; what the op does
/// not take stays empty.
#[derive(Debug, Default)]
struct Args {
    /// `actor` (check, command) or `user` (what_can).
    person: Option<Id>,
    device: Option<Id>,
    /// `users` (what_if).
    users: Option<Vec<Id>>,
    /// `body` (report, command) or `changes` (what_if).
    value: Value,
    action: String,
    home: String,
    topic: Option<String>,
    command_type: String,
    report_type: Option<String>,
}

impl Args {
    /// Reads the fields `spec` lists, strictly (`bad_request` errors about "op `op`").
    fn read(op: &str, fields: Fields, spec: &[FieldSpec]) -> Result<Args, WireError> {
        let mut r = Reader::request(format!("op `{op}`"), fields);
        let mut args = Args::default();
        for &(key, slot, required) in spec {
            let v = match r.take(key) {
                None if required => return Err(r.error(format!("missing field `{key}`"))),
                None => continue,
                Some(Value::Null) if !required => continue,
                Some(v) => v,
            };
            let read = match slot {
                Slot::Person | Slot::Device => Id::read(v).map(|id| {
                    *if slot == Slot::Person { &mut args.person } else { &mut args.device } = Some(id);
                }),
                Slot::Users => ids(v).map(|l| args.users = Some(l)),
                Slot::Value => {
                    args.value = v;
                    Ok(())
                }
                _ => read::string(v).map(|text| match slot {
                    Slot::Action => args.action = text,
                    Slot::Home => args.home = text,
                    Slot::Topic => args.topic = Some(text),
                    Slot::CommandType => args.command_type = text,
                    _ => args.report_type = Some(text),
                }),
            };
            read.map_err(|m| r.field_error(key, m))?;
        }
        r.finish()?;
        Ok(args)
    }
}

fn no_fields(op: &str, fields: &Fields) -> Result<(), WireError> {
    match fields.keys().next() {
        None => Ok(()),
        Some(k) => Err(WireError::bad_request(format!("unknown field `{}` for op `{op}`", truncate(k, 64)))),
    }
}

// ---------------------------------------------------------------------------------------------
// `report`: reading a report body (the seed's example answers `"ok"`, its list says `OK`)

fn read_report(req: Args) -> Result<Value, WireError> {
    let result = req
        .value
        .as_object()
        .and_then(|b| b.get("result"))
        .and_then(Value::as_str)
        .ok_or_else(|| WireError::bad_request("`body.result` must be a string"))?;
    let trimmed = result.trim();
    let success = if trimmed.eq_ignore_ascii_case("ok") {
        true
    } else if trimmed.eq_ignore_ascii_case("error") {
        false
    } else {
        return Err(WireError::bad_request(format!(
            "`body.result` is `{}`; expected `OK` or `Error` (any case)",
            truncate(result, 64)
        )));
    };
    Ok(object_of(&mut [
        ("report_type", req.report_type.into()),
        ("topic", req.topic.into()),
        ("result", if success { "OK" } else { "Error" }.into()),
        ("success", success.into()),
    ]))
}

// ---------------------------------------------------------------------------------------------
// `command`: add_user / updt_user / del_user on `<home_id>/users`

/// Why a command was refused: its reason code.
type Refusal = &'static str;

impl HomeEngine {
    fn command(&self, req: Args) -> Value {
        let (reason, change) = match self.run_command(&req) {
            Ok(change) => (None, change),
            Err(reason) => (Some(reason), None),
        };
        let mut list = Vec::new();
        if let Some(c) = change {
            list.push(c.to_json());
        }
        let result = if reason.is_none() { "OK" } else { "Error" };
        object_of(&mut [
            ("report_type", req.command_type.into()),
            ("topic", req.topic.into()),
            ("body", object_of(&mut [("result", result.into())])),
            ("reason", reason.into()),
            ("changes", Value::Array(list)),
        ])
    }

    /// The change a command makes (none when it changes nothing), or why it is refused.
    fn run_command(&self, req: &Args) -> Result<Option<Change>, Refusal> {
        let home_id = parse_topic(req.topic.as_deref().unwrap_or_default()).ok_or("bad_topic")?;
        let home = self.state.home(home_id).ok_or("no_such_home")?;
        let kind = match req.command_type.as_str() {
            "add_user" => CommandKind::Add,
            "updt_user" => CommandKind::Update,
            "del_user" => CommandKind::Delete,
            _ => return Err("unknown_command"),
        };
        let actor = req.person.as_ref().and_then(|id| home.user(id)).ok_or("not_home_member")?;
        if !self.policy.role_holds(&actor.role, P_MANAGE_USERS) {
            return Err("insufficient_role");
        }
        let body = parse_body(&self.policy, kind, &req.value)?;
        let existing = home.user(&body.user_id);
        let home = home.id.clone();
        match kind {
            CommandKind::Add => {
                if existing.is_some() {
                    return Err("duplicate_user");
                }
                let (Some(email), Some(user_name), Some(role)) = (body.email, body.user_name, body.role)
                else {
                    // parse_body requires all three for add_user.
                    return Err("bad_body");
                };
                let user = User { user_id: body.user_id, email, user_name, role: role.to_string() };
                Ok(Some(Change { kind: 0, home, row: Row::User(user) }))
            }
            CommandKind::Update => {
                let old = existing.ok_or("no_such_user")?;
                let new = User {
                    user_id: old.user_id.clone(),
                    email: body.email.unwrap_or_else(|| old.email.clone()),
                    user_name: body.user_name.unwrap_or_else(|| old.user_name.clone()),
                    role: body.role.map_or_else(|| old.role.clone(), str::to_string),
                };
                if self.removes_last_manager(&home, old, Some(&new.role)) {
                    return Err("last_administrator");
                }
                if new == *old {
                    return Ok(None);
                }
                Ok(Some(Change { kind: 1, home, row: Row::User(new) }))
            }
            CommandKind::Delete => {
                let old = existing.ok_or("no_such_user")?;
                if self.removes_last_manager(&home, old, None) {
                    return Err("last_administrator");
                }
                Ok(Some(Change { kind: 2, home, row: Row::Id(old.user_id.clone()) }))
            }
        }
    }

    /// Whether giving `target` the role `new_role` (`None`: removing it) would leave the home
    /// without anyone holding the user-management permission while it has one now.
    fn removes_last_manager(&self, home: &str, target: &User, new_role: Option<&str>) -> bool {
        let p = P_MANAGE_USERS;
        if !self.policy.role_holds(&target.role, p) || new_role.is_some_and(|r| self.policy.role_holds(r, p))
        {
            return false;
        }
        let Some(home) = self.state.home(home) else {
            return false;
        };
        !home.users.iter().any(|u| u.user_id != target.user_id && self.policy.role_holds(&u.role, p))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CommandKind {
    Add,
    Update,
    Delete,
}

/// The home id of a topic `<home_id>/users` (one MQTT level, no wildcards).
fn parse_topic(topic: &str) -> Option<&str> {
    let home = topic.strip_suffix("/users")?;
    let valid = !home.is_empty() && !home.bytes().any(|b| matches!(b, b'/' | b'+' | b'#'));
    valid.then_some(home)
}

#[derive(Debug)]
struct Body {
    user_id: Id,
    email: Option<String>,
    user_name: Option<String>,
    role: Option<&'static str>,
}

/// Reads a command body: add_user needs every field, updt_user the id and any of the others,
/// del_user only the id. Fields are checked in the seed's order.
fn parse_body(policy: &Policy, kind: CommandKind, body: &Value) -> Result<Body, Refusal> {
    let body = body.as_object().ok_or("bad_body")?;
    let allowed: &[&str] = match kind {
        CommandKind::Add | CommandKind::Update => &["user_id", "email", "user_name", "role"],
        CommandKind::Delete => &["user_id"],
    };
    if body.keys().any(|k| !allowed.contains(&k.as_str())) {
        return Err("bad_body");
    }
    let required = kind == CommandKind::Add;
    let user_id = match body.get("user_id") {
        None | Some(Value::Null) => return Err("missing_user_id"),
        Some(v) => Id::from_value(v).ok_or("bad_user_id")?,
    };
    let email = text_field(body, "email", required, "missing_email", "bad_email")?;
    if email.is_some_and(|s| !valid_email(s)) {
        return Err("bad_email");
    }
    let user_name = text_field(body, "user_name", required, "missing_user_name", "bad_user_name")?;
    if user_name.is_some_and(|s| s.trim().is_empty() || s.chars().count() > MAX_USER_NAME) {
        return Err("bad_user_name");
    }
    let role = match text_field(body, "role", required, "missing_role", "unknown_role")? {
        None => None,
        Some(s) => Some(policy.parse_role(s).ok_or("unknown_role")?),
    };
    Ok(Body { user_id, email: email.map(str::to_string), user_name: user_name.map(str::to_string), role })
}

/// Field `key` of a command body, a string: `None` when absent or null (refused with `missing`
/// when `required`), refused with `bad` when not a string.
fn text_field<'a>(
    body: &'a Map<String, Value>,
    key: &str,
    required: bool,
    missing: Refusal,
    bad: Refusal,
) -> Result<Option<&'a str>, Refusal> {
    match body.get(key) {
        None | Some(Value::Null) if required => Err(missing),
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_str().map(Some).ok_or(bad),
    }
}

/// A plain address check: one `@`, a local part of printable ASCII in non-empty dot-separated
/// pieces, a domain of at least two dot-separated labels of letters, digits and inner hyphens.
fn valid_email(s: &str) -> bool {
    if s.len() > MAX_EMAIL {
        return false;
    }
    let Some(at) = s.bytes().position(|b| b == b'@') else {
        return false;
    };
    let (local, domain) = (&s[..at], &s[at + 1..]);
    let local_ok = local.len() <= 64 && labels(local, |l| l.iter().all(|b| b.is_ascii_graphic())).is_some();
    let domain_labels = labels(domain, |l| {
        l.len() <= 63
            && l.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-')
            && l.first() != Some(&b'-')
            && l.last() != Some(&b'-')
    });
    local_ok && domain_labels.is_some_and(|n| n >= 2)
}

/// The number of `.`-separated labels of `s` when every one is non-empty and passes `ok`.
fn labels(s: &str, ok: fn(&[u8]) -> bool) -> Option<usize> {
    let mut n = 0;
    for label in s.as_bytes().split(|b| *b == b'.') {
        if label.is_empty() || !ok(label) {
            return None;
        }
        n += 1;
    }
    Some(n)
}

// ---------------------------------------------------------------------------------------------
// Checks and reverse questions

/// One thing one person can do: `(action, home, device)`, borrowed from the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Cap<'a> {
    action: &'static str,
    home: &'a str,
    device: Option<&'a Id>,
}

impl Cap<'_> {
    fn to_json(self) -> Value {
        let mut cap = object_of(&mut [("action", self.action.into()), ("home", self.home.into())]);
        if let (Some(d), Value::Object(m)) = (self.device, &mut cap) {
            m.put("device", d.to_value());
        }
        cap
    }
}

/// Everything each person can do, across homes (only `only`'s when given): `(person, cap)`
/// pairs sorted by person, then capability. Each time the state lists a person, a pair without
/// capability comes first: they keep a person who can do nothing, and the stable sort puts the
/// form of the id the state lists first at the head of the person's run.
fn capabilities<'a>(policy: &Policy, state: &'a State, only: Option<&Id>) -> Vec<(&'a Id, Option<Cap<'a>>)> {
    let mut out = Vec::new();
    for home in &state.homes {
        for u in &home.users {
            if only.is_some_and(|id| *id != u.user_id) {
                continue;
            }
            out.push((&u.user_id, None));
            if policy.role_holds(&u.role, P_MANAGE_USERS) {
                out.push((
                    &u.user_id,
                    Some(Cap { action: ACTION_USERS_MANAGE, home: &home.id, device: None }),
                ));
            }
            for d in &home.devices {
                if policy.role_holds(&u.role, Policy::device_permission(d.class)) {
                    let cap = Cap { action: ACTION_DEVICE_CONTROL, home: &home.id, device: Some(&d.id) };
                    out.push((&u.user_id, Some(cap)));
                }
            }
        }
    }
    out.sort();
    out
}

/// The length of the run of pairs about person `id` at the head of `pairs`.
fn run_of(pairs: &[(&Id, Option<Cap>)], id: &Id) -> usize {
    pairs.iter().take_while(|(p, _)| *p == id).count()
}

/// The capabilities of `run` (one person's pairs) that `other` (the same person's) lacks, as JSON.
fn caps_missing(run: &[(&Id, Option<Cap>)], other: &[(&Id, Option<Cap>)]) -> Vec<Value> {
    let mut out = Vec::new();
    for (_, cap) in run {
        if let Some(c) = cap
            && other.binary_search_by(|(_, o)| o.cmp(cap)).is_err()
        {
            out.push(c.to_json());
        }
    }
    out
}

/// The action a request names, with its device when it needs one.
fn parse_action(action: &str, device: Option<&Id>) -> Result<&'static str, WireError> {
    match (action, device) {
        (ACTION_USERS_MANAGE, None) => Ok(ACTION_USERS_MANAGE),
        (ACTION_USERS_MANAGE, Some(_)) => {
            Err(WireError::bad_request(format!("action `{ACTION_USERS_MANAGE}` takes no `device`")))
        }
        (ACTION_DEVICE_CONTROL, Some(_)) => Ok(ACTION_DEVICE_CONTROL),
        (ACTION_DEVICE_CONTROL, None) => {
            Err(WireError::bad_request(format!("action `{ACTION_DEVICE_CONTROL}` needs `device`")))
        }
        (other, _) => Err(WireError::bad_request(format!(
            "unknown action `{}`; expected `{ACTION_USERS_MANAGE}` or `{ACTION_DEVICE_CONTROL}`",
            truncate(other, 64)
        ))),
    }
}

/// A fact of a decision's chain: `{"fact": kind, kind: subject, key: value}`.
fn fact(kind: &'static str, subject: Value, key: &'static str, value: Value) -> Value {
    object_of(&mut [("fact", kind.into()), (kind, subject), (key, value)])
}

impl HomeEngine {
    /// A Decision (core/WIRE.md) and whether it allows.
    fn decide(
        &self,
        actor: &Id,
        action: &str,
        home_id: &str,
        device: Option<&Id>,
    ) -> Result<(Value, bool), WireError> {
        let action = parse_action(action, device)?;
        let mut chain = Vec::new();
        let held = self.facts(actor, action, home_id, device, &mut chain);
        let allowed = held == Ok(true);
        let (status, reason) = match held {
            Ok(true) => ("ok", "role_permits"),
            Ok(false) => ("forbidden", "insufficient_role"),
            Err(missing) => ("not_found", missing),
        };
        let decision = object_of(&mut [
            ("allowed", allowed.into()),
            ("status", status.into()),
            ("reason", reason.into()),
            ("chain", Value::Array(chain)),
        ]);
        Ok((decision, allowed))
    }

    /// The facts a decision rests on, pushed to `chain`: whether the role holds the permission,
    /// or the reason code of what is not there.
    fn facts(
        &self,
        actor: &Id,
        action: &str,
        home_id: &str,
        device: Option<&Id>,
        chain: &mut Vec<Value>,
    ) -> Result<bool, Refusal> {
        let home = self.state.home(home_id);
        chain.push(fact("home", home_id.into(), "exists", home.is_some().into()));
        let home = home.ok_or("no_such_home")?;
        let user = home.user(actor);
        let role = user.map(|u| u.role.as_str());
        chain.push(fact("user", user.map_or(actor, |u| &u.user_id).to_value(), "role", role.into()));
        let user = user.ok_or("not_home_member")?;
        let permission = match (action, device) {
            (ACTION_DEVICE_CONTROL, Some(id)) => {
                let device = home.devices.iter().find(|d| d.id == *id);
                let class = device.map(|d| d.class.as_str());
                chain.push(fact("device", device.map_or(id, |d| &d.id).to_value(), "class", class.into()));
                Policy::device_permission(device.ok_or("no_such_device")?.class)
            }
            _ => P_MANAGE_USERS,
        };
        let held = self.policy.role_holds(&user.role, permission);
        chain.push(object_of(&mut [
            ("fact", "rule".into()),
            ("rule", "role_permissions".into()),
            ("permission", self.policy.catalog.code(permission).into()),
            ("held", held.into()),
        ]));
        Ok(held)
    }

    fn who_can(&self, req: &Args) -> Result<Value, WireError> {
        parse_action(&req.action, req.device.as_ref())?;
        let mut users: Vec<Id> = Vec::new();
        if let Some(home) = self.state.home(&req.home) {
            for u in &home.users {
                if self.decide(&u.user_id, &req.action, &req.home, req.device.as_ref())?.1 {
                    users.push(u.user_id.clone());
                }
            }
        }
        users.sort();
        let mut list = Vec::with_capacity(users.len());
        for id in &users {
            list.push(id.to_value());
        }
        Ok(object_of(&mut [("everyone", false.into()), ("users", Value::Array(list))]))
    }

    fn what_can(&self, user: &Id) -> Value {
        let mut roles = Vec::new();
        for h in &self.state.homes {
            if let Some(u) = h.user(user) {
                roles
                    .push(object_of(&mut [("home", h.id.as_str().into()), ("role", u.role.as_str().into())]));
            }
        }
        let run = capabilities(&self.policy, &self.state, Some(user));
        let caps = caps_missing(&run, &[]);
        object_of(&mut [
            ("user", user.to_value()),
            ("roles", Value::Array(roles)),
            ("capabilities", Value::Array(caps)),
        ])
    }

    fn what_if(&self, req: Args) -> Result<Value, WireError> {
        let after = applied(self.state.clone(), &self.policy, req.value)?;
        let before = capabilities(&self.policy, &self.state, None);
        let after = capabilities(&self.policy, &after, None);
        let (mut b, mut a) = (&before[..], &after[..]);
        let mut diff = Vec::new();
        // People in id order, each named by the form the state after lists first, else the one
        // the state before lists first.
        while let Some(&(id, _)) = match (b.first(), a.first()) {
            (Some(x), Some(y)) if x.0 < y.0 => Some(x),
            (_, Some(y)) => Some(y),
            (x, None) => x,
        } {
            let (run_b, rest_b) = b.split_at(run_of(b, id));
            let (run_a, rest_a) = a.split_at(run_of(a, id));
            (b, a) = (rest_b, rest_a);
            if let Some(only) = &req.users
                && !only.contains(id)
            {
                continue;
            }
            let gains = caps_missing(run_a, run_b);
            let loses = caps_missing(run_b, run_a);
            if !gains.is_empty() || !loses.is_empty() {
                diff.push(object_of(&mut [
                    ("user", id.to_value()),
                    ("gains", Value::Array(gains)),
                    ("loses", Value::Array(loses)),
                ]));
            }
        }
        Ok(object_of(&mut [("diff", Value::Array(diff))]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::json;

    fn call(req: Value) -> Value {
        serde_json::from_str::<Value>(&crate::call(&req.to_string())).unwrap()
    }

    #[test]
    fn the_matrix_is_policy_data() {
        let p = Policy::new().unwrap();
        let holds = |role: &str| -> Vec<&str> {
            let i = p.roles.index(role).unwrap();
            p.catalog.codes(p.roles.permissions(i))
        };
        assert_eq!(holds("administrator"), vec![MANAGE_USERS, CONTROL_SECURITY, CONTROL_UTILITY]);
        assert_eq!(holds("family_member"), vec![CONTROL_SECURITY, CONTROL_UTILITY]);
        assert_eq!(holds("guest"), vec![CONTROL_UTILITY]);
        for (id, code) in [
            (P_MANAGE_USERS, MANAGE_USERS),
            (P_CONTROL_SECURITY, CONTROL_SECURITY),
            (P_CONTROL_UTILITY, CONTROL_UTILITY),
        ] {
            assert_eq!(p.catalog.id(code), Some(id), "{code}");
        }
    }

    #[test]
    fn role_names_and_aliases() {
        let p = Policy::new().unwrap();
        for (text, code) in [
            ("administrator", Some("administrator")),
            ("Administrator", Some("administrator")),
            ("family_member", Some("family_member")),
            ("Family member", Some("family_member")),
            (" family-member ", Some("family_member")),
            ("adult", Some("family_member")),
            ("ADULT", Some("family_member")),
            ("guest", Some("guest")),
            ("admin", None),
            ("child", None),
            ("", None),
        ] {
            assert_eq!(p.parse_role(text), code, "{text}");
        }
    }

    #[test]
    fn email_rules() {
        for ok in ["john.doe@mail.com", "a@b.co", "x+tag@sub.example.org"] {
            assert!(valid_email(ok), "{ok}");
        }
        for bad in [
            "",
            "john",
            "@mail.com",
            "john@",
            "john@mail",
            "jo hn@mail.com",
            "a@b@c.com",
            "a@-b.com",
            "a@b..com",
            ".a@b.com",
        ] {
            assert!(!valid_email(bad), "{bad}");
        }
        assert!(!valid_email(&format!("{}@b.com", "a".repeat(65))));
    }

    #[test]
    fn ids_compare_by_digits_then_text() {
        let mut ids =
            [Id::Text("b".into()), Id::Num(10), Id::Text("9".into()), Id::Text("a".into()), Id::Num(100)];
        ids.sort();
        let keys: Vec<String> = ids.iter().map(|id| id.text(&mut [0; 20]).to_string()).collect();
        assert_eq!(keys, vec!["9", "10", "100", "a", "b"]);
        assert_eq!(Id::Num(7), Id::Text("7".into()));
        assert_ne!(Id::Num(7), Id::Text("07".into()));
        assert!(Id::from_value(&json!(-1)).is_none());
        assert!(Id::from_value(&json!(1.5)).is_none());
        assert!(Id::from_value(&json!("")).is_none());
        assert!(Id::from_value(&json!(null)).is_none());
    }

    #[test]
    fn topics() {
        assert_eq!(parse_topic("home1/users"), Some("home1"));
        assert_eq!(parse_topic("/users"), None);
        assert_eq!(parse_topic("a/b/users"), None);
        assert_eq!(parse_topic("home1/users/x"), None);
        assert_eq!(parse_topic("+/users"), None);
        assert_eq!(parse_topic("home1"), None);
    }

    #[test]
    fn state_is_strict() {
        let bad = [
            json!({"homes": [{"id": "h", "users": [], "extra": 1}]}),
            json!({"homes": [{"id": "h"}, {"id": "h"}]}),
            json!({"homes": [{"id": "h", "users": [
                {"user_id": 1, "email": "a@b.co", "user_name": "A", "role": "administrator"},
                {"user_id": "1", "email": "c@b.co", "user_name": "C", "role": "guest"}]}]}),
            json!({"homes": [{"id": "h", "users": [{"user_id": 1, "email": "a@b.co", "user_name": "A", "role": "adult"}]}]}),
            json!({"homes": [{"id": "h", "devices": [{"id": "d", "class": "kitchen"}]}]}),
            json!({"homes": [{"id": "h", "devices": [{"id": "d", "class": "utility"}, {"id": "d", "class": "security"}]}]}),
            json!({"homes": [{"id": ""}]}),
        ];
        for state in bad {
            let a = call(json!({"v": 1, "op": "what_can", "profile": "home", "user": 1, "state": state}));
            assert_eq!(a["error"]["code"], "invalid_state", "{state}: {a}");
        }
    }

    #[test]
    fn hostile_input_is_an_error_answer() {
        let state = json!({"homes": [{"id": "h", "users": [{"user_id": 1, "email": "a@b.co", "user_name": "A", "role": "administrator"}]}]});
        for (op, extra) in [
            ("command", json!({"topic": 5, "command_type": "add_user", "actor": 1, "body": {}})),
            ("command", json!({"topic": "h/users", "command_type": "add_user", "actor": -3, "body": {}})),
            ("command", json!({"topic": "h/users", "command_type": "add_user", "actor": 1})),
            ("check", json!({"actor": 1, "action": "device.control", "home": "h"})),
            ("check", json!({"actor": 1, "action": "fly", "home": "h"})),
            ("what_if", json!({"changes": {"kind": "delete_user"}})),
            ("what_if", json!({"changes": [{"kind": "delete_user", "home": "h", "user_id": 9}]})),
            ("catalog", json!({"x": 1})),
            ("report", json!({"body": {"result": "maybe"}})),
        ] {
            let mut req = json!({"v": 1, "op": op, "profile": "home", "state": state.clone()});
            for (k, v) in extra.as_object().unwrap().iter() {
                req.as_object_mut().unwrap().insert(k.clone(), v.clone());
            }
            let a = call(req);
            assert_eq!(a["ok"], false, "{op} {extra}: {a}");
        }
    }

    #[test]
    fn stateless_ops_need_no_state() {
        let a = call(json!({"v": 1, "op": "catalog", "profile": "home"}));
        assert_eq!(a["result"]["roles"][2]["permissions"], json!([CONTROL_UTILITY]));
        let a = call(json!({"v": 1, "op": "report", "profile": "home", "body": {"result": "ok"}}));
        assert_eq!(a["result"]["result"], "OK");
        let a = call(
            json!({"v": 1, "op": "check", "profile": "home", "actor": 1, "action": "users.manage", "home": "h"}),
        );
        assert_eq!(a["error"]["code"], "missing_state");
    }

    /// The error an answer holds, as (code, message).
    fn error_of(a: &Value) -> (String, String) {
        let text = |v: &Value| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
        (text(&a["error"]["code"]), text(&a["error"]["message"]))
    }

    fn bad_request(message: &str) -> (String, String) {
        ("bad_request".to_string(), message.to_string())
    }

    fn invalid_state(message: &str) -> (String, String) {
        ("invalid_state".to_string(), message.to_string())
    }

    fn one_home() -> Value {
        json!({"homes": [{"id": "h",
            "users": [{"user_id": 1, "email": "a@b.co", "user_name": "A", "role": "administrator"}],
            "devices": [{"id": "tv", "class": "utility"}]}]})
    }

    /// Answers `op` with `fields` on `state`.
    fn ask(op: &str, fields: Value, state: Value) -> Value {
        let mut req = fields;
        let m = req.as_object_mut().unwrap();
        m.insert("v".into(), json!(1));
        m.insert("op".into(), Value::from(op));
        m.insert("profile".into(), json!("home"));
        m.insert("state".into(), state);
        call(req)
    }

    #[test]
    fn ops_refuse_unknown_fields() {
        for (op, fields) in [
            ("check", json!({"actor": 1, "action": "users.manage", "home": "h", "colour": 1})),
            ("who_can", json!({"action": "users.manage", "home": "h", "colour": 1})),
            ("what_can", json!({"user": 1, "colour": 1})),
            ("what_if", json!({"changes": [], "colour": 1})),
            (
                "command",
                json!({"topic": "h/users", "command_type": "del_user", "actor": 1, "body": {}, "colour": 1}),
            ),
            ("report", json!({"body": {"result": "ok"}, "colour": 1})),
        ] {
            let a = ask(op, fields, one_home());
            assert_eq!(error_of(&a), bad_request(&format!("op `{op}`: unknown field `colour`")));
        }
    }

    #[test]
    fn ops_name_missing_and_bad_fields() {
        let a = ask("check", json!({"actor": 1, "action": "users.manage"}), one_home());
        assert_eq!(error_of(&a), bad_request("op `check`: missing field `home`"));
        let a =
            ask("command", json!({"topic": "h/users", "command_type": "add_user", "body": {}}), one_home());
        assert_eq!(error_of(&a), bad_request("op `command`: missing field `actor`"));
        let a = ask("report", json!({"topic": "h/users"}), one_home());
        assert_eq!(error_of(&a), bad_request("op `report`: missing field `body`"));
        let a = ask("what_if", json!({"users": [1]}), one_home());
        assert_eq!(error_of(&a), bad_request("op `what_if`: missing field `changes`"));
        let a = ask("what_can", json!({"user": -3}), one_home());
        let (code, message) = error_of(&a);
        assert_eq!(code, "bad_request");
        assert!(message.starts_with("op `what_can`: field `user`: "), "{message}");
        let a = ask("what_if", json!({"changes": [], "users": [1, true]}), one_home());
        let (code, message) = error_of(&a);
        assert_eq!(code, "bad_request");
        assert!(message.starts_with("op `what_if`: field `users`: [1]: "), "{message}");
        let a = ask("what_if", json!({"changes": null}), one_home());
        assert_eq!(error_of(&a), bad_request("`changes` must be an array"));
        // Optional fields may be null, as before.
        let a = ask(
            "check",
            json!({"actor": 1, "action": "users.manage", "home": "h", "device": null}),
            one_home(),
        );
        assert_eq!(a["result"]["allowed"], true, "{a}");
        let a = ask(
            "report",
            json!({"report_type": null, "topic": null, "body": {"result": "Error"}}),
            one_home(),
        );
        assert_eq!(
            a["result"],
            json!({"report_type": null, "topic": null, "result": "Error", "success": false})
        );
    }

    #[test]
    fn state_rows_are_read_strictly() {
        let with_user = |user: Value| json!({"homes": [{"id": "h", "users": [user]}]});
        let a = ask(
            "what_can",
            json!({"user": 1}),
            with_user(json!({"user_id": 1, "email": "a@b.co", "user_name": "A", "role": "guest", "age": 3})),
        );
        assert_eq!(error_of(&a), invalid_state("state: homes[0]: users[0]: unknown field `age`"));
        let a = ask(
            "what_can",
            json!({"user": 1}),
            with_user(json!({"user_id": 1, "user_name": "A", "role": "guest"})),
        );
        assert_eq!(error_of(&a), invalid_state("state: homes[0]: users[0]: missing field `email`"));
        let a = ask(
            "what_can",
            json!({"user": 1}),
            json!({"homes": [{"id": "h", "devices": [{"id": "d", "class": "kitchen"}]}]}),
        );
        assert_eq!(
            error_of(&a),
            invalid_state(
                "state: homes[0]: devices[0]: field `class`: unknown variant `kitchen`, expected `security` or `utility`"
            )
        );
        let a = ask("what_can", json!({"user": 1}), json!({"homes": [], "owners": []}));
        assert_eq!(error_of(&a), invalid_state("state: unknown field `owners`"));
        // Absent lists and names default; null ones are refused, as the derives did.
        let a = ask("what_can", json!({"user": 1}), json!({}));
        assert_eq!(a["ok"], true, "{a}");
        for state in [
            json!({"homes": null}),
            json!({"homes": [{"id": "h", "users": null}]}),
            json!({"homes": [{"id": "h", "devices": [{"id": "d", "class": "utility", "name": null}]}]}),
        ] {
            let a = ask("what_can", json!({"user": 1}), state.clone());
            assert_eq!(a["error"]["code"], "invalid_state", "{state}: {a}");
        }
    }

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
                "`changes`[0]: device: unknown field `size`",
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

    #[test]
    fn what_if_names_each_person_by_the_form_the_states_hold() {
        let admin =
            |id: Value| json!({"user_id": id, "email": "a@b.co", "user_name": "A", "role": "administrator"});
        let guest = |id: Value| json!({"user_id": id, "email": "g@b.co", "user_name": "G", "role": "guest"});
        // In both states: the form the state after holds first.
        let state = json!({"homes": [{"id": "h", "users": [admin(json!(1))]}, {"id": "h2"}]});
        let changes = json!([
            {"kind": "delete_user", "home": "h", "user_id": 1},
            {"kind": "insert_user", "home": "h2", "user": admin(json!("1"))},
        ]);
        let a = ask("what_if", json!({"changes": changes}), state);
        assert_eq!(
            a["result"].to_string(),
            r#"{"diff":[{"user":"1","gains":[{"action":"users.manage","home":"h2"}],"loses":[{"action":"users.manage","home":"h"}]}]}"#
        );
        // Only before: the form the state before holds first, a home without capabilities included.
        let state = json!({"homes": [
            {"id": "h1", "users": [guest(json!("01")), guest(json!(1))]},
            {"id": "h2", "users": [admin(json!("1")), admin(json!(2))], "devices": [{"id": 3, "class": "security"}]},
        ]});
        let changes = json!([
            {"kind": "delete_user", "home": "h1", "user_id": 1},
            {"kind": "delete_user", "home": "h2", "user_id": 1},
        ]);
        let a = ask("what_if", json!({"changes": changes, "users": [2, "1", 7]}), state.clone());
        assert_eq!(
            a["result"].to_string(),
            r#"{"diff":[{"user":1,"gains":[],"loses":[{"action":"device.control","home":"h2","device":3},{"action":"users.manage","home":"h2"}]}]}"#
        );
        let a = ask("what_can", json!({"user": "1"}), state);
        assert_eq!(
            a["result"].to_string(),
            r#"{"user":"1","roles":[{"home":"h1","role":"guest"},{"home":"h2","role":"administrator"}],"capabilities":[{"action":"device.control","home":"h2","device":3},{"action":"users.manage","home":"h2"}]}"#
        );
    }

    #[test]
    fn the_first_repeat_in_reading_order_is_named() {
        let user =
            |id: Value, role: &str| json!({"user_id": id, "email": "a@b.co", "user_name": "A", "role": role});
        let state = json!({"homes": [
            {"id": "b", "users": [user(json!(5), "guest"), user(json!(3), "guest"), user(json!("3"), "guest"), user(json!(5), "guest")]},
            {"id": "a"}, {"id": "b"},
        ]});
        let a = ask("what_can", json!({"user": 1}), state);
        assert_eq!(error_of(&a), invalid_state("user `3` is listed twice in home `b`"));
        let state = json!({"homes": [
            {"id": "a", "users": [user(json!(5), "admin"), user(json!(5), "guest")]},
        ]});
        let a = ask("what_can", json!({"user": 1}), state);
        let (_, message) = error_of(&a);
        assert!(message.starts_with("user `5` of home `a` has unknown role `admin`"), "{message}");
        let state = json!({"homes": [
            {"id": "a", "devices": [{"id": "x", "class": "utility"}, {"id": "y", "class": "utility"}, {"id": "y", "class": "utility"}, {"id": "x", "class": "utility"}]},
            {"id": "a"},
        ]});
        let a = ask("what_can", json!({"user": 1}), state);
        assert_eq!(error_of(&a), invalid_state("device `y` is listed twice in home `a`"));
        let state = json!({"homes": [{"id": "c"}, {"id": "a"}, {"id": "c"}, {"id": "a"}]});
        let a = ask("what_can", json!({"user": 1}), state);
        assert_eq!(error_of(&a), invalid_state("home `c` is listed twice"));
    }
}
