//! Profile `buildings` (seed 002): user groups holding permission sets, with ordered tiers
//! (customer ⊂ partner ⊂ gooee), object-level grants on customers and buildings, implied view of
//! parent objects, and the delegation rule.
//!
//! Everything seed-specific is data here (the permission sets, the tiers, the object types and
//! which permission sets name which objects); the rules are the policy mechanism's. The HTTP
//! interface of the seed is the `http` op. State, ops, changes, status codes, reason codes and
//! every decision taken on the seed's gaps are documented in `core/PROFILES.md`.

use std::borrow::Cow;
use std::cmp::Ordering;

use crate::error::{ErrorCode, WireError};
use crate::policy::{
    Catalog, Denial, Grant, Holding, ObjectFacts, ObjectModel, ObjectTypeDef, ObjectTypeId, ObjectTypes,
    Objects, PermId, PermissionDef, PermissionObjectType, Reach, TierDef, Tiers,
};
use crate::profiles::{Fields, unknown_op, version_op};
use crate::profiles::{Profile, ProfileEngine};
use crate::read::{Reader, any, string, strings};
use crate::util::truncate;
use crate::util::{owned, owned_all};
use crate::value::{Map, ToJson, Value, object_of};

// ---------------------------------------------------------------------------------------------
// The seed's tables as policy data

/// (code, name, description, dependencies), in the seed's order.
const PERMISSION_SETS: [(&str, &str, &str, &[&str]); 13] = [
    (
        "manage_partners",
        "Manage Partners",
        "Create, edit and delete Partners",
        &["edit_partners", "manage_partner_users"],
    ),
    ("edit_partners", "Edit Partners", "Edit Partners that already exist", &[]),
    (
        "manage_partner_users",
        "Manage Partner Users",
        "Create, edit, and delete Users in a Partner company",
        &[],
    ),
    (
        "manage_customers",
        "Manage Customers",
        "Create, edit, and delete Customers",
        &["edit_customers", "manage_customer_users", "manage_buildings"],
    ),
    ("edit_customers", "Edit Customers", "Edit Customers that already exist", &["view_customers"]),
    (
        "manage_customer_users",
        "Manage Customer Users",
        "Create, edit, and delete Users in a Customer company",
        &["view_customers"],
    ),
    (
        "manage_buildings",
        "Manage Buildings",
        "Create, edit and delete Buildings and their resources",
        &["manage_gateways", "control_fixtures", "view_buildings"],
    ),
    ("control_fixtures", "Control Fixtures", "Control lighting fixtures", &["view_buildings"]),
    ("manage_gateways", "Manage Gateways", "Create Actions for Gateways", &["control_fixtures"]),
    ("access_partner_analytics", "Access Partner Analytics", "View partner analytics", &[]),
    (
        "access_customer_analytics",
        "Access Customer Analytics",
        "View customer analytics",
        &["view_customers"],
    ),
    (
        "view_buildings",
        "View Buildings",
        "View access to buildings and all the entities in the buildings",
        &["view_customers"],
    ),
    ("view_customers", "View Customers", "View access to customers", &[]),
];

/// The seed's tier table: what each tier adds, lowest first, each column in the seed's order.
const TIERS: [(&str, &[&str]); 3] = [
    (
        "customer",
        &[
            "edit_customers",
            "manage_customer_users",
            "manage_buildings",
            "control_fixtures",
            "manage_gateways",
            "access_customer_analytics",
            "view_buildings",
            "view_customers",
        ],
    ),
    ("partner", &["edit_partners", "manage_partner_users", "manage_customers", "access_partner_analytics"]),
    ("gooee", &["manage_partners"]),
];

/// Object types: a building belongs to a customer, a customer to a partner.
const OBJECT_TYPES: [(&str, Option<&str>); 3] =
    [("partner", None), ("customer", Some("partner")), ("building", Some("customer"))];
const PARTNER: ObjectTypeId = 0;
const CUSTOMER: ObjectTypeId = 1;
const BUILDING: ObjectTypeId = 2;

/// The permission sets whose lists name objects (the seed's "Complex Constraints").
const OBJECT_LEVEL: [(&str, &str); 8] = [
    ("manage_buildings", "building"),
    ("view_buildings", "building"),
    ("control_fixtures", "building"),
    ("manage_gateways", "building"),
    ("view_customers", "customer"),
    ("manage_customers", "customer"),
    ("edit_customers", "customer"),
    ("manage_customer_users", "customer"),
];

/// Permission sets that govern user groups: a group of a customer is managed with
/// `manage_customer_users` on that customer, a group of a partner (or of gooee) with
/// `manage_partner_users` over that partner.
const MANAGE_CUSTOMER_GROUPS: &str = "manage_customer_users";
const MANAGE_PARTNER_GROUPS: &str = "manage_partner_users";
/// What lets a user see customers and buildings (partners are visible to every user).
const VIEW_CUSTOMERS: &str = "view_customers";
const VIEW_BUILDINGS: &str = "view_buildings";

const MAX_NAME: usize = 80;
const MAX_TAG: usize = 50;

const ACTION_GROUP_VIEW: &str = "user_group.view";
const ACTION_GROUP_CHANGE: &str = "user_group.change";

#[derive(Debug)]
struct Policy {
    catalog: Catalog,
    tiers: Tiers,
    model: ObjectModel,
    manage_customer_groups: PermId,
    manage_partner_groups: PermId,
    view_customers: PermId,
    view_buildings: PermId,
}

impl Policy {
    fn new() -> Result<Policy, WireError> {
        let mut defs = Vec::with_capacity(PERMISSION_SETS.len());
        for (code, name, description, deps) in PERMISSION_SETS {
            defs.push(PermissionDef {
                code: owned(code),
                name: owned(name),
                description: owned(description),
                dependencies: owned_all(deps),
            });
        }
        let catalog = Catalog::new(defs)?;
        let mut tier_defs = Vec::with_capacity(TIERS.len());
        for (code, perms) in TIERS {
            tier_defs.push(TierDef { code: owned(code), permissions: owned_all(perms) });
        }
        let tiers = Tiers::new(&catalog, &tier_defs)?;
        let mut type_defs = Vec::with_capacity(OBJECT_TYPES.len());
        for (code, parent) in OBJECT_TYPES {
            type_defs.push(ObjectTypeDef { code: owned(code), parent: parent.map(owned) });
        }
        let types = ObjectTypes::new(&type_defs)?;
        let mut bindings = Vec::with_capacity(OBJECT_LEVEL.len());
        for (p, t) in OBJECT_LEVEL {
            bindings.push(PermissionObjectType { permission: owned(p), object_type: owned(t) });
        }
        let model = ObjectModel::new(&catalog, types, &bindings)?;
        Ok(Policy {
            manage_customer_groups: catalog.require(MANAGE_CUSTOMER_GROUPS)?,
            manage_partner_groups: catalog.require(MANAGE_PARTNER_GROUPS)?,
            view_customers: catalog.require(VIEW_CUSTOMERS)?,
            view_buildings: catalog.require(VIEW_BUILDINGS)?,
            catalog,
            tiers,
            model,
        })
    }

    fn permission_sets_json(&self) -> Value {
        Value::Array(self.catalog.defs().iter().map(PermissionDef::to_json).collect())
    }

    fn catalog_json(&self) -> Value {
        let mut tiers = Vec::with_capacity(TIERS.len());
        for (i, (code, own)) in TIERS.iter().enumerate() {
            tiers.push(object_of(&mut [
                ("code", Value::from(*code)),
                ("includes", if i == 0 { Value::Null } else { Value::from(TIERS[i - 1].0) }),
                ("permission_sets", own.to_json()),
                ("available", self.catalog.codes(self.tiers.available(i)).to_json()),
            ]));
        }
        let mut object_types = Vec::with_capacity(OBJECT_TYPES.len());
        for (code, parent) in OBJECT_TYPES {
            let mut sets = Vec::new();
            for (p, t) in OBJECT_LEVEL {
                if t == code {
                    sets.push(Value::from(p));
                }
            }
            object_types.push(object_of(&mut [
                ("code", Value::from(code)),
                ("parent", opt_text(parent)),
                ("permission_sets", Value::Array(sets)),
            ]));
        }
        object_of(&mut [
            ("permission_sets", self.permission_sets_json()),
            ("tiers", Value::Array(tiers)),
            ("object_types", Value::Array(object_types)),
        ])
    }
}

/// `pre`, `id` (cut to 64 characters) between backticks, then `post`: the shape of most messages,
/// written by one formatting site.
#[inline(never)]
fn quoted(pre: &str, id: &str, post: &str) -> String {
    format!("{pre}`{}`{post}", truncate(id, 64))
}

/// A JSON array of strings.
#[inline(never)]
fn strings_json(list: &[String]) -> Value {
    let mut out = Vec::with_capacity(list.len());
    for s in list {
        out.push(Value::from(s.clone()));
    }
    Value::Array(out)
}

/// A JSON string, or null.
fn opt_text(s: Option<&str>) -> Value {
    s.map_or(Value::Null, Value::from)
}

/// A JSON array of `n` items, item `i` made by `item`.
fn list_json(n: usize, item: &dyn Fn(usize) -> Value) -> Value {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        out.push(item(i));
    }
    Value::Array(out)
}

// ---------------------------------------------------------------------------------------------
// State

/// A user group's (and a user's) type; its index is its tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Customer,
    Partner,
    Gooee,
}

impl Kind {
    fn tier(self) -> usize {
        match self {
            Kind::Customer => 0,
            Kind::Partner => 1,
            Kind::Gooee => 2,
        }
    }
    fn as_str(self) -> &'static str {
        match self {
            Kind::Customer => "customer",
            Kind::Partner => "partner",
            Kind::Gooee => "gooee",
        }
    }
    fn parse(s: &str) -> Option<Kind> {
        match s {
            "customer" => Some(Kind::Customer),
            "partner" => Some(Kind::Partner),
            "gooee" => Some(Kind::Gooee),
            _ => None,
        }
    }
}

/// The state of the profile. Reading it is strict: unknown fields are errors, and a field that
/// has a default may be absent but not null.
#[derive(Debug, Clone, Default)]
struct State {
    /// `partners`, `customers`, `buildings`: the rows of each object type, by type id.
    objects: [Vec<ObjectRow>; 3],
    users: Vec<UserRow>,
    user_groups: Vec<GroupRow>,
}

/// The state's lists of objects, by type id.
const OBJECT_LISTS: [&str; 3] = ["partners", "customers", "buildings"];

/// A partner, customer or building as stored.
#[derive(Debug, Clone)]
struct ObjectRow {
    id: String,
    name: String,
    /// The parent's id, in the field named after the parent's type (`partner` of a customer,
    /// `customer` of a building); empty for a partner.
    parent: String,
}

#[derive(Debug, Clone)]
struct UserRow {
    id: String,
    /// `type`
    kind: Kind,
    partner: Option<String>,
    customer: Option<String>,
    name: String,
}

/// A user group as stored and as the API shows it (the seed's data model).
#[derive(Debug, Clone, PartialEq)]
struct GroupRow {
    id: String,
    created: String,
    modified: String,
    name: String,
    description: String,
    /// `type`
    kind: Kind,
    users: Vec<String>,
    customer: Option<String>,
    partner: Option<String>,
    permission_sets: PermissionSets,
    customer_scopes: Vec<String>,
    partner_scopes: Vec<String>,
    tags: Vec<String>,
}

