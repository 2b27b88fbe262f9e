//! The permissions the chosen grants give, as `kubectl auth can-i --list` prints them.

use leptos::prelude::*;
use shared::admin_preview::{Scope, ScopePreview, go_list};

use crate::i18n::{t, t_string, use_i18n};

/// One table a scope, or a note when no grant is chosen.
#[component]
pub fn CanIPreview(#[prop(into)] scopes: Signal<Vec<ScopePreview>>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="can-i" data-testid="can-i-preview" aria-live="polite">
            {move || {
                let scopes = scopes.get();
                if scopes.is_empty() {
                    return view! {
                        <p class="muted" data-testid="can-i-empty">
                            {t!(i18n, can_i.empty)}
                        </p>
                    }
                    .into_any();
                }
                scopes
                    .into_iter()
                    .map(|scope| {
                        let title = match &scope.scope {
                            Scope::Namespace(ns) => format!(
                                "kubectl auth can-i --list --namespace {}",
                                super::command_line::shell_word(ns)
                            ),
                            Scope::Elsewhere => t_string!(i18n, can_i.elsewhere).to_owned(),
                        };
                        let empty = scope.rows.is_empty();
                        view! {
                            <figure class="can-i-scope" data-testid="can-i-scope">
                                <figcaption><code>{title}</code></figcaption>
                                {if empty {
                                    view! { <p class="muted">{t!(i18n, can_i.nothing)}</p> }.into_any()
                                } else {
                                    view! {
                                        <div class="table-scroll">
                                            <table>
                                                <thead>
                                                    <tr>
                                                        <th scope="col">"Resources"</th>
                                                        <th scope="col">"Non-Resource URLs"</th>
                                                        <th scope="col">"Resource Names"</th>
                                                        <th scope="col">"Verbs"</th>
                                                    </tr>
                                                </thead>
                                                <tbody>
                                                    {scope.rows.into_iter().map(|row| view! {
                                                        <tr data-testid="can-i-row">
                                                            <td>{row.resources}</td>
                                                            <td>{go_list(&row.non_resource_urls)}</td>
                                                            <td>{go_list(&row.resource_names)}</td>
                                                            <td>{go_list(&row.verbs)}</td>
                                                        </tr>
                                                    }).collect_view()}
                                                </tbody>
                                            </table>
                                        </div>
                                    }.into_any()
                                }}
                            </figure>
                        }
                    })
                    .collect_view()
                    .into_any()
            }}
        </div>
    }
}
