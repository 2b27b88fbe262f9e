//! The approvers' line about notifications, under the list: which sinks the operator
//! configured (Slack, Teams, email, webhooks), what each is told, and each one's last
//! delivery and last failure, so an approver sees when a channel stopped hearing.

use leptos::prelude::*;
use shared::admin::SinkStatus;

use crate::api;
use crate::components::time;

/// One sink in words: "platform-slack (slack) — submitted, approved; for dev-team".
fn sink_words(sink: &SinkStatus) -> String {
    let groups = if sink.groups.is_empty() {
        String::new()
    } else {
        format!("; for {}", sink.groups.join(", "))
    };
    format!(
        "{} ({}) — {}{groups}",
        sink.name,
        sink.format,
        sink.events.join(", ")
    )
}

/// The sinks section (nothing until the answer comes; an error is shown as one line).
#[component]
pub fn Sinks() -> impl IntoView {
    let approver = crate::approver::use_approver();
    let sinks = LocalResource::new(move || {
        let token = approver.token();
        async move { api::admin::notifications(&token).await }
    });
    view! {
        <section aria-labelledby="sinks-title" data-testid="sinks">
            <h2 id="sinks-title">"Notifications"</h2>
            <Transition fallback=|| ()>
            {move || sinks.get().map(|answer: Result<Vec<SinkStatus>, shared::ApiError>| match answer {
                Err(error) => view! { <p>{format!("Cannot read the notification sinks: {}", error.message)}</p> }.into_any(),
                Ok(list) if list.is_empty() => view! {
                    <p data-testid="no-sinks">"No notification sinks are configured: approvers hear of requests only here."</p>
                }.into_any(),
                Ok(list) => view! {
                    <ul>
                        {list.into_iter().map(|sink| {
                            let words = sink_words(&sink);
                            let sent = sink.last_sent.map(|at| format!(
                                "last sent {}",
                                time::format_utc(at.unix_timestamp() as f64 * 1000.0)
                            ));
                            let failure = sink.last_failure.map(|f| format!(
                                "last failure {} ({}): {}",
                                time::format_utc(f.at.unix_timestamp() as f64 * 1000.0),
                                f.event,
                                f.error
                            ));
                            view! {
                                <li data-testid="sink">
                                    {words}
                                    {sent.map(|s| view! { <span>" · "{s}</span> })}
                                    {failure.map(|f| view! { <strong class="sink-failure" data-testid="sink-failure">" · "{f}</strong> })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            })}
            </Transition>
        </section>
    }
}
