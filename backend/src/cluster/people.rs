//! The People view: who CertDesk issued certificates to, what CertDesk bound for them,
//! whose access was removed, and removing and restoring that access, all with the
//! approver's own credentials.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, RoleBinding, RoleRef, Subject};
use kube::api::{ListParams, PostParams};
use kube::{Api, Client};
use shared::admin::RoleKind;
use shared::people::{
    BindingRef, BindingRemoval, IssuedView, PersonView, RemoveAccessOutcome, WHAT_REMAINS,
};
use time::OffsetDateTime;

use super::approver;
use super::error::{Error, Result};
use super::removals::{self, Removal};
use super::requests::MANAGED_BY;
use super::resources::{IssuedCertificate, IssuedCertificateStatus, RemovalRecord};
use super::{Cluster, standing};
use crate::audit::{Action, Entry, timestamp};

/// A binding CertDesk made, and the one user it binds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserBinding {
    /// The binding.
    pub binding: BindingRef,
    /// The user it binds.
    pub user: String,
}

fn only_user(subjects: Option<&Vec<Subject>>) -> Option<String> {
    match subjects.map(Vec::as_slice) {
        Some([subject]) if subject.kind == "User" => Some(subject.name.clone()),
        _ => None,
    }
}

fn role_kind(role_ref: &RoleRef) -> RoleKind {
    if role_ref.kind == "Role" {
        RoleKind::Role
    } else {
        RoleKind::ClusterRole
    }
}

/// Returns the bindings CertDesk made (its label, exactly one User subject) that the
/// holder of `client` can see.
pub async fn certdesk_bindings(client: &Client) -> Result<Vec<UserBinding>> {
    let params = ListParams::default().labels(&format!("{}={}", MANAGED_BY.0, MANAGED_BY.1));
    let (role_bindings, cluster_role_bindings) = (
        Api::<RoleBinding>::all(client.clone()),
        Api::<ClusterRoleBinding>::all(client.clone()),
    );
    let (namespaced, cluster_wide) = tokio::try_join!(
        role_bindings.list(&params),
        cluster_role_bindings.list(&params),
    )
    .map_err(Error::approver)?;
    let mut out = Vec::new();
    for binding in namespaced.items {
        if let Some(user) = only_user(binding.subjects.as_ref()) {
            out.push(UserBinding {
                binding: BindingRef {
                    kind: "RoleBinding".to_owned(),
                    name: binding.metadata.name.unwrap_or_default(),
                    namespace: binding.metadata.namespace,
                    role_kind: role_kind(&binding.role_ref),
                    role: binding.role_ref.name,
                },
                user,
            });
        }
    }
    for binding in cluster_wide.items {
        if let Some(user) = only_user(binding.subjects.as_ref()) {
            out.push(UserBinding {
                binding: BindingRef {
                    kind: "ClusterRoleBinding".to_owned(),
                    name: binding.metadata.name.unwrap_or_default(),
                    namespace: None,
                    role_kind: role_kind(&binding.role_ref),
                    role: binding.role_ref.name,
                },
                user,
            });
        }
    }
    Ok(out)
}

fn issued_view(record: &IssuedCertificate, now: OffsetDateTime) -> IssuedView {
    let spec = &record.spec;
    let live = spec.not_before <= now && now < spec.not_after;
    IssuedView {
        request: record.metadata.name.clone().unwrap_or_default(),
        serial: spec.serial.clone(),
        sha256_fingerprint: spec.sha256_fingerprint.clone(),
        groups: spec.groups.clone(),
        not_before: spec.not_before,
        not_after: spec.not_after,
        approver: spec.approver.clone(),
        renewal_of: spec.renewal_of.clone(),
        invite: spec.invite.clone(),
        live,
        expiring_soon: shared::people::expiring_soon(spec.not_before, spec.not_after, now),
        access_removed: record
            .status
            .as_ref()
            .and_then(|s| s.access_removed.as_ref())
            .map(Into::into),
    }
}

/// Returns every removal the approver holding `client` may list.
pub async fn removals(client: &Client) -> Result<Vec<Removal>> {
    match Api::<Removal>::all(client.clone())
        .list(&ListParams::default())
        .await
    {
        Ok(list) => Ok(list.items),
        // Without the CRD (an install from before removals) nobody was removed.
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(Vec::new()),
        Err(error) => Err(Error::approver(error)),
    }
}

