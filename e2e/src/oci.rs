//! CertDesk's image run the way a kubelet runs it, with Debian's runc: the OCI layout
//! `scripts/image.sh` built is unpacked as the root filesystem (read-only unless told
//! otherwise), the process runs as the image's user (or the pod's `runAsUser`) with no
//! capabilities and `no_new_privs`, and what the kubelet would mount (the ServiceAccount
//! token, Secrets, ConfigMaps) is bind-mounted read-only. The host's network, so the
//! local API server is reachable at 127.0.0.1.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use serde_json::{Value, json};

use crate::tools;

/// The OCI layout `scripts/image.sh` wrote (`CERTDESK_IMAGE_DIR`; test.sh builds it).
pub fn image_dir() -> Result<PathBuf> {
    let dir = std::env::var_os("CERTDESK_IMAGE_DIR").context(
        "CERTDESK_IMAGE_DIR is not set: build the image with scripts/image.sh (scripts/test.sh does) and export CERTDESK_IMAGE_DIR=<the directory it prints>",
    )?;
    Ok(PathBuf::from(dir))
}

/// What to run: the environment beyond the image's, read-only mounts, and the user.
#[derive(Debug, Clone, Default)]
pub struct Spec {
    /// Arguments after the image's entrypoint (a container's `args`).
    pub args: Vec<String>,
    /// `NAME=value` lines, after the image's own.
    pub env: Vec<String>,
    /// (destination in the container, directory on the host), mounted read-only.
    pub mounts: Vec<(String, PathBuf)>,
    /// (uid, gid) instead of the image's `User`.
    pub user: Option<(u32, u32)>,
    /// Whether the root filesystem is writable (a kubelet's default without
    /// `readOnlyRootFilesystem`).
    pub writable_root: bool,
}

/// A running container; killed and deleted when dropped.
#[derive(Debug)]
pub struct Container {
    id: String,
    child: Child,
    bundle: tempfile::TempDir,
}

fn json_file(path: &Path) -> Result<Value> {
    Ok(serde_json::from_slice(
        &std::fs::read(path).with_context(|| path.display().to_string())?,
    )?)
}

fn blob(image: &Path, digest: &str) -> PathBuf {
    image
        .join("blobs/sha256")
        .join(digest.trim_start_matches("sha256:"))
}

/// Unpacks the image's layers into `rootfs`; returns its config.
fn unpack(image: &Path, rootfs: &Path) -> Result<Value> {
    let index = json_file(&image.join("index.json"))?;
    let manifest = json_file(&blob(
        image,
        index["manifests"][0]["digest"]
            .as_str()
            .context("a manifest")?,
    ))?;
    std::fs::create_dir_all(rootfs)?;
    for layer in manifest["layers"].as_array().context("layers")? {
        let path = blob(image, layer["digest"].as_str().context("a layer digest")?);
        tools::ok(
            "tar",
            &[
                "-xzf",
                path.to_str().context("utf-8")?,
                "-C",
                rootfs.to_str().context("utf-8")?,
            ],
            None,
        )?;
    }
    json_file(&blob(
        image,
        manifest["config"]["digest"].as_str().context("a config")?,
    ))
}

/// The image's `User` as (uid, gid); 65532 when it names none.
fn image_user(config: &Value) -> (u32, u32) {
    config["config"]["User"]
        .as_str()
        .and_then(|u| u.split_once(':'))
        .map(|(u, g)| (u.parse().unwrap_or(65532), g.parse().unwrap_or(65532)))
        .unwrap_or((65532, 65532))
}

