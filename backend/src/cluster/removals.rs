//! Removals: an approver's durable word that a username has no access any more.
//!
//! "Remove access" writes a cluster-scoped `Removal` named after the username (with
//! the approver's own token), denies the person's pending requests and renewals, marks
//! every issuance record of theirs and deletes the bindings CertDesk made. From then on
//! CertDesk takes no request for the username, approves none (an approver's click, its
//! own auto-approval, the webhook's judgement of it) and renews nothing, until an
//! approver restores access (deletes the `Removal`). Certificates cannot be revoked: the
//! person's last certificate works until it expires, which the People page says.

use kube::api::{DeleteParams, PostParams};
use kube::{Api, Client, CustomResource};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use shared::ErrorCode;
use time::OffsetDateTime;

use super::error::{Error, Result, Whose};
use super::requests;
use crate::audit::timestamp;

/// An approver's removal of a username's access.
// Clippy reads each `printcolumn(type_ = …)` as a repeated attribute; they are columns.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "certdesk.dev",
    version = "v1alpha1",
    kind = "Removal",
    plural = "removals",
    category = "certdesk",
    derive = "PartialEq",
    doc = "A username whose access an approver removed: CertDesk takes, approves and renews no request for it until an approver restores it (deletes this).",
    printcolumn(name = "User", type_ = "string", json_path = ".spec.username"),
    printcolumn(name = "Removed-By", type_ = "string", json_path = ".spec.by"),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct RemovalSpec {
    /// The username whose access was removed.
    pub username: String,
    /// The approver who removed it.
    pub by: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String")]
    pub at: OffsetDateTime,
}

/// The name of the `Removal` of `username`: readable, and unique per username (a
/// digest of it, since any string may be a username).
pub fn name_for(username: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, username.as_bytes());
    let suffix = data_encoding::BASE32_NOPAD
        .encode(&digest.as_ref()[..10])
        .to_ascii_lowercase();
    format!("removed-{}-{suffix}", requests::sanitize(username, 40))
}

/// Reads the removal of `username` afresh (not from a cache: a removal made a moment
/// ago on another replica counts). `None` when there is none (or the CRD is not
/// installed).
pub async fn of(client: &Client, username: &str, whose: Whose) -> Result<Option<Removal>> {
    match Api::<Removal>::all(client.clone())
        .get_opt(&name_for(username))
        .await
    {
        Ok(removal) => Ok(removal.filter(|r| r.spec.username == username)),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(None),
        Err(source) => Err(Error::Kube { whose, source }),
    }
}

/// Refuses (403 `access_removed`, or `renewal_access_removed` for a renewal) when an
/// approver removed `username`'s access.
pub async fn ensure_not_removed(client: &Client, username: &str, renewal: bool) -> Result<()> {
    match of(client, username, Whose::Own).await? {
        None => Ok(()),
        Some(removal) => {
            let code = if renewal {
                ErrorCode::RenewalAccessRemoved
            } else {
                ErrorCode::AccessRemoved
            };
            Err(Error::invalid(
                code,
                format!(
                    "{} removed {username:?}'s access on {}; CertDesk takes, approves and renews nothing for this username until an approver restores it.",
                    removal.spec.by,
                    timestamp(removal.spec.at)
                ),
            ))
        }
    }
}

/// Records the removal of `username`'s access as the approver holding `client`. A
/// second removal keeps the first one's record.
pub async fn record(client: &Client, username: &str, by: &str) -> Result<Removal> {
    let mut removal = Removal::new(
        &name_for(username),
        RemovalSpec {
            username: username.to_owned(),
            by: by.to_owned(),
            at: OffsetDateTime::now_utc(),
        },
    );
    removal.metadata.labels = Some(std::collections::BTreeMap::from([(
        requests::MANAGED_BY.0.to_owned(),
        requests::MANAGED_BY.1.to_owned(),
    )]));
    let api = Api::<Removal>::all(client.clone());
    match api.create(&PostParams::default(), &removal).await {
        Ok(created) => Ok(created),
        Err(kube::Error::Api(status)) if status.code == 409 => {
            api.get(&name_for(username)).await.map_err(Error::approver)
        }
        Err(error) => Err(Error::approver(error)),
    }
}

/// Restores `username`'s access as the approver holding `client`: deletes the removal.
/// Returns whether there was one.
pub async fn restore(client: &Client, username: &str) -> Result<bool> {
    match Api::<Removal>::all(client.clone())
        .delete(&name_for(username), &DeleteParams::default())
        .await
    {
        Ok(_) => Ok(true),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(false),
        Err(error) => Err(Error::approver(error)),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_removal_is_named_after_its_username_uniquely() {
        let a = super::name_for("Min Jun");
        assert!(a.starts_with("removed-min-jun-"), "{a}");
        assert_eq!(a, super::name_for("Min Jun"));
        assert_ne!(a, super::name_for("min jun"));
        let hostile = super::name_for("a\"\nusers:/../x");
        assert!(
            hostile
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        );
    }
}
