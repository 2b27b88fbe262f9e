//! The Helm chart and the kustomize base: `helm lint`, the base is what the chart
//! renders, the chart's RBAC is `deploy/rbac-*.yaml`'s, every rendered set (default,
//! fully enabled, behind a proxy, kustomize) applies with `--dry-run=server` to the
//! local control plane with the Gateway API, cert-manager and prometheus-operator CRDs
//! installed, and the pods pass Pod Security "restricted" as the API server enforces it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result, ensure};
use e2e::cluster::ControlPlane;
use e2e::helm::{chart_dir, documents, helm, of_kind, render};
use serde_json::{Value, json};

fn values(file: &str) -> PathBuf {
    chart_dir().join("ci").join(file)
}

fn path(p: &std::path::Path) -> Result<&str> {
    p.to_str().context("a UTF-8 path")
}

#[test]
#[ignore = "needs helm (scripts/helm.sh builds it from the Go module proxy)"]
fn helm_lint_passes_for_the_defaults_and_every_ci_values_file() -> Result<()> {
    let chart = chart_dir();
    helm(&["lint", "--strict", path(&chart)?])?;
    for file in ["full-values.yaml", "proxy-values.yaml"] {
        helm(&[
            "lint",
            "--strict",
            path(&chart)?,
            "-f",
            path(&values(file))?,
        ])?;
    }
    Ok(())
}

#[test]
#[ignore = "needs helm (scripts/helm.sh builds it from the Go module proxy)"]
fn values_that_cannot_work_are_refused_with_what_to_change() -> Result<()> {
    let chart = chart_dir();
    let cases: [(&[&str], &str); 11] = [
        (
            &[
                "--set",
                "notifications.sinks[0].name=s",
                "--set",
                "notifications.sinks[0].format=slack",
                "--set",
                "notifications.sinks[0].secretName=x",
            ],
            "notifications.portalUrl",
        ),
        (
            &[
                "--set",
                "notifications.portalUrl=https://c.example",
                "--set",
                "notifications.sinks[0].name=s",
                "--set",
                "notifications.sinks[0].format=sms",
                "--set",
                "notifications.sinks[0].secretName=x",
            ],
            "format",
        ),
        (&["--set", "tls.mode=proxy"], "tls.trustedProxies"),
        (
            &["--set", "webhook.enabled=false"],
            "autoApprove needs webhook.enabled",
        ),
        (&["--set", "webhook.tls.mode=self"], "/webhook/tls/mode"),
        (&["--set", "tls.mode=plain"], "tls/mode"),
        (
            &["--set", "publicServerUrl=http://10.96.0.1"],
            "publicServerUrl",
        ),
        (&["--set", "replicacount=3"], "replicacount"),
        (
            &["--set", "oidc.issuerUrl=https://id.example.com"],
            "oidc.clientId",
        ),
        (
            &[
                "--set",
                "peers[0].name=Staging",
                "--set",
                "peers[0].url=https://c.example",
            ],
            "/peers/0/name",
        ),
        (
            &[
                "--set",
                "oidc.issuerUrl=http://id.example.com",
                "--set",
                "oidc.clientId=c",
            ],
            "issuerUrl",
        ),
    ];
    for (more, named) in cases {
        let mut args = vec!["template", "certdesk", path(&chart)?];
        args.extend_from_slice(more);
        let script = e2e::repo_root().join("scripts/helm.sh");
        let run = e2e::tools::run(path(&script)?, &args, None)?;
        ensure!(!run.success, "{more:?} rendered");
        ensure!(run.stderr.contains(named), "{more:?}: {}", run.stderr);
    }
    Ok(())
}

