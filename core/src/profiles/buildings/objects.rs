//! Facts: partners, customers and buildings as objects of the mechanism.

use crate::error::WireError;
use crate::policy::{ObjectFacts, ObjectTypeId};
use crate::util::truncate;

use super::policy::{BUILDING, CUSTOMER, OBJECT_TYPES, PARTNER};
use super::state::{State, sort_ids};
use super::text::quoted;

#[derive(Debug, Default)]
pub(super) struct ObjectIndex {
    /// (id, type, parent id), partners then customers then buildings.
    pub(super) objects: Vec<(String, ObjectTypeId, Option<String>)>,
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
    pub(super) fn new(state: &State) -> Result<ObjectIndex, WireError> {
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

    pub(super) fn is(&self, id: &str, t: ObjectTypeId) -> bool {
        self.object_type(id) == Some(t)
    }
}
