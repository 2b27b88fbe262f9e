//! The backend works end to end with the chart's own ServiceAccount and RBAC, nothing
//! more: the chart is rendered and applied for real (hooks left out, as `helm install`
//! does), and its Deployment's pod is run as a kubelet would run it — the image under
//! runc, the container's environment, the Secret and ConfigMap volumes at their mount
//! paths, a token of the chart's ServiceAccount from the TokenRequest API, the pod's
//! user and read-only root. Only the listening ports move (the container shares the
//! host's network). Then a request is submitted, approved by an approver, issued, and
//! its certificate authenticates; the record and the audit Event are written.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use base64::Engine as _;
use e2e::cluster::ControlPlane;
use e2e::helm::{documents, is_hook, of_kind, render};
use e2e::oci::{Container, Spec};
use serde_json::{Value, json};

/// Removes what the test applied, whatever happened.
struct Installed<'a> {
    cluster: &'a ControlPlane,
    namespace: String,
    release: String,
}

impl Drop for Installed<'_> {
    fn drop(&mut self) {
        let selector = format!("app.kubernetes.io/instance={}", self.release);
        let _ = self.cluster.admin_kubectl(&[
            "delete",
            "clusterrole,clusterrolebinding",
            "-l",
            &selector,
        ]);
        let _ = self.cluster.admin_kubectl(&[
            "delete",
            "role,rolebinding",
            "-n",
            "default",
            "-l",
            &selector,
        ]);
        let _ =
            self.cluster
                .admin_kubectl(&["delete", "namespace", &self.namespace, "--wait=false"]);
    }
}

fn utf8(path: &Path) -> Result<&str> {
    path.to_str().context("a UTF-8 path")
}

