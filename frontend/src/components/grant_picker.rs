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
use super::request_row::I18n;
use crate::api;
use crate::i18n::{t, t_string, use_i18n};
use crate::language::fill;

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
pub fn grant_words(i18n: I18n, grant: &Grant) -> String {
    let kind = match grant.kind {
        RoleKind::Role => "Role",
        RoleKind::ClusterRole => "ClusterRole",
    };
    let mut values = vec![("kind", kind), ("name", grant.name.as_str())];
    match grant.namespace.as_deref().filter(|n| !n.is_empty()) {
        Some(ns) => {
            values.push(("namespace", ns));
            fill(t_string!(i18n, grant.in_namespace), &values)
        }
        None => fill(t_string!(i18n, grant.cluster_wide), &values),
    }
}

/// Why a grant needs a confirmation, in the page's words.
pub fn danger_words(i18n: I18n, danger: &shared::grant_risk::Danger) -> String {
    use shared::grant_risk::Danger;
    match danger {
        Danger::ClusterWide => t_string!(i18n, grant.danger_cluster_wide).to_owned(),
        Danger::ClusterAdmin => t_string!(i18n, grant.danger_cluster_admin).to_owned(),
        Danger::Wildcards => t_string!(i18n, grant.danger_wildcards).to_owned(),
        Danger::Powers(powers) => fill(
            t_string!(i18n, grant.danger_powers),
            &[("powers", &powers.join(", "))],
        ),
    }
}

/// What the picker asks the approver to fix.
#[derive(Debug, Clone, PartialEq)]
enum Hint {
    TypeNamespace,
    UnknownNamespace(String),
    ChooseFirst,
}

fn hint_words(i18n: I18n, hint: &Hint) -> String {
    match hint {
        Hint::TypeNamespace => t_string!(i18n, grant.type_namespace).to_owned(),
        Hint::UnknownNamespace(ns) => fill(
            t_string!(i18n, grant.unknown_namespace),
            &[("namespace", ns)],
        ),
        Hint::ChooseFirst => t_string!(i18n, grant.choose_first).to_owned(),
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
    let hint = RwSignal::new(None::<Hint>);
    let i18n = use_i18n();
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
    let unknown_namespace = move |ns: &str| -> Option<Hint> {
        known.with_untracked(|k| {
            k.as_ref()
                .filter(|k| k.listable && !k.namespaces.iter().any(|n| n == ns))
                .map(|_| Hint::UnknownNamespace(ns.to_owned()))
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
            hint.set(Some(Hint::TypeNamespace));
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
    let confirming: RwSignal<Option<(GrantRules, Vec<shared::grant_risk::Danger>)>> =
        RwSignal::new(None);
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
            hint.set(Some(Hint::ChooseFirst));
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
            <legend>{t!(i18n, grant.legend)}</legend>
            <div class="field">
                <label for="grant-kind">{t!(i18n, grant.what)}</label>
                <select
                    id="grant-kind"
                    data-testid="grant-kind"
                    on:change=move |ev| {
                        mode.set(Mode::from_value(&event_target_value(&ev)));
                        chosen.set(String::new());
                        confirming.set(None);
                    }
                >
                    <option value="clusterrole-namespace" selected>{t!(i18n, grant.cluster_role_in_namespace)}</option>
                    <option value="role-namespace">{t!(i18n, grant.role_in_namespace)}</option>
                    <option value="clusterrole-cluster">{t!(i18n, grant.cluster_role_cluster_wide)}</option>
                </select>
            </div>
            <Show when=move || mode.get().needs_namespace()>
                <div class="field">
                    <label for="grant-namespace">{t!(i18n, grant.namespace)}</label>
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
                {move || if loading.get() { t_string!(i18n, grant.loading) } else { t_string!(i18n, grant.load) }}
            </button>
            {move || roles.with(|r| match r {
                Some(Err(error)) => Some(view! {
                    <div data-testid="error-panel"><ErrorPanel error=error.clone() /></div>
                }.into_any()),
                Some(Ok(_)) => Some(view! {
                    <div class="field">
                        <label for="grant-role">{t!(i18n, grant.role)}</label>
                        <select
                            id="grant-role"
                            data-testid="grant-role"
                            prop:value=move || chosen.get()
                            on:change=move |ev| chosen.set(event_target_value(&ev))
                        >
                            <option value="" disabled selected=move || chosen.get().is_empty()>{t!(i18n, grant.choose)}</option>
                            {move || {
                                let (common, others) = offered(&choices(), show_system.get());
                                let option = move |r: RoleView| {
                                    let name = r.name.clone();
                                    view! { <option value=name.clone() selected=move || chosen.get() == name>{r.name}</option> }
                                };
                                view! {
                                    {(!common.is_empty()).then(|| view! {
                                        <optgroup label=move || t_string!(i18n, grant.common)>{common.into_iter().map(option).collect_view()}</optgroup>
                                    })}
                                    <optgroup label=move || t_string!(i18n, grant.others)>{others.into_iter().map(option).collect_view()}</optgroup>
                                }
                            }}
                        </select>
                        <label class="choice">
                            <input type="checkbox" data-testid="show-system-roles"
                                prop:checked=move || show_system.get()
                                on:change=move |ev| show_system.set(event_target_checked(&ev)) />
                            " " {t!(i18n, grant.show_system)}
                        </label>
                        <button type="button" data-testid="grant-add" on:click=move |_| add()>
                            {t!(i18n, grant.add)}
                        </button>
                    </div>
                }.into_any()),
                None => None,
            })}
            {move || hint.get().map(|h| view! { <p class="hint" role="alert" data-testid="grant-hint">{move || hint_words(i18n, &h)}</p> })}
            {move || confirming.get().map(|(pending, dangers)| {
                let grant = pending.grant.clone();
                let far = move || fill(t_string!(i18n, grant.reaches_far), &[("grant", &grant_words(i18n, &grant))]);
                view! {
                    <div class="risk risk-red" role="alert" data-testid="grant-danger">
                        <p><strong>{far}</strong></p>
                        <ul>{dangers.into_iter().map(|d| view! { <li>{move || danger_words(i18n, &d)}</li> }).collect_view()}</ul>
                        <button type="button" class="danger" data-testid="grant-confirm"
                            on:click=move |_| {
                                if let Some((pending, _)) = confirming.get_untracked() {
                                    push(pending);
                                }
                                confirming.set(None);
                            }>
                            {t!(i18n, grant.add_anyway)}
                        </button>
                        " "
                        <button type="button" data-testid="grant-cancel" on:click=move |_| confirming.set(None)>
                            {t!(i18n, grant.cancel)}
                        </button>
                    </div>
                }
            })}
            <ul class="grants" aria-label=move || t_string!(i18n, grant.chosen) data-testid="grant-list">
                {move || grants.get().into_iter().map(|g| {
                    let shown = g.grant.clone();
                    let words = move || grant_words(i18n, &shown);
                    let grant = g.grant.clone();
                    view! {
                        <li data-testid="grant">
                            <span>{words.clone()}</span>
                            " "
                            <button
                                type="button"
                                class="link"
                                data-testid="grant-remove"
                                aria-label=move || fill(t_string!(i18n, grant.remove_label), &[("grant", &words())])
                                on:click=move |_| grants.update(|list| list.retain(|x| x.grant != grant))
                            >
                                {t!(i18n, grant.remove)}
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
