//! The kubeconfig a requester downloads, as typed structs with kubectl's exact field
//! names, written through a serializer sized for its shape ([`crate::yaml_writer`]) and
//! read with a general YAML reader (never a string template, so a username like
//! `a"\nusers:` stays one string value).
//!
//! [`Kubeconfig`] holds the private key (`client-key-data`): its key-bearing part is
//! wiped from memory when dropped, its `Debug` output is redacted, and it implements
//! `Deserialize` but not `Serialize`, so it cannot be sent as an API body by accident;
//! the only way to write it is [`Kubeconfig::to_yaml`], whose text is wiped on drop too.
//!
//! ```
//! use shared::kubeconfig::{Kubeconfig, Credentials};
//!
//! let config = Kubeconfig::for_user(Credentials {
//!     cluster_name: "dev",
//!     server_url: "https://127.0.0.1:6443",
//!     ca_pem: "-----BEGIN CERTIFICATE-----\n…",
//!     certificate_pem: "-----BEGIN CERTIFICATE-----\n…",
//!     private_key_pem: "-----BEGIN PRIVATE KEY-----\n…",
//!     username: "minjun",
//!     namespace: "default",
//! });
//! assert_eq!(config.current_context, "minjun@dev");
//! let yaml = config.to_yaml().unwrap();
//! assert_eq!(Kubeconfig::from_yaml(&yaml).unwrap(), config);
//! ```
//!
//! The model cannot be serialized as JSON:
//!
//! ```compile_fail
//! # use shared::kubeconfig::Kubeconfig;
//! fn send(config: &Kubeconfig) -> String {
//!     serde_json::to_string(config).unwrap()
//! }
//! ```

use std::fmt;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

/// The largest kubeconfig text [`Kubeconfig::from_yaml`] reads, in bytes.
pub const MAX_YAML_BYTES: usize = 1024 * 1024;

/// Why a kubeconfig could not be written or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KubeconfigError {
    /// The YAML serializer refused the model (it should not, for any string).
    #[error("the kubeconfig could not be written as YAML: {0}")]
    Serialize(String),
    /// The text is not a kubeconfig this model can read.
    #[error("the file is not a readable kubeconfig: {0}")]
    Parse(String),
    /// The text is larger than [`MAX_YAML_BYTES`].
    #[error("the kubeconfig has {size} bytes; at most {MAX_YAML_BYTES} are read")]
    TooLarge {
        /// The text's size in bytes.
        size: usize,
    },
    /// A `*-data` field is not valid base64 of UTF-8 PEM text.
    #[error("the field {field} is not valid base64 of PEM text")]
    DataInvalid {
        /// The kubectl field name, such as `client-certificate-data`.
        field: &'static str,
    },
}

/// What [`Kubeconfig::for_user`] builds a kubeconfig from; every text is taken as a plain
/// string value, whatever it contains.
#[derive(Clone, Copy)]
pub struct Credentials<'a> {
    /// The cluster's name: the cluster entry's name and the context's suffix.
    pub cluster_name: &'a str,
    /// The API server URL the requester reaches the cluster at.
    pub server_url: &'a str,
    /// The PEM bundle of the API server's certificate authorities.
    pub ca_pem: &'a str,
    /// The issued client certificate, PEM.
    pub certificate_pem: &'a str,
    /// The private key, PKCS#8 PEM.
    pub private_key_pem: &'a str,
    /// The Kubernetes username: the user entry's name and the context's prefix.
    pub username: &'a str,
    /// The namespace the context starts in.
    pub namespace: &'a str,
}

/// A kubeconfig (`apiVersion: v1`, `kind: Config`) with the fields kubectl reads for
/// client-certificate access. Fields it does not model are ignored when reading.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Kubeconfig {
    /// Always `v1`.
    #[serde(rename = "apiVersion", default)]
    pub api_version: String,
    /// Always `Config`.
    #[serde(default)]
    pub kind: String,
    /// The clusters, by name.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub clusters: Vec<NamedCluster>,
    /// The users (credentials), by name.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub users: Vec<NamedUser>,
    /// The contexts (cluster + user + namespace), by name.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub contexts: Vec<NamedContext>,
    /// The context kubectl uses by default.
    #[serde(rename = "current-context", default)]
    pub current_context: String,
}

/// A named cluster entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedCluster {
    /// The cluster's name.
    pub name: String,
    /// Where and how to reach it.
    pub cluster: Cluster,
}

/// How to reach an API server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cluster {
    /// The API server URL.
    pub server: String,
    /// Base64 of the PEM bundle that signs the API server's certificate.
    #[serde(
        rename = "certificate-authority-data",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub certificate_authority_data: Option<String>,
}

