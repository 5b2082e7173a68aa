//! The facts indexed for fast answers: dense ids, membership lists by group and by user (sorted,
//! contiguous), feeds by owner. A check allocates nothing.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::value::RawValue;

use super::model::{FeedParts, FeedRow, GroupRow, Id, MembershipRow, Role, State, UserRow};
use super::policy::policy;
use crate::error::WireError;

/// Dense index of a group, user or feed within one snapshot.
pub(crate) type Dense = u32;

const ABSENT: u32 = u32::MAX;

/// A map of `u32` keys to `u32` values other than `ABSENT`: open addressing with linear probing
/// and multiplicative hashing (ids are not attacker-chosen hash-flooding material: they come from
/// the host's own database). One non-generic table serves every index, where a `HashMap` would
/// add a copy of its code per key and value type to the WebAssembly module.
#[derive(Debug, Clone, Default)]
pub(crate) struct U32Map {
    /// (key, value) slots, none or a power of two (at least 16) of them, at most half used; a
    /// free slot holds the value `ABSENT`.
    slots: Vec<(u32, u32)>,
    /// 32 minus log2 of the slot count: the hash is the top bits of the key times a constant.
    shift: u32,
    len: usize,
}

impl U32Map {
    /// An empty map that holds `n` entries without growing.
    fn with_capacity(n: usize) -> U32Map {
        let mut map = U32Map::default();
        map.resize((2 * n).next_power_of_two().max(16));
        map
    }

    /// The slot holding `key`, or the free slot where it goes. The table must not be empty.
    #[inline]
    fn slot(&self, key: u32) -> usize {
        let mask = self.slots.len() - 1;
        let mut i = (key.wrapping_mul(0x9e37_79b9) >> self.shift) as usize;
        loop {
            let (k, v) = self.slots[i];
            if v == ABSENT || k == key {
                return i;
            }
            i = (i + 1) & mask;
        }
    }

    #[inline]
    pub(crate) fn get(&self, key: u32) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let v = self.slots[self.slot(key)].1;
        if v == ABSENT { None } else { Some(v) }
    }

    /// Sets `key` → `value` (not `ABSENT`); returns the value it replaces.
    pub(crate) fn insert(&mut self, key: u32, value: u32) -> Option<u32> {
        if 2 * (self.len + 1) > self.slots.len() {
            self.resize((2 * self.slots.len()).max(16));
        }
        let i = self.slot(key);
        let old = std::mem::replace(&mut self.slots[i], (key, value)).1;
        if old == ABSENT {
            self.len += 1;
            None
        } else {
            Some(old)
        }
    }

    /// Rehashes into `size` slots (a power of two, at least 16).
    fn resize(&mut self, size: usize) {
        let old = std::mem::replace(&mut self.slots, vec![(0, ABSENT); size]);
        self.shift = 32 - size.trailing_zeros();
        for (k, v) in old {
            if v != ABSENT {
                let i = self.slot(k);
                self.slots[i] = (k, v);
            }
        }
    }
}

/// Id → dense index: a direct table when ids are compact (the usual auto-increment case), a hash
/// map otherwise.
#[derive(Debug, Clone)]
pub(crate) enum IdMap {
    Direct(Vec<u32>),
    Hashed(U32Map),
}

impl IdMap {
    /// Builds the map of `ids` (position = dense index); a repeated id is reported.
    fn build(ids: &[Id]) -> Result<IdMap, Id> {
        let mut max = 0;
        for &id in ids {
            max = max.max(id as usize);
        }
        if max <= 4 * ids.len() + 1024 {
            let mut table = vec![ABSENT; max + 1];
            for (i, &id) in ids.iter().enumerate() {
                let slot = &mut table[id as usize];
                if *slot != ABSENT {
                    return Err(id);
                }
                *slot = i as u32;
            }
            Ok(IdMap::Direct(table))
        } else {
            let mut map = U32Map::with_capacity(ids.len());
            for (i, &id) in ids.iter().enumerate() {
                if map.insert(id, i as u32).is_some() {
                    return Err(id);
                }
            }
            Ok(IdMap::Hashed(map))
        }
    }

