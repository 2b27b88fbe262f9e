//! The landing page: which cluster this portal gives access to.

use leptos::prelude::*;

use crate::api;
use crate::components::error_panel::ErrorPanel;

/// Shows the cluster's name and API server, fetched from the backend.
#[component]
pub fn Home() -> impl IntoView {
    let config = LocalResource::new(api::config);
    view! {
        <h1>"Request access to a Kubernetes cluster"</h1>
        <Suspense fallback=|| view! { <p class="muted">"Loading the cluster's details…"</p> }>
            {move || Suspend::new(async move {
                match config.await {
                    Ok(config) => view! {
                        <div class="card">
                            <p>"Cluster: " <strong data-testid="cluster-name">{config.cluster_name}</strong></p>
                            <p class="muted">"API server: " <code>{config.server_url}</code></p>
                        </div>
                    }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
