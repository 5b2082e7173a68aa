//! The state: partners, customers, buildings, users and user groups, read strictly.

use crate::error::{ErrorCode, WireError};
use crate::read::{Reader, string, strings};
use crate::util::truncate;
use crate::value::{Map, Value, object_of};

use crate::policy::ObjectTypeId;

use super::policy::OBJECT_TYPES;
use super::text::{list_json, opt_text, strings_json};

/// A user group's (and a user's) type; its index is its tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Kind {
    Customer,
    Partner,
    Gooee,
}

impl Kind {
    pub(super) fn tier(self) -> usize {
        match self {
            Kind::Customer => 0,
            Kind::Partner => 1,
            Kind::Gooee => 2,
        }
    }
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Kind::Customer => "customer",
            Kind::Partner => "partner",
            Kind::Gooee => "gooee",
        }
    }
    pub(super) fn parse(s: &str) -> Option<Kind> {
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
pub(super) struct State {
    /// `partners`, `customers`, `buildings`: the rows of each object type, by type id.
    pub(super) objects: [Vec<ObjectRow>; 3],
    pub(super) users: Vec<UserRow>,
    pub(super) user_groups: Vec<GroupRow>,
}

/// The state's lists of objects, by type id.
const OBJECT_LISTS: [&str; 3] = ["partners", "customers", "buildings"];

/// A partner, customer or building as stored.
#[derive(Debug, Clone)]
pub(super) struct ObjectRow {
    pub(super) id: String,
    name: String,
    /// The parent's id, in the field named after the parent's type (`partner` of a customer,
    /// `customer` of a building); empty for a partner.
    pub(super) parent: String,
}

#[derive(Debug, Clone)]
pub(super) struct UserRow {
    pub(super) id: String,
    /// `type`
    pub(super) kind: Kind,
    pub(super) partner: Option<String>,
    pub(super) customer: Option<String>,
    name: String,
}

/// A user group as stored and as the API shows it (the seed's data model).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct GroupRow {
    pub(super) id: String,
    created: String,
    pub(super) modified: String,
    pub(super) name: String,
    pub(super) description: String,
    /// `type`
    pub(super) kind: Kind,
    pub(super) users: Vec<String>,
    pub(super) customer: Option<String>,
    pub(super) partner: Option<String>,
    pub(super) permission_sets: PermissionSets,
    pub(super) customer_scopes: Vec<String>,
    pub(super) partner_scopes: Vec<String>,
    pub(super) tags: Vec<String>,
}

impl GroupRow {
    /// The company the group belongs to: its customer for a customer group, else its partner.
    pub(super) fn company(&self) -> Option<&str> {
        company(self.kind, &self.customer, &self.partner)
    }
}

impl UserRow {
    /// The company the user belongs to: its customer for a customer user, else its partner.
    pub(super) fn company(&self) -> Option<&str> {
        company(self.kind, &self.customer, &self.partner)
    }
}

/// The company of a group or user of type `kind`: `customer` for a customer, else `partner`.
pub(super) fn company<'a>(
    kind: Kind,
    customer: &'a Option<String>,
    partner: &'a Option<String>,
) -> Option<&'a str> {
    match kind {
        Kind::Customer => customer.as_deref(),
        Kind::Partner | Kind::Gooee => partner.as_deref(),
    }
}

/// `permission_sets`: code → list of object ids, kept in the order given.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct PermissionSets(pub(super) Vec<(String, Vec<String>)>);

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
pub(super) fn read_permission_sets(v: &Value) -> Result<PermissionSets, String> {
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

pub(super) fn string_list(v: &Value) -> Option<Vec<String>> {
    let items = v.as_array()?;
    let mut out = Vec::with_capacity(items.len());
    for x in items {
        out.push(x.as_str()?.to_string());
    }
    Some(out)
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
pub(super) fn req_object(r: &mut Reader, key: &str) -> Result<Reader, WireError> {
    match r.take(key) {
        None => Err(r.error(format!("missing field `{key}`"))),
        Some(v) => r.nested(format!("field `{key}`"), v),
    }
}

/// The message a derived reader gave for a tag or unit variant that is not one of `expected`.
pub(super) fn unknown_variant(found: &str, expected: &[&str]) -> String {
    let expected: Vec<String> = expected.iter().map(|e| format!("`{e}`")).collect();
    format!("unknown variant `{}`, expected one of {}", truncate(found, 64), expected.join(", "))
}

/// A user or group `type`.
pub(super) fn kind(v: Value) -> Result<Kind, String> {
    let s = string(v)?;
    Kind::parse(&s).ok_or_else(|| unknown_variant(&s, &["customer", "partner", "gooee"]))
}

impl State {
    /// Reads a state; every problem is an `invalid_state` error.
    pub(super) fn read(state: Value) -> Result<State, WireError> {
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

    pub(super) fn to_json(&self) -> Value {
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
    pub(super) fn read(mut r: Reader) -> Result<GroupRow, WireError> {
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
    pub(super) fn empty(id: String, created: String) -> GroupRow {
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

    pub(super) fn to_json(&self) -> Value {
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

/// The positions of `n` ids (`id(i)` is the i-th) sorted by id, and for each whether an earlier
/// one is equal to it.
pub(super) fn sort_ids<'a>(n: usize, id: &dyn Fn(usize) -> &'a str) -> (Vec<usize>, Vec<bool>) {
    crate::util::repeats(n, &|a, b| id(a).cmp(id(b)))
}

/// For each of `n` ids, whether an earlier one is equal to it.
pub(super) fn repeats<'a>(n: usize, id: &dyn Fn(usize) -> &'a str) -> Vec<bool> {
    sort_ids(n, id).1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::buildings::testing::*;
    use crate::value::json;

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
}