impl GroupRow {
    /// The company the group belongs to: its customer for a customer group, else its partner.
    fn company(&self) -> Option<&str> {
        company(self.kind, &self.customer, &self.partner)
    }
}

impl UserRow {
    /// The company the user belongs to: its customer for a customer user, else its partner.
    fn company(&self) -> Option<&str> {
        company(self.kind, &self.customer, &self.partner)
    }
}

/// The company of a group or user of type `kind`: `customer` for a customer, else `partner`.
fn company<'a>(kind: Kind, customer: &'a Option<String>, partner: &'a Option<String>) -> Option<&'a str> {
    match kind {
        Kind::Customer => customer.as_deref(),
        Kind::Partner | Kind::Gooee => partner.as_deref(),
    }
}

/// `permission_sets`: code → list of object ids, kept in the order given.
#[derive(Debug, Clone, Default, PartialEq)]
struct PermissionSets(Vec<(String, Vec<String>)>);

impl PermissionSets {
    fn to_json(&self) -> Value {
        let mut m = Map::with_capacity(self.0.len());
        for (code, list) in &self.0 {
            m.insert(code.clone(), strings_json(list));
        }
        Value::Object(m)
    }
}

/// Reads a `permission_sets` object: keys are codes, values lists of id strings.
fn read_permission_sets(v: &Value) -> Result<PermissionSets, String> {
    let Value::Object(m) = v else {
        return Err("`permission_sets` must be an object mapping permission set codes to lists of ids".into());
    };
    let mut out = Vec::with_capacity(m.len());
    for (code, list) in m {
        let ids = string_list(list)
            .ok_or_else(|| format!("`permission_sets.{}` must be a list of ids", truncate(code, 64)))?;
        out.push((code.clone(), ids));
    }
    Ok(PermissionSets(out))
}

fn string_list(v: &Value) -> Option<Vec<String>> {
    let items = v.as_array()?;
    let mut out = Vec::with_capacity(items.len());
    for x in items {
        out.push(x.as_str()?.to_string());
    }
    Some(out)
}

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

// ---------------------------------------------------------------------------------------------
// Reading and writing the state and the changes (by hand: derived deserialisers were most of the
// .wasm). Field order in JSON is the order of the struct fields.

/// Takes field `key` converted with `f`; `T::default()` when absent. Null is not absent: it is
/// converted like any value (and refused by converters that want a string, a list, an object).
fn or_default<T: Default>(
    r: &mut Reader,
    key: &str,
    f: impl FnOnce(Value) -> Result<T, String>,
) -> Result<T, WireError> {
    match r.take(key) {
        None => Ok(T::default()),
        Some(v) => f(v).map_err(|m| r.field_error(key, m)),
    }
}

/// Takes required field `key`, an object, as a nested reader.
fn req_object(r: &mut Reader, key: &str) -> Result<Reader, WireError> {
    match r.take(key) {
        None => Err(r.error(format!("missing field `{key}`"))),
        Some(v) => r.nested(format!("field `{key}`"), v),
    }
}

/// The message a derived reader gave for a tag or unit variant that is not one of `expected`.
fn unknown_variant(found: &str, expected: &[&str]) -> String {
    let expected: Vec<String> = expected.iter().map(|e| format!("`{e}`")).collect();
    format!("unknown variant `{}`, expected one of {}", truncate(found, 64), expected.join(", "))
}

/// A user or group `type`.
fn kind(v: Value) -> Result<Kind, String> {
    let s = string(v)?;
    Kind::parse(&s).ok_or_else(|| unknown_variant(&s, &["customer", "partner", "gooee"]))
}

impl State {
    /// Reads a state; every problem is an `invalid_state` error.
    fn read(state: Value) -> Result<State, WireError> {
        let mut r = Reader::of("state", ErrorCode::InvalidState, state)?;
        let mut state = State::default();
        let s = &mut state;
        for (t, list) in OBJECT_LISTS.iter().enumerate() {
            r.object_rows(list, &mut |row| {
                s.objects[t].push(ObjectRow::read(row, t)?);
                Ok(())
            })?;
        }
        r.object_rows("users", &mut |row| {
            s.users.push(UserRow::read(row)?);
            Ok(())
        })?;
        r.object_rows("user_groups", &mut |row| {
            s.user_groups.push(GroupRow::read(row)?);
            Ok(())
        })?;
        r.finish()?;
        Ok(state)
    }

    fn to_json(&self) -> Value {
        let mut members = Vec::with_capacity(5);
        for (t, list) in OBJECT_LISTS.iter().enumerate() {
            let rows = &self.objects[t];
            members.push((*list, list_json(rows.len(), &|i| rows[i].to_json(t))));
        }
        members.push(("users", list_json(self.users.len(), &|i| self.users[i].to_json())));
        members.push(("user_groups", list_json(self.user_groups.len(), &|i| self.user_groups[i].to_json())));
        object_of(&mut members)
    }
}

impl ObjectRow {
    /// Reads a row of object type `t`: `id`, `name`, then the parent (customers and buildings).
    fn read(mut r: Reader, t: ObjectTypeId) -> Result<ObjectRow, WireError> {
        let mut row = ObjectRow {
            id: r.req("id", string)?,
            name: or_default(&mut r, "name", string)?,
            parent: String::new(),
        };
        if let Some(parent) = OBJECT_TYPES[t].1 {
            row.parent = r.req(parent, string)?;
        }
        r.finish()?;
        Ok(row)
    }

    fn to_json(&self, t: ObjectTypeId) -> Value {
        let mut members =
            vec![("id", Value::from(self.id.clone())), ("name", Value::from(self.name.clone()))];
        if let Some(parent) = OBJECT_TYPES[t].1 {
            members.push((parent, Value::from(self.parent.clone())));
        }
        object_of(&mut members)
    }
}

impl UserRow {
    fn read(mut r: Reader) -> Result<UserRow, WireError> {
        // The first two fields in the literal, the others filled in: on an error, one drop of the
        // whole row.
        let mut row = UserRow {
            id: r.req("id", string)?,
            kind: r.req("type", kind)?,
            partner: None,
            customer: None,
            name: String::new(),
        };
        row.partner = r.opt("partner", string)?;
        row.customer = r.opt("customer", string)?;
        row.name = or_default(&mut r, "name", string)?;
        r.finish()?;
        Ok(row)
    }

    fn to_json(&self) -> Value {
        object_of(&mut [
            ("id", Value::from(self.id.clone())),
            ("type", Value::from(self.kind.as_str())),
            ("partner", opt_text(self.partner.as_deref())),
            ("customer", opt_text(self.customer.as_deref())),
            ("name", Value::from(self.name.clone())),
        ])
    }
}

impl GroupRow {
    /// Reads a stored group (a state row, or the row of an insert or update change).
    fn read(mut r: Reader) -> Result<GroupRow, WireError> {
        // Filled field by field: on an error, one drop of the whole row.
        let mut row = GroupRow::empty(String::new(), String::new());
        for (key, slot) in [
            ("id", &mut row.id),
            ("created", &mut row.created),
            ("modified", &mut row.modified),
            ("name", &mut row.name),
        ] {
            *slot = r.req(key, string)?;
        }
        row.description = or_default(&mut r, "description", string)?;
        row.kind = r.req("type", kind)?;
        row.users = or_default(&mut r, "users", strings)?;
        row.customer = r.opt("customer", string)?;
        row.partner = r.opt("partner", string)?;
        row.permission_sets = r.req("permission_sets", |v| read_permission_sets(&v))?;
        for (key, slot) in [
            ("customer_scopes", &mut row.customer_scopes),
            ("partner_scopes", &mut row.partner_scopes),
            ("tags", &mut row.tags),
        ] {
            *slot = or_default(&mut r, key, strings)?;
        }
        r.finish()?;
        Ok(row)
    }

    /// A customer group `id` created at `created`, with nothing else set.
    fn empty(id: String, created: String) -> GroupRow {
        GroupRow {
            id,
            created,
            modified: String::new(),
            name: String::new(),
            description: String::new(),
            kind: Kind::Customer,
            users: Vec::new(),
            customer: None,
            partner: None,
            permission_sets: PermissionSets::default(),
            customer_scopes: Vec::new(),
            partner_scopes: Vec::new(),
            tags: Vec::new(),
        }
    }

    fn to_json(&self) -> Value {
        object_of(&mut [
            ("id", Value::from(self.id.clone())),
            ("created", Value::from(self.created.clone())),
            ("modified", Value::from(self.modified.clone())),
            ("name", Value::from(self.name.clone())),
            ("description", Value::from(self.description.clone())),
            ("type", Value::from(self.kind.as_str())),
            ("users", strings_json(&self.users)),
            ("customer", opt_text(self.customer.as_deref())),
            ("partner", opt_text(self.partner.as_deref())),
            ("permission_sets", self.permission_sets.to_json()),
            ("customer_scopes", strings_json(&self.customer_scopes)),
            ("partner_scopes", strings_json(&self.partner_scopes)),
            ("tags", strings_json(&self.tags)),
        ])
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

/// The positions of `n` ids (`id(i)` is the i-th) sorted by id, and for each whether an earlier
/// one is equal to it.
fn sort_ids<'a>(n: usize, id: &dyn Fn(usize) -> &'a str) -> (Vec<usize>, Vec<bool>) {
    crate::util::repeats(n, &|a, b| id(a).cmp(id(b)))
}

/// For each of `n` ids, whether an earlier one is equal to it.
fn repeats<'a>(n: usize, id: &dyn Fn(usize) -> &'a str) -> Vec<bool> {
    sort_ids(n, id).1
}

// ---------------------------------------------------------------------------------------------
// Facts: partners, customers and buildings as objects of the mechanism

#[derive(Debug, Default)]
struct ObjectIndex {
    /// (id, type, parent id), partners then customers then buildings.
    objects: Vec<(String, ObjectTypeId, Option<String>)>,
    /// The positions in `objects`, sorted by id.
    order: Vec<usize>,
}

impl ObjectFacts for ObjectIndex {
    fn object_type(&self, id: &str) -> Option<ObjectTypeId> {
        self.find(id).map(|o| o.1)
    }
    fn parent_object(&self, id: &str) -> Option<&str> {
        self.find(id)?.2.as_deref()
    }
}

impl ObjectIndex {
    /// Indexes the objects; ids are unique across partners, customers and buildings, and every
    /// parent exists.
    fn new(state: &State) -> Result<ObjectIndex, WireError> {
        let mut objects = Vec::new();
        for (t, rows) in state.objects.iter().enumerate() {
            for o in rows {
                let parent = OBJECT_TYPES[t].1.map(|_| o.parent.clone());
                objects.push((o.id.clone(), t, parent));
            }
        }
        let (order, repeated) = sort_ids(objects.len(), &|i| &objects[i].0);
        for ((id, t, _), again) in objects.iter().zip(repeated) {
            if id.is_empty() {
                return Err(WireError::invalid_state(format!("a {} has an empty `id`", OBJECT_TYPES[*t].0)));
            }
            if again {
                return Err(WireError::invalid_state(quoted(
                    "object id ",
                    id,
                    " is used twice (ids are unique across partners, customers and buildings)",
                )));
            }
        }
        let index = ObjectIndex { objects, order };
        // Customers, then buildings: each names an object of its parent type.
        for (t, expected) in [(CUSTOMER, PARTNER), (BUILDING, CUSTOMER)] {
            for o in &state.objects[t] {
                if index.object_type(&o.parent) != Some(expected) {
                    return Err(WireError::invalid_state(format!(
                        "{} `{}` names unknown {} `{}`",
                        OBJECT_TYPES[t].0,
                        truncate(&o.id, 64),
                        OBJECT_TYPES[expected].0,
                        truncate(&o.parent, 64)
                    )));
                }
            }
        }
        Ok(index)
    }

