//! The approvers' pages under `/admin`: sign in, the requests list, one request.

pub mod request;
pub mod requests;
pub mod sign_in;

use leptos::prelude::*;

/// Shown on an approver page when this tab holds no token.
#[component]
pub fn SignInFirst() -> impl IntoView {
    view! {
        <div class="card" data-testid="sign-in-first">
            <p>"Sign in with your Kubernetes token to see and decide requests."</p>
            <p><a href="/admin">"Sign in"</a></p>
        </div>
    }
}
