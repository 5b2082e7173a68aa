//! Permission catalog, dependency closure and roles.

use super::PolicyError;

/// Dense id of a permission within one [`Catalog`].
pub type PermId = u8;

/// A set of permissions of one catalog, as a bit set (no allocation, `Copy`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct PermSet(u128);

impl PermSet {
    /// How many permissions a catalog may hold.
    pub const CAPACITY: usize = 128;
    /// The empty set.
    pub const EMPTY: PermSet = PermSet(0);

    /// The set holding only `id`.
    pub fn of(id: PermId) -> PermSet {
        PermSet(bit(id))
    }
    /// Whether `id` is in the set.
    pub fn contains(self, id: PermId) -> bool {
        self.0 & bit(id) != 0
    }
    /// Whether every permission of `other` is in `self`.
    pub fn is_superset(self, other: PermSet) -> bool {
        other.0 & !self.0 == 0
    }
    /// Union.
    pub fn union(self, other: PermSet) -> PermSet {
        PermSet(self.0 | other.0)
    }
    /// Permissions of `self` not in `other`.
    pub fn minus(self, other: PermSet) -> PermSet {
        PermSet(self.0 & !other.0)
    }
    /// Adds `id`.
    pub fn insert(&mut self, id: PermId) {
        self.0 |= bit(id);
    }
    /// Intersection.
    pub fn intersect(self, other: PermSet) -> PermSet {
        PermSet(self.0 & other.0)
    }
    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// Number of permissions.
    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }
    /// The ids in ascending order.
    pub fn iter(self) -> impl Iterator<Item = PermId> {
        Members(self.0)
    }
}

/// The ids of a set, lowest first: each step takes the lowest bit left (no walk over the 128
/// possible ids, no shift of a `u128` per id).
struct Members(u128);

impl Iterator for Members {
    type Item = PermId;
    fn next(&mut self) -> Option<PermId> {
        if self.0 == 0 {
            return None;
        }
        // Lossless: a u128 has at most 127 trailing zeros when it is not zero.
        let id = self.0.trailing_zeros() as PermId;
        self.0 &= self.0 - 1;
        Some(id)
    }
}

/// The bit of `id`; ids at or over [`PermSet::CAPACITY`] have none (no shift overflow).
fn bit(id: PermId) -> u128 {
    1u128.checked_shl(u32::from(id)).unwrap_or(0)
}

/// One permission as a profile defines it (seed 002's permission-set data model); written as
/// catalogs list it on the wire (`code`, `name`, `description`, `dependencies`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PermissionDef {
    /// Stable identifier.
    pub code: String,
    /// Display name.
    pub name: String,
    /// What it allows.
    pub description: String,
    /// Permissions this one implies.
    pub dependencies: Vec<String>,
}

impl PermissionDef {
    /// A definition with only a code and dependencies.
    pub fn new(code: &str, dependencies: &[&str]) -> PermissionDef {
        PermissionDef {
            code: code.to_string(),
            name: String::new(),
            description: String::new(),
            dependencies: dependencies.iter().map(|d| d.to_string()).collect(),
        }
    }
}

/// A validated catalog: codes, dependencies and their transitive closure, computed once.
#[derive(Debug, Clone)]
pub struct Catalog {
    defs: Vec<PermissionDef>,
    /// The ids sorted by code, for binary search (a sorted list instead of a hash map: one less
    /// collection in the WebAssembly module; `usize`, the element type every index sort uses).
    index: Vec<usize>,
    /// closure[i] = i and everything it implies, transitively.
    closure: Vec<PermSet>,
}

impl Catalog {
    /// Validates `defs` (unique codes, known dependencies, no cycles) and computes the closure.
    pub fn new(defs: Vec<PermissionDef>) -> Result<Catalog, PolicyError> {
        if defs.len() > PermSet::CAPACITY {
            return Err(PolicyError::TooManyPermissions(defs.len()));
        }
        let mut index: Vec<usize> = (0..defs.len()).collect();
        index.sort_by(|&a, &b| code_at(&defs, a).cmp(code_at(&defs, b)));
        // The sort is stable, so equal codes sit side by side in catalog order: the first code
        // defined again is the one whose second definition comes first.
        let mut again: Option<usize> = None;
        for &[first, second] in index.array_windows() {
            if code_at(&defs, first) == code_at(&defs, second) {
                again = Some(again.map_or(second, |a| a.min(second)));
            }
        }
        if let Some(i) = again {
            return Err(PolicyError::DuplicatePermission(code_at(&defs, i).to_string()));
        }
        let mut edges: Vec<Vec<PermId>> = Vec::with_capacity(defs.len());
        for d in &defs {
            let mut out = Vec::with_capacity(d.dependencies.len());
            for dep in &d.dependencies {
                match lookup(&defs, &index, dep) {
                    Some(id) => out.push(id),
                    None => {
                        return Err(PolicyError::UnknownDependency {
                            permission: d.code.clone(),
                            dependency: dep.clone(),
                        });
                    }
                }
            }
            edges.push(out);
        }
        let closure = close(&defs, &edges)?;
        Ok(Catalog { defs, index, closure })
    }

