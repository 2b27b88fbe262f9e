//! The admission webhook, registered on the real control plane: the identity rule
//! holds for `kubectl certificate approve` too, and nothing else is touched.

use e2e::cluster::ControlPlane;
use serde_json::json;

use crate::helpers::{Server, local_policy, unique};

fn cluster() -> ControlPlane {
    ControlPlane::shared().unwrap_or_else(|e| panic!("{e:#}"))
}

/// Deletes the webhook registration when the test ends, however it ends, so the
/// shared control plane's other tests never meet it.
pub struct Registration<'a> {
    cluster: &'a ControlPlane,
    name: String,
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        let _ = self.cluster.admin_kubectl(&[
            "delete",
            "validatingwebhookconfiguration",
            &self.name,
            "--ignore-not-found",
        ]);
    }
}

/// Which approvals a registration sends to the webhook.
pub enum Scope<'a> {
    /// Only CSRs labelled `certdesk-webhook-test=<scope>` (the shared control plane).
    Label(&'a str),
    /// Every kube-apiserver-client CSR, as in production (a control plane of the
    /// test's own).
    Everything,
}

/// A CertDesk backend serving its webhook, and the webhook's registration.
pub struct Webhook<'a> {
    /// The backend.
    pub server: Server,
    /// The webhook's URL.
    pub url: String,
    /// Its serving certificate (the registration's caBundle), PEM.
    pub ca_pem: String,
    _registration: Registration<'a>,
    _tls: tempfile::TempDir,
}

/// Starts a backend as the identity of `kubeconfig` serving the webhook (with `flags`
/// besides), and registers it for `scope`, as deploy/webhook/ does with a url instead
/// of a Service.
pub fn start<'a>(
    cluster: &'a ControlPlane,
    kubeconfig: &std::path::Path,
    flags: &[&str],
    scope: Scope<'_>,
) -> Webhook<'a> {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
    e2e::tools::self_signed_for_loopback(&cert, &key).unwrap();
    let policy = local_policy();
    let mut args = vec![
        "--policy-file",
        &policy,
        "--webhook-listen",
        "127.0.0.1:0",
        "--webhook-tls-cert-file",
        cert.to_str().unwrap(),
        "--webhook-tls-key-file",
        key.to_str().unwrap(),
    ];
    args.extend_from_slice(flags);
    let server = Server::start_as(kubeconfig, "info", &args);
    let url = server
        .preamble
        .iter()
        .find_map(|l| l.strip_prefix("CertDesk admission webhook is listening on "))
        .expect("the webhook says where it listens")
        .trim()
        .to_owned();
    let registration = Registration {
        cluster,
        name: unique("certdesk-approval-identity"),
    };
    let ca_pem = std::fs::read_to_string(&cert).unwrap();
    use base64::Engine as _;
    let mut conditions = vec![json!({ "name": "kube-apiserver-client-only",
        "expression": "object.spec.signerName == 'kubernetes.io/kube-apiserver-client'" })];
    if let Scope::Label(scope) = scope {
        conditions.push(json!({ "name": "this-test-only",
            "expression": format!("has(object.metadata.labels) && 'certdesk-webhook-test' in object.metadata.labels && object.metadata.labels['certdesk-webhook-test'] == '{scope}'") }));
    }
    let config = json!({
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": { "name": registration.name },
        "webhooks": [{
            "name": "approval-identity.certdesk.dev",
            "admissionReviewVersions": ["v1"],
            "sideEffects": "None",
            "failurePolicy": "Fail",
            "timeoutSeconds": 10,
            "clientConfig": { "url": url, "caBundle": base64::engine::general_purpose::STANDARD.encode(&ca_pem) },
            "rules": [{
                "apiGroups": ["certificates.k8s.io"], "apiVersions": ["v1"],
                "operations": ["UPDATE"], "resources": ["certificatesigningrequests/approval"],
                "scope": "Cluster",
            }],
            "matchConditions": conditions,
        }],
    });
    let run = cluster
        .admin_kubectl_stdin(&["create", "-f", "-"], &config.to_string())
        .unwrap();
    assert!(run.success, "registering the webhook: {}", run.stderr);
    Webhook {
        server,
        url,
        ca_pem,
        _registration: registration,
        _tls: dir,
    }
}

/// A CSR made with openssl for `subject`, created as the admin with the test's label.
fn create_csr(cluster: &ControlPlane, name: &str, subject: &str, signer: &str, scope: &str) {
    let pem = e2e::tools::openssl_csr(subject).unwrap();
    use base64::Engine as _;
    let object = json!({
        "apiVersion": "certificates.k8s.io/v1",
        "kind": "CertificateSigningRequest",
        "metadata": { "name": name, "labels": { "certdesk-webhook-test": scope } },
        "spec": {
            "request": base64::engine::general_purpose::STANDARD.encode(pem),
            "signerName": signer,
            "expirationSeconds": 3600,
            "usages": ["digital signature", "client auth"],
        },
    });
    let run = cluster
        .admin_kubectl_stdin(&["create", "-f", "-"], &object.to_string())
        .unwrap();
    assert!(run.success, "kubectl create: {}", run.stderr);
}

