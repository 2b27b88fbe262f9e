//! Risk flags: why an approver should look twice at a request, as one pure function.
//!
//! [`assess`] reads a decoded request (whoever made it: CertDesk's form, or `kubectl`
//! with a hand-made CSR) and what the cluster says about its subject, and returns every
//! flag with a stable [`RiskCode`]. It reuses the policy's reading of names
//! ([`crate::names`]), so a group that reads like an admin group is flagged as one
//! even when it carries a NUL, a zero-width space or a different case.
//!
//! ```
//! use shared::names::NameIndex;
//! use shared::risk::{assess, RiskCode, RiskContext, RiskInput};
//! use shared::PolicyLimits;
//!
//! let groups = vec!["Kubeadm:Cluster-Admins".to_owned()];
//! let input = RiskInput { groups: &groups, ..RiskInput::new("minjun") };
//! let limits = PolicyLimits::default();
//! let bound = NameIndex::new();
//! let flags = assess(&input, &RiskContext::new(&limits, &bound));
//! assert_eq!(flags[0].code, RiskCode::GroupLooksLikeAdmin);
//! ```

pub mod neighbours;

use serde::{Deserialize, Serialize};

pub use self::neighbours::{Neighbour, Neighbours};
use crate::PolicyLimits;
use crate::admin::{Risk, Severity};
use crate::names::{Misreading, NameIndex, misreading, skeleton};

/// A lifetime beyond which a request is flagged: more than the seven days CertDesk ever
/// gives a certificate downloaded by hand (nothing can revoke it).
pub const LONG_DURATION_SECONDS: i64 = 7 * 24 * 3600;

/// RSA keys below this size are flagged (amber).
pub const RECOMMENDED_RSA_BITS: u32 = 3072;

/// The stable codes of risk flags. A code, once published, keeps its meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RiskCode {
    /// A group reads as a Kubernetes `system:` group (red).
    SystemGroup,
    /// A group is one of the operator's admin groups (red).
    AdminGroup,
    /// A group reads like an admin group without being it: another case, a look-alike
    /// letter, a NUL or an invisible character (red).
    GroupLooksLikeAdmin,
    /// The username or a group holds control or invisible characters or surrounding
    /// space, so it reads differently than the API server reads it (red).
    UnreadableName,
    /// The username reads as a `system:` user (red).
    SystemUser,
    /// The username reads as starting with a prefix the operator reserved (red).
    ReservedUsername,
    /// The username reads like a different user who already has bindings (red).
    UsernameLooksLike,
    /// The username already has bindings: the certificate would act as that user (red).
    ExistingSubject,
    /// The CSR asks for a CA certificate (red).
    CaRequested,
    /// The CSR's self-signature does not verify (red).
    SignatureInvalid,
    /// An RSA key below 3072 bits (amber).
    #[serde(rename = "rsa_below_3072")]
    RsaBelow3072,
    /// A lifetime over 7 days, or the signer's maximum (amber).
    LongDuration,
    /// A renewal of a live certificate of the same identity, proven by its key (info).
    Renewal,
    /// The request matches an invite (info).
    Invite,
    /// Another pending request asks for the very same username (amber).
    DuplicateRequest,
    /// Another request or certificate has the same public key: a copied CSR, or one key
    /// sent again and again (red).
    SharedKey,
    /// The CSR was made outside CertDesk (with kubectl, say): nobody proved anything
    /// through the portal's form (amber).
    #[serde(rename = "made_outside_certdesk")]
    MadeOutsideCertDesk,
}

impl RiskCode {
    /// Every code, in the order of the documentation.
    pub const ALL: [RiskCode; 17] = [
        Self::SystemGroup,
        Self::AdminGroup,
        Self::GroupLooksLikeAdmin,
        Self::UnreadableName,
        Self::SystemUser,
        Self::ReservedUsername,
        Self::UsernameLooksLike,
        Self::ExistingSubject,
        Self::CaRequested,
        Self::SignatureInvalid,
        Self::RsaBelow3072,
        Self::LongDuration,
        Self::Renewal,
        Self::Invite,
        Self::DuplicateRequest,
        Self::SharedKey,
        Self::MadeOutsideCertDesk,
    ];

