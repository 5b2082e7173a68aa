//! The seed's tables as policy data: permission sets, tiers, object types.

use crate::error::WireError;
use crate::policy::{
    Catalog, ObjectModel, ObjectTypeDef, ObjectTypeId, ObjectTypes, PermId, PermissionDef,
    PermissionObjectType, TierDef, Tiers,
};
use crate::util::{owned, owned_all};
use crate::value::{ToJson, Value, object_of};

use super::text::opt_text;

/// (code, name, description, dependencies), in the seed's order.
pub(super) const PERMISSION_SETS: [(&str, &str, &str, &[&str]); 13] = [
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
pub(super) const OBJECT_TYPES: [(&str, Option<&str>); 3] =
    [("partner", None), ("customer", Some("partner")), ("building", Some("customer"))];
pub(super) const PARTNER: ObjectTypeId = 0;
pub(super) const CUSTOMER: ObjectTypeId = 1;
pub(super) const BUILDING: ObjectTypeId = 2;

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

pub(super) const MAX_NAME: usize = 80;
pub(super) const MAX_TAG: usize = 50;

pub(super) const ACTION_GROUP_VIEW: &str = "user_group.view";
pub(super) const ACTION_GROUP_CHANGE: &str = "user_group.change";

/// The code of object type `t` (`partner`, `customer`, `building`).
pub(super) fn type_code(t: ObjectTypeId) -> &'static str {
    OBJECT_TYPES.get(t).map_or("object", |(code, _)| code)
}

#[derive(Debug)]
pub(super) struct Policy {
    pub(super) catalog: Catalog,
    pub(super) tiers: Tiers,
    pub(super) model: ObjectModel,
    pub(super) manage_customer_groups: PermId,
    pub(super) manage_partner_groups: PermId,
    pub(super) view_customers: PermId,
    pub(super) view_buildings: PermId,
}

impl Policy {
    pub(super) fn new() -> Result<Policy, WireError> {
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

    pub(super) fn permission_sets_json(&self) -> Value {
        Value::Array(self.catalog.defs().iter().map(PermissionDef::to_json).collect())
    }

    pub(super) fn catalog_json(&self) -> Value {
        let mut tiers = Vec::with_capacity(TIERS.len());
        // Each tier includes the one before it.
        let mut below = None;
        for (i, (code, own)) in TIERS.iter().enumerate() {
            tiers.push(object_of(&mut [
                ("code", Value::from(*code)),
                ("includes", opt_text(below.replace(*code))),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::buildings::state::Kind;

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
}
