//! Requesters' side of a `CertificateSigningRequest`: the object CertDesk creates from a
//! vetted CSR, its name, and the annotations CertDesk reads and writes on it. Where a
//! request stands is [`super::standing`].

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::certificates::v1::{
    CertificateSigningRequest, CertificateSigningRequestSpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use shared::RequestId;

use super::cache::SIGNER;
use crate::csr::VettedCsr;

/// The label every object CertDesk creates carries.
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "certdesk");
/// The annotation holding the requester's note for the approver.
pub const NOTE_ANNOTATION: &str = "certdesk.dev/note";
/// The annotation holding the address the request came from.
pub const CLIENT_ADDRESS_ANNOTATION: &str = "certdesk.dev/client-address";
/// The annotation holding the requester's browser user agent.
pub const USER_AGENT_ANNOTATION: &str = "certdesk.dev/user-agent";

/// The annotation, written with the approval, naming the namespace of the approval's first
/// namespaced grant (the requester's kubeconfig context uses it).
///
/// It travels with the `/approval` subresource update made with the approver's own
/// token: the API server persists metadata sent with that update (checked against a
/// real kube-apiserver 1.35), and the backend itself has no right to write CSRs.
pub const GRANTED_NAMESPACE_ANNOTATION: &str = "certdesk.dev/granted-namespace";
/// The annotation, written with the approval, holding the approval's grants as JSON.
pub const GRANTS_ANNOTATION: &str = "certdesk.dev/grants";

/// The annotation, written with the approval, naming the approver.
pub const APPROVED_BY_ANNOTATION: &str = "certdesk.dev/approved-by";
/// The annotation naming the invite a request was made with.
pub const INVITE_ANNOTATION: &str = "certdesk.dev/invite";
/// The annotation naming the approver who made the request's invite.
pub const INVITED_BY_ANNOTATION: &str = "certdesk.dev/invited-by";
/// The annotation holding the request's invite's grants as JSON (pre-filled on the
/// approval page).
pub const INVITE_GRANTS_ANNOTATION: &str = "certdesk.dev/invite-grants";
/// The annotation holding the serial number of the certificate a renewal renews.
pub const RENEWAL_OF_ANNOTATION: &str = "certdesk.dev/renewal-of";

/// Returns the CSR's annotation `key`, if it has one.
pub fn annotation(csr: &CertificateSigningRequest, key: &str) -> Option<String> {
    csr.metadata.annotations.as_ref()?.get(key).cloned()
}

/// Returns whether `name` is a valid Kubernetes namespace name (an RFC 1123 label: at
/// most 63 lowercase letters, digits and dashes, starting and ending alphanumeric).
pub fn is_namespace_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes.iter().all(|b| alnum(b) || *b == b'-')
        && bytes.first().is_some_and(alnum)
        && bytes.last().is_some_and(alnum)
}

/// Returns whether `name` can be a CertificateSigningRequest's name (the API server's
/// path-segment rule: no `/` or `%`, not `.` or `..`, at most 253 bytes, no control
/// characters), so a name from a URL never reaches the API server as another path.
pub fn is_csr_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name != "."
        && name != ".."
        && !name
            .chars()
            .any(|c| c == '/' || c == '%' || c.is_control() || c.is_whitespace())
}

/// Returns the namespace recorded with the approval, if it is a valid namespace name;
/// anything else (hand-edited, hostile) is ignored rather than passed to the browser.
pub fn granted_namespace(csr: &CertificateSigningRequest) -> Option<String> {
    csr.metadata
        .annotations
        .as_ref()?
        .get(GRANTED_NAMESPACE_ANNOTATION)
        .filter(|n| is_namespace_name(n))
        .cloned()
}

/// The longest annotation value CertDesk writes, in characters.
pub const MAX_ANNOTATION_CHARS: usize = 1024;

/// Where a request came from, recorded for the approver.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// The requester's note.
    pub note: Option<String>,
    /// The peer address the request came from.
    pub client_address: Option<String>,
    /// The `User-Agent` header.
    pub user_agent: Option<String>,
}