    /// The object `id`.
    fn find(&self, id: &str) -> Option<&(String, ObjectTypeId, Option<String>)> {
        let at = self.order.binary_search_by(|&i| self.objects[i].0.as_str().cmp(id)).ok()?;
        Some(&self.objects[self.order[at]])
    }

    fn is(&self, id: &str, t: ObjectTypeId) -> bool {
        self.object_type(id) == Some(t)
    }
}

// ---------------------------------------------------------------------------------------------
// The engine

/// What one stored group gives: its scope, its expanded grant, what that reaches.
#[derive(Debug, Clone)]
struct GroupInfo {
    scope: Reach,
    holding: Holding,
}

/// The held facts of the `buildings` profile.
#[derive(Debug)]
pub struct BuildingsEngine {
    policy: Policy,
    state: State,
    objects: ObjectIndex,
    groups: Vec<GroupInfo>,
    /// (user id, what the user holds through all its groups), sorted by user id.
    holdings: Vec<(String, Holding)>,
    /// What a user in no group holds: nothing (`holding` lends it, no Holding made per question).
    nothing: Holding,
}

impl ProfileEngine for BuildingsEngine {
    fn build(state: Value) -> Result<Self, WireError> {
        BuildingsEngine::from_state(Policy::new()?, State::read(state)?)
    }

    fn handle(&self, op: &str, fields: Fields) -> Result<Value, WireError> {
        match op {
            "version" => version_op(fields),
            "list_permission_sets" => {
                no_fields(op, &fields)?;
                Ok(self.policy.permission_sets_json())
            }
            "catalog" => {
                no_fields(op, &fields)?;
                Ok(self.policy.catalog_json())
            }
            "http" => self.http(HttpRequest::read(op, fields)?),
            "check" => {
                let (actor, target) = read_question(op, fields, true)?;
                Ok(self.decide(&actor, &target, true).0)
            }
            "who_can" => Ok(self.who_can(&read_question(op, fields, false)?.1)),
            "what_can" => {
                let mut r = op_reader(op, fields);
                let user = r.req("user", string)?;
                r.finish()?;
                let caps = Value::Array(self.capabilities_of(&user));
                Ok(object_of(&mut [("user", Value::String(user)), ("capabilities", caps)]))
            }
            "what_if" => self.what_if(WhatIfRequest::read(op, fields)?),
            _ => Err(unknown_op(Profile::Buildings, op)),
        }
    }

    fn apply(state: Value, changes: Value) -> Result<Value, WireError> {
        Ok(after_changes(State::read(state)?, changes)?.state.to_json())
    }

    fn is_stateless_op(op: &str) -> bool {
        matches!(op, "list_permission_sets" | "catalog")
    }
}

/// A reader of the fields of op `op`.
fn op_reader(op: &str, fields: Fields) -> Reader {
    Reader::request(format!("op `{op}`"), fields)
}

fn no_fields(op: &str, fields: &Fields) -> Result<(), WireError> {
    match fields.keys().next() {
        None => Ok(()),
        Some(k) => Err(WireError::bad_request(format!("unknown field `{}` for op `{op}`", truncate(k, 64)))),
    }
}

/// The engine of `state` after `changes` (of `apply` and `what_if`). The changes are all read
/// first, every problem a `bad_request` error naming the change (`changes[2]`), then applied in
/// order.
fn after_changes(mut state: State, changes: Value) -> Result<BuildingsEngine, WireError> {
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

impl BuildingsEngine {
    fn from_state(policy: Policy, state: State) -> Result<BuildingsEngine, WireError> {
        let objects = ObjectIndex::new(&state)?;
        validate_users(&state, &objects)?;
        let repeated = repeats(state.user_groups.len(), &|i| &state.user_groups[i].id);
        let mut groups = Vec::with_capacity(state.user_groups.len());
        for (g, again) in state.user_groups.iter().zip(repeated) {
            validate_group_row(&policy, &state, &objects, g)?;
            if again {
                return Err(WireError::invalid_state(quoted("user group ", &g.id, " is listed twice")));
            }
            groups.push(stored_group_info(&policy, &objects, g));
        }
        // (member, group) pairs sorted by member, each member's groups in state order.
        let mut members: Vec<(&str, usize)> = Vec::new();
        for (i, g) in state.user_groups.iter().enumerate() {
            for u in &g.users {
                members.push((u.as_str(), i));
            }
        }
        let mut holdings: Vec<(String, Holding)> = Vec::new();
        for k in crate::util::sorted(members.len(), &|a, b| members[a].0.cmp(members[b].0)) {
            let (u, i) = members[k];
            match holdings.last_mut() {
                Some((last, h)) if last == u => h.merge(&groups[i].holding),
                _ => holdings.push((u.to_string(), groups[i].holding.clone())),
            }
        }
        Ok(BuildingsEngine { policy, state, objects, groups, holdings, nothing: Holding::default() })
    }

    fn user(&self, id: &str) -> Option<&UserRow> {
        self.state.users.iter().find(|u| u.id == id)
    }

    fn holding(&self, user: &str) -> &Holding {
        match self.holdings.binary_search_by(|h| h.0.as_str().cmp(user)) {
            Ok(i) => &self.holdings[i].1,
            Err(_) => &self.nothing,
        }
    }

    fn group_index(&self, id: &str) -> Option<usize> {
        self.state.user_groups.iter().position(|g| g.id == id)
    }

    /// Whether `actor` may see object `id`: every partner; a customer with `view_customers` on
    /// it (or being that customer's user); a building with `view_buildings` on it.
    fn can_view_object(&self, actor: &UserRow, holding: &Holding, id: &str) -> bool {
        let p = &self.policy;
        let allows = |perm| p.model.allows(&p.catalog, &self.objects, holding, perm, id).is_ok();
        match self.objects.object_type(id) {
            Some(PARTNER) => true,
            Some(CUSTOMER) => {
                (actor.kind == Kind::Customer && actor.customer.as_deref() == Some(id))
                    || allows(p.view_customers)
            }
            Some(BUILDING) => allows(p.view_buildings),
            _ => false,
        }
    }

    /// Whether `actor` may create, change or delete groups of type `kind` belonging to
    /// `company`; the denial's code when not.
    fn may_manage(
        &self,
        actor: &UserRow,
        holding: &Holding,
        kind: Kind,
        company: &str,
    ) -> Result<(), &'static str> {
        if actor.kind < kind {
            return Err("type_above_actor");
        }
        let p = &self.policy;
        let perm = if kind == Kind::Customer { p.manage_customer_groups } else { p.manage_partner_groups };
        p.model.allows(&p.catalog, &self.objects, holding, perm, company).map_err(|d| d.code())
    }

    /// Whether `actor` may change or delete group `g` as it is stored (stored groups have a
    /// company); the denial's code when not.
    fn may_manage_group(&self, actor: &UserRow, holding: &Holding, g: &GroupRow) -> Result<(), &'static str> {
        self.may_manage(actor, holding, g.kind, g.company().unwrap_or_default())
    }

    /// Whether `actor` may see group `g`: a member, a user of the same company and type, whoever
    /// may manage it, and (for a customer's group) whoever may view that customer.
    fn can_view_group(&self, actor: &UserRow, holding: &Holding, g: &GroupRow) -> bool {
        if g.users.contains(&actor.id) {
            return true;
        }
        let Some(company) = g.company() else { return false };
        if actor.kind == g.kind && actor.company() == Some(company) {
            return true;
        }
        if self.may_manage(actor, holding, g.kind, company).is_ok() {
            return true;
        }
        g.kind == Kind::Customer && self.can_view_object(actor, holding, company)
    }
}

fn validate_users(state: &State, objects: &ObjectIndex) -> Result<(), WireError> {
    let repeated = repeats(state.users.len(), &|i| &state.users[i].id);
    for (u, again) in state.users.iter().zip(repeated) {
        if u.id.is_empty() {
            return Err(WireError::invalid_state("a user has an empty `id`"));
        }
        if again {
            return Err(WireError::invalid_state(quoted("user ", &u.id, " is listed twice")));
        }
        let (needed, needed_type, other, other_name) = match u.kind {
            Kind::Customer => (&u.customer, CUSTOMER, &u.partner, "partner"),
            Kind::Partner | Kind::Gooee => (&u.partner, PARTNER, &u.customer, "customer"),
        };
        let field = OBJECT_TYPES[needed_type].0;
        match needed {
            Some(c) if objects.is(c, needed_type) => {}
            Some(c) => {
                return Err(WireError::invalid_state(format!(
                    "user `{}` names unknown {field} `{}`",
                    truncate(&u.id, 64),
                    truncate(c, 64)
                )));
            }
            None => {
                return Err(WireError::invalid_state(format!(
                    "user `{}` of type `{}` needs `{field}`",
                    truncate(&u.id, 64),
                    u.kind.as_str()
                )));
            }
        }
        if other.is_some() {
            return Err(WireError::invalid_state(format!(
                "user `{}` of type `{}` has no `{other_name}`",
                truncate(&u.id, 64),
                u.kind.as_str()
            )));
        }
    }
    Ok(())
}

/// References of a stored group: codes known, companies and users existing. The constraints of
/// writes (delegation, tiers, types) are checked when a group is written, not on every load.
fn validate_group_row(
    policy: &Policy,
    state: &State,
    objects: &ObjectIndex,
    g: &GroupRow,
) -> Result<(), WireError> {
    let gid = truncate(&g.id, 64);
    if g.id.is_empty() {
        return Err(WireError::invalid_state("a user group has an empty `id`"));
    }
    for (code, _) in &g.permission_sets.0 {
        if policy.catalog.id(code).is_none() {
            return Err(WireError::invalid_state(format!(
                "user group `{gid}` names unknown permission set `{}`",
                truncate(code, 64)
            )));
        }
    }
    for (field, id, t) in [("partner", &g.partner, PARTNER), ("customer", &g.customer, CUSTOMER)]
        .map(|(f, id, t)| (f, id.as_deref(), t))
    {
        if let Some(id) = id
            && !objects.is(id, t)
        {
            return Err(WireError::invalid_state(format!(
                "user group `{gid}` names unknown {field} `{}`",
                truncate(id, 64)
            )));
        }
    }
    if g.company().is_none() {
        return Err(WireError::invalid_state(format!(
            "user group `{gid}` of type `{}` needs `{}`",
            g.kind.as_str(),
            if g.kind == Kind::Customer { "customer" } else { "partner" }
        )));
    }
    for u in &g.users {
        if !state.users.iter().any(|r| r.id == *u) {
            return Err(WireError::invalid_state(format!(
                "user group `{gid}` names unknown user `{}`",
                truncate(u, 64)
            )));
        }
    }
    Ok(())
}

