//! The facts indexed for fast answers: dense ids, membership lists by group and by user (sorted,
//! contiguous), feeds by owner. A check allocates nothing.

// foldhash, serde_json's own map hasher: SipHash was an eighth of a build (200,000 feed names).
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use serde::Serialize;
use serde_json::value::RawValue;

use super::model::{FeedParts, FeedRow, GroupRow, Id, MembershipRow, Role, State, UserRow};
use super::policy::policy;
use super::users::{UserRef, Users};
use crate::error::WireError;

/// Dense index of a group, user or feed within one snapshot.
pub(crate) type Dense = u32;

const ABSENT: u32 = u32::MAX;

/// Id → dense index: a direct table when ids are compact (the usual auto-increment case), a hash
/// map otherwise.
#[derive(Debug, Clone)]
pub(crate) enum IdMap {
    Direct(Vec<u32>),
    Hashed(HashMap<u32, u32>),
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
                // `table` reaches the largest id.
                let Some(slot) = table.get_mut(id as usize) else { return Err(id) };
                if *slot != ABSENT {
                    return Err(id);
                }
                *slot = i as u32;
            }
            Ok(IdMap::Direct(table))
        } else {
            let mut map = HashMap::with_capacity(ids.len());
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
            IdMap::Hashed(m) => m.get(&id).copied(),
        }
    }

    /// Adds `id` → `dense` (`dense` counts the entries so far). A direct table only grows while
    /// it stays dense; an outlying id (a bare member of id 2,147,480,000, say) switches to the hash
    /// map instead of allocating gigabytes.
    fn insert_new(&mut self, id: Id, dense: Dense) {
        if let IdMap::Direct(t) = self {
            let slot = id as usize;
            if slot >= t.len() && slot <= 4 * (dense as usize + 1) + 1024 {
                t.resize(slot + 1, ABSENT);
            }
            if let Some(at) = t.get_mut(slot) {
                *at = dense;
                return;
            }
            let mut map = HashMap::with_capacity(dense as usize + 1);
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
    /// The stored role integer (clamped to i32), for chains and listings; the role is read from
    /// it.
    pub raw: i32,
    /// `FULL` when the rights are full, or'd with the stored `admin_rights` text, an index into
    /// the snapshot's `rights` (`NO_TEXT` for NULL, and for a hypothetical membership). Twelve
    /// bytes a member: a large site has hundreds of thousands.
    rights: u32,
}

const FULL: u32 = 1 << 31;
const NO_TEXT: u32 = FULL - 1;

impl Member {
    pub(crate) fn new(user: Dense, raw: i32, full: bool, text: Option<u32>) -> Member {
        let text = text.filter(|&t| t < NO_TEXT).unwrap_or(NO_TEXT);
        Member { user, raw, rights: text | if full { FULL } else { 0 } }
    }
    #[inline]
    pub(crate) fn role(&self) -> Role {
        Role::from_code(i64::from(self.raw))
    }
    #[inline]
    pub(crate) fn full(&self) -> bool {
        self.rights & FULL != 0
    }
    fn text(&self) -> u32 {
        self.rights & !FULL
    }
}

/// One membership of a user, as seen from the user (its stored role integer is the group's
/// [`Member`]'s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MemberOf {
    pub group: Dense,
    pub role: Role,
    pub full: bool,
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

/// The bit of a feed's owner index that says it is public (dense indices stay below 2^31).
const PUBLIC: u32 = 1 << 31;

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
    pub(crate) users: Users,
    user_ix: IdMap,
    /// What answers read of each feed; its name is an index into `feed_names`.
    feeds: Vec<FeedFact>,
    feed_names: Vec<Box<str>>,
    /// The host's text of each feed row, in feed order, when the rows were read from JSON (none
    /// when they were built from their parts: those are written from the facts).
    feed_texts: Vec<Box<RawValue>>,
    /// Owner dense, `public` in the top bit, per feed: the hot data of a feed check, kept apart.
    feed_meta: Vec<u32>,
    feed_ix: IdMap,
    /// The distinct `admin_rights` texts of the kept memberships.
    rights: Vec<Box<str>>,
    gm_start: Vec<u32>,
    gm: Vec<Member>,
    um_start: Vec<u32>,
    um: Vec<MemberOf>,
    uf_start: Vec<u32>,
    uf: Vec<Dense>,
    /// What a dense index out of range reads as (never met: indices come from the facts).
    no_group: GroupRow,
}