    /// Returns the code as it appears on the wire, such as `"admin_group"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SystemGroup => "system_group",
            Self::AdminGroup => "admin_group",
            Self::GroupLooksLikeAdmin => "group_looks_like_admin",
            Self::UnreadableName => "unreadable_name",
            Self::SystemUser => "system_user",
            Self::ReservedUsername => "reserved_username",
            Self::UsernameLooksLike => "username_looks_like",
            Self::ExistingSubject => "existing_subject",
            Self::CaRequested => "ca_requested",
            Self::SignatureInvalid => "signature_invalid",
            Self::RsaBelow3072 => "rsa_below_3072",
            Self::LongDuration => "long_duration",
            Self::Renewal => "renewal",
            Self::Invite => "invite",
            Self::DuplicateRequest => "duplicate_request",
            Self::SharedKey => "shared_key",
            Self::MadeOutsideCertDesk => "made_outside_certdesk",
        }
    }

    /// Returns how serious a flag of this code is.
    pub fn severity(self) -> Severity {
        match self {
            Self::RsaBelow3072
            | Self::LongDuration
            | Self::DuplicateRequest
            | Self::MadeOutsideCertDesk => Severity::Amber,
            Self::Renewal | Self::Invite => Severity::Info,
            _ => Severity::Red,
        }
    }
}

/// The public key as the flags care about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyFacts<'a> {
    /// A human label such as "RSA 2048".
    pub label: &'a str,
    /// Whether the key is RSA.
    pub is_rsa: bool,
    /// The key size in bits.
    pub bits: u32,
}

/// What a request asks for, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RiskInput<'a> {
    /// The username (CN) as the API server reads it.
    pub username: &'a str,
    /// The groups (O) as the API server reads them.
    pub groups: &'a [String],
    /// The key, when it decoded.
    pub key: Option<KeyFacts<'a>>,
    /// Whether the CSR asks for a CA certificate.
    pub asks_for_ca: bool,
    /// Whether the CSR's self-signature verifies.
    pub signature_valid: bool,
    /// The requested lifetime in seconds (`None`: the signer's maximum).
    pub expiration_seconds: Option<i64>,
    /// Whether the request still waits for a decision. Flags about who the subject
    /// already is are raised only then: once decided, CertDesk's own bindings for it
    /// would raise them.
    pub undecided: bool,
    /// The serial of the certificate this request renews, if CertDesk says so.
    pub renewal_of: Option<&'a str>,
    /// The invite the request matches (its name and who made it), if CertDesk says so.
    pub invite: Option<(&'a str, &'a str)>,
    /// The request's name (the CSR's), to find it among [`Neighbours`].
    pub name: &'a str,
    /// The SHA-256 of its public key.
    pub key_sha256: Option<&'a str>,
    /// Whether the CSR was made outside CertDesk.
    pub outside_certdesk: bool,
}

impl<'a> RiskInput<'a> {
    /// Returns an undecided request for `username` with no groups, an unknown key, a
    /// verified signature and a 30-day lifetime, to fill in with struct update syntax.
    pub fn new(username: &'a str) -> Self {
        Self {
            username,
            groups: &[],
            key: None,
            asks_for_ca: false,
            signature_valid: true,
            expiration_seconds: Some(24 * 3600),
            undecided: true,
            renewal_of: None,
            invite: None,
            name: "",
            key_sha256: None,
            outside_certdesk: false,
        }
    }
}

/// What the cluster and the operator say around a request, with the skeletons of the
/// operator's names read once: build it once, then assess every request with it.
#[derive(Debug, Clone)]
pub struct RiskContext<'a> {
    /// The operator's policy (admin groups, reserved prefixes).
    pub limits: &'a PolicyLimits,
    /// The users that already have bindings in the cluster.
    pub bound_users: &'a NameIndex,
    /// The other requests and certificates, when known.
    pub neighbours: Option<&'a Neighbours>,
    system: String,
    admin_groups: Vec<(&'a str, String)>,
    reserved_prefixes: Vec<(&'a str, String)>,
}

impl<'a> RiskContext<'a> {
    /// Returns the context of `limits` and `bound_users`.
    pub fn new(limits: &'a PolicyLimits, bound_users: &'a NameIndex) -> Self {
        let read = |names: &'a [String]| -> Vec<(&'a str, String)> {
            names
                .iter()
                .map(|n| (n.as_str(), skeleton(n)))
                .filter(|(_, s)| !s.is_empty())
                .collect()
        };
        Self {
            limits,
            bound_users,
            neighbours: None,
            system: skeleton("system:"),
            admin_groups: read(&limits.admin_groups),
            reserved_prefixes: read(&limits.reserved_username_prefixes),
        }
    }

    /// The same context, telling copies and look-alikes among `neighbours`.
    #[must_use]
    pub fn with_neighbours(mut self, neighbours: &'a Neighbours) -> Self {
        self.neighbours = Some(neighbours);
        self
    }
}

