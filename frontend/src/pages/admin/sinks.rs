//! The approvers' line about notifications, under the list: which sinks the operator
//! configured (Slack, Teams, email, webhooks), what each is told, and each one's last
//! delivery and last failure, so an approver sees when a channel stopped hearing.

use leptos::prelude::*;
use shared::admin::SinkStatus;

use crate::api;
use crate::components::request_row::I18n;
use crate::components::time;
use crate::i18n::{t, t_string, use_i18n};
use crate::language::fill;

/// One sink in words: "platform-slack (slack) — submitted, approved; for dev-team"
/// (the sink's name, format and events as the operator configured them).
fn sink_words(i18n: I18n, sink: &SinkStatus) -> String {
    let groups = if sink.groups.is_empty() {
        String::new()
    } else {
        let groups = sink.groups.join(", ");
        format!(
            "; {}",
            fill(t_string!(i18n, sinks.for_groups), &[("groups", &groups)])
        )
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
    let i18n = use_i18n();
    let sinks = LocalResource::new(move || {
        let token = approver.token();
        async move { api::admin::notifications(&token).await }
    });
    view! {
        <section aria-labelledby="sinks-title" data-testid="sinks">
            <h2 id="sinks-title">{t!(i18n, sinks.heading)}</h2>
            <Transition fallback=|| ()>
            {move || sinks.get().map(|answer: Result<Vec<SinkStatus>, shared::ApiError>| match answer {
                Err(error) => view! { <p>{t!(i18n, sinks.unreadable)} " " <crate::components::error_panel::ErrorWords error /></p> }.into_any(),
                Ok(list) if list.is_empty() => view! {
                    <p data-testid="no-sinks">{t!(i18n, sinks.none)}</p>
                }.into_any(),
                Ok(list) => view! {
                    <ul>
                        {list.into_iter().map(|sink| {
                            let words = sink_words(i18n, &sink);
                            let sent = sink.last_sent.map(|at| fill(
                                t_string!(i18n, sinks.last_sent),
                                &[("at", &time::format_utc(at.unix_timestamp() as f64 * 1000.0))],
                            ));
                            let failure = sink.last_failure.map(|f| fill(
                                t_string!(i18n, sinks.last_failure),
                                &[
                                    ("at", &time::format_utc(f.at.unix_timestamp() as f64 * 1000.0)),
                                    ("event", &f.event),
                                    ("error", &f.error),
                                ],
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