#[test]
#[ignore = "needs helm (scripts/helm.sh builds it from the Go module proxy)"]
fn the_oidc_and_peer_values_become_the_backends_settings_and_are_off_by_default() -> Result<()> {
    let chart = chart_dir();
    let script = e2e::repo_root().join("scripts/helm.sh");
    let render = |more: &[&str]| -> Result<String> {
        let mut args = vec!["template", "certdesk", path(&chart)?];
        args.extend_from_slice(more);
        let run = e2e::tools::run(path(&script)?, &args, None)?;
        ensure!(run.success, "{more:?}: {}", run.stderr);
        Ok(run.stdout)
    };
    ensure!(
        !render(&[])?.contains("CERTDESK_OIDC_"),
        "OIDC settings without oidc.issuerUrl"
    );
    ensure!(
        !render(&[])?.contains("CERTDESK_PEERS"),
        "peers without peers"
    );
    let peers = render(&[
        "--set",
        "peers[0].name=staging",
        "--set",
        "peers[0].url=https://certdesk.staging.example.com",
    ])?;
    ensure!(
        peers.contains(
            r#"value: "[{\"name\":\"staging\",\"url\":\"https://certdesk.staging.example.com\"}]""#
        ),
        "the peers' rendering: {peers}"
    );
    let on = render(&[
        "--set",
        "oidc.issuerUrl=https://id.example.com/realms/platform",
        "--set",
        "oidc.clientId=certdesk",
        "--set",
        "oidc.displayName=Example SSO",
    ])?;
    for expected in [
        "name: CERTDESK_OIDC_ISSUER_URL\n              value: \"https://id.example.com/realms/platform\"",
        "name: CERTDESK_OIDC_CLIENT_ID\n              value: \"certdesk\"",
        "name: CERTDESK_OIDC_DISPLAY_NAME\n              value: \"Example SSO\"",
        "name: CERTDESK_OIDC_SCOPES\n              value: \"openid,profile,email,groups,offline_access\"",
        "name: CERTDESK_OIDC_USERNAME_PREFIX\n              value: \"oidc:\"",
    ] {
        ensure!(on.contains(expected), "the rendering lacks {expected:?}");
    }
    Ok(())
}

#[test]
#[ignore = "needs helm (scripts/helm.sh builds it from the Go module proxy)"]
fn the_kustomize_base_is_what_the_chart_renders() -> Result<()> {
    let script = e2e::repo_root().join("scripts/kustomize-base.sh");
    e2e::tools::ok(path(&script)?, &["--check"], None)?;
    Ok(())
}

/// Each ClusterRole's and Role's rules by name.
fn rules_by_name(objects: &[Value]) -> BTreeMap<String, Value> {
    objects
        .iter()
        .filter(|o| o["kind"] == "ClusterRole" || o["kind"] == "Role")
        .filter(|o| !e2e::helm::is_hook(o))
        .map(|o| {
            let name = o["metadata"]["name"].as_str().unwrap_or_default();
            (name.to_owned(), o["rules"].clone())
        })
        .collect()
}

#[test]
#[ignore = "needs helm (scripts/helm.sh builds it from the Go module proxy)"]
fn the_charts_rbac_is_exactly_the_manifests() -> Result<()> {
    let deploy = e2e::repo_root().join("deploy");
    let mut manifests = String::new();
    for file in [
        "rbac-backend.yaml",
        "rbac-backend-auto-approve.yaml",
        "rbac-backend-webhook.yaml",
    ] {
        manifests += &std::fs::read_to_string(deploy.join(file))?;
        manifests += "\n---\n";
    }
    let expected = rules_by_name(&documents(&manifests)?);
    let rendered = render(
        "certdesk",
        "certdesk",
        &[
            "--set",
            "autoApprove.invites=true",
            "--set",
            "webhook.enabled=true",
            "--set",
            "webhook.tls.certManager.issuerRef.name=ca",
        ],
    )?;
    let actual = rules_by_name(&documents(&rendered)?);
    ensure!(
        serde_json::to_value(&actual)? == serde_json::to_value(&expected)?,
        "the chart's roles differ from deploy/rbac-*.yaml:\nchart: {actual:#?}\nmanifests: {expected:#?}"
    );
    // Without auto-approval the backend holds no approval right at all.
    let plain = rules_by_name(&documents(&render(
        "certdesk",
        "certdesk",
        &["--set", "autoApprove.renewals=false"],
    )?)?);
    ensure!(
        !plain.contains_key("certdesk:backend-auto-approve"),
        "{plain:#?}"
    );
    Ok(())
}

/// Installs the third-party CRDs (`scripts/third-party-crds.sh`) for real.
fn install_third_party_crds(cluster: &ControlPlane) -> Result<()> {
    let script = e2e::repo_root().join("scripts/third-party-crds.sh");
    let dir = e2e::tools::ok(path(&script)?, &[], None)?;
    cluster.admin_kubectl_ok(&[
        "apply",
        "--server-side",
        "--force-conflicts",
        "-f",
        dir.trim(),
    ])?;
    for crd in [
        "httproutes.gateway.networking.k8s.io",
        "certificates.cert-manager.io",
        "servicemonitors.monitoring.coreos.com",
    ] {
        cluster.admin_kubectl_ok(&[
            "wait",
            "--for=condition=Established",
            "--timeout=60s",
            &format!("crd/{crd}"),
        ])?;
    }
    Ok(())
}

fn dry_run_apply(cluster: &ControlPlane, what: &str, yaml: &str) -> Result<()> {
    let run = cluster.admin_kubectl_stdin(&["apply", "--dry-run=server", "-f", "-"], yaml)?;
    ensure!(
        run.success,
        "{what} does not apply:\n{}{}",
        run.stdout,
        run.stderr
    );
    ensure!(
        !run.stderr.contains("PodSecurity"),
        "{what}: {}",
        run.stderr
    );
    Ok(())
}

