//! The manual walkthrough every Kubernetes course teaches, done with real `openssl` and
//! `kubectl` against the local control plane, each step as the identity that would do it.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use e2e::cluster::ControlPlane;
use e2e::tools::{self, kubectl};
use serde_json::json;

const SIGNER: &str = "kubernetes.io/kube-apiserver-client";

/// Makes an RSA-2048 key and a CSR for `/CN=<user>/O=<group>…` with openssl; returns
/// (key path, CSR PEM).
fn openssl_csr(dir: &Path, user: &str, groups: &[&str]) -> Result<(String, String)> {
    let key = dir.join(format!("{user}.key"));
    let key = key.to_str().context("utf-8")?.to_owned();
    tools::ok("openssl", &["genrsa", "-out", &key, "2048"], None)?;
    let mut subject = format!("/CN={user}");
    for group in groups {
        subject.push_str(&format!("/O={group}"));
    }
    let csr = tools::ok(
        "openssl",
        &["req", "-new", "-key", &key, "-subj", &subject],
        None,
    )?;
    Ok((key, csr))
}

/// The `CertificateSigningRequest` object, built as JSON (which kubectl reads as YAML).
fn csr_object(name: &str, csr_pem: &str, expiration_seconds: u32) -> Vec<u8> {
    json!({
        "apiVersion": "certificates.k8s.io/v1",
        "kind": "CertificateSigningRequest",
        "metadata": { "name": name },
        "spec": {
            "request": STANDARD.encode(csr_pem),
            "signerName": SIGNER,
            "expirationSeconds": expiration_seconds,
            "usages": ["client auth"],
        },
    })
    .to_string()
    .into_bytes()
}