    /// [`IdMap::build`] for the rows of table `what`, a repeated id being an `invalid_state` error.
    fn build_of(what: &str, ids: &[Id]) -> Result<IdMap, WireError> {
        IdMap::build(ids).map_err(|id| WireError::invalid_state(format!("{what} id {id} appears twice")))
    }

    #[inline]
    pub(crate) fn get(&self, id: Id) -> Option<Dense> {
        match self {
            IdMap::Direct(t) => t.get(id as usize).copied().filter(|&d| d != ABSENT),
            IdMap::Hashed(m) => m.get(id),
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
            let mut map = U32Map::with_capacity(dense as usize + 1);
            for (i, &d) in t.iter().enumerate() {
                if d != ABSENT {
                    map.insert(i as u32, d);
                }
            }
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
    /// The stored `admin_rights` text, an index into the snapshot's `rights`; `ABSENT` for NULL
    /// (and for a hypothetical membership).
    pub rights: u32,
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

/// What a snapshot keeps of a feed row besides its owner and `public` (and its text, apart).
#[derive(Debug, Clone, Copy)]
struct FeedFact {
    id: Id,
    /// Index into `feed_names`, `NO_NAME` when the row has none.
    name: u32,
    /// NaN when unknown (an `Option<f64>` would take twice the room).
    time: f64,
    value: f64,
}

/// `v`, NaN for none.
fn or_nan(v: Option<f64>) -> f64 {
    v.unwrap_or(f64::NAN)
}

/// `v`, none for NaN.
fn known(v: f64) -> Option<f64> {
    (!v.is_nan()).then_some(v)
}

const NO_NAME: u32 = u32::MAX;

/// A feed row as answers write it: the host's text, or the facts.
#[derive(Debug, Clone, Copy)]
pub(crate) enum FeedOut<'a> {
    Text(&'a RawValue),
    Parts(FeedParts<'a>),
}

impl Serialize for FeedOut<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            FeedOut::Text(text) => text.serialize(s),
            FeedOut::Parts(parts) => parts.serialize(s),
        }
    }
}

/// The indexed facts of the emoncms profile.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub(crate) groups: Vec<GroupRow>,
    group_ix: IdMap,
    pub(crate) users: Vec<UserRow>,
    user_ix: IdMap,
    /// What answers read of each feed; its name is an index into `feed_names`.
    feeds: Vec<FeedFact>,
    feed_names: Vec<Box<str>>,
    /// The host's text of each feed row, in feed order, when the rows were read from JSON (none
    /// when they were built from their parts: those are written from the facts).
    feed_texts: Vec<Box<RawValue>>,
    /// (owner dense, public) per feed: the hot data of a feed check, kept apart from the rows.
    feed_meta: Vec<(Dense, bool)>,
    feed_ix: IdMap,
    /// The distinct `admin_rights` texts of the kept memberships.
    rights: Vec<Box<str>>,
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
        let mut ids = Vec::with_capacity(groups.len());
        for g in &groups {
            ids.push(g.id);
        }
        let group_ix = IdMap::build_of("group", &ids)?;
        ids.clear();
        for u in &users {
            ids.push(u.id);
        }
        let mut user_ix = IdMap::build_of("user", &ids)?;
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

