//! Every input a fuzz target once crashed on (and the seeds each starts from), replayed
//! through the same harness: none may panic again.

#[path = "fuzzing/harness.rs"]
mod harness;

#[test]
fn every_saved_fuzz_input_runs_without_a_panic() {
    // The clone under test (cargo names it when it runs the test), not the one this was
    // built in: the target directory is shared by every clone (~/.cache/certdesk) and
    // cargo reuses a test built in another clone's directory.
    let package = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into());
    let root = package.join("tests/fixtures/fuzz");
    let mut replayed = 0;
    for (target, run) in harness::TARGETS {
        let dir = root.join(target);
        let entries = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e} (every target keeps its inputs)", dir.display()));
        for entry in entries {
            let path = entry.expect("entry").path();
            let data = std::fs::read(&path).expect("input");
            let outcome = std::panic::catch_unwind(|| run(&data));
            assert!(outcome.is_ok(), "{target} panics on {}", path.display());
            replayed += 1;
        }
    }
    assert!(replayed >= harness::TARGETS.len(), "{replayed} inputs");
}
