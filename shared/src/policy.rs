//! The operator's policy on requests ("Policy defaults" in the design), as pure
//! functions both the browser form and the backend run.
//!
//! Every check returns *every* violation it finds, each with a stable
//! [`ViolationCode`], a message a person can act on, and the [`Field`] it concerns, so
//! a form can mark each field at once and the backend can answer with the full list.
//!
//! What the policy decides beyond the design's wording:
//!
//! - **Names** are counted in characters (Unicode scalar values), not bytes. "Control
//!   characters" are the Unicode `Cc` category plus the bidirectional formatting
//!   characters (U+200E, U+200F, U+202A–U+202E, U+2066–U+2069), which can make a name
//!   read differently on the approval page than what Kubernetes sees. A name that is
//!   empty or only whitespace counts as empty.
//! - **`system:`** is refused case-insensitively and after leading whitespace, for the
//!   username and for every group (`system:masters` included): the differently-cased
//!   names are not Kubernetes system identities, but they look like them to an approver.
//! - **Extensions**: a Kubernetes client certificate needs none (the signer sets the
//!   usages from the request object), so only extensions that ask for nothing beyond a
//!   client certificate are tolerated, because common tools add them: `basicConstraints`
//!   with `cA` false and no path length, `keyUsage` without `keyCertSign`/`cRLSign`, and
//!   `extendedKeyUsage` holding only `clientAuth`. Everything else is refused: a CA flag,
//!   `subjectAltName` (the signer would copy it into the certificate where no approver
//!   looks), and every other or unknown extension.
//! - **Subject attributes** other than `CN` and `O` (`OU`, `C`, `emailAddress`, …) are
//!   refused: Kubernetes ignores them, so they can only mislead whoever reads the
//!   certificate.
//! - **Keys**: RSA below 2048 bits is too weak; keys that are neither RSA, ECDSA on P-256
//!   or P-384, nor Ed25519 are not allowed. [`check_key_algorithm`] additionally checks
//!   a key against the operator's exact list of [`KeyAlgorithm`]s.
//!
//! ```
//! use shared::policy::{check_subject, ViolationCode};
//! use shared::PolicyLimits;
//!
//! let groups = vec!["dev-team".to_owned(), "system:masters".to_owned()];
//! let violations = check_subject("minjun", &groups, &PolicyLimits::default());
//! assert_eq!(violations.len(), 1);
//! assert_eq!(violations[0].code, ViolationCode::GroupSystem);
//! ```

use serde::{Deserialize, Serialize};

use crate::inspect::{
    CsrInfo, EcCurve, ExtendedKeyUsage, ExtensionInfo, ExtensionValue, KeyUsage, PublicKeyInfo,
};
use crate::{DurationLimits, KeyAlgorithm, PolicyLimits};

/// The smallest RSA modulus accepted, in bits.
pub const MIN_RSA_BITS: u32 = 2048;

/// The reserved prefix of Kubernetes system users and groups.
const SYSTEM_PREFIX: &str = "system:";

/// One way a request breaks the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// A stable, machine-readable code.
    pub code: ViolationCode,
    /// A message a person can act on.
    pub message: String,
    /// The part of the request it concerns, when it concerns one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<Field>,
}

impl Violation {
    fn new(code: ViolationCode, field: Field, message: String) -> Self {
        Self {
            code,
            message,
            field: Some(field),
        }
    }
}

/// The part of a request a [`Violation`] concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Field {
    /// The username (the subject's common name).
    Username,
    /// The list of groups as a whole.
    Groups,
    /// One group, by its position in the list (from 0).
    Group {
        /// The group's position.
        index: usize,
    },
    /// The public key.
    PublicKey,
    /// One requested extension.
    Extension {
        /// The extension's dotted object identifier.
        oid: String,
    },
    /// One subject attribute other than the common name and organizations.
    SubjectAttribute {
        /// The attribute's short name or dotted object identifier.
        name: String,
    },
    /// The requested certificate lifetime.
    Duration,
}

