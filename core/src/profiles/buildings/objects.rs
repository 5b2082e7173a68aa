//! Facts: partners, customers and buildings as objects of the mechanism.

use crate::error::WireError;
use crate::policy::{ObjectFacts, ObjectTypeId};
use crate::util::truncate;

use super::policy::{BUILDING, CUSTOMER, PARTNER, type_code};
use super::state::{State, repeats};
use super::text::quoted;

#[derive(Debug, Default)]
pub(super) struct ObjectIndex {
    /// (id, type, parent id), sorted by id.
    pub(super) objects: Vec<(String, ObjectTypeId, Option<String>)>,
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
    pub(super) fn new(state: &State) -> Result<ObjectIndex, WireError> {
        let mut objects =
            Vec::with_capacity(state.partners.len() + state.customers.len() + state.buildings.len());
        for p in &state.partners {
            objects.push((p.id.clone(), PARTNER, None));
        }
        for c in &state.customers {
            objects.push((c.id.clone(), CUSTOMER, Some(c.partner.clone())));
        }
        for b in &state.buildings {
            objects.push((b.id.clone(), BUILDING, Some(b.customer.clone())));
        }
        // Checked in state order, so that the first problem there is named.
        let repeated = repeats(objects.iter().map(|o| o.0.as_str()));
        for ((id, t, _), again) in objects.iter().zip(repeated) {
            if id.is_empty() {
                return Err(WireError::invalid_state(format!("a {} has an empty `id`", type_code(*t))));
            }
            if again {
                return Err(WireError::invalid_state(quoted(
                    "object id ",
                    id,
                    " is used twice (ids are unique across partners, customers and buildings)",
                )));
            }
        }
        objects.sort_by(|a, b| a.0.cmp(&b.0));
        let index = ObjectIndex { objects };
        // Customers, then buildings: each names an object of its parent type.
        let customers = state.customers.iter().map(|c| ("customer", &c.id, &c.partner, PARTNER, "partner"));
        let buildings =
            state.buildings.iter().map(|b| ("building", &b.id, &b.customer, CUSTOMER, "customer"));
        for (what, id, parent, parent_type, parent_name) in customers.chain(buildings) {
            if index.object_type(parent) != Some(parent_type) {
                return Err(WireError::invalid_state(format!(
                    "{what} `{}` names unknown {parent_name} `{}`",
                    truncate(id, 64),
                    truncate(parent, 64)
                )));
            }
        }
        Ok(index)
    }

    /// The object `id`.
    fn find(&self, id: &str) -> Option<&(String, ObjectTypeId, Option<String>)> {
        let at = self.objects.binary_search_by(|o| o.0.as_str().cmp(id)).ok()?;
        self.objects.get(at)
    }

    pub(super) fn is(&self, id: &str, t: ObjectTypeId) -> bool {
        self.object_type(id) == Some(t)
    }
}
