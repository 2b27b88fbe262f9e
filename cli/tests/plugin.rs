//! kubectl-certdesk against a real control plane, with real kubectl and CertDesk's real
//! backend approving renewals by itself (its admission webhook registered, as in
//! production): import, renewal with no browser, one CSR for twenty kubectl processes,
//! a `kill -9`'d lock holder, removal that ends access, and kubectl's plugin policy.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use e2e::cluster::ControlPlane;
use e2e::portal::{Portal, PortalOptions};
use serde_json::{Value, json};
use shared::KeyAlgorithm;
use shared::kubeconfig::{Credentials, Kubeconfig};

const AUTO: &str = "system:serviceaccount:certdesk:certdesk-auto";

/// One user's world: a control plane of the test's own, CertDesk approving renewals,
/// a HOME with the plugin on PATH, and a kubeconfig CertDesk issued.
struct World {
    cluster: ControlPlane,
    portal: Portal,
    home: tempfile::TempDir,
    bin: tempfile::TempDir,
    username: String,
    kubeconfig: PathBuf,
}

fn policy(dir: &Path) -> PathBuf {
    let path = dir.join("policy.yaml");
    std::fs::write(
        &path,
        "groups:\n  allowed: [dev-team]\nlifetime:\n  default: 10m\n  max: 1d\nrenewals:\n  autoApprove: true\n  pluginLifetime: 10m\n",
    )
    .unwrap();
    path
}

impl World {
    /// Starts everything; with `webhook`, CertDesk's admission webhook (mutual TLS) is
    /// registered for every approval.
    fn start(webhook: bool) -> Self {
        let cluster = ControlPlane::start().unwrap_or_else(|e| panic!("{e:#}"));
        let home = tempfile::tempdir().unwrap();
        let policy = policy(home.path());
        let mut extra = vec![
            "--policy-file".to_owned(),
            policy.display().to_string(),
            "--auto-approve-renewals".to_owned(),
            // Renewals every second or so here; the default limit (one address, ten
            // a minute) would make some wait for the next command, as it should.
            "--submit-per-minute".to_owned(),
            "120".to_owned(),
            "--submit-burst".to_owned(),
            "20".to_owned(),
        ];
        if webhook {
            let script = e2e::repo_root().join("scripts/cluster.sh");
            let dir = cluster.dir();
            e2e::tools::ok(
                script.to_str().unwrap(),
                &["webhook-cert", dir.to_str().unwrap()],
                None,
            )
            .unwrap();
            let port = e2e::tools::free_port().unwrap();
            extra.extend([
                "--webhook-listen".to_owned(),
                format!("127.0.0.1:{port}"),
                "--webhook-tls-cert-file".to_owned(),
                dir.join("webhook/tls.crt").display().to_string(),
                "--webhook-tls-key-file".to_owned(),
                dir.join("webhook/tls.key").display().to_string(),
                "--webhook-client-ca-file".to_owned(),
                dir.join("pki/webhook-client-ca.crt").display().to_string(),
            ]);
            e2e::tools::ok(
                script.to_str().unwrap(),
                &[
                    "register-webhook",
                    dir.to_str().unwrap(),
                    &format!(
                        "https://127.0.0.1:{port}/validate/certificatesigningrequests/approval"
                    ),
                ],
                None,
            )
            .unwrap();
        }
        let portal = Portal::serve(&PortalOptions {
            kubeconfig: Some(cluster.backend_auto_approve_kubeconfig()),
            cluster_name: Some("local".to_owned()),
            log: Some(home.path().join("certdesk.log")),
            extra_args: extra,
            ..PortalOptions::default()
        })
        .unwrap_or_else(|e| panic!("{e:#}"));
        let bin = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(
            env!("CARGO_BIN_EXE_kubectl-certdesk"),
            bin.path().join("kubectl-certdesk"),
        )
        .unwrap();
        let username = e2e::unique("minjun");
        let kubeconfig = home.path().join(format!("{username}.kubeconfig"));
        let world = Self {
            cluster,
            portal,
            home,
            bin,
            username,
            kubeconfig,
        };
        world.issue_first();
        world
    }

