//! Object types with a parent relation, object-level grants, scopes, dependency expansion with
//! implied view of parent objects, checks on one object, and the delegation rule.
//!
//! Objects are named by string ids, unique across all object types of a model (the facts resolve
//! an id to its type and its parent). An object listed in a grant or a scope stands for itself
//! and everything below it: a customer listed on a building permission covers that customer's
//! buildings. That is what lets a grant on customers carry over, unchanged, to a dependency on
//! buildings, and what keeps a list stable when buildings are added later.

use super::{Catalog, Denial, PermId, PermSet, PolicyError};

/// Dense id of an object type within one [`ObjectTypes`].
pub type ObjectTypeId = usize;

/// One object type as a profile defines it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectTypeDef {
    /// Stable identifier (`building`).
    pub code: String,
    /// The type of this type's parent objects (`customer`), if any.
    pub parent: Option<String>,
}

impl ObjectTypeDef {
    /// A type named `code` under `parent`.
    pub fn new(code: &str, parent: Option<&str>) -> ObjectTypeDef {
        ObjectTypeDef { code: code.to_string(), parent: parent.map(str::to_string) }
    }
}

/// Validated object types: unique codes, known parents, no parent cycles.
#[derive(Debug, Clone)]
pub struct ObjectTypes {
    codes: Vec<String>,
    parents: Vec<Option<ObjectTypeId>>,
}

impl ObjectTypes {
    /// Validates `defs`.
    pub fn new(defs: &[ObjectTypeDef]) -> Result<ObjectTypes, PolicyError> {
        let mut codes: Vec<String> = Vec::with_capacity(defs.len());
        for d in defs {
            if codes.contains(&d.code) {
                return Err(PolicyError::DuplicateObjectType(d.code.clone()));
            }
            codes.push(d.code.clone());
        }
        let mut parents = Vec::with_capacity(defs.len());
        for d in defs {
            parents.push(match &d.parent {
                None => None,
                Some(p) => Some(
                    codes
                        .iter()
                        .position(|c| c == p)
                        .ok_or_else(|| PolicyError::UnknownObjectType(p.clone()))?,
                ),
            });
        }
        // Checked through `parent` and `code`: every id walked is a position in `codes` (the
        // parents were found there), so their out-of-range answers are never given.
        let types = ObjectTypes { codes, parents };
        // Each type has at most one parent: walking up more than n steps means a cycle.
        for start in 0..types.len() {
            let mut path = vec![start];
            let mut at = start;
            while let Some(p) = types.parent(at) {
                if let Some(i) = path.iter().position(|&t| t == p) {
                    let mut cycle = Vec::with_capacity(path.len() - i + 1);
                    for &t in path.iter().skip(i) {
                        cycle.push(types.code(t).to_string());
                    }
                    cycle.push(types.code(p).to_string());
                    return Err(PolicyError::ObjectTypeCycle(cycle));
                }
                path.push(p);
                at = p;
            }
        }
        Ok(types)
    }

    /// Id of the type named `code`.
    pub fn id(&self, code: &str) -> Option<ObjectTypeId> {
        self.codes.iter().position(|c| c == code)
    }
    /// Code of type `t` (empty for an id out of range).
    pub fn code(&self, t: ObjectTypeId) -> &str {
        self.codes.get(t).map_or("", String::as_str)
    }
    /// The parent type of `t`.
    pub fn parent(&self, t: ObjectTypeId) -> Option<ObjectTypeId> {
        self.parents.get(t).copied().flatten()
    }
    /// Number of types.
    pub fn len(&self) -> usize {
        self.codes.len()
    }
    /// Whether there are no types.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }
    /// Whether `upper` is `lower` or one of its ancestors.
    pub fn is_at_or_above(&self, upper: ObjectTypeId, lower: ObjectTypeId) -> bool {
        let mut at = Some(lower);
        // Bounded: types are acyclic (checked in `new`), so n steps reach the top.
        for _ in 0..=self.codes.len() {
            match at {
                Some(t) if t == upper => return true,
                Some(t) => at = self.parent(t),
                None => return false,
            }
        }
        false
    }
    /// Whether `a` and `b` lie on one line of ancestry.
    pub fn related(&self, a: ObjectTypeId, b: ObjectTypeId) -> bool {
        self.is_at_or_above(a, b) || self.is_at_or_above(b, a)
    }
}

/// The objects a host knows: each id's type and parent.
pub trait ObjectFacts {
    /// The type of object `id`, `None` when no such object exists.
    fn object_type(&self, id: &str) -> Option<ObjectTypeId>;
    /// The id of the parent object of `id` (`None` for top-level or unknown objects).
    fn parent_object(&self, id: &str) -> Option<&str>;
}

/// Binds a permission to the type of objects its lists name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionObjectType {
    /// Permission code.
    pub permission: String,
    /// Object type code.
    pub object_type: String,
}

impl PermissionObjectType {
    /// Binds `permission` to `object_type`.
    pub fn new(permission: &str, object_type: &str) -> PermissionObjectType {
        PermissionObjectType { permission: permission.to_string(), object_type: object_type.to_string() }
    }
}

/// The objects an entry of a grant names: every object in scope, or some objects (each with
/// everything below it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Objects {
    /// Every object in the scope: an empty list on the wire.
    All,
    /// These objects (never empty: an empty list means `All`).
    Only(IdSet),
}

impl Objects {
    /// Reads a list: empty means every object in scope; duplicates are merged.
    pub fn from_list<S: AsRef<str>>(list: &[S]) -> Objects {
        Objects::of_ids(owned(list))
    }
    /// [`Objects::from_list`] of owned ids (no copy).
    pub(crate) fn of_ids(ids: Vec<String>) -> Objects {
        if ids.is_empty() { Objects::All } else { Objects::Only(id_set(ids)) }
    }
    /// The list form: empty for `All`, sorted ids otherwise.
    pub fn to_list(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Objects::Only(ids) = self {
            out.extend(ids.iter().cloned());
        }
        out
    }
    /// Union; `All` absorbs.
    pub fn merge(&mut self, other: &Objects) {
        match (&mut *self, other) {
            (Objects::All, _) => {}
            (_, Objects::All) => *self = Objects::All,
            (Objects::Only(a), Objects::Only(b)) => *a = joined(a, b),
        }
    }
}