/// Waits for `.status.certificate` and returns it as PEM.
fn wait_for_certificate(admin: &Path, name: &str) -> Result<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = kubectl(
            admin,
            &["get", "csr", name, "-o", "jsonpath={.status.certificate}"],
            None,
        )?;
        if out.success && !out.stdout.trim().is_empty() {
            return Ok(String::from_utf8(STANDARD.decode(out.stdout.trim())?)?);
        }
        if Instant::now() > deadline {
            bail!("CSR {name} was not signed within 60 s: {}", out.stderr);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn approver_kubeconfig(cluster: &ControlPlane, dir: &Path) -> Result<std::path::PathBuf> {
    kubeconfig_with(
        cluster,
        dir,
        "approver",
        &["--token", &cluster.approver_token()?],
    )
}

/// Writes a kubeconfig the way the seed does, with `kubectl config` and `--embed-certs`.
fn kubeconfig_with(
    cluster: &ControlPlane,
    dir: &Path,
    user: &str,
    credentials: &[&str],
) -> Result<std::path::PathBuf> {
    let file = dir.join(format!("{user}.kubeconfig"));
    let ca = cluster.dir().join("ca.crt");
    let f = file.to_str().context("utf-8")?;
    let server = cluster.server()?;
    tools::ok(
        "kubectl",
        &[
            "config",
            "set-cluster",
            "local",
            "--kubeconfig",
            f,
            "--server",
            &server,
            "--certificate-authority",
            ca.to_str().context("utf-8")?,
            "--embed-certs",
        ],
        None,
    )?;
    let mut args = vec!["config", "set-credentials", user, "--kubeconfig", f];
    args.extend_from_slice(credentials);
    tools::ok("kubectl", &args, None)?;
    tools::ok(
        "kubectl",
        &[
            "config",
            "set-context",
            user,
            "--kubeconfig",
            f,
            "--cluster",
            "local",
            "--user",
            user,
        ],
        None,
    )?;
    tools::ok(
        "kubectl",
        &["config", "use-context", user, "--kubeconfig", f],
        None,
    )?;
    Ok(file)
}

fn openssl_dates(cert_pem: &str) -> Result<(i64, i64)> {
    let text = tools::ok(
        "openssl",
        &[
            "x509",
            "-noout",
            "-startdate",
            "-enddate",
            "-dateopt",
            "iso_8601",
        ],
        Some(cert_pem.as_bytes()),
    )?;
    let mut start = None;
    let mut end = None;
    for line in text.lines() {
        let parse = |v: &str| {
            time::OffsetDateTime::parse(
                &v.trim().replacen(' ', "T", 1),
                &time::format_description::well_known::Iso8601::DEFAULT,
            )
        };
        if let Some(v) = line.strip_prefix("notBefore=") {
            start = Some(parse(v)?.unix_timestamp());
        } else if let Some(v) = line.strip_prefix("notAfter=") {
            end = Some(parse(v)?.unix_timestamp());
        }
    }
    Ok((start.context("notBefore")?, end.context("notAfter")?))
}

#[test]
#[ignore = "needs cluster"]
fn the_seed_walkthrough_works_with_real_openssl_and_kubectl() -> Result<()> {
    let cluster = ControlPlane::shared()?;
    let work = tempfile::tempdir()?;
    let admin = cluster.admin_kubeconfig();
    let user = e2e::unique("minjun");
    let name = format!("csr-{user}");

    // 1. openssl genrsa + req -subj "/CN=minjun/O=dev-team"
    let (key, csr_pem) = openssl_csr(work.path(), &user, &["dev-team"])?;

    // 2. The CSR object, created as CertDesk's ServiceAccount.
    let created = kubectl(
        &cluster.backend_kubeconfig(),
        &["create", "-f", "-"],
        Some(&csr_object(&name, &csr_pem, 3600)),
    )?;
    assert!(created.success, "{}", created.stderr);
    let requester = kubectl(
        &admin,
        &["get", "csr", &name, "-o", "jsonpath={.spec.username}"],
        None,
    )?;
    assert_eq!(requester.stdout, "system:serviceaccount:certdesk:certdesk");

    // 3. kubectl certificate approve, as the approver.
    let approver = approver_kubeconfig(&cluster, work.path())?;
    let approved = kubectl(&approver, &["certificate", "approve", &name], None)?;
    assert!(approved.success, "{}", approved.stderr);

    // 4. .status.certificate, as the controller manager signed it.
    let before = time::OffsetDateTime::now_utc().unix_timestamp();
    let cert = wait_for_certificate(&admin, &name)?;
    let (not_before, not_after) = openssl_dates(&cert)?;
    // expirationSeconds is honoured: the signer back-dates notBefore by at most 5 minutes.
    let lifetime = not_after - not_before;
    assert!(
        (3600..=3600 + 300).contains(&lifetime),
        "lifetime {lifetime} s"
    );
    assert!(
        (not_after - before - 3600).abs() <= 120,
        "notAfter {not_after} vs now {before}"
    );

    // 5. A kubeconfig with the embedded certificate and key.
    let cert_file = work.path().join(format!("{user}.crt"));
    std::fs::write(&cert_file, &cert)?;
    let mine = kubeconfig_with(
        &cluster,
        work.path(),
        &user,
        &[
            "--client-certificate",
            cert_file.to_str().context("utf-8")?,
            "--client-key",
            &key,
            "--embed-certs",
        ],
    )?;

    // 6. Role pod-reader and a RoleBinding for User <user>, as the admin.
    let role = format!("pod-reader-{user}");
    let made = kubectl(
        &admin,
        &[
            "create",
            "role",
            &role,
            "-n",
            "default",
            "--verb=get,list,watch",
            "--resource=pods",
        ],
        None,
    )?;
    assert!(made.success, "{}", made.stderr);
    let bound = kubectl(
        &admin,
        &[
            "create",
            "rolebinding",
            &role,
            "-n",
            "default",
            "--role",
            &role,
            "--user",
            &user,
        ],
        None,
    )?;
    assert!(bound.success, "{}", bound.stderr);

    // 7. As the new user: pods yes, deployments no (the API server's own Forbidden).
    let whoami = kubectl(
        &mine,
        &[
            "auth",
            "whoami",
            "-o",
            "jsonpath={.status.userInfo.username} {.status.userInfo.groups}",
        ],
        None,
    )?;
    assert!(whoami.success, "{}", whoami.stderr);
    assert!(
        whoami.stdout.starts_with(&format!("{user} ")) && whoami.stdout.contains("dev-team"),
        "{}",
        whoami.stdout
    );
    let pods = kubectl(&mine, &["get", "pods", "-n", "default"], None)?;
    assert!(pods.success, "{}", pods.stderr);
    let deployments = kubectl(&mine, &["get", "deployments", "-n", "default"], None)?;
    assert!(!deployments.success);
    assert!(
        deployments.stderr.contains(&format!(
            "deployments.apps is forbidden: User \"{user}\" cannot list resource \"deployments\" in API group \"apps\" in the namespace \"default\""
        )),
        "{}",
        deployments.stderr
    );

    for args in [["delete", "rolebinding", &role], ["delete", "role", &role]] {
        kubectl(&admin, &[args[0], args[1], args[2], "-n", "default"], None)?;
    }
    kubectl(&admin, &["delete", "csr", &name], None)?;
    Ok(())
}

#[test]
#[ignore = "needs cluster"]
fn certdesk_service_account_cannot_approve() -> Result<()> {
    let cluster = ControlPlane::shared()?;
    let work = tempfile::tempdir()?;
    let user = e2e::unique("eve");
    let name = format!("csr-{user}");
    let (_, csr_pem) = openssl_csr(work.path(), &user, &[])?;
    let backend = cluster.backend_kubeconfig();
    let created = kubectl(
        &backend,
        &["create", "-f", "-"],
        Some(&csr_object(&name, &csr_pem, 600)),
    )?;
    assert!(created.success, "{}", created.stderr);

    let approve = kubectl(&backend, &["certificate", "approve", &name], None)?;
    assert!(!approve.success);
    assert!(approve.stderr.contains("forbidden"), "{}", approve.stderr);
    let conditions = kubectl(
        &cluster.admin_kubeconfig(),
        &["get", "csr", &name, "-o", "jsonpath={.status.conditions}"],
        None,
    )?;
    assert_eq!(conditions.stdout.trim(), "", "the CSR stays pending");
    kubectl(&cluster.admin_kubeconfig(), &["delete", "csr", &name], None)?;
    Ok(())
}

#[test]
#[ignore = "needs cluster"]
fn the_approver_cannot_grant_more_than_it_holds() -> Result<()> {
    let cluster = ControlPlane::shared()?;
    let work = tempfile::tempdir()?;
    let approver = approver_kubeconfig(&cluster, work.path())?;
    let user = e2e::unique("mallory");

    // cluster-admin is more than the approver holds: RBAC's escalation check refuses it.
    let escalate = kubectl(
        &approver,
        &[
            "create",
            "clusterrolebinding",
            &user,
            "--clusterrole",
            "cluster-admin",
            "--user",
            &user,
        ],
        None,
    )?;
    assert!(!escalate.success);
    assert!(
        escalate
            .stderr
            .contains("attempting to grant RBAC permissions not currently held"),
        "{}",
        escalate.stderr
    );
    let edit = kubectl(
        &approver,
        &[
            "create",
            "rolebinding",
            &user,
            "-n",
            "default",
            "--clusterrole",
            "edit",
            "--user",
            &user,
        ],
        None,
    )?;
    assert!(
        !edit.success,
        "edit includes writes the approver does not hold"
    );

    // `view` is within what it holds, so that grant goes through.
    let view = kubectl(
        &approver,
        &[
            "create",
            "rolebinding",
            &user,
            "-n",
            "default",
            "--clusterrole",
            "view",
            "--user",
            &user,
        ],
        None,
    )?;
    assert!(view.success, "{}", view.stderr);
    kubectl(
        &approver,
        &["delete", "rolebinding", &user, "-n", "default"],
        None,
    )?;
    Ok(())
}

#[test]
#[ignore = "needs cluster"]
fn a_csr_for_system_masters_is_refused_by_the_cluster() -> Result<()> {
    let cluster = ControlPlane::shared()?;
    let work = tempfile::tempdir()?;
    let user = e2e::unique("root");
    let (_, csr_pem) = openssl_csr(work.path(), &user, &["system:masters"])?;
    let created = kubectl(
        &cluster.backend_kubeconfig(),
        &["create", "-f", "-"],
        Some(&csr_object(&format!("csr-{user}"), &csr_pem, 600)),
    )?;
    assert!(!created.success);
    assert!(
        created
            .stderr
            .contains("with system:masters group is not allowed"),
        "{}",
        created.stderr
    );
    Ok(())
}
