//! The plugin's store: one JSON file per API server, CA and user, readable and writable
//! by its owner only (0600, in a 0700 directory), under `$XDG_STATE_HOME/certdesk`
//! (`~/.local/state/certdesk` by default).
//!
//! A file is written whole or not at all (a temporary file, fsync, rename), so a
//! reader never sees half of one. Renewals take an exclusive lock on the file beside it
//! (`<entry>.lock`, an `flock`): the kernel releases it when its holder exits, even by
//! `kill -9`, so a dead holder never blocks the next run.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The store entry's format version.
pub const VERSION: u32 = 1;

/// How long a run waits for another's renewal before giving up.
pub const LOCK_WAIT: Duration = Duration::from_secs(90);

/// One stored credential.
#[derive(Clone, Serialize, Deserialize)]
pub struct Entry {
    /// The format version ([`VERSION`]).
    pub version: u32,
    /// CertDesk's address.
    pub portal: String,
    /// A PEM bundle trusted for CertDesk's address, if it is not publicly trusted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub portal_ca_pem: Option<String>,
    /// The API server.
    pub server: String,
    /// The API server's CA bundle (PEM).
    pub ca_pem: String,
    /// The Kubernetes username.
    pub username: String,
    /// The client certificate (PEM).
    pub certificate_pem: String,
    /// Its private key (PKCS#8 PEM).
    pub private_key_pem: Zeroizing<String>,
    /// When the certificate became valid.
    #[serde(with = "time::serde::rfc3339")]
    pub not_before: OffsetDateTime,
    /// When it stops being valid.
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
    /// When it was issued, as well as the plugin can tell ([`issued_estimate`]); its
    /// lifetime, and so its renewal, counts from here.
    #[serde(with = "time::serde::rfc3339")]
    pub issued: OffsetDateTime,
    /// When the plugin last warned on stderr that it could not renew, and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warned: Option<Warning>,
}

/// A warning already given, so it is given once an hour, not on every command.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Warning {
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// What it said.
    pub message: String,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("server", &self.server)
            .field("username", &self.username)
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

impl Entry {
    /// When the certificate is due for renewal: `fraction` of its lifetime after it
    /// was issued.
    pub fn renew_at(&self, fraction: f64) -> OffsetDateTime {
        let lifetime = (self.not_after - self.issued).as_seconds_f64().max(0.0);
        self.issued + time::Duration::seconds_f64(lifetime * fraction)
    }
}

/// When a certificate valid from `not_before` to `not_after`, received at `received`,
/// was issued: Kubernetes' signer back-dates notBefore by five minutes, so five
/// minutes after it (half the span at most) — but never after the plugin received it,
/// whoever signed it.
pub fn issued_estimate(
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    received: OffsetDateTime,
) -> OffsetDateTime {
    let backdate = time::Duration::minutes(5).min((not_after - not_before) / 2);
    (not_before + backdate).min(received).max(not_before)
}

/// The store's directory: `$XDG_STATE_HOME/certdesk`, else `~/.local/state/certdesk`.
pub fn dir() -> Result<PathBuf> {
    let base = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .ok_or_else(|| Error::Usage("neither XDG_STATE_HOME nor HOME is set".to_owned()))?;
    Ok(base.join("certdesk"))
}

/// The entry file for an API server, its CA and a user (a digest of the three, so any
/// server or name makes a plain file name).
pub fn path_for(dir: &Path, server: &str, ca_pem: &str, username: &str) -> PathBuf {
    let mut hasher = Sha256::new();
    for part in [server.trim_end_matches('/'), ca_pem.trim(), username] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    let digest = hasher.finalize();
    let name: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    dir.join(format!("{name}.json"))
}

/// Reads an entry; `None` when there is none.
pub fn read(path: &Path) -> Result<Option<Entry>> {
    let text = match std::fs::read(path) {
        Ok(text) => Zeroizing::new(text),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(Error::file(path, error)),
    };
    let entry: Entry = serde_json::from_slice(&text).map_err(|e| Error::file(path, e))?;
    if entry.version != VERSION {
        return Err(Error::file(
            path,
            format!(
                "store format {} is not {VERSION}; import the kubeconfig again",
                entry.version
            ),
        ));
    }
    Ok(Some(entry))
}

/// Writes an entry whole: a 0600 temporary file beside it, fsync, rename, fsync of the
/// directory.
pub fn write(path: &Path, entry: &Entry) -> Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| Error::file(path, "has no directory"))?;
    create_dir(dir)?;
    let json = Zeroizing::new(serde_json::to_vec_pretty(entry).map_err(|e| Error::file(path, e))?);
    let temporary = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("entry"),
        std::process::id()
    ));
    let written = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&temporary)?;
        file.write_all(&json)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)?;
        File::open(dir)?.sync_all()
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written.map_err(|e| Error::file(path, e))
}

