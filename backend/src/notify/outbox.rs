//! The outbox in the cluster: one `Notification` per event, named after it, so every
//! replica agrees which events exist and who sends each.
//!
//! - **Claim**: the replica whose `create` succeeds holds the event (the others get
//!   409 and leave it); the claim lasts as long as the replica's own Lease
//!   ([`super::liveness`]), so a held event costs no writes while it waits.
//! - **Take over**: an event whose holder's Lease ran out (it died mid-send) is taken by
//!   a `replace` carrying the resourceVersion the taker read, so exactly one taker wins.
//! - **Record**: each sink's outcome is written as it ends; a taker sends only to sinks
//!   with none, so a sink hears of an event twice only if a replica died between the
//!   sink's answer and writing it down.
//! - **Forget**: a day after its event, a Notification is deleted.

use std::collections::BTreeMap;

use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use kube::{Api, Client, CustomResource, ResourceExt as _};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use super::event::Event;

/// How long a Notification is kept after its event (longer than any event is fresh).
pub const KEEP: Duration = Duration::hours(24);

/// One event to tell the sinks about, who sends it and how it went at each sink.
// Clippy reads each `printcolumn(type_ = …)` as a repeated attribute; they are columns.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "certdesk.dev",
    version = "v1alpha1",
    kind = "Notification",
    plural = "notifications",
    category = "certdesk",
    derive = "PartialEq",
    doc = "An event CertDesk tells its notification sinks about (once, whichever replica sends it), and each sink's outcome.",
    printcolumn(name = "Event", type_ = "string", json_path = ".spec.event.kind"),
    printcolumn(name = "User", type_ = "string", json_path = ".spec.event.username"),
    printcolumn(name = "Done", type_ = "boolean", json_path = ".spec.done"),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct NotificationSpec {
    /// The install that tells it: its portal URL (another CertDesk on the same cluster
    /// has its own, and never sends or takes over this one).
    pub scope: String,
    /// The event, as every sink renders it.
    pub event: Event,
    /// The replica sending it (alive while its Lease is renewed).
    pub holder: String,
    /// Each sink's outcome, by sink name.
    #[serde(default)]
    pub deliveries: BTreeMap<String, Delivery>,
    /// Every sink that wants the event has an outcome.
    #[serde(default)]
    pub done: bool,
}

/// How one sink's delivery ended.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// `sent` or `failed`.
    pub outcome: String,
    /// Attempts made.
    pub attempts: u32,
    /// When it ended.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String")]
    pub at: OffsetDateTime,
    /// The last failure (no URL, no secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Claims the event by creating its Notification: `Ok(true)` when this replica holds
/// it now, `Ok(false)` when it already exists.
pub async fn claim(
    client: &Client,
    (scope, name): (&str, &str),
    event: &Event,
    me: &str,
) -> kube::Result<bool> {
    let mut object = Notification::new(
        name,
        NotificationSpec {
            scope: scope.to_owned(),
            event: event.clone(),
            holder: me.to_owned(),
            deliveries: BTreeMap::new(),
            done: false,
        },
    );
    object.labels_mut().insert(
        crate::cluster::requests::MANAGED_BY.0.to_owned(),
        crate::cluster::requests::MANAGED_BY.1.to_owned(),
    );
    match Api::<Notification>::all(client.clone())
        .create(&PostParams::default(), &object)
        .await
    {
        Ok(_) => Ok(true),
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(false),
        Err(error) => Err(error),
    }
}

/// Takes over `object` as read (its resourceVersion the precondition): the taken
/// object when this replica won, `None` when another write came first.
pub async fn take_over(
    client: &Client,
    object: &Notification,
    me: &str,
) -> kube::Result<Option<Notification>> {
    let mut taken = object.clone();
    taken.spec.holder = me.to_owned();
    replace(client, &taken).await
}

async fn replace(client: &Client, object: &Notification) -> kube::Result<Option<Notification>> {
    let api = Api::<Notification>::all(client.clone());
    match api
        .replace(&object.name_any(), &PostParams::default(), object)
        .await
    {
        Ok(replaced) => Ok(Some(replaced)),
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(None),
        Err(error) => Err(error),
    }
}

/// Records one sink's outcome (a merge patch of that sink's entry alone, so
/// concurrent sinks of one event do not conflict); the last sink's also marks the
/// event done.
pub async fn record(
    client: &Client,
    name: &str,
    (sink, delivery): (&str, &Delivery),
    last: bool,
) -> kube::Result<()> {
    let mut patch = serde_json::json!({"spec": {"deliveries": {sink: delivery}}});
    if last {
        patch["spec"]["done"] = serde_json::Value::Bool(true);
    }
    Api::<Notification>::all(client.clone())
        .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map(drop)
}

/// Deletes a Notification kept long enough (gone already is fine).
pub async fn forget(client: &Client, name: &str) -> kube::Result<()> {
    match Api::<Notification>::all(client.clone())
        .delete(name, &DeleteParams::default())
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(error) => Err(error),
    }
}