    /// The definitions, in catalog order.
    pub fn defs(&self) -> &[PermissionDef] {
        &self.defs
    }
    /// Number of permissions.
    pub fn len(&self) -> usize {
        self.defs.len()
    }
    /// Whether the catalog is empty.
    pub fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }
    /// The id of `code`.
    pub fn id(&self, code: &str) -> Option<PermId> {
        lookup(&self.defs, &self.index, code)
    }
    /// The id of `code`, or an `unknown_permission` error.
    pub fn require(&self, code: &str) -> Result<PermId, PolicyError> {
        self.id(code).ok_or_else(|| PolicyError::UnknownPermission(code.to_string()))
    }
    /// The code of `id`.
    pub fn code(&self, id: PermId) -> &str {
        self.defs.get(usize::from(id)).map_or("", |d| d.code.as_str())
    }
    /// `id` and everything it implies (empty for an id outside the catalog).
    pub fn implied(&self, id: PermId) -> PermSet {
        self.closure.get(usize::from(id)).copied().unwrap_or(PermSet::EMPTY)
    }
    /// Every permission of the catalog.
    pub fn all(&self) -> PermSet {
        (0..self.defs.len()).fold(PermSet::EMPTY, |acc, i| acc.union(PermSet::of(i as PermId)))
    }
    /// The closure of a set: every permission implied by a member.
    pub fn close(&self, set: PermSet) -> PermSet {
        set.iter().fold(PermSet::EMPTY, |acc, id| acc.union(self.implied(id)))
    }
    /// The closed set of the named codes.
    pub fn set_of<S: AsRef<str>>(&self, codes: &[S]) -> Result<PermSet, PolicyError> {
        let mut set = PermSet::EMPTY;
        for c in codes {
            set = set.union(self.implied(self.require(c.as_ref())?));
        }
        Ok(set)
    }
    /// Codes of a set, in catalog order.
    pub fn codes(&self, set: PermSet) -> Vec<&str> {
        let mut out = Vec::with_capacity(set.len());
        for id in set.iter() {
            out.push(self.code(id));
        }
        out
    }
}

/// The code of `defs[i]`. Every index this module passes is one of `defs` (`index` is a
/// permutation of `0..defs.len()`, edges and stacks hold ids found through it), so the empty
/// code for one out of range, as [`Catalog::code`] gives, is never produced.
fn code_at(defs: &[PermissionDef], i: usize) -> &str {
    defs.get(i).map_or("", |d| d.code.as_str())
}

/// The id of `code` in `defs`, through `index` (the ids sorted by code).
fn lookup(defs: &[PermissionDef], index: &[usize], code: &str) -> Option<PermId> {
    let at = index.binary_search_by(|&i| code_at(defs, i).cmp(code)).ok()?;
    // `at` is a position binary search found in `index`, so `get` always has it.
    let &id = index.get(at)?;
    // Lossless: a catalog holds at most 128 permissions.
    Some(id as PermId)
}

/// Depth-first closure with cycle detection; the cycle is reported as a path of codes.
fn close(defs: &[PermissionDef], edges: &[Vec<PermId>]) -> Result<Vec<PermSet>, PolicyError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let n = defs.len();
    let mut mark = vec![Mark::New; n];
    let mut closure = vec![PermSet::EMPTY; n];
    // Explicit stack of (node, next edge index): no recursion, so deep chains cannot overflow.
    // `mark`, `closure` and `edges` have one entry per definition and every node is an id of the
    // catalog, so each `get` below finds its entry; the fallbacks (no edges, an empty closure, no
    // mark to set) are never taken.
    for root in 0..n {
        let Some(m @ Mark::New) = mark.get_mut(root) else {
            continue;
        };
        *m = Mark::Open;
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let deps = edges.get(node).map_or(&[][..], Vec::as_slice);
            if let Some(&dep) = deps.get(*next) {
                *next += 1;
                let dep = usize::from(dep);
                match mark.get_mut(dep) {
                    Some(m @ Mark::New) => {
                        *m = Mark::Open;
                        stack.push((dep, 0));
                    }
                    Some(Mark::Open) => {
                        let start = stack.iter().position(|&(n, _)| n == dep).unwrap_or(0);
                        let mut path = Vec::with_capacity(stack.len() - start + 1);
                        for &(n, _) in stack.iter().skip(start) {
                            path.push(code_at(defs, n).to_string());
                        }
                        path.push(code_at(defs, dep).to_string());
                        return Err(PolicyError::DependencyCycle(path));
                    }
                    Some(Mark::Done) | None => {}
                }
            } else {
                // Lossless: n <= 128.
                let mut set = PermSet::of(node as PermId);
                for &dep in deps {
                    set = set.union(closure.get(usize::from(dep)).copied().unwrap_or(PermSet::EMPTY));
                }
                if let Some(c) = closure.get_mut(node) {
                    *c = set;
                }
                if let Some(m) = mark.get_mut(node) {
                    *m = Mark::Done;
                }
                stack.pop();
            }
        }
    }
    Ok(closure)
}

