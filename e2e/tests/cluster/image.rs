//! CertDesk's image run the way a kubelet runs it, with Debian's runc ([`e2e::oci`]):
//! a read-only root filesystem, UID 65532, a ServiceAccount token from the TokenRequest
//! API and the cluster's `ca.crt` mounted at `/var/run/secrets/kubernetes.io/serviceaccount/`,
//! and `KUBERNETES_SERVICE_HOST`/`PORT` set. `/readyz` answers 200 and a submission
//! becomes a CSR.

use anyhow::{Context, Result, ensure};
use e2e::cluster::ControlPlane;
use e2e::oci::{Container, Spec};
use serde_json::{Value, json};

#[test]
#[ignore = "needs the cluster, runc and the image scripts/image.sh builds"]
fn the_image_runs_as_a_kubelet_runs_it_and_serves_requests() -> Result<()> {
    let cluster = ControlPlane::shared()?;
    let image = e2e::oci::image_dir()?;
    let files = tempfile::tempdir()?;

    // What the kubelet mounts: a bound ServiceAccount token, the CA, the namespace.
    let secrets = files.path().join("serviceaccount");
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
    e2e::oci::readable(&secrets)?;

    let server = cluster.server()?;
    let api_port = server
        .rsplit(':')
        .next()
        .context("the API server's port")?
        .to_owned();
    let port = e2e::tools::free_port()?;
    let spec = Spec {
        env: vec![
            "KUBERNETES_SERVICE_HOST=127.0.0.1".to_owned(),
            format!("KUBERNETES_SERVICE_PORT={api_port}"),
            format!("CERTDESK_LISTEN=127.0.0.1:{port}"),
            format!("CERTDESK_PUBLIC_SERVER_URL={server}"),
            "CERTDESK_NAMESPACE=certdesk".to_owned(),
        ],
        mounts: vec![(
            "/var/run/secrets/kubernetes.io/serviceaccount".to_owned(),
            secrets,
        )],
        ..Spec::default()
    };
    let mut container = Container::run(&image, &spec)?;
    let outcome = exercise(&cluster, port, &mut container).and_then(|()| container.runs_as(65532));
    outcome.with_context(|| format!("the container's output:\n{}", container.output()))
}

fn exercise(cluster: &ControlPlane, port: u16, container: &mut Container) -> Result<()> {
    let base = format!("http://127.0.0.1:{port}");
    container.wait_for_200(&[], &format!("{base}/readyz"))?;
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
