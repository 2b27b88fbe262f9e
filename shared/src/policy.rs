//! The operator's policy on requests ("Policy defaults" in the design), as pure
//! functions both the browser form and the backend run.
//!
//! Every check returns *every* violation it finds, each with a stable
//! [`ViolationCode`], a message a person can act on, and the [`Field`] it concerns, so
//! a form can mark each field at once and the backend can answer with the full list.
//!
//! What the policy decides beyond the design's wording:
//!
//! - **Names** are counted in characters (Unicode scalar values), not bytes, and read
//!   exactly as the API server reads them; [`crate::names`] decides when a person would
//!   read one otherwise. Control characters, invisible characters (zero-width,
//!   bidirectional formatting) and surrounding white space are refused, and so is a
//!   name that differs only by case or confusable look-alikes from a name that matters:
//!   `system:` and the operator's reserved prefixes, an admin group, or (in the backend,
//!   which knows them) a user that already has bindings.
//! - **Groups** are only those the operator lists (none by default); an admin group is
//!   refused unless the operator lists it among the groups requesters may ask for.
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
//! use shared::names::NameIndex;
//! use shared::policy::{check_subject, ViolationCode};
//! use shared::PolicyLimits;
//!
//! let limits = PolicyLimits { allowed_groups: vec!["dev-team".into()], ..PolicyLimits::default() };
//! let groups = vec!["dev-team".to_owned(), "system:masters".to_owned()];
//! let violations = check_subject("minjun", &groups, &limits, &NameIndex::new());
//! assert_eq!(violations.len(), 1);
//! assert_eq!(violations[0].code, ViolationCode::GroupSystem);
//! ```

use serde::{Deserialize, Serialize};

use crate::inspect::{
    CsrInfo, EcCurve, ExtendedKeyUsage, ExtensionInfo, ExtensionValue, KeyUsage, PublicKeyInfo,
};
use crate::names::{Misreading, NameIndex, looks_like, misreading, reads_as_prefixed};
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
    /// The username contains control characters (NUL, escape, …).
    UsernameControlChars,
    /// The username contains invisible characters (zero-width, bidirectional formatting).
    UsernameInvisibleChars,
    /// The username starts or ends with white space.
    UsernameSurroundingSpace,
    /// The username reads as starting with the reserved `system:` prefix.
    UsernameSystemPrefix,
    /// The username reads as starting with a prefix the operator reserved.
    UsernameReservedPrefix,
    /// The username does not match the operator's pattern.
    UsernamePattern,
    /// The username reads like, but is not, a name that matters (a user with bindings).
    UsernameLooksLike,
    /// Groups were requested, but the operator allows none.
    GroupsNotAllowed,
    /// A group is not one the operator's policy lists.
    GroupNotAllowed,
    /// More groups were requested than the limit.
    TooManyGroups,
    /// A group is empty (or only whitespace).
    GroupEmpty,
    /// A group is longer than the limit.
    GroupTooLong,
    /// A group contains control characters (NUL, escape, …).
    GroupControlChars,
    /// A group contains invisible characters (zero-width, bidirectional formatting).
    GroupInvisibleChars,
    /// A group starts or ends with white space.
    GroupSurroundingSpace,
    /// A group reads as a Kubernetes `system:` group (`system:masters` included).
    GroupSystem,
    /// A group is an admin group the operator does not list among the groups offered.
    GroupAdmin,
    /// A group reads like, but is not, an admin group.
    GroupLooksLike,
    /// The key is too weak (RSA below the operator's minimum, at least 2048 bits).
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
    /// Every code, in the order of the documentation.
    pub const ALL: [ViolationCode; 26] = [
        Self::UsernameEmpty,
        Self::UsernameTooLong,
        Self::UsernameControlChars,
        Self::UsernameInvisibleChars,
        Self::UsernameSurroundingSpace,
        Self::UsernameSystemPrefix,
        Self::UsernameReservedPrefix,
        Self::UsernamePattern,
        Self::UsernameLooksLike,
        Self::GroupsNotAllowed,
        Self::GroupNotAllowed,
        Self::TooManyGroups,
        Self::GroupEmpty,
        Self::GroupTooLong,
        Self::GroupControlChars,
        Self::GroupInvisibleChars,
        Self::GroupSurroundingSpace,
        Self::GroupSystem,
        Self::GroupAdmin,
        Self::GroupLooksLike,
        Self::KeyTooWeak,
        Self::KeyAlgorithmNotAllowed,
        Self::ExtensionNotAllowed,
        Self::SubjectAttributeNotAllowed,
        Self::DurationTooShort,
        Self::DurationTooLong,
    ];

    /// Returns the code as it appears on the wire, such as `"group_system"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UsernameEmpty => "username_empty",
            Self::UsernameTooLong => "username_too_long",
            Self::UsernameControlChars => "username_control_chars",
            Self::UsernameInvisibleChars => "username_invisible_chars",
            Self::UsernameSurroundingSpace => "username_surrounding_space",
            Self::UsernameSystemPrefix => "username_system_prefix",
            Self::UsernameReservedPrefix => "username_reserved_prefix",
            Self::UsernamePattern => "username_pattern",
            Self::UsernameLooksLike => "username_looks_like",
            Self::GroupsNotAllowed => "groups_not_allowed",
            Self::GroupNotAllowed => "group_not_allowed",
            Self::TooManyGroups => "too_many_groups",
            Self::GroupEmpty => "group_empty",
            Self::GroupTooLong => "group_too_long",
            Self::GroupControlChars => "group_control_chars",
            Self::GroupInvisibleChars => "group_invisible_chars",
            Self::GroupSurroundingSpace => "group_surrounding_space",
            Self::GroupSystem => "group_system",
            Self::GroupAdmin => "group_admin",
            Self::GroupLooksLike => "group_looks_like",
            Self::KeyTooWeak => "key_too_weak",
            Self::KeyAlgorithmNotAllowed => "key_algorithm_not_allowed",
            Self::ExtensionNotAllowed => "extension_not_allowed",
            Self::SubjectAttributeNotAllowed => "subject_attribute_not_allowed",
            Self::DurationTooShort => "duration_too_short",
            Self::DurationTooLong => "duration_too_long",
        }
    }
}