impl Snapshot {
    /// Indexes `state`. Repeated group, user or feed ids are an `invalid_state` error; duplicate
    /// membership rows keep the one granting least; rows of unknown groups are ignored.
    pub fn build(state: State) -> Result<Snapshot, WireError> {
        let State { groups, memberships, mut users, feeds } = state;
        let ids: Vec<Id> = groups.iter().map(|g| g.id).collect();
        let group_ix = IdMap::build_of("group", &ids)?;
        let ids: Vec<Id> = users.iter().map(|u| u.id).collect();
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

        // Memberships of known groups, by (group, user) in state order, each pair once: the row
        // granting least (fewest permissions, then not `full`, then the first).
        let pol = policy();
        let mut rows: Vec<Kept> = Vec::with_capacity(memberships.len());
        for m in &memberships {
            if let Some(g) = group_ix.get(m.groupid) {
                let u = ensure_user(m.userid, &mut users);
                let role = Role::from_code(m.role);
                let full = m.admin_rights.as_deref() == Some("full");
                rows.push(Kept { g, u, strength: (pol.role_permissions(role).len(), full), row: m });
            }
        }
        let by_user = bucket(users.len(), rows.iter().map(|k| k.u), iota(rows.len())).1;
        let sorted = bucket(groups.len(), rows.iter().map(|k| k.g), by_user).1;
        let mut kept: Vec<&Kept> = Vec::with_capacity(rows.len());
        for k in sorted.iter().filter_map(|&k| rows.get(k as usize)) {
            match kept.last_mut() {
                Some(last) if (last.g, last.u) == (k.g, k.u) => {
                    if k.strength < last.strength {
                        *last = k;
                    }
                }
                _ => kept.push(k),
            }
        }

        // Feeds: the facts, each name once, the texts apart (all or none: a row without one
        // among rows with one gets the text of its parts).
        let ids: Vec<Id> = feeds.iter().map(|f| f.id).collect();
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
            feed_meta.push(owner | if f.public { PUBLIC } else { 0 });
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

        let n_users = users.len();
        // By group: the kept rows are in (group, user) order already.
        let gm_start = bucket(groups.len(), kept.iter().map(|k| k.g), Vec::new()).0;
        let mut rights: Vec<Box<str>> = Vec::new();
        let mut rights_ix: HashMap<&str, u32> = HashMap::new();
        let gm: Vec<Member> = kept
            .iter()
            .map(|k| {
                let m = k.row;
                // `group_users.role` is an int(11): every stored role fits.
                let raw = m.role.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32;
                let text = m.admin_rights.as_deref().map(|t| {
                    *rights_ix.entry(t).or_insert_with(|| {
                        rights.push(t.into());
                        (rights.len() - 1) as u32
                    })
                });
                Member::new(k.u, raw, k.strength.1, text)
            })
            .collect();
        // By user: a stable bucketing keeps each user's groups in order.
        let (um_start, by_user) = bucket(n_users, kept.iter().map(|k| k.u), iota(kept.len()));
        let um: Vec<MemberOf> = by_user
            .iter()
            .filter_map(|&k| Some((kept.get(k as usize)?, gm.get(k as usize)?)))
            .map(|(k, m)| MemberOf { group: k.g, role: m.role(), full: m.full() })
            .collect();
        drop(kept);
        drop(rows);
        drop(memberships);
        // Feeds by owner, in state order.
        let (uf_start, uf) = bucket(n_users, owners.iter().copied(), iota(n_feeds));

        Ok(Snapshot {
            groups,
            group_ix,
            users: Users::from_rows(users)?,
            user_ix,
            feeds: facts,
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
            no_group: GroupRow::bare(0),
        })
    }

    /// The facts back as rows: the kept memberships (one per group and user, of known groups).
    pub fn to_state(&self) -> State {
        State {
            groups: self.groups.clone(),
            memberships: (0..self.groups.len() as Dense)
                .flat_map(|g| self.members(g).iter().map(move |m| self.membership_row(g, m)))
                .collect(),
            users: self.users.iter().map(UserRef::to_row).collect(),
            feeds: (0..self.feeds.len() as Dense).map(|f| self.feed_row(f)).collect(),
        }
    }

