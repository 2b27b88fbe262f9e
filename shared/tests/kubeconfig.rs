//! The kubeconfig model: it writes kubectl's exact shape, reads back what it wrote,
//! keeps hostile names as single string values, and real kubectl accepts the file.
#![cfg(not(target_arch = "wasm32"))]

use std::path::PathBuf;
use std::process::Command;

use base64::Engine as _;
use proptest::prelude::*;
use serde_json::{Value, json};
use shared::kubeconfig::{Credentials, Kubeconfig};

const CA: &str = include_str!("fixtures/ca.crt");
const CERT: &str = include_str!("fixtures/client.crt");
const KEY: &str = include_str!("fixtures/client.key");

fn credentials<'a>(username: &'a str, cluster: &'a str, namespace: &'a str) -> Credentials<'a> {
    Credentials {
        cluster_name: cluster,
        server_url: "https://127.0.0.1:6443",
        ca_pem: CA,
        certificate_pem: CERT,
        private_key_pem: KEY,
        username,
        namespace,
    }
}

/// Reads YAML into a generic tree, the way any other YAML reader would see it.
fn tree(yaml: &str) -> Value {
    serde_saphyr::from_str::<Value>(yaml).expect("the YAML parses")
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

#[test]
fn the_yaml_has_kubectls_exact_shape() {
    let config = Kubeconfig::for_user(credentials("minjun", "dev", "team-a"));
    let yaml = config.to_yaml().unwrap();
    assert_eq!(
        tree(&yaml),
        json!({
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "dev", "cluster": {
                "server": "https://127.0.0.1:6443",
                "certificate-authority-data": b64(CA),
            }}],
            "users": [{"name": "minjun", "user": {
                "client-certificate-data": b64(CERT),
                "client-key-data": b64(KEY),
            }}],
            "contexts": [{"name": "minjun@dev", "context": {
                "cluster": "dev", "user": "minjun", "namespace": "team-a",
            }}],
            "current-context": "minjun@dev",
        })
    );
}

#[test]
fn the_yaml_reads_back_to_the_same_model_and_pems() {
    let config = Kubeconfig::for_user(credentials("minjun", "dev", "default"));
    let back = Kubeconfig::from_yaml(&config.to_yaml().unwrap()).unwrap();
    assert_eq!(back, config);
    let user = back
        .current_user()
        .expect("the current context names the user");
    assert_eq!(user.user.certificate_pem().unwrap().as_deref(), Some(CERT));
    assert_eq!(
        user.user
            .private_key_pem()
            .unwrap()
            .as_deref()
            .map(String::as_str),
        Some(KEY)
    );
    assert_eq!(
        back.current_cluster().unwrap().cluster.server,
        "https://127.0.0.1:6443"
    );
    // The certificate in the file is the one the key belongs to.
    let info = shared::inspect::inspect_certificate(CERT).unwrap();
    assert!(shared::inspect::public_key_matches(&info, KEY).unwrap());
}

#[test]
fn base64_fields_are_one_line_plain_scalars_as_kubectl_writes_them() {
    let yaml = Kubeconfig::for_user(credentials("minjun", "dev", "default"))
        .to_yaml()
        .unwrap();
    assert!(
        !yaml.contains(">-") && !yaml.contains("|-"),
        "{}",
        yaml.as_str()
    );
    // grep FIELD | awk '{print $2}' | base64 -d
    let field = |name: &str| {
        let line = yaml
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("no {name} line"));
        let value = line.split_whitespace().nth(1).expect("a second word");
        let bytes = base64::engine::general_purpose::STANDARD.decode(value);
        String::from_utf8(bytes.expect("base64")).expect("utf-8")
    };
    assert_eq!(field("client-certificate-data"), CERT);
    assert_eq!(field("client-key-data"), KEY);
    assert_eq!(field("certificate-authority-data"), CA);
}

#[test]
fn an_empty_ca_bundle_leaves_the_field_out() {
    let mut creds = credentials("minjun", "dev", "default");
    creds.ca_pem = "";
    let yaml = Kubeconfig::for_user(creds).to_yaml().unwrap();
    assert_eq!(
        tree(&yaml)["clusters"][0]["cluster"],
        json!({"server": "https://127.0.0.1:6443"})
    );
}

#[test]
fn a_kubeconfig_written_by_kubectl_reads_with_extra_fields_ignored() {
    let yaml = format!(
        "apiVersion: v1\nkind: Config\npreferences: {{}}\nclusters:\n- cluster:\n    certificate-authority-data: {ca}\n    server: https://10.0.0.1:6443\n    extensions: []\n  name: prod\ncontexts:\n- context:\n    cluster: prod\n    user: admin\n  name: admin@prod\ncurrent-context: admin@prod\nusers:\n- name: other\n  user:\n    token: abc\n- name: admin\n  user:\n    client-certificate-data: {cert}\n    client-key-data: {key}\n",
        ca = b64(CA),
        cert = b64(CERT),
        key = b64(KEY)
    );
    let config = Kubeconfig::from_yaml(&yaml).unwrap();
    assert_eq!(config.current_user().unwrap().name, "admin");
    assert_eq!(config.current_cluster().unwrap().name, "prod");
    assert_eq!(config.current().unwrap().context.namespace, None);
    assert_eq!(
        config
            .current_user()
            .unwrap()
            .user
            .certificate_pem()
            .unwrap()
            .as_deref(),
        Some(CERT)
    );
}