#[test]
#[ignore = "needs the cluster and helm"]
fn every_rendered_set_applies_with_server_side_dry_run() -> Result<()> {
    let cluster = ControlPlane::shared()?;
    install_third_party_crds(&cluster)?;
    let full = values("full-values.yaml");
    let proxy = values("proxy-values.yaml");
    let sets = [
        ("the defaults", render("certdesk", "certdesk", &[])?),
        (
            "full-values.yaml",
            render("certdesk", "certdesk", &["-f", path(&full)?])?,
        ),
        (
            "proxy-values.yaml",
            render("certdesk", "certdesk", &["-f", path(&proxy)?])?,
        ),
    ];
    for (what, yaml) in &sets {
        // The helm test's Pod needs its ServiceAccount, which a dry run does not make:
        // the Pod itself is admitted in the Pod Security test below.
        let objects: Vec<Value> = documents(yaml)?
            .into_iter()
            .filter(|o| !(e2e::helm::is_hook(o) && o["kind"] == "Pod"))
            .collect();
        let list = json!({ "apiVersion": "v1", "kind": "List", "items": objects });
        dry_run_apply(&cluster, what, &list.to_string())?;
    }
    let kinds: Vec<String> = documents(&sets[1].1)?
        .iter()
        .filter_map(|o| o["kind"].as_str().map(str::to_owned))
        .collect();
    for kind in [
        "HTTPRoute",
        "Certificate",
        "ServiceMonitor",
        "Ingress",
        "NetworkPolicy",
        "PodDisruptionBudget",
    ] {
        ensure!(
            kinds.iter().any(|k| k == kind),
            "full-values.yaml renders no {kind}"
        );
    }
    let base = e2e::repo_root().join("deploy/kustomize");
    let kustomized = cluster.admin_kubectl_ok(&["kustomize", path(&base)?])?;
    dry_run_apply(&cluster, "deploy/kustomize", &kustomized)
}

/// A Pod made of a rendered pod spec, in `namespace`.
fn pod(name: &str, namespace: &str, spec: &Value) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": { "name": name, "namespace": namespace },
        "spec": spec,
    })
}

#[test]
#[ignore = "needs the cluster and helm"]
fn the_pods_pass_pod_security_restricted_as_the_api_server_enforces_it() -> Result<()> {
    let cluster = ControlPlane::shared()?;
    let namespace = e2e::unique("certdesk-psa");
    cluster.admin_kubectl_ok(&["create", "namespace", &namespace])?;
    let outcome = (|| -> Result<()> {
        cluster.admin_kubectl_ok(&[
            "label",
            "namespace",
            &namespace,
            "pod-security.kubernetes.io/enforce=restricted",
        ])?;
        let create = |object: &Value| {
            cluster.admin_kubectl_stdin(
                &["create", "--dry-run=server", "-f", "-"],
                &object.to_string(),
            )
        };
        // The namespace does enforce: a pod with the defaults of a plain container is refused.
        let plain = pod(
            "plain",
            &namespace,
            &json!({ "containers": [{ "name": "c", "image": "certdesk" }] }),
        );
        let refused = create(&plain)?;
        ensure!(
            !refused.success && refused.stderr.contains("restricted"),
            "a plain pod was admitted: {}{}",
            refused.stdout,
            refused.stderr
        );
        // Pods are admitted only with their ServiceAccounts.
        for account in ["certdesk", "certdesk-check"] {
            cluster.admin_kubectl_ok(&["create", "serviceaccount", account, "-n", &namespace])?;
        }
        let full = values("full-values.yaml");
        for more in [vec![], vec!["-f", path(&full)?]] {
            let objects = documents(&render("certdesk", &namespace, &more)?)?;
            let mut specs = Vec::new();
            for deployment in of_kind(&objects, "Deployment") {
                specs.push(deployment["spec"]["template"]["spec"].clone());
            }
            for test_pod in of_kind(&objects, "Pod") {
                specs.push(test_pod["spec"].clone());
            }
            ensure!(specs.len() == 2, "a Deployment and the test Pod: {specs:?}");
            for (i, spec) in specs.iter().enumerate() {
                let run = create(&pod(&format!("certdesk-{i}"), &namespace, spec))?;
                ensure!(
                    run.success,
                    "refused under restricted ({more:?}):\n{}{}",
                    run.stdout,
                    run.stderr
                );
            }
        }
        Ok(())
    })();
    let _ = cluster.admin_kubectl(&["delete", "namespace", &namespace, "--wait=false"]);
    outcome
}
