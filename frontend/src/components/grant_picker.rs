//! Choosing the roles to grant on approval: a Role in a namespace, a ClusterRole in a
//! namespace, or a ClusterRole cluster-wide; several allowed, each removable. Nothing is
//! chosen for the approver: "Add this grant" adds nothing until a role is picked, and a
//! grant that reaches far (cluster-wide, `cluster-admin`, wildcards, `escalate`, `bind`,
//! `impersonate`; `shared::grant_risk`) is added only after an explicit confirmation.
//! A role picked but not added is told to the page through `picked`, so approving
//! cannot lose it silently; namespaces are offered from the cluster (those the
//! approver may list), and a name it does not have is refused before any approval.

use leptos::prelude::*;
use shared::ApiError;
use shared::admin::{Grant, RoleKind, RoleView};
use shared::admin_preview::GrantRules;

use super::error_panel::ErrorPanel;
use crate::api;

/// Where and what a grant binds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    RoleInNamespace,
    ClusterRoleInNamespace,
    ClusterRoleClusterWide,
}

impl Mode {
    fn from_value(value: &str) -> Self {
        match value {
            "clusterrole-namespace" => Self::ClusterRoleInNamespace,
            "clusterrole-cluster" => Self::ClusterRoleClusterWide,
            _ => Self::RoleInNamespace,
        }
    }

    fn kind(self) -> RoleKind {
        match self {
            Self::RoleInNamespace => RoleKind::Role,
            Self::ClusterRoleInNamespace | Self::ClusterRoleClusterWide => RoleKind::ClusterRole,
        }
    }

    fn needs_namespace(self) -> bool {
        self != Self::ClusterRoleClusterWide
    }
}

/// How a grant reads to a person: "ClusterRole view in namespace team-a".
pub fn grant_words(grant: &Grant) -> String {
    let kind = match grant.kind {
        RoleKind::Role => "Role",
        RoleKind::ClusterRole => "ClusterRole",
    };
    match grant.namespace.as_deref().filter(|n| !n.is_empty()) {
        Some(ns) => format!("{kind} {} in namespace {ns}", grant.name),
        None => format!("{kind} {} cluster-wide", grant.name),
    }
}

/// The roles most grants need, offered first.
const COMMON: [&str; 3] = ["view", "edit", "admin"];

/// Whether a role is the cluster's or CertDesk's own machinery (`system:*`,
/// `certdesk:*`), which people are rarely meant to hold: shown only on request.
fn is_system(name: &str) -> bool {
    name.starts_with("system:") || name.starts_with("certdesk:")
}

/// The roles to offer: the common ones (in [`COMMON`] order), then the others by name;
/// system roles only when asked for.
pub fn offered(roles: &[RoleView], show_system: bool) -> (Vec<RoleView>, Vec<RoleView>) {
    let common = COMMON
        .iter()
        .filter_map(|name| roles.iter().find(|r| r.name == *name).cloned())
        .collect();
    let mut others: Vec<RoleView> = roles
        .iter()
        .filter(|r| !COMMON.contains(&r.name.as_str()))
        .filter(|r| show_system || !is_system(&r.name))
        .cloned()
        .collect();
    others.sort_by(|a, b| a.name.cmp(&b.name));
    (common, others)
}

