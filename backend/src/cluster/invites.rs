//! Invites: made, listed and revoked by approvers with their own credentials; opened
//! and used once by the backend when an invitee submits a request.
//!
//! Single use is enforced by the API server: using an invite is an update of its
//! status carrying the `resourceVersion` that was read, so of two concurrent uses (even
//! on two replicas) exactly one is accepted and the other gets 409.

use k8s_openapi::api::certificates::v1::CertificateSigningRequest;
use kube::api::PostParams;
use kube::{Api, Client, Resource as _};
use shared::admin::Grant;
use shared::invite::{
    CreateInvite, FRAGMENT_PARAMETER, InviteCreated, InviteInfo, InviteState, InviteToken,
    InviteView, LINK_PAGE, NAME_PREFIX, VALIDITY_SECONDS,
};
use shared::{ApiError, ErrorCode, PortalConfig};
use time::OffsetDateTime;

use super::Cluster;
use super::access::{self, Decider, Freshness};
use super::approver;
use super::error::{Error, Result};
use super::requests;
use super::resources::{
    BindingRecord, GrantRecord, Invite, InviteSpec, InviteStatus, RemovalRecord,
};
use crate::audit::{Action, Audit, Entry, timestamp};
use crate::csr::CsrSummary;

/// Returns where the invite stands at `now`.
pub fn state_of(invite: &Invite, now: OffsetDateTime) -> InviteState {
    let status = invite.status.as_ref();
    if status.is_some_and(|s| s.revoked.is_some()) {
        InviteState::Revoked
    } else if status.is_some_and(|s| s.used_by.is_some()) {
        InviteState::Used
    } else if invite.spec.expires_at <= now {
        InviteState::Expired
    } else {
        InviteState::Open
    }
}

/// Returns the invite as approvers see it.
pub fn view_of(invite: &Invite, now: OffsetDateTime) -> InviteView {
    let spec = &invite.spec;
    let status = invite.status.clone().unwrap_or_default();
    InviteView {
        name: invite.metadata.name.clone().unwrap_or_default(),
        username: spec.username.clone(),
        groups: spec.groups.clone(),
        grants: spec.grants.iter().map(Grant::from).collect(),
        expiration_seconds: spec.expiration_seconds,
        created_by: spec.created_by.clone(),
        expires_at: spec.expires_at,
        state: state_of(invite, now),
        request: status.used_by,
        revoked_by: status.revoked.map(|r| r.by),
        grants_bound: grants_bound(invite),
    }
}

/// Returns whether every grant of the invite was bound when it was made.
pub fn grants_bound(invite: &Invite) -> bool {
    invite.spec.bindings.len() == invite.spec.grants.len()
}

/// Returns what the invite link shows the invitee.
pub fn info_of(invite: &Invite, auto_approve: bool) -> InviteInfo {
    InviteInfo {
        username: invite.spec.username.clone(),
        groups: invite.spec.groups.clone(),
        expiration_seconds: invite.spec.expiration_seconds,
        invited_by: invite.spec.created_by.clone(),
        expires_at: invite.spec.expires_at,
        auto_approved: auto_approve && grants_bound(invite),
    }
}

/// The person who made the invite, as the cluster told CertDesk when they made it.
pub fn maker(invite: &Invite) -> k8s_openapi::api::authentication::v1::UserInfo {
    k8s_openapi::api::authentication::v1::UserInfo {
        username: Some(invite.spec.created_by.clone()),
        groups: Some(invite.spec.created_by_groups.clone()),
        ..Default::default()
    }
}

fn random_base32(bytes: usize) -> Result<String> {
    use ring::rand::SecureRandom as _;
    let mut buffer = vec![0u8; bytes];
    ring::rand::SystemRandom::new()
        .fill(&mut buffer)
        .map_err(|_| {
            Error::Internal(anyhow::anyhow!("the system random number generator failed"))
        })?;
    Ok(data_encoding::BASE32_NOPAD
        .encode(&buffer)
        .to_ascii_lowercase())
}

fn token_hash(secret: &str) -> String {
    data_encoding::HEXLOWER
        .encode(ring::digest::digest(&ring::digest::SHA256, secret.as_bytes()).as_ref())
}

