//! Files the browser downloads: Chromium writes `<name>.crdownload` and renames it when
//! the download is complete, so a finished file is one without that suffix.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

/// The names already in a download directory, so that a later wait finds only new files.
pub fn snapshot(dir: &Path) -> Result<BTreeSet<PathBuf>> {
    Ok(finished(dir)?.into_iter().collect())
}

/// Waits until a finished download that is not in `before` and whose file name
/// satisfies `wanted` appears in `dir`, and returns its path. Fails after `at_most`,
/// listing what the directory held.
pub async fn wait_for(
    dir: &Path,
    before: &BTreeSet<PathBuf>,
    wanted: impl Fn(&str) -> bool,
    at_most: Duration,
) -> Result<PathBuf> {
    let deadline = Instant::now() + at_most;
    loop {
        for path in finished(dir)? {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if !before.contains(&path) && wanted(&name) {
                return Ok(path);
            }
        }
        if Instant::now() > deadline {
            bail!(
                "no finished download appeared in {} within {} s; it holds {:?}",
                dir.display(),
                at_most.as_secs(),
                all(dir)?
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Complete, non-empty files in `dir`.
fn finished(dir: &Path) -> Result<Vec<PathBuf>> {
    Ok(all(dir)?
        .into_iter()
        .filter(|p| {
            let partial = p
                .extension()
                .is_some_and(|e| e == "crdownload" || e == "tmp");
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            !partial
                && !name.starts_with(".com.google.Chrome.")
                && std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.len() > 0)
        })
        .collect())
}

fn all(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    paths.sort();
    Ok(paths)
}
