//! Where building from state JSON spends its time (a one-off measurement, not a bench).
use std::time::Instant;

use emongroups_core::fixtures::{Scale, generate};

fn main() {
    let args: Vec<u32> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let scale = match args[..] {
        [users, groups, members_per_group, feeds_per_user] => {
            Scale { users, groups, members_per_group, feeds_per_user }
        }
        _ => Scale::EMONCMS_ORG,
    };
    let state = generate(scale, 42);
    let text = serde_json::to_string(&state).unwrap_or_default();
    let mut feeds_only = state.clone();
    (feeds_only.groups, feeds_only.memberships, feeds_only.users) = (vec![], vec![], vec![]);
    let mut rows_only = state.clone();
    rows_only.feeds.clear();
    for (what, s) in [("feeds only", feeds_only), ("rows only", rows_only)] {
        let text = serde_json::to_string(&s).unwrap_or_default();
        let t = Instant::now();
        let read = emongroups_core::State::from_json_text(&text).is_ok();
        println!("{what}: {} MB read in {:?} ({read})", text.len() / 1_000_000, t.elapsed());
    }
    for _ in 0..3 {
        let t = Instant::now();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        let tree = t.elapsed();
        drop(v);
        let t = Instant::now();
        let s = emongroups_core::State::from_json_text(&text);
        let read = t.elapsed();
        let t = Instant::now();
        let e = s.map(emongroups_core::EmoncmsEngine::from_state);
        let build = t.elapsed();
        println!("serde Value tree {tree:?}; State::from_json_text {read:?}; index {build:?}");
        drop(e);
    }
}