/// The scope of a group: everything for gooee, else its company's objects; narrowed to the
/// listed partner and customer scopes when there are any.
fn group_scope(
    policy: &Policy,
    objects: &ObjectIndex,
    kind: Kind,
    company: Option<&str>,
    partner_scopes: &[String],
    customer_scopes: &[String],
) -> Reach {
    let base = match (kind, company) {
        (Kind::Gooee, _) => Reach::Everything,
        (_, Some(c)) => Reach::of_ids(vec![c.to_string()]),
        (_, None) => Reach::Under(Default::default()),
    };
    if partner_scopes.is_empty() && customer_scopes.is_empty() {
        return base;
    }
    let mut ids = Vec::with_capacity(partner_scopes.len() + customer_scopes.len());
    ids.extend_from_slice(partner_scopes);
    ids.extend_from_slice(customer_scopes);
    let narrowed = Reach::of_ids(ids);
    policy.model.intersect(objects, &base, &narrowed)
}

/// The grant of a stored group. Ids that no longer name an object of a fitting type grant
/// nothing; a list left with none of its ids grants nothing (it never becomes "all objects").
fn stored_grant(policy: &Policy, objects: &ObjectIndex, sets: &PermissionSets) -> Grant {
    let mut grant = Grant::new();
    for (code, list) in &sets.0 {
        let Some(p) = policy.catalog.id(code) else { continue };
        if list.is_empty() {
            grant.add(p, Objects::All);
            continue;
        }
        let Some(pt) = policy.model.object_type_of(p) else { continue };
        let mut kept = Vec::new();
        for id in list {
            if objects.object_type(id).is_some_and(|t| policy.model.types().is_at_or_above(t, pt)) {
                kept.push(id.clone());
            }
        }
        if !kept.is_empty() {
            grant.add(p, Objects::of_ids(kept));
        }
    }
    grant
}

fn stored_group_info(policy: &Policy, objects: &ObjectIndex, g: &GroupRow) -> GroupInfo {
    let scope = group_scope(policy, objects, g.kind, g.company(), &g.partner_scopes, &g.customer_scopes);
    let grant = stored_grant(policy, objects, &g.permission_sets);
    // Every kept id has a complete chain of parents (checked by ObjectIndex::new), so expansion
    // cannot fail; if it ever did, the group keeps only what it lists.
    let grant = policy.model.expand(&policy.catalog, objects, &grant).unwrap_or(grant);
    let holding = policy.model.holding(objects, &grant, &scope);
    GroupInfo { scope, holding }
}

// ---------------------------------------------------------------------------------------------
// `http`: the seed's endpoints

#[derive(Debug, Default)]
struct HttpRequest {
    method: String,
    path: String,
    actor: String,
    body: Option<Value>,
    now: Option<String>,
    new_id: Option<String>,
}

impl HttpRequest {
    fn read(op: &str, fields: Fields) -> Result<HttpRequest, WireError> {
        let mut r = op_reader(op, fields);
        // Filled field by field: on an error, one drop of the whole request.
        let mut req = HttpRequest::default();
        req.method = r.req("method", string)?;
        req.path = r.req("path", string)?;
        req.actor = r.req("actor", string)?;
        req.body = r.opt("body", any)?;
        req.now = r.opt("now", string)?;
        req.new_id = r.opt("new_id", string)?;
        r.finish()?;
        Ok(req)
    }
}

/// An HTTP answer: status, body, the reason code of a refusal, the changes of a write.
#[derive(Debug)]
struct Answer {
    status: u16,
    body: Value,
    reason: Option<&'static str>,
    changes: Vec<Value>,
}

impl Answer {
    fn ok(status: u16, body: Value) -> Answer {
        Answer { status, body, reason: None, changes: Vec::new() }
    }
    fn refuse(status: u16, reason: &'static str, detail: &str) -> Answer {
        Answer {
            status,
            body: object_of(&mut [("detail", Value::from(detail))]),
            reason: Some(reason),
            changes: Vec::new(),
        }
    }
    fn not_found() -> Answer {
        Answer::refuse(404, "not_found", "not found")
    }
    fn forbidden(reason: &'static str) -> Answer {
        Answer::refuse(403, reason, "you do not have permission to perform this action")
    }
    fn into_json(self) -> Value {
        object_of(&mut [
            ("status", Value::from(self.status)),
            ("body", self.body),
            ("reason", opt_text(self.reason)),
            ("changes", Value::Array(self.changes)),
        ])
    }
}

/// Field errors of a 400 answer, in the order found; the first one's code is the reason.
#[derive(Debug, Default)]
struct FieldErrors(Vec<(String, &'static str, Cow<'static, str>)>);

impl FieldErrors {
    fn add(&mut self, field: &str, code: &'static str, message: Cow<'static, str>) {
        self.0.push((field.to_string(), code, message));
    }
    /// Body field `field` when it is a string. Absent (an error when `required`), null and other
    /// values are `None`, the last two with their error.
    fn text<'b>(&mut self, body: &'b Map<String, Value>, field: &str, required: bool) -> Option<&'b String> {
        match self.present(body, field, required)? {
            Value::String(s) => Some(s),
            _ => {
                self.add(field, "invalid", "not a valid string".into());
                None
            }
        }
    }
    /// Body field `field` when present and not null; absent is an error when `required`, null
    /// always.
    fn present<'b>(
        &mut self,
        body: &'b Map<String, Value>,
        field: &str,
        required: bool,
    ) -> Option<&'b Value> {
        match body.get(field) {
            None if required => self.add(field, "required", "this field is required".into()),
            None => {}
            Some(Value::Null) => self.add(field, "null", "this field may not be null".into()),
            Some(v) => return Some(v),
        }
        None
    }
    /// Body field `field` when it is a list of strings; anything else present (null included) is
    /// an `invalid` error saying `expected`.
    fn list(
        &mut self,
        body: &Map<String, Value>,
        field: &str,
        expected: &'static str,
    ) -> Option<Vec<String>> {
        let list = string_list(body.get(field)?);
        if list.is_none() {
            self.add(field, "invalid", expected.into());
        }
        list
    }
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    fn answer(self) -> Answer {
        let reason = self.0.first().map_or("invalid", |(_, c, _)| *c);
        let mut body = Map::new();
        for (field, _, message) in self.0 {
            if let Some(Value::Array(list)) = body.get_mut(&field) {
                list.push(Value::String(message.into_owned()));
            } else {
                body.insert(field, Value::Array(vec![Value::String(message.into_owned())]));
            }
        }
        Answer { status: 400, body: Value::Object(body), reason: Some(reason), changes: Vec::new() }
    }
}

/// Which resource a path names.
#[derive(Debug, PartialEq)]
enum Route<'a> {
    Groups,
    PermissionSets,
    Group(&'a str),
}

fn route(path: &str) -> Option<Route<'_>> {
    let rest = path.strip_prefix("/user_groups")?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    match rest {
        "" => Some(Route::Groups),
        "/permission_sets" => Some(Route::PermissionSets),
        _ => {
            let id = rest.strip_prefix('/')?;
            (!id.is_empty() && !id.contains('/')).then_some(Route::Group(id))
        }
    }
}

impl BuildingsEngine {
    fn http(&self, req: HttpRequest) -> Result<Value, WireError> {
        let (path, query) = match req.path.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (req.path.as_str(), None),
        };
        let Some(route) = route(path) else {
            return Ok(Answer::refuse(404, "unknown_path", "not found").into_json());
        };
        let Some(actor) = self.user(&req.actor) else {
            return Ok(Answer::refuse(
                401,
                "not_authenticated",
                "authentication credentials were not provided",
            )
            .into_json());
        };
        let method = req.method.to_ascii_uppercase();
        let allowed: &[&str] = match route {
            Route::Groups => &["GET", "POST"],
            Route::PermissionSets => &["GET"],
            Route::Group(_) => &["GET", "PUT", "PATCH", "DELETE"],
        };
        if !allowed.contains(&method.as_str()) {
            let detail = format!("method `{}` not allowed", truncate(&req.method, 16));
            return Ok(Answer::refuse(405, "method_not_allowed", &detail).into_json());
        }
        let writes = matches!(method.as_str(), "POST" | "PUT" | "PATCH");
        let now = match (&req.now, writes) {
            (Some(now), true) if valid_datetime(now) => now.clone(),
            (Some(now), true) => {
                return Err(WireError::bad_request(quoted(
                    "`now` ",
                    now,
                    " is not a date-time like `2024-05-01T12:00:00Z`",
                )));
            }
            (None, true) => return Err(WireError::bad_request(format!("`now` is required for `{method}`"))),
            _ => String::new(),
        };
        if query.is_some() && !(route == Route::Groups && method == "GET") {
            let mut errors = FieldErrors::default();
            errors.add("query", "unknown_filter", "this endpoint takes no query parameters".into());
            return Ok(errors.answer().into_json());
        }
        let holding = self.holding(&actor.id);
        let ctx = Ctx { actor, holding };
        let answer = match (route, method.as_str()) {
            (Route::PermissionSets, _) => Answer::ok(200, self.policy.permission_sets_json()),
            (Route::Groups, "GET") => self.list(&ctx, query.unwrap_or("")),
            (Route::Groups, _) => {
                let new_id =
                    req.new_id.as_deref().filter(|s| !s.is_empty()).ok_or_else(|| {
                        WireError::bad_request("`new_id` is required for `POST`".to_string())
                    })?;
                if self.group_index(new_id).is_some() {
                    return Err(WireError::bad_request(quoted(
                        "`new_id` ",
                        new_id,
                        " is already a user group id",
                    )));
                }
                self.write(&ctx, None, req.body.as_ref(), Mode::Create, new_id, &now)
            }
            (Route::Group(id), method) => match self.group_index(id) {
                Some(i) if self.can_view_group(actor, holding, &self.state.user_groups[i]) => match method {
                    "GET" => Answer::ok(200, self.state.user_groups[i].to_json()),
                    "DELETE" => self.delete(&ctx, i),
                    "PUT" => self.write(&ctx, Some(i), req.body.as_ref(), Mode::Replace, id, &now),
                    _ => self.write(&ctx, Some(i), req.body.as_ref(), Mode::Patch, id, &now),
                },
                _ => Answer::not_found(),
            },
        };
        Ok(answer.into_json())
    }

    fn delete(&self, ctx: &Ctx<'_>, i: usize) -> Answer {
        let g = &self.state.user_groups[i];
        if let Err(reason) = self.may_manage_group(ctx.actor, ctx.holding, g) {
            return Answer::forbidden(reason);
        }
        Answer {
            status: 204,
            body: Value::Null,
            reason: None,
            changes: vec![object_of(&mut [
                ("kind", Value::from("delete_user_group")),
                ("id", Value::from(g.id.clone())),
            ])],
        }
    }
}

/// Who is asking and what they hold.
#[derive(Debug)]
struct Ctx<'a> {
    actor: &'a UserRow,
    holding: &'a Holding,
}