/// Returns every way a decoded, signature-verified request breaks the operator's rules:
/// its subject ([`check_subject`]), its other subject attributes, its key (strength,
/// and one of the `algorithms` allowed) and its extensions. An empty list means the
/// request is acceptable.
pub fn check(
    csr: &CsrInfo,
    limits: &PolicyLimits,
    algorithms: &[KeyAlgorithm],
    known_users: &NameIndex,
) -> Vec<Violation> {
    let mut violations = check_subject(&csr.common_name, &csr.organizations, limits, known_users);
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
    match check_public_key(&csr.public_key, limits) {
        Some(violation) => violations.push(violation),
        None => violations.extend(check_key_algorithm(&csr.public_key, algorithms)),
    }
    violations.extend(csr.extensions.iter().filter_map(check_extension));
    violations
}

/// Returns every way a username and its groups break `limits`, with the same codes as
/// [`check`]; a form can call it on every keystroke (with an empty `known_users`: the
/// browser is not told who has bindings).
///
/// Names are read exactly as the API server reads them, and refused when a person
/// would read them otherwise ([`crate::names`]): control or invisible characters,
/// surrounding white space, or a look-alike of a name that matters — a reserved prefix
/// such as `system:`, an admin group, or a user in `known_users` (users that already
/// have bindings).
pub fn check_subject(
    username: &str,
    groups: &[String],
    limits: &PolicyLimits,
    known_users: &NameIndex,
) -> Vec<Violation> {
    let mut violations = check_username(username, limits, known_users);
    if !groups.is_empty() && !limits.groups_allowed() {
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
        violations.extend(check_group(index, group, limits));
    }
    violations
}