/// Compares two strings in time that depends only on their lengths.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Makes an invite as the approver holding `client`.
///
/// The identity and lifetime are checked against the policy now, and the grants are
/// dry-run as this approver (so RBAC's escalation check speaks now). With `bind_now`
/// (requests with invites are approved automatically), the grants are bound now, with
/// this approver's credentials; otherwise the approver of the request makes them.
///
/// With `bind_now`, CertDesk will approve the request by itself, so the inviter is the
/// deciding person: they must pass the identity check now (`impersonate` on each group,
/// and on the username when it already has bindings), or the invite is refused with
/// `identity_not_allowed` and nothing is made.
pub async fn create(
    cluster: &Cluster,
    client: &Client,
    body: &CreateInvite,
    portal: &PortalConfig,
    bind_now: bool,
) -> Result<InviteCreated> {
    let audit = &cluster.audit;
    let username = body.username.as_str();
    let mut violations = shared::policy::check_subject(
        username,
        &body.groups,
        &portal.policy,
        &cluster.bindings.users(),
    );
    violations.extend(shared::policy::check_duration(
        body.expiration_seconds,
        &portal.duration,
    ));
    if !violations.is_empty() {
        return Err(Error::Policy(violations));
    }
    if !VALIDITY_SECONDS.contains(&body.valid_for_seconds) {
        return Err(Error::invalid(
            ErrorCode::BadRequest,
            format!(
                "An invite link stays valid between {} seconds and {} days.",
                VALIDITY_SECONDS.start(),
                VALIDITY_SECONDS.end() / 86_400
            ),
        ));
    }
    for grant in &body.grants {
        if approver::binding_ref(username, grant).is_none() {
            return Err(Error::invalid(
                ErrorCode::BadRequest,
                format!(
                    "The grant of {:?} needs a valid namespace (a Role is always granted in one).",
                    grant.name
                ),
            ));
        }
    }
    super::removals::ensure_not_removed(&cluster.client, username, false).await?;
    let (created_by, created_by_groups) = approver::identity(client).await?;
    if bind_now {
        let check = access::check_identity(
            cluster,
            Decider::Token(client),
            username,
            &body.groups,
            &[],
            Freshness::Fresh,
        )
        .await?;
        access::ensure(check)?;
    }
    let bindings = if bind_now {
        approver::make_bindings(client, username, &body.grants).await?
    } else {
        approver::check_bindings(client, username, &body.grants).await?;
        Vec::new()
    };
    let name = format!("{NAME_PREFIX}{}", random_base32(10)?);
    let secret = random_base32(20)?;
    let now = OffsetDateTime::now_utc();
    let mut invite = Invite::new(
        &name,
        InviteSpec {
            username: username.to_owned(),
            groups: body.groups.clone(),
            grants: body.grants.iter().map(GrantRecord::from).collect(),
            bindings: bindings.iter().map(BindingRecord::from).collect(),
            expiration_seconds: body.expiration_seconds,
            expires_at: now + time::Duration::seconds(i64::from(body.valid_for_seconds)),
            token_sha256: token_hash(&secret),
            created_by: created_by.clone(),
            created_by_groups,
        },
    );
    invite.metadata.labels = Some(std::collections::BTreeMap::from([(
        requests::MANAGED_BY.0.to_owned(),
        requests::MANAGED_BY.1.to_owned(),
    )]));
    let created = match Api::<Invite>::all(client.clone())
        .create(&PostParams::default(), &invite)
        .await
    {
        Ok(created) => created,
        Err(error) => {
            for binding in &bindings {
                let _ = approver::delete_binding(client, binding).await;
            }
            return Err(Error::approver(error));
        }
    };
    audit.record(
        &created,
        Entry {
            action: Action::InviteCreated,
            actor: &created_by,
            subject: username,
            request: None,
            note: format!(
                "{created_by} invited {username:?} (groups {:?}) with {} grant(s), valid until {}.",
                body.groups,
                body.grants.len(),
                timestamp(created.spec.expires_at)
            ),
        },
    );
    for binding in &bindings {
        audit.record(
            &created,
            Entry {
                action: Action::Granted,
                actor: &created_by,
                subject: username,
                request: None,
                note: format!(
                    "{created_by} bound {} {:?} to {username:?} with invite {name} ({} {}).",
                    binding.kind,
                    binding.name,
                    match binding.role_kind {
                        shared::admin::RoleKind::Role => "Role",
                        shared::admin::RoleKind::ClusterRole => "ClusterRole",
                    },
                    binding.role
                ),
            },
        );
    }
    let token = format!("{name}.{secret}");
    Ok(InviteCreated {
        invite: view_of(&created, now),
        path: format!("{LINK_PAGE}#{FRAGMENT_PARAMETER}={token}"),
        token,
    })
}