        // Memberships: keep rows of known groups, resolve users (one column each), then order
        // them by (group, user), stably, and dedupe (group, user) pairs.
        let pol = policy();
        let (mut row_g, mut row_u) = (Vec::new(), Vec::new());
        let mut rows = Vec::new();
        for (i, m) in memberships.iter().enumerate() {
            if let Some(g) = group_ix.get(m.groupid) {
                row_g.push(g);
                row_u.push(ensure_user(m.userid, &mut users));
                rows.push(i as u32);
            }
        }
        let (_, by_user) = bucket(users.len(), &row_u, &iota(rows.len()));
        let (_, sorted) = bucket(groups.len(), &row_g, &by_user);
        let strength = |row: u32| {
            let m = &memberships[row as usize];
            let role = Role::from_code(m.role);
            (pol.role_permissions(role).len(), m.admin_rights.as_deref() == Some("full"), row)
        };
        // The kept rows, as columns: group, user, `memberships` index.
        let (mut kept_g, mut kept_u, mut kept_row): (Vec<Dense>, Vec<Dense>, Vec<u32>) =
            (Vec::new(), Vec::new(), Vec::new());
        for &k in &sorted {
            let (g, u, row) = (row_g[k as usize], row_u[k as usize], rows[k as usize]);
            match kept_row.last_mut() {
                Some(last) if kept_g.last() == Some(&g) && kept_u.last() == Some(&u) => {
                    if strength(row) < strength(*last) {
                        *last = row;
                    }
                }
                _ => {
                    kept_g.push(g);
                    kept_u.push(u);
                    kept_row.push(row);
                }
            }
        }

        // Feeds: the facts, each name once, the texts apart (all or none: a row without one
        // among rows with one gets the text of its parts).
        ids.clear();
        for f in &feeds {
            ids.push(f.id);
        }
        let feed_ix = IdMap::build_of("feed", &ids)?;
        let n_feeds = feeds.len();
        let mut feed_meta = Vec::with_capacity(n_feeds);
        let mut owners = Vec::with_capacity(n_feeds);
        let mut facts = Vec::with_capacity(n_feeds);
        let mut feed_names: Vec<Box<str>> = Vec::new();
        let mut name_ix: HashMap<Box<str>, u32> = HashMap::new();
        let any_text = feeds.iter().any(|f| f.text().is_some());
        let mut feed_texts = Vec::with_capacity(if any_text { n_feeds } else { 0 });
        for mut f in feeds {
            let owner = ensure_user(f.userid, &mut users);
            feed_meta.push((owner, f.public));
            owners.push(owner);
            if any_text {
                let text = f.take_text().or_else(|| parts_text(&f));
                feed_texts.extend(text);
            }
            let name = match f.name {
                None => NO_NAME,
                Some(name) => match name_ix.get(name.as_str()) {
                    Some(&i) => i,
                    None => {
                        let i = feed_names.len() as u32;
                        let name: Box<str> = name.into();
                        name_ix.insert(name.clone(), i);
                        feed_names.push(name);
                        i
                    }
                },
            };
            facts.push(FeedFact { id: f.id, name, time: or_nan(f.time), value: or_nan(f.value) });
        }
        drop(name_ix);
        let feeds = facts;

        let n_users = users.len();
        // By group: the kept rows are in (group, user) order already.
        let kept = iota(kept_row.len());
        let (gm_start, _) = bucket(groups.len(), &kept_g, &kept);
        let mut gm = Vec::with_capacity(kept.len());
        let mut rights: Vec<Box<str>> = Vec::new();
        for &k in &kept {
            let (user, row) = (kept_u[k as usize], kept_row[k as usize]);
            let m = &memberships[row as usize];
            // `group_users.role` is an int(11): every stored role fits.
            let raw = m.role.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32;
            let full = m.admin_rights.as_deref() == Some("full");
            let text = match m.admin_rights.as_deref() {
                None => ABSENT,
                Some(t) => match rights.iter().position(|r| &**r == t) {
                    Some(i) => i as u32,
                    None => {
                        rights.push(t.into());
                        (rights.len() - 1) as u32
                    }
                },
            };
            gm.push(Member { user, role: Role::from_code(m.role), full, raw, rights: text });
        }
        drop(memberships);
        // By user: a stable bucketing keeps each user's groups in order.
        let (um_start, by_user) = bucket(n_users, &kept_u, &kept);
        let mut um = Vec::with_capacity(kept.len());
        for &k in &by_user {
            let Member { role, full, raw, .. } = gm[k as usize];
            um.push(MemberOf { group: kept_g[k as usize], role, full, raw });
        }
        // Feeds by owner, in state order.
        let (uf_start, uf) = bucket(n_users, &owners, &iota(n_feeds));