fn check_username(
    username: &str,
    limits: &PolicyLimits,
    known_users: &NameIndex,
) -> Vec<Violation> {
    let mut violations = Vec::new();
    let mut refuse = |code, message: String| {
        violations.push(Violation::new(code, Field::Username, message));
    };
    let max_chars = usize::from(limits.max_name_chars);
    let length = username.chars().count();
    if username.trim().is_empty() {
        refuse(ViolationCode::UsernameEmpty, "Enter a username.".to_owned());
        return violations;
    }
    if length > max_chars {
        refuse(
            ViolationCode::UsernameTooLong,
            format!("The username has {length} characters; at most {max_chars} are allowed."),
        );
    }
    if let Some(misread) = misreading(username) {
        let (code, message) = match misread {
            Misreading::Control => (
                ViolationCode::UsernameControlChars,
                "The username contains control characters.",
            ),
            Misreading::Invisible => (
                ViolationCode::UsernameInvisibleChars,
                "The username contains invisible characters (zero-width or text-direction marks); type it again by hand.",
            ),
            Misreading::SurroundingSpace => (
                ViolationCode::UsernameSurroundingSpace,
                "The username starts or ends with a space; remove it.",
            ),
        };
        refuse(code, message.to_owned());
    }
    if reads_as_prefixed(username, SYSTEM_PREFIX) {
        refuse(
            ViolationCode::UsernameSystemPrefix,
            "Usernames starting with \"system:\" are reserved for Kubernetes itself.".to_owned(),
        );
    } else if let Some(prefix) = limits
        .reserved_username_prefixes
        .iter()
        .find(|prefix| reads_as_prefixed(username, prefix))
    {
        refuse(
            ViolationCode::UsernameReservedPrefix,
            format!("Usernames starting with {prefix:?} are reserved in this cluster."),
        );
    } else if let Some(existing) = known_users.look_alike(username) {
        refuse(
            ViolationCode::UsernameLooksLike,
            format!(
                "The username reads like {:?}, a different user who already has access here; choose a name that is clearly your own.",
                existing.escape_default().to_string()
            ),
        );
    }
    if let Some(pattern) = limits.username_pattern.as_deref()
        && !matches_whole(pattern, username)
    {
        refuse(
            ViolationCode::UsernamePattern,
            format!("Usernames here must match the pattern {pattern}."),
        );
    }
    violations
}

fn check_group(index: usize, group: &str, limits: &PolicyLimits) -> Vec<Violation> {
    let refusal = |code, message: String| Violation::new(code, Field::Group { index }, message);
    let mut violations = Vec::new();
    let number = index + 1;
    let shown = group.escape_default().to_string();
    let max_chars = usize::from(limits.max_name_chars);
    let length = group.chars().count();
    if group.trim().is_empty() {
        violations.push(refusal(
            ViolationCode::GroupEmpty,
            format!("Group {number} is empty."),
        ));
        return violations;
    }
    if length > max_chars {
        violations.push(refusal(
            ViolationCode::GroupTooLong,
            format!("Group {number} has {length} characters; at most {max_chars} are allowed."),
        ));
    }
    violations.extend(misreading(group).map(|misread| match misread {
        Misreading::Control => refusal(
            ViolationCode::GroupControlChars,
            format!("Group {number} contains control characters."),
        ),
        Misreading::Invisible => refusal(
            ViolationCode::GroupInvisibleChars,
            format!(
                "Group {number} contains invisible characters (zero-width or text-direction marks)."
            ),
        ),
        Misreading::SurroundingSpace => refusal(
            ViolationCode::GroupSurroundingSpace,
            format!("Group {number} starts or ends with a space; remove it."),
        ),
    }));
    let is_admin = limits.admin_groups.iter().any(|a| a == group);
    if reads_as_prefixed(group, SYSTEM_PREFIX) {
        violations.push(refusal(
            ViolationCode::GroupSystem,
            format!("Group \"{shown}\" is a Kubernetes system group and cannot be requested."),
        ));
    } else if let Some(admin) = looks_like(group, limits.admin_groups.iter().map(String::as_str)) {
        violations.push(refusal(
            ViolationCode::GroupLooksLike,
            format!(
                "Group \"{shown}\" reads like the admin group {admin:?} but is not it; request only the groups offered."
            ),
        ));
    } else if is_admin && !limits.allowed_groups.iter().any(|g| g == group) {
        violations.push(refusal(
            ViolationCode::GroupAdmin,
            format!("Group \"{shown}\" is an admin group, which this portal does not hand out."),
        ));
    } else if violations.is_empty()
        && limits.groups_allowed()
        && !limits.allowed_groups.iter().any(|g| g == group)
    {
        violations.push(refusal(
            ViolationCode::GroupNotAllowed,
            format!(
                "Group \"{shown}\" is not offered here; choose from: {}.",
                limits.allowed_groups.join(", ")
            ),
        ));
    }
    violations
}

