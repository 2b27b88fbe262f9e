//! `certdesk check` against real control planes: the normal one, one that does not
//! sign, one that caps lifetimes at an hour, and an identity with more power than
//! CertDesk needs.

use std::process::Command;

use e2e::cluster::ControlPlane;

/// Runs `certdesk check` with the control plane's admin kubeconfig; (success, output).
fn check(cluster: &ControlPlane, extra: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_certdesk"))
        .arg("check")
        .arg("--admin-kubeconfig")
        .arg(cluster.admin_kubeconfig())
        .args(extra)
        .output()
        .expect("certdesk runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), text)
}

fn line<'a>(output: &'a str, name: &str) -> &'a str {
    output
        .lines()
        .find(|l| l[4..].trim_start().starts_with(&format!("{name}:")))
        .unwrap_or_else(|| panic!("no {name} line in:\n{output}"))
}

#[test]
#[ignore = "needs cluster"]
fn the_local_control_plane_passes_every_check() {
    let cluster = ControlPlane::shared().unwrap_or_else(|e| panic!("{e:#}"));
    let (ok, output) = check(&cluster, &[]);
    assert!(ok, "{output}");
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
        assert!(line(&output, name).starts_with("OK"), "{output}");
    }
    assert!(
        line(&output, "lifetime").contains("as long as asked"),
        "{output}"
    );
}

#[test]
#[ignore = "needs cluster"]
fn more_power_than_certdesk_needs_fails_unless_it_auto_approves() {
    let cluster = ControlPlane::shared().unwrap_or_else(|e| panic!("{e:#}"));
    // certdesk-auto holds the auto-approval overlay (it may approve).
    let (ok, output) = check(&cluster, &["--service-account", "certdesk-auto"]);
    assert!(!ok, "{output}");
    let least = line(&output, "rbac-least");
    assert!(
        least.starts_with("FAIL") && least.contains("approve"),
        "{output}"
    );
    let (_, output) = check(
        &cluster,
        &["--service-account", "certdesk-auto", "--auto-approve"],
    );
    assert!(line(&output, "rbac-least").starts_with("OK"), "{output}");
}

#[test]
#[ignore = "needs cluster"]
fn a_cluster_that_does_not_sign_fails_signs_and_says_why() {
    let cluster = ControlPlane::start_signing("off").unwrap_or_else(|e| panic!("{e:#}"));
    let (ok, output) = check(&cluster, &["--signing-deadline-seconds", "5"]);
    assert!(!ok, "{output}");
    let signs = line(&output, "signs");
    assert!(signs.starts_with("FAIL"), "{output}");
    assert!(signs.contains("not signed within 5 s"), "{output}");
    assert!(!output.contains("authenticates:"), "{output}");
}

#[test]
#[ignore = "needs cluster"]
fn a_lifetime_cap_is_reported() {
    let cluster = ControlPlane::start_signing("1h").unwrap_or_else(|e| panic!("{e:#}"));
    let (ok, output) = check(&cluster, &[]);
    assert!(ok, "{output}");
    let lifetime = line(&output, "lifetime");
    assert!(
        lifetime.contains("caps certificates at about 1h (asked for 1d)"),
        "{output}"
    );
}

#[test]
fn a_csr_name_that_is_not_a_dns_label_is_refused_before_anything_is_asked() {
    let long = "a".repeat(64);
    for bad in [
        "",
        "Upper",
        "a/b",
        "-leading",
        "trailing-",
        "a.b",
        "x\ny",
        &long,
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_certdesk"))
            .args(["check", "--admin-kubeconfig", "/nonexistent"])
            .arg(format!("--csr-name={bad}"))
            .output()
            .expect("certdesk runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{bad:?} was accepted");
        assert!(
            stderr.contains("--csr-name") && stderr.contains("lower-case"),
            "{bad:?}: {stderr}"
        );
    }
}

#[test]
#[ignore = "needs cluster"]
fn a_named_check_replaces_a_leftover_csr_of_its_name_and_deletes_its_own() {
    let cluster = ControlPlane::shared().unwrap_or_else(|e| panic!("{e:#}"));
    let name = e2e::unique("check-named");
    // What a killed run leaves: a pending CSR of the check's name.
    cluster
        .create_client_csr(&name, &format!("/CN={name}"))
        .unwrap();
    let (ok, output) = check(&cluster, &["--csr-name", &name]);
    assert!(ok, "{output}");
    assert!(line(&output, "authenticates").contains(&name), "{output}");
    assert!(
        !cluster
            .admin_kubectl(&["get", "csr", &name])
            .unwrap()
            .success,
        "the check left its CSR behind"
    );
}