/// Returns `name` reduced to a DNS label fragment: lowercase ASCII letters, digits and
/// single dashes, no dash at either end, at most `max` characters, never empty.
pub fn sanitize(name: &str, max: usize) -> String {
    let mut out = String::with_capacity(name.len().min(max));
    for c in name.chars().flat_map(char::to_lowercase) {
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() {
            c
        } else {
            '-'
        };
        if c == '-' && (out.is_empty() || out.ends_with('-')) {
            continue;
        }
        out.push(c);
        if out.len() >= max {
            break;
        }
    }
    let trimmed = out.trim_end_matches('-');
    if trimmed.is_empty() {
        "user".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// Returns a fresh request id `certdesk-<sanitized username>-<80 random bits in base32>`.
pub fn new_request_id(username: &str) -> anyhow::Result<RequestId> {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 10];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| anyhow::anyhow!("the system random number generator failed"))?;
    let random = data_encoding::BASE32_NOPAD
        .encode(&bytes)
        .to_ascii_lowercase();
    Ok(RequestId(format!(
        "certdesk-{}-{random}",
        sanitize(username, 40)
    )))
}

fn limited(value: &str) -> String {
    value.chars().take(MAX_ANNOTATION_CHARS).collect()
}

/// Builds the `CertificateSigningRequest` object for a vetted CSR.
pub fn build(
    id: &RequestId,
    csr: &VettedCsr,
    expiration_seconds: u32,
    origin: &Origin,
) -> CertificateSigningRequest {
    let mut annotations = BTreeMap::new();
    for (key, value) in [
        (NOTE_ANNOTATION, &origin.note),
        (CLIENT_ADDRESS_ANNOTATION, &origin.client_address),
        (USER_AGENT_ANNOTATION, &origin.user_agent),
    ] {
        if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
            annotations.insert(key.to_owned(), limited(value));
        }
    }
    let mut usages = vec!["digital signature".to_owned()];
    if csr.summary.key.is_rsa {
        usages.push("key encipherment".to_owned());
    }
    usages.push("client auth".to_owned());
    CertificateSigningRequest {
        metadata: ObjectMeta {
            name: Some(id.0.clone()),
            labels: Some(BTreeMap::from([(
                MANAGED_BY.0.to_owned(),
                MANAGED_BY.1.to_owned(),
            )])),
            annotations: Some(annotations),
            ..ObjectMeta::default()
        },
        spec: CertificateSigningRequestSpec {
            request: ByteString(csr.pem.clone().into_bytes()),
            signer_name: SIGNER.to_owned(),
            usages: Some(usages),
            expiration_seconds: Some(i32::try_from(expiration_seconds).unwrap_or(i32::MAX)),
            ..CertificateSigningRequestSpec::default()
        },
        status: None,
    }
}

/// Returns whether CertDesk created the CSR (it carries the managed-by label).
pub fn is_managed(csr: &CertificateSigningRequest) -> bool {
    csr.metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(MANAGED_BY.0))
        .is_some_and(|v| v == MANAGED_BY.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csr_names_from_urls_are_path_segments() {
        for good in ["certdesk-minjun-abc", "node-csr-XYZ.1", "a"] {
            assert!(is_csr_name(good), "{good}");
        }
        let long = "a".repeat(254);
        for bad in ["", ".", "..", "a/b", "a%2Fb", "a\0", "a b", long.as_str()] {
            assert!(!is_csr_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn hostile_usernames_become_safe_dns_labels() {
        assert_eq!(sanitize("a\"\nusers:", 40), "a-users");
        assert_eq!(
            sanitize("Min-Jun.Kim@Example.COM", 40),
            "min-jun-kim-example-com"
        );
        assert_eq!(sanitize("---", 40), "user");
        assert_eq!(sanitize("", 40), "user");
        assert_eq!(sanitize("ünïcode", 40), "n-code");
        assert_eq!(sanitize(&"x".repeat(300), 40).len(), 40);
    }

    #[test]
    fn request_ids_are_dns_subdomains_with_80_random_bits() {
        let id = new_request_id("a\"\nusers:").unwrap().0;
        assert!(id.starts_with("certdesk-a-users-"), "{id}");
        let random = id.rsplit('-').next().unwrap();
        assert_eq!(random.len(), 16);
        assert!(
            id.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{id}"
        );
        assert!(id.len() <= 253);
        assert_ne!(new_request_id("a").unwrap(), new_request_id("a").unwrap());
    }
}
