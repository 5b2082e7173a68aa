//! The state: partners, customers, buildings, users and user groups, read strictly.

use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use crate::error::{ErrorCode, WireError};
use crate::value::{ToJson, Value};

use crate::de;

/// A user group's (and a user's) type; its index is its tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
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
/// has a default may be absent but not null. Rows are written back with their fields in the
/// order declared here.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct State {
    #[serde(default)]
    pub(super) partners: Vec<PartnerRow>,
    #[serde(default)]
    pub(super) customers: Vec<CustomerRow>,
    #[serde(default)]
    pub(super) buildings: Vec<BuildingRow>,
    #[serde(default)]
    pub(super) users: Vec<UserRow>,
    #[serde(default)]
    pub(super) user_groups: Vec<GroupRow>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PartnerRow {
    pub(super) id: String,
    #[serde(default)]
    name: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CustomerRow {
    pub(super) id: String,
    #[serde(default)]
    name: String,
    pub(super) partner: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BuildingRow {
    pub(super) id: String,
    #[serde(default)]
    name: String,
    pub(super) customer: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct UserRow {
    pub(super) id: String,
    #[serde(rename = "type")]
    pub(super) kind: Kind,
    pub(super) partner: Option<String>,
    pub(super) customer: Option<String>,
    #[serde(default)]
    name: String,
}

/// A user group as stored and as the API shows it (the seed's data model).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct GroupRow {
    pub(super) id: String,
    created: String,
    pub(super) modified: String,
    pub(super) name: String,
    #[serde(default)]
    pub(super) description: String,
    #[serde(rename = "type")]
    pub(super) kind: Kind,
    #[serde(default)]
    pub(super) users: Vec<String>,
    pub(super) customer: Option<String>,
    pub(super) partner: Option<String>,
    pub(super) permission_sets: PermissionSets,
    #[serde(default)]
    pub(super) customer_scopes: Vec<String>,
    #[serde(default)]
    pub(super) partner_scopes: Vec<String>,
    #[serde(default)]
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

/// `permission_sets`: code → list of object ids, kept in the order given (an object on the
/// wire).
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct PermissionSets(pub(super) Vec<(String, Vec<String>)>);

impl Serialize for PermissionSets {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (code, ids) in &self.0 {
            map.serialize_entry(code, ids)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for PermissionSets {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<PermissionSets, D::Error> {
        d.deserialize_map(SetsVisitor)
    }
}

struct SetsVisitor;

impl<'de> Visitor<'de> for SetsVisitor {
    type Value = PermissionSets;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object mapping permission set codes to lists of ids")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PermissionSets, A::Error> {
        let mut sets = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(entry) = map.next_entry::<String, Vec<String>>()? {
            sets.push(entry);
        }
        Ok(PermissionSets(sets))
    }
}

impl PermissionSets {
    /// The permission sets a request body gives, if it is an object of lists of strings.
    pub(super) fn of_body(v: &Value) -> Option<PermissionSets> {
        PermissionSets::deserialize(v).map_err(|_: serde_json::Error| ()).ok()
    }
}

impl State {
    /// Reads a state; every problem is an `invalid_state` error.
    pub(super) fn read(state: Value) -> Result<State, WireError> {
        de::read("state", ErrorCode::InvalidState, state)
    }

    pub(super) fn to_json(&self) -> Value {
        ToJson::to_json(self)
    }
}

impl GroupRow {
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
        ToJson::to_json(self)
    }
}

/// For each of `ids`, whether an earlier one is equal to it (found by sorting).
pub(super) fn repeats<'a>(ids: impl Iterator<Item = &'a str>) -> Vec<bool> {
    let ids: Vec<&str> = ids.collect();
    crate::util::repeats(ids.len(), &|a, b| ids.get(a).cmp(&ids.get(b))).1
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
        assert_eq!(
            error_of(&what_can(s)),
            (
                "invalid_state",
                "state: users[0]: unknown field `x`, expected one of `id`, `type`, `partner`, `customer`, `name`"
            )
        );
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
        s["user_groups"][0]["permission_sets"] = json!({"view_buildings": "B"});
        assert_eq!(
            error_of(&what_can(s)),
            (
                "invalid_state",
                "state: user_groups[0]: field `permission_sets`: field `view_buildings`: expected an array, found a string"
            )
        );
        let mut s = state();
        s["user_groups"][0]["permission_sets"] = json!([]);
        assert_eq!(
            error_of(&what_can(s)),
            (
                "invalid_state",
                "state: user_groups[0]: field `permission_sets`: expected an object, found an array"
            )
        );
        let mut s = state();
        s["user_groups"][0]["tags"] = json!(["a", 1]);
        assert_eq!(
            error_of(&what_can(s)),
            ("invalid_state", "state: user_groups[0]: tags[1]: expected a string, found a number")
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