/// Returns everyone with a record, a CertDesk binding or a removal, by username.
pub fn people(
    records: &[Arc<IssuedCertificate>],
    bindings: Vec<UserBinding>,
    removals: &[Removal],
    now: OffsetDateTime,
) -> Vec<PersonView> {
    let mut people: BTreeMap<String, PersonView> = BTreeMap::new();
    let person = |people: &mut BTreeMap<String, PersonView>, username: &str| {
        people
            .entry(username.to_owned())
            .or_insert_with(|| PersonView {
                username: username.to_owned(),
                certificates: Vec::new(),
                bindings: Vec::new(),
                authenticates_until: None,
                expiring_soon: false,
                access_removed: None,
            })
            .clone()
    };
    for record in records {
        let mut entry = person(&mut people, &record.spec.username);
        entry.certificates.push(issued_view(record, now));
        people.insert(entry.username.clone(), entry);
    }
    for UserBinding { binding, user } in bindings {
        let mut entry = person(&mut people, &user);
        entry.bindings.push(binding);
        people.insert(user, entry);
    }
    for removal in removals {
        let mut entry = person(&mut people, &removal.spec.username);
        entry.access_removed = Some(shared::people::Removal {
            by: removal.spec.by.clone(),
            at: removal.spec.at,
        });
        people.insert(entry.username.clone(), entry);
    }
    people
        .into_values()
        .map(|mut person| {
            person.certificates.sort_by(|a, b| {
                b.not_before
                    .cmp(&a.not_before)
                    .then(a.request.cmp(&b.request))
            });
            person.bindings.sort();
            let last = person
                .certificates
                .iter()
                .filter(|c| c.live)
                .max_by_key(|c| c.not_after);
            person.authenticates_until = last.map(|c| c.not_after);
            person.expiring_soon = last.is_some_and(|c| c.expiring_soon);
            person
        })
        .collect()
}

/// Removes `username`'s access, as the approver holding `client`: records the removal
/// (a `Removal`, first: from then on CertDesk takes, approves and renews nothing for
/// them), denies their pending requests and renewals, marks every issuance record of
/// theirs (listed afresh, not from a cache), then deletes every binding CertDesk made
/// for them. The certificates themselves still authenticate until they expire; the
/// answer says until when.
pub async fn remove_access(
    cluster: &Cluster,
    client: &Client,
    username: &str,
) -> Result<RemoveAccessOutcome> {
    let audit = &cluster.audit;
    let (approver_name, _) = approver::identity(client).await?;
    let now = OffsetDateTime::now_utc();
    let removal = removals::record(client, username, &approver_name).await?;
    audit.record(
        &removal,
        Entry {
            action: Action::AccessRemoved,
            actor: &approver_name,
            subject: username,
            request: None,
            note: format!(
                "{approver_name} removed {username:?}'s access: CertDesk takes, approves and renews nothing for them until an approver restores it."
            ),
        },
    );
    let requests_denied = deny_pending(cluster, client, username, &approver_name).await;
    let theirs: Vec<IssuedCertificate> = Api::<IssuedCertificate>::all(client.clone())
        .list(&ListParams::default())
        .await
        .map_err(Error::approver)?
        .items
        .into_iter()
        .filter(|r| r.spec.username == username)
        .collect();
    let bindings: Vec<BindingRef> = certdesk_bindings(client)
        .await?
        .into_iter()
        .filter(|b| b.user == username)
        .map(|b| b.binding)
        .collect();
    let api = Api::<IssuedCertificate>::all(client.clone());
    let mut records_marked = Vec::new();
    for record in &theirs {
        let already = record
            .status
            .as_ref()
            .is_some_and(|s| s.access_removed.is_some());
        if already {
            continue;
        }
        let mut marked = record.clone();
        marked.status = Some(IssuedCertificateStatus {
            access_removed: Some(RemovalRecord {
                by: approver_name.clone(),
                at: now,
            }),
        });
        let name = marked.metadata.name.clone().unwrap_or_default();
        let written = api
            .replace_status(&name, &PostParams::default(), &marked)
            .await
            .map_err(Error::approver)?;
        records_marked.push(name.clone());
        audit.record(
            &written,
            Entry {
                action: Action::AccessRemoved,
                actor: &approver_name,
                subject: username,
                request: Some(&name),
                note: format!(
                    "{approver_name} removed {username:?}'s access; certificate {} still authenticates until {}.",
                    written.spec.serial,
                    timestamp(written.spec.not_after)
                ),
            },
        );
    }
    let mut outcomes = Vec::with_capacity(bindings.len());
    for binding in bindings {
        let outcome = match approver::delete_binding(client, &binding).await {
            Ok(_) => {
                tracing::info!(
                    target: "certdesk::audit",
                    action = Action::AccessRemoved.as_str(),
                    actor = approver_name.as_str(),
                    subject = username,
                    binding = binding.name.as_str(),
                    namespace = binding.namespace.as_deref().unwrap_or_default(),
                    "{approver_name} deleted {} {:?} of {username:?}", binding.kind, binding.name
                );
                BindingRemoval {
                    binding,
                    removed: true,
                    error: None,
                }
            }
            Err(error) => BindingRemoval {
                binding,
                removed: false,
                error: Some(crate::error::Error::from(error).into_body()),
            },
        };
        outcomes.push(outcome);
    }
    let authenticates_until = theirs
        .iter()
        .filter(|r| r.spec.not_before <= now && now < r.spec.not_after)
        .map(|r| r.spec.not_after)
        .max();
    Ok(RemoveAccessOutcome {
        username: username.to_owned(),
        complete: outcomes.iter().all(|o| o.removed),
        bindings: outcomes,
        records_marked,
        requests_denied,
        authenticates_until,
        what_remains: WHAT_REMAINS.to_owned(),
    })
}

