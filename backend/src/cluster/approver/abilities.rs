//! Who the approver is and what they may do, asked with their own token.

use k8s_openapi::api::authentication::v1::SelfSubjectReview;
use k8s_openapi::api::authorization::v1::ResourceAttributes;
use kube::api::PostParams;
use kube::{Api, Client};
use shared::ErrorCode;
use shared::admin::{Abilities, WhoAmI};

use crate::cluster::access::may as kube_may;
use crate::cluster::cache::SIGNER;
use crate::cluster::error::{Error, Result};
use crate::cluster::resources::GROUP;

/// Returns the token holder's username and groups (SelfSubjectReview).
pub async fn identity(client: &Client) -> Result<(String, Vec<String>)> {
    let review = Api::<SelfSubjectReview>::all(client.clone())
        .create(&PostParams::default(), &SelfSubjectReview::default())
        .await
        .map_err(Error::approver)?;
    let user = review.status.and_then(|s| s.user_info).unwrap_or_default();
    let username = user.username.ok_or_else(|| {
        Error::invalid(
            ErrorCode::TokenInvalid,
            "The cluster knows no username for this token.",
        )
    })?;
    Ok((username, user.groups.unwrap_or_default()))
}

/// Returns whether the token holder may perform the action (SelfSubjectAccessReview).
pub async fn may(client: &Client, attributes: ResourceAttributes) -> Result<bool> {
    kube_may(client, attributes).await.map_err(Error::approver)
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
        Err(Error::invalid(ErrorCode::Forbidden, refusal))
    }
}