        Ok(Snapshot {
            groups,
            group_ix,
            users,
            user_ix,
            feeds,
            feed_names,
            feed_texts,
            feed_meta,
            feed_ix,
            rights,
            gm_start,
            gm,
            um_start,
            um,
            uf_start,
            uf,
        })
    }

    /// The facts back as rows: the kept memberships (one per group and user, of known groups).
    pub fn to_state(&self) -> State {
        State {
            groups: self.groups.clone(),
            memberships: (0..self.groups.len() as Dense)
                .flat_map(|g| self.members(g).iter().map(move |m| self.membership_row(g, m)))
                .collect(),
            users: self.users.clone(),
            feeds: (0..self.feeds.len() as Dense).map(|f| self.feed_row(f)).collect(),
        }
    }

    /// The kept `group_users` row of member `m` of group `g`.
    pub(crate) fn membership_row(&self, g: Dense, m: &Member) -> MembershipRow {
        MembershipRow {
            groupid: self.groups[g as usize].id,
            userid: self.users[m.user as usize].id,
            role: i64::from(m.raw),
            admin_rights: self.rights_text(m).map(str::to_string),
        }
    }

    /// The stored `admin_rights` text of member `m`.
    pub(crate) fn rights_text(&self, m: &Member) -> Option<&str> {
        self.rights.get(m.rights as usize).map(|r| &**r)
    }

    /// Feed `f` as a row again, its text included.
    pub(crate) fn feed_row(&self, f: Dense) -> FeedRow {
        let (owner, public) = self.feed_meta(f);
        let fact = self.feeds[f as usize];
        let text = self.feed_texts.get(f as usize).cloned();
        let mut row = FeedRow::new(fact.id, self.users[owner as usize].id, public, "", 0.0, 0.0);
        (row.name, row.time, row.value) =
            (self.feed_name(f).map(str::to_string), known(fact.time), known(fact.value));
        row.with_text(text)
    }

    /// Feed `f` as answers write it.
    pub(crate) fn feed_out(&self, f: Dense) -> FeedOut<'_> {
        if let Some(text) = self.feed_texts.get(f as usize) {
            return FeedOut::Text(text);
        }
        let (owner, public) = self.feed_meta(f);
        let fact = self.feeds[f as usize];
        FeedOut::Parts(FeedParts {
            id: fact.id,
            userid: self.users[owner as usize].id,
            name: self.feed_name(f),
            public,
            time: known(fact.time),
            value: known(fact.value),
        })
    }

    /// The name of feed `f`.
    pub(crate) fn feed_name(&self, f: Dense) -> Option<&str> {
        let i = self.feeds.get(f as usize)?.name;
        self.feed_names.get(i as usize).map(|n| &**n)
    }

    /// The `time` and `value` of feed `f`.
    pub(crate) fn feed_reading(&self, f: Dense) -> (Option<f64>, Option<f64>) {
        self.feeds.get(f as usize).map_or((None, None), |x| (known(x.time), known(x.value)))
    }

    /// Number of groups, users (including bare ones), feeds and kept memberships.
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        (self.groups.len(), self.users.len(), self.feeds.len(), self.gm.len())
    }
}

/// The text of a row built from its parts, for a store of texts.
fn parts_text(f: &FeedRow) -> Option<Box<RawValue>> {
    RawValue::from_string(crate::value::to_string(f)).ok()
}