/// A named user entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NamedUser {
    /// The user entry's name.
    pub name: String,
    /// The credentials.
    pub user: UserCredentials,
}

/// A client certificate and its private key, each as base64 of PEM. Wiped when dropped;
/// `Debug` shows whether a key is present, never the key.
#[derive(Clone, PartialEq, Eq, Default, Deserialize)]
pub struct UserCredentials {
    /// Base64 of the client certificate PEM.
    #[serde(rename = "client-certificate-data", default)]
    pub client_certificate_data: Option<String>,
    /// Base64 of the private key PEM.
    #[serde(rename = "client-key-data", default)]
    pub client_key_data: Option<String>,
    /// A credential plugin to run instead (client-go's `exec`), which holds no key here.
    #[serde(default)]
    pub exec: Option<ExecConfig>,
}

/// A client-go exec credential plugin entry (`users[].user.exec`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecConfig {
    /// The ExecCredential version, `client.authentication.k8s.io/v1`.
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// The program kubectl runs (found on `PATH`).
    pub command: String,
    /// Its arguments.
    #[serde(default)]
    pub args: Vec<String>,
    /// `Never`, `IfAvailable` or `Always`.
    #[serde(
        rename = "interactiveMode",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub interactive_mode: Option<String>,
    /// Whether kubectl passes the cluster's address and CA to the plugin.
    #[serde(rename = "provideClusterInfo", default)]
    pub provide_cluster_info: bool,
    /// What kubectl prints when the program is missing.
    #[serde(
        rename = "installHint",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub install_hint: Option<String>,
}

impl ExecConfig {
    /// The entry that runs `kubectl-certdesk` for `username`, renewing at `portal`.
    pub fn certdesk(portal: &str, username: &str) -> Self {
        Self {
            api_version: "client.authentication.k8s.io/v1".to_owned(),
            command: "kubectl-certdesk".to_owned(),
            args: ["credential", "--portal", portal, "--user", username]
                .map(str::to_owned)
                .to_vec(),
            interactive_mode: Some("IfAvailable".to_owned()),
            provide_cluster_info: true,
            install_hint: Some(format!(
                "kubectl-certdesk keeps this CertDesk credential renewed: install it from {portal}/downloads/ (the portal's issued page shows how)"
            )),
        }
    }
}

impl Drop for UserCredentials {
    fn drop(&mut self) {
        self.client_key_data.zeroize();
    }
}

impl fmt::Debug for UserCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserCredentials")
            .field("client_certificate_data", &self.client_certificate_data)
            .field(
                "client_key_data",
                &self.client_key_data.as_ref().map(|_| "<redacted>"),
            )
            .field("exec", &self.exec)
            .finish()
    }
}

/// A named context entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedContext {
    /// The context's name.
    pub name: String,
    /// Which cluster, user and namespace.
    pub context: Context,
}

/// A cluster, a user and a namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Context {
    /// The cluster entry's name.
    pub cluster: String,
    /// The user entry's name.
    pub user: String,
    /// The namespace kubectl uses by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

impl Kubeconfig {
    /// Builds the kubeconfig for one user: cluster `cluster_name`, user `username` with
    /// the certificate and key embedded, context `<username>@<cluster_name>` in
    /// `namespace`, selected as the current context.
    pub fn for_user(credentials: Credentials<'_>) -> Self {
        let base64 = |text: &str| base64::engine::general_purpose::STANDARD.encode(text);
        let context_name = format!("{}@{}", credentials.username, credentials.cluster_name);
        Self {
            api_version: "v1".to_owned(),
            kind: "Config".to_owned(),
            clusters: vec![NamedCluster {
                name: credentials.cluster_name.to_owned(),
                cluster: Cluster {
                    server: credentials.server_url.to_owned(),
                    certificate_authority_data: (!credentials.ca_pem.trim().is_empty())
                        .then(|| base64(credentials.ca_pem)),
                },
            }],
            users: vec![NamedUser {
                name: credentials.username.to_owned(),
                user: UserCredentials {
                    client_certificate_data: Some(base64(credentials.certificate_pem)),
                    client_key_data: Some(base64(credentials.private_key_pem)),
                    exec: None,
                },
            }],
            contexts: vec![NamedContext {
                name: context_name.clone(),
                context: Context {
                    cluster: credentials.cluster_name.to_owned(),
                    user: credentials.username.to_owned(),
                    namespace: Some(credentials.namespace.to_owned()),
                },
            }],
            current_context: context_name,
        }
    }