#[test]
fn text_that_is_not_a_kubeconfig_is_an_error_not_a_panic() {
    for text in ["users: 5", "- a\n- b", "clusters: [", "\u{0}\u{1}"] {
        assert!(
            Kubeconfig::from_yaml(text).is_err(),
            "{text:?} was accepted"
        );
    }
    let bad = "users:\n- name: u\n  user:\n    client-key-data: '%%%'\n";
    let config = Kubeconfig::from_yaml(bad).unwrap();
    assert!(config.users[0].user.private_key_pem().is_err());
}

#[test]
fn debug_output_redacts_the_key() {
    let config = Kubeconfig::for_user(credentials("minjun", "dev", "default"));
    let debug = format!("{config:?}");
    assert!(!debug.contains(&b64(KEY)), "the key is in Debug output");
    assert!(debug.contains("<redacted>"));
}

const HOSTILE: &[&str] = &[
    "a\"\nusers:",
    "a'\n  - name: evil\ncurrent-context: evil",
    "<img src=x onerror=alert(1)>",
    "minjün 🚀 名前",
    "- item",
    "key: value",
    "&anchor *alias !!tag",
    "null",
    "~",
    "true",
    "0x1F",
    "  leading and trailing  ",
    "#comment",
    "}{][",
    "\t\r\u{85}\u{2028}",
];

fn assert_single_values(username: &str, cluster: &str, namespace: &str) {
    let config = Kubeconfig::for_user(credentials(username, cluster, namespace));
    let yaml = config.to_yaml().unwrap();
    let parsed = tree(&yaml);
    let top: Vec<&String> = parsed.as_object().unwrap().keys().collect();
    assert_eq!(
        top,
        [
            "apiVersion",
            "clusters",
            "contexts",
            "current-context",
            "kind",
            "users"
        ],
        "{username:?} changed the top-level keys"
    );
    assert_eq!(parsed["users"].as_array().unwrap().len(), 1);
    assert_eq!(parsed["users"][0]["name"], json!(username));
    assert_eq!(parsed["users"][0]["user"].as_object().unwrap().len(), 2);
    assert_eq!(parsed["clusters"][0]["name"], json!(cluster));
    assert_eq!(parsed["contexts"][0]["context"]["user"], json!(username));
    assert_eq!(
        parsed["contexts"][0]["context"]["namespace"],
        json!(namespace)
    );
    assert_eq!(
        parsed["current-context"],
        json!(format!("{username}@{cluster}"))
    );
    assert_eq!(Kubeconfig::from_yaml(&yaml).unwrap(), config);
}

#[test]
fn hostile_names_stay_one_string_value_and_inject_no_keys() {
    let long = "x".repeat(500);
    for name in HOSTILE.iter().copied().chain([long.as_str()]) {
        assert_single_values(name, "dev", "default");
        assert_single_values("minjun", name, name);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn any_username_stays_one_string_value(username in ".{0,80}", cluster in "\\PC{1,20}") {
        assert_single_values(&username, &cluster, "default");
    }
}

/// kubectl from `scripts/bootstrap.sh` (`$KUBECTL` overrides).
fn kubectl() -> PathBuf {
    if let Some(path) = std::env::var_os("KUBECTL") {
        return PathBuf::from(path);
    }
    let cache = PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/certdesk");
    let found = std::fs::read_dir(&cache).ok().and_then(|entries| {
        entries
            .filter_map(Result::ok)
            .map(|entry| entry.path().join("bin/kubectl"))
            .find(|path| {
                path.is_file()
                    && path
                        .parent()
                        .and_then(|bin| bin.parent())
                        .and_then(|dir| dir.file_name())
                        .is_some_and(|name| name.to_string_lossy().starts_with("k8s-v1.35.4-"))
            })
    });
    found.unwrap_or_else(|| {
        panic!(
            "kubectl not found under {}/k8s-v1.35.4-*/bin: run scripts/bootstrap.sh (or set KUBECTL)",
            cache.display()
        )
    })
}

#[test]
#[ignore = "needs kubectl (scripts/bootstrap.sh)"]
fn kubectl_accepts_the_file_and_sees_the_same_cluster_user_and_context() {
    let kubectl = kubectl();
    for username in [
        "minjun",
        "a\"\nusers:",
        "<img src=x onerror=alert(1)>",
        "minjün 🚀",
    ] {
        let config = Kubeconfig::for_user(credentials(username, "dev", "team-a"));
        let dir = std::env::temp_dir().join(format!(
            "certdesk-kubeconfig-{}-{}",
            std::process::id(),
            username.len()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("config");
        std::fs::write(&file, config.to_yaml().unwrap().as_bytes()).unwrap();
        let output = Command::new(&kubectl)
            .args(["config", "view", "--raw", "-o", "json", "--kubeconfig"])
            .arg(&file)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", kubectl.display()));
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(
            output.status.success(),
            "kubectl refused the file: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let view: Value = serde_json::from_slice(&output.stdout).unwrap();
        let context = format!("{username}@dev");
        assert_eq!(view["current-context"], json!(context));
        assert_eq!(
            view["clusters"][0]["cluster"]["server"],
            json!("https://127.0.0.1:6443")
        );
        assert_eq!(
            view["clusters"][0]["cluster"]["certificate-authority-data"],
            json!(b64(CA))
        );
        assert_eq!(view["users"].as_array().unwrap().len(), 1);
        assert_eq!(view["users"][0]["name"], json!(username));
        assert_eq!(
            view["users"][0]["user"]["client-certificate-data"],
            json!(b64(CERT))
        );
        assert_eq!(view["users"][0]["user"]["client-key-data"], json!(b64(KEY)));
        assert_eq!(view["contexts"][0]["name"], json!(context));
        assert_eq!(view["contexts"][0]["context"]["user"], json!(username));
        assert_eq!(view["contexts"][0]["context"]["namespace"], json!("team-a"));
    }
}