/// The runc bundle's config.json.
fn runtime_config(config: &Value, spec: &Spec) -> Value {
    let (uid, gid) = spec.user.unwrap_or_else(|| image_user(config));
    let mut environment: Vec<String> = config["config"]["Env"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    environment.extend(spec.env.iter().cloned());
    let mut args: Vec<Value> = config["config"]["Entrypoint"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    args.extend(spec.args.iter().map(|a| Value::from(a.as_str())));
    let mut mounts = vec![
        json!({ "destination": "/proc", "type": "proc", "source": "proc" }),
        json!({ "destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"] }),
    ];
    for (destination, source) in &spec.mounts {
        mounts.push(json!({ "destination": destination, "type": "bind", "source": source, "options": ["rbind", "ro"] }));
    }
    json!({
        "ociVersion": "1.0.2",
        "process": {
            "terminal": false,
            "user": { "uid": uid, "gid": gid },
            "args": args,
            "env": environment,
            "cwd": "/",
            "capabilities": { "bounding": [], "effective": [], "permitted": [], "ambient": [] },
            "noNewPrivileges": true
        },
        "root": { "path": "rootfs", "readonly": !spec.writable_root },
        "hostname": "certdesk",
        "mounts": mounts,
        "linux": {
            "namespaces": [{ "type": "pid" }, { "type": "ipc" }, { "type": "uts" }, { "type": "mount" }],
            "maskedPaths": ["/proc/kcore", "/proc/keys", "/proc/timer_list"],
            "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
        }
    })
}

impl Container {
    /// Unpacks `image` and starts it with `spec` under runc.
    pub fn run(image: &Path, spec: &Spec) -> Result<Self> {
        let bundle = tempfile::tempdir()?;
        let config = unpack(image, &bundle.path().join("rootfs"))?;
        std::fs::write(
            bundle.path().join("config.json"),
            serde_json::to_vec_pretty(&runtime_config(&config, spec))?,
        )?;
        let id = crate::unique("certdesk-oci");
        let log = std::fs::File::create(bundle.path().join("output.log"))?;
        let child = Command::new("runc")
            .args(["run", "--bundle"])
            .arg(bundle.path())
            .arg(&id)
            .stdout(log.try_clone()?)
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .context("runc is missing: apt-get install runc (scripts/bootstrap.sh does)")?;
        Ok(Self { id, child, bundle })
    }

    /// What the container wrote so far (stdout and stderr).
    pub fn output(&self) -> String {
        std::fs::read_to_string(self.bundle.path().join("output.log")).unwrap_or_default()
    }

    /// Waits for the container to exit (`timeout` at most); whether it exited 0.
    pub fn wait(&mut self, timeout: Duration) -> Result<bool> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status.success());
            }
            if Instant::now() > deadline {
                bail!("the container did not exit within {timeout:?}");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Waits until `curl <args> <url>` answers 200 (60 s at most), failing early if the
    /// container exits.
    pub fn wait_for_200(&mut self, curl_args: &[&str], url: &str) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut args = vec!["-s", "-o", "/dev/null", "-w", "%{http_code}"];
        args.extend_from_slice(curl_args);
        args.push(url);
        loop {
            let code = tools::ok("curl", &args, None).unwrap_or_default();
            if code.trim() == "200" {
                return Ok(());
            }
            if let Some(status) = self.child.try_wait()? {
                bail!("the container exited ({status}) before {url} answered 200");
            }
            if Instant::now() > deadline {
                bail!("{url} did not answer 200 within 60 s (last: {code:?})");
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// The container's process runs as `uid` (runc's own view of it, from /proc).
    pub fn runs_as(&self, uid: u32) -> Result<()> {
        let state: Value = serde_json::from_str(&tools::ok("runc", &["state", &self.id], None)?)?;
        let pid = state["pid"].as_u64().context("the container's pid")?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let line = status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .context("a Uid line")?;
        ensure!(
            line.split_whitespace().all(|u| u == uid.to_string()),
            "the container runs as {line}"
        );
        Ok(())
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = Command::new("runc")
            .args(["kill", &self.id, "KILL"])
            .status();
        let _ = self.child.wait();
        let _ = Command::new("runc")
            .args(["delete", "--force", &self.id])
            .status();
    }
}

/// Makes `dir` and everything in it readable by the container's user, as a kubelet's
/// volumes are (mode 0644 files).
pub fn readable(dir: &Path) -> Result<()> {
    tools::ok(
        "chmod",
        &["-R", "a+rX", dir.to_str().context("utf-8")?],
        None,
    )
    .map(|_| ())
}