    /// One kubeconfig for credentials in several clusters (one kubeconfig a cluster, as
    /// [`Kubeconfig::for_user`] or [`Kubeconfig::with_plugin`] made each): every entry —
    /// cluster, user and context — is named `<user>@<cluster>`, so merging it into a
    /// kubeconfig that already holds a `minjun` user, context or cluster keeps both
    /// (kubectl keeps the first of two entries of one name). The current context is the
    /// first part's. Parts whose `<user>@<cluster>` repeats an earlier one are left out.
    pub fn merged(parts: &[Kubeconfig]) -> Self {
        let mut merged = Self {
            api_version: "v1".to_owned(),
            kind: "Config".to_owned(),
            clusters: Vec::new(),
            users: Vec::new(),
            contexts: Vec::new(),
            current_context: String::new(),
        };
        for part in parts {
            let (Some(context), Some(cluster), Some(user)) =
                (part.current(), part.current_cluster(), part.current_user())
            else {
                continue;
            };
            let name = format!("{}@{}", user.name, cluster.name);
            if merged.contexts.iter().any(|c| c.name == name) {
                continue;
            }
            merged.clusters.push(NamedCluster {
                name: name.clone(),
                cluster: cluster.cluster.clone(),
            });
            merged.users.push(NamedUser {
                name: name.clone(),
                user: user.user.clone(),
            });
            merged.contexts.push(NamedContext {
                name: name.clone(),
                context: Context {
                    cluster: name.clone(),
                    user: name.clone(),
                    namespace: context.context.namespace.clone(),
                },
            });
            if merged.current_context.is_empty() {
                merged.current_context = name;
            }
        }
        merged
    }

    /// The same kubeconfig with the user running the credential plugin
    /// (`kubectl-certdesk`, renewing at `portal`) instead of holding the certificate and
    /// key, which `kubectl certdesk import` moves into the plugin's store.
    pub fn with_plugin(&self, portal: &str) -> Self {
        let mut config = self.clone();
        for user in &mut config.users {
            user.user = UserCredentials {
                client_certificate_data: None,
                client_key_data: None,
                exec: Some(ExecConfig::certdesk(portal, &user.name)),
            };
        }
        config
    }

    /// Writes the kubeconfig as YAML. The text holds the private key and is wiped when
    /// dropped.
    pub fn to_yaml(&self) -> Result<Zeroizing<String>, KubeconfigError> {
        let view = KubeconfigView {
            api_version: &self.api_version,
            kind: &self.kind,
            clusters: &self.clusters,
            users: self
                .users
                .iter()
                .map(|user| NamedUserView {
                    name: &user.name,
                    user: UserView {
                        client_certificate_data: user.user.client_certificate_data.as_deref(),
                        client_key_data: user.user.client_key_data.as_deref(),
                        exec: user.user.exec.as_ref(),
                    },
                })
                .collect(),
            contexts: &self.contexts,
            current_context: &self.current_context,
        };
        // Long base64 values as plain one-line scalars, as kubectl writes them, so the
        // tutorials' `grep client-certificate-data | awk '{print $2}' | base64 -d` works.
        crate::yaml_writer::to_string(&view).map_err(|e| KubeconfigError::Serialize(e.to_string()))
    }

    /// Reads a kubeconfig from YAML text (at most [`MAX_YAML_BYTES`]).
    pub fn from_yaml(text: &str) -> Result<Self, KubeconfigError> {
        if text.len() > MAX_YAML_BYTES {
            return Err(KubeconfigError::TooLarge { size: text.len() });
        }
        serde_saphyr::from_str(text).map_err(|e| KubeconfigError::Parse(e.to_string()))
    }

    /// Returns the context kubectl would use (`current-context`), if it exists.
    pub fn current(&self) -> Option<&NamedContext> {
        self.contexts
            .iter()
            .find(|context| context.name == self.current_context)
    }

    /// Returns the user entry the current context names, or the only user when there
    /// is no usable current context.
    pub fn current_user(&self) -> Option<&NamedUser> {
        match self.current() {
            Some(context) => self
                .users
                .iter()
                .find(|user| user.name == context.context.user),
            None if self.users.len() == 1 => self.users.first(),
            None => None,
        }
    }

    /// Returns the cluster entry the current context names, or the only cluster when
    /// there is no usable current context.
    pub fn current_cluster(&self) -> Option<&NamedCluster> {
        match self.current() {
            Some(context) => self
                .clusters
                .iter()
                .find(|cluster| cluster.name == context.context.cluster),
            None if self.clusters.len() == 1 => self.clusters.first(),
            None => None,
        }
    }
}

impl UserCredentials {
    /// Returns the client certificate as PEM text, decoded from its base64.
    pub fn certificate_pem(&self) -> Result<Option<String>, KubeconfigError> {
        decode_pem(
            self.client_certificate_data.as_deref(),
            "client-certificate-data",
        )
    }