/// Denies, as the approver, every pending kube-apiserver-client request (renewals too)
/// whose certificate would name `username`; returns the names denied. A request it
/// cannot deny is logged and left (its approval is refused anyway while the removal
/// stands).
async fn deny_pending(
    cluster: &Cluster,
    client: &Client,
    username: &str,
    approver_name: &str,
) -> Vec<String> {
    let pending: Vec<String> = cluster
        .cache
        .all()
        .iter()
        .filter(|csr| standing::phase(csr) == shared::Phase::Pending)
        .filter(|csr| {
            cluster
                .cache
                .decoding(csr)
                .as_ref()
                .as_ref()
                .is_ok_and(|summary| summary.username == username)
        })
        .filter_map(|csr| csr.metadata.name.clone())
        .collect();
    let reason = format!("{approver_name} removed {username:?}'s access.");
    let mut denied = Vec::new();
    for name in pending {
        match approver::deny(cluster, client, &name, &reason).await {
            Ok(()) => denied.push(name),
            Err(error) => {
                tracing::warn!(request = name, %error, "could not deny a pending request of a removed user")
            }
        }
    }
    denied
}

/// Restores `username`'s access, as the approver holding `client`: deletes the removal
/// and clears the marks on their records, so requests for them are taken and their
/// live certificates renew again. Returns whether access had been removed.
pub async fn restore_access(cluster: &Cluster, client: &Client, username: &str) -> Result<bool> {
    let (approver_name, _) = approver::identity(client).await?;
    let was_removed = removals::restore(client, username).await?;
    let api = Api::<IssuedCertificate>::all(client.clone());
    let theirs = api
        .list(&ListParams::default())
        .await
        .map_err(Error::approver)?
        .items
        .into_iter()
        .filter(|r| r.spec.username == username)
        .filter(|r| {
            r.status
                .as_ref()
                .is_some_and(|s| s.access_removed.is_some())
        });
    for mut record in theirs {
        record.status = Some(IssuedCertificateStatus::default());
        let name = record.metadata.name.clone().unwrap_or_default();
        api.replace_status(&name, &PostParams::default(), &record)
            .await
            .map_err(Error::approver)?;
    }
    cluster.audit.log(Entry {
        action: Action::AccessRestored,
        actor: &approver_name,
        subject: username,
        request: None,
        note: format!("{approver_name} restored {username:?}'s access."),
    });
    Ok(was_removed)
}