    /// Requests, approves (as the approver) and downloads a first certificate, as a
    /// person would in the browser.
    fn issue_first(&self) {
        let key = shared::keys::generate(
            KeyAlgorithm::EcdsaP256,
            &shared::Subject {
                username: self.username.clone(),
                groups: vec!["dev-team".to_owned()],
            },
        )
        .unwrap();
        let (status, ticket) = e2e::tools::post_json(
            &self.url("/api/v1/requests"),
            None,
            &json!({ "csr_pem": key.csr_pem, "expiration_seconds": 600 }),
        )
        .unwrap();
        assert_eq!(status, 201, "{ticket}");
        let id = ticket["id"].as_str().unwrap().to_owned();
        let token = self.cluster.approver_token().unwrap();
        let (status, answer) = e2e::tools::post_json(
            &self.url(&format!("/api/v1/admin/requests/{id}/approve")),
            Some(&token),
            &json!({}),
        )
        .unwrap();
        assert_eq!(status, 200, "{answer}");
        let certificate = self.wait_issued(&id);
        let ca = self.cluster.ca_pem().unwrap();
        let server = self.cluster.server().unwrap();
        let config = Kubeconfig::for_user(Credentials {
            cluster_name: "local",
            server_url: &server,
            ca_pem: &ca,
            certificate_pem: &certificate,
            private_key_pem: key.private_key.pkcs8_pem(),
            username: &self.username,
            namespace: "default",
        });
        std::fs::write(&self.kubeconfig, config.to_yaml().unwrap().as_bytes()).unwrap();
    }