/// The stable codes of [`Violation`]. A code, once published, keeps its meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ViolationCode {
    /// The username is empty (or only whitespace).
    UsernameEmpty,
    /// The username is longer than the limit.
    UsernameTooLong,
    /// The username contains control or bidirectional formatting characters.
    UsernameControlChars,
    /// The username starts with the reserved `system:` prefix.
    UsernameSystemPrefix,
    /// Groups were requested, but the operator allows none.
    GroupsNotAllowed,
    /// More groups were requested than the limit.
    TooManyGroups,
    /// A group is empty (or only whitespace).
    GroupEmpty,
    /// A group is longer than the limit.
    GroupTooLong,
    /// A group contains control or bidirectional formatting characters.
    GroupControlChars,
    /// A group starts with the reserved `system:` prefix (`system:masters` included).
    GroupSystem,
    /// The key is too weak (RSA below 2048 bits).
    KeyTooWeak,
    /// The key's algorithm is not one the operator allows.
    KeyAlgorithmNotAllowed,
    /// The request asks for an extension a client certificate must not carry.
    ExtensionNotAllowed,
    /// The subject has an attribute other than the common name and organizations.
    SubjectAttributeNotAllowed,
    /// The requested lifetime is shorter than the minimum.
    DurationTooShort,
    /// The requested lifetime is longer than the maximum.
    DurationTooLong,
}

impl ViolationCode {
    /// Returns the code as it appears on the wire, such as `"group_system"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UsernameEmpty => "username_empty",
            Self::UsernameTooLong => "username_too_long",
            Self::UsernameControlChars => "username_control_chars",
            Self::UsernameSystemPrefix => "username_system_prefix",
            Self::GroupsNotAllowed => "groups_not_allowed",
            Self::TooManyGroups => "too_many_groups",
            Self::GroupEmpty => "group_empty",
            Self::GroupTooLong => "group_too_long",
            Self::GroupControlChars => "group_control_chars",
            Self::GroupSystem => "group_system",
            Self::KeyTooWeak => "key_too_weak",
            Self::KeyAlgorithmNotAllowed => "key_algorithm_not_allowed",
            Self::ExtensionNotAllowed => "extension_not_allowed",
            Self::SubjectAttributeNotAllowed => "subject_attribute_not_allowed",
            Self::DurationTooShort => "duration_too_short",
            Self::DurationTooLong => "duration_too_long",
        }
    }
}

/// Returns every way a decoded, signature-verified request breaks `limits`: its subject
/// ([`check_subject`]), its other subject attributes, its key and its extensions. An
/// empty list means the request is acceptable.
pub fn check(csr: &CsrInfo, limits: &PolicyLimits) -> Vec<Violation> {
    let mut violations = check_subject(&csr.common_name, &csr.organizations, limits);
    for attribute in &csr.other_subject_attributes {
        violations.push(Violation::new(
            ViolationCode::SubjectAttributeNotAllowed,
            Field::SubjectAttribute {
                name: attribute.name.clone(),
            },
            format!(
                "The subject may hold only the username (CN) and groups (O); remove {}.",
                attribute.name
            ),
        ));
    }
    violations.extend(check_public_key(&csr.public_key));
    violations.extend(csr.extensions.iter().filter_map(check_extension));
    violations
}