/// Writes a Secret's or ConfigMap's keys (or the volume's `items`) into `dir`, decoded.
fn materialize(cluster: &ControlPlane, namespace: &str, volume: &Value, dir: &Path) -> Result<()> {
    let (kind, name, decode) = if let Some(secret) = volume.get("secret") {
        ("secret", secret["secretName"].as_str(), true)
    } else if let Some(map) = volume.get("configMap") {
        ("configmap", map["name"].as_str(), false)
    } else {
        bail!("a volume the test cannot mount: {volume}");
    };
    let name = name.context("the volume's object name")?;
    let object: Value = serde_json::from_str(
        &cluster.admin_kubectl_ok(&["get", kind, name, "-n", namespace, "-o", "json"])?,
    )?;
    let data = object["data"].as_object().context("the object's data")?;
    let source = volume.get("secret").or(volume.get("configMap"));
    let items: Vec<(String, String)> = match source.and_then(|s| s["items"].as_array()) {
        Some(items) => items
            .iter()
            .map(|i| {
                (
                    i["key"].as_str().unwrap_or_default().to_owned(),
                    i["path"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect(),
        None => data.keys().map(|k| (k.clone(), k.clone())).collect(),
    };
    std::fs::create_dir_all(dir)?;
    for (key, file) in items {
        let value = data[&key].as_str().context("a string value")?;
        let bytes = if decode {
            base64::engine::general_purpose::STANDARD.decode(value)?
        } else {
            value.as_bytes().to_vec()
        };
        std::fs::write(dir.join(file), bytes)?;
    }
    e2e::oci::readable(dir)
}

/// The runc spec of the Deployment's pod: env, volumes, ServiceAccount token, user.
fn pod_spec(
    cluster: &ControlPlane,
    namespace: &str,
    deployment: &Value,
    files: &Path,
    ports: (u16, u16),
) -> Result<Spec> {
    let pod = &deployment["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    let server = cluster.server()?;
    let api_port = server.rsplit(':').next().context("a port")?.to_owned();
    let mut env = vec![
        "KUBERNETES_SERVICE_HOST=127.0.0.1".to_owned(),
        format!("KUBERNETES_SERVICE_PORT={api_port}"),
    ];
    for var in container["env"].as_array().into_iter().flatten() {
        let name = var["name"].as_str().context("an env name")?;
        let value = match name {
            "CERTDESK_LISTEN" => format!("127.0.0.1:{}", ports.0),
            "CERTDESK_METRICS_LISTEN" => format!("127.0.0.1:{}", ports.1),
            _ => var["value"]
                .as_str()
                .context("a literal env value")?
                .to_owned(),
        };
        env.push(format!("{name}={value}"));
    }
    let no_volumes = Vec::new();
    let volumes = pod["volumes"].as_array().unwrap_or(&no_volumes);
    let mut mounts = Vec::new();
    for mount in container["volumeMounts"].as_array().into_iter().flatten() {
        let name = mount["name"].as_str().context("a mount's volume")?;
        let volume = volumes
            .iter()
            .find(|v| v["name"] == name)
            .context("the mount's volume")?;
        let dir = files.join(name);
        materialize(cluster, namespace, volume, &dir)?;
        let at = mount["mountPath"].as_str().context("a mount path")?;
        mounts.push((at.to_owned(), dir));
    }
    // The projected ServiceAccount volume: a bound token of the pod's ServiceAccount.
    let account = pod["serviceAccountName"].as_str().context("an account")?;
    let token = cluster.admin_kubectl_ok(&[
        "create",
        "token",
        account,
        "-n",
        namespace,
        "--duration",
        "1h",
    ])?;
    let secrets = files.join("serviceaccount");
    std::fs::create_dir_all(&secrets)?;
    std::fs::write(secrets.join("token"), token.trim())?;
    std::fs::write(secrets.join("ca.crt"), cluster.ca_pem()?)?;
    std::fs::write(secrets.join("namespace"), namespace)?;
    e2e::oci::readable(&secrets)?;
    mounts.push((
        "/var/run/secrets/kubernetes.io/serviceaccount".to_owned(),
        secrets,
    ));
    let security = &pod["securityContext"];
    let uid = security["runAsUser"].as_u64().context("runAsUser")?;
    let gid = security["runAsGroup"].as_u64().context("runAsGroup")?;
    let args = container["args"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a.as_str().map(str::to_owned))
        .collect();
    Ok(Spec {
        args,
        env,
        mounts,
        user: Some((u32::try_from(uid)?, u32::try_from(gid)?)),
        writable_root: container["securityContext"]["readOnlyRootFilesystem"] != true,
    })
}

/// The chart installed as `helm install` would (hooks left out) in a namespace of its
/// own, with the serving certificate's Secret the operator makes first.
struct Release<'a> {
    installed: Installed<'a>,
    fullname: String,
    objects: Vec<Value>,
    files: tempfile::TempDir,
}

impl<'a> Release<'a> {
    fn install(cluster: &'a ControlPlane) -> Result<Self> {
        let release = e2e::unique("chart");
        let installed = Installed {
            cluster,
            namespace: e2e::unique("certdesk-chart"),
            release: release.clone(),
        };
        let namespace = installed.namespace.clone();
        let files = tempfile::tempdir()?;
        cluster.admin_kubectl_ok(&["create", "namespace", &namespace])?;
        let fullname = format!("{release}-certdesk");
        let (cert, key) = (files.path().join("tls.crt"), files.path().join("tls.key"));
        e2e::tools::self_signed_for_loopback(&cert, &key)?;
        cluster.admin_kubectl_ok(&[
            "create",
            "secret",
            "tls",
            &format!("{fullname}-tls"),
            "-n",
            &namespace,
            "--cert",
            utf8(&cert)?,
            "--key",
            utf8(&key)?,
        ])?;
        // A notification sink whose URL and signing secret live in a Secret, as the
        // chart expects (the pod starts only if the rendered file is one it accepts).
        cluster.admin_kubectl_ok(&[
            "create",
            "secret",
            "generic",
            &format!("{fullname}-hook"),
            "-n",
            &namespace,
            "--from-literal=url=http://127.0.0.1:9/hook",
            "--from-literal=secret=whsec_Y2hhcnQtcG9kLXdlYmhvb2stc2VjcmV0",
        ])?;
        let values = json!({
            "replicaCount": 1,
            "notifications": {
                "portalUrl": "https://certdesk.example.com",
                "sinks": [{ "name": "hook", "format": "webhook", "secretName": format!("{fullname}-hook") }],
            },
            "publicServerUrl": cluster.server()?,
            "policy": { "groups": { "allowed": ["dev-team"] } },
            "tests": { "check": { "signingDeadlineSeconds": 30 } },
            // The pod runs beside the control plane, which reaches no Service: a
            // registered webhook nobody answers would stop every approval (its own
            // tests register one at an address the API server reaches).
            "webhook": { "enabled": false },
            "autoApprove": { "renewals": false },
        });
        let values_file = files.path().join("values.yaml");
        std::fs::write(&values_file, values.to_string())?;
        let objects: Vec<Value> =
            documents(&render(&release, &namespace, &["-f", utf8(&values_file)?])?)?
                .into_iter()
                .filter(|o| o["kind"] != "CustomResourceDefinition")
                .collect();
        let release = Self {
            installed,
            fullname,
            objects,
            files,
        };
        release.apply(|o| !is_hook(o))?;
        Ok(release)
    }

    /// Applies the rendered objects `which` selects, for real.
    fn apply(&self, which: impl Fn(&Value) -> bool) -> Result<()> {
        let items: Vec<&Value> = self.objects.iter().filter(|o| which(o)).collect();
        let list = json!({ "apiVersion": "v1", "kind": "List", "items": items });
        let run = self
            .installed
            .cluster
            .admin_kubectl_stdin(&["apply", "-f", "-"], &list.to_string())?;
        ensure!(run.success, "{}{}", run.stdout, run.stderr);
        Ok(())
    }

    fn namespace(&self) -> &str {
        &self.installed.namespace
    }

    fn cert(&self) -> std::path::PathBuf {
        self.files.path().join("tls.crt")
    }
}

#[test]
#[ignore = "needs the cluster, helm, runc and the image scripts/image.sh builds"]
fn the_backend_works_with_the_charts_own_service_account_and_rbac() -> Result<()> {
    let cluster = ControlPlane::shared()?;
    let release = Release::install(&cluster)?;
    let deployment = *of_kind(&release.objects, "Deployment")
        .first()
        .context("the chart renders a Deployment")?;
    let ports = (e2e::tools::free_port()?, e2e::tools::free_port()?);
    let pod_files = release.files.path().join("pod");
    let spec = pod_spec(&cluster, release.namespace(), deployment, &pod_files, ports)?;
    ensure!(
        !spec.writable_root,
        "the chart's root filesystem is writable"
    );
    let mut container = Container::run(&e2e::oci::image_dir()?, &spec)?;
    let outcome = exercise(
        &cluster,
        release.namespace(),
        &release.fullname,
        &release.cert(),
        ports,
        &mut container,
    )
    .and_then(|()| container.runs_as(65532));
    let output = container.output();
    outcome.with_context(|| format!("the container's output:\n{output}"))?;
    ensure!(
        !output.to_lowercase().contains("forbidden"),
        "the backend was refused something with the chart's RBAC:\n{output}"
    );
    Ok(())
}

#[test]
#[ignore = "needs the cluster, helm, runc and the image scripts/image.sh builds"]
fn the_helm_test_runs_certdesk_check_with_its_own_rights_and_all_is_ok() -> Result<()> {
    let cluster = ControlPlane::shared()?;
    let release = Release::install(&cluster)?;
    // What `helm test` makes: the hooks (the check's account, its rights, its Pod).
    release.apply(|o| is_hook(o) && o["kind"] != "Pod")?;
    let hooks: Vec<&Value> = of_kind(&release.objects, "Pod");
    let pod = *hooks.first().context("the chart renders the test Pod")?;
    ensure!(is_hook(pod), "the check Pod is not a test hook");
    let test_pod = json!({ "spec": { "template": { "spec": pod["spec"] } } });
    let pod_files = release.files.path().join("test-pod");
    let spec = pod_spec(&cluster, release.namespace(), &test_pod, &pod_files, (0, 0))?;
    let mut container = Container::run(&e2e::oci::image_dir()?, &spec)?;
    let passed = container.wait(Duration::from_secs(120))?;
    let output = container.output();
    ensure!(
        passed,
        "certdesk check failed in the helm test's pod:\n{output}"
    );
    let lines: Vec<&str> = output.lines().filter(|l| !l.starts_with('{')).collect();
    for name in [
        "api-server",
        "crds",
        "admission-policy",
        "rbac-needed",
        "rbac-least",
        "signs",
        "lifetime",
        "authenticates",
    ] {
        ensure!(
            lines
                .iter()
                .any(|l| l.starts_with("OK") && l.contains(&format!(" {name}:"))),
            "no OK {name} line:\n{output}"
        );
    }
    ensure!(!output.contains("FAIL"), "{output}");
    // The throwaway CSR is gone.
    let left = cluster.admin_kubectl(&["get", "csr", &format!("{}-check", release.fullname)])?;
    ensure!(!left.success, "the check left its CSR behind");
    Ok(())
}

fn curl_json(args: &[&str], body: Option<&Value>) -> Result<Value> {
    let text = body.map(Value::to_string);
    let answer = e2e::tools::ok("curl", args, text.as_deref().map(str::as_bytes))?;
    serde_json::from_str(&answer).with_context(|| answer)
}

fn exercise(
    cluster: &ControlPlane,
    namespace: &str,
    fullname: &str,
    cert: &Path,
    (port, metrics): (u16, u16),
    container: &mut Container,
) -> Result<()> {
    let base = format!("https://127.0.0.1:{port}");
    let tls = ["--cacert", utf8(cert)?];
    container.wait_for_200(&tls, &format!("{base}/readyz"))?;
    container.wait_for_200(&[], &format!("http://127.0.0.1:{metrics}/metrics"))?;

    // A requester: key and CSR by real openssl, the key kept for the kubeconfig.
    let dir = tempfile::tempdir()?;
    let key = dir.path().join("key.pem");
    let username = e2e::unique("chart-user");
    let csr = e2e::tools::openssl_csr_keeping_key(&format!("/CN={username}/O=dev-team"), &key)?;
    let json_post = [
        "-s",
        "--cacert",
        utf8(cert)?,
        "-H",
        "content-type: application/json",
    ];
    let mut args = json_post.to_vec();
    let submit_url = format!("{base}/api/v1/requests");
    args.extend(["--data-binary", "@-", &submit_url]);
    let ticket = curl_json(
        &args,
        Some(&json!({ "csr_pem": csr, "expiration_seconds": 3600 })),
    )?;
    let id = ticket["id"].as_str().with_context(|| ticket.to_string())?;
    let creator =
        cluster.admin_kubectl_ok(&["get", "csr", id, "-o", "jsonpath={.spec.username}"])?;
    ensure!(
        creator == format!("system:serviceaccount:{namespace}:{fullname}"),
        "{creator}"
    );

    // An approver approves through the chart's backend, with their own token.
    let bearer = format!("authorization: Bearer {}", cluster.approver_token()?);
    let approve_url = format!("{base}/api/v1/admin/requests/{id}/approve");
    let mut args = json_post.to_vec();
    args.extend(["-H", &bearer, "--data-binary", "@-", &approve_url]);
    let approved = curl_json(&args, Some(&json!({ "message": "welcome" })))?;
    ensure!(approved["complete"] == true, "{approved}");

    let status_url = format!("{base}/api/v1/requests/{id}");
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        let status = curl_json(&["-s", "--cacert", utf8(cert)?, &status_url], None)?;
        if status["phase"] == "Issued" {
            break status;
        }
        ensure!(Instant::now() < deadline, "not issued in 60 s: {status}");
        std::thread::sleep(Duration::from_millis(500));
    };
    let pem = status["certificate_pem"]
        .as_str()
        .context("a certificate")?;
    let cert_file = dir.path().join("cert.pem");
    std::fs::write(&cert_file, pem)?;
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, cluster.ca_pem()?)?;
    let whoami: Value = serde_json::from_str(&e2e::tools::ok(
        "kubectl",
        &[
            "--kubeconfig=/dev/null",
            "--server",
            &cluster.server()?,
            "--certificate-authority",
            utf8(&ca_file)?,
            "--client-certificate",
            utf8(&cert_file)?,
            "--client-key",
            utf8(&key)?,
            "auth",
            "whoami",
            "-o",
            "json",
        ],
        None,
    )?)?;
    ensure!(
        whoami["status"]["userInfo"]["username"] == username.as_str(),
        "{whoami}"
    );

    // The record and the audit trail were written with the chart's ServiceAccount.
    let records: Value = serde_json::from_str(&cluster.admin_kubectl_ok(&[
        "get",
        "issuedcertificates",
        "-o",
        "json",
    ])?)?;
    ensure!(
        records["items"]
            .as_array()
            .context("records")?
            .iter()
            .any(|r| r["spec"]["username"] == username.as_str()),
        "no IssuedCertificate for the new user"
    );
    let events = cluster.admin_kubectl_ok(&[
        "get",
        "events.events.k8s.io",
        "-n",
        "default",
        "--field-selector",
        &format!("regarding.name={id}"),
        "-o",
        "json",
    ])?;
    let events: Value = serde_json::from_str(&events)?;
    ensure!(
        events["items"].as_array().is_some_and(|e| !e.is_empty()),
        "no audit Event about {id}"
    );
    Ok(())
}
