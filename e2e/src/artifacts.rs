//! Where tests leave screenshots, console logs and downloads: `e2e/artifacts/<test>/`,
//! or `$CERTDESK_ARTIFACTS/<test>/` when set.

use std::path::PathBuf;

/// Returns (and creates) the artefact directory of one test.
pub fn dir(test: &str) -> PathBuf {
    let base = std::env::var_os("CERTDESK_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::repo_root().join("e2e").join("artifacts"));
    let dir = base.join(test);
    std::fs::create_dir_all(&dir).expect("the artefact directory can be created");
    dir
}