/// `YYYY-MM-DDTHH:MM:SS`, optional fraction, then `Z` or `±HH:MM` (RFC 3339).
fn valid_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    if !shaped(b, b"dddd-dd-ddTdd:dd:dd") {
        return false;
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match b.get(i) {
        Some(b'Z' | b'z') => i + 1 == b.len(),
        Some(b'+' | b'-') => shaped(&b[i + 1..], b"dd:dd") && i + 6 == b.len(),
        _ => false,
    }
}

/// Whether `b` starts with the shape `shape`: `d` a digit, `T` one of `T`, `t` and a space,
/// anything else itself.
fn shaped(b: &[u8], shape: &[u8]) -> bool {
    if b.len() < shape.len() {
        return false;
    }
    for (&x, &c) in b.iter().zip(shape) {
        let ok = match c {
            b'd' => x.is_ascii_digit(),
            b'T' => matches!(x, b'T' | b't' | b' '),
            _ => x == c,
        };
        if !ok {
            return false;
        }
    }
    true
}

// ---------------------------------------------------------------------------------------------
// Listing with the seed's permission_sets filters

#[derive(Debug, Clone, Copy, PartialEq)]
enum Lookup {
    Contains,
    ContainedBy,
    Gt,
    Gte,
    Lt,
    Lte,
}

/// The lookups of a filter, by name.
const LOOKUPS: [(&str, Lookup); 6] = [
    ("contains", Lookup::Contains),
    ("contained_by", Lookup::ContainedBy),
    ("gt", Lookup::Gt),
    ("gte", Lookup::Gte),
    ("lt", Lookup::Lt),
    ("lte", Lookup::Lte),
];

#[derive(Debug)]
struct Filter {
    code: String,
    lookup: Lookup,
    value: Vec<String>,
}

impl Filter {
    /// Whether a group's stored permission_sets match. A group without the code never matches.
    fn matches(&self, sets: &PermissionSets) -> bool {
        let Some((_, list)) = sets.0.iter().find(|(c, _)| *c == self.code) else { return false };
        match self.lookup {
            Lookup::Contains => self.value.iter().all(|v| list.contains(v)),
            Lookup::ContainedBy => list.iter().all(|x| self.value.contains(x)),
            Lookup::Gt => list.as_slice() > self.value.as_slice(),
            Lookup::Gte => list.as_slice() >= self.value.as_slice(),
            Lookup::Lt => list.as_slice() < self.value.as_slice(),
            Lookup::Lte => list.as_slice() <= self.value.as_slice(),
        }
    }
}

/// `%XX` and `+` decoding of one query component; a malformed escape is kept as written.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match b[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => match (b.get(i + 1).copied().and_then(hex), b.get(i + 2).copied().and_then(hex)) {
                (Some(h), Some(l)) => {
                    // Lossless: two hex digits are at most 255.
                    out.push((h * 16 + l) as u8);
                    i += 3;
                }
                _ => {
                    out.push(b'%');
                    i += 1;
                }
            },
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A filter value: a JSON array of strings (`[]`, `["a","b"]`), a bracketed list without quotes
/// (`[a,b]`), or comma-separated ids (`a,b`; one id is a list of one).
fn parse_filter_value(v: &str) -> Vec<String> {
    let v = v.trim();
    if let Ok(list @ Value::Array(_)) = serde_json::from_str::<Value>(v)
        && let Some(list) = string_list(&list)
    {
        return list;
    }
    let inner = v.strip_prefix('[').and_then(|x| x.strip_suffix(']')).unwrap_or(v);
    let mut out = Vec::new();
    for x in inner.split(',') {
        let x = x.trim().trim_matches(|c| c == '"' || c == '\'');
        if !x.is_empty() {
            out.push(x.to_string());
        }
    }
    out
}

impl BuildingsEngine {
    fn parse_filters(&self, query: &str) -> Result<Vec<Filter>, FieldErrors> {
        let mut errors = FieldErrors::default();
        let mut filters = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let (key, value) = (percent_decode(k), percent_decode(v));
            let parsed = key
                .strip_prefix("permission_sets__")
                .and_then(|rest| {
                    // The last `__` (what `rsplit_once("__")` finds, without a string searcher).
                    let at = rest.as_bytes().windows(2).rposition(|w| w == b"__")?;
                    Some((&rest[..at], &rest[at + 2..]))
                })
                .and_then(|(code, lookup)| {
                    let at = LOOKUPS.iter().position(|(name, _)| *name == lookup)?;
                    Some((code, LOOKUPS[at].1))
                });
            match parsed {
                Some((code, lookup)) if self.policy.catalog.id(code).is_some() => {
                    filters.push(Filter { code: code.to_string(), lookup, value: parse_filter_value(&value) })
                }
                Some((code, _)) => errors.add(
                    &key,
                    "unknown_permission_set",
                    quoted("", code, " is not a permission set").into(),
                ),
                None => errors.add(
                    &key,
                    "unknown_filter",
                    "unknown filter; expected `permission_sets__<code>__<lookup>` with lookup `contains`, `contained_by`, `gt`, `gte`, `lt` or `lte`".into(),
                ),
            }
        }
        if errors.is_empty() { Ok(filters) } else { Err(errors) }
    }

    fn list(&self, ctx: &Ctx<'_>, query: &str) -> Answer {
        let filters = match self.parse_filters(query) {
            Ok(f) => f,
            Err(errors) => return errors.answer(),
        };
        let mut rows = Vec::new();
        for g in &self.state.user_groups {
            if self.can_view_group(ctx.actor, ctx.holding, g)
                && filters.iter().all(|f| f.matches(&g.permission_sets))
            {
                rows.push(g.to_json());
            }
        }
        Answer::ok(200, Value::Array(rows))
    }
}

// ---------------------------------------------------------------------------------------------
// Create, update (PUT), partial update (PATCH)

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Create,
    Replace,
    Patch,
}

const FIELDS: [&str; 10] = [
    "name",
    "description",
    "type",
    "users",
    "customer",
    "partner",
    "permission_sets",
    "customer_scopes",
    "partner_scopes",
    "tags",
];
const READ_ONLY: [&str; 3] = ["id", "created", "modified"];

/// `list` without repeats, each id at its first place.
fn dedup(list: Vec<String>) -> Vec<String> {
    let repeated = repeats(list.len(), &|i| &list[i]);
    let mut out = Vec::with_capacity(list.len());
    for (x, again) in list.into_iter().zip(repeated) {
        if !again {
            out.push(x);
        }
    }
    out
}