/// Returns every way a username and its groups break `limits`, with the same codes as
/// [`check`]; a form can call it on every keystroke.
pub fn check_subject(username: &str, groups: &[String], limits: &PolicyLimits) -> Vec<Violation> {
    let mut violations = Vec::new();
    let max_chars = usize::from(limits.max_name_chars);

    let length = username.chars().count();
    if username.trim().is_empty() {
        violations.push(Violation::new(
            ViolationCode::UsernameEmpty,
            Field::Username,
            "Enter a username.".to_owned(),
        ));
    } else if length > max_chars {
        violations.push(Violation::new(
            ViolationCode::UsernameTooLong,
            Field::Username,
            format!("The username has {length} characters; at most {max_chars} are allowed."),
        ));
    }
    if has_control_chars(username) {
        violations.push(Violation::new(
            ViolationCode::UsernameControlChars,
            Field::Username,
            "The username contains control characters.".to_owned(),
        ));
    }
    if has_system_prefix(username) {
        violations.push(Violation::new(
            ViolationCode::UsernameSystemPrefix,
            Field::Username,
            "Usernames starting with \"system:\" are reserved for Kubernetes itself.".to_owned(),
        ));
    }

    if !groups.is_empty() && !limits.groups_allowed {
        violations.push(Violation::new(
            ViolationCode::GroupsNotAllowed,
            Field::Groups,
            "This portal does not allow requesting groups; remove them.".to_owned(),
        ));
    }
    let max_groups = usize::from(limits.max_groups);
    if groups.len() > max_groups {
        violations.push(Violation::new(
            ViolationCode::TooManyGroups,
            Field::Groups,
            format!(
                "{} groups were requested; at most {max_groups} are allowed.",
                groups.len()
            ),
        ));
    }
    for (index, group) in groups.iter().enumerate() {
        let field = || Field::Group { index };
        let length = group.chars().count();
        if group.trim().is_empty() {
            violations.push(Violation::new(
                ViolationCode::GroupEmpty,
                field(),
                format!("Group {} is empty.", index + 1),
            ));
        } else if length > max_chars {
            violations.push(Violation::new(
                ViolationCode::GroupTooLong,
                field(),
                format!(
                    "Group {} has {length} characters; at most {max_chars} are allowed.",
                    index + 1
                ),
            ));
        }
        if has_control_chars(group) {
            violations.push(Violation::new(
                ViolationCode::GroupControlChars,
                field(),
                format!("Group {} contains control characters.", index + 1),
            ));
        }
        if has_system_prefix(group) {
            violations.push(Violation::new(
                ViolationCode::GroupSystem,
                field(),
                format!(
                    "Group \"{}\" is a Kubernetes system group and cannot be requested.",
                    group.escape_default()
                ),
            ));
        }
    }
    violations
}

/// Returns the violation of a requested certificate lifetime, if it breaks `limits`.
pub fn check_duration(seconds: u32, limits: &DurationLimits) -> Option<Violation> {
    if seconds < limits.min_seconds {
        Some(Violation::new(
            ViolationCode::DurationTooShort,
            Field::Duration,
            format!(
                "The lifetime must be at least {} seconds ({} requested).",
                limits.min_seconds, seconds
            ),
        ))
    } else if seconds > limits.max_seconds {
        Some(Violation::new(
            ViolationCode::DurationTooLong,
            Field::Duration,
            format!(
                "The lifetime must be at most {} seconds ({} requested).",
                limits.max_seconds, seconds
            ),
        ))
    } else {
        None
    }
}

/// Returns a violation when `key` is not exactly one of the `allowed` algorithms (for
/// example an RSA 2560-bit key, or a P-384 key when only P-256 is allowed).
pub fn check_key_algorithm(key: &PublicKeyInfo, allowed: &[KeyAlgorithm]) -> Option<Violation> {
    match key.key_algorithm() {
        Some(algorithm) if allowed.contains(&algorithm) => None,
        _ => {
            let names: Vec<&str> = allowed.iter().map(|a| a.label()).collect();
            Some(Violation::new(
                ViolationCode::KeyAlgorithmNotAllowed,
                Field::PublicKey,
                format!(
                    "{} keys are not allowed here; use one of: {}.",
                    key.label(),
                    names.join(", ")
                ),
            ))
        }
    }
}

/// Returns the groups among `groups` that `limits` lists as admin groups, for the
/// approval page to flag.
pub fn admin_groups<'a>(groups: &'a [String], limits: &PolicyLimits) -> Vec<&'a str> {
    groups
        .iter()
        .filter(|group| limits.admin_groups.iter().any(|admin| admin == *group))
        .map(String::as_str)
        .collect()
}

fn check_public_key(key: &PublicKeyInfo) -> Option<Violation> {
    match key {
        PublicKeyInfo::Rsa { bits } if *bits < MIN_RSA_BITS => Some(Violation::new(
            ViolationCode::KeyTooWeak,
            Field::PublicKey,
            format!("RSA keys need at least {MIN_RSA_BITS} bits; this one has {bits}."),
        )),
        PublicKeyInfo::Rsa { .. }
        | PublicKeyInfo::Ed25519
        | PublicKeyInfo::Ecdsa {
            curve: EcCurve::P256 | EcCurve::P384,
        } => None,
        PublicKeyInfo::Ecdsa {
            curve: EcCurve::Other(_),
        }
        | PublicKeyInfo::Other { .. } => Some(Violation::new(
            ViolationCode::KeyAlgorithmNotAllowed,
            Field::PublicKey,
            format!(
                "{} keys are not allowed; use RSA, ECDSA P-256/P-384 or Ed25519.",
                key.label()
            ),
        )),
    }
}

