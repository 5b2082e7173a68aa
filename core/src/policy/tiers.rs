//! Ordered tiers: each tier makes some permissions available and includes every lower tier.

use super::{Catalog, Denial, PermId, PermSet, PolicyError};

/// One tier as a profile defines it: the permissions it adds to the tiers below it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TierDef {
    /// Stable identifier.
    pub code: String,
    /// Permissions this tier adds (the lower tiers' are included without being listed).
    pub permissions: Vec<String>,
}

/// Tiers resolved against a catalog, lowest first.
#[derive(Debug, Clone)]
pub struct Tiers {
    codes: Vec<String>,
    /// What each tier adds.
    own: Vec<PermSet>,
    /// What each tier makes available: its own and every lower tier's.
    available: Vec<PermSet>,
}

impl Tiers {
    /// Resolves `defs` (lowest tier first). Refused: a duplicate tier, an unknown permission, a
    /// permission in two tiers, and a tier whose available set is not closed under dependencies
    /// (it would offer a permission without what that permission implies).
    pub fn new(catalog: &Catalog, defs: &[TierDef]) -> Result<Tiers, PolicyError> {
        let mut codes: Vec<String> = Vec::with_capacity(defs.len());
        let mut own: Vec<PermSet> = Vec::with_capacity(defs.len());
        let mut available: Vec<PermSet> = Vec::with_capacity(defs.len());
        let mut below = PermSet::EMPTY;
        for d in defs {
            if codes.contains(&d.code) {
                return Err(PolicyError::DuplicateTier(d.code.clone()));
            }
            let mut set = PermSet::EMPTY;
            for code in &d.permissions {
                let id = catalog.require(code)?;
                // `codes` and `own` are pushed together: the same tier at each position.
                if let Some((_, first)) = own.iter().zip(&codes).find(|(s, _)| s.contains(id)) {
                    return Err(PolicyError::PermissionInTwoTiers {
                        permission: code.clone(),
                        first: first.clone(),
                        second: d.code.clone(),
                    });
                }
                set.insert(id);
            }
            let here = below.union(set);
            for id in here.iter() {
                if let Some(dep) = catalog.implied(id).minus(here).iter().next() {
                    return Err(PolicyError::TierNotClosed {
                        tier: d.code.clone(),
                        permission: catalog.code(id).to_string(),
                        dependency: catalog.code(dep).to_string(),
                    });
                }
            }
            codes.push(d.code.clone());
            own.push(set);
            available.push(here);
            below = here;
        }
        Ok(Tiers { codes, own, available })
    }