/// `kubectl certificate approve NAME` as the holder of `token`.
pub fn approve_as(cluster: &ControlPlane, token: &str, name: &str) -> e2e::tools::Run {
    let server = cluster.server().unwrap();
    let ca = cluster.dir().join("pki/ca.crt");
    e2e::tools::run(
        "kubectl",
        &[
            "--kubeconfig",
            "/dev/null",
            "--server",
            &server,
            "--certificate-authority",
            ca.to_str().unwrap(),
            "--token",
            token,
            "certificate",
            "approve",
            name,
        ],
        None,
    )
    .unwrap()
}

pub fn approved(cluster: &ControlPlane, name: &str) -> bool {
    let (conditions, _) = cluster.csr_conditions(name).unwrap();
    conditions.iter().any(|c| c == "Approved")
}

/// Approves with kubectl until the new registration is in effect (the API server takes
/// a moment to start calling it): returns kubectl's refusal of a CSR `make` created.
pub fn first_refusal(
    cluster: &ControlPlane,
    token: &str,
    mut make: impl FnMut() -> String,
) -> e2e::tools::Run {
    for _ in 0..50 {
        let name = make();
        let run = approve_as(cluster, token, &name);
        if !run.success {
            assert!(!approved(cluster, &name));
            return run;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    panic!("kubectl certificate approve was let through");
}

#[tokio::test]
#[ignore = "needs cluster"]
async fn kubectl_approvals_follow_the_identity_rule_when_the_webhook_is_registered() {
    let cluster = cluster();
    let scope = unique("scope");
    let webhook = start(
        &cluster,
        &cluster.backend_kubeconfig(),
        &[],
        Scope::Label(&scope),
    );

    // The limited approver may approve for the signer, not hand out the admin group.
    let token = cluster.approver_token().unwrap();
    let admins = unique("certdesk-wh-admins");
    create_csr(
        &cluster,
        &admins,
        &format!("/CN={}/O=kubeadm:cluster-admins", unique("gasida")),
        "kubernetes.io/kube-apiserver-client",
        &scope,
    );
    let mut first = Some(admins);
    let refused = first_refusal(&cluster, &token, || {
        first.take().unwrap_or_else(|| {
            let again = unique("certdesk-wh-admins");
            create_csr(
                &cluster,
                &again,
                &format!("/CN={}/O=kubeadm:cluster-admins", unique("gasida")),
                "kubernetes.io/kube-apiserver-client",
                &scope,
            );
            again
        })
    });
    assert!(
        refused.stderr.contains("CertDesk")
            && refused
                .stderr
                .contains("impersonate on groups/kubeadm:cluster-admins is missing"),
        "kubectl said {:?}",
        refused.stderr
    );

    // An identity this approver may issue goes through, and is signed.
    let allowed = unique("certdesk-wh-dev");
    create_csr(
        &cluster,
        &allowed,
        &format!("/CN={}/O=dev-team", unique("minjun")),
        "kubernetes.io/kube-apiserver-client",
        &scope,
    );
    let run = approve_as(&cluster, &token, &allowed);
    assert!(run.success, "approving dev-team: {}", run.stderr);
    assert!(approved(&cluster, &allowed));

    // A node's client CSR (another signer) never reaches the webhook: an identity
    // allowed to approve for the kubelet signer, and to impersonate nothing, approves it.
    let node_approver = unique("node-approver");
    let role = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": { "name": node_approver },
        "rules": [
            { "apiGroups": ["certificates.k8s.io"], "resources": ["signers"], "resourceNames": ["kubernetes.io/kube-apiserver-client-kubelet"], "verbs": ["approve"] },
            { "apiGroups": ["certificates.k8s.io"], "resources": ["certificatesigningrequests"], "verbs": ["get", "list"] },
            { "apiGroups": ["certificates.k8s.io"], "resources": ["certificatesigningrequests/approval"], "verbs": ["update"] },
        ],
    });
    let run = cluster
        .admin_kubectl_stdin(&["create", "-f", "-"], &role.to_string())
        .unwrap();
    assert!(
        run.success,
        "creating the node approver's role: {}",
        run.stderr
    );
    cluster
        .admin_kubectl_ok(&[
            "create",
            "clusterrolebinding",
            &node_approver,
            &format!("--clusterrole={node_approver}"),
            &format!("--serviceaccount=default:{node_approver}"),
        ])
        .unwrap();
    let node_token = cluster.token_without_rights(&node_approver).unwrap();
    let node = unique("certdesk-wh-node");
    create_csr(
        &cluster,
        &node,
        &format!("/CN=system:node:{}/O=system:nodes", unique("worker")),
        "kubernetes.io/kube-apiserver-client-kubelet",
        &scope,
    );
    let run = approve_as(&cluster, &node_token, &node);
    assert!(run.success, "approving the node's CSR: {}", run.stderr);
    assert!(approved(&cluster, &node));
    drop(webhook);
}
