//! The permissions the chosen grants give, as `kubectl auth can-i --list` prints them.

use leptos::prelude::*;
use shared::admin_preview::{Scope, ScopePreview, go_list};

/// One table a scope, or a note when no grant is chosen.
#[component]
pub fn CanIPreview(#[prop(into)] scopes: Signal<Vec<ScopePreview>>) -> impl IntoView {
    view! {
        <div class="can-i" data-testid="can-i-preview" aria-live="polite">
            {move || {
                let scopes = scopes.get();
                if scopes.is_empty() {
                    return view! {
                        <p class="muted" data-testid="can-i-empty">
                            "No role chosen: the certificate lets the user sign in and do only what every signed-in user may do (such as discovery)."
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
                            Scope::Elsewhere => "In every other namespace, and for cluster-scoped resources".to_owned(),
                        };
                        let empty = scope.rows.is_empty();
                        view! {
                            <figure class="can-i-scope" data-testid="can-i-scope">
                                <figcaption><code>{title}</code></figcaption>
                                {if empty {
                                    view! { <p class="muted">"These roles allow nothing here."</p> }.into_any()
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