/// `0, 1, …, n - 1`.
fn iota(n: usize) -> Vec<u32> {
    (0..n as u32).collect()
}

/// A stable counting sort: `items` ordered by `keys[item]` (each below `n`), and the CSR start
/// offsets of the `n` keys in that order.
fn bucket(n: usize, keys: &[u32], items: &[u32]) -> (Vec<u32>, Vec<u32>) {
    let mut starts = vec![0u32; n + 1];
    for &i in items {
        starts[keys[i as usize] as usize + 1] += 1;
    }
    for k in 0..n {
        starts[k + 1] += starts[k];
    }
    let mut next = starts.clone();
    let mut sorted = vec![0u32; items.len()];
    for &i in items {
        let at = &mut next[keys[i as usize] as usize];
        sorted[*at as usize] = i;
        *at += 1;
    }
    (starts, sorted)
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
    /// Dense group → index of its replaced member list in `gm`.
    gm_ix: U32Map,
    gm: Vec<Vec<Member>>,
    /// Dense user → index of its replaced membership list in `um`.
    um_ix: U32Map,
    um: Vec<Vec<MemberOf>>,
    /// Deleted dense groups (the value is unused).
    deleted: U32Map,
    extra_groups: Vec<GroupRow>,
    extra_group_ix: U32Map,
    extra_users: Vec<UserRow>,
    extra_user_ix: U32Map,
}

/// Sets the list of `key` in a map of replaced lists.
fn replace_list<T>(ix: &mut U32Map, lists: &mut Vec<Vec<T>>, key: Dense, list: Vec<T>) {
    match ix.get(key) {
        Some(i) => lists[i as usize] = list,
        None => {
            ix.insert(key, lists.len() as u32);
            lists.push(list);
        }
    }
}

