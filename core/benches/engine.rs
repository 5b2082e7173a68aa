//! The engine at emoncms.org scale: 20,000 users, 2,000 groups, 100,000 memberships, 200,000
//! feeds. Run with `./dev.sh bench` or `cargo bench -p emongroups-core --bench engine`.
//! Targets: snapshot build ≤ 50 ms, one check ≤ 100 ns, reverse queries ≤ 1 ms, what-if ≤ 5 ms.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use emongroups_core::fixtures::{Scale, generate};
use emongroups_core::{Action, Change, EmoncmsEngine, Snapshot};

fn engine() -> (emongroups_core::State, EmoncmsEngine) {
    let state = generate(Scale::EMONCMS_ORG, 42);
    let engine = EmoncmsEngine::from_state(state.clone()).expect("generated state is valid");
    (state, engine)
}

fn benches(c: &mut Criterion) {
    let (state, engine) = engine();
    let scale = Scale::EMONCMS_ORG;

    c.bench_function("snapshot_build_from_rows", |b| {
        b.iter_batched(|| state.clone(), |s| black_box(Snapshot::build(s)), BatchSize::LargeInput)
    });

    // Checks along every kind of path: granted through a group, denied, public, own.
    let pairs: Vec<(u32, u32)> = state
        .memberships
        .iter()
        .step_by(97)
        .take(1024)
        .enumerate()
        .map(|(i, m)| {
            let admin_of_group = (m.groupid - 1) % scale.users + 1;
            let feed = (m.userid - 1) * scale.feeds_per_user + 1 + (i as u32 % scale.feeds_per_user);
            let actor = if i % 3 == 0 { (i as u32 * 7919) % scale.users + 1 } else { admin_of_group };
            (actor, feed)
        })
        .collect();
    let allowed = pairs.iter().filter(|&&(a, f)| engine.can_read_feed(a, f).allowed).count();
    eprintln!("check mix: {allowed} of {} pairs allowed", pairs.len());
    c.bench_function("check_can_read_feed", |b| {
        let mut i = 0usize;
        b.iter(|| {
            let (a, f) = pairs[i & 1023];
            i = i.wrapping_add(1);
            black_box(engine.can_read_feed(black_box(a), black_box(f)))
        })
    });

    let feed = state.feeds[12_345].id;
    c.bench_function("who_can_read_feed", |b| {
        b.iter(|| black_box(engine.who_can(Action::FeedRead, None, None, Some(black_box(feed)))))
    });

    let admin = 7; // administrator of group 7, sub-administrator of group 7 + 2000 - 20000 wraps
    eprintln!("what_can(7): {} capabilities", engine.what_can(admin).len());
    c.bench_function("what_can_user_see", |b| b.iter(|| black_box(engine.what_can(black_box(admin)))));

    // A passive member of group 7 becomes a sub-administrator.
    let member = state
        .memberships
        .iter()
        .find(|m| m.groupid == 7 && m.role == 0)
        .expect("group 7 has passive members");
    let change = vec![Change::UpdateMembership {
        groupid: 7,
        userid: member.userid,
        role: 2,
        admin_rights: Some("full".into()),
    }];
    let diff = engine.what_if(&change, None).expect("valid change");
    eprintln!("what_if: {} people change", diff.len());
    c.bench_function("what_if_one_role_change", |b| {
        b.iter(|| black_box(engine.what_if(black_box(&change), None)))
    });
}

criterion_group! {
    name = engine_benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3));
    targets = benches
}
criterion_main!(engine_benches);
