//! CertDesk's image run the way a kubelet runs it, with Debian's runc: the layer of the
//! OCI layout `scripts/image.sh` built unpacked as a read-only root filesystem, UID
//! 65532, a ServiceAccount token from the TokenRequest API and the cluster's `ca.crt`
//! mounted at `/var/run/secrets/kubernetes.io/serviceaccount/`, and
//! `KUBERNETES_SERVICE_HOST`/`PORT` set (the host's network, so the local API server is
//! reachable at 127.0.0.1). `/readyz` answers 200 and a submission becomes a CSR.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use e2e::cluster::ControlPlane;
use serde_json::{Value, json};

/// The OCI layout `scripts/image.sh` wrote (`CERTDESK_IMAGE_DIR`; test.sh builds it).
fn image_dir() -> Result<PathBuf> {
    let dir = std::env::var_os("CERTDESK_IMAGE_DIR").context(
        "CERTDESK_IMAGE_DIR is not set: build the image with scripts/image.sh (scripts/test.sh does) and export CERTDESK_IMAGE_DIR=<the directory it prints>",
    )?;
    Ok(PathBuf::from(dir))
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
        e2e::tools::ok(
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

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// The runc bundle's config.json: the image's entrypoint as its user, read-only root,
/// the ServiceAccount files mounted read-only, the host's network namespace.
fn runtime_config(config: &Value, secrets: &Path, env: Vec<String>) -> Value {
    let (uid, gid) = config["config"]["User"]
        .as_str()
        .and_then(|u| u.split_once(':'))
        .map(|(u, g)| {
            (
                u.parse::<u32>().unwrap_or(65532),
                g.parse::<u32>().unwrap_or(65532),
            )
        })
        .unwrap_or((65532, 65532));
    let mut environment: Vec<String> = config["config"]["Env"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    environment.extend(env);
    json!({
        "ociVersion": "1.0.2",
        "process": {
            "terminal": false,
            "user": { "uid": uid, "gid": gid },
            "args": config["config"]["Entrypoint"],
            "env": environment,
            "cwd": "/",
            "capabilities": { "bounding": [], "effective": [], "permitted": [], "ambient": [] },
            "noNewPrivileges": true
        },
        "root": { "path": "rootfs", "readonly": true },
        "hostname": "certdesk",
        "mounts": [
            { "destination": "/proc", "type": "proc", "source": "proc" },
            { "destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"] },
            { "destination": "/var/run/secrets/kubernetes.io/serviceaccount", "type": "bind", "source": secrets, "options": ["rbind", "ro"] }
        ],
        "linux": {
            "namespaces": [{ "type": "pid" }, { "type": "ipc" }, { "type": "uts" }, { "type": "mount" }],
            "maskedPaths": ["/proc/kcore", "/proc/keys", "/proc/timer_list"],
            "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
        }
    })
}

#[test]
#[ignore = "needs the cluster, runc and the image scripts/image.sh builds"]
fn the_image_runs_as_a_kubelet_runs_it_and_serves_requests() -> Result<()> {
    let cluster = ControlPlane::shared()?;
    let image = image_dir()?;
    let bundle = tempfile::tempdir()?;
    let config = unpack(&image, &bundle.path().join("rootfs"))?;

    // What the kubelet mounts: a bound ServiceAccount token, the CA, the namespace.
    let secrets = bundle.path().join("serviceaccount");
    std::fs::create_dir_all(&secrets)?;
    let token = cluster.admin_kubectl_ok(&[
        "create",
        "token",
        "certdesk",
        "-n",
        "certdesk",
        "--duration",
        "1h",
    ])?;
    std::fs::write(secrets.join("token"), token.trim())?;
    std::fs::write(secrets.join("ca.crt"), cluster.ca_pem()?)?;
    std::fs::write(secrets.join("namespace"), "certdesk")?;
    e2e::tools::ok(
        "chmod",
        &["-R", "a+rX", secrets.to_str().context("utf-8")?],
        None,
    )?;

    let server = cluster.server()?;
    let api_port = server
        .rsplit(':')
        .next()
        .context("the API server's port")?
        .to_owned();
    let port = free_port()?;
    let env = vec![
        "KUBERNETES_SERVICE_HOST=127.0.0.1".to_owned(),
        format!("KUBERNETES_SERVICE_PORT={api_port}"),
        format!("CERTDESK_LISTEN=127.0.0.1:{port}"),
        format!("CERTDESK_PUBLIC_SERVER_URL={server}"),
        "CERTDESK_NAMESPACE=certdesk".to_owned(),
    ];
    std::fs::write(
        bundle.path().join("config.json"),
        serde_json::to_vec_pretty(&runtime_config(&config, &secrets, env))?,
    )?;
    let id = e2e::unique("certdesk-image");
    let log = std::fs::File::create(bundle.path().join("certdesk.log"))?;
    let mut container = Command::new("runc")
        .args(["run", "--bundle"])
        .arg(bundle.path())
        .arg(&id)
        .stdout(log.try_clone()?)
        .stderr(log)
        .stdin(Stdio::null())
        .spawn()
        .context("runc is missing: apt-get install runc (scripts/bootstrap.sh does)")?;
    let outcome = exercise(&cluster, port, &mut container).and_then(|()| runs_as_nonroot(&id));
    let _ = Command::new("runc").args(["kill", &id, "KILL"]).status();
    let _ = container.wait();
    let _ = Command::new("runc")
        .args(["delete", "--force", &id])
        .status();
    let logs = std::fs::read_to_string(bundle.path().join("certdesk.log")).unwrap_or_default();
    outcome.with_context(|| format!("the container's output:\n{logs}"))
}

fn exercise(cluster: &ControlPlane, port: u16, container: &mut std::process::Child) -> Result<()> {
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let code = e2e::tools::ok(
            "curl",
            &[
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                &format!("{base}/readyz"),
            ],
            None,
        )
        .unwrap_or_default();
        if code.trim() == "200" {
            break;
        }
        if let Some(status) = container.try_wait()? {
            bail!("the container exited ({status}) before it was ready");
        }
        if Instant::now() > deadline {
            bail!("/readyz did not answer 200 within 60 s (last: {code:?})");
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    let csr = e2e::tools::openssl_csr(&format!("/CN={}", e2e::unique("image")))?;
    let body = json!({ "csr_pem": csr, "expiration_seconds": 3600 }).to_string();
    let answer = e2e::tools::ok(
        "curl",
        &[
            "-s",
            "-H",
            "content-type: application/json",
            "--data-binary",
            "@-",
            &format!("{base}/api/v1/requests"),
        ],
        Some(body.as_bytes()),
    )?;
    let ticket: Value = serde_json::from_str(&answer).with_context(|| answer.clone())?;
    let id = ticket["id"]
        .as_str()
        .with_context(|| format!("no id in {answer}"))?;
    let signer =
        cluster.admin_kubectl_ok(&["get", "csr", id, "-o", "jsonpath={.spec.signerName}"])?;
    ensure!(signer == "kubernetes.io/kube-apiserver-client", "{signer}");
    // Created with the mounted ServiceAccount token, through the in-cluster configuration.
    let creator =
        cluster.admin_kubectl_ok(&["get", "csr", id, "-o", "jsonpath={.spec.username}"])?;
    ensure!(
        creator == "system:serviceaccount:certdesk:certdesk",
        "{creator}"
    );
    // The app is served from the image's /dist, compressed.
    let encoding = e2e::tools::ok(
        "curl",
        &[
            "-s",
            "-o",
            "/dev/null",
            "-H",
            "Accept-Encoding: br",
            "-w",
            "%{content_type} %{http_code}",
            &format!("{base}/"),
        ],
        None,
    )?;
    ensure!(
        encoding.starts_with("text/html") && encoding.ends_with("200"),
        "{encoding}"
    );
    Ok(())
}

/// The container's process runs as 65532 (runc's own view of it).
fn runs_as_nonroot(id: &str) -> Result<()> {
    let state: Value = serde_json::from_str(&e2e::tools::ok("runc", &["state", id], None)?)?;
    let pid = state["pid"].as_u64().context("the container's pid")?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .context("a Uid line")?;
    ensure!(
        uid.split_whitespace().all(|u| u == "65532"),
        "the container runs as {uid}"
    );
    Ok(())
}
