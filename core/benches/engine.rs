//! The engine at emoncms.org scale: 20,000 users, 2,000 groups, 100,000 memberships, 200,000
//! feeds. Run with `scripts/bench-native.sh` (or `cargo bench -p emongroups-core --features
//! fixtures --bench engine`). Targets (issue 14): build from rows ≤ 30 ms, from state JSON
//! ≤ 40 ms, retained heap ≤ 12 MiB, a check ≤ 50 ns, who-can / what-can ≤ 1 ms, what-if of one
//! role change ≤ 5 ms.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use emongroups_core::fixtures::{Scale, generate};
use emongroups_core::{Action, Change, EmoncmsEngine, Engine, Snapshot};

/// The system allocator, counting the bytes live: what an engine retains is the difference.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed on to the system allocator unchanged; only a counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract for `alloc` is the system allocator's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` came from `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: as for `dealloc` and `alloc`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The bytes `build` leaves allocated in what it returns.
fn retained<T>(build: impl FnOnce() -> T) -> (T, usize) {
    let before = LIVE.load(Ordering::Relaxed);
    let value = build();
    (value, LIVE.load(Ordering::Relaxed).saturating_sub(before))
}

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

    let text = serde_json::to_string(&state).expect("a state writes as JSON");
    c.bench_function("engine_build_from_state_json", |b| {
        b.iter(|| black_box(Engine::from_state_json("emoncms", black_box(&text))))
    });
    let (held, bytes) = retained(|| EmoncmsEngine::from_state(state.clone()));
    let (from_text, text_bytes) = retained(|| Engine::from_state_json("emoncms", &text));
    eprintln!(
        "retained: engine from rows {:.1} MiB, from state JSON ({:.1} MiB of text) {:.1} MiB",
        bytes as f64 / 1048576.0,
        text.len() as f64 / 1048576.0,
        text_bytes as f64 / 1048576.0
    );
    drop((held, from_text));

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