    /// Index of the tier named `code`.
    pub fn index(&self, code: &str) -> Option<usize> {
        self.codes.iter().position(|c| c == code)
    }
    /// Index of the tier named `code`, or an `unknown_tier` error.
    pub fn require(&self, code: &str) -> Result<usize, PolicyError> {
        self.index(code).ok_or_else(|| PolicyError::UnknownTier(code.to_string()))
    }
    /// The code of tier `tier` (empty for an index out of range).
    pub fn code(&self, tier: usize) -> &str {
        self.codes.get(tier).map_or("", String::as_str)
    }
    /// Number of tiers.
    pub fn len(&self) -> usize {
        self.codes.len()
    }
    /// Whether there are no tiers.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }
    /// The permissions `tier` adds to the lower tiers.
    pub fn own(&self, tier: usize) -> PermSet {
        self.own.get(tier).copied().unwrap_or(PermSet::EMPTY)
    }
    /// Every permission available in `tier`: its own and every lower tier's (empty for an index
    /// out of range).
    pub fn available(&self, tier: usize) -> PermSet {
        self.available.get(tier).copied().unwrap_or(PermSet::EMPTY)
    }
    /// The lowest tier in which `id` is available.
    pub fn tier_of(&self, id: PermId) -> Option<usize> {
        self.own.iter().position(|s| s.contains(id))
    }
    /// Checks that every permission of `set` is available in `tier`; the first one that is not
    /// (in catalog order) is the denial.
    pub fn check(&self, catalog: &Catalog, set: PermSet, tier: usize) -> Result<(), Denial> {
        match set.minus(self.available(tier)).iter().next() {
            None => Ok(()),
            Some(id) => Err(Denial::NotInTier {
                permission: catalog.code(id).to_string(),
                tier: self.code(tier).to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::PermissionDef;

    fn catalog() -> Catalog {
        Catalog::new(vec![
            PermissionDef::new("admin", &["manage"]),
            PermissionDef::new("manage", &["view"]),
            PermissionDef::new("view", &[]),
            PermissionDef::new("report", &[]),
        ])
        .unwrap()
    }

    fn tier(code: &str, perms: &[&str]) -> TierDef {
        TierDef { code: code.into(), permissions: perms.iter().map(|p| p.to_string()).collect() }
    }

    #[test]
    fn each_tier_includes_the_lower_ones() {
        let c = catalog();
        let t = Tiers::new(
            &c,
            &[tier("low", &["view"]), tier("mid", &["manage", "report"]), tier("top", &["admin"])],
        )
        .unwrap();
        assert_eq!(t.len(), 3);
        assert_eq!(c.codes(t.available(0)), vec!["view"]);
        assert_eq!(c.codes(t.available(1)), vec!["manage", "view", "report"]);
        assert_eq!(c.codes(t.available(2)), vec!["admin", "manage", "view", "report"]);
        assert_eq!(c.codes(t.own(1)), vec!["manage", "report"]);
        assert_eq!(t.tier_of(c.id("admin").unwrap()), Some(2));
        assert_eq!(t.tier_of(c.id("view").unwrap()), Some(0));
        assert_eq!(t.index("mid"), Some(1));
        assert_eq!(t.require("nope").unwrap_err().code(), "unknown_tier");
        // Out of range: nothing available, no panic.
        assert!(t.available(9).is_empty());
        assert_eq!(t.code(9), "");
    }

    #[test]
    fn check_names_the_first_permission_outside_the_tier() {
        let c = catalog();
        let t = Tiers::new(
            &c,
            &[tier("low", &["view"]), tier("mid", &["manage", "report"]), tier("top", &["admin"])],
        )
        .unwrap();
        let set = c.set_of(&["admin"]).unwrap();
        let err = t.check(&c, set, 1).unwrap_err();
        assert_eq!(err.code(), "not_in_tier");
        assert_eq!(err, Denial::NotInTier { permission: "admin".into(), tier: "mid".into() });
        assert_eq!(err.to_string(), "permission `admin` is not available in tier `mid`");
        assert!(t.check(&c, set, 2).is_ok());
        assert!(t.check(&c, PermSet::EMPTY, 0).is_ok());
        assert!(t.check(&c, c.set_of(&["view"]).unwrap(), 7).is_err());
    }

    #[test]
    fn tiers_must_be_closed_unique_and_known() {
        let c = catalog();
        let open = Tiers::new(&c, &[tier("low", &["manage"]), tier("top", &["view", "admin"])]).unwrap_err();
        assert_eq!(
            open,
            PolicyError::TierNotClosed {
                tier: "low".into(),
                permission: "manage".into(),
                dependency: "view".into()
            }
        );
        assert_eq!(open.code(), "tier_not_closed");
        let twice = Tiers::new(&c, &[tier("low", &["view"]), tier("top", &["view"])]).unwrap_err();
        assert_eq!(twice.code(), "permission_in_two_tiers");
        assert_eq!(twice.to_string(), "permission `view` is listed in tiers `low` and `top`");
        assert_eq!(Tiers::new(&c, &[tier("a", &[]), tier("a", &[])]).unwrap_err().code(), "duplicate_tier");
        assert_eq!(Tiers::new(&c, &[tier("a", &["zz"])]).unwrap_err().code(), "unknown_permission");
        assert!(Tiers::new(&c, &[]).unwrap().is_empty());
    }
}