/// Returns every flag a request raises, info first, then in the order of [`RiskCode`].
pub fn assess(input: &RiskInput<'_>, context: &RiskContext<'_>) -> Vec<Risk> {
    // What other requests say, about an undecided request that is not a renewal (a
    // renewal proved it is the same person).
    let said = context
        .neighbours
        .filter(|_| input.undecided && input.renewal_of.is_none())
        .map(|n| n.about(input.name, input.username, input.key_sha256));
    let mut flags = Vec::new();
    let mut flag = |code: RiskCode, message: String| {
        flags.push(Risk {
            code,
            severity: code.severity(),
            message,
        });
    };
    if let Some(serial) = input.renewal_of {
        flag(
            RiskCode::Renewal,
            format!(
                "Renewal, same identity: the requester proved they hold the key of the live certificate {serial} for this subject."
            ),
        );
    }
    if let Some((name, created_by)) = input.invite {
        flag(
            RiskCode::Invite,
            format!(
                "Matches invite {name} from {created_by}: the subject and lifetime are the ones the invite names."
            ),
        );
    }
    for group in input.groups {
        let shown = group.escape_default();
        let read = skeleton(group);
        if read.starts_with(&context.system) {
            flag(
                RiskCode::SystemGroup,
                format!("Asks for the Kubernetes system group \"{shown}\"."),
            );
        } else if context.admin_groups.iter().any(|(g, _)| g == group) {
            flag(
                RiskCode::AdminGroup,
                format!("Asks for the admin group \"{shown}\"."),
            );
        } else if let Some((admin, _)) = context.admin_groups.iter().find(|(_, s)| *s == read) {
            flag(
                RiskCode::GroupLooksLikeAdmin,
                format!(
                    "Asks for \"{shown}\", which reads like the admin group {admin:?} but is a different group to Kubernetes."
                ),
            );
        }
    }
    for name in std::iter::once(input.username).chain(input.groups.iter().map(String::as_str)) {
        if let Some(misread) = misreading(name) {
            let what = match misread {
                Misreading::Control => "a control character",
                Misreading::Invisible => "an invisible character",
                Misreading::SurroundingSpace => "a leading or trailing space",
            };
            flag(
                RiskCode::UnreadableName,
                format!(
                    "\"{}\" holds {what}: it reads differently here than Kubernetes reads it.",
                    name.escape_default()
                ),
            );
        }
    }
    let user = input.username.escape_default();
    let read = skeleton(input.username);
    if read.starts_with(&context.system) {
        flag(
            RiskCode::SystemUser,
            format!("Asks for the system username \"{user}\"."),
        );
    } else if let Some((prefix, _)) = context
        .reserved_prefixes
        .iter()
        .find(|(_, s)| read.starts_with(s.as_str()))
    {
        flag(
            RiskCode::ReservedUsername,
            format!("\"{user}\" starts with the reserved prefix {prefix:?}."),
        );
    }
    // A renewal proved it is the same person: their own bindings are expected.
    if input.undecided && input.renewal_of.is_none() {
        if context.bound_users.contains_read(input.username, &read) {
            flag(
                RiskCode::ExistingSubject,
                format!(
                    "\"{user}\" already has role bindings: this certificate would act as that user."
                ),
            );
        } else if let Some(existing) = context.bound_users.look_alike_read(input.username, &read) {
            flag(
                RiskCode::UsernameLooksLike,
                format!(
                    "\"{user}\" reads like {existing:?}, a different user who already has role bindings."
                ),
            );
        } else if let Some(said) = said.as_ref().filter(|s| !s.looks_like.is_empty()) {
            let others: Vec<String> = said
                .looks_like
                .iter()
                .map(|o| format!("\"{}\"", o.escape_default()))
                .collect();
            flag(
                RiskCode::UsernameLooksLike,
                format!(
                    "\"{user}\" reads like {}, a different user to Kubernetes with a request or a certificate.",
                    others.join(", ")
                ),
            );
        }
    }
    if input.asks_for_ca {
        flag(
            RiskCode::CaRequested,
            "Asks for a CA certificate.".to_owned(),
        );
    }
    if !input.signature_valid {
        flag(
            RiskCode::SignatureInvalid,
            "The CSR's signature does not verify.".to_owned(),
        );
    }
    if let Some(key) = input.key
        && key.is_rsa
        && key.bits < RECOMMENDED_RSA_BITS
    {
        flag(
            RiskCode::RsaBelow3072,
            format!("{} is below the recommended 3072 bits.", key.label),
        );
    }
    if input
        .expiration_seconds
        .is_none_or(|s| s > LONG_DURATION_SECONDS)
    {
        flag(
            RiskCode::LongDuration,
            "Asks for a certificate valid longer than 7 days (or for the signer's maximum): nothing can revoke it."
                .to_owned(),
        );
    }
    if let Some(said) = &said {
        neighbourly_flags(input, said, &mut flag);
    }
    flags
}