/// Returns whether `pattern` (already validated at start-up) matches all of `name`; a
/// pattern that does not compile matches nothing.
fn matches_whole(pattern: &str, name: &str) -> bool {
    regex_lite::Regex::new(&format!("^(?:{pattern})$")).is_ok_and(|re| re.is_match(name))
}

/// Returns why `pattern` is not a usable username pattern, if it is not.
pub fn pattern_error(pattern: &str) -> Option<String> {
    regex_lite::Regex::new(&format!("^(?:{pattern})$"))
        .err()
        .map(|e| e.to_string())
}

/// Returns the violation of a requested certificate lifetime, if it breaks `limits`.
pub fn check_duration(seconds: u32, limits: &DurationLimits) -> Option<Violation> {
    if seconds < limits.min_seconds {
        Some(Violation::new(
            ViolationCode::DurationTooShort,
            Field::Duration,
            format!(
                "The lifetime must be at least {} (you asked for {}).",
                crate::duration::duration_words(i64::from(limits.min_seconds)),
                crate::duration::duration_words(i64::from(seconds))
            ),
        ))
    } else if seconds > limits.max_seconds {
        Some(Violation::new(
            ViolationCode::DurationTooLong,
            Field::Duration,
            format!(
                "The lifetime must be at most {} (you asked for {}).",
                crate::duration::duration_words(i64::from(limits.max_seconds)),
                crate::duration::duration_words(i64::from(seconds))
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

fn check_public_key(key: &PublicKeyInfo, limits: &PolicyLimits) -> Option<Violation> {
    let min_bits = limits.min_rsa_bits.max(MIN_RSA_BITS);
    match key {
        PublicKeyInfo::Rsa { bits } if *bits < min_bits => Some(Violation::new(
            ViolationCode::KeyTooWeak,
            Field::PublicKey,
            format!("RSA keys need at least {min_bits} bits; this one has {bits}."),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::SubjectAttribute;

    fn limits() -> PolicyLimits {
        let mut allowed: Vec<String> = ["dev-team", "ok"].map(String::from).to_vec();
        allowed.extend((0..11).map(|i| format!("g{i}")));
        allowed.push("x".repeat(64));
        // Each rule on its own: the default username pattern is tested by itself below.
        PolicyLimits {
            allowed_groups: allowed,
            username_pattern: None,
            ..PolicyLimits::default()
        }
    }

    #[test]
    fn the_default_pattern_allows_how_people_are_named_and_nothing_else() {
        let limits = PolicyLimits::default();
        let codes_of = |name: &str| codes(&check_subject(name, &[], &limits, &nobody()));
        for fine in ["minjun", "min.jun", "min_jun-2", "minjun@example.com", "M1"] {
            assert_eq!(codes_of(fine), [], "{fine}");
        }
        for refused in [
            "<img src=x onerror=alert(1)>",
            "min\u{1F600}",
            "m\u{456}njun",
            "-minjun",
            "min jun",
            "민준",
        ] {
            assert!(
                codes_of(refused).contains(&ViolationCode::UsernamePattern),
                "{refused}"
            );
        }
    }

    fn nobody() -> NameIndex {
        NameIndex::new()
    }

    fn vet(csr: &CsrInfo, limits: &PolicyLimits) -> Vec<Violation> {
        check(csr, limits, &KeyAlgorithm::ALL, &nobody())
    }

    fn codes(violations: &[Violation]) -> Vec<ViolationCode> {
        violations.iter().map(|v| v.code).collect()
    }

    fn subject_codes(username: &str, groups: &[&str]) -> Vec<ViolationCode> {
        let groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
        codes(&check_subject(username, &groups, &limits(), &nobody()))
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
            [ViolationCode::UsernameInvisibleChars]
        );
        assert_eq!(
            subject_codes("system:kube-proxy", &[]),
            [ViolationCode::UsernameSystemPrefix]
        );
        assert_eq!(
            subject_codes(" SYSTEM:admin", &[]),
            [
                ViolationCode::UsernameSurroundingSpace,
                ViolationCode::UsernameSystemPrefix
            ]
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
            &nobody(),
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
        assert_eq!(
            codes(&check_subject("minjun", &ten, &limits(), &nobody())),
            []
        );
        let eleven: Vec<String> = (0..11).map(|i| format!("g{i}")).collect();
        assert_eq!(
            codes(&check_subject("minjun", &eleven, &limits(), &nobody())),
            [ViolationCode::TooManyGroups]
        );
        let no_groups = PolicyLimits::default();
        assert_eq!(
            codes(&check_subject(
                "minjun",
                &["g".into()],
                &no_groups,
                &nobody()
            )),
            [ViolationCode::GroupsNotAllowed]
        );
        assert_eq!(
            codes(&check_subject("minjun", &[], &no_groups, &nobody())),
            []
        );
    }

    #[test]
    fn key_checks() {
        let weak = vet(&csr(PublicKeyInfo::Rsa { bits: 1024 }, vec![]), &limits());
        assert_eq!(codes(&weak), [ViolationCode::KeyTooWeak]);
        assert_eq!(weak[0].field, Some(Field::PublicKey));
        assert_eq!(
            codes(&vet(
                &csr(PublicKeyInfo::Rsa { bits: 2047 }, vec![]),
                &limits()
            )),
            [ViolationCode::KeyTooWeak]
        );
        assert_eq!(
            codes(&vet(
                &csr(PublicKeyInfo::Rsa { bits: 2048 }, vec![]),
                &limits()
            )),
            []
        );
        let p521 = PublicKeyInfo::Ecdsa {
            curve: EcCurve::Other("1.3.132.0.35".into()),
        };
        assert_eq!(
            codes(&vet(&csr(p521, vec![]), &limits())),
            [ViolationCode::KeyAlgorithmNotAllowed]
        );
        let dsa = PublicKeyInfo::Other {
            oid: "1.2.840.10040.4.1".into(),
        };
        assert_eq!(
            codes(&vet(&csr(dsa, vec![]), &limits())),
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
            codes(&vet(&csr(PublicKeyInfo::Ed25519, allowed), &limits())),
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
        let violations = vet(&csr(PublicKeyInfo::Ed25519, refused), &limits());
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
            codes(&vet(&info, &limits())),
            [ViolationCode::SubjectAttributeNotAllowed]
        );
    }

    #[test]
    fn duration_bounds() {
        let limits = DurationLimits::default();
        assert_eq!(check_duration(600, &limits), None);
        assert_eq!(check_duration(7 * 24 * 3600, &limits), None);
        assert_eq!(
            check_duration(599, &limits).map(|v| v.code),
            Some(ViolationCode::DurationTooShort)
        );
        assert_eq!(
            check_duration(7 * 24 * 3600 + 1, &limits).map(|v| v.code),
            Some(ViolationCode::DurationTooLong)
        );
        assert_eq!(
            check_duration(0, &limits).and_then(|v| v.field),
            Some(Field::Duration)
        );
    }

    #[test]
    fn names_that_read_otherwise_are_refused() {
        assert_eq!(
            subject_codes(" minjun ", &[]),
            [ViolationCode::UsernameSurroundingSpace]
        );
        assert_eq!(
            subject_codes("min\u{200B}jun", &[]),
            [ViolationCode::UsernameInvisibleChars]
        );
        let known: NameIndex = ["minjun"].into_iter().collect();
        let limits = limits();
        let cyrillic = check_subject("m\u{456}njun", &[], &limits, &known);
        assert_eq!(codes(&cyrillic), [ViolationCode::UsernameLooksLike]);
        assert!(
            cyrillic[0].message.contains("\"minjun\""),
            "{}",
            cyrillic[0].message
        );
        assert_eq!(
            codes(&check_subject("Minjun", &[], &limits, &known)),
            [ViolationCode::UsernameLooksLike]
        );
        // The same name is not a look-alike of itself: approval decides about it.
        assert_eq!(codes(&check_subject("minjun", &[], &limits, &known)), []);
        assert_eq!(
            subject_codes("\u{455}ystem:admin", &[]),
            [ViolationCode::UsernameSystemPrefix]
        );
    }

    #[test]
    fn admin_groups_and_their_look_alikes() {
        let admin = "kubeadm:cluster-admins";
        assert_eq!(
            subject_codes("minjun", &[admin]),
            [ViolationCode::GroupAdmin]
        );
        let flagged_only = PolicyLimits {
            allowed_groups: vec![admin.to_owned()],
            ..PolicyLimits::default()
        };
        let sole = |group: &str| {
            codes(&check_subject(
                "minjun",
                &[group.to_owned()],
                &flagged_only,
                &nobody(),
            ))
        };
        assert_eq!(sole(admin), []);
        assert_eq!(
            sole("Kubeadm:Cluster-Admins"),
            [ViolationCode::GroupLooksLike]
        );
        assert_eq!(
            sole("kubeadm:cluster-admins\0"),
            [
                ViolationCode::GroupControlChars,
                ViolationCode::GroupLooksLike
            ]
        );
        assert_eq!(
            sole("kubeadm:cluster\u{200B}-admins"),
            [
                ViolationCode::GroupInvisibleChars,
                ViolationCode::GroupLooksLike
            ]
        );
        assert_eq!(sole(" dev-team"), [ViolationCode::GroupSurroundingSpace]);
    }

    #[test]
    fn only_listed_groups_are_offered() {
        assert_eq!(
            subject_codes("minjun", &["ops"]),
            [ViolationCode::GroupNotAllowed]
        );
        assert_eq!(
            subject_codes("minjun", &["Dev-Team"]),
            [ViolationCode::GroupNotAllowed]
        );
        assert_eq!(subject_codes("minjun", &["dev-team"]), []);
    }

    #[test]
    fn reserved_prefixes_and_the_pattern() {
        let limits = PolicyLimits {
            reserved_username_prefixes: vec!["svc-".to_owned()],
            username_pattern: Some("[a-z][a-z0-9.-]*".to_owned()),
            ..PolicyLimits::default()
        };
        let one = |name: &str| codes(&check_subject(name, &[], &limits, &nobody()));
        assert_eq!(one("minjun.lee"), []);
        assert_eq!(
            one("SVC-deploy"),
            [
                ViolationCode::UsernameReservedPrefix,
                ViolationCode::UsernamePattern
            ]
        );
        assert_eq!(one("svc-deploy"), [ViolationCode::UsernameReservedPrefix]);
        assert_eq!(one("Minjun"), [ViolationCode::UsernamePattern]);
        // The pattern matches the whole name, not a part of it.
        assert_eq!(one("minjun!"), [ViolationCode::UsernamePattern]);
        assert_eq!(
            pattern_error("[a-z"),
            Some(pattern_error("[a-z").unwrap_or_default())
        );
        assert!(pattern_error("[a-z]+").is_none());
    }

    #[test]
    fn the_operator_sets_the_rsa_minimum_and_the_algorithms() {
        let strict = PolicyLimits {
            min_rsa_bits: 3072,
            ..PolicyLimits::default()
        };
        let rsa2048 = csr(PublicKeyInfo::Rsa { bits: 2048 }, vec![]);
        let mut info = rsa2048.clone();
        info.organizations.clear();
        assert_eq!(
            codes(&check(&info, &strict, &KeyAlgorithm::ALL, &nobody())),
            [ViolationCode::KeyTooWeak]
        );
        assert_eq!(
            codes(&check(
                &info,
                &strict,
                &[KeyAlgorithm::EcdsaP256],
                &nobody()
            )),
            [ViolationCode::KeyTooWeak]
        );
        let ed = csr(PublicKeyInfo::Ed25519, vec![]);
        assert_eq!(
            codes(&check(
                &ed,
                &limits(),
                &[KeyAlgorithm::EcdsaP256],
                &nobody()
            )),
            [ViolationCode::KeyAlgorithmNotAllowed]
        );
    }

    #[test]
    fn every_code_serializes_as_its_wire_name() {
        let all = ViolationCode::ALL;
        for code in all {
            assert_eq!(
                serde_json::to_string(&code).unwrap(),
                format!("\"{}\"", code.as_str())
            );
        }
        let violation = check_subject("", &[], &limits(), &nobody()).remove(0);
        assert_eq!(
            serde_json::to_value(&violation).unwrap(),
            serde_json::json!({"code": "username_empty", "message": "Enter a username.", "field": {"kind": "username"}})
        );
    }
}
