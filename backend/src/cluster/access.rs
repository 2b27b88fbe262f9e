//! The identity rule's one entry point: may the deciding person issue this identity?
//!
//! Every way a certificate gets approved runs [`check`]: an approver's click (and the
//! approval page's preview), an invite that CertDesk approves by itself (asked about
//! the inviter at use), and the admission webhook (asked about whoever approves with
//! kubectl). The permissions asked for are [`shared::identity::needed`]'s; the answers
//! are the cluster's, as the deciding person — a SelfSubjectAccessReview with their own
//! token, or a SubjectAccessReview naming them (briefly cached: [`ReviewCache`]).

use std::time::Duration;

use k8s_openapi::api::authentication::v1::UserInfo;
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec, SubjectAccessReview,
    SubjectAccessReviewSpec,
};
use k8s_openapi::api::certificates::v1::CertificateSigningRequest;
use kube::api::PostParams;
use kube::{Api, Client};
use shared::admin::{Grant, IdentityCheck};
use shared::identity::Permission;

use super::Cluster;
use super::bindings::BindingName;
use super::error::{Error, Result};
use super::requests;
use super::ttl_cache::TtlCache;
use crate::csr::CsrSummary;

/// The most groups one check asks about; a CSR asking for more is refused without
/// asking (it bounds the API-server calls of one decision).
pub const MAX_CHECKED_GROUPS: usize = 32;

/// How long a SubjectAccessReview's answer about one person is reused.
pub const REVIEW_TTL: Duration = Duration::from_secs(10);

/// How many SubjectAccessReview answers are kept at once.
pub const REVIEW_CAPACITY: usize = 4096;

/// Answers to SubjectAccessReviews, by who was asked about and what.
pub type ReviewCache = TtlCache<bool>;

/// Who decides, and how the cluster is asked what they may do.
#[derive(Clone, Copy)]
pub enum Decider<'a> {
    /// The holder of this client (the approver's own token): SelfSubjectAccessReviews.
    Token(&'a Client),
    /// A user the API server named (the admission webhook's request, an invite's
    /// maker), asked about with SubjectAccessReviews by CertDesk's own client.
    User(&'a UserInfo),
}

/// How [`check`] learns whether a username is bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// A fresh list of every binding (an approver's click: two list calls).
    Fresh,
    /// The watch cache (the webhook, which must cost the API server next to
    /// nothing); when it has not synced, the username counts as bound.
    Cached,
}

/// Asks the cluster whether the deciding person may issue the identity `csr` asks
/// for ([`shared::identity::needed`]). A renewal CertDesk itself made keeps an
/// identity that already passed; the bindings CertDesk made for the invite this very
/// request came with do not make its username "bound". Nothing changes in the cluster.
pub async fn check(
    cluster: &Cluster,
    decider: Decider<'_>,
    csr: &CertificateSigningRequest,
    summary: &CsrSummary,
    freshness: Freshness,
) -> Result<IdentityCheck> {
    if super::approver::view::made_by_certdesk(csr, cluster.own_username())
        && requests::annotation(csr, requests::RENEWAL_OF_ANNOTATION).is_some()
    {
        return Ok(IdentityCheck {
            allowed: true,
            checked: Vec::new(),
            missing: Vec::new(),
            username_bound: false,
            message: "A renewal keeps the identity of the live certificate it renews.".to_owned(),
        });
    }
    let exempt = invite_bindings(cluster, csr, &summary.username);
    check_identity(
        cluster,
        decider,
        &summary.username,
        &summary.groups,
        &exempt,
        freshness,
    )
    .await
}