/// The flags other requests and certificates raise on an undecided request.
fn neighbourly_flags(
    input: &RiskInput<'_>,
    said: &neighbours::Said,
    flag: &mut impl FnMut(RiskCode, String),
) {
    let user = input.username.escape_default();
    let listed = |names: &[String], total: usize| {
        let mut words = names.join(", ");
        if total > names.len() {
            words.push_str(&format!(" and {} more", total - names.len()));
        }
        words
    };
    if !said.same_username_pending.is_empty() {
        flag(
            RiskCode::DuplicateRequest,
            format!(
                "Another pending request asks for \"{user}\" too: {}.",
                listed(
                    &said.same_username_pending,
                    said.same_username_pending_total
                )
            ),
        );
    }
    if !said.same_key.is_empty() {
        flag(
            RiskCode::SharedKey,
            format!(
                "The same public key is in {} other request(s) or certificate(s): {}. A copied CSR, or one key used again.",
                said.same_key_total,
                listed(&said.same_key, said.same_key_total)
            ),
        );
    }
    if input.outside_certdesk {
        flag(
            RiskCode::MadeOutsideCertDesk,
            "Made outside CertDesk (kubectl or another client): no one went through the portal's form and policy.".to_owned(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes_for(input: &RiskInput<'_>, bound: &[&str]) -> Vec<RiskCode> {
        let limits = PolicyLimits {
            reserved_username_prefixes: vec!["svc-".to_owned()],
            ..PolicyLimits::default()
        };
        let bound: NameIndex = bound.iter().copied().collect();
        assess(input, &RiskContext::new(&limits, &bound))
            .into_iter()
            .map(|r| r.code)
            .collect()
    }

    fn with_groups(groups: &[&str]) -> Vec<RiskCode> {
        let groups: Vec<String> = groups.iter().map(|g| (*g).to_owned()).collect();
        codes_for(
            &RiskInput {
                groups: &groups,
                ..RiskInput::new("minjun")
            },
            &[],
        )
    }

    #[test]
    fn a_plain_request_raises_nothing() {
        assert_eq!(with_groups(&["dev-team"]), []);
    }

    #[test]
    fn system_group() {
        assert_eq!(with_groups(&["system:masters"]), [RiskCode::SystemGroup]);
        assert_eq!(with_groups(&["SYSTEM:masters"]), [RiskCode::SystemGroup]);
    }

    #[test]
    fn admin_group() {
        assert_eq!(
            with_groups(&["kubeadm:cluster-admins"]),
            [RiskCode::AdminGroup]
        );
    }

    #[test]
    fn group_looks_like_admin() {
        assert_eq!(
            with_groups(&["Kubeadm:Cluster-Admins"]),
            [RiskCode::GroupLooksLikeAdmin]
        );
        assert_eq!(
            with_groups(&["kubeadm:cluster-admins\0"]),
            [RiskCode::GroupLooksLikeAdmin, RiskCode::UnreadableName]
        );
        assert_eq!(
            with_groups(&["kubeadm:cluster\u{200B}-admins"]),
            [RiskCode::GroupLooksLikeAdmin, RiskCode::UnreadableName]
        );
    }

    #[test]
    fn unreadable_name() {
        assert_eq!(
            codes_for(&RiskInput::new(" minjun "), &[]),
            [RiskCode::UnreadableName]
        );
        assert_eq!(
            with_groups(&["dev\u{202E}team"]),
            [RiskCode::UnreadableName]
        );
    }

    #[test]
    fn system_user() {
        assert_eq!(
            codes_for(&RiskInput::new("system:kube-proxy"), &[]),
            [RiskCode::SystemUser]
        );
    }

    #[test]
    fn reserved_username() {
        assert_eq!(
            codes_for(&RiskInput::new("svc-deploy"), &[]),
            [RiskCode::ReservedUsername]
        );
    }

    #[test]
    fn existing_subject_only_while_undecided() {
        assert_eq!(
            codes_for(&RiskInput::new("alice"), &["alice"]),
            [RiskCode::ExistingSubject]
        );
        let decided = RiskInput {
            undecided: false,
            ..RiskInput::new("alice")
        };
        assert_eq!(codes_for(&decided, &["alice"]), []);
    }

    #[test]
    fn username_looks_like() {
        assert_eq!(
            codes_for(&RiskInput::new("m\u{456}njun"), &["minjun"]),
            [RiskCode::UsernameLooksLike]
        );
    }

    #[test]
    fn ca_requested() {
        let input = RiskInput {
            asks_for_ca: true,
            ..RiskInput::new("minjun")
        };
        assert_eq!(codes_for(&input, &[]), [RiskCode::CaRequested]);
    }

    #[test]
    fn signature_invalid() {
        let input = RiskInput {
            signature_valid: false,
            ..RiskInput::new("minjun")
        };
        assert_eq!(codes_for(&input, &[]), [RiskCode::SignatureInvalid]);
    }

    #[test]
    fn rsa_below_3072() {
        let key = |bits| KeyFacts {
            label: "RSA",
            is_rsa: true,
            bits,
        };
        let input = RiskInput {
            key: Some(key(2048)),
            ..RiskInput::new("minjun")
        };
        assert_eq!(codes_for(&input, &[]), [RiskCode::RsaBelow3072]);
        let input = RiskInput {
            key: Some(key(3072)),
            ..RiskInput::new("minjun")
        };
        assert_eq!(codes_for(&input, &[]), []);
    }

    #[test]
    fn long_duration() {
        let input = RiskInput {
            expiration_seconds: None,
            ..RiskInput::new("minjun")
        };
        assert_eq!(codes_for(&input, &[]), [RiskCode::LongDuration]);
        let input = RiskInput {
            expiration_seconds: Some(LONG_DURATION_SECONDS + 1),
            ..RiskInput::new("minjun")
        };
        assert_eq!(codes_for(&input, &[]), [RiskCode::LongDuration]);
    }

    #[test]
    fn renewal() {
        let input = RiskInput {
            renewal_of: Some("01ab"),
            ..RiskInput::new("minjun")
        };
        assert_eq!(codes_for(&input, &[]), [RiskCode::Renewal]);
    }

    #[test]
    fn invite() {
        let input = RiskInput {
            invite: Some(("inv-1", "admin")),
            ..RiskInput::new("minjun")
        };
        assert_eq!(codes_for(&input, &[]), [RiskCode::Invite]);
    }

    #[test]
    fn codes_keep_their_wire_names_and_severities() {
        for code in RiskCode::ALL {
            let wire = serde_json::to_value(code).expect("serializes");
            let back: RiskCode = serde_json::from_value(wire.clone()).expect("reads back");
            assert_eq!(back, code, "{wire}");
            assert_eq!(wire, code.as_str(), "{wire}");
        }
        assert_eq!(
            serde_json::to_value(RiskCode::RsaBelow3072).ok(),
            Some("rsa_below_3072".into())
        );
        assert_eq!(RiskCode::ExistingSubject.severity(), Severity::Red);
    }
}
