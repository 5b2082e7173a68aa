//! The native door: every conformance vector through `emongroups_core::call`.

use std::path::Path;

#[test]
fn every_vector_passes_through_the_native_call() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors");
    let summary = emongroups_host_tests::replay_all(&dir, "native", &mut |request: &str| {
        emongroups_core::call(request)
    });
    assert_eq!(summary.failed, 0, "{}", summary.closing_line("native"));
}
