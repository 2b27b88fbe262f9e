//! A real local control plane (etcd, kube-apiserver, kube-controller-manager) started by
//! `scripts/cluster.sh`, with clients for its three identities.
//!
//! The README's test command starts one control plane for the whole run and names its
//! directory in `CERTDESK_TEST_CLUSTER`; [`ControlPlane::shared`] attaches to it. A test
//! that needs a control plane of its own (to stop it, say) calls [`ControlPlane::start`].

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

/// The oldest Kubernetes minor CertDesk supports, which the multi-cluster tests run
/// one cluster on (`CERTDESK_CLUSTER_MINOR` of `scripts/cluster.sh`).
pub const OLDEST_MINOR: &str = "1.32";

/// One running control plane and the credentials `scripts/cluster.sh` wrote for it.
#[derive(Debug)]
pub struct ControlPlane {
    dir: PathBuf,
    owned: bool,
}

impl ControlPlane {
    /// Attaches to the control plane the test command started (`CERTDESK_TEST_CLUSTER`).
    ///
    /// Fails, saying how to start one, when there is none: a test that needs the cluster
    /// never passes by skipping.
    pub fn shared() -> Result<Self> {
        let Some(dir) = std::env::var_os("CERTDESK_TEST_CLUSTER") else {
            bail!(
                "CERTDESK_TEST_CLUSTER is not set. These tests need a running control plane: run \
                 scripts/test.sh, or start one with `export CERTDESK_TEST_CLUSTER=$(scripts/cluster.sh start)`"
            );
        };
        let dir = PathBuf::from(dir);
        if !dir.join("admin.kubeconfig").is_file() {
            bail!(
                "CERTDESK_TEST_CLUSTER={} holds no running control plane",
                dir.display()
            );
        }
        Ok(Self { dir, owned: false })
    }

    /// Starts a new control plane of this test's own; it stops when dropped.
    pub fn start() -> Result<Self> {
        Self::start_signing("on")
    }

    /// Starts a control plane of this test's own whose kube-controller-manager signs as
    /// `signing` says (`CERTDESK_CLUSTER_SIGNING` of `scripts/cluster.sh`): `on`, `off`
    /// (no signer, as on EKS) or a lifetime cap such as `1h`.
    pub fn start_signing(signing: &str) -> Result<Self> {
        Self::start_env(&[("CERTDESK_CLUSTER_SIGNING", signing)])
    }

    /// Starts a control plane of the oldest supported minor ([`OLDEST_MINOR`]) of this
    /// test's own; it stops when dropped.
    pub fn start_oldest() -> Result<Self> {
        Self::start_env(&[("CERTDESK_CLUSTER_MINOR", OLDEST_MINOR)])
    }