    /// The kept `group_users` row of member `m` of group `g`.
    pub(crate) fn membership_row(&self, g: Dense, m: &Member) -> MembershipRow {
        MembershipRow {
            groupid: self.group(g).id,
            userid: self.user(m.user).id(),
            role: i64::from(m.raw),
            admin_rights: self.rights_text(m).map(str::to_string),
        }
    }

    /// The stored `admin_rights` text of member `m`.
    pub(crate) fn rights_text(&self, m: &Member) -> Option<&str> {
        self.rights.get(m.text() as usize).map(|r| &**r)
    }

    /// Feed `f` as a row again, its text included.
    pub(crate) fn feed_row(&self, f: Dense) -> FeedRow {
        let (owner, public) = self.feed_meta(f);
        let fact = self.fact(f);
        let text = self.feed_texts.get(f as usize).cloned();
        let mut row = FeedRow::new(fact.id, self.user(owner).id(), public, "", 0.0, 0.0);
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
        let fact = self.fact(f);
        FeedOut::Parts(FeedParts {
            id: fact.id,
            userid: self.user(owner).id(),
            name: self.feed_name(f),
            public,
            time: known(fact.time),
            value: known(fact.value),
        })
    }

    /// The facts of feed `f` (of no feed: nothing known).
    fn fact(&self, f: Dense) -> FeedFact {
        self.feeds.get(f as usize).copied().unwrap_or(FeedFact {
            id: 0,
            name: NO_NAME,
            time: f64::NAN,
            value: f64::NAN,
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

/// A stable counting sort by key (each below `n`): the CSR start offsets of the `n` keys, and
/// `items` (indices into `keys`) in key order. With no `items`, only the offsets.
fn bucket(n: usize, keys: impl Iterator<Item = u32> + Clone, items: Vec<u32>) -> (Vec<u32>, Vec<u32>) {
    let mut starts = vec![0u32; n + 1];
    for k in keys.clone() {
        if let Some(count) = starts.get_mut(k as usize + 1) {
            *count += 1;
        }
    }
    let mut total = 0;
    for s in &mut starts {
        total += *s;
        *s = total;
    }
    if items.is_empty() {
        return (starts, items);
    }
    let keys: Vec<u32> = keys.collect();
    let mut next = starts.clone();
    let mut sorted = vec![0u32; items.len()];
    for i in items {
        let Some(at) = keys.get(i as usize).and_then(|&k| next.get_mut(k as usize)) else { continue };
        if let Some(slot) = sorted.get_mut(*at as usize) {
            *slot = i;
        }
        *at += 1;
    }
    (starts, sorted)
}

/// A membership row of a known group, while the snapshot is built.
struct Kept<'r> {
    g: Dense,
    u: Dense,
    /// (permissions of the role, `full`): the smaller grants less.
    strength: (usize, bool),
    row: &'r MembershipRow,
}

/// Read access to facts, implemented by the snapshot and by a what-if overlay on it, so every
/// rule is written once. Dense indices come from the facts themselves; one out of range reads as
/// nothing (an empty list, a bare row), never a panic.
pub(crate) trait Facts {
    fn group_dense(&self, id: Id) -> Option<Dense>;
    fn group(&self, g: Dense) -> &GroupRow;
    fn group_count(&self) -> usize;
    fn user_dense(&self, id: Id) -> Option<Dense>;
    fn user(&self, u: Dense) -> UserRef<'_>;
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
        list.binary_search_by_key(&g, |m| m.group).ok().and_then(|i| list.get(i).copied())
    }
}

/// Entry `i` of a CSR list: `items[starts[i] .. starts[i + 1]]`.
#[inline]
fn run<'a, T>(starts: &[u32], items: &'a [T], i: Dense) -> &'a [T] {
    let i = i as usize;
    match (starts.get(i), starts.get(i + 1)) {
        (Some(&from), Some(&to)) => items.get(from as usize..to as usize).unwrap_or(&[]),
        _ => &[],
    }
}

