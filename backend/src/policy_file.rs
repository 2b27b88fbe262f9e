//! The operator's policy file (`--policy-file`): one YAML document holding every rule
//! requests are held to. Read and checked once at start; a mistake stops the backend
//! with a message naming the line.
//!
//! ```yaml
//! groups:
//!   allowed: [dev-team, qa]            # what requesters may ask for (default: none)
//!   admin: [platform-admins]           # besides kubeadm:cluster-admins: flagged red
//!                                      # always, refused unless listed in `allowed`
//!   max: 10
//! usernames:
//!   reservedPrefixes: ["svc-"]         # system: is always reserved
//!   pattern: "[a-z][a-z0-9.-]*"        # must match the whole name (default
//!                                      # [A-Za-z0-9][A-Za-z0-9._@-]*; ".+" allows any)
//!   maxChars: 64
//!   alwaysRequireImpersonate: false    # ask `impersonate` on every username, not
//!                                      # only bound, system: and ServiceAccount ones
//! keys:
//!   algorithms: [ecdsa-p256, ed25519, rsa3072]   # the first is the form's default
//!   minRsaBits: 3072
//! lifetime:                            # seconds, or a number with s, m, h or d
//!   default: 7d                        # a certificate downloaded by hand…
//!   min: 10m
//!   max: 7d                            # …which nothing renews or revokes
//! invites:
//!   required: false
//! renewals:
//!   autoApprove: false                 # renewals by proof of possession, by CertDesk
//!   pluginLifetime: 8h                 # what kubectl-certdesk keeps renewed
//! ```
//!
//! Every key is optional; an unknown key is a mistake.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use shared::{DurationLimits, KeyAlgorithm, PolicyLimits};

/// Every rule of the operator's policy, ready to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The rules on subjects and keys (also sent to the browser).
    pub limits: PolicyLimits,
    /// The lifetime bounds.
    pub duration: DurationLimits,
    /// The key algorithms allowed, the first being the form's default.
    pub key_algorithms: Vec<KeyAlgorithm>,
    /// Whether requests must come through an invite link.
    pub invite_required: bool,
    /// Whether renewals of a live CertDesk certificate are approved by CertDesk itself.
    pub auto_approve_renewals: bool,
    /// Whether approving asks about every username (`impersonate` on `users/<name>`),
    /// not only those that can hold rights: for clusters whose authorizer grants by
    /// username outside RBAC (a webhook authorizer, ABAC).
    pub always_require_impersonate: bool,
}

impl Default for Policy {
    /// The design's defaults.
    fn default() -> Self {
        Self {
            limits: PolicyLimits::default(),
            duration: DurationLimits::default(),
            key_algorithms: KeyAlgorithm::ALL.to_vec(),
            invite_required: false,
            auto_approve_renewals: false,
            always_require_impersonate: false,
        }
    }
}