fn check_extension(extension: &ExtensionInfo) -> Option<Violation> {
    let refuse = |why: &str| {
        Some(Violation::new(
            ViolationCode::ExtensionNotAllowed,
            Field::Extension {
                oid: extension.oid.clone(),
            },
            format!("The request asks for {why}, which a client certificate must not carry."),
        ))
    };
    match &extension.value {
        ExtensionValue::BasicConstraints { ca: true, .. } => {
            refuse("a certificate authority (basicConstraints CA:TRUE)")
        }
        ExtensionValue::BasicConstraints {
            path_len: Some(_), ..
        } => refuse("a path length constraint"),
        ExtensionValue::BasicConstraints { .. } => None,
        ExtensionValue::KeyUsage { usages }
            if usages
                .iter()
                .any(|u| matches!(u, KeyUsage::KeyCertSign | KeyUsage::CrlSign)) =>
        {
            refuse("certificate or CRL signing (keyUsage)")
        }
        ExtensionValue::KeyUsage { .. } => None,
        ExtensionValue::ExtendedKeyUsage { usages }
            if usages.iter().all(|u| *u == ExtendedKeyUsage::ClientAuth) =>
        {
            None
        }
        ExtensionValue::ExtendedKeyUsage { .. } => {
            refuse("purposes other than client authentication (extendedKeyUsage)")
        }
        ExtensionValue::SubjectAltName { .. } => refuse("subject alternative names"),
        ExtensionValue::Other => refuse(&format!("the extension {}", extension.oid)),
    }
}

fn has_control_chars(name: &str) -> bool {
    name.chars().any(|c| {
        c.is_control() || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    })
}

