//! The facts indexed for fast answers: dense ids, membership lists by group and by user (sorted,
//! contiguous), feeds by owner. A check allocates nothing.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::error::WireError;
use crate::model::{FeedRow, GroupRow, Id, MembershipRow, Role, State, UserRow};
use crate::profiles::emoncms::policy;

/// Dense index of a group, user or feed within one snapshot.
pub(crate) type Dense = u32;

const ABSENT: u32 = u32::MAX;

/// A small multiplicative hasher for integer keys (ids are not attacker-chosen hash-flooding
/// material: they come from the host's own database).
#[derive(Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(n)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

pub(crate) type IdHashMap<V> = HashMap<u32, V, BuildHasherDefault<IdHasher>>;

/// Id → dense index: a direct table when ids are compact (the usual auto-increment case), a hash
/// map otherwise.
#[derive(Debug, Clone)]
pub(crate) enum IdMap {
    Direct(Vec<u32>),
    Hashed(IdHashMap<u32>),
}

impl IdMap {
    /// Builds the map of `ids` (position = dense index); a repeated id is reported.
    fn build(ids: impl Iterator<Item = Id> + Clone, len: usize) -> Result<IdMap, Id> {
        let max = ids.clone().max().unwrap_or(0) as usize;
        if max <= 4 * len + 1024 {
            let mut table = vec![ABSENT; max + 1];
            for (i, id) in ids.enumerate() {
                let slot = &mut table[id as usize];
                if *slot != ABSENT {
                    return Err(id);
                }
                *slot = i as u32;
            }
            Ok(IdMap::Direct(table))
        } else {
            let mut map = IdHashMap::with_capacity_and_hasher(len, Default::default());
            for (i, id) in ids.enumerate() {
                if map.insert(id, i as u32).is_some() {
                    return Err(id);
                }
            }
            Ok(IdMap::Hashed(map))
        }
    }

    #[inline]
    pub(crate) fn get(&self, id: Id) -> Option<Dense> {
        match self {
            IdMap::Direct(t) => t.get(id as usize).copied().filter(|&d| d != ABSENT),
            IdMap::Hashed(m) => m.get(&id).copied(),
        }
    }

    /// Adds `id` → `dense` (`dense` counts the entries so far). A direct table only grows while
    /// it stays dense; an outlying id (a bare member of id 2,147,480,000, say) switches to the hash
    /// map instead of allocating gigabytes.
    fn insert_new(&mut self, id: Id, dense: Dense) {
        if let IdMap::Direct(t) = self {
            let slot = id as usize;
            if slot < t.len() {
                t[slot] = dense;
                return;
            }
            if slot <= 4 * (dense as usize + 1) + 1024 {
                t.resize(slot + 1, ABSENT);
                t[slot] = dense;
                return;
            }
            let map =
                t.iter().enumerate().filter(|&(_, &d)| d != ABSENT).map(|(i, &d)| (i as u32, d)).collect();
            *self = IdMap::Hashed(map);
        }
        if let IdMap::Hashed(m) = self {
            m.insert(id, dense);
        }
    }
}

/// One member of a group, as seen from the group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Member {
    pub user: Dense,
    pub role: Role,
    pub full: bool,
    /// The stored role integer (clamped to i32), for chains and listings.
    pub raw: i32,
    /// Index of the kept `group_users` row (for raw values), or `ABSENT` for a hypothetical one.
    pub row: u32,
}

/// One membership of a user, as seen from the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MemberOf {
    pub group: Dense,
    pub role: Role,
    pub full: bool,
    /// The stored role integer (clamped to i32).
    pub raw: i32,
}

/// The indexed facts of the emoncms profile.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub(crate) groups: Vec<GroupRow>,
    group_ix: IdMap,
    pub(crate) users: Vec<UserRow>,
    user_ix: IdMap,
    pub(crate) feeds: Vec<FeedRow>,
    /// (owner dense, public) per feed: the hot data of a feed check, kept apart from the rows.
    feed_meta: Vec<(Dense, bool)>,
    feed_ix: IdMap,
    pub(crate) memberships: Vec<MembershipRow>,
    gm_start: Vec<u32>,
    gm: Vec<Member>,
    um_start: Vec<u32>,
    um: Vec<MemberOf>,
    uf_start: Vec<u32>,
    uf: Vec<Dense>,
}

