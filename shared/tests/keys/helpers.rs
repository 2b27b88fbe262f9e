//! Running `openssl` on files in a scratch directory each test owns.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A directory under the system's temporary directory, removed when dropped.
pub struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    pub fn new(name: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let unique = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "certdesk-shared-{name}-{}-{unique}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create scratch directory");
        Self { dir }
    }

    /// Writes `contents` to `name` inside the directory and returns its path.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, contents).expect("write scratch file");
        path
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).expect("read scratch file")
    }

    /// Runs `openssl` with `args` in the directory; panics with its output if it fails.
    pub fn openssl(&self, args: &[&str]) -> Output {
        let output = Command::new("openssl")
            .args(args)
            .current_dir(&self.dir)
            .output()
            .expect("openssl is installed (the project's bootstrap installs it)");
        let result = Output {
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        assert!(
            output.status.success(),
            "openssl {args:?} failed:\n{}\n{}",
            result.stdout,
            result.stderr
        );
        result
    }

    /// Makes a CSR with openssl for `subject` (openssl's `/CN=…/O=…` syntax) with a new
    /// key of `newkey` (such as `rsa:1024` or `ec`), plus any extra `args`, and returns
    /// its PEM.
    pub fn openssl_csr(&self, newkey: &str, subject: &str, extra: &[&str]) -> String {
        let mut args = vec![
            "req",
            "-new",
            "-nodes",
            "-newkey",
            newkey,
            "-keyout",
            "openssl-key.pem",
        ];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["-subj", subject, "-out", "openssl-csr.pem"]);
        self.openssl(&args);
        self.read("openssl-csr.pem")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub struct Output {
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}