impl BuildingsEngine {
    /// Reads a body field by field (types, required, lengths, choices, known codes, existing and
    /// visible references) into `row`, each valid field present replacing the row's. `required`
    /// fields must be present (create and PUT). On an error the row is half written: callers drop it.
    fn read_input(
        &self,
        ctx: &Ctx<'_>,
        body: Option<&Value>,
        required: bool,
        row: &mut GroupRow,
    ) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::default();
        let empty = Map::new();
        let body = match body {
            None | Some(Value::Null) => &empty,
            Some(Value::Object(m)) => m,
            Some(_) => {
                e.add("non_field_errors", "invalid", "expected an object".into());
                return Err(e);
            }
        };
        for k in body.keys() {
            if !FIELDS.contains(&k.as_str()) && !READ_ONLY.contains(&k.as_str()) {
                e.add(k, "unknown_field", "unknown field".into());
            }
        }
        // name
        match e.text(body, "name", required) {
            Some(s) if s.trim().is_empty() => e.add("name", "blank", "this field may not be blank".into()),
            Some(s) if s.chars().count() > MAX_NAME => e.add(
                "name",
                "max_length",
                format!("ensure this field has no more than {MAX_NAME} characters").into(),
            ),
            Some(s) => row.name = s.clone(),
            None => {}
        }
        // description
        if let Some(s) = e.text(body, "description", false) {
            row.description = s.clone();
        }
        // type
        if let Some(s) = e.text(body, "type", required) {
            match Kind::parse(s) {
                Some(k) => row.kind = k,
                None => e.add(
                    "type",
                    "invalid_choice",
                    quoted("", s, " is not a valid choice; expected `gooee`, `partner` or `customer`").into(),
                ),
            }
        }
        // users
        if let Some(list) = e.list(body, "users", "expected a list of user ids") {
            let list = dedup(list);
            for u in &list {
                if self.user(u).is_none() {
                    e.add("users", "does_not_exist", quoted("user ", u, " does not exist").into());
                }
            }
            row.users = list;
        }
        // customer, partner
        for (field, t, pre) in [("customer", CUSTOMER, "customer "), ("partner", PARTNER, "partner ")] {
            let value = match body.get(field) {
                None => continue,
                Some(Value::Null) => None,
                Some(Value::String(s)) => {
                    if !(self.objects.is(s, t) && self.can_view_object(ctx.actor, ctx.holding, s)) {
                        e.add(field, "does_not_exist", quoted(pre, s, " does not exist").into());
                    }
                    Some(s.clone())
                }
                Some(_) => {
                    e.add(field, "invalid", "expected an id or null".into());
                    continue;
                }
            };
            *if t == CUSTOMER { &mut row.customer } else { &mut row.partner } = value;
        }
        // permission_sets
        if let Some(v) = e.present(body, "permission_sets", required) {
            match read_permission_sets(v) {
                Err(_) => e.add(
                    "permission_sets",
                    "invalid",
                    "expected an object mapping permission set codes to lists of ids".into(),
                ),
                Ok(sets) => {
                    for (code, _) in &sets.0 {
                        if self.policy.catalog.id(code).is_none() {
                            e.add(
                                "permission_sets",
                                "unknown_permission_set",
                                quoted("", code, " is not a permission set").into(),
                            );
                        }
                    }
                    row.permission_sets = sets;
                }
            }
        }
        // scopes
        for (field, t, pre) in
            [("customer_scopes", CUSTOMER, "customer "), ("partner_scopes", PARTNER, "partner ")]
        {
            let Some(list) = e.list(body, field, "expected a list of ids") else { continue };
            let list = dedup(list);
            for id in &list {
                if !(self.objects.is(id, t) && self.can_view_object(ctx.actor, ctx.holding, id)) {
                    e.add(field, "does_not_exist", quoted(pre, id, " does not exist").into());
                }
            }
            *if t == CUSTOMER { &mut row.customer_scopes } else { &mut row.partner_scopes } = list;
        }
        // tags
        if let Some(list) = e.list(body, "tags", "expected a list of strings") {
            for t in &list {
                if t.chars().count() > MAX_TAG {
                    e.add(
                        "tags",
                        "max_length",
                        format!("tag `{}` has more than {MAX_TAG} characters", truncate(t, 64)).into(),
                    );
                }
            }
            row.tags = list;
        }
        if e.is_empty() { Ok(()) } else { Err(e) }
    }

    /// Create (POST), replace (PUT: required fields present, others kept when absent) or patch
    /// (PATCH: every field optional) a user group.
    fn write(
        &self,
        ctx: &Ctx<'_>,
        existing: Option<usize>,
        body: Option<&Value>,
        mode: Mode,
        id: &str,
        now: &str,
    ) -> Answer {
        let old = existing.and_then(|i| self.state.user_groups.get(i));
        // Changing a group needs the right to manage it as it is now.
        if let Some(g) = old
            && let Err(reason) = self.may_manage_group(ctx.actor, ctx.holding, g)
        {
            return Answer::forbidden(reason);
        }
        // The candidate row: the input over the stored row (or the defaults of a new one).
        let mut row = old.cloned().unwrap_or_else(|| GroupRow::empty(id.to_string(), now.to_string()));
        row.modified = now.to_string();
        if let Err(e) = self.read_input(ctx, body, mode != Mode::Patch, &mut row) {
            return e.answer();
        }
        // The company the type asks for.
        let mut e = FieldErrors::default();
        let (needed, other) = match row.kind {
            Kind::Customer => (("customer", &row.customer), ("partner", &row.partner)),
            Kind::Partner | Kind::Gooee => (("partner", &row.partner), ("customer", &row.customer)),
        };
        if needed.1.is_none() {
            e.add(
                needed.0,
                "required",
                format!("this field is required for type `{}`", row.kind.as_str()).into(),
            );
        }
        if other.1.is_some() {
            e.add(
                other.0,
                "not_allowed_for_type",
                format!("must be null for type `{}`", row.kind.as_str()).into(),
            );
        }
        if !e.is_empty() {
            return e.answer();
        }
        let company = row.company().unwrap_or_default().to_string();
        // Creating, or moving a group, needs the right to manage groups where it lands.
        let moved = old.is_none_or(|g| g.kind != row.kind || g.company() != Some(company.as_str()));
        if moved && let Err(reason) = self.may_manage(ctx.actor, ctx.holding, row.kind, &company) {
            return Answer::forbidden(reason);
        }
        match self.constraints(ctx, old, existing, &mut row) {
            Ok(()) => {}
            Err(e) => return e.answer(),
        }
        let (status, kind) =
            if old.is_some() { (200, "update_user_group") } else { (201, "insert_user_group") };
        Answer {
            status,
            body: row.to_json(),
            reason: None,
            changes: vec![object_of(&mut [("kind", Value::from(kind)), ("user_group", row.to_json())])],
        }
    }

    /// The seed's complex constraints on a candidate row; on success the row's permission sets
    /// are replaced by their expansion.
    fn constraints(
        &self,
        ctx: &Ctx<'_>,
        old: Option<&GroupRow>,
        old_index: Option<usize>,
        row: &mut GroupRow,
    ) -> Result<(), FieldErrors> {
        let p = &self.policy;
        let mut e = FieldErrors::default();
        let company = row.company().unwrap_or_default().to_string();
        // Type frozen once users are attached.
        if let Some(g) = old
            && g.kind != row.kind
            && !g.users.is_empty()
        {
            e.add("type", "type_frozen", "the type cannot change while the user group has users".into());
        }
        // Users: same type as the group, and of its company.
        for u in &row.users {
            let Some(user) = self.user(u) else { continue };
            if user.kind != row.kind {
                e.add(
                    "users",
                    "user_type_mismatch",
                    format!(
                        "user `{}` is of type `{}`, the user group of type `{}`",
                        truncate(u, 64),
                        user.kind.as_str(),
                        row.kind.as_str()
                    )
                    .into(),
                );
            } else if user.company() != Some(company.as_str()) {
                e.add(
                    "users",
                    "user_company_mismatch",
                    quoted("user ", u, " belongs to another company than the user group").into(),
                );
            }
        }
        // Scopes inside the group's own.
        let base = group_scope(p, &self.objects, row.kind, Some(&company), &[], &[]);
        for (field, list) in
            [("partner_scopes", &row.partner_scopes), ("customer_scopes", &row.customer_scopes)]
        {
            for id in list {
                if !p.model.reach_contains(&self.objects, &base, id) {
                    e.add(
                        field,
                        "out_of_scope",
                        quoted("", id, " is outside the scope of the user group").into(),
                    );
                }
            }
        }
        let scope = group_scope(
            p,
            &self.objects,
            row.kind,
            Some(&company),
            &row.partner_scopes,
            &row.customer_scopes,
        );
        // Permission sets: objects the actor can see, of fitting types, in scope; then the tier;
        // then delegation.
        let mut grant = Grant::new();
        for (code, list) in &row.permission_sets.0 {
            let Some(id) = p.catalog.id(code) else { continue };
            for obj in list {
                if !self.can_view_object(ctx.actor, ctx.holding, obj) {
                    e.add(
                        "permission_sets",
                        "unknown_object",
                        format!("object `{}` of `{code}` does not exist", truncate(obj, 64)).into(),
                    );
                }
            }
            grant.add(id, Objects::from_list(list));
        }
        if !e.is_empty() {
            return Err(e);
        }
        for d in p.model.validate(&p.catalog, &self.objects, &grant, &scope) {
            e.add("permission_sets", d.code(), denial_message(&d).into());
        }
        if !e.is_empty() {
            return Err(e);
        }
        let expanded = match p.model.expand(&p.catalog, &self.objects, &grant) {
            Ok(g) => g,
            Err(d) => {
                e.add("permission_sets", d.code(), denial_message(&d).into());
                return Err(e);
            }
        };
        if let Err(d) = p.tiers.check(&p.catalog, expanded.permissions(), row.kind.tier()) {
            let code = d.permission().unwrap_or_default();
            e.add(
                "permission_sets",
                d.code(),
                format!(
                    "permission set `{code}` is not available to user groups of type `{}`",
                    row.kind.as_str()
                )
                .into(),
            );
            return Err(e);
        }
        // Delegation: a new group, or one gaining users, is delegated whole; an edit only for
        // what it widens.
        let granted = p.model.holding(&self.objects, &expanded, &scope);
        let gains_users = old.is_none_or(|g| row.users.iter().any(|u| !g.users.contains(u)));
        let to_delegate = match (old_index.and_then(|i| self.groups.get(i)), gains_users) {
            (Some(info), false) => p.model.widened(&self.objects, &info.holding, &granted),
            _ => granted,
        };
        if let Err(d) = p.model.check_delegation(&p.catalog, &self.objects, ctx.holding, &to_delegate) {
            e.add("permission_sets", d.code(), denial_message(&d).into());
            return Err(e);
        }
        row.permission_sets = PermissionSets(expanded.to_lists(&p.catalog));
        Ok(())
    }
}