/// The picker and the list of chosen grants (kept in `grants` by the caller).
#[component]
pub fn GrantPicker(
    /// The grants chosen so far, with their roles' rules for the preview.
    grants: RwSignal<Vec<GrantRules>>,
    /// The grant picked in the form but not added yet (none when nothing is picked or
    /// it is in `grants` already).
    picked: RwSignal<Option<GrantRules>>,
) -> impl IntoView {
    // The common grants (view, edit, admin) are ClusterRoles bound in a namespace.
    let mode = RwSignal::new(Mode::ClusterRoleInNamespace);
    let show_system = RwSignal::new(false);
    let namespace = RwSignal::new(String::new());
    let roles: RwSignal<Option<Result<Vec<RoleView>, ApiError>>> = RwSignal::new(None);
    let loading = RwSignal::new(false);
    let chosen = RwSignal::new(String::new());
    let hint = RwSignal::new(None::<String>);
    let known: RwSignal<Option<shared::admin::NamespaceList>> = RwSignal::new(None);
    let approver = crate::approver::use_approver();
    {
        let token = approver.token();
        leptos::task::spawn_local(async move {
            // Without the list the picker takes any name; the cluster decides then.
            known.try_set(api::admin::namespaces(&token).await.ok());
        });
    }
    // A namespace the cluster does not have (among those the approver may list).
    let unknown_namespace = move |ns: &str| -> Option<String> {
        known.with_untracked(|k| {
            k.as_ref()
                .filter(|k| k.listable && !k.namespaces.iter().any(|n| n == ns))
                .map(|_| format!("There is no namespace \"{ns}\" in this cluster (that you can see): pick one from the list."))
        })
    };

    let choices = move || -> Vec<RoleView> {
        let kind = mode.get().kind();
        roles.with(|r| match r {
            Some(Ok(list)) => list.iter().filter(|v| v.kind == kind).cloned().collect(),
            _ => Vec::new(),
        })
    };

    let load = move || {
        let m = mode.get_untracked();
        let ns = namespace.get_untracked().trim().to_owned();
        if m.needs_namespace() && ns.is_empty() {
            hint.set(Some("Type the namespace first.".to_owned()));
            return;
        }
        if m.needs_namespace()
            && let Some(why) = unknown_namespace(&ns)
        {
            hint.set(Some(why));
            return;
        }
        hint.set(None);
        loading.set(true);
        let token = approver.token();
        leptos::task::spawn_local(async move {
            let query = if m.needs_namespace() {
                Some(ns.as_str())
            } else {
                None
            };
            let answer = api::admin::roles(&token, query).await;
            // No role is preselected: the approver picks one.
            chosen.set(String::new());
            roles.set(Some(answer));
            loading.set(false);
        });
    };

    // What is picked but not added, for the page's approve button.
    let picked_now = move || -> Option<GrantRules> {
        let m = mode.get();
        let name = chosen.get();
        let role = choices().into_iter().find(|r| r.name == name)?;
        let grant = Grant {
            kind: m.kind(),
            name: role.name,
            namespace: m
                .needs_namespace()
                .then(|| namespace.get().trim().to_owned()),
        };
        (!grants.with(|list| list.iter().any(|g| g.grant == grant))).then_some(GrantRules {
            grant,
            rules: role.rules,
        })
    };
    Effect::new(move |_| picked.set(picked_now()));
    let confirming: RwSignal<Option<(GrantRules, Vec<String>)>> = RwSignal::new(None);
    let push = move |chosen_grant: GrantRules| {
        grants.update(|list| {
            if !list.iter().any(|g| g.grant == chosen_grant.grant) {
                list.push(chosen_grant);
            }
        });
    };
    let add = move || {
        let m = mode.get_untracked();
        let name = chosen.get_untracked();
        let Some(role) = choices().into_iter().find(|r| r.name == name) else {
            hint.set(Some("Choose a role first: nothing was added.".to_owned()));
            return;
        };
        let grant = Grant {
            kind: m.kind(),
            name: role.name.clone(),
            namespace: m
                .needs_namespace()
                .then(|| namespace.get_untracked().trim().to_owned()),
        };
        hint.set(None);
        let dangers = shared::grant_risk::dangers(&grant, &role.rules);
        let chosen_grant = GrantRules {
            grant,
            rules: role.rules,
        };
        if dangers.is_empty() {
            push(chosen_grant);
        } else {
            confirming.set(Some((chosen_grant, dangers)));
        }
    };

    view! {
        <fieldset class="grant-picker" data-testid="grant-picker">
            <legend>"Roles to grant (optional)"</legend>
            <div class="field">
                <label for="grant-kind">"What to grant"</label>
                <select
                    id="grant-kind"
                    data-testid="grant-kind"
                    on:change=move |ev| {
                        mode.set(Mode::from_value(&event_target_value(&ev)));
                        chosen.set(String::new());
                        confirming.set(None);
                    }
                >
                    <option value="clusterrole-namespace" selected>"A ClusterRole in a namespace (view, edit, admin…)"</option>
                    <option value="role-namespace">"A Role in a namespace"</option>
                    <option value="clusterrole-cluster">"A ClusterRole cluster-wide"</option>
                </select>
            </div>
            <Show when=move || mode.get().needs_namespace()>
                <div class="field">
                    <label for="grant-namespace">"Namespace"</label>
                    <input
                        id="grant-namespace"
                        data-testid="grant-namespace"
                        type="text"
                        list="grant-namespaces"
                        autocomplete="off"
                        spellcheck="false"
                        prop:value=move || namespace.get()
                        on:input=move |ev| {
                            namespace.set(event_target_value(&ev));
                            roles.set(None);
                            chosen.set(String::new());
                        }
                    />
                    <datalist id="grant-namespaces">
                        {move || known.with(|k| k.as_ref().map(|k| k.namespaces.iter().map(|n| view! {
                            <option value=n.clone()></option>
                        }).collect_view()))}
                    </datalist>
                </div>
            </Show>
            <button
                type="button"
                data-testid="grant-load"
                prop:disabled=move || loading.get()
                on:click=move |_| load()
            >
                {move || if loading.get() { "Loading roles…" } else { "Load roles" }}
            </button>
            {move || roles.with(|r| match r {
                Some(Err(error)) => Some(view! {
                    <div data-testid="error-panel"><ErrorPanel error=error.clone() /></div>
                }.into_any()),
                Some(Ok(_)) => Some(view! {
                    <div class="field">
                        <label for="grant-role">"Role"</label>
                        <select
                            id="grant-role"
                            data-testid="grant-role"
                            prop:value=move || chosen.get()
                            on:change=move |ev| chosen.set(event_target_value(&ev))
                        >
                            <option value="" disabled selected=move || chosen.get().is_empty()>"Choose a role…"</option>
                            {move || {
                                let (common, others) = offered(&choices(), show_system.get());
                                let option = move |r: RoleView| {
                                    let name = r.name.clone();
                                    view! { <option value=name.clone() selected=move || chosen.get() == name>{r.name}</option> }
                                };
                                view! {
                                    {(!common.is_empty()).then(|| view! {
                                        <optgroup label="Common">{common.into_iter().map(option).collect_view()}</optgroup>
                                    })}
                                    <optgroup label="Other roles">{others.into_iter().map(option).collect_view()}</optgroup>
                                }
                            }}
                        </select>
                        <label class="choice">
                            <input type="checkbox" data-testid="show-system-roles"
                                prop:checked=move || show_system.get()
                                on:change=move |ev| show_system.set(event_target_checked(&ev)) />
                            " Show system roles (system:*, certdesk:*)"
                        </label>
                        <button type="button" data-testid="grant-add" on:click=move |_| add()>
                            "Add this grant"
                        </button>
                    </div>
                }.into_any()),
                None => None,
            })}
            {move || hint.get().map(|h| view! { <p class="hint" role="alert" data-testid="grant-hint">{h}</p> })}
            {move || confirming.get().map(|(pending, dangers)| {
                let words = grant_words(&pending.grant);
                view! {
                    <div class="risk risk-red" role="alert" data-testid="grant-danger">
                        <p><strong>{format!("{words} reaches far:")}</strong></p>
                        <ul>{dangers.into_iter().map(|d| view! { <li>{d}</li> }).collect_view()}</ul>
                        <button type="button" class="danger" data-testid="grant-confirm"
                            on:click=move |_| {
                                if let Some((pending, _)) = confirming.get_untracked() {
                                    push(pending);
                                }
                                confirming.set(None);
                            }>
                            "Add it anyway"
                        </button>
                        " "
                        <button type="button" data-testid="grant-cancel" on:click=move |_| confirming.set(None)>
                            "Cancel"
                        </button>
                    </div>
                }
            })}
            <ul class="grants" aria-label="Chosen grants" data-testid="grant-list">
                {move || grants.get().into_iter().map(|g| {
                    let words = grant_words(&g.grant);
                    let grant = g.grant.clone();
                    view! {
                        <li data-testid="grant">
                            <span>{words.clone()}</span>
                            " "
                            <button
                                type="button"
                                class="link"
                                data-testid="grant-remove"
                                aria-label=format!("Remove {words}")
                                on:click=move |_| grants.update(|list| list.retain(|x| x.grant != grant))
                            >
                                "Remove"
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </fieldset>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(name: &str) -> RoleView {
        RoleView {
            kind: RoleKind::ClusterRole,
            name: name.to_owned(),
            namespace: None,
            rules: Vec::new(),
        }
    }

    #[test]
    fn common_roles_come_first_and_system_roles_only_when_asked() {
        let roles: Vec<RoleView> = [
            "system:node",
            "admin",
            "pod-reader",
            "certdesk:backend",
            "view",
            "cluster-admin",
            "edit",
        ]
        .into_iter()
        .map(role)
        .collect();
        let names = |list: Vec<RoleView>| list.into_iter().map(|r| r.name).collect::<Vec<_>>();
        let (common, others) = offered(&roles, false);
        assert_eq!(names(common), ["view", "edit", "admin"]);
        assert_eq!(names(others), ["cluster-admin", "pod-reader"]);
        let (_, others) = offered(&roles, true);
        assert_eq!(
            names(others),
            [
                "certdesk:backend",
                "cluster-admin",
                "pod-reader",
                "system:node"
            ]
        );
    }
}