impl Snapshot {
    /// Indexes `state`. Repeated group, user or feed ids are an `invalid_state` error; duplicate
    /// membership rows keep the one granting least; rows of unknown groups are ignored.
    pub fn build(state: State) -> Result<Snapshot, WireError> {
        let State { groups, memberships, mut users, feeds } = state;
        let group_ix = IdMap::build(groups.iter().map(|g| g.id), groups.len())
            .map_err(|id| WireError::invalid_state(format!("group id {id} appears twice")))?;
        let mut user_ix = IdMap::build(users.iter().map(|u| u.id), users.len())
            .map_err(|id| WireError::invalid_state(format!("user id {id} appears twice")))?;
        // Members and feed owners the host did not load a users row for get a bare row, so every
        // dense user index is valid.
        let mut ensure_user = |id: Id, users: &mut Vec<UserRow>| -> Dense {
            if let Some(d) = user_ix.get(id) {
                return d;
            }
            let d = users.len() as Dense;
            users.push(UserRow::bare(id));
            user_ix.insert_new(id, d);
            d
        };

        // Memberships: keep rows of known groups, resolve users, then dedupe (group, user) pairs.
        let pol = policy();
        let mut rows: Vec<(Dense, Dense, u32)> = Vec::with_capacity(memberships.len());
        for (i, m) in memberships.iter().enumerate() {
            if let Some(g) = group_ix.get(m.groupid) {
                let u = ensure_user(m.userid, &mut users);
                rows.push((g, u, i as u32));
            }
        }
        crate::util::sort_by_key(&mut rows, |&(g, u, _)| (g, u));
        let strength = |row: u32| {
            let m = &memberships[row as usize];
            let role = Role::from_code(m.role);
            (pol.role_permissions(role).len(), m.admin_rights.as_deref() == Some("full"), row)
        };
        let mut kept: Vec<(Dense, Dense, u32)> = Vec::with_capacity(rows.len());
        for r in rows {
            match kept.last_mut() {
                Some(last) if last.0 == r.0 && last.1 == r.1 => {
                    if strength(r.2) < strength(last.2) {
                        last.2 = r.2;
                    }
                }
                _ => kept.push(r),
            }
        }
        let member_of = |row: u32| {
            let m = &memberships[row as usize];
            let raw = m.role.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32;
            (Role::from_code(m.role), m.admin_rights.as_deref() == Some("full"), raw)
        };

        // Feeds.
        let feed_ix = IdMap::build(feeds.iter().map(|f| f.id), feeds.len())
            .map_err(|id| WireError::invalid_state(format!("feed id {id} appears twice")))?;
        let mut feed_meta = Vec::with_capacity(feeds.len());
        for f in &feeds {
            feed_meta.push((ensure_user(f.userid, &mut users), f.public));
        }

        let n_groups = groups.len();
        let n_users = users.len();
        // By group: `kept` is sorted by (group, user) already.
        let gm_start = starts(n_groups, kept.iter().map(|k| k.0));
        let gm: Vec<Member> = kept
            .iter()
            .map(|&(_, u, row)| {
                let (role, full, raw) = member_of(row);
                Member { user: u, role, full, raw, row }
            })
            .collect();
        // By user: sort a copy by (user, group).
        let mut by_user = kept.clone();
        crate::util::sort_by_key(&mut by_user, |&(g, u, _)| (u, g));
        let um_start = starts(n_users, by_user.iter().map(|k| k.1));
        let um: Vec<MemberOf> = by_user
            .iter()
            .map(|&(g, _, row)| {
                let (role, full, raw) = member_of(row);
                MemberOf { group: g, role, full, raw }
            })
            .collect();
        // Feeds by owner, in state order (a stable sort keeps it).
        let mut owned: Vec<(Dense, Dense)> =
            feed_meta.iter().enumerate().map(|(f, &(o, _))| (o, f as Dense)).collect();
        crate::util::sort_by_key(&mut owned, |&(o, _)| o);
        let uf_start = starts(n_users, owned.iter().map(|k| k.0));
        let uf = owned.into_iter().map(|(_, f)| f).collect();

        Ok(Snapshot {
            groups,
            group_ix,
            users,
            user_ix,
            feeds,
            feed_meta,
            feed_ix,
            memberships,
            gm_start,
            gm,
            um_start,
            um,
            uf_start,
            uf,
        })
    }

    /// The facts back as rows (what `apply` and redaction work on).
    pub fn to_state(&self) -> State {
        State {
            groups: self.groups.clone(),
            memberships: self.memberships.clone(),
            users: self.users.clone(),
            feeds: self.feeds.clone(),
        }
    }

