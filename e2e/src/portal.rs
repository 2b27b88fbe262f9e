//! The backend (`certdesk`) serving a copy of the release bundle in `dist/`: alone, for
//! pages that need only the browser (the key-generation benchmark), or against a control
//! plane.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result, bail};

/// How to start the backend; the default serves `dist/` with no cluster behind it.
#[derive(Debug, Clone, Default)]
pub struct PortalOptions {
    /// `--kubeconfig`: the identity the backend talks to the cluster with.
    pub kubeconfig: Option<PathBuf>,
    /// `--cluster-name`: what the requesters' kubeconfigs call the cluster.
    pub cluster_name: Option<String>,
    /// `--public-server-url`: the API server URL requesters are given.
    pub public_server_url: Option<String>,
    /// A file that receives everything the backend prints.
    pub log: Option<PathBuf>,
    /// More flags, such as `--auto-approve-invites`.
    pub extra_args: Vec<String>,
    /// `--listen`: an address chosen by the test (default `127.0.0.1:0`, a free port).
    pub listen: Option<String>,
}

/// A running `certdesk` serving a copy of `dist/` on a free port of 127.0.0.1; dropping
/// it stops the process.
pub struct Portal {
    child: Child,
    _bundle: tempfile::TempDir,
    /// The base address, such as `http://127.0.0.1:41234`.
    pub url: String,
}

impl Portal {
    /// Starts the debug `certdesk` binary (build it with `cargo build -p backend --bin
    /// certdesk`) on the repository's `dist/` (build it with `scripts/build-frontend.sh`),
    /// with no cluster.
    pub fn serve_dist() -> Result<Self> {
        Self::serve(&PortalOptions::default())
    }

    /// Starts the debug `certdesk` binary on `dist/` with the given options, on a free
    /// port, and returns once it says where it listens.
    pub fn serve(options: &PortalOptions) -> Result<Self> {
        let root = crate::repo_root();
        let bundle = copy_of_dist(&root.join("dist"))?;
        let dist = bundle.path().to_path_buf();
        let binary = backend_binary();
        let mut command = Command::new(&binary);
        command
            .arg("--listen")
            .arg(options.listen.as_deref().unwrap_or("127.0.0.1:0"))
            .arg("--static-dir")
            .arg(&dist)
            .env_remove("CERTDESK_KUBECONFIG")
            .env_remove("CERTDESK_CLUSTER_NAME")
            .env_remove("CERTDESK_PUBLIC_SERVER_URL")
            .env_remove("KUBECONFIG");
        if let Some(kubeconfig) = &options.kubeconfig {
            command.arg("--kubeconfig").arg(kubeconfig);
        }
        if let Some(name) = &options.cluster_name {
            command.args(["--cluster-name", name]);
        }
        if let Some(url) = &options.public_server_url {
            command.args(["--public-server-url", url]);
        }
        // The local policy (it offers dev-team), as scripts/run.sh, unless told otherwise.
        if !options.extra_args.iter().any(|a| a == "--policy-file") {
            command
                .arg("--policy-file")
                .arg(root.join("deploy/local/policy.yaml"));
        }
        command.args(&options.extra_args);
        let mut log = match &options.log {
            Some(path) => Some(log_file(path)?),
            None => None,
        };
        let stderr = match &log {
            Some(file) => Stdio::from(file.try_clone()?),
            None => Stdio::null(),
        };
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .with_context(|| {
                format!(
                    "cannot start {}: run `cargo build -p backend --bin certdesk` first",
                    binary.display()
                )
            })?;
        let stdout = child.stdout.take().context("the backend's stdout")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(file) = log.as_mut() {
                    let _ = writeln!(file, "{line}");
                }
                if let Some(url) = line.strip_prefix("CertDesk is listening on ") {
                    let _ = tx.send(url.trim().to_owned());
                }
            }
        });
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(url) => Ok(Self {
                child,
                _bundle: bundle,
                url,
            }),
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                bail!(
                    "the backend did not report a listening address within 30 s{}",
                    options
                        .log
                        .as_ref()
                        .map(|p| format!("; its output is in {}", p.display()))
                        .unwrap_or_default()
                )
            }
        }
    }
}

/// Copies the release bundle into a directory of this portal's own. Another test may
/// run scripts/build-frontend.sh (scripts/run.sh does), which empties `dist/` and refills it; a
/// portal serving its own copy never sees that. A copy caught in the middle of such a
/// swap is made again.
fn copy_of_dist(dist: &Path) -> Result<tempfile::TempDir> {
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        let copy = tempfile::tempdir()?;
        let outcome = copy_bundle(dist, copy.path());
        match outcome {
            Ok(()) => return Ok(copy),
            Err(error) if std::time::Instant::now() > deadline => {
                return Err(error.context(format!(
                    "{} holds no complete bundle: run scripts/build-frontend.sh first",
                    dist.display()
                )));
            }
            // A bundle being rebuilt: try again once trunk has put it back.
            Err(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}

/// Copies `dist` (without trunk's hidden staging directory) and checks that every file
/// each app's `index.html` names came along.
fn copy_bundle(dist: &Path, to: &Path) -> Result<()> {
    copy_tree(dist, to)?;
    for app in ["", "start", "requests", "admin", "inspect"] {
        let page = to.join(app).join("index.html");
        let index =
            std::fs::read_to_string(&page).with_context(|| format!("no {}", page.display()))?;
        let named = index
            .split(['"', '\''])
            .filter_map(|part| part.strip_prefix('/'))
            .filter(|name| {
                !name.is_empty()
                    && [".js", ".wasm", ".css"]
                        .iter()
                        .any(|ext| name.ends_with(ext))
            });
        for name in named {
            if !to.join(name).is_file() {
                bail!("{} names {name}, which is missing", page.display());
            }
        }
    }
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let kind = entry.file_type()?;
        if kind.is_dir() {
            std::fs::create_dir(to.join(entry.file_name()))?;
            copy_tree(&entry.path(), &to.join(entry.file_name()))?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name()))?;
        }
    }
    Ok(())
}

fn log_file(path: &Path) -> Result<File> {
    File::create(path).with_context(|| format!("cannot create {}", path.display()))
}

impl Drop for Portal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The debug `certdesk` binary (`$CARGO_TARGET_DIR/debug/certdesk`).
pub fn backend_binary() -> PathBuf {
    let root = crate::repo_root();
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("debug/certdesk")
}