/// The ids of `list` as owned strings.
fn owned<S: AsRef<str>>(list: &[S]) -> Vec<String> {
    let mut out = Vec::with_capacity(list.len());
    for s in list {
        out.push(s.as_ref().to_string());
    }
    out
}

/// A set of object ids, sorted and without repeats (a sorted list: an ordered set of strings
/// would add a whole tree instantiation to the WebAssembly module).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct IdSet(Vec<String>);

impl IdSet {
    /// The ids in order.
    pub fn iter(&self) -> std::slice::Iter<'_, String> {
        self.0.iter()
    }
    /// How many ids.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Whether `id` is in the set.
    pub fn contains(&self, id: &str) -> bool {
        self.0.binary_search_by(|x| x.as_str().cmp(id)).is_ok()
    }
}

impl<'a> IntoIterator for &'a IdSet {
    type Item = &'a String;
    type IntoIter = std::slice::Iter<'a, String>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// The set of `ids`. Every set of ids of this module is built here.
fn id_set(mut ids: Vec<String>) -> IdSet {
    ids.sort();
    ids.dedup();
    IdSet(ids)
}

/// The union of two sets of ids.
fn joined(a: &IdSet, b: &IdSet) -> IdSet {
    let mut ids = Vec::with_capacity(a.len() + b.len());
    ids.extend(a.iter().cloned());
    ids.extend(b.iter().cloned());
    id_set(ids)
}

/// An object-level grant: permission → objects. What a group (or any holder) is given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grant {
    /// Sorted by permission, one entry each (a sorted list: a map of a few entries would add a
    /// whole ordered-map instantiation to the WebAssembly module).
    entries: Vec<(PermId, Objects)>,
}

impl Grant {
    /// The empty grant.
    pub fn new() -> Grant {
        Grant::default()
    }
    /// Reads `(code, list)` pairs; a code given twice has its lists merged.
    pub fn from_lists<C: AsRef<str>, S: AsRef<str>>(
        catalog: &Catalog,
        lists: &[(C, Vec<S>)],
    ) -> Result<Grant, PolicyError> {
        let mut grant = Grant::new();
        for (code, list) in lists {
            grant.add(catalog.require(code.as_ref())?, Objects::from_list(list));
        }
        Ok(grant)
    }
    /// Adds `objects` to permission `id`, merging with what is there (union; `All` absorbs).
    pub fn add(&mut self, id: PermId, objects: Objects) {
        match self.entries.binary_search_by_key(&id, |e| e.0) {
            // A position binary search found: `get_mut` always has it.
            Ok(i) => {
                if let Some((_, there)) = self.entries.get_mut(i) {
                    there.merge(&objects);
                }
            }
            Err(i) => self.entries.insert(i, (id, objects)),
        }
    }
    /// The objects of permission `id`, when granted.
    pub fn get(&self, id: PermId) -> Option<&Objects> {
        let i = self.entries.binary_search_by_key(&id, |e| e.0).ok()?;
        self.entries.get(i).map(|(_, o)| o)
    }
    /// The permissions granted.
    pub fn permissions(&self) -> PermSet {
        let mut set = PermSet::EMPTY;
        for (id, _) in &self.entries {
            set.insert(*id);
        }
        set
    }
    /// The entries in catalog order.
    pub fn iter(&self) -> impl Iterator<Item = (PermId, &Objects)> {
        self.entries.iter().map(|(id, o)| (*id, o))
    }
    /// Whether nothing is granted.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    /// `(code, list)` pairs in catalog order.
    pub fn to_lists(&self, catalog: &Catalog) -> Vec<(String, Vec<String>)> {
        let mut out = Vec::with_capacity(self.entries.len());
        for (id, o) in &self.entries {
            out.push((catalog.code(*id).to_string(), o.to_list()));
        }
        out
    }
}

/// A set of objects by the subtrees it covers: everything, or the listed objects and all below
/// them. Used for scopes and for what a holder effectively reaches with one permission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// Every object (a scope without bounds).
    Everything,
    /// These objects and everything below them (empty: nothing).
    Under(IdSet),
}

impl Reach {
    /// The subtrees of `roots`.
    pub fn under<S: AsRef<str>>(roots: &[S]) -> Reach {
        Reach::Under(id_set(owned(roots)))
    }
    /// The subtrees of `ids` (owned: no copy).
    pub(crate) fn of_ids(ids: Vec<String>) -> Reach {
        Reach::Under(id_set(ids))
    }
    /// Union (no facts needed: subtrees of both).
    pub fn union(&self, other: &Reach) -> Reach {
        match (self, other) {
            (Reach::Everything, _) | (_, Reach::Everything) => Reach::Everything,
            (Reach::Under(a), Reach::Under(b)) => Reach::Under(joined(a, b)),
        }
    }
}

/// What a holder effectively reaches, permission by permission: the union over its grants, each
/// grant bounded by its scope.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holding {
    /// Sorted by permission, one entry each (see [`Grant`]).
    entries: Vec<(PermId, Reach)>,
}