fn denial_message(d: &Denial) -> String {
    match d {
        Denial::DelegationExceedsGranter { permission, object: None } => {
            format!(
                "you cannot grant `{permission}` on these objects: your own permission sets do not hold it"
            )
        }
        Denial::DelegationExceedsGranter { permission, object: Some(o) } => {
            format!(
                "you cannot grant `{permission}` on `{}`: your own permission sets do not hold it",
                truncate(o, 64)
            )
        }
        Denial::OutOfScope { permission, object } => {
            format!(
                "object `{}` of `{permission}` is outside the scope of the user group",
                truncate(object, 64)
            )
        }
        Denial::UnknownObject { object } => quoted("object ", object, " does not exist"),
        Denial::ObjectTypeMismatch { permission, object } => {
            format!("object `{}` is not of a type `{permission}` can name", truncate(object, 64))
        }
        Denial::ObjectsNotSupported { permission } => {
            format!("`{permission}` takes no object ids; its list must be empty")
        }
        other => other.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Checks and reverse questions

#[derive(Debug)]
struct WhatIfRequest {
    changes: Value,
    users: Option<Vec<String>>,
}

/// Reads the question of `check` (`actor` first, when `with_actor`) and of `who_can`: the actor
/// (empty without) and what is asked.
fn read_question(op: &str, fields: Fields, with_actor: bool) -> Result<(String, Target), WireError> {
    let mut r = op_reader(op, fields);
    let actor = if with_actor { r.req("actor", string)? } else { String::new() };
    let action = r.req("action", string)?;
    let object = r.opt("object", string)?;
    let user_group = r.opt("user_group", string)?;
    r.finish()?;
    Ok((actor, target(action, object, user_group)?))
}

impl WhatIfRequest {
    fn read(op: &str, fields: Fields) -> Result<WhatIfRequest, WireError> {
        let mut r = op_reader(op, fields);
        // `changes` is checked by `after_changes` (null is "`changes` must be an array").
        let req = WhatIfRequest { changes: r.req("changes", any)?, users: r.opt("users", strings)? };
        r.finish()?;
        Ok(req)
    }
}

/// What a check asks about.
#[derive(Debug, Clone)]
enum Target {
    /// A permission set, on one object or on any.
    Permission { code: String, object: Option<String> },
    /// Seeing a user group.
    GroupView(String),
    /// Changing or deleting a user group.
    GroupChange(String),
}

fn target(action: String, object: Option<String>, user_group: Option<String>) -> Result<Target, WireError> {
    if action == ACTION_GROUP_VIEW || action == ACTION_GROUP_CHANGE {
        return match (object, user_group) {
            (None, Some(g)) if action == ACTION_GROUP_VIEW => Ok(Target::GroupView(g)),
            (None, Some(g)) => Ok(Target::GroupChange(g)),
            _ => Err(WireError::bad_request(format!("action `{action}` needs `user_group` and no `object`"))),
        };
    }
    if !PERMISSION_SETS.iter().any(|(c, ..)| *c == action) {
        return Err(WireError::bad_request(format!(
            "unknown action `{}`; expected a permission set code, `{ACTION_GROUP_VIEW}` or `{ACTION_GROUP_CHANGE}`",
            truncate(&action, 64)
        )));
    }
    if user_group.is_some() {
        return Err(WireError::bad_request(format!("action `{action}` takes `object`, not `user_group`")));
    }
    Ok(Target::Permission { code: action, object })
}

/// One thing a user can do.
#[derive(Debug, Clone)]
struct Cap {
    action: String,
    /// `object` (an object-level permission set on that object), `within` (another permission set
    /// anywhere under that object; absent: everywhere) or `user_group`.
    key: &'static str,
    id: Option<String>,
}

impl Cap {
    /// The order of capabilities: by action, key, then id (none first). One function serves the
    /// sort and the searches.
    #[inline(never)]
    fn order(&self, other: &Cap) -> Ordering {
        self.action.cmp(&other.action).then(self.key.cmp(other.key)).then_with(|| self.id.cmp(&other.id))
    }

    fn to_json(&self) -> Value {
        let mut members = vec![("action", Value::from(self.action.clone()))];
        if let Some(id) = &self.id {
            members.push((self.key, Value::from(id.clone())));
        }
        object_of(&mut members)
    }
}

impl BuildingsEngine {
    /// A Decision (core/WIRE.md) and whether it allows. `trace`: build the chain.
    fn decide(&self, actor_id: &str, target: &Target, trace: bool) -> (Value, bool) {
        let mut chain = Vec::new();
        let (allowed, status, reason) = self.verdict(actor_id, target, trace, &mut chain);
        let decision = object_of(&mut [
            ("allowed", Value::Bool(allowed)),
            ("status", Value::from(status)),
            ("reason", Value::from(reason)),
            ("chain", Value::Array(chain)),
        ]);
        (decision, allowed)
    }

    /// Whether `actor_id` may do `target`, the decision's status and reason. With `trace`, the
    /// facts that led there are added to `chain` (made only then: who_can decides for every
    /// user).
    fn verdict(
        &self,
        actor_id: &str,
        target: &Target,
        trace: bool,
        chain: &mut Vec<Value>,
    ) -> (bool, &'static str, &'static str) {
        const NOT_FOUND: &str = "not_found";
        const FORBIDDEN: &str = "forbidden";
        let Some(actor) = self.user(actor_id) else {
            if trace {
                exists_fact(chain, "user", actor_id, false, &mut []);
            }
            return (false, NOT_FOUND, "no_such_user");
        };
        if trace {
            exists_fact(
                chain,
                "user",
                &actor.id,
                true,
                &mut [
                    ("type", Value::from(actor.kind.as_str())),
                    ("partner", opt_text(actor.partner.as_deref())),
                    ("customer", opt_text(actor.customer.as_deref())),
                ],
            );
        }
        let holding = self.holding(&actor.id);
        let p = &self.policy;
        match target {
            Target::Permission { code, object } => {
                let Some(perm) = p.catalog.id(code) else {
                    return (false, FORBIDDEN, "permission_not_held");
                };
                if trace {
                    for (g, info) in self.state.user_groups.iter().zip(&self.groups) {
                        if g.users.contains(&actor.id) && info.holding.reach(perm).is_some() {
                            let listed = g.permission_sets.0.iter().find(|(c, _)| c == code);
                            chain.push(object_of(&mut [
                                ("fact", Value::from("grant")),
                                ("user_group", Value::from(g.id.clone())),
                                ("permission_set", Value::from(code.clone())),
                                (
                                    "objects",
                                    listed.map_or(Value::Array(Vec::new()), |(_, l)| strings_json(l)),
                                ),
                                ("implied", Value::Bool(listed.is_none())),
                                ("scope", reach_json(&info.scope)),
                            ]));
                        }
                    }
                }
                let Some(object) = object else {
                    return if holding.permissions().contains(perm) {
                        (true, "ok", "group_permits")
                    } else {
                        (false, FORBIDDEN, "permission_not_held")
                    };
                };
                let Some(t) = self.objects.object_type(object) else {
                    if trace {
                        exists_fact(chain, "object", object, false, &mut []);
                    }
                    return (false, NOT_FOUND, "unknown_object");
                };
                if trace {
                    exists_fact(
                        chain,
                        "object",
                        object,
                        true,
                        &mut [
                            ("type", Value::from(OBJECT_TYPES[t].0)),
                            ("parent", opt_text(self.objects.parent_object(object))),
                        ],
                    );
                }
                if !self.can_view_object(actor, holding, object) {
                    if trace {
                        chain.push(object_of(&mut [
                            ("fact", Value::from("rule")),
                            ("rule", Value::from("view_needed")),
                        ]));
                    }
                    return (false, NOT_FOUND, "not_visible");
                }
                match p.model.allows(&p.catalog, &self.objects, holding, perm, object) {
                    Ok(()) => (true, "ok", "group_permits"),
                    Err(d) => (false, FORBIDDEN, d.code()),
                }
            }
            Target::GroupView(gid) | Target::GroupChange(gid) => {
                let Some(i) = self.group_index(gid) else {
                    if trace {
                        exists_fact(chain, "user_group", gid, false, &mut []);
                    }
                    return (false, NOT_FOUND, "no_such_user_group");
                };
                let g = &self.state.user_groups[i];
                if trace {
                    exists_fact(
                        chain,
                        "user_group",
                        &g.id,
                        true,
                        &mut [
                            ("type", Value::from(g.kind.as_str())),
                            ("company", opt_text(g.company())),
                            ("member", Value::Bool(g.users.contains(&actor.id))),
                        ],
                    );
                }
                if !self.can_view_group(actor, holding, g) {
                    return (false, NOT_FOUND, "not_visible");
                }
                if matches!(target, Target::GroupView(_)) {
                    return (true, "ok", "group_visible");
                }
                match self.may_manage_group(actor, holding, g) {
                    Ok(()) => (true, "ok", "group_permits"),
                    Err(reason) => (false, FORBIDDEN, reason),
                }
            }
        }
    }

    fn who_can(&self, target: &Target) -> Value {
        let mut users = Vec::new();
        for u in &self.state.users {
            if self.verdict(&u.id, target, false, &mut Vec::new()).0 {
                users.push(u.id.as_str());
            }
        }
        let mut list = Vec::with_capacity(users.len());
        for i in crate::util::sorted(users.len(), &|a, b| users[a].cmp(users[b])) {
            list.push(Value::from(users[i]));
        }
        object_of(&mut [("everyone", Value::Bool(false)), ("users", Value::Array(list))])
    }

    /// What `user` can do.
    fn capabilities(&self, user: &str) -> Caps {
        let mut caps = Vec::new();
        let Some(actor) = self.user(user) else { return Caps::new(caps) };
        let holding = self.holding(user);
        let p = &self.policy;
        for (perm, reach) in holding.iter() {
            let code = p.catalog.code(perm).to_string();
            match p.model.object_type_of(perm) {
                Some(t) => {
                    for (id, ot, _) in &self.objects.objects {
                        if *ot == t && p.model.reach_contains(&self.objects, reach, id) {
                            caps.push(Cap { action: code.clone(), key: "object", id: Some(id.clone()) });
                        }
                    }
                }
                None => match reach {
                    Reach::Everything => {
                        caps.push(Cap { action: code, key: "within", id: None });
                    }
                    Reach::Under(roots) => {
                        for r in roots {
                            caps.push(Cap { action: code.clone(), key: "within", id: Some(r.clone()) });
                        }
                    }
                },
            }
        }
        for g in &self.state.user_groups {
            if !self.can_view_group(actor, holding, g) {
                continue;
            }
            caps.push(Cap { action: ACTION_GROUP_VIEW.into(), key: "user_group", id: Some(g.id.clone()) });
            if self.may_manage_group(actor, holding, g).is_ok() {
                caps.push(Cap {
                    action: ACTION_GROUP_CHANGE.into(),
                    key: "user_group",
                    id: Some(g.id.clone()),
                });
            }
        }
        Caps::new(caps)
    }

    fn capabilities_of(&self, user: &str) -> Vec<Value> {
        self.capabilities(user).json(None)
    }

    fn what_if(&self, req: WhatIfRequest) -> Result<Value, WireError> {
        let after = after_changes(self.state.clone(), req.changes)?;
        let mut people: Vec<&str> = Vec::with_capacity(self.state.users.len() + after.state.users.len());
        for u in self.state.users.iter().chain(&after.state.users) {
            people.push(&u.id);
        }
        let mut diff = Vec::new();
        let mut last = None;
        for i in crate::util::sorted(people.len(), &|a, b| people[a].cmp(people[b])) {
            let id = people[i];
            // Sorted: a repeat follows its first occurrence.
            if last.replace(id) == Some(id) {
                continue;
            }
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

/// What a user can do, and the order that sorts it. No repeats: one entry per permission held,
/// objects and roots are unique, and so are group ids.
struct Caps {
    list: Vec<Cap>,
    /// The positions in `list`, sorted by capability.
    order: Vec<usize>,
}

impl Caps {
    fn new(list: Vec<Cap>) -> Caps {
        let order = crate::util::sorted(list.len(), &|a, b| list[a].order(&list[b]));
        Caps { list, order }
    }

    fn contains(&self, c: &Cap) -> bool {
        self.order.binary_search_by(|&i| self.list[i].order(c)).is_ok()
    }

    /// The capabilities in order as JSON; with `other`, only those it lacks.
    fn json(&self, other: Option<&Caps>) -> Vec<Value> {
        let mut out = Vec::new();
        for &i in &self.order {
            let c = &self.list[i];
            if other.is_none_or(|o| !o.contains(c)) {
                out.push(c.to_json());
            }
        }
        out
    }
}

/// Adds to `chain` the fact that `what` `id` exists or not (members `fact`, `what`, `exists`),
/// then the members of `more`.
#[inline(never)]
fn exists_fact(chain: &mut Vec<Value>, what: &str, id: &str, exists: bool, more: &mut [(&str, Value)]) {
    let mut m = Map::with_capacity(3 + more.len());
    m.insert("fact".to_string(), Value::from(what));
    m.insert(what.to_string(), Value::from(id));
    m.insert("exists".to_string(), Value::Bool(exists));
    for (k, v) in more {
        m.insert(k.to_string(), std::mem::take(v));
    }
    chain.push(Value::Object(m));
}

fn reach_json(r: &Reach) -> Value {
    match r {
        Reach::Everything => Value::from("everything"),
        Reach::Under(roots) => roots.to_json(),
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
    fn the_seed_tables_are_a_valid_policy() {
        let p = Policy::new().unwrap();
        assert_eq!(p.catalog.len(), 13);
        // Each tier includes the lower ones; gooee makes everything available.
        assert_eq!(p.tiers.available(0).len(), 8);
        assert_eq!(p.tiers.available(1).len(), 12);
        assert_eq!(p.tiers.available(2), p.catalog.all());
        assert!(p.tiers.available(1).is_superset(p.tiers.available(0)));
        // The seed's example: manage_buildings implies control_fixtures.
        let mb = p.catalog.id("manage_buildings").unwrap();
        assert!(p.catalog.implied(mb).contains(p.catalog.id("control_fixtures").unwrap()));
        assert_eq!(Kind::Customer.tier(), p.tiers.index("customer").unwrap());
        assert_eq!(Kind::Partner.tier(), p.tiers.index("partner").unwrap());
        assert_eq!(Kind::Gooee.tier(), p.tiers.index("gooee").unwrap());
        assert_eq!(p.model.types().id("building"), Some(BUILDING));
        assert_eq!(p.model.types().id("customer"), Some(CUSTOMER));
        assert_eq!(p.model.types().id("partner"), Some(PARTNER));
    }

    fn state() -> Value {
        json!({
            "partners": [{"id": "P"}],
            "customers": [{"id": "C", "partner": "P"}],
            "buildings": [{"id": "B", "customer": "C"}, {"id": "B2", "customer": "C"}],
            "users": [{"id": "u", "type": "customer", "customer": "C"}],
            "user_groups": [{
                "id": "g", "created": "t", "modified": "t", "name": "n", "type": "customer", "customer": "C",
                "users": ["u"], "permission_sets": {"control_fixtures": ["gone"], "view_buildings": ["B"]}
            }]
        })
    }

    #[test]
    fn stale_ids_grant_nothing_and_never_become_all() {
        let engine = BuildingsEngine::build(state()).unwrap();
        let p = &engine.policy;
        let h = engine.holding("u");
        // control_fixtures listed only a vanished building: not held at all.
        assert!(h.reach(p.catalog.id("control_fixtures").unwrap()).is_none());
        assert_eq!(h.reach(p.view_buildings), Some(&Reach::under(&["B"])));
        // The implied parent view is there.
        assert_eq!(h.reach(p.view_customers), Some(&Reach::under(&["C"])));
        assert!(!p.model.reach_contains(&engine.objects, h.reach(p.view_buildings).unwrap(), "B2"));
    }

    #[test]
    fn state_is_strict_and_consistent() {
        let mut cases = Vec::new();
        let mut s = state();
        s["extra"] = json!(1);
        cases.push(s);
        let mut s = state();
        s["buildings"][1]["id"] = json!("C");
        cases.push(s);
        let mut s = state();
        s["buildings"][0]["customer"] = json!("P");
        cases.push(s);
        let mut s = state();
        s["users"][0]["customer"] = json!(null);
        cases.push(s);
        let mut s = state();
        s["users"][0]["partner"] = json!("P");
        cases.push(s);
        let mut s = state();
        s["user_groups"][0]["permission_sets"] = json!({"fly": []});
        cases.push(s);
        let mut s = state();
        s["user_groups"][0]["users"] = json!(["nobody"]);
        cases.push(s);
        let mut s = state();
        s["user_groups"][0]["customer"] = json!(null);
        cases.push(s);
        let mut s = state();
        s["user_groups"][0]["type"] = json!("admin");
        cases.push(s);
        let mut s = state();
        s["user_groups"][0]["permission_sets"] = json!({"view_buildings": "B"});
        cases.push(s);
        let mut s = state();
        let g = s["user_groups"][0].clone();
        s["user_groups"].as_array_mut().unwrap().push(g);
        cases.push(s);
        for s in cases {
            let a = call(json!({"v": 1, "op": "what_can", "profile": "buildings", "user": "u", "state": s}));
            assert_eq!(a["error"]["code"], "invalid_state", "{s}: {a}");
        }
    }

    #[test]
    fn datetimes() {
        for ok in [
            "2024-05-01T12:00:00Z",
            "2024-05-01T12:00:00.5Z",
            "2024-05-01 12:00:00+02:00",
            "2024-05-01t12:00:00z",
        ] {
            assert!(valid_datetime(ok), "{ok}");
        }
        for bad in [
            "",
            "2024-05-01",
            "2024-05-01T12:00:00",
            "2024-05-01T12:00:00.Z",
            "2024-05-01T12:00:00+0200",
            "2024-05-01T12:00:00Zx",
            "２０２４-05-01T12:00:00Z",
        ] {
            assert!(!valid_datetime(bad), "{bad}");
        }
    }

    #[test]
    fn query_parsing() {
        assert_eq!(percent_decode("a%2Cb+c%zz%"), "a,b c%zz%");
        assert_eq!(percent_decode("%E2%9C%94"), "✔");
        assert_eq!(parse_filter_value("[]"), Vec::<String>::new());
        assert_eq!(parse_filter_value(r#"["a","b"]"#), vec!["a", "b"]);
        assert_eq!(parse_filter_value("[a, b]"), vec!["a", "b"]);
        assert_eq!(parse_filter_value("a,b"), vec!["a", "b"]);
        assert_eq!(parse_filter_value("a"), vec!["a"]);
        assert_eq!(parse_filter_value(""), Vec::<String>::new());
        assert_eq!(route("/user_groups"), Some(Route::Groups));
        assert_eq!(route("/user_groups/"), Some(Route::Groups));
        assert_eq!(route("/user_groups/permission_sets/"), Some(Route::PermissionSets));
        assert_eq!(route("/user_groups/abc/"), Some(Route::Group("abc")));
        assert_eq!(route("/user_groupsx"), None);
        assert_eq!(route("/user_groups/a/b"), None);
        assert_eq!(route("/user_groups//"), None);
    }

    #[test]
    fn array_comparisons_follow_element_order() {
        let sets = PermissionSets(vec![("view_buildings".into(), vec!["a".into(), "c".into()])]);
        let f = |lookup, value: &[&str]| Filter {
            code: "view_buildings".into(),
            lookup,
            value: value.iter().map(|s| s.to_string()).collect(),
        };
        assert!(f(Lookup::Gt, &["a"]).matches(&sets));
        assert!(f(Lookup::Gt, &["a", "b"]).matches(&sets));
        assert!(!f(Lookup::Gt, &["b"]).matches(&sets));
        assert!(f(Lookup::Lt, &["b"]).matches(&sets));
        assert!(f(Lookup::Gte, &["a", "c"]).matches(&sets));
        assert!(f(Lookup::Lte, &["a", "c"]).matches(&sets));
        assert!(!f(Lookup::Lt, &["a", "c"]).matches(&sets));
        assert!(f(Lookup::Contains, &["c"]).matches(&sets));
        assert!(!f(Lookup::ContainedBy, &["c"]).matches(&sets));
        assert!(
            !Filter { code: "view_customers".into(), lookup: Lookup::ContainedBy, value: vec![] }
                .matches(&sets)
        );
    }

    #[test]
    fn hostile_input_is_an_error_or_an_answer() {
        let s = state();
        for extra in [
            json!({"op": "http", "method": "GET", "path": "/user_groups/", "actor": 5}),
            json!({"op": "http", "method": "GET", "path": "/user_groups/", "actor": "u", "x": 1}),
            json!({"op": "http", "method": "GET", "actor": "u"}),
            json!({"op": "check", "actor": "u", "action": "user_group.view"}),
            json!({"op": "check", "actor": "u", "action": "view_buildings", "user_group": "g"}),
            json!({"op": "list_permission_sets", "x": 1}),
            json!({"op": "what_if", "changes": [{"kind": "insert_user_group", "user_group": {"id": "g"}}]}),
        ] {
            let mut req = json!({"v": 1, "profile": "buildings", "state": s});
            for (k, v) in extra.as_object().unwrap() {
                req[k] = v.clone();
            }
            assert_eq!(call(req.clone())["ok"], false, "{req}");
        }
        // Odd but well-formed requests are answers, never panics.
        for (method, path, body) in [
            ("GET", "/user_groups/?%", json!(null)),
            ("GET", "/user_groups/?permission_sets__view_buildings__gt=%ff%fe", json!(null)),
            ("GET", "/user_groups/?&&=&", json!(null)),
            ("PATCH", "/user_groups/g/", json!({"permission_sets": {"view_buildings": ["B", "B", "ghost"]}})),
            ("PATCH", "/user_groups/g/", json!({"users": [1, 2]})),
            ("put", "/user_groups/g", json!({"name": "é".repeat(81)})),
            ("BREW", "/user_groups/", json!(null)),
            (
                "POST",
                "/user_groups/",
                json!({"name": "x", "type": "customer", "customer": "C", "permission_sets": {"view_buildings": [[]]}}),
            ),
        ] {
            let req = json!({"v": 1, "profile": "buildings", "state": s, "op": "http", "method": method, "path": path,
                             "actor": "u", "body": body, "now": "2024-01-01T00:00:00Z", "new_id": "n"});
            let a = call(req.clone());
            assert_eq!(a["ok"], true, "{req}: {a}");
            assert!(a["result"]["status"].as_u64().is_some_and(|s| (200..500).contains(&s)), "{a}");
        }
    }

    /// The code and message of an error answer.
    fn error_of(a: &Value) -> (&str, &str) {
        (a["error"]["code"].as_str().unwrap_or_default(), a["error"]["message"].as_str().unwrap_or_default())
    }

    #[test]
    fn ops_are_read_strictly() {
        let base = |op: &str| json!({"v": 1, "op": op, "profile": "buildings", "state": state()});
        let mut req = base("check");
        req["actor"] = json!("u");
        req["action"] = json!("view_buildings");
        req["x"] = json!(1);
        assert_eq!(error_of(&call(req)), ("bad_request", "op `check`: unknown field `x`"));
        let mut req = base("http");
        req["method"] = json!("GET");
        req["actor"] = json!("u");
        assert_eq!(error_of(&call(req)), ("bad_request", "op `http`: missing field `path`"));
        let mut req = base("what_can");
        req["user"] = json!(5);
        assert_eq!(
            error_of(&call(req)),
            ("bad_request", "op `what_can`: field `user`: expected a string, found a number")
        );
        let mut req = base("what_if");
        req["changes"] = json!([{"kind": "delete_user_group", "id": "g", "user_group": {}}]);
        assert_eq!(error_of(&call(req)), ("bad_request", "changes[0]: unknown field `user_group`"));
        let mut req = base("what_if");
        req["users"] = json!(["u"]);
        assert_eq!(error_of(&call(req)), ("bad_request", "op `what_if`: missing field `changes`"));
    }

    #[test]
    fn state_rows_are_read_strictly() {
        let what_can = |s: Value| {
            call(json!({"v": 1, "op": "what_can", "profile": "buildings", "user": "u", "state": s}))
        };
        let mut s = state();
        s["users"][0]["x"] = json!(1);
        assert_eq!(error_of(&what_can(s)), ("invalid_state", "state: users[0]: unknown field `x`"));
        let mut s = state();
        s["user_groups"][0].as_object_mut().unwrap().remove("created");
        assert_eq!(
            error_of(&what_can(s)),
            ("invalid_state", "state: user_groups[0]: missing field `created`")
        );
        let mut s = state();
        s["user_groups"][0]["type"] = json!("admin");
        assert_eq!(
            error_of(&what_can(s)),
            (
                "invalid_state",
                "state: user_groups[0]: field `type`: unknown variant `admin`, expected one of `customer`, `partner`, `gooee`"
            )
        );
        // A field with a default may be absent, not null; a list's bad item says where it is.
        let mut s = state();
        s["partners"] = json!(null);
        assert_eq!(
            error_of(&what_can(s)),
            ("invalid_state", "state: field `partners`: expected an array, found null")
        );
        let mut s = state();
        s["partners"][0]["name"] = json!(null);
        assert_eq!(error_of(&what_can(s)).0, "invalid_state");
        let mut s = state();
        s["user_groups"][0]["tags"] = json!(["a", 1]);
        assert_eq!(
            error_of(&what_can(s)),
            ("invalid_state", "state: user_groups[0]: field `tags`: [1]: expected a string, found a number")
        );
    }

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

    #[test]
    fn the_state_is_written_back_whole_in_field_order() {
        let a = call(json!({"v": 1, "op": "apply", "profile": "buildings", "state": state(), "changes": []}));
        let s = &a["result"]["state"];
        let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>().join(",");
        assert_eq!(keys(s), "partners,customers,buildings,users,user_groups");
        assert_eq!(s["partners"][0], json!({"id": "P", "name": ""}));
        assert_eq!(s["buildings"][0], json!({"id": "B", "name": "", "customer": "C"}));
        assert_eq!(keys(&s["users"][0]), "id,type,partner,customer,name");
        assert_eq!(s["users"][0]["partner"], Value::Null);
        let g = &s["user_groups"][0];
        assert_eq!(
            keys(g),
            "id,created,modified,name,description,type,users,customer,partner,permission_sets,customer_scopes,partner_scopes,tags"
        );
        assert_eq!(g["permission_sets"], json!({"control_fixtures": ["gone"], "view_buildings": ["B"]}));
        // What is written reads back to the same thing.
        let again = State::read(s.clone()).unwrap().to_json();
        assert_eq!(&again, s);
    }

    #[test]
    fn stateless_ops_need_no_state() {
        let a = call(json!({"v": 1, "op": "list_permission_sets", "profile": "buildings"}));
        assert_eq!(a["result"].as_array().map(Vec::len), Some(13));
        let a = call(json!({"v": 1, "op": "catalog", "profile": "buildings"}));
        assert_eq!(a["result"]["tiers"][2]["includes"], "partner");
        let a = call(
            json!({"v": 1, "op": "http", "profile": "buildings", "method": "GET", "path": "/user_groups/", "actor": "u"}),
        );
        assert_eq!(a["error"]["code"], "missing_state");
    }
}
