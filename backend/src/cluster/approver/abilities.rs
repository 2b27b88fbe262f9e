//! Who the approver is, what they may do, and whether they may hand out an identity.

use k8s_openapi::api::authentication::v1::SelfSubjectReview;
use k8s_openapi::api::authentication::v1::UserInfo;
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec, SubjectAccessReview,
    SubjectAccessReviewSpec,
};
use kube::api::PostParams;
use kube::{Api, Client};
use shared::ErrorCode;
use shared::admin::{Abilities, IdentityCheck, WhoAmI};

use crate::cluster::cache::SIGNER;
use crate::cluster::resources::GROUP;
use crate::error::{Error, Result};

/// Returns the token holder's username and groups (SelfSubjectReview).
pub async fn identity(client: &Client) -> Result<(String, Vec<String>)> {
    let review = Api::<SelfSubjectReview>::all(client.clone())
        .create(&PostParams::default(), &SelfSubjectReview::default())
        .await?;
    let user = review.status.and_then(|s| s.user_info).unwrap_or_default();
    let username = user.username.ok_or_else(|| {
        Error::client(
            ErrorCode::TokenInvalid,
            "The cluster knows no username for this token.",
        )
    })?;
    Ok((username, user.groups.unwrap_or_default()))
}

/// Returns whether the token holder may perform the action (SelfSubjectAccessReview).
pub async fn may(client: &Client, attributes: ResourceAttributes) -> Result<bool> {
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

fn attributes(group: &str, resource: &str, verb: &str) -> ResourceAttributes {
    ResourceAttributes {
        group: Some(group.to_owned()),
        resource: Some(resource.to_owned()),
        verb: Some(verb.to_owned()),
        ..Default::default()
    }
}

/// Returns who the approver is and what they may do.
pub async fn whoami(client: &Client) -> Result<WhoAmI> {
    let (username, groups) = identity(client).await?;
    let approve = ResourceAttributes {
        name: Some(SIGNER.to_owned()),
        ..attributes("certificates.k8s.io", "signers", "approve")
    };
    let update_approval = ResourceAttributes {
        subresource: Some("approval".to_owned()),
        ..attributes(
            "certificates.k8s.io",
            "certificatesigningrequests",
            "update",
        )
    };
    let (
        approve,
        update_approval,
        list_requests,
        create_role_bindings,
        create_cluster_role_bindings,
        create_invites,
        list_people,
    ) = tokio::try_join!(
        may(client, approve),
        may(client, update_approval),
        may(
            client,
            attributes("certificates.k8s.io", "certificatesigningrequests", "list")
        ),
        may(
            client,
            attributes("rbac.authorization.k8s.io", "rolebindings", "create")
        ),
        may(
            client,
            attributes("rbac.authorization.k8s.io", "clusterrolebindings", "create")
        ),
        may(client, attributes(GROUP, "invites", "create")),
        may(client, attributes(GROUP, "issuedcertificates", "list")),
    )?;
    Ok(WhoAmI {
        username,
        groups,
        can: Abilities {
            approve,
            update_approval,
            list_requests,
            create_role_bindings,
            create_cluster_role_bindings,
            create_invites,
            list_people,
        },
    })
}

/// Refuses unless the approver may list CSRs.
pub async fn ensure_may_list(client: &Client) -> Result<()> {
    ensure_may(
        client,
        attributes("certificates.k8s.io", "certificatesigningrequests", "list"),
        "You may not list certificate signing requests in this cluster.",
    )
    .await
}

/// Refuses unless the approver may list CertDesk's issuance records.
pub async fn ensure_may_list_records(client: &Client) -> Result<()> {
    ensure_may(
        client,
        attributes(GROUP, "issuedcertificates", "list"),
        "You may not list CertDesk's issuance records (issuedcertificates.certdesk.dev) in this cluster.",
    )
    .await
}

async fn ensure_may(client: &Client, attributes: ResourceAttributes, refusal: &str) -> Result<()> {
    if may(client, attributes).await? {
        Ok(())
    } else {
        Err(Error::client(ErrorCode::Forbidden, refusal))
    }
}

/// The most groups whose `impersonate` permission one check asks about; a CSR asking
/// for more is refused without asking (it bounds the API-server calls of one click).
pub const MAX_CHECKED_GROUPS: usize = 32;

/// Who decides, and how the API server is asked what they may do.
#[derive(Clone, Copy)]
pub enum Decider<'a> {
    /// The holder of this client (the approver's own token): SelfSubjectAccessReviews.
    Token(&'a Client),
    /// A user the API server told CertDesk about (the admission webhook's request),
    /// asked about with SubjectAccessReviews made by the backend's own client.
    User(&'a Client, &'a UserInfo),
}

impl Decider<'_> {
    async fn may(self, attributes: ResourceAttributes) -> Result<bool> {
        match self {
            Decider::Token(client) => may(client, attributes).await,
            Decider::User(client, user) => {
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
        }
    }
}

/// Asks the API server, as the deciding person (the holder of `decider`), whether they
/// may `impersonate` each of `groups`, and the `username` when `username_bound` (it
/// already has bindings). Nothing changes in the cluster.
pub async fn identity_check(
    decider: &Client,
    username: &str,
    groups: &[String],
    username_bound: bool,
) -> Result<IdentityCheck> {
    identity_check_for(Decider::Token(decider), username, groups, username_bound).await
}

/// Does what [`identity_check`] does for any [`Decider`].
pub async fn identity_check_for(
    decider: Decider<'_>,
    username: &str,
    groups: &[String],
    username_bound: bool,
) -> Result<IdentityCheck> {
    if groups.len() > MAX_CHECKED_GROUPS {
        return Ok(IdentityCheck {
            allowed: false,
            checked: Vec::new(),
            missing: vec![format!("{} groups", groups.len())],
            username_bound,
            message: format!(
                "You may not issue this identity: it asks for {} groups, more than the {MAX_CHECKED_GROUPS} CertDesk checks.",
                groups.len()
            ),
        });
    }
    let mut asked: Vec<(&str, &str)> = groups.iter().map(|g| ("groups", g.as_str())).collect();
    if username_bound {
        asked.push(("users", username));
    }
    let answers = futures::future::try_join_all(asked.iter().map(|(resource, name)| {
        decider.may(ResourceAttributes {
            name: Some((*name).to_owned()),
            ..attributes("", resource, "impersonate")
        })
    }))
    .await?;
    let permission = |(resource, name): &(&str, &str)| format!("{resource}/{name}");
    let checked: Vec<String> = asked.iter().map(permission).collect();
    let missing: Vec<String> = asked
        .iter()
        .zip(&answers)
        .filter(|(_, allowed)| !**allowed)
        .map(|(asked, _)| permission(asked))
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
        username_bound,
        message,
    })
}

/// Turns a refused identity check into the `identity_not_allowed` error (403), naming
/// each missing permission in the message and in `details.missing`.
pub fn ensure_identity(check: &IdentityCheck) -> Result<()> {
    if check.allowed {
        return Ok(());
    }
    Err(Error::Client(
        shared::ApiError::new(ErrorCode::IdentityNotAllowed, check.message.clone())
            .with_details(serde_json::json!({ "missing": check.missing })),
    ))
}