impl Holding {
    /// Holds nothing.
    pub fn new() -> Holding {
        Holding::default()
    }
    /// The reach of permission `id`, when held.
    pub fn reach(&self, id: PermId) -> Option<&Reach> {
        let i = self.entries.binary_search_by_key(&id, |e| e.0).ok()?;
        self.entries.get(i).map(|(_, r)| r)
    }
    /// The permissions held (on at least one object or on everything).
    pub fn permissions(&self) -> PermSet {
        let mut set = PermSet::EMPTY;
        for (id, r) in &self.entries {
            if !matches!(r, Reach::Under(s) if s.is_empty()) {
                set.insert(*id);
            }
        }
        set
    }
    /// Adds `reach` to permission `id` (union).
    pub fn add(&mut self, id: PermId, reach: &Reach) {
        match self.entries.binary_search_by_key(&id, |e| e.0) {
            // A position binary search found: `get_mut` always has it.
            Ok(i) => {
                if let Some((_, there)) = self.entries.get_mut(i) {
                    *there = there.union(reach);
                }
            }
            Err(i) => self.entries.insert(i, (id, reach.clone())),
        }
    }
    /// Adds everything `other` holds.
    pub fn merge(&mut self, other: &Holding) {
        for (id, reach) in &other.entries {
            self.add(*id, reach);
        }
    }
    /// The entries in catalog order.
    pub fn iter(&self) -> impl Iterator<Item = (PermId, &Reach)> {
        self.entries.iter().map(|(id, r)| (*id, r))
    }
}

/// Object types bound to a catalog: which permissions are object-level and on what type.
#[derive(Debug, Clone)]
pub struct ObjectModel {
    types: ObjectTypes,
    /// perm_types[p]: the object type permission p's lists name; `None`: not object-level.
    perm_types: Vec<Option<ObjectTypeId>>,
}

impl ObjectModel {
    /// Binds permissions of `catalog` to object types. A permission left unbound is not
    /// object-level: its list must be empty and it reaches its holder's whole scope. Refused: an
    /// unknown permission or type, a permission bound twice, and a dependency whose type is not
    /// on the permission's line of ancestry (its objects could not be carried over).
    pub fn new(
        catalog: &Catalog,
        types: ObjectTypes,
        bindings: &[PermissionObjectType],
    ) -> Result<ObjectModel, PolicyError> {
        let mut perm_types: Vec<Option<ObjectTypeId>> = vec![None; catalog.len()];
        for b in bindings {
            let p = usize::from(catalog.require(&b.permission)?);
            let t = types
                .id(&b.object_type)
                .ok_or_else(|| PolicyError::UnknownObjectType(b.object_type.clone()))?;
            // `require` gave an id of the catalog, which `perm_types` has one entry for; were it
            // not so, the permission would be unknown to the catalog.
            let Some(slot) = perm_types.get_mut(p) else {
                return Err(PolicyError::UnknownPermission(b.permission.clone()));
            };
            if slot.is_some() {
                return Err(PolicyError::PermissionTypedTwice(b.permission.clone()));
            }
            *slot = Some(t);
        }
        for (p, t) in perm_types.iter().enumerate() {
            let Some(t) = *t else { continue };
            // Lossless: a catalog holds at most 128 permissions.
            for dep in catalog.implied(p as PermId).iter() {
                // `dep` is an id of the catalog: `get` always has it.
                if let Some(u) = perm_types.get(usize::from(dep)).copied().flatten()
                    && !types.related(t, u)
                {
                    return Err(PolicyError::UnrelatedDependencyType {
                        permission: catalog.code(p as PermId).to_string(),
                        dependency: catalog.code(dep).to_string(),
                    });
                }
            }
        }
        Ok(ObjectModel { types, perm_types })
    }

    /// The object types.
    pub fn types(&self) -> &ObjectTypes {
        &self.types
    }
    /// The object type permission `id` names, `None` when it is not object-level.
    pub fn object_type_of(&self, id: PermId) -> Option<ObjectTypeId> {
        self.perm_types.get(usize::from(id)).copied().flatten()
    }

    /// Whether `root` is `id` or one of its ancestors. The walk is bounded by the number of types
    /// and follows only parents of the expected type, so broken facts cannot loop it.
    pub fn covers(&self, facts: &impl ObjectFacts, root: &str, id: &str) -> bool {
        let mut at = id;
        for _ in 0..=self.types.len() {
            if at == root {
                return true;
            }
            match self.parent_of(facts, at) {
                Some(p) => at = p,
                None => return false,
            }
        }
        false
    }

