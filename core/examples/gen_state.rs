//! Prints a generated state as JSON, for the other doors' benchmarks:
//! `cargo run --release --example gen_state -- [users groups members_per_group feeds_per_user]`.
use emongroups_core::fixtures::{Scale, generate};

fn main() {
    let args: Vec<u32> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let scale = match args.as_slice() {
        [u, g, m, f] => Scale { users: *u, groups: *g, members_per_group: *m, feeds_per_user: *f },
        _ => Scale::EMONCMS_ORG,
    };
    let state = generate(scale, 42);
    println!("{}", serde_json::to_string(&state).unwrap_or_default());
}
