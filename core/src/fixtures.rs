//! Generated states for benchmarks and load tests: deterministic (a seeded xorshift), shaped like
//! emoncms.org — most members are passive (managed accounts), each group has one administrator
//! and one sub-administrator, users belong to several groups, a few feeds are public.

use crate::profiles::emoncms::model::{FeedRow, GroupRow, MembershipRow, State, UserRow};

/// Sizes of a generated state.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    pub users: u32,
    pub groups: u32,
    pub members_per_group: u32,
    pub feeds_per_user: u32,
}

impl Scale {
    /// 20,000 users, 2,000 groups, 100,000 memberships, 200,000 feeds.
    pub const EMONCMS_ORG: Scale =
        Scale { users: 20_000, groups: 2_000, members_per_group: 50, feeds_per_user: 10 };
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u32) -> u32 {
        (self.next() % u64::from(n.max(1))) as u32
    }
}

/// A state of the given scale. Group `g` (1-based) has administrator user `g` and
/// sub-administrator user `g + groups`; other members are drawn at random.
pub fn generate(scale: Scale, seed: u64) -> State {
    let mut rng = Rng(seed | 1);
    let users = (1..=scale.users)
        .map(|id| {
            let mut u = UserRow::bare(id);
            u.username = Some(format!("user{id}"));
            u.email = Some(format!("user{id}@example.org"));
            u.name = Some(format!("User {id}"));
            u.timezone = Some("Europe/London".into());
            u
        })
        .collect();
    let groups = (1..=scale.groups)
        .map(|id| GroupRow {
            id,
            name: Some(format!("group{id}")),
            description: Some(format!("Heat pump sites {id}")),
            organization: Some(String::new()),
            area: Some(String::new()),
            visibility: Some("private".into()),
            access: Some("closed".into()),
        })
        .collect();
    let mut memberships = Vec::with_capacity((scale.groups * scale.members_per_group) as usize);
    for g in 1..=scale.groups {
        let admin = (g - 1) % scale.users + 1;
        let sub = (g + scale.groups - 1) % scale.users + 1;
        memberships.push(MembershipRow {
            groupid: g,
            userid: admin,
            role: 1,
            admin_rights: Some("full".into()),
        });
        memberships.push(MembershipRow {
            groupid: g,
            userid: sub,
            role: 2,
            admin_rights: Some("full".into()),
        });
        let mut seen = vec![admin, sub];
        while (seen.len() as u32) < scale.members_per_group.min(scale.users) {
            let u = rng.below(scale.users) + 1;
            if seen.contains(&u) {
                continue;
            }
            seen.push(u);
            let role = match rng.below(20) {
                0 => 3,
                1 => 4,
                _ => 0,
            };
            let rights = if rng.below(10) == 0 { "read" } else { "full" };
            memberships.push(MembershipRow {
                groupid: g,
                userid: u,
                role,
                admin_rights: Some(rights.into()),
            });
        }
    }
    let names = [
        "use",
        "solar",
        "heatpump_elec",
        "heatpump_heat",
        "flowT",
        "returnT",
        "outsideT",
        "import",
        "export",
        "battery",
    ];
    let mut feeds = Vec::with_capacity((scale.users * scale.feeds_per_user) as usize);
    let mut id = 0;
    for u in 1..=scale.users {
        for k in 0..scale.feeds_per_user {
            id += 1;
            let public = rng.below(20) == 0;
            let name = names.get(k as usize % names.len()).copied().unwrap_or("use");
            feeds.push(FeedRow::new(
                id,
                u,
                public,
                name,
                1_700_000_000.0 - f64::from(rng.below(7200)),
                f64::from(rng.below(5000)) / 10.0,
            ));
        }
    }
    State { groups, memberships, users, feeds }
}