impl Facts for Snapshot {
    #[inline]
    fn group_dense(&self, id: Id) -> Option<Dense> {
        self.group_ix.get(id)
    }
    fn group(&self, g: Dense) -> &GroupRow {
        self.groups.get(g as usize).unwrap_or(&self.no_group)
    }
    fn group_count(&self) -> usize {
        self.groups.len()
    }
    #[inline]
    fn user_dense(&self, id: Id) -> Option<Dense> {
        self.user_ix.get(id)
    }
    fn user(&self, u: Dense) -> UserRef<'_> {
        self.users.get(u as usize)
    }
    #[inline]
    fn members(&self, g: Dense) -> &[Member] {
        run(&self.gm_start, &self.gm, g)
    }
    #[inline]
    fn groups_of(&self, u: Dense) -> &[MemberOf] {
        run(&self.um_start, &self.um, u)
    }
    #[inline]
    fn feed_dense(&self, id: Id) -> Option<Dense> {
        self.feed_ix.get(id)
    }
    #[inline]
    fn feed_meta(&self, f: Dense) -> (Dense, bool) {
        self.feed_meta.get(f as usize).map_or((ABSENT, false), |&m| (m & !PUBLIC, m & PUBLIC != 0))
    }
    fn feed_id(&self, f: Dense) -> Id {
        self.feeds.get(f as usize).map_or(0, |x| x.id)
    }
    fn feeds_of(&self, u: Dense) -> &[Dense] {
        run(&self.uf_start, &self.uf, u)
    }
}

/// A hypothetical change of memberships and groups on top of a snapshot (what-if), without
/// copying the snapshot: only the member lists of touched groups and users are replaced.
pub(crate) struct Overlay<'a> {
    base: &'a Snapshot,
    /// Replaced member lists, by dense group.
    gm: HashMap<Dense, Vec<Member>>,
    /// Replaced membership lists, by dense user.
    um: HashMap<Dense, Vec<MemberOf>>,
    deleted: HashSet<Dense>,
    extra_groups: Vec<GroupRow>,
    extra_group_ix: HashMap<Id, Dense>,
    extra_users: Users,
    extra_user_ix: HashMap<Id, Dense>,
}

impl<'a> Overlay<'a> {
    pub(crate) fn new(base: &'a Snapshot) -> Overlay<'a> {
        Overlay {
            base,
            gm: HashMap::new(),
            um: HashMap::new(),
            deleted: HashSet::new(),
            extra_groups: Vec::new(),
            extra_group_ix: HashMap::new(),
            extra_users: Users::default(),
            extra_user_ix: HashMap::new(),
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
        self.extra_users.push_bare(id);
        d
    }

    pub(crate) fn delete_group(&mut self, g: Dense) {
        let members: Vec<Dense> = self.members(g).iter().map(|m| m.user).collect();
        for u in members {
            self.remove_membership(g, u);
        }
        self.deleted.insert(g);
    }

    /// Sets (or inserts) the membership of `u` in `g`.
    pub(crate) fn set_membership(&mut self, g: Dense, u: Dense, role: Role, full: bool) {
        let mut members = self.members(g).to_vec();
        let raw = role.code().unwrap_or(-1) as i32;
        let member = Member::new(u, raw, full, None);
        match members.binary_search_by_key(&u, |m| m.user) {
            Ok(i) => members.splice(i..=i, [member]),
            Err(i) => members.splice(i..i, [member]),
        };
        self.gm.insert(g, members);
        let mut groups = self.groups_of(u).to_vec();
        let of = MemberOf { group: g, role, full };
        match groups.binary_search_by_key(&g, |m| m.group) {
            Ok(i) => groups.splice(i..=i, [of]),
            Err(i) => groups.splice(i..i, [of]),
        };
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
            .filter(|g| !self.deleted.contains(g))
    }
    fn group(&self, g: Dense) -> &GroupRow {
        let n = self.base.groups.len();
        match (g as usize).checked_sub(n) {
            None => self.base.group(g),
            Some(i) => self.extra_groups.get(i).unwrap_or(&self.base.no_group),
        }
    }
    fn group_count(&self) -> usize {
        self.base.groups.len() + self.extra_groups.len()
    }
    fn user_dense(&self, id: Id) -> Option<Dense> {
        self.base.user_dense(id).or_else(|| self.extra_user_ix.get(&id).copied())
    }
    fn user(&self, u: Dense) -> UserRef<'_> {
        let n = self.base.users.len();
        match (u as usize).checked_sub(n) {
            None => self.base.user(u),
            Some(i) => self.extra_users.get(i),
        }
    }
    fn members(&self, g: Dense) -> &[Member] {
        match self.gm.get(&g) {
            Some(list) => list,
            None => self.base.members(g),
        }
    }
    fn groups_of(&self, u: Dense) -> &[MemberOf] {
        match self.um.get(&u) {
            Some(list) => list,
            None => self.base.groups_of(u),
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
        self.base.feeds_of(u)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