fn has_system_prefix(name: &str) -> bool {
    let name = name.trim_start();
    name.get(..SYSTEM_PREFIX.len())
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case(SYSTEM_PREFIX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::SubjectAttribute;

    fn limits() -> PolicyLimits {
        PolicyLimits::default()
    }

    fn codes(violations: &[Violation]) -> Vec<ViolationCode> {
        violations.iter().map(|v| v.code).collect()
    }

    fn subject_codes(username: &str, groups: &[&str]) -> Vec<ViolationCode> {
        let groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
        codes(&check_subject(username, &groups, &limits()))
    }

    fn csr(public_key: PublicKeyInfo, extensions: Vec<ExtensionInfo>) -> CsrInfo {
        CsrInfo {
            common_name: "minjun".into(),
            organizations: vec!["dev-team".into()],
            other_subject_attributes: vec![],
            public_key,
            public_key_sha256: String::new(),
            signature_algorithm: "ecdsa-with-SHA256".into(),
            extensions,
            other_attributes: vec![],
        }
    }

    fn extension(oid: &str, value: ExtensionValue) -> ExtensionInfo {
        ExtensionInfo {
            oid: oid.into(),
            critical: false,
            value,
        }
    }

    #[test]
    fn a_plain_subject_passes() {
        assert_eq!(subject_codes("minjun", &["dev-team"]), []);
        assert_eq!(subject_codes(&"가".repeat(64), &[&"x".repeat(64)]), []);
    }

    #[test]
    fn username_violations() {
        assert_eq!(subject_codes("", &[]), [ViolationCode::UsernameEmpty]);
        assert_eq!(subject_codes("  ", &[]), [ViolationCode::UsernameEmpty]);
        // 65 characters, counted as characters: 65 Hangul syllables are 195 bytes.
        assert_eq!(
            subject_codes(&"가".repeat(65), &[]),
            [ViolationCode::UsernameTooLong]
        );
        assert_eq!(
            subject_codes("min\u{0}jun", &[]),
            [ViolationCode::UsernameControlChars]
        );
        assert_eq!(
            subject_codes("nujnim\u{202E}", &[]),
            [ViolationCode::UsernameControlChars]
        );
        assert_eq!(
            subject_codes("system:kube-proxy", &[]),
            [ViolationCode::UsernameSystemPrefix]
        );
        assert_eq!(
            subject_codes(" SYSTEM:admin", &[]),
            [ViolationCode::UsernameSystemPrefix]
        );
        assert_eq!(subject_codes("systemd", &[]), []);
    }

    #[test]
    fn group_violations_name_the_group() {
        let violations = check_subject(
            "minjun",
            &[
                "ok".into(),
                "".into(),
                "x".repeat(65),
                "a\u{1b}[31m".into(),
                "system:masters".into(),
            ],
            &limits(),
        );
        let found: Vec<(ViolationCode, Option<Field>)> =
            violations.into_iter().map(|v| (v.code, v.field)).collect();
        assert_eq!(
            found,
            [
                (ViolationCode::GroupEmpty, Some(Field::Group { index: 1 })),
                (ViolationCode::GroupTooLong, Some(Field::Group { index: 2 })),
                (
                    ViolationCode::GroupControlChars,
                    Some(Field::Group { index: 3 })
                ),
                (ViolationCode::GroupSystem, Some(Field::Group { index: 4 })),
            ]
        );
        assert_eq!(
            subject_codes("minjun", &["system:authenticated"]),
            [ViolationCode::GroupSystem]
        );
    }

    #[test]
    fn group_count_and_permission() {
        let ten: Vec<String> = (0..10).map(|i| format!("g{i}")).collect();
        assert_eq!(codes(&check_subject("minjun", &ten, &limits())), []);
        let eleven: Vec<String> = (0..11).map(|i| format!("g{i}")).collect();
        assert_eq!(
            codes(&check_subject("minjun", &eleven, &limits())),
            [ViolationCode::TooManyGroups]
        );
        let no_groups = PolicyLimits {
            groups_allowed: false,
            ..limits()
        };
        assert_eq!(
            codes(&check_subject("minjun", &["g".into()], &no_groups)),
            [ViolationCode::GroupsNotAllowed]
        );
        assert_eq!(codes(&check_subject("minjun", &[], &no_groups)), []);
    }

    #[test]
    fn key_checks() {
        let weak = check(&csr(PublicKeyInfo::Rsa { bits: 1024 }, vec![]), &limits());
        assert_eq!(codes(&weak), [ViolationCode::KeyTooWeak]);
        assert_eq!(weak[0].field, Some(Field::PublicKey));
        assert_eq!(
            codes(&check(
                &csr(PublicKeyInfo::Rsa { bits: 2047 }, vec![]),
                &limits()
            )),
            [ViolationCode::KeyTooWeak]
        );
        assert_eq!(
            codes(&check(
                &csr(PublicKeyInfo::Rsa { bits: 2048 }, vec![]),
                &limits()
            )),
            []
        );
        let p521 = PublicKeyInfo::Ecdsa {
            curve: EcCurve::Other("1.3.132.0.35".into()),
        };
        assert_eq!(
            codes(&check(&csr(p521, vec![]), &limits())),
            [ViolationCode::KeyAlgorithmNotAllowed]
        );
        let dsa = PublicKeyInfo::Other {
            oid: "1.2.840.10040.4.1".into(),
        };
        assert_eq!(
            codes(&check(&csr(dsa, vec![]), &limits())),
            [ViolationCode::KeyAlgorithmNotAllowed]
        );
    }

    #[test]
    fn key_algorithm_against_the_operator_list() {
        let allowed = [KeyAlgorithm::EcdsaP256, KeyAlgorithm::Rsa2048];
        assert_eq!(
            check_key_algorithm(
                &PublicKeyInfo::Ecdsa {
                    curve: EcCurve::P256
                },
                &allowed
            ),
            None
        );
        assert_eq!(
            check_key_algorithm(&PublicKeyInfo::Rsa { bits: 2048 }, &allowed),
            None
        );
        for key in [
            PublicKeyInfo::Ed25519,
            PublicKeyInfo::Rsa { bits: 2560 },
            PublicKeyInfo::Rsa { bits: 4096 },
        ] {
            let violation = check_key_algorithm(&key, &allowed).unwrap();
            assert_eq!(violation.code, ViolationCode::KeyAlgorithmNotAllowed);
            assert!(
                violation.message.contains("ECDSA P-256, RSA 2048"),
                "{}",
                violation.message
            );
        }
    }

    #[test]
    fn extension_checks() {
        let allowed = vec![
            extension(
                "2.5.29.19",
                ExtensionValue::BasicConstraints {
                    ca: false,
                    path_len: None,
                },
            ),
            extension(
                "2.5.29.15",
                ExtensionValue::KeyUsage {
                    usages: vec![KeyUsage::DigitalSignature, KeyUsage::KeyEncipherment],
                },
            ),
            extension(
                "2.5.29.37",
                ExtensionValue::ExtendedKeyUsage {
                    usages: vec![ExtendedKeyUsage::ClientAuth],
                },
            ),
        ];
        assert_eq!(
            codes(&check(&csr(PublicKeyInfo::Ed25519, allowed), &limits())),
            []
        );

        let refused = vec![
            extension(
                "2.5.29.19",
                ExtensionValue::BasicConstraints {
                    ca: true,
                    path_len: None,
                },
            ),
            extension(
                "2.5.29.15",
                ExtensionValue::KeyUsage {
                    usages: vec![KeyUsage::KeyCertSign],
                },
            ),
            extension(
                "2.5.29.37",
                ExtensionValue::ExtendedKeyUsage {
                    usages: vec![ExtendedKeyUsage::ServerAuth],
                },
            ),
            extension(
                "2.5.29.17",
                ExtensionValue::SubjectAltName { names: vec![] },
            ),
            extension("1.2.3.4", ExtensionValue::Other),
        ];
        let violations = check(&csr(PublicKeyInfo::Ed25519, refused), &limits());
        assert_eq!(violations.len(), 5);
        assert!(
            violations
                .iter()
                .all(|v| v.code == ViolationCode::ExtensionNotAllowed)
        );
        assert_eq!(
            violations[4].field,
            Some(Field::Extension {
                oid: "1.2.3.4".into()
            })
        );
    }

    #[test]
    fn other_subject_attributes_are_refused() {
        let mut info = csr(PublicKeyInfo::Ed25519, vec![]);
        info.other_subject_attributes.push(SubjectAttribute {
            name: "C".into(),
            oid: "2.5.4.6".into(),
            value: "KR".into(),
        });
        assert_eq!(
            codes(&check(&info, &limits())),
            [ViolationCode::SubjectAttributeNotAllowed]
        );
    }

    #[test]
    fn duration_bounds() {
        let limits = DurationLimits::default();
        assert_eq!(check_duration(600, &limits), None);
        assert_eq!(check_duration(365 * 24 * 3600, &limits), None);
        assert_eq!(
            check_duration(599, &limits).map(|v| v.code),
            Some(ViolationCode::DurationTooShort)
        );
        assert_eq!(
            check_duration(365 * 24 * 3600 + 1, &limits).map(|v| v.code),
            Some(ViolationCode::DurationTooLong)
        );
        assert_eq!(
            check_duration(0, &limits).and_then(|v| v.field),
            Some(Field::Duration)
        );
    }

    #[test]
    fn admin_groups_are_flagged() {
        let groups = vec!["dev-team".to_owned(), "kubeadm:cluster-admins".to_owned()];
        assert_eq!(admin_groups(&groups, &limits()), ["kubeadm:cluster-admins"]);
    }

    #[test]
    fn every_code_serializes_as_its_wire_name() {
        let all = [
            ViolationCode::UsernameEmpty,
            ViolationCode::UsernameTooLong,
            ViolationCode::UsernameControlChars,
            ViolationCode::UsernameSystemPrefix,
            ViolationCode::GroupsNotAllowed,
            ViolationCode::TooManyGroups,
            ViolationCode::GroupEmpty,
            ViolationCode::GroupTooLong,
            ViolationCode::GroupControlChars,
            ViolationCode::GroupSystem,
            ViolationCode::KeyTooWeak,
            ViolationCode::KeyAlgorithmNotAllowed,
            ViolationCode::ExtensionNotAllowed,
            ViolationCode::SubjectAttributeNotAllowed,
            ViolationCode::DurationTooShort,
            ViolationCode::DurationTooLong,
        ];
        for code in all {
            assert_eq!(
                serde_json::to_string(&code).unwrap(),
                format!("\"{}\"", code.as_str())
            );
        }
        let violation = check_subject("", &[], &limits()).remove(0);
        assert_eq!(
            serde_json::to_value(&violation).unwrap(),
            serde_json::json!({"code": "username_empty", "message": "Enter a username.", "field": {"kind": "username"}})
        );
    }
}