/// Returns every invite the approver can see, newest first.
pub async fn list(client: &Client) -> Result<Vec<InviteView>> {
    let now = OffsetDateTime::now_utc();
    let mut invites = Api::<Invite>::all(client.clone())
        .list(&Default::default())
        .await
        .map_err(Error::approver)?
        .items;
    invites.sort_by(|a, b| {
        b.metadata
            .creation_timestamp
            .cmp(&a.metadata.creation_timestamp)
            .then_with(|| a.metadata.name.cmp(&b.metadata.name))
    });
    Ok(invites.iter().map(|i| view_of(i, now)).collect())
}

/// Revokes the invite as the approver holding `client`, and removes the bindings made
/// with it. A used invite cannot be revoked (its request is decided like any other);
/// revoking again only retries removing the bindings.
pub async fn revoke(client: &Client, name: &str, audit: &Audit) -> Result<InviteView> {
    let api = Api::<Invite>::all(client.clone());
    let mut invite = api.get(name).await.map_err(Error::approver)?;
    let now = OffsetDateTime::now_utc();
    if state_of(&invite, now) == InviteState::Used {
        return Err(Error::conflict(
            ErrorCode::Conflict,
            "This invite was already used; decide its request (or remove the person's access) instead.",
        ));
    }
    let (approver_name, _) = approver::identity(client).await?;
    if invite.status.as_ref().is_none_or(|s| s.revoked.is_none()) {
        invite
            .status
            .get_or_insert_with(InviteStatus::default)
            .revoked = Some(RemovalRecord {
            by: approver_name.clone(),
            at: now,
        });
        invite = api
            .replace_status(name, &PostParams::default(), &invite)
            .await
            .map_err(Error::approver)?;
        audit.record(
            &invite,
            Entry {
                action: Action::InviteRevoked,
                actor: &approver_name,
                subject: &invite.spec.username,
                request: None,
                note: format!(
                    "{approver_name} revoked invite {name} for {:?}.",
                    invite.spec.username
                ),
            },
        );
    }
    for binding in &invite.spec.bindings {
        approver::delete_binding(client, &binding.into()).await?;
    }
    Ok(view_of(&invite, now))
}

/// Opens the invite a link token names, as the backend: it must exist, the secret must
/// match, and it must be neither revoked, used nor expired.
pub async fn open(client: &Client, token: &str) -> Result<Invite> {
    let invalid = || {
        Error::Invite(ApiError::new(
            ErrorCode::InviteInvalid,
            "This invite link is not valid. Check that it was copied whole, or ask for a new one.",
        ))
    };
    let token = InviteToken::parse(token).ok_or_else(invalid)?;
    let invite = Api::<Invite>::all(client.clone())
        .get_opt(token.name)
        .await
        .map_err(Error::own)?
        .ok_or_else(invalid)?;
    if !same(&token_hash(token.secret), &invite.spec.token_sha256) {
        return Err(invalid());
    }
    match state_of(&invite, OffsetDateTime::now_utc()) {
        InviteState::Open => Ok(invite),
        InviteState::Revoked => Err(Error::Invite(ApiError::new(
            ErrorCode::InviteRevoked,
            format!(
                "This invite was revoked by {}. Ask {} for a new one.",
                invite
                    .status
                    .as_ref()
                    .and_then(|s| s.revoked.as_ref())
                    .map_or("an approver", |r| r.by.as_str()),
                invite.spec.created_by
            ),
        ))),
        InviteState::Used => Err(Error::Invite(ApiError::new(
            ErrorCode::InviteUsed,
            "This invite has already been used; each invite link works once. If that was you, follow the request from the browser you made it in.",
        ))),
        InviteState::Expired => Err(Error::Invite(ApiError::new(
            ErrorCode::InviteExpired,
            format!(
                "This invite expired at {}. Ask {} for a new one.",
                timestamp(invite.spec.expires_at),
                invite.spec.created_by
            ),
        ))),
    }
}

/// Checks that a request is what the invite names: the same username, the same groups
/// (in any order) and the invite's lifetime.
pub fn check_match(invite: &Invite, csr: &CsrSummary, expiration_seconds: u32) -> Result<()> {
    let spec = &invite.spec;
    let mut wanted = spec.groups.clone();
    let mut asked = csr.groups.clone();
    wanted.sort();
    asked.sort();
    let mut mismatches = Vec::new();
    if csr.username != spec.username {
        mismatches.push(format!(
            "the invite is for the username {:?}, the request names {:?}",
            spec.username, csr.username
        ));
    }
    if wanted != asked {
        mismatches.push(format!(
            "the invite is for the groups {:?}, the request names {:?}",
            spec.groups, csr.groups
        ));
    }
    if expiration_seconds != spec.expiration_seconds {
        mismatches.push(format!(
            "the invite sets a lifetime of {} seconds, the request asks for {}",
            spec.expiration_seconds, expiration_seconds
        ));
    }
    if mismatches.is_empty() {
        Ok(())
    } else {
        Err(Error::Invite(ApiError::new(
            ErrorCode::InviteMismatch,
            format!(
                "The request does not match its invite: {}.",
                mismatches.join("; ")
            ),
        )))
    }
}