    fn start_env(env: &[(&str, &str)]) -> Result<Self> {
        let script = crate::repo_root().join("scripts/cluster.sh");
        let output = Command::new(&script)
            .envs(env.iter().copied())
            .arg("start")
            .output()
            .context("cannot run scripts/cluster.sh")?;
        if !output.status.success() {
            bail!(
                "scripts/cluster.sh start failed:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let dir = String::from_utf8(output.stdout).context("cluster dir is not UTF-8")?;
        Ok(Self {
            dir: PathBuf::from(dir.trim()),
            owned: true,
        })
    }

    /// Stops the control plane's processes and removes its directory.
    pub fn stop(&self) -> Result<()> {
        let script = crate::repo_root().join("scripts/cluster.sh");
        let status = Command::new(&script).arg("stop").arg(&self.dir).status()?;
        if !status.success() {
            bail!("scripts/cluster.sh stop {} failed", self.dir.display());
        }
        Ok(())
    }

    /// Stops its API server only (etcd keeps the state): the cluster is down for
    /// everyone until [`ControlPlane::start_apiserver`].
    pub fn stop_apiserver(&self) -> Result<()> {
        self.script(&["stop-apiserver"])
    }

    /// Starts its API server again, with the same port and flags; returns once ready.
    pub fn start_apiserver(&self) -> Result<()> {
        self.script(&["start-apiserver"])
    }

    fn script(&self, command: &[&str]) -> Result<()> {
        let script = crate::repo_root().join("scripts/cluster.sh");
        let status = Command::new(&script)
            .args(command)
            .arg(&self.dir)
            .status()?;
        if !status.success() {
            bail!(
                "scripts/cluster.sh {command:?} {} failed",
                self.dir.display()
            );
        }
        Ok(())
    }

    /// The control plane's state directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The process ids of etcd, kube-apiserver and kube-controller-manager.
    pub fn pids(&self) -> Result<Vec<u32>> {
        let text = std::fs::read_to_string(self.dir.join("pids"))?;
        text.lines()
            .map(|l| l.trim().parse().context("a pid"))
            .collect()
    }

    /// The API server's URL (`https://127.0.0.1:<port>`).
    pub fn server(&self) -> Result<String> {
        Ok(std::fs::read_to_string(self.dir.join("server"))?
            .trim()
            .to_owned())
    }

    /// The cluster CA's certificate (PEM).
    pub fn ca_pem(&self) -> Result<String> {
        Ok(std::fs::read_to_string(self.dir.join("ca.crt"))?)
    }

    /// The local admin's kubeconfig (`O=system:masters`; for test set-up only).
    pub fn admin_kubeconfig(&self) -> PathBuf {
        self.dir.join("admin.kubeconfig")
    }

    /// The kubeconfig of CertDesk's own ServiceAccount (`deploy/rbac-backend.yaml`).
    pub fn backend_kubeconfig(&self) -> PathBuf {
        self.dir.join("backend.kubeconfig")
    }

    /// The kubeconfig of a second CertDesk identity that may also approve
    /// (`deploy/rbac-backend-auto-approve.yaml`), for backends run with auto-approval.
    pub fn backend_auto_approve_kubeconfig(&self) -> PathBuf {
        self.dir.join("backend-auto-approve.kubeconfig")
    }

    /// The cluster CA's private key (PEM), for tests that need a certificate the cluster
    /// CA signed with dates a real signer would refuse (an expired one, say).
    pub fn ca_key_path(&self) -> PathBuf {
        self.dir.join("pki/ca.key")
    }

    /// A bearer token of the approver ServiceAccount (`deploy/rbac-approver.yaml`).
    pub fn approver_token(&self) -> Result<String> {
        Ok(std::fs::read_to_string(self.dir.join("approver.token"))?
            .trim()
            .to_owned())
    }

    /// A client acting as the local admin.
    pub async fn admin_client(&self) -> Result<Client> {
        client_from_kubeconfig(&self.admin_kubeconfig()).await
    }

    /// A client acting as CertDesk's ServiceAccount.
    pub async fn backend_client(&self) -> Result<Client> {
        client_from_kubeconfig(&self.backend_kubeconfig()).await
    }

    /// A client acting as the approver.
    pub async fn approver_client(&self) -> Result<Client> {
        self.token_client(&self.approver_token()?).await
    }

    /// A client that presents only the given bearer token (and trusts the cluster CA).
    pub async fn token_client(&self, token: &str) -> Result<Client> {
        let mut config = Config::new(self.server()?.parse()?);
        config.root_cert = Some(vec![pem_to_der(&self.ca_pem()?)?]);
        config.auth_info.token = Some(token.to_owned().into());
        crate::tls::init();
        Ok(Client::try_from(config)?)
    }
}

impl ControlPlane {
    /// Runs kubectl as the local admin (for set-up and for looking behind the portal).
    pub fn admin_kubectl(&self, args: &[&str]) -> Result<crate::tools::Run> {
        crate::tools::kubectl(&self.admin_kubeconfig(), args, None)
    }

    /// Runs kubectl as the local admin with `stdin` as its standard input (`-f -`).
    pub fn admin_kubectl_stdin(&self, args: &[&str], stdin: &str) -> Result<crate::tools::Run> {
        crate::tools::kubectl(&self.admin_kubeconfig(), args, Some(stdin.as_bytes()))
    }

    /// Creates, as the admin with kubectl, a kube-apiserver-client CSR `name` for
    /// `subject` (such as `/CN=minjun`; a fresh P-256 key made by openssl and thrown
    /// away): a request made around CertDesk.
    pub fn create_client_csr(&self, name: &str, subject: &str) -> Result<()> {
        use base64::Engine as _;
        let csr = crate::tools::openssl_csr(subject)?;
        let object = serde_json::json!({
            "apiVersion": "certificates.k8s.io/v1",
            "kind": "CertificateSigningRequest",
            "metadata": { "name": name },
            "spec": {
                "request": base64::engine::general_purpose::STANDARD.encode(csr),
                "signerName": "kubernetes.io/kube-apiserver-client",
                "usages": ["client auth"],
            },
        });
        self.admin_kubectl_ok_stdin(&["create", "-f", "-"], &object.to_string())
            .map(|_| ())
    }

    /// Creates, as the admin, a kube-apiserver-client CSR `name` from `pem` for an hour,
    /// with `labels`: a request made around CertDesk, as `kubectl create -f` would.
    pub fn create_csr_from_pem(
        &self,
        name: &str,
        pem: &str,
        labels: &[(&str, &str)],
    ) -> Result<()> {
        use base64::Engine as _;
        let labels: serde_json::Map<String, serde_json::Value> = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(*v)))
            .collect();
        let object = serde_json::json!({
            "apiVersion": "certificates.k8s.io/v1",
            "kind": "CertificateSigningRequest",
            "metadata": { "name": name, "labels": labels },
            "spec": {
                "request": base64::engine::general_purpose::STANDARD.encode(pem),
                "signerName": "kubernetes.io/kube-apiserver-client",
                "expirationSeconds": 3600,
                "usages": ["digital signature", "client auth"],
            },
        });
        self.admin_kubectl_ok_stdin(&["create", "-f", "-"], &object.to_string())
            .map(|_| ())
    }