    /// Number of groups, users (including bare ones), feeds and kept memberships.
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        (self.groups.len(), self.users.len(), self.feeds.len(), self.gm.len())
    }
}

/// CSR start offsets for `n` buckets from keys that arrive sorted.
fn starts(n: usize, keys: impl Iterator<Item = Dense>) -> Vec<u32> {
    let mut counts = vec![0u32; n + 1];
    for k in keys {
        counts[k as usize + 1] += 1;
    }
    for i in 0..n {
        counts[i + 1] += counts[i];
    }
    counts
}

/// Read access to facts, implemented by the snapshot and by a what-if overlay on it, so every
/// rule is written once.
pub(crate) trait Facts {
    fn group_dense(&self, id: Id) -> Option<Dense>;
    fn group(&self, g: Dense) -> &GroupRow;
    fn group_count(&self) -> usize;
    fn user_dense(&self, id: Id) -> Option<Dense>;
    fn user(&self, u: Dense) -> &UserRow;
    /// Members of `g`, sorted by dense user.
    fn members(&self, g: Dense) -> &[Member];
    /// Groups of `u`, sorted by dense group.
    fn groups_of(&self, u: Dense) -> &[MemberOf];
    fn feed_dense(&self, id: Id) -> Option<Dense>;
    fn feed_meta(&self, f: Dense) -> (Dense, bool);
    fn feed_id(&self, f: Dense) -> Id;
    fn feeds_of(&self, u: Dense) -> &[Dense];

    /// The membership of `u` in `g`, if any.
    #[inline]
    fn membership(&self, g: Dense, u: Dense) -> Option<MemberOf> {
        let list = self.groups_of(u);
        list.binary_search_by_key(&g, |m| m.group).ok().map(|i| list[i])
    }
}

impl Facts for Snapshot {
    #[inline]
    fn group_dense(&self, id: Id) -> Option<Dense> {
        self.group_ix.get(id)
    }
    fn group(&self, g: Dense) -> &GroupRow {
        &self.groups[g as usize]
    }
    fn group_count(&self) -> usize {
        self.groups.len()
    }
    #[inline]
    fn user_dense(&self, id: Id) -> Option<Dense> {
        self.user_ix.get(id)
    }
    fn user(&self, u: Dense) -> &UserRow {
        &self.users[u as usize]
    }
    #[inline]
    fn members(&self, g: Dense) -> &[Member] {
        let g = g as usize;
        &self.gm[self.gm_start[g] as usize..self.gm_start[g + 1] as usize]
    }
    #[inline]
    fn groups_of(&self, u: Dense) -> &[MemberOf] {
        let u = u as usize;
        &self.um[self.um_start[u] as usize..self.um_start[u + 1] as usize]
    }
    #[inline]
    fn feed_dense(&self, id: Id) -> Option<Dense> {
        self.feed_ix.get(id)
    }
    #[inline]
    fn feed_meta(&self, f: Dense) -> (Dense, bool) {
        self.feed_meta[f as usize]
    }
    fn feed_id(&self, f: Dense) -> Id {
        self.feeds[f as usize].id
    }
    fn feeds_of(&self, u: Dense) -> &[Dense] {
        let u = u as usize;
        &self.uf[self.uf_start[u] as usize..self.uf_start[u + 1] as usize]
    }
}

/// A hypothetical change of memberships and groups on top of a snapshot (what-if), without
/// copying the snapshot: only the member lists of touched groups and users are replaced.
pub(crate) struct Overlay<'a> {
    base: &'a Snapshot,
    gm: IdHashMap<Vec<Member>>,
    um: IdHashMap<Vec<MemberOf>>,
    deleted: IdHashMap<()>,
    extra_groups: Vec<GroupRow>,
    extra_group_ix: IdHashMap<Dense>,
    extra_users: Vec<UserRow>,
    extra_user_ix: IdHashMap<Dense>,
}