    /// Returns the private key as PEM text, decoded from its base64; wiped when dropped.
    pub fn private_key_pem(&self) -> Result<Option<Zeroizing<String>>, KubeconfigError> {
        decode_pem(self.client_key_data.as_deref(), "client-key-data")
            .map(|pem| pem.map(Zeroizing::new))
    }
}

fn decode_pem(data: Option<&str>, field: &'static str) -> Result<Option<String>, KubeconfigError> {
    let Some(data) = data else { return Ok(None) };
    let compact: Zeroizing<String> =
        Zeroizing::new(data.chars().filter(|c| !c.is_ascii_whitespace()).collect());
    let bytes = Zeroizing::new(
        base64::engine::general_purpose::STANDARD
            .decode(compact.as_bytes())
            .map_err(|_| KubeconfigError::DataInvalid { field })?,
    );
    std::str::from_utf8(&bytes)
        .map(|text| Some(text.to_owned()))
        .map_err(|_| KubeconfigError::DataInvalid { field })
}

/// Writes a kubeconfig read as a whole document (every field, not only those this model
/// knows), after a change to one entry (`kubectl certdesk import`). Wiped when dropped.
pub fn document_to_yaml(
    document: &serde_json::Value,
) -> Result<Zeroizing<String>, KubeconfigError> {
    crate::yaml_writer::to_string(document).map_err(|e| KubeconfigError::Serialize(e.to_string()))
}

/// Reads `null` (as in `users: null`) as an empty list.
fn null_as_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

/// The borrowed form [`Kubeconfig::to_yaml`] serializes; private, so the key-bearing
/// model has no public `Serialize`.
#[derive(Serialize)]
struct KubeconfigView<'a> {
    #[serde(rename = "apiVersion")]
    api_version: &'a str,
    kind: &'a str,
    clusters: &'a [NamedCluster],
    users: Vec<NamedUserView<'a>>,
    contexts: &'a [NamedContext],
    #[serde(rename = "current-context")]
    current_context: &'a str,
}

#[derive(Serialize)]
struct NamedUserView<'a> {
    name: &'a str,
    user: UserView<'a>,
}

#[derive(Serialize)]
struct UserView<'a> {
    #[serde(
        rename = "client-certificate-data",
        skip_serializing_if = "Option::is_none"
    )]
    client_certificate_data: Option<&'a str>,
    #[serde(rename = "client-key-data", skip_serializing_if = "Option::is_none")]
    client_key_data: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exec: Option<&'a ExecConfig>,
}

#[cfg(test)]
mod merged_tests {
    use super::*;

    fn part(cluster: &str, user: &str) -> Kubeconfig {
        Kubeconfig::for_user(Credentials {
            cluster_name: cluster,
            server_url: &format!("https://{cluster}.example:6443"),
            ca_pem: "-----BEGIN CERTIFICATE-----\nQQ==\n-----END CERTIFICATE-----\n",
            certificate_pem: "-----BEGIN CERTIFICATE-----\nQg==\n-----END CERTIFICATE-----\n",
            private_key_pem: "-----BEGIN PRIVATE KEY-----\nQw==\n-----END PRIVATE KEY-----\n",
            username: user,
            namespace: "default",
        })
    }

    #[test]
    fn every_entry_is_named_user_at_cluster_and_the_first_is_current() {
        let merged = Kubeconfig::merged(&[
            part("a", "minjun"),
            part("b", "minjun"),
            part("a", "minjun"),
        ]);
        let names = |v: Vec<&String>| v.into_iter().cloned().collect::<Vec<_>>();
        assert_eq!(
            names(merged.contexts.iter().map(|c| &c.name).collect()),
            ["minjun@a", "minjun@b"]
        );
        assert_eq!(
            names(merged.users.iter().map(|u| &u.name).collect()),
            ["minjun@a", "minjun@b"]
        );
        assert_eq!(
            names(merged.clusters.iter().map(|c| &c.name).collect()),
            ["minjun@a", "minjun@b"]
        );
        assert_eq!(merged.current_context, "minjun@a");
        assert_eq!(merged.clusters[1].cluster.server, "https://b.example:6443");
        let back = Kubeconfig::from_yaml(&merged.to_yaml().unwrap()).unwrap();
        assert_eq!(back, merged);
        // The plugin's entries keep the real username in their arguments.
        let plugged =
            Kubeconfig::merged(&[part("a", "minjun").with_plugin("https://certdesk.a.example")]);
        let exec = plugged.users[0].user.exec.as_ref().unwrap();
        assert!(
            exec.args.windows(2).any(|w| w == ["--user", "minjun"]),
            "{:?}",
            exec.args
        );
    }
}