    /// Writes a kubeconfig for this cluster that presents only `token`.
    pub fn write_token_kubeconfig(&self, path: &Path, token: &str) -> Result<()> {
        let server = self.server()?;
        let ca = self.dir.join("ca.crt");
        let file = path.to_str().context("a UTF-8 path")?;
        for args in [
            vec![
                "config",
                "set-cluster",
                "local",
                "--server",
                &server,
                "--certificate-authority",
                ca.to_str().context("a UTF-8 path")?,
                "--embed-certs",
            ],
            vec!["config", "set-credentials", "user", "--token", token],
            vec![
                "config",
                "set-context",
                "local",
                "--cluster",
                "local",
                "--user",
                "user",
            ],
            vec!["config", "use-context", "local"],
        ] {
            let mut args = args;
            args.extend(["--kubeconfig", file]);
            crate::tools::ok("kubectl", &args, None)?;
        }
        Ok(())
    }

    /// The sum of the API server's own counter `metric` over the series whose labels
    /// hold every one of `labels` (such as `resource="subjectaccessreviews"`), read from
    /// its `/metrics` as the admin.
    pub fn apiserver_counter(&self, metric: &str, labels: &[&str]) -> Result<f64> {
        let text = self.admin_kubectl_ok(&["get", "--raw", "/metrics"])?;
        Ok(text
            .lines()
            .filter(|line| line.starts_with(&format!("{metric}{{")))
            .filter(|line| labels.iter().all(|label| line.contains(label)))
            .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
            .sum())
    }

    /// Runs kubectl as the admin with `stdin`; fails when kubectl does.
    fn admin_kubectl_ok_stdin(&self, args: &[&str], stdin: &str) -> Result<String> {
        succeeded(args, self.admin_kubectl_stdin(args, stdin)?)
    }

    /// Runs kubectl as the admin and returns its output; fails when kubectl does.
    pub fn admin_kubectl_ok(&self, args: &[&str]) -> Result<String> {
        succeeded(args, self.admin_kubectl(args)?)
    }

    /// Creates, as the admin, a Role `name` in `namespace` that may get, list and watch
    /// pods (the seed's `pod-reader`). It and every RoleBinding to it are deleted when the
    /// returned value is dropped.
    pub fn create_pod_reader(&self, namespace: &str, name: &str) -> Result<TempRole> {
        self.admin_kubectl_ok(&[
            "create",
            "role",
            name,
            "-n",
            namespace,
            "--verb=get,list,watch",
            "--resource=pods",
        ])?;
        Ok(TempRole {
            admin: self.admin_kubeconfig(),
            namespace: namespace.to_owned(),
            name: name.to_owned(),
        })
    }

    /// Whether the API server lets `user` (in `groups`) do `verb` on `resource` in
    /// `namespace` (`kubectl auth can-i … --as`, asked as the admin).
    pub fn can_i(
        &self,
        user: &str,
        groups: &[&str],
        verb: &str,
        resource: &str,
        namespace: &str,
    ) -> Result<bool> {
        let mut args = vec![
            "auth".to_owned(),
            "can-i".to_owned(),
            verb.to_owned(),
            resource.to_owned(),
            "-n".to_owned(),
            namespace.to_owned(),
            format!("--as={user}"),
        ];
        args.extend(groups.iter().map(|g| format!("--as-group={g}")));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = self.admin_kubectl(&args)?;
        match run.stdout.trim() {
            "yes" => Ok(true),
            "no" => Ok(false),
            _ => bail!(
                "kubectl auth can-i answered {:?} {:?}",
                run.stdout,
                run.stderr
            ),
        }
    }