impl<'a> Overlay<'a> {
    pub(crate) fn new(base: &'a Snapshot) -> Overlay<'a> {
        Overlay {
            base,
            gm_ix: U32Map::default(),
            gm: Vec::new(),
            um_ix: U32Map::default(),
            um: Vec::new(),
            deleted: U32Map::default(),
            extra_groups: Vec::new(),
            extra_group_ix: U32Map::default(),
            extra_users: Vec::new(),
            extra_user_ix: U32Map::default(),
        }
    }

    pub(crate) fn add_group(&mut self, row: GroupRow) -> Result<Dense, String> {
        if self.group_dense(row.id).is_some() {
            return Err(format!("group {} exists already", row.id));
        }
        let d = (self.base.groups.len() + self.extra_groups.len()) as Dense;
        self.extra_group_ix.insert(row.id, d);
        self.extra_groups.push(row);
        replace_list(&mut self.gm_ix, &mut self.gm, d, Vec::new());
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
        let mut members = Vec::new();
        for m in self.members(g) {
            members.push(m.user);
        }
        for u in members {
            self.remove_membership(g, u);
        }
        self.deleted.insert(g, 0);
    }

    /// Sets (or inserts) the membership of `u` in `g`.
    pub(crate) fn set_membership(&mut self, g: Dense, u: Dense, role: Role, full: bool) {
        let mut members = self.members(g).to_vec();
        let raw = role.code().unwrap_or(-1) as i32;
        let member = Member { user: u, role, full, raw, rights: ABSENT };
        match members.binary_search_by_key(&u, |m| m.user) {
            Ok(i) => members[i] = member,
            Err(i) => members.insert(i, member),
        }
        replace_list(&mut self.gm_ix, &mut self.gm, g, members);
        let mut groups = self.groups_of(u).to_vec();
        let of = MemberOf { group: g, role, full, raw };
        match groups.binary_search_by_key(&g, |m| m.group) {
            Ok(i) => groups[i] = of,
            Err(i) => groups.insert(i, of),
        }
        replace_list(&mut self.um_ix, &mut self.um, u, groups);
    }

    pub(crate) fn remove_membership(&mut self, g: Dense, u: Dense) -> bool {
        let mut members = self.members(g).to_vec();
        let Ok(i) = members.binary_search_by_key(&u, |m| m.user) else {
            return false;
        };
        members.remove(i);
        replace_list(&mut self.gm_ix, &mut self.gm, g, members);
        let mut groups = self.groups_of(u).to_vec();
        if let Ok(i) = groups.binary_search_by_key(&g, |m| m.group) {
            groups.remove(i);
        }
        replace_list(&mut self.um_ix, &mut self.um, u, groups);
        true
    }
}

impl Facts for Overlay<'_> {
    fn group_dense(&self, id: Id) -> Option<Dense> {
        self.base
            .group_dense(id)
            .or_else(|| self.extra_group_ix.get(id))
            .filter(|&g| self.deleted.get(g).is_none())
    }
    fn group(&self, g: Dense) -> &GroupRow {
        let n = self.base.groups.len();
        if (g as usize) < n { self.base.group(g) } else { &self.extra_groups[g as usize - n] }
    }
    fn group_count(&self) -> usize {
        self.base.groups.len() + self.extra_groups.len()
    }
    fn user_dense(&self, id: Id) -> Option<Dense> {
        self.base.user_dense(id).or_else(|| self.extra_user_ix.get(id))
    }
    fn user(&self, u: Dense) -> &UserRow {
        let n = self.base.users.len();
        if (u as usize) < n { self.base.user(u) } else { &self.extra_users[u as usize - n] }
    }
    fn members(&self, g: Dense) -> &[Member] {
        match self.gm_ix.get(g) {
            Some(i) => &self.gm[i as usize],
            None if (g as usize) < self.base.groups.len() => self.base.members(g),
            None => &[],
        }
    }
    fn groups_of(&self, u: Dense) -> &[MemberOf] {
        match self.um_ix.get(u) {
            Some(i) => &self.um[i as usize],
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn u32_map_finds_what_was_inserted() {
        let mut map = U32Map::default();
        assert_eq!(map.get(7), None);
        let keys = |i: u32| i.wrapping_mul(2_654_435_761) ^ (i << 20);
        for i in 0..5000 {
            assert_eq!(map.insert(keys(i), i), None);
        }
        assert_eq!(map.insert(u32::MAX, 1), None);
        assert_eq!(map.insert(0, 2), Some(0), "keys(0) is 0");
        for i in 1..5000 {
            assert_eq!(map.get(keys(i)), Some(i));
        }
        assert_eq!(map.insert(keys(10), 99), Some(10));
        assert_eq!(map.get(keys(10)), Some(99));
        assert_eq!(map.get(u32::MAX), Some(1));
        assert_eq!(map.get(0), Some(2));
        assert_eq!(map.get(keys(5000)), None);
    }

    #[test]
    fn id_maps_of_sparse_ids_hash_and_report_repeats() {
        let ids = [5, 4_000_000_000, 7, 2_147_483_647];
        let map = IdMap::build(&ids).unwrap();
        assert!(matches!(map, IdMap::Hashed(_)));
        for (i, &id) in ids.iter().enumerate() {
            assert_eq!(map.get(id), Some(i as Dense));
        }
        assert_eq!(map.get(6), None);
        assert_eq!(IdMap::build(&[5, 4_000_000_000, 5]).unwrap_err(), 5);
        assert_eq!(IdMap::build(&[5, 6, 5]).unwrap_err(), 5);
        let mut direct = IdMap::build(&[1, 2]).unwrap();
        direct.insert_new(3, 2);
        direct.insert_new(4_000_000_000, 3);
        assert!(matches!(direct, IdMap::Hashed(_)));
        assert_eq!(
            [1, 2, 3, 4_000_000_000, 9].map(|id| direct.get(id)),
            [Some(0), Some(1), Some(2), Some(3), None]
        );
    }
}
