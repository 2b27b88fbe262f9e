//! The cache outside the clone stays bounded: twenty runs' leftovers (each run bringing
//! new units, as a dependency update does) are pruned to the limit by
//! `scripts/prune-cache.sh`, and what the runs keep using survives.

use std::path::Path;

const MIB: usize = 1 << 20;

/// A unit `<name>-<hash>` as Cargo leaves it: a fingerprint, an rlib, and what the file
/// system says of them.
fn unit(profile: &Path, name: &str, hash: u64, mib: usize) {
    let fingerprint = profile.join(format!(".fingerprint/{name}-{hash:016x}"));
    std::fs::create_dir_all(&fingerprint).unwrap();
    std::fs::write(fingerprint.join("lib-name"), format!("{hash:016x}")).unwrap();
    std::fs::write(
        profile.join(format!("deps/lib{name}-{hash:016x}.rlib")),
        vec![7u8; mib * MIB],
    )
    .unwrap();
}

/// What a build does with a unit it needs: Cargo reads its fingerprint.
fn use_unit(profile: &Path, name: &str, hash: u64) {
    let file = profile.join(format!(".fingerprint/{name}-{hash:016x}/lib-name"));
    std::fs::read(file).unwrap();
}

fn size(dir: &Path) -> u64 {
    let out = e2e::tools::ok("du", &["-sb", dir.to_str().unwrap()], None).unwrap();
    out.split_whitespace().next().unwrap().parse().unwrap()
}

#[test]
fn twenty_runs_leftovers_stay_within_the_limit_and_what_is_used_stays() {
    let cache = tempfile::tempdir().unwrap();
    let profile = cache.path().join("target/debug");
    std::fs::create_dir_all(profile.join("deps")).unwrap();
    // Dependencies every run uses, built once.
    for i in 0..5 {
        unit(&profile, "stable", i, 2);
    }
    let limit_mib = 40;
    for number in 0..20u64 {
        run(cache.path(), &profile, number, limit_mib);
    }
    let total = size(cache.path());
    assert!(
        total <= (limit_mib * MIB) as u64,
        "{total} bytes after 20 runs (limit {limit_mib} MiB)"
    );
    for i in 0..5 {
        assert!(
            profile
                .join(format!("deps/libstable-{i:016x}.rlib"))
                .exists(),
            "a unit every run uses"
        );
    }
    for i in 0..4 {
        let last = 1000 + 19 * 10 + i;
        assert!(
            profile
                .join(format!("deps/libchanged-{last:016x}.rlib"))
                .exists(),
            "the last run's units"
        );
    }
    assert!(
        !profile
            .join(format!("deps/libchanged-{:016x}.rlib", 1000))
            .exists(),
        "the first run's were pruned"
    );
}

fn prune(cache: &Path, args: &[&str], limit_mib: usize) {
    let script = e2e::repo_root().join("scripts/prune-cache.sh");
    let output = std::process::Command::new(&script)
        .args(args)
        .env("CERTDESK_CACHE", cache)
        .env("CARGO_TARGET_DIR", cache.join("target"))
        .env(
            "CERTDESK_CACHE_LIMIT_GB",
            format!("{}", limit_mib as f64 / 1024.0),
        )
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A run as scripts/test.sh makes one: marks every unit unused, starts, builds (its own
/// new units, the stable ones read), and prunes at its end.
fn run(cache: &Path, profile: &Path, number: u64, limit_mib: usize) {
    let pause = std::time::Duration::from_millis(20);
    prune(cache, &["--before-run"], limit_mib);
    let stamp = cache.join("started");
    std::fs::write(&stamp, b"").unwrap();
    std::thread::sleep(pause);
    for i in 0..4 {
        unit(profile, "changed", 1000 + number * 10 + i, 2);
    }
    for i in 0..5 {
        use_unit(profile, "stable", i);
    }
    std::thread::sleep(pause);
    prune(cache, &["--after-run", stamp.to_str().unwrap()], limit_mib);
}

/// The file system marks a read only when the last mark is older than the file's last
/// change or a day old ("relatime"): a build between two runs (a developer's, or
/// scripts/run.sh) reads the stable units and the next run's reads leave no new mark.
/// Without the reset when a run starts, that run took them for unused and pruned them,
/// and the run after it compiled them again.
#[test]
fn a_build_between_runs_does_not_cost_the_next_run_its_units() {
    let cache = tempfile::tempdir().unwrap();
    let profile = cache.path().join("target/debug");
    std::fs::create_dir_all(profile.join("deps")).unwrap();
    for i in 0..5 {
        unit(&profile, "stable", i, 2);
    }
    // Room for the stable units and one run's own, not for two runs' own as well.
    let limit_mib = 19;
    for number in 0..3u64 {
        run(cache.path(), &profile, number, limit_mib);
        std::thread::sleep(std::time::Duration::from_millis(20));
        for i in 0..5 {
            use_unit(&profile, "stable", i);
        }
        for i in 0..5 {
            assert!(
                profile
                    .join(format!("deps/libstable-{i:016x}.rlib"))
                    .exists(),
                "run {number} pruned a unit it used (stable {i})"
            );
        }
    }
    assert!(size(cache.path()) <= (limit_mib * MIB) as u64);
}