    /// A bearer token of a new ServiceAccount `name` (in namespace `default`) that is
    /// bound to nothing: it authenticates, and may do nothing a role would grant.
    pub fn token_without_rights(&self, name: &str) -> Result<String> {
        self.admin_kubectl_ok(&["create", "serviceaccount", name, "-n", "default"])?;
        let token =
            self.admin_kubectl_ok(&["create", "token", name, "-n", "default", "--duration", "1h"])?;
        Ok(token.trim().to_owned())
    }

    /// A bearer token of a new ServiceAccount `name` (in namespace `default`) that may
    /// read CertificateSigningRequests (a ClusterRole `name` with get, list and watch)
    /// and nothing more: it sees requests but may not approve them.
    pub fn token_of_csr_reader(&self, name: &str) -> Result<String> {
        self.admin_kubectl_ok(&[
            "create",
            "clusterrole",
            name,
            "--verb=get,list,watch",
            "--resource=certificatesigningrequests.certificates.k8s.io",
        ])?;
        self.admin_kubectl_ok(&[
            "create",
            "clusterrolebinding",
            name,
            &format!("--clusterrole={name}"),
            &format!("--serviceaccount=default:{name}"),
        ])?;
        self.token_without_rights(name)
    }

    /// Names of the CertificateSigningRequests whose name starts with `prefix`.
    pub fn csr_names(&self, prefix: &str) -> Result<Vec<String>> {
        let out = self.admin_kubectl_ok(&["get", "csr", "-o", "name"])?;
        Ok(out
            .lines()
            .filter_map(|l| l.trim().rsplit('/').next())
            .filter(|n| n.starts_with(prefix))
            .map(str::to_owned)
            .collect())
    }

    /// The CertificateSigningRequest `name` as the API server has it (JSON), read as the
    /// admin.
    pub fn csr(&self, name: &str) -> Result<serde_json::Value> {
        let json = self.admin_kubectl_ok(&["get", "csr", name, "-o", "json"])?;
        Ok(serde_json::from_str(&json)?)
    }

    /// The type of every condition of the CSR `name` (`Approved`, `Denied`, `Failed`),
    /// and whether it holds a certificate; no conditions and no certificate is pending.
    pub fn csr_conditions(&self, name: &str) -> Result<(Vec<String>, bool)> {
        let csr = self.csr(name)?;
        let conditions = csr["status"]["conditions"]
            .as_array()
            .map(|c| {
                c.iter()
                    .filter_map(|c| c["type"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let certificate = csr["status"]["certificate"]
            .as_str()
            .is_some_and(|c| !c.is_empty());
        Ok((conditions, certificate))
    }
}

/// A Role made for one test; dropping it deletes it and the RoleBindings to it.
#[derive(Debug)]
pub struct TempRole {
    admin: PathBuf,
    /// The Role's namespace.
    pub namespace: String,
    /// The Role's name.
    pub name: String,
}

impl Drop for TempRole {
    fn drop(&mut self) {
        let admin = &self.admin;
        let ns = self.namespace.as_str();
        if let Ok(run) = crate::tools::kubectl(
            admin,
            &["get", "rolebindings", "-n", ns, "-o", "json"],
            None,
        ) && let Ok(list) = serde_json::from_str::<serde_json::Value>(&run.stdout)
        {
            for binding in list["items"].as_array().into_iter().flatten() {
                if binding["roleRef"]["kind"] == "Role"
                    && binding["roleRef"]["name"] == self.name.as_str()
                    && let Some(name) = binding["metadata"]["name"].as_str()
                {
                    let _ = crate::tools::kubectl(
                        admin,
                        &["delete", "rolebinding", name, "-n", ns],
                        None,
                    );
                }
            }
        }
        let _ = crate::tools::kubectl(admin, &["delete", "role", &self.name, "-n", ns], None);
    }
}

impl Drop for ControlPlane {
    fn drop(&mut self) {
        if self.owned && self.dir.exists() {
            let _ = self.stop();
        }
    }
}

async fn client_from_kubeconfig(path: &Path) -> Result<Client> {
    let kubeconfig = Kubeconfig::read_from(path)?;
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default()).await?;
    crate::tls::init();
    Ok(Client::try_from(config)?)
}

fn pem_to_der(pem: &str) -> Result<Vec<u8>> {
    use base64::Engine;
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    Ok(base64::engine::general_purpose::STANDARD.decode(body)?)
}

/// A kubectl run's output, or an error with all it printed when it failed.
fn succeeded(args: &[&str], run: crate::tools::Run) -> Result<String> {
    if !run.success {
        bail!(
            "kubectl {} failed: {}{}",
            args.join(" "),
            run.stdout,
            run.stderr
        );
    }
    Ok(run.stdout)
}