/// A role as a profile defines it: a named bundle of permissions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleDef {
    /// Stable identifier.
    pub code: String,
    /// Permissions the role holds (dependencies are added).
    pub permissions: Vec<String>,
}

/// Roles resolved against a catalog: each role's closed permission set.
#[derive(Debug, Clone)]
pub struct Roles {
    codes: Vec<String>,
    sets: Vec<PermSet>,
}

impl Roles {
    /// Resolves `defs` against `catalog`.
    pub fn new(catalog: &Catalog, defs: &[RoleDef]) -> Result<Roles, PolicyError> {
        let mut codes: Vec<String> = Vec::with_capacity(defs.len());
        let mut sets = Vec::with_capacity(defs.len());
        for d in defs {
            if codes.contains(&d.code) {
                return Err(PolicyError::DuplicateRole(d.code.clone()));
            }
            sets.push(catalog.set_of(&d.permissions)?);
            codes.push(d.code.clone());
        }
        Ok(Roles { codes, sets })
    }
    /// Index of the role named `code`.
    pub fn index(&self, code: &str) -> Option<usize> {
        self.codes.iter().position(|c| c == code)
    }
    /// The closed permission set of role `index`.
    pub fn permissions(&self, index: usize) -> PermSet {
        self.sets.get(index).copied().unwrap_or(PermSet::EMPTY)
    }
    /// The code of role `index`.
    pub fn code(&self, index: usize) -> &str {
        self.codes.get(index).map_or("", String::as_str)
    }
    /// Number of roles.
    pub fn len(&self) -> usize {
        self.codes.len()
    }
    /// Whether there are no roles.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat(defs: &[(&str, &[&str])]) -> Result<Catalog, PolicyError> {
        Catalog::new(defs.iter().map(|(c, d)| PermissionDef::new(c, d)).collect())
    }

    #[test]
    fn closure_is_transitive() {
        let c = cat(&[("a", &["b"]), ("b", &["c"]), ("c", &[]), ("d", &[])]).unwrap();
        assert_eq!(c.codes(c.implied(c.id("a").unwrap())), vec!["a", "b", "c"]);
        assert_eq!(c.codes(c.implied(c.id("d").unwrap())), vec!["d"]);
    }

    #[test]
    fn diamond_is_not_a_cycle() {
        let c = cat(&[("top", &["l", "r"]), ("l", &["base"]), ("r", &["base"]), ("base", &[])]).unwrap();
        assert_eq!(c.implied(c.id("top").unwrap()).len(), 4);
    }

    #[test]
    fn cycles_are_rejected_with_their_path() {
        let err = cat(&[("a", &["b"]), ("b", &["c"]), ("c", &["a"])]).unwrap_err();
        assert_eq!(err, PolicyError::DependencyCycle(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
        assert_eq!(err.to_string(), "dependency cycle: `a` -> `b` -> `c` -> `a`");
        assert_eq!(err.code(), "dependency_cycle");
        let self_loop = cat(&[("a", &["a"])]).unwrap_err();
        assert_eq!(self_loop, PolicyError::DependencyCycle(vec!["a".into(), "a".into()]));
    }

    #[test]
    fn unknown_and_duplicate_codes_are_rejected() {
        assert_eq!(cat(&[("a", &["zz"])]).unwrap_err().code(), "unknown_dependency");
        assert_eq!(cat(&[("a", &[]), ("a", &[])]).unwrap_err().code(), "duplicate_permission");
    }

    #[test]
    fn long_chains_do_not_overflow_and_capacity_is_enforced() {
        let names: Vec<String> = (0..128).map(|i| format!("p{i}")).collect();
        let defs: Vec<PermissionDef> = (0..128)
            .map(|i| {
                let deps: Vec<&str> = if i + 1 < 128 { vec![names[i + 1].as_str()] } else { vec![] };
                PermissionDef::new(&names[i], &deps)
            })
            .collect();
        let c = Catalog::new(defs.clone()).unwrap();
        assert_eq!(c.implied(0).len(), 128);
        let mut more = defs;
        more.push(PermissionDef::new("extra", &[]));
        assert_eq!(Catalog::new(more).unwrap_err().code(), "too_many_permissions");
    }

    #[test]
    fn roles_hold_closed_sets() {
        let c = cat(&[("edit", &["view"]), ("view", &[])]).unwrap();
        let roles = Roles::new(
            &c,
            &[
                RoleDef { code: "editor".into(), permissions: vec!["edit".into()] },
                RoleDef { code: "none".into(), permissions: vec![] },
            ],
        )
        .unwrap();
        assert_eq!(c.codes(roles.permissions(0)), vec!["edit", "view"]);
        assert!(roles.permissions(1).is_empty());
        let bad = Roles::new(&c, &[RoleDef { code: "x".into(), permissions: vec!["nope".into()] }]);
        assert_eq!(bad.unwrap_err().code(), "unknown_permission");
    }
}