    fn wait_issued(&self, id: &str) -> String {
        for _ in 0..200 {
            let status = self.get(&format!("/api/v1/requests/{id}"));
            if let Some(pem) = status["certificate_pem"].as_str() {
                return pem.to_owned();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("{id} was not issued");
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.portal.url)
    }

    fn get(&self, path: &str) -> Value {
        let text = e2e::tools::ok("curl", &["-sS", &self.url(path)], None).unwrap();
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// A command in this user's HOME, with the plugin on PATH.
    fn command(&self, program: &str, renew_at: Option<f64>) -> Command {
        let mut command = Command::new(program);
        let path = format!(
            "{}:{}",
            self.bin.path().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        command
            .env("HOME", self.home.path())
            .env("XDG_STATE_HOME", self.home.path().join("state"))
            .env("PATH", path)
            .env("KUBECONFIG", &self.kubeconfig)
            .env_remove("CERTDESK_RENEW_AT");
        if let Some(fraction) = renew_at {
            command.env("CERTDESK_RENEW_AT", fraction.to_string());
        }
        command
    }

    fn plugin(&self, args: &[&str]) -> Output {
        self.command("kubectl-certdesk", None)
            .args(args)
            .output()
            .unwrap()
    }

    fn kubectl(&self, args: &[&str], renew_at: Option<f64>) -> Output {
        self.command("kubectl", renew_at)
            .args(args)
            .output()
            .unwrap()
    }

    fn whoami(&self, renew_at: Option<f64>) -> Output {
        self.kubectl(
            &[
                "auth",
                "whoami",
                "-o",
                "jsonpath={.status.userInfo.username}",
            ],
            renew_at,
        )
    }

    fn import(&self) {
        let out = self.plugin(&[
            "import",
            self.kubeconfig.to_str().unwrap(),
            "--portal",
            &self.portal.url,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The store's one entry.
    fn entry(&self) -> (PathBuf, Value) {
        let dir = self.home.path().join("state/certdesk");
        let path = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "json"))
            .expect("a store entry");
        let entry = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        (path, entry)
    }

    /// This user's renewal CSRs, by name.
    fn renewals(&self) -> Vec<Value> {
        let list = self
            .cluster
            .admin_kubectl_ok(&[
                "get",
                "csr",
                "-l",
                "app.kubernetes.io/managed-by=certdesk",
                "-o",
                "json",
            ])
            .unwrap();
        let list: Value = serde_json::from_str(&list).unwrap();
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|csr| csr["metadata"]["annotations"]["certdesk.dev/renewal-of"].is_string())
            .filter(|csr| {
                csr["metadata"]["name"]
                    .as_str()
                    .is_some_and(|n| n.contains(&self.username.replace('_', "-")))
            })
            .cloned()
            .collect()
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
#[ignore = "needs the control plane's binaries and the frontend bundle"]
fn kubectl_keeps_working_across_renewals_with_no_browser() {
    let world = World::start(true);
    world.import();
    // The key left the kubeconfig for the store, readable by its owner only.
    let rewritten = std::fs::read_to_string(&world.kubeconfig).unwrap();
    assert!(!rewritten.contains("client-key-data"), "{rewritten}");
    assert!(
        rewritten.contains("kubectl-certdesk") && rewritten.contains("provideClusterInfo: true")
    );
    assert_eq!(mode(&world.kubeconfig), 0o600);
    let (entry_path, entry) = world.entry();
    assert_eq!(mode(&entry_path), 0o600);
    assert_eq!(mode(entry_path.parent().unwrap()), 0o700);
    let first = entry["certificate_pem"].as_str().unwrap().to_owned();

    // Not due: kubectl gets the stored certificate, nothing is renewed.
    let out = world.whoami(None);
    assert_eq!(text(&out.stdout), world.username, "{}", text(&out.stderr));
    assert_eq!(world.entry().1["certificate_pem"], first.as_str());
    assert!(world.renewals().is_empty());

    // Three renewals, each when due (a threshold set for the test), with no browser.
    let mut seen = vec![first];
    for _ in 0..3 {
        std::thread::sleep(Duration::from_millis(1100));
        let out = world.whoami(Some(0.001));
        assert_eq!(text(&out.stdout), world.username, "{}", text(&out.stderr));
        let now = world.entry().1["certificate_pem"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            !seen.contains(&now),
            "not renewed; kubectl said: {}\nCertDesk's log: {}",
            text(&out.stderr),
            std::fs::read_to_string(world.home.path().join("certdesk.log")).unwrap_or_default()
        );
        seen.push(now);
    }
    let renewals = world.renewals();
    assert_eq!(renewals.len(), 3, "{renewals:#?}");
    for csr in &renewals {
        let annotations = &csr["metadata"]["annotations"];
        assert_eq!(annotations["certdesk.dev/approved-by"], AUTO, "{csr}");
        assert!(
            annotations["certdesk.dev/approved-via"]
                .as_str()
                .unwrap()
                .starts_with("renewal of certificate")
        );
        let conditions = csr["status"]["conditions"].as_array().unwrap();
        assert!(
            conditions
                .iter()
                .any(|c| c["reason"] == "CertDeskAutoApprove"),
            "{csr}"
        );
    }

    // Twenty kubectl commands at once with a renewal due make one CSR.
    std::thread::sleep(Duration::from_secs(7));
    let children: Vec<_> = (0..20)
        .map(|_| {
            world
                .command("kubectl", Some(0.01))
                .args(["get", "--raw", "/version"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    assert_eq!(
        world.renewals().len(),
        4,
        "twenty parallel commands made one renewal"
    );

    // A renewal killed with -9 while holding the lock does not block the next run.
    let (path, mut entry) = world.entry();
    let real_portal = entry["portal"].as_str().unwrap().to_owned();
    let black_hole = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    entry["portal"] = json!(format!("http://{}", black_hole.local_addr().unwrap()));
    std::fs::write(&path, entry.to_string()).unwrap();
    std::thread::sleep(Duration::from_secs(7));
    // The plugin as kubectl runs it (the cluster in KUBERNETES_EXEC_INFO), stuck in
    // its renewal with the lock held, then killed with SIGKILL.
    use base64::Engine as _;
    let info = json!({
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "spec": { "cluster": {
            "server": world.cluster.server().unwrap(),
            "certificate-authority-data": base64::engine::general_purpose::STANDARD.encode(world.cluster.ca_pem().unwrap()),
        }, "interactive": false },
    });
    let mut holder = world
        .command("kubectl-certdesk", Some(0.01))
        .args([
            "credential",
            "--portal",
            &real_portal,
            "--user",
            &world.username,
        ])
        .env("KUBERNETES_EXEC_INFO", info.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let lock = path.with_extension("lock");
    let held = Command::new("flock")
        .args(["-n", lock.to_str().unwrap(), "true"])
        .status()
        .unwrap();
    assert!(!held.success(), "the renewal holds the lock");
    holder.kill().unwrap();
    holder.wait().unwrap();
    entry["portal"] = json!(real_portal);
    std::fs::write(&path, entry.to_string()).unwrap();
    let started = std::time::Instant::now();
    let out = world.whoami(Some(0.01));
    assert_eq!(text(&out.stdout), world.username, "{}", text(&out.stderr));
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(world.renewals().len(), 5);
}

#[test]
#[ignore = "needs the control plane's binaries and the frontend bundle"]
fn removed_access_is_not_renewed_and_ends_when_the_certificate_does() {
    let world = World::start(false);
    // A certificate the cluster's CA signed for 40 seconds, so its end comes in the test.
    let key = shared::keys::generate(
        KeyAlgorithm::EcdsaP256,
        &shared::Subject {
            username: world.username.clone(),
            groups: vec![],
        },
    )
    .unwrap();
    let now = time::OffsetDateTime::now_utc();
    let certificate = e2e::tools::sign_client_certificate(
        &world.cluster.dir().join("ca.crt"),
        &world.cluster.ca_key_path(),
        &key.csr_pem,
        now - time::Duration::seconds(5),
        now + time::Duration::seconds(40),
    )
    .unwrap();
    let config = Kubeconfig::for_user(Credentials {
        cluster_name: "local",
        server_url: &world.cluster.server().unwrap(),
        ca_pem: &world.cluster.ca_pem().unwrap(),
        certificate_pem: &certificate,
        private_key_pem: key.private_key.pkcs8_pem(),
        username: &world.username,
        namespace: "default",
    });
    std::fs::write(&world.kubeconfig, config.to_yaml().unwrap().as_bytes()).unwrap();
    world.import();
    let token = world.cluster.approver_token().unwrap();
    let (status, answer) = e2e::tools::post_json(
        &world.url(&format!(
            "/api/v1/admin/people/{}/remove-access",
            world.username
        )),
        Some(&token),
        &json!({}),
    )
    .unwrap();
    assert_eq!(status, 200, "{answer}");

    // Due for renewal (a hundredth of its life after import): refused, said once on
    // stderr with the portal, and the still valid certificate keeps working meanwhile.
    std::thread::sleep(Duration::from_secs(1));
    let out = world.whoami(Some(0.01));
    assert_eq!(text(&out.stdout), world.username, "{}", text(&out.stderr));
    let said = text(&out.stderr);
    assert!(
        said.contains("CertDesk refused to renew your certificate")
            && said.contains(&world.portal.url),
        "kubectl said: {said}\nCertDesk's log: {}",
        std::fs::read_to_string(world.home.path().join("certdesk.log")).unwrap_or_default()
    );
    let again = world.whoami(Some(0.01));
    assert!(
        !text(&again.stderr).contains("refused"),
        "said once: {}",
        text(&again.stderr)
    );

    // Once it expires, kubectl fails, saying why and where to go.
    std::thread::sleep(Duration::from_secs(42));
    let out = world.whoami(Some(0.01));
    assert!(
        !out.status.success(),
        "kubectl still works after the certificate's end"
    );
    let said = text(&out.stderr);
    assert!(
        said.contains("kubectl-certdesk") && said.contains(&world.portal.url),
        "{said}"
    );
}

#[test]
#[ignore = "needs the control plane's binaries and the frontend bundle"]
fn kubectls_plugin_policy_can_allow_it_by_name_or_deny_it() {
    let world = World::start(false);
    world.import();
    let kuberc = world.home.path().join("kuberc");
    let with = |policy: &str| {
        std::fs::write(
            &kuberc,
            format!("apiVersion: kubectl.config.k8s.io/v1beta1\nkind: Preference\n{policy}"),
        )
        .unwrap();
        world.kubectl(
            &[
                "--kuberc",
                kuberc.to_str().unwrap(),
                "auth",
                "whoami",
                "-o",
                "jsonpath={.status.userInfo.username}",
            ],
            None,
        )
    };
    let allowed = with(
        "credentialPluginPolicy: Allowlist\ncredentialPluginAllowlist:\n  - name: kubectl-certdesk\n",
    );
    assert_eq!(
        text(&allowed.stdout),
        world.username,
        "{}",
        text(&allowed.stderr)
    );
    let denied = with("credentialPluginPolicy: DenyAll\n");
    assert!(!denied.status.success());
    assert!(
        text(&denied.stderr).to_lowercase().contains("plugin"),
        "{}",
        text(&denied.stderr)
    );
}