    /// The parent of `id` when the facts give one of the type the model expects.
    fn parent_of<'f>(&self, facts: &'f impl ObjectFacts, id: &str) -> Option<&'f str> {
        let t = facts.object_type(id)?;
        let expected = self.types.parent(t)?;
        let p = facts.parent_object(id)?;
        (facts.object_type(p) == Some(expected)).then_some(p)
    }

    /// The object that stands for `id` at the level of type `target`: `id` itself when its type is
    /// `target` or above it (it covers the objects of `target` below it), else its ancestor of
    /// type `target`.
    fn lift(&self, facts: &impl ObjectFacts, id: &str, target: ObjectTypeId) -> Result<String, Denial> {
        let unknown = || Denial::UnknownObject { object: id.to_string() };
        let t = facts.object_type(id).ok_or_else(unknown)?;
        if self.types.is_at_or_above(t, target) {
            return Ok(id.to_string());
        }
        let mut at = id;
        for _ in 0..=self.types.len() {
            at = self.parent_of(facts, at).ok_or_else(|| Denial::UnknownObject { object: at.to_string() })?;
            if facts.object_type(at) == Some(target) {
                return Ok(at.to_string());
            }
        }
        Err(unknown())
    }

    /// Whether `reach` contains object `id`.
    pub fn reach_contains(&self, facts: &impl ObjectFacts, reach: &Reach, id: &str) -> bool {
        match reach {
            Reach::Everything => true,
            Reach::Under(roots) => roots.iter().any(|r| self.covers(facts, r, id)),
        }
    }

    /// Whether `outer` includes all of `inner`; when it does not, the first root of `inner` it
    /// misses (`None` inside the error when `inner` is everything). Subtrees are compared, not the
    /// objects in them: a customer is not included in a list of all its buildings.
    pub fn reach_includes(
        &self,
        facts: &impl ObjectFacts,
        outer: &Reach,
        inner: &Reach,
    ) -> Result<(), Option<String>> {
        match (outer, inner) {
            (Reach::Everything, _) => Ok(()),
            (Reach::Under(_), Reach::Everything) => Err(None),
            (Reach::Under(_), Reach::Under(roots)) => {
                match roots.iter().find(|r| !self.reach_contains(facts, outer, r)) {
                    None => Ok(()),
                    Some(r) => Err(Some(r.clone())),
                }
            }
        }
    }

    /// The objects in both `a` and `b`.
    pub fn intersect(&self, facts: &impl ObjectFacts, a: &Reach, b: &Reach) -> Reach {
        match (a, b) {
            (Reach::Everything, x) | (x, Reach::Everything) => x.clone(),
            (Reach::Under(ra), Reach::Under(rb)) => Reach::Under(self.intersect_roots(facts, ra, rb)),
        }
    }

    /// The roots of `ra` under a root of `rb` and those of `rb` under a root of `ra`.
    fn intersect_roots(&self, facts: &impl ObjectFacts, ra: &IdSet, rb: &IdSet) -> IdSet {
        let mut out = Vec::new();
        for (from, within) in [(ra, rb), (rb, ra)] {
            for x in from {
                if within.iter().any(|y| self.covers(facts, y, x)) {
                    out.push(x.clone());
                }
            }
        }
        id_set(out)
    }

    /// Checks the objects of `grant` against the model, the facts and `scope`. Every problem is
    /// reported, in catalog order then object order: an object list on a permission that is not
    /// object-level, an unknown object, an object of a type the permission cannot name (only its
    /// own type or an ancestor's), an object outside the scope.
    pub fn validate(
        &self,
        catalog: &Catalog,
        facts: &impl ObjectFacts,
        grant: &Grant,
        scope: &Reach,
    ) -> Vec<Denial> {
        let mut out = Vec::new();
        for (p, objects) in grant.iter() {
            let Objects::Only(ids) = objects else { continue };
            let permission = catalog.code(p).to_string();
            let Some(pt) = self.object_type_of(p) else {
                out.push(Denial::ObjectsNotSupported { permission });
                continue;
            };
            for id in ids {
                match facts.object_type(id) {
                    None => out.push(Denial::UnknownObject { object: id.clone() }),
                    Some(t) if !self.types.is_at_or_above(t, pt) => out.push(Denial::ObjectTypeMismatch {
                        permission: permission.clone(),
                        object: id.clone(),
                    }),
                    Some(_) if !self.reach_contains(facts, scope, id) => {
                        out.push(Denial::OutOfScope { permission: permission.clone(), object: id.clone() })
                    }
                    Some(_) => {}
                }
            }
        }
        out
    }

    /// Adds every dependency of every granted permission, with objects: a dependency of the same
    /// type (or of a lower type) gets the same list, a dependency of a parent type gets the
    /// parents of the listed objects (implied view of parent objects), a dependency that is not
    /// object-level, or of a permission granted on all objects, gets all objects. Merged with
    /// what the grant already has: union, and all objects absorbs a list.
    pub fn expand(
        &self,
        catalog: &Catalog,
        facts: &impl ObjectFacts,
        grant: &Grant,
    ) -> Result<Grant, Denial> {
        let mut out = grant.clone();
        for (p, objects) in grant.iter() {
            for dep in catalog.implied(p).iter().filter(|&d| d != p) {
                let carried = match (objects, self.object_type_of(p), self.object_type_of(dep)) {
                    (Objects::Only(ids), Some(_), Some(target)) => {
                        let mut lifted = Vec::with_capacity(ids.len());
                        for id in ids {
                            lifted.push(self.lift(facts, id, target)?);
                        }
                        Objects::Only(id_set(lifted))
                    }
                    _ => Objects::All,
                };
                out.add(dep, carried);
            }
        }
        Ok(out)
    }

    /// What `grant` reaches inside `scope`: a permission on all objects reaches the scope, a list
    /// reaches its objects' subtrees within the scope.
    pub fn holding(&self, facts: &impl ObjectFacts, grant: &Grant, scope: &Reach) -> Holding {
        let mut out = Holding::new();
        for (p, objects) in grant.iter() {
            let reach = match objects {
                Objects::All => scope.clone(),
                Objects::Only(ids) => match scope {
                    Reach::Everything => Reach::Under(ids.clone()),
                    Reach::Under(roots) => Reach::Under(self.intersect_roots(facts, ids, roots)),
                },
            };
            out.add(p, &reach);
        }
        out
    }

    /// May the holder of `holding` use permission `id` on object `object`? An object of a type the
    /// permission cannot name is a mismatch; a permission that is not object-level applies to
    /// any object in its reach.
    pub fn allows(
        &self,
        catalog: &Catalog,
        facts: &impl ObjectFacts,
        holding: &Holding,
        id: PermId,
        object: &str,
    ) -> Result<(), Denial> {
        let permission = || catalog.code(id).to_string();
        let t =
            facts.object_type(object).ok_or_else(|| Denial::UnknownObject { object: object.to_string() })?;
        if let Some(pt) = self.object_type_of(id)
            && t != pt
        {
            return Err(Denial::ObjectTypeMismatch { permission: permission(), object: object.to_string() });
        }
        match holding.reach(id) {
            None => Err(Denial::PermissionNotHeld { permission: permission() }),
            Some(Reach::Under(roots)) if roots.is_empty() => {
                Err(Denial::PermissionNotHeld { permission: permission() })
            }
            Some(reach) if self.reach_contains(facts, reach, object) => Ok(()),
            Some(_) => Err(Denial::ObjectNotGranted { permission: permission(), object: object.to_string() }),
        }
    }

    /// The delegation rule: nobody grants what they do not hold. Every permission of `granted`
    /// must be held by `granter`, over every object `granted` reaches. The first excess (catalog
    /// order) is the denial.
    pub fn check_delegation(
        &self,
        catalog: &Catalog,
        facts: &impl ObjectFacts,
        granter: &Holding,
        granted: &Holding,
    ) -> Result<(), Denial> {
        for (p, reach) in granted.iter() {
            if matches!(reach, Reach::Under(r) if r.is_empty()) {
                continue;
            }
            let permission = catalog.code(p).to_string();
            let Some(held) = granter.reach(p) else {
                return Err(Denial::DelegationExceedsGranter { permission, object: None });
            };
            if let Err(object) = self.reach_includes(facts, held, reach) {
                return Err(Denial::DelegationExceedsGranter { permission, object });
            }
        }
        Ok(())
    }

    /// The part of `new` that `old` does not already give: the entries whose reach is not
    /// included in the old one. An edit only has to be delegated for what it widens.
    pub fn widened(&self, facts: &impl ObjectFacts, old: &Holding, new: &Holding) -> Holding {
        let mut out = Holding::new();
        for (p, reach) in new.iter() {
            let kept = old.reach(p).is_some_and(|o| self.reach_includes(facts, o, reach).is_ok());
            if !kept {
                out.add(p, reach);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::policy::PermissionDef;

    /// partner → customer → building, as a map of id → (type, parent).
    struct World {
        objects: HashMap<String, (ObjectTypeId, Option<String>)>,
    }

    impl ObjectFacts for World {
        fn object_type(&self, id: &str) -> Option<ObjectTypeId> {
            self.objects.get(id).map(|(t, _)| *t)
        }
        fn parent_object(&self, id: &str) -> Option<&str> {
            self.objects.get(id).and_then(|(_, p)| p.as_deref())
        }
    }

    const PARTNER: ObjectTypeId = 0;
    const CUSTOMER: ObjectTypeId = 1;
    const BUILDING: ObjectTypeId = 2;

    fn world() -> World {
        let rows: &[(&str, ObjectTypeId, Option<&str>)] = &[
            ("P1", PARTNER, None),
            ("P2", PARTNER, None),
            ("C1", CUSTOMER, Some("P1")),
            ("C2", CUSTOMER, Some("P1")),
            ("C3", CUSTOMER, Some("P2")),
            ("B1", BUILDING, Some("C1")),
            ("B2", BUILDING, Some("C1")),
            ("B3", BUILDING, Some("C2")),
            ("B4", BUILDING, Some("C3")),
            // Broken facts: a building whose parent is missing, one whose parent has the wrong type.
            ("Bx", BUILDING, Some("nowhere")),
            ("By", BUILDING, Some("B1")),
        ];
        World {
            objects: rows.iter().map(|(id, t, p)| (id.to_string(), (*t, p.map(str::to_string)))).collect(),
        }
    }

    fn types() -> ObjectTypes {
        ObjectTypes::new(&[
            ObjectTypeDef::new("partner", None),
            ObjectTypeDef::new("customer", Some("partner")),
            ObjectTypeDef::new("building", Some("customer")),
        ])
        .unwrap()
    }

    fn catalog() -> Catalog {
        Catalog::new(vec![
            PermissionDef::new("manage_customers", &["edit_customers", "manage_buildings"]),
            PermissionDef::new("edit_customers", &["view_customers"]),
            PermissionDef::new("manage_buildings", &["control", "view_buildings"]),
            PermissionDef::new("control", &["view_buildings"]),
            PermissionDef::new("view_buildings", &["view_customers"]),
            PermissionDef::new("view_customers", &[]),
            PermissionDef::new("analytics", &["view_customers"]),
            PermissionDef::new("manage_users", &[]),
        ])
        .unwrap()
    }

    fn model(c: &Catalog) -> ObjectModel {
        ObjectModel::new(
            c,
            types(),
            &[
                PermissionObjectType::new("manage_customers", "customer"),
                PermissionObjectType::new("edit_customers", "customer"),
                PermissionObjectType::new("view_customers", "customer"),
                PermissionObjectType::new("manage_buildings", "building"),
                PermissionObjectType::new("control", "building"),
                PermissionObjectType::new("view_buildings", "building"),
            ],
        )
        .unwrap()
    }

    fn grant(c: &Catalog, lists: &[(&str, &[&str])]) -> Grant {
        let lists: Vec<(&str, Vec<&str>)> = lists.iter().map(|(p, l)| (*p, l.to_vec())).collect();
        Grant::from_lists(c, &lists).unwrap()
    }

    fn lists(c: &Catalog, g: &Grant) -> Vec<(String, Vec<String>)> {
        g.to_lists(c)
    }

    fn pairs(v: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
        v.iter().map(|(p, l)| (p.to_string(), l.iter().map(|s| s.to_string()).collect())).collect()
    }

    #[test]
    fn types_reject_duplicates_unknown_parents_and_cycles() {
        let dup = ObjectTypes::new(&[ObjectTypeDef::new("a", None), ObjectTypeDef::new("a", None)]);
        assert_eq!(dup.unwrap_err().code(), "duplicate_object_type");
        let unknown = ObjectTypes::new(&[ObjectTypeDef::new("a", Some("zz"))]).unwrap_err();
        assert_eq!(unknown, PolicyError::UnknownObjectType("zz".into()));
        let cycle = ObjectTypes::new(&[
            ObjectTypeDef::new("a", Some("b")),
            ObjectTypeDef::new("b", Some("c")),
            ObjectTypeDef::new("c", Some("a")),
        ])
        .unwrap_err();
        assert_eq!(cycle, PolicyError::ObjectTypeCycle(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
        assert_eq!(cycle.to_string(), "object type parent cycle: `a` -> `b` -> `c` -> `a`");
        let self_parent = ObjectTypes::new(&[ObjectTypeDef::new("a", Some("a"))]).unwrap_err();
        assert_eq!(self_parent.code(), "object_type_cycle");
    }

    #[test]
    fn type_ancestry() {
        let t = types();
        assert!(t.is_at_or_above(PARTNER, BUILDING));
        assert!(t.is_at_or_above(BUILDING, BUILDING));
        assert!(!t.is_at_or_above(BUILDING, CUSTOMER));
        assert!(t.related(BUILDING, PARTNER));
        assert_eq!(t.parent(BUILDING), Some(CUSTOMER));
        assert_eq!(t.parent(PARTNER), None);
        assert_eq!(t.parent(99), None);
        assert_eq!(t.code(99), "");
        let siblings = ObjectTypes::new(&[
            ObjectTypeDef::new("root", None),
            ObjectTypeDef::new("a", Some("root")),
            ObjectTypeDef::new("b", Some("root")),
        ])
        .unwrap();
        assert!(!siblings.related(1, 2));
    }

    #[test]
    fn model_rejects_bad_bindings() {
        let c = catalog();
        let twice = ObjectModel::new(
            &c,
            types(),
            &[
                PermissionObjectType::new("control", "building"),
                PermissionObjectType::new("control", "customer"),
            ],
        );
        assert_eq!(twice.unwrap_err(), PolicyError::PermissionTypedTwice("control".into()));
        let unknown_type = ObjectModel::new(&c, types(), &[PermissionObjectType::new("control", "floor")]);
        assert_eq!(unknown_type.unwrap_err().code(), "unknown_object_type");
        let unknown_perm = ObjectModel::new(&c, types(), &[PermissionObjectType::new("fly", "building")]);
        assert_eq!(unknown_perm.unwrap_err().code(), "unknown_permission");
        // Sibling types cannot carry a list across a dependency.
        let c2 = Catalog::new(vec![PermissionDef::new("x", &["y"]), PermissionDef::new("y", &[])]).unwrap();
        let siblings = ObjectTypes::new(&[
            ObjectTypeDef::new("root", None),
            ObjectTypeDef::new("a", Some("root")),
            ObjectTypeDef::new("b", Some("root")),
        ])
        .unwrap();
        let err = ObjectModel::new(
            &c2,
            siblings,
            &[PermissionObjectType::new("x", "a"), PermissionObjectType::new("y", "b")],
        )
        .unwrap_err();
        assert_eq!(
            err,
            PolicyError::UnrelatedDependencyType { permission: "x".into(), dependency: "y".into() }
        );
    }

    #[test]
    fn grants_merge_lists_and_all_absorbs() {
        let c = catalog();
        let mut g = grant(&c, &[("control", &["B2"]), ("control", &["B1", "B2"])]);
        assert_eq!(lists(&c, &g), pairs(&[("control", &["B1", "B2"])]));
        g.add(c.id("control").unwrap(), Objects::All);
        assert_eq!(lists(&c, &g), pairs(&[("control", &[])]));
        g.add(c.id("control").unwrap(), Objects::from_list(&["B3"]));
        assert_eq!(g.get(c.id("control").unwrap()), Some(&Objects::All));
        assert_eq!(
            Grant::from_lists(&c, &[("nope", Vec::<&str>::new())]).unwrap_err().code(),
            "unknown_permission"
        );
        assert!(Grant::new().is_empty());
    }

    #[test]
    fn expansion_carries_lists_and_implies_parent_view() {
        let c = catalog();
        let m = model(&c);
        let w = world();
        // The seed's example: manage_buildings:[B] → view_buildings:[B], view_customers:[C of B].
        let g = m.expand(&c, &w, &grant(&c, &[("manage_buildings", &["B1"])])).unwrap();
        assert_eq!(
            lists(&c, &g),
            pairs(&[
                ("manage_buildings", &["B1"]),
                ("control", &["B1"]),
                ("view_buildings", &["B1"]),
                ("view_customers", &["C1"]),
            ])
        );
        // Two buildings of one customer give that customer once; of two customers, both.
        let g = m.expand(&c, &w, &grant(&c, &[("view_buildings", &["B1", "B2", "B3"])])).unwrap();
        assert_eq!(
            lists(&c, &g),
            pairs(&[("view_buildings", &["B1", "B2", "B3"]), ("view_customers", &["C1", "C2"])])
        );
        // A customer list carries down unchanged: the customer covers its buildings.
        let g = m.expand(&c, &w, &grant(&c, &[("manage_customers", &["C1"])])).unwrap();
        assert_eq!(
            lists(&c, &g),
            pairs(&[
                ("manage_customers", &["C1"]),
                ("edit_customers", &["C1"]),
                ("manage_buildings", &["C1"]),
                ("control", &["C1"]),
                ("view_buildings", &["C1"]),
                ("view_customers", &["C1"]),
            ])
        );
        // All objects stays all objects.
        let g = m.expand(&c, &w, &grant(&c, &[("control", &[])])).unwrap();
        assert_eq!(
            lists(&c, &g),
            pairs(&[("control", &[]), ("view_buildings", &[]), ("view_customers", &[])])
        );
        // Not object-level → dependencies on all objects.
        let g = m.expand(&c, &w, &grant(&c, &[("analytics", &[])])).unwrap();
        assert_eq!(lists(&c, &g), pairs(&[("view_customers", &[]), ("analytics", &[])]));
    }

    #[test]
    fn expansion_merges_with_existing_entries() {
        let c = catalog();
        let m = model(&c);
        let w = world();
        // Union with an explicit list.
        let g = m
            .expand(&c, &w, &grant(&c, &[("view_buildings", &["B1"]), ("view_customers", &["C3"])]))
            .unwrap();
        assert_eq!(lists(&c, &g), pairs(&[("view_buildings", &["B1"]), ("view_customers", &["C1", "C3"])]));
        // An explicit all absorbs the carried list.
        let g =
            m.expand(&c, &w, &grant(&c, &[("view_buildings", &["B1"]), ("view_customers", &[])])).unwrap();
        assert_eq!(lists(&c, &g), pairs(&[("view_buildings", &["B1"]), ("view_customers", &[])]));
        // A carried all absorbs an explicit list.
        let g = m.expand(&c, &w, &grant(&c, &[("control", &[]), ("view_buildings", &["B1"])])).unwrap();
        assert_eq!(
            lists(&c, &g),
            pairs(&[("control", &[]), ("view_buildings", &[]), ("view_customers", &[])])
        );
        // Expansion is idempotent.
        let once =
            m.expand(&c, &w, &grant(&c, &[("manage_customers", &["C2"]), ("control", &["B1"])])).unwrap();
        assert_eq!(m.expand(&c, &w, &once).unwrap(), once);
    }

    #[test]
    fn expansion_reports_broken_parents() {
        let c = catalog();
        let m = model(&c);
        let w = world();
        let err = m.expand(&c, &w, &grant(&c, &[("view_buildings", &["Bx"])])).unwrap_err();
        assert_eq!(err, Denial::UnknownObject { object: "Bx".into() });
        let err = m.expand(&c, &w, &grant(&c, &[("view_buildings", &["By"])])).unwrap_err();
        assert_eq!(err.code(), "unknown_object");
        let err = m.expand(&c, &w, &grant(&c, &[("view_buildings", &["ghost"])])).unwrap_err();
        assert_eq!(err, Denial::UnknownObject { object: "ghost".into() });
    }

    #[test]
    fn validation_reports_every_problem() {
        let c = catalog();
        let m = model(&c);
        let w = world();
        let scope = Reach::under(&["C1"]);
        let g = grant(
            &c,
            &[
                ("view_customers", &["B1", "C1", "C2"]),
                ("view_buildings", &["B1", "B3", "ghost", "P1"]),
                ("manage_users", &["P1"]),
            ],
        );
        let found = m.validate(&c, &w, &g, &scope);
        // Catalog order, then ids in sorted order (upper case before lower case).
        assert_eq!(
            found,
            vec![
                Denial::OutOfScope { permission: "view_buildings".into(), object: "B3".into() },
                Denial::OutOfScope { permission: "view_buildings".into(), object: "P1".into() },
                Denial::UnknownObject { object: "ghost".into() },
                Denial::ObjectTypeMismatch { permission: "view_customers".into(), object: "B1".into() },
                Denial::OutOfScope { permission: "view_customers".into(), object: "C2".into() },
                Denial::ObjectsNotSupported { permission: "manage_users".into() },
            ]
        );
        assert!(m.validate(&c, &w, &grant(&c, &[("view_buildings", &["B1", "C1"])]), &scope).is_empty());
        assert!(
            m.validate(&c, &w, &grant(&c, &[("view_buildings", &["B4"])]), &Reach::Everything).is_empty()
        );
    }

    #[test]
    fn reach_contains_includes_and_intersects() {
        let c = catalog();
        let m = model(&c);
        let w = world();
        let p1 = Reach::under(&["P1"]);
        assert!(m.reach_contains(&w, &p1, "B3"));
        assert!(m.reach_contains(&w, &p1, "P1"));
        assert!(!m.reach_contains(&w, &p1, "B4"));
        assert!(!m.reach_contains(&w, &p1, "ghost"));
        assert!(!m.reach_contains(&w, &Reach::under::<&str>(&[]), "B1"));
        assert!(m.reach_contains(&w, &Reach::Everything, "B4"));
        // Broken facts never loop and never reach upward.
        assert!(!m.reach_contains(&w, &Reach::under(&["C1"]), "By"));
        assert!(!m.reach_contains(&w, &Reach::under(&["P1"]), "Bx"));
        assert_eq!(m.reach_includes(&w, &p1, &Reach::under(&["C1", "B3"])), Ok(()));
        assert_eq!(m.reach_includes(&w, &p1, &Reach::under(&["C1", "B4"])), Err(Some("B4".into())));
        assert_eq!(m.reach_includes(&w, &p1, &Reach::Everything), Err(None));
        assert_eq!(m.reach_includes(&w, &Reach::Everything, &Reach::Everything), Ok(()));
        // Subtrees, not members: a customer is not included in the list of its buildings.
        assert_eq!(
            m.reach_includes(&w, &Reach::under(&["B1", "B2"]), &Reach::under(&["C1"])),
            Err(Some("C1".into()))
        );
        assert_eq!(m.intersect(&w, &p1, &Reach::under(&["B1", "B4", "C2"])), Reach::under(&["B1", "C2"]));
        assert_eq!(m.intersect(&w, &Reach::under(&["B1"]), &Reach::under(&["P1"])), Reach::under(&["B1"]));
        assert_eq!(m.intersect(&w, &Reach::Everything, &p1), p1);
        assert_eq!(Reach::under(&["A"]).union(&Reach::under(&["B"])), Reach::under(&["A", "B"]));
        assert_eq!(Reach::under(&["A"]).union(&Reach::Everything), Reach::Everything);
    }

    #[test]
    fn checks_on_one_object() {
        let c = catalog();
        let m = model(&c);
        let w = world();
        let g = m.expand(&c, &w, &grant(&c, &[("control", &["B1"]), ("manage_users", &[])])).unwrap();
        let h = m.holding(&w, &g, &Reach::under(&["C1"]));
        let control = c.id("control").unwrap();
        let view_customers = c.id("view_customers").unwrap();
        assert_eq!(m.allows(&c, &w, &h, control, "B1"), Ok(()));
        assert_eq!(
            m.allows(&c, &w, &h, control, "B2"),
            Err(Denial::ObjectNotGranted { permission: "control".into(), object: "B2".into() })
        );
        assert_eq!(m.allows(&c, &w, &h, view_customers, "C1"), Ok(()));
        assert_eq!(m.allows(&c, &w, &h, view_customers, "C2").unwrap_err().code(), "object_not_granted");
        assert_eq!(
            m.allows(&c, &w, &h, c.id("manage_buildings").unwrap(), "B1"),
            Err(Denial::PermissionNotHeld { permission: "manage_buildings".into() })
        );
        assert_eq!(m.allows(&c, &w, &h, control, "C1").unwrap_err().code(), "object_type_mismatch");
        assert_eq!(m.allows(&c, &w, &h, control, "ghost").unwrap_err().code(), "unknown_object");
        // Not object-level: any object in its scope.
        let users = c.id("manage_users").unwrap();
        assert_eq!(m.allows(&c, &w, &h, users, "B2"), Ok(()));
        assert_eq!(m.allows(&c, &w, &h, users, "C1"), Ok(()));
        assert_eq!(m.allows(&c, &w, &h, users, "C2").unwrap_err().code(), "object_not_granted");
        // Out-of-range ids deny, never panic.
        assert_eq!(m.allows(&c, &w, &h, 200, "B1").unwrap_err().code(), "permission_not_held");
    }

    #[test]
    fn holdings_are_bounded_by_scope_and_merge() {
        let c = catalog();
        let m = model(&c);
        let w = world();
        let view_buildings = c.id("view_buildings").unwrap();
        // A list reaching outside the scope is cut to the scope.
        let h = m.holding(&w, &grant(&c, &[("view_buildings", &["B1", "B4"])]), &Reach::under(&["P1"]));
        assert_eq!(h.reach(view_buildings), Some(&Reach::under(&["B1"])));
        let h2 = m.holding(&w, &grant(&c, &[("view_buildings", &[])]), &Reach::under(&["C2"]));
        let mut both = h.clone();
        both.merge(&h2);
        assert_eq!(both.reach(view_buildings), Some(&Reach::under(&["B1", "C2"])));
        both.merge(&m.holding(&w, &grant(&c, &[("view_buildings", &[])]), &Reach::Everything));
        assert_eq!(both.reach(view_buildings), Some(&Reach::Everything));
        // A list entirely outside the scope holds nothing.
        let none = m.holding(&w, &grant(&c, &[("view_buildings", &["B4"])]), &Reach::under(&["P1"]));
        assert!(none.permissions().is_empty());
        assert_eq!(m.allows(&c, &w, &none, view_buildings, "B4").unwrap_err().code(), "permission_not_held");
    }

    #[test]
    fn delegation_never_exceeds_the_granter() {
        let c = catalog();
        let m = model(&c);
        let w = world();
        let scope_p1 = Reach::under(&["P1"]);
        let granter =
            m.holding(&w, &m.expand(&c, &w, &grant(&c, &[("control", &["B1"])])).unwrap(), &scope_p1);
        let give = |lists: &[(&str, &[&str])], scope: &Reach| {
            let g = m.expand(&c, &w, &grant(&c, lists)).unwrap();
            m.check_delegation(&c, &w, &granter, &m.holding(&w, &g, scope))
        };
        // Same or less: fine.
        assert_eq!(give(&[("control", &["B1"])], &scope_p1), Ok(()));
        assert_eq!(give(&[("view_buildings", &["B1"])], &scope_p1), Ok(()));
        // [A] cannot grant [] (all) …
        assert_eq!(
            give(&[("control", &[])], &scope_p1),
            Err(Denial::DelegationExceedsGranter { permission: "control".into(), object: Some("P1".into()) })
        );
        // … nor [B].
        assert_eq!(
            give(&[("control", &["B2"])], &scope_p1),
            Err(Denial::DelegationExceedsGranter { permission: "control".into(), object: Some("B2".into()) })
        );
        // … nor a permission it lacks.
        assert_eq!(
            give(&[("manage_buildings", &["B1"])], &scope_p1),
            Err(Denial::DelegationExceedsGranter { permission: "manage_buildings".into(), object: None })
        );
        // All objects of a narrower scope is fine when the granter holds that scope whole.
        let wide = m.holding(&w, &grant(&c, &[("control", &[])]), &Reach::under(&["C1"]));
        let narrow = m.holding(&w, &grant(&c, &[("control", &[])]), &Reach::under(&["B2"]));
        assert_eq!(m.check_delegation(&c, &w, &wide, &narrow), Ok(()));
        let everything = m.holding(&w, &grant(&c, &[("control", &[])]), &Reach::Everything);
        assert_eq!(
            m.check_delegation(&c, &w, &wide, &everything),
            Err(Denial::DelegationExceedsGranter { permission: "control".into(), object: None })
        );
        assert_eq!(m.check_delegation(&c, &w, &everything, &wide), Ok(()));
        // Granting nothing is always allowed.
        assert_eq!(m.check_delegation(&c, &w, &Holding::new(), &Holding::new()), Ok(()));
    }

    #[test]
    fn widened_keeps_only_what_an_edit_adds() {
        let c = catalog();
        let m = model(&c);
        let w = world();
        let scope = Reach::under(&["P1"]);
        let old = m.holding(&w, &grant(&c, &[("control", &["B1", "B2"]), ("view_buildings", &[])]), &scope);
        let new = m.holding(
            &w,
            &grant(&c, &[("control", &["B1"]), ("view_buildings", &[]), ("edit_customers", &["C1"])]),
            &scope,
        );
        let added = m.widened(&w, &old, &new);
        assert_eq!(c.codes(added.permissions()), vec!["edit_customers"]);
        let wider = m.holding(&w, &grant(&c, &[("control", &["B3"])]), &scope);
        assert_eq!(m.widened(&w, &old, &wider).reach(c.id("control").unwrap()), Some(&Reach::under(&["B3"])));
    }
}