/// A policy file that cannot be used, with where and why.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The file cannot be read.
    #[error("--policy-file (CERTDESK_POLICY_FILE) {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why it cannot be read.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid YAML, or has a key or value of the wrong kind.
    #[error("--policy-file {path}: {message}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The parser's message, with the line and column.
        message: String,
    },
    /// A value is well-formed but makes no sense.
    #[error("--policy-file {path}, line {line}: {key}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The line of the key (1-based; 0 when it cannot be found).
        line: usize,
        /// The key, such as `lifetime.max`.
        key: &'static str,
        /// What is wrong, and what to write instead.
        message: String,
    },
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PolicyDocument {
    #[serde(default)]
    groups: Groups,
    #[serde(default)]
    usernames: Usernames,
    #[serde(default)]
    keys: Keys,
    #[serde(default)]
    lifetime: Lifetime,
    #[serde(default)]
    invites: Invites,
    #[serde(default)]
    renewals: Renewals,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Groups {
    #[serde(default)]
    allowed: Vec<String>,
    #[serde(default)]
    admin: Vec<String>,
    max: Option<u8>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Usernames {
    #[serde(default)]
    reserved_prefixes: Vec<String>,
    pattern: Option<String>,
    max_chars: Option<u8>,
    #[serde(default)]
    always_require_impersonate: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Keys {
    algorithms: Option<Vec<KeyAlgorithm>>,
    min_rsa_bits: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Lifetime {
    default: Option<Seconds>,
    min: Option<Seconds>,
    max: Option<Seconds>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Invites {
    #[serde(default)]
    required: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Renewals {
    #[serde(default)]
    auto_approve: bool,
    plugin_lifetime: Option<Seconds>,
}

/// A lifetime: whole seconds, or a number followed by `s`, `m`, `h` or `d`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(try_from = "SecondsText")]
struct Seconds(u32);

#[derive(Deserialize)]
#[serde(untagged)]
enum SecondsText {
    Number(u64),
    Text(String),
}

impl TryFrom<SecondsText> for Seconds {
    type Error = String;

    fn try_from(value: SecondsText) -> Result<Self, String> {
        let seconds = match value {
            SecondsText::Number(n) => n,
            SecondsText::Text(text) => {
                let text = text.trim();
                let split =
                    text.len() - text.trim_start_matches(|c: char| c.is_ascii_digit()).len();
                let (digits, unit) = text.split_at(split);
                let unit = match unit.trim() {
                    "" | "s" => 1,
                    "m" => 60,
                    "h" => 3600,
                    "d" => 86_400,
                    other => {
                        return Err(format!(
                            "unknown unit {other:?} in {text:?}: use s, m, h or d"
                        ));
                    }
                };
                let n: u64 = digits.parse().map_err(|_| {
                    format!("{text:?} is not a lifetime: write e.g. 600, 10m, 8h or 30d")
                })?;
                n.saturating_mul(unit)
            }
        };
        u32::try_from(seconds)
            .map(Seconds)
            .map_err(|_| format!("{seconds} seconds is too long"))
    }
}

impl Policy {
    /// Reads and checks the policy file at `path`.
    pub fn read(path: &Path) -> Result<Self, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text).map_err(|problem| problem.at(path, &text))
    }

    /// Parses and checks a policy document.
    fn parse(text: &str) -> Result<Self, Problem> {
        let document: PolicyDocument = if text.trim().is_empty() {
            PolicyDocument::default()
        } else {
            serde_saphyr::from_str(text).map_err(|e| Problem::Syntax(e.to_string()))?
        };
        document.into_policy()
    }
}

/// What is wrong, before the file's path and the key's line are known.
enum Problem {
    Syntax(String),
    Invalid(&'static str, String),
}

impl Problem {
    fn at(self, path: &Path, text: &str) -> PolicyError {
        match self {
            Problem::Syntax(message) => PolicyError::Syntax {
                path: path.to_owned(),
                message,
            },
            Problem::Invalid(key, message) => PolicyError::Invalid {
                path: path.to_owned(),
                line: line_of(text, key),
                key,
                message,
            },
        }
    }
}

/// Returns the 1-based line of a dotted key (`lifetime.max`): the first line holding
/// its last part after the line holding its first (0 when not found).
fn line_of(text: &str, key: &str) -> usize {
    let mut parts = key.split('.');
    let (Some(section), Some(leaf)) = (parts.next(), parts.next()) else {
        return 0;
    };
    let starts = |line: &str, name: &str| line.trim_start().starts_with(&format!("{name}:"));
    let lines: Vec<&str> = text.lines().collect();
    let Some(section_at) = lines.iter().position(|l| starts(l, section)) else {
        return 0;
    };
    lines[section_at..]
        .iter()
        .position(|l| starts(l, leaf))
        .map_or(section_at + 1, |offset| section_at + offset + 1)
}

impl PolicyDocument {
    fn into_policy(self) -> Result<Policy, Problem> {
        let defaults = Policy::default();
        let invalid = |key, message: String| Err(Problem::Invalid(key, message));
        let mut limits = PolicyLimits {
            allowed_groups: self.groups.allowed,
            max_groups: self.groups.max.unwrap_or(defaults.limits.max_groups),
            max_name_chars: self
                .usernames
                .max_chars
                .unwrap_or(defaults.limits.max_name_chars),
            admin_groups: defaults.limits.admin_groups,
            reserved_username_prefixes: defaults.limits.reserved_username_prefixes,
            username_pattern: self.usernames.pattern.or(defaults.limits.username_pattern),
            min_rsa_bits: self
                .keys
                .min_rsa_bits
                .unwrap_or(defaults.limits.min_rsa_bits),
        };
        for prefix in self.usernames.reserved_prefixes {
            if prefix.is_empty() {
                return invalid(
                    "usernames.reservedPrefixes",
                    "an empty prefix would reserve every name".into(),
                );
            }
            if !limits.reserved_username_prefixes.contains(&prefix) {
                limits.reserved_username_prefixes.push(prefix);
            }
        }
        if let Some(pattern) = &limits.username_pattern
            && let Some(error) = shared::policy::pattern_error(pattern)
        {
            return invalid("usernames.pattern", format!("not a valid pattern: {error}"));
        }
        if limits.max_name_chars == 0 {
            return invalid("usernames.maxChars", "must be at least 1".into());
        }
        if limits.min_rsa_bits < shared::policy::MIN_RSA_BITS {
            return invalid(
                "keys.minRsaBits",
                format!("must be at least {}", shared::policy::MIN_RSA_BITS),
            );
        }
        for group in self.groups.admin {
            if !limits.admin_groups.contains(&group) {
                limits.admin_groups.push(group);
            }
        }
        let nobody = shared::names::NameIndex::new();
        let unrestricted = limits.clone();
        for group in &limits.allowed_groups {
            let refusals = shared::policy::check_subject(
                "policy-check",
                std::slice::from_ref(group),
                &unrestricted,
                &nobody,
            );
            let group_refusal = refusals
                .iter()
                .find(|v| matches!(v.field, Some(shared::policy::Field::Group { .. })));
            if let Some(refusal) = group_refusal {
                return invalid(
                    "groups.allowed",
                    format!("{group:?} cannot be offered: {}", refusal.message),
                );
            }
        }
        let key_algorithms = self.keys.algorithms.unwrap_or(defaults.key_algorithms);
        if key_algorithms.is_empty() {
            return invalid("keys.algorithms", "list at least one algorithm".into());
        }
        if let Some(weak) = key_algorithms
            .iter()
            .find(|a| rsa_bits(**a).is_some_and(|b| b < limits.min_rsa_bits))
        {
            return invalid(
                "keys.algorithms",
                format!("{} is below keys.minRsaBits", weak.label()),
            );
        }
        let max_seconds = self
            .lifetime
            .max
            .map_or(defaults.duration.max_seconds, |s| s.0);
        // Unset, the defaults fit under an operator's lower maximum.
        let duration = DurationLimits {
            default_seconds: self
                .lifetime
                .default
                .map_or(defaults.duration.default_seconds.min(max_seconds), |s| s.0),
            min_seconds: self
                .lifetime
                .min
                .map_or(defaults.duration.min_seconds, |s| s.0),
            max_seconds,
            plugin_seconds: self
                .renewals
                .plugin_lifetime
                .map_or(defaults.duration.plugin_seconds.min(max_seconds), |s| s.0),
        };
        if duration.min_seconds < 600 {
            return invalid(
                "lifetime.min",
                "the Kubernetes API's minimum is 600 seconds (10m)".into(),
            );
        }
        if duration.max_seconds < duration.min_seconds {
            return invalid("lifetime.max", "must not be below lifetime.min".into());
        }
        if !(duration.min_seconds..=duration.max_seconds).contains(&duration.default_seconds) {
            return invalid(
                "lifetime.default",
                "must lie between lifetime.min and lifetime.max".into(),
            );
        }
        if !(duration.min_seconds..=duration.max_seconds).contains(&duration.plugin_seconds) {
            return invalid(
                "renewals.pluginLifetime",
                "must lie between lifetime.min and lifetime.max".into(),
            );
        }
        Ok(Policy {
            limits,
            duration,
            key_algorithms,
            invite_required: self.invites.required,
            auto_approve_renewals: self.renewals.auto_approve,
            always_require_impersonate: self.usernames.always_require_impersonate,
        })
    }
}

fn rsa_bits(algorithm: KeyAlgorithm) -> Option<u32> {
    match algorithm {
        KeyAlgorithm::Rsa2048 => Some(2048),
        KeyAlgorithm::Rsa3072 => Some(3072),
        KeyAlgorithm::Rsa4096 => Some(4096),
        KeyAlgorithm::EcdsaP256 | KeyAlgorithm::EcdsaP384 | KeyAlgorithm::Ed25519 => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(text: &str) -> String {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("policy.yaml");
        std::fs::write(&path, text).expect("write");
        Policy::read(&path).expect_err("refused").to_string()
    }

    #[test]
    fn an_empty_file_is_the_defaults() {
        assert_eq!(Policy::parse("").ok(), Some(Policy::default()));
        assert_eq!(Policy::parse("{}\n").ok(), Some(Policy::default()));
    }

    #[test]
    fn a_full_file_is_read() {
        let policy = Policy::parse(
            "groups:\n  allowed: [dev-team, kubeadm:cluster-admins]\n  admin: [platform-admins]\nusernames:\n  reservedPrefixes: [svc-]\n  pattern: '[a-z]+'\nkeys:\n  algorithms: [ed25519, rsa3072]\n  minRsaBits: 3072\nlifetime:\n  default: 8h\n  min: 10m\n  max: 30d\ninvites:\n  required: true\nrenewals:\n  autoApprove: true\n  pluginLifetime: 1h\n",
        )
        .map_err(|p| p.at(Path::new("policy.yaml"), "").to_string())
        .expect("valid");
        assert_eq!(
            policy.limits.allowed_groups,
            ["dev-team", "kubeadm:cluster-admins"]
        );
        assert_eq!(
            policy.limits.admin_groups,
            ["kubeadm:cluster-admins", "platform-admins"]
        );
        assert_eq!(
            policy.limits.reserved_username_prefixes,
            ["system:", "svc-"]
        );
        assert_eq!(
            policy.key_algorithms,
            [KeyAlgorithm::Ed25519, KeyAlgorithm::Rsa3072]
        );
        assert_eq!(
            policy.duration,
            DurationLimits {
                default_seconds: 8 * 3600,
                min_seconds: 600,
                max_seconds: 30 * 86_400,
                plugin_seconds: 3600,
            }
        );
        assert!(policy.invite_required && policy.auto_approve_renewals);
    }

    #[test]
    fn a_bad_line_is_named() {
        let unknown = error_of("groups:\n  allowed: [dev-team]\n  alowed: [qa]\n");
        assert!(unknown.contains("line 3"), "{unknown}");
        let wrong_type = error_of("groups:\n  allowed: [dev-team]\nkeys:\n  minRsaBits: lots\n");
        assert!(wrong_type.contains("line 4"), "{wrong_type}");
        let bad_value = error_of("lifetime:\n  min: 10m\n  max: 5m\n");
        assert!(
            bad_value.contains("line 3") && bad_value.contains("lifetime.max"),
            "{bad_value}"
        );
        let system = error_of("# offered groups\ngroups:\n  allowed:\n    - system:masters\n");
        assert!(
            system.contains("groups.allowed") && system.contains("system group"),
            "{system}"
        );
        let pattern = error_of("usernames:\n  pattern: '[a-z'\n");
        assert!(
            pattern.contains("line 2") && pattern.contains("usernames.pattern"),
            "{pattern}"
        );
    }
}