/// Marks the invite used by `request`, as the backend. The update carries the
/// `resourceVersion` the invite was read at, so a second use is refused by the API
/// server (409) even when it races this one.
pub async fn consume(client: &Client, mut invite: Invite, request: &str) -> Result<Invite> {
    let name = invite.metadata.name.clone().unwrap_or_default();
    let status = invite.status.get_or_insert_with(InviteStatus::default);
    status.used_by = Some(request.to_owned());
    status.used_at = Some(OffsetDateTime::now_utc());
    match Api::<Invite>::all(client.clone())
        .replace_status(&name, &PostParams::default(), &invite)
        .await
    {
        Ok(used) => Ok(used),
        Err(kube::Error::Api(status)) if status.code == 409 => Err(Error::Invite(ApiError::new(
            ErrorCode::InviteUsed,
            "This invite has just been used for another request; each invite link works once.",
        ))),
        Err(error) => Err(Error::own(error)),
    }
}

/// Makes a consumed invite usable again after its request could not be created.
pub async fn release(client: &Client, mut invite: Invite) {
    let name = invite.metadata.name.clone().unwrap_or_default();
    if let Some(status) = invite.status.as_mut() {
        status.used_by = None;
        status.used_at = None;
    }
    if let Err(error) = Api::<Invite>::all(client.clone())
        .replace_status(&name, &PostParams::default(), &invite)
        .await
    {
        tracing::warn!(invite = name, %error, "could not release an invite after a failed submission");
    }
}

/// Writes on the request the invite it was made with, for the approval page.
pub fn annotate(csr: &mut CertificateSigningRequest, invite: &Invite) {
    let grants: Vec<Grant> = invite.spec.grants.iter().map(Grant::from).collect();
    let annotations = csr
        .metadata
        .annotations
        .get_or_insert_with(Default::default);
    annotations.insert(
        requests::INVITE_ANNOTATION.to_owned(),
        invite.meta().name.clone().unwrap_or_default(),
    );
    annotations.insert(
        requests::INVITED_BY_ANNOTATION.to_owned(),
        invite.spec.created_by.clone(),
    );
    annotations.insert(
        requests::INVITE_GRANTS_ANNOTATION.to_owned(),
        serde_json::to_string(&grants).unwrap_or_else(|_| "[]".to_owned()),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invite(expires_in: i64, status: Option<InviteStatus>) -> Invite {
        let mut invite = Invite::new(
            "invite-abc",
            InviteSpec {
                username: "minjun".to_owned(),
                groups: vec![],
                grants: vec![],
                bindings: vec![],
                expiration_seconds: 3600,
                expires_at: OffsetDateTime::now_utc() + time::Duration::seconds(expires_in),
                token_sha256: token_hash("secret"),
                created_by: "admin".to_owned(),
                created_by_groups: vec![],
            },
        );
        invite.status = status;
        invite
    }

    #[test]
    fn revoked_beats_used_beats_expired() {
        let now = OffsetDateTime::now_utc();
        assert_eq!(state_of(&invite(60, None), now), InviteState::Open);
        assert_eq!(state_of(&invite(-1, None), now), InviteState::Expired);
        let used = InviteStatus {
            used_by: Some("certdesk-minjun-x".to_owned()),
            ..InviteStatus::default()
        };
        assert_eq!(
            state_of(&invite(-1, Some(used.clone())), now),
            InviteState::Used
        );
        let revoked = InviteStatus {
            revoked: Some(RemovalRecord {
                by: "admin".to_owned(),
                at: now,
            }),
            ..used
        };
        assert_eq!(
            state_of(&invite(60, Some(revoked)), now),
            InviteState::Revoked
        );
    }

    #[test]
    fn tokens_compare_by_hash_and_length() {
        assert!(same(
            &token_hash("secret"),
            &invite(60, None).spec.token_sha256
        ));
        assert!(!same(
            &token_hash("secreT"),
            &invite(60, None).spec.token_sha256
        ));
        assert!(!same("abc", "abcd"));
    }
}