/// Creates the store's directory (0700) if it is missing.
pub fn create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::file(dir, e))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| Error::file(dir, e))
}

/// An exclusive lock on an entry's renewal; released when dropped, or by the kernel
/// when the process dies.
pub struct Lock(#[allow(dead_code)] File);

/// Takes the renewal lock of the entry `path`, waiting at most `wait` for another
/// holder.
pub fn lock(path: &Path, wait: Duration) -> Result<Lock> {
    let lock_path = path.with_extension("lock");
    if let Some(dir) = lock_path.parent() {
        create_dir(dir)?;
    }
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&lock_path)
        .map_err(|e| Error::file(&lock_path, e))?;
    let start = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(Lock(file)),
            Err(std::fs::TryLockError::WouldBlock) if start.elapsed() < wait => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::Locked {
                    path: lock_path.display().to_string(),
                    seconds: start.elapsed().as_secs(),
                });
            }
            Err(std::fs::TryLockError::Error(error)) => return Err(Error::file(&lock_path, error)),
        }
    }
}

/// Every entry in the store.
pub fn all(dir: &Path) -> Result<Vec<(PathBuf, Entry)>> {
    let mut entries = Vec::new();
    let listing = match std::fs::read_dir(dir) {
        Ok(listing) => listing,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(entries),
        Err(error) => return Err(Error::file(dir, error)),
    };
    for item in listing.flatten() {
        let path = item.path();
        if path.extension().is_some_and(|e| e == "json")
            && let Some(entry) = read(&path)?
        {
            entries.push((path, entry));
        }
    }
    entries.sort_by(|a, b| {
        a.1.username
            .cmp(&b.1.username)
            .then(a.1.server.cmp(&b.1.server))
    });
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Entry {
        let now = OffsetDateTime::now_utc();
        Entry {
            version: VERSION,
            portal: "https://certdesk.example.com".to_owned(),
            portal_ca_pem: None,
            server: "https://k8s.example.com:6443".to_owned(),
            ca_pem: "CA".to_owned(),
            username: "minjun".to_owned(),
            certificate_pem: "CERT".to_owned(),
            private_key_pem: Zeroizing::new("KEY".to_owned()),
            not_before: now,
            not_after: now + time::Duration::hours(3),
            issued: now,
            warned: None,
        }
    }

    #[test]
    fn an_entry_is_written_whole_for_its_owner_only() {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("certdesk");
        let path = path_for(&dir, "https://k8s.example.com:6443/", "CA", "minjun");
        assert_eq!(
            path,
            path_for(&dir, "https://k8s.example.com:6443", "CA\n", "minjun")
        );
        assert_ne!(
            path,
            path_for(&dir, "https://k8s.example.com:6443", "CA", "minjun2")
        );
        write(&path, &entry()).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&dir), 0o700);
        let back = read(&path).unwrap().unwrap();
        assert_eq!(back.username, "minjun");
        assert_eq!(*back.private_key_pem, "KEY");
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "no temporary file left"
        );
        assert!(format!("{back:?}").contains("minjun") && !format!("{back:?}").contains("KEY"));
    }

    #[test]
    fn renewal_is_due_at_the_fraction_of_the_lifetime_since_issuance() {
        let mut e = entry();
        let minutes = time::Duration::minutes;
        e.not_after = e.not_before + minutes(65);
        // Received as soon as signed: issued five minutes after the back-dated notBefore.
        e.issued = issued_estimate(e.not_before, e.not_after, e.not_before + minutes(6));
        assert_eq!(e.issued, e.not_before + minutes(5));
        assert_eq!(e.renew_at(0.5), e.not_before + minutes(35));
        // Signed by someone else with no back-dating, imported at once: from then.
        let received = e.not_before + time::Duration::seconds(2);
        assert_eq!(
            issued_estimate(e.not_before, e.not_after, received),
            received
        );
        // A span shorter than ten minutes is back-dated half of it at most.
        let short = issued_estimate(e.not_before, e.not_before + minutes(4), e.not_after);
        assert_eq!(short, e.not_before + minutes(2));
        // Issued after the end (a clock gone wrong): due at once, never panicking.
        e.issued = e.not_after + minutes(1);
        assert!(e.renew_at(0.5) > e.not_after);
    }

    #[test]
    fn a_second_locker_waits_then_gives_up_and_a_dropped_lock_frees_it() {
        let home = tempfile::tempdir().unwrap();
        let path = home.path().join("certdesk/entry.json");
        let first = lock(&path, Duration::from_millis(10)).unwrap();
        assert!(matches!(
            lock(&path, Duration::from_millis(100)),
            Err(Error::Locked { .. })
        ));
        drop(first);
        lock(&path, Duration::from_millis(10)).unwrap();
    }
}