/// Does what [`check`] does for an identity that is not (yet) a CSR: an invite being
/// made or used.
pub async fn check_identity(
    cluster: &Cluster,
    decider: Decider<'_>,
    username: &str,
    groups: &[String],
    exempt: &[BindingName],
    freshness: Freshness,
) -> Result<IdentityCheck> {
    let bound = match freshness {
        Freshness::Fresh => super::bindings::bound_except(&cluster.client, username, exempt).await,
        Freshness::Cached => cluster.bindings.bound_except(username, exempt),
    };
    if groups.len() > MAX_CHECKED_GROUPS {
        return Ok(IdentityCheck {
            allowed: false,
            checked: Vec::new(),
            missing: vec![format!("{} groups", groups.len())],
            username_bound: bound,
            message: format!(
                "You may not issue this identity: it asks for {} groups, more than the {MAX_CHECKED_GROUPS} CertDesk checks.",
                groups.len()
            ),
        });
    }
    let asked = shared::identity::needed(
        username,
        groups,
        bound,
        cluster.rules.always_require_impersonate,
    );
    let answers = futures::future::try_join_all(
        asked
            .iter()
            .map(|permission| may_impersonate(cluster, decider, permission)),
    )
    .await?;
    let checked: Vec<String> = asked.iter().map(Permission::to_string).collect();
    let missing: Vec<String> = checked
        .iter()
        .zip(&answers)
        .filter(|(_, allowed)| !**allowed)
        .map(|(permission, _)| permission.clone())
        .collect();
    let message = if missing.is_empty() {
        "You may issue this identity.".to_owned()
    } else {
        format!(
            "You may not issue this identity: impersonate on {} is missing.",
            missing
                .iter()
                .map(|m| m.escape_default().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    Ok(IdentityCheck {
        allowed: missing.is_empty(),
        checked,
        missing,
        username_bound: bound,
        message,
    })
}

/// Turns a refused check into [`Error::IdentityNotAllowed`].
pub fn ensure(check: IdentityCheck) -> Result<()> {
    if check.allowed {
        Ok(())
    } else {
        Err(Error::IdentityNotAllowed(check))
    }
}

async fn may_impersonate(
    cluster: &Cluster,
    decider: Decider<'_>,
    permission: &Permission,
) -> Result<bool> {
    let attributes = ResourceAttributes {
        group: Some(String::new()),
        resource: Some(permission.resource.to_owned()),
        name: Some(permission.name.clone()),
        namespace: permission.namespace.clone(),
        verb: Some("impersonate".to_owned()),
        ..Default::default()
    };
    match decider {
        Decider::Token(client) => may(client, attributes).await.map_err(Error::approver),
        Decider::User(user) => {
            let key = review_key(user, &permission.to_string());
            if let Some(answer) = cluster.reviews.get(&key) {
                return Ok(answer);
            }
            let answer = subject_may(&cluster.client, user, attributes)
                .await
                .map_err(Error::own)?;
            cluster.reviews.insert(&key, answer);
            Ok(answer)
        }
    }
}

/// The cache key of one question about one person: everything the API server's
/// authorizer reads of them, and the permission.
fn review_key(user: &UserInfo, permission: &str) -> String {
    let mut groups = user.groups.clone().unwrap_or_default();
    groups.sort();
    let extra: Vec<(String, Vec<String>)> =
        user.extra.clone().unwrap_or_default().into_iter().collect();
    serde_json::json!([user.username, user.uid, groups, extra, permission]).to_string()
}

/// Returns whether the holder of `client` may do what `attributes` describe
/// (SelfSubjectAccessReview).
pub async fn may(client: &Client, attributes: ResourceAttributes) -> kube::Result<bool> {
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(attributes),
            ..Default::default()
        },
        ..Default::default()
    };
    let answer = Api::<SelfSubjectAccessReview>::all(client.clone())
        .create(&PostParams::default(), &review)
        .await?;
    Ok(answer.status.is_some_and(|s| s.allowed))
}

/// Returns whether `user` may do what `attributes` describe, asked by the holder of
/// `client` (SubjectAccessReview).
pub async fn subject_may(
    client: &Client,
    user: &UserInfo,
    attributes: ResourceAttributes,
) -> kube::Result<bool> {
    let review = SubjectAccessReview {
        spec: SubjectAccessReviewSpec {
            resource_attributes: Some(attributes),
            user: user.username.clone(),
            groups: user.groups.clone(),
            uid: user.uid.clone(),
            extra: user.extra.clone(),
            ..Default::default()
        },
        ..Default::default()
    };
    let answer = Api::<SubjectAccessReview>::all(client.clone())
        .create(&PostParams::default(), &review)
        .await?;
    Ok(answer.status.is_some_and(|s| s.allowed))
}

/// The bindings CertDesk made, when the invite was made, for the invite this request
/// came with; only when CertDesk itself created the CSR (anyone could write the
/// annotation otherwise).
fn invite_bindings(
    cluster: &Cluster,
    csr: &CertificateSigningRequest,
    username: &str,
) -> Vec<BindingName> {
    if !super::approver::view::made_by_certdesk(csr, cluster.own_username()) {
        return Vec::new();
    }
    requests::annotation(csr, requests::INVITE_GRANTS_ANNOTATION)
        .and_then(|json| serde_json::from_str::<Vec<Grant>>(&json).ok())
        .unwrap_or_default()
        .iter()
        .filter_map(|grant| super::approver::grants::binding_ref(username, grant))
        .map(|binding| BindingName::from(&binding))
        .collect()
}
