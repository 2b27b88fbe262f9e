//! What each cargo-fuzz target (`shared/fuzz/fuzz_targets/`) runs on one input. The
//! regression test (`tests/fuzz_regressions.rs`) replays every input saved under
//! `tests/fixtures/fuzz/<target>/` through the same functions, so a crash found once
//! stays fixed.

use shared::inspect::{
    inspect_certificate, inspect_certificate_der, inspect_csr, inspect_csr_der, issued_by,
};
use shared::kubeconfig::Kubeconfig;
use shared::names::{NameIndex, misreading, skeleton};
use shared::policy::{check, check_subject, pattern_error};
use shared::risk::{RiskContext, RiskInput, assess};
use shared::{KeyAlgorithm, PolicyLimits};

/// What a target runs on one input.
pub type Target = fn(&[u8]);

/// The targets by name, as `cargo fuzz run <name>` and the fixture folders call them.
pub const TARGETS: [(&str, Target); 4] = [
    ("csr", csr),
    ("certificate", certificate),
    ("kubeconfig", kubeconfig),
    ("policy", policy),
];

fn limits() -> PolicyLimits {
    PolicyLimits {
        allowed_groups: vec!["dev-team".to_owned(), "qa".to_owned()],
        ..PolicyLimits::default()
    }
}

fn known_users() -> NameIndex {
    let mut known = NameIndex::new();
    for name in ["admin", "minjun", "kubernetes-admin"] {
        known.insert(name);
    }
    known
}

/// A CSR as DER and as PEM text: decoded, verified, checked against the policy and
/// assessed for risk flags.
pub fn csr(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let limits = limits();
    let known = known_users();
    for info in [inspect_csr_der(data), inspect_csr(&text)]
        .into_iter()
        .flatten()
    {
        let _ = check(&info, &limits, &KeyAlgorithm::ALL, &known);
        let context = RiskContext::new(&limits, &known);
        let mut input = RiskInput::new(&info.common_name);
        input.groups = &info.organizations;
        let _ = assess(&input, &context);
    }
}

/// A certificate as DER and as PEM text, and the text as a CA bundle for itself.
pub fn certificate(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = inspect_certificate_der(data);
    let _ = inspect_certificate(&text);
    let _ = issued_by(&text, &text);
}

/// A kubeconfig: read, its credentials taken out, and — what was read — written back
/// and read again to the same value.
pub fn kubeconfig(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(config) = Kubeconfig::from_yaml(text) else {
        return;
    };
    let _ = config.current_cluster();
    if let Some(user) = config.current_user() {
        let _ = user.user.certificate_pem();
        let _ = user.user.private_key_pem();
    }
    let written = config
        .to_yaml()
        .expect("a kubeconfig that was read can be written");
    let again = Kubeconfig::from_yaml(&written).expect("what was written reads back");
    assert_eq!(again, config, "written:\n{}", written.as_str());
}

/// A username, a username pattern and groups (separated by U+0001): checked against a
/// policy that offers every second group and uses the pattern when it compiles.
pub fn policy(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.split('\u{1}');
    let username = parts.next().unwrap_or_default();
    let pattern = parts.next().filter(|p| !p.is_empty() && p.len() <= 200);
    let groups: Vec<String> = parts.map(str::to_owned).collect();
    let limits = PolicyLimits {
        allowed_groups: groups.iter().step_by(2).cloned().collect(),
        username_pattern: pattern
            .filter(|p| pattern_error(p).is_none())
            .map(str::to_owned),
        ..PolicyLimits::default()
    };
    let mut known = known_users();
    for group in &groups {
        known.insert(group);
    }
    let _ = check_subject(username, &groups, &limits, &known);
    let _ = misreading(username);
    let _ = skeleton(username);
}