impl<'a> Overlay<'a> {
    pub(crate) fn new(base: &'a Snapshot) -> Overlay<'a> {
        Overlay {
            base,
            gm: IdHashMap::default(),
            um: IdHashMap::default(),
            deleted: IdHashMap::default(),
            extra_groups: Vec::new(),
            extra_group_ix: IdHashMap::default(),
            extra_users: Vec::new(),
            extra_user_ix: IdHashMap::default(),
        }
    }

    pub(crate) fn add_group(&mut self, row: GroupRow) -> Result<Dense, String> {
        if self.group_dense(row.id).is_some() {
            return Err(format!("group {} exists already", row.id));
        }
        let d = (self.base.groups.len() + self.extra_groups.len()) as Dense;
        self.extra_group_ix.insert(row.id, d);
        self.extra_groups.push(row);
        self.gm.insert(d, Vec::new());
        Ok(d)
    }

    pub(crate) fn ensure_user(&mut self, id: Id) -> Dense {
        if let Some(d) = self.user_dense(id) {
            return d;
        }
        let d = (self.base.users.len() + self.extra_users.len()) as Dense;
        self.extra_user_ix.insert(id, d);
        self.extra_users.push(UserRow::bare(id));
        d
    }

    pub(crate) fn delete_group(&mut self, g: Dense) {
        let members: Vec<Dense> = self.members(g).iter().map(|m| m.user).collect();
        for u in members {
            self.remove_membership(g, u);
        }
        self.deleted.insert(g, ());
    }

    /// Sets (or inserts) the membership of `u` in `g`.
    pub(crate) fn set_membership(&mut self, g: Dense, u: Dense, role: Role, full: bool) {
        let mut members = self.members(g).to_vec();
        let raw = role.code().unwrap_or(-1) as i32;
        let member = Member { user: u, role, full, raw, row: ABSENT };
        match members.binary_search_by_key(&u, |m| m.user) {
            Ok(i) => members[i] = member,
            Err(i) => members.insert(i, member),
        }
        self.gm.insert(g, members);
        let mut groups = self.groups_of(u).to_vec();
        let of = MemberOf { group: g, role, full, raw };
        match groups.binary_search_by_key(&g, |m| m.group) {
            Ok(i) => groups[i] = of,
            Err(i) => groups.insert(i, of),
        }
        self.um.insert(u, groups);
    }

    pub(crate) fn remove_membership(&mut self, g: Dense, u: Dense) -> bool {
        let mut members = self.members(g).to_vec();
        let Ok(i) = members.binary_search_by_key(&u, |m| m.user) else {
            return false;
        };
        members.remove(i);
        self.gm.insert(g, members);
        let mut groups = self.groups_of(u).to_vec();
        if let Ok(i) = groups.binary_search_by_key(&g, |m| m.group) {
            groups.remove(i);
        }
        self.um.insert(u, groups);
        true
    }
}

impl Facts for Overlay<'_> {
    fn group_dense(&self, id: Id) -> Option<Dense> {
        self.base
            .group_dense(id)
            .or_else(|| self.extra_group_ix.get(&id).copied())
            .filter(|g| !self.deleted.contains_key(g))
    }
    fn group(&self, g: Dense) -> &GroupRow {
        let n = self.base.groups.len();
        if (g as usize) < n { self.base.group(g) } else { &self.extra_groups[g as usize - n] }
    }
    fn group_count(&self) -> usize {
        self.base.groups.len() + self.extra_groups.len()
    }
    fn user_dense(&self, id: Id) -> Option<Dense> {
        self.base.user_dense(id).or_else(|| self.extra_user_ix.get(&id).copied())
    }
    fn user(&self, u: Dense) -> &UserRow {
        let n = self.base.users.len();
        if (u as usize) < n { self.base.user(u) } else { &self.extra_users[u as usize - n] }
    }
    fn members(&self, g: Dense) -> &[Member] {
        match self.gm.get(&g) {
            Some(list) => list,
            None if (g as usize) < self.base.groups.len() => self.base.members(g),
            None => &[],
        }
    }
    fn groups_of(&self, u: Dense) -> &[MemberOf] {
        match self.um.get(&u) {
            Some(list) => list,
            None if (u as usize) < self.base.users.len() => self.base.groups_of(u),
            None => &[],
        }
    }
    fn feed_dense(&self, id: Id) -> Option<Dense> {
        self.base.feed_dense(id)
    }
    fn feed_meta(&self, f: Dense) -> (Dense, bool) {
        self.base.feed_meta(f)
    }
    fn feed_id(&self, f: Dense) -> Id {
        self.base.feed_id(f)
    }
    fn feeds_of(&self, u: Dense) -> &[Dense] {
        if (u as usize) < self.base.users.len() { self.base.feeds_of(u) } else { &[] }
    }
}
