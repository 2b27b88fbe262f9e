//! Notifications against the real control plane and real receivers on loopback: every
//! format tells a submission, an approval and a denial with hostile text as literal
//! text; a sink answering 500 twice gets the event on the third try; a sink that never
//! answers delays no submission; two backends on one cluster send each event once.

use std::path::Path;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use e2e::cluster::ControlPlane;
use e2e::sinks::http::{Delivery, HttpSink};
use e2e::sinks::setup::{self, GROUP, SinkFiles};
use e2e::sinks::smtp::{Mode, SmtpSink};

use crate::helpers::{TestApp, openssl_csr, unique};

/// What a hostile requester types; every format must show it as typed.
const HOSTILE_NOTE: &str = "<!channel> *bold* _it_ <script>alert(1)</script> & [x](http://evil.example) {{DATE(2017-02-14T06:08:39Z, SHORT)}}";

fn cluster() -> ControlPlane {
    ControlPlane::shared().unwrap_or_else(|e| panic!("{e:#}"))
}

fn allow_group(cluster: &ControlPlane) {
    setup::allow_group(cluster).unwrap();
}

struct Files(SinkFiles);

impl Files {
    fn new() -> Self {
        Self(SinkFiles::new().unwrap())
    }

    fn flags(&self, sinks: &[String], retry_seconds: u64) -> Vec<String> {
        self.0.flags(sinks, retry_seconds).unwrap()
    }
}

impl std::ops::Deref for Files {
    type Target = SinkFiles;
    fn deref(&self) -> &SinkFiles {
        &self.0
    }
}

fn http_sink(files: &Files, name: &str, format: &str, url: &str) -> String {
    files.http(name, format, url).unwrap()
}

fn mail_sink(files: &Files, name: &str, server: &SmtpSink, tls: &str) -> String {
    files.mail(name, server, tls).unwrap()
}

async fn app(flags: &[String]) -> TestApp {
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    TestApp::on_cluster(&cluster(), &flags).await
}

async fn submit(app: &TestApp, username: &str, note: &str) -> String {
    let csr = openssl_csr(&format!("/CN={username}/O={GROUP}"), "ec", &[]);
    let body = serde_json::json!({ "csr_pem": csr, "expiration_seconds": 3600, "note": note });
    let response = app.post_json("/api/v1/requests", &body, None).await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    response.json()["id"].as_str().unwrap().to_owned()
}

/// Waits until `found` holds, or fails naming `what`.
async fn eventually<T>(what: &str, within: Duration, mut found: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + within;
    loop {
        if let Some(value) = found() {
            return value;
        }
        assert!(Instant::now() < deadline, "within {within:?}: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The webhook deliveries at `path` of `kind` about `request`.
fn envelopes(sink: &HttpSink, path: &str, kind: &str, request: &str) -> Vec<Delivery> {
    sink.accepted(path)
        .into_iter()
        .filter(|d| {
            d.body["type"] == format!("certdesk.{kind}") && d.body["data"]["request"] == request
        })
        .collect()
}

fn mentions(delivery: &Delivery, text: &str) -> bool {
    delivery.body.to_string().contains(text)
}

#[tokio::test]
#[ignore = "needs cluster"]
async fn every_format_tells_submission_approval_and_denial_with_hostile_text_as_typed() {
    let cluster = cluster();
    allow_group(&cluster);
    let receiver = HttpSink::start().await.unwrap();
    let mail = SmtpSink::start(Mode::Starttls).await.unwrap();
    let files = Files::new();
    let sinks = [
        http_sink(
            &files,
            "slack",
            "slack",
            &format!("{}/slack/a", receiver.url),
        ),
        http_sink(
            &files,
            "teams",
            "teams",
            &format!("{}/teams/a", receiver.url),
        ),
        http_sink(
            &files,
            "hook",
            "webhook",
            &format!("{}/webhook/a", receiver.url),
        ),
        mail_sink(&files, "mail", &mail, "starttls"),
    ];
    let app = app(&files.flags(&sinks, 60)).await;
    // A username made of markup: Slack mention, markdown, HTML.
    let username = format!("<!channel>*{}*<b>", unique("x"));
    let id = submit(&app, &username, HOSTILE_NOTE).await;
    let link = format!("{}/admin/requests/{id}", files.portal);

    // The signed webhook: the event as data, exactly as typed.
    let hook = eventually(
        "the webhook hears of the submission",
        Duration::from_secs(30),
        || envelopes(&receiver, "webhook/a", "submitted", &id).pop(),
    )
    .await;
    assert_eq!(hook.body["version"], "v1");
    assert_eq!(hook.body["data"]["username"], username.as_str());
    assert_eq!(hook.body["data"]["note"], HOSTILE_NOTE);
    assert_eq!(hook.body["data"]["groups"], serde_json::json!([GROUP]));
    assert_eq!(hook.body["data"]["lifetimeSeconds"], 3600);
    assert_eq!(hook.body["data"]["keyAlgorithm"], "ECDSA P-256");
    assert_eq!(hook.body["link"], link.as_str());
    assert!(hook.id.is_some());

    // Slack: plain text, `&`, `<`, `>` escaped, each text within Slack's limit.
    let escaped = username
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let slack = eventually(
        "Slack hears of the submission",
        Duration::from_secs(30),
        || {
            receiver
                .accepted("slack/a")
                .into_iter()
                .find(|d| mentions(d, &escaped))
        },
    )
    .await;
    let texts: Vec<&str> = slack.body["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["text"]["text"].as_str())
        .collect();
    assert!(
        texts.contains(&format!("User: {escaped}").as_str()),
        "{texts:?}"
    );
    assert!(texts.iter().all(|t| !t.contains('<')), "{texts:?}");
    assert_eq!(
        slack.body["blocks"].as_array().unwrap().last().unwrap()["elements"][0]["url"],
        link.as_str()
    );

    // Teams: an Adaptive Card whose facts escape every markdown character.
    let markdown: String = username
        .chars()
        .flat_map(|c| {
            if c.is_ascii_punctuation() {
                vec!['\\', c]
            } else {
                vec![c]
            }
        })
        .collect();
    let teams = eventually(
        "Teams hears of the submission",
        Duration::from_secs(30),
        || {
            receiver
                .accepted("teams/a")
                .into_iter()
                .find(|d| mentions(d, &markdown.replace('\\', "\\\\")))
        },
    )
    .await;
    let facts = &teams.body["attachments"][0]["content"]["body"][1]["facts"];
    assert_eq!(facts[0]["value"], markdown.as_str());

    // Mail: multipart, the HTML part escaped, the link in both parts, over STARTTLS
    // with the password from its file.
    let html_username = username
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let message = eventually(
        "the mail server gets the submission",
        Duration::from_secs(30),
        || {
            mail.mails()
                .into_iter()
                .find(|m| m.parts().iter().any(|(_, text)| text.contains(&link)))
        },
    )
    .await;
    assert_eq!(message.to, ["approvers@example.com"]);
    let parts = message.parts();
    let html = &parts
        .iter()
        .find(|(t, _)| t == "text/html")
        .expect("an HTML part")
        .1;
    let text = &parts
        .iter()
        .find(|(t, _)| t == "text/plain")
        .expect("a text part")
        .1;
    assert!(
        html.contains(&html_username) && !html.contains("<script>") && !html.contains("<!channel>"),
        "{html}"
    );
    assert!(html.contains(&format!("href=\"{link}\"")), "{html}");
    assert!(
        text.contains(HOSTILE_NOTE) && text.contains(&link),
        "{text}"
    );
    assert!(
        message.subject().contains(&username),
        "{}",
        message.subject()
    );

    // Approve (with the approver's own token): each sink hears who approved.
    let approver = cluster.approver_token().unwrap();
    let approved = app
        .post_json(
            &format!("/api/v1/admin/requests/{id}/approve"),
            &serde_json::json!({"grants": []}),
            Some(&approver),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.text());
    let hook = eventually(
        "the webhook hears of the approval",
        Duration::from_secs(30),
        || envelopes(&receiver, "webhook/a", "approved", &id).pop(),
    )
    .await;
    assert_eq!(
        hook.body["data"]["actor"],
        "system:serviceaccount:certdesk:certdesk-approver"
    );
    let teams_shown = markdown.replace('\\', "\\\\");
    for (path, shown) in [("slack/a", &escaped), ("teams/a", &teams_shown)] {
        eventually(
            &format!("{path} hears of the approval"),
            Duration::from_secs(30),
            || {
                receiver
                    .accepted(path)
                    .into_iter()
                    .find(|d| mentions(d, "Request approved") && mentions(d, shown))
            },
        )
        .await;
    }

    // A second request, denied with a hostile reason.
    let other = submit(&app, &format!("{username}-2"), "second").await;
    let denied = app
        .post_json(
            &format!("/api/v1/admin/requests/{other}/deny"),
            &serde_json::json!({"reason": HOSTILE_NOTE}),
            Some(&approver),
        )
        .await;
    assert_eq!(denied.status, StatusCode::NO_CONTENT, "{}", denied.text());
    let hook = eventually(
        "the webhook hears of the denial",
        Duration::from_secs(30),
        || envelopes(&receiver, "webhook/a", "denied", &other).pop(),
    )
    .await;
    assert_eq!(hook.body["data"]["message"], HOSTILE_NOTE);
    eventually(
        "the mail server gets the denial",
        Duration::from_secs(30),
        || {
            mail.mails().into_iter().find(|m| {
                m.subject().contains("Request denied")
                    && m.subject().contains(&format!("{username}-2"))
            })
        },
    )
    .await;

    // Each event once at each sink, and no delivery refused for its shape.
    for (kind, request) in [
        ("submitted", &id),
        ("approved", &id),
        ("submitted", &other),
        ("denied", &other),
    ] {
        assert_eq!(
            envelopes(&receiver, "webhook/a", kind, request).len(),
            1,
            "{kind} {request}"
        );
    }
    assert!(receiver.refused().is_empty(), "{:?}", receiver.refused());

    // The approvers' view: the four sinks, with their last delivery and no failure.
    let sinks = app
        .get_with_token("/api/v1/admin/notifications", &approver)
        .await;
    assert_eq!(sinks.status, StatusCode::OK, "{}", sinks.text());
    let sinks = sinks.json();
    assert_eq!(sinks.as_array().unwrap().len(), 4, "{sinks}");
    assert!(
        !sinks.to_string().contains(&receiver.url),
        "no sink URL is shown: {sinks}"
    );
    assert!(
        sinks
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["last_failure"].is_null() && !s["last_sent"].is_null()),
        "{sinks}"
    );
    let metrics = app.get("/metrics").await.text();
    assert!(
        metrics.contains(
            "certdesk_notifications_total{sink=\"hook\",event=\"submitted\",outcome=\"sent\"}"
        ),
        "{metrics}"
    );
}

#[tokio::test]
#[ignore = "needs cluster"]
async fn a_failing_sink_is_retried_and_a_dead_one_delays_no_submission() {
    let cluster = cluster();
    allow_group(&cluster);
    let receiver = HttpSink::start().await.unwrap();
    let files = Files::new();
    let sinks = [
        http_sink(
            &files,
            "flaky",
            "webhook",
            &format!("{}/flaky/b", receiver.url),
        ),
        http_sink(
            &files,
            "limited",
            "slack",
            &format!("{}/limited/b", receiver.url),
        ),
        http_sink(&files, "dead", "teams", &format!("{}/dead/b", receiver.url)),
        // A webhook whose receiver refuses it for good (a wrong secret): not retried.
        {
            std::fs::write(files.dir().join("wrong"), "whsec_d3Jvbmctc2VjcmV0").unwrap();
            std::fs::write(
                files.dir().join("refused.url"),
                format!("{}/webhook/b", receiver.url),
            )
            .unwrap();
            let url = "refused.url";
            format!(
                "{{name: refused, format: webhook, urlFile: {url}, secretFile: wrong, groups: [{GROUP}]}}"
            )
        },
    ];
    let app = app(&files.flags(&sinks, 30)).await;
    let username = unique("retry");
    let started = Instant::now();
    let id = submit(&app, &username, "retry me").await;
    // The submission is answered without waiting for any sink (the dead one holds its
    // delivery for 10 s an attempt).
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );

    let flaky = eventually(
        "the flaky sink gets the event on its third try",
        Duration::from_secs(30),
        || {
            receiver
                .accepted("flaky/b")
                .into_iter()
                .find(|d| d.body["data"]["request"] == id.as_str())
        },
    )
    .await;
    assert_eq!(flaky.body["type"], "certdesk.submitted");
    assert_eq!(receiver.attempts_of(&flaky), 3, "500, 500, then 200");
    let limited = eventually(
        "the rate-limited sink gets it after Retry-After",
        Duration::from_secs(30),
        || {
            receiver
                .accepted("limited/b")
                .into_iter()
                .find(|d| mentions(d, &username))
        },
    )
    .await;
    assert_eq!(receiver.attempts_of(&limited), 2, "429, then 200");
    let refused = receiver.refused();
    assert!(
        refused.iter().any(|r| r.contains("bad signature")),
        "{refused:?}"
    );

    // The refused sink is recorded as failed, visible to approvers, with no retry.
    let approver = cluster.approver_token().unwrap();
    let mut status = serde_json::Value::Null;
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let sinks = app
            .get_with_token("/api/v1/admin/notifications", &approver)
            .await
            .json();
        status = sinks
            .as_array()
            .and_then(|s| s.iter().find(|s| s["name"] == "refused").cloned())
            .unwrap_or_default();
        if status["last_failure"].is_object() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let error = status["last_failure"]["error"].as_str().unwrap_or_default();
    assert!(error.contains("400"), "{status}");
    let metrics = app.get("/metrics").await.text();
    let count = |sink: &str, outcome: &str| -> u64 {
        let series = format!(
            "certdesk_notifications_total{{sink=\"{sink}\",event=\"submitted\",outcome=\"{outcome}\"}}"
        );
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&series).and_then(|v| v.trim().parse().ok()))
            .unwrap_or(0)
    };
    let (sent, retried) = (count("flaky", "sent"), count("flaky", "retried"));
    assert!(
        sent >= 1 && retried == 2 * sent,
        "two retries a delivery: {metrics}"
    );
    assert!(count("refused", "failed") >= 1, "{metrics}");
    assert_eq!(
        count("refused", "retried"),
        0,
        "a 400 is not retried: {metrics}"
    );
}

#[tokio::test]
#[ignore = "needs cluster"]
async fn two_backends_on_one_cluster_send_each_event_once() {
    let cluster = cluster();
    allow_group(&cluster);
    let receiver = HttpSink::start().await.unwrap();
    let files = Files::new();
    let sinks = [http_sink(
        &files,
        "hook",
        "webhook",
        &format!("{}/webhook/c", receiver.url),
    )];
    let flags = files.flags(&sinks, 60);
    let (first, second) = (app(&flags).await, app(&flags).await);
    let mut ids = Vec::new();
    for i in 0..10 {
        let app = if i % 2 == 0 { &first } else { &second };
        ids.push(submit(app, &unique("twice"), "once").await);
    }
    for id in &ids {
        eventually(&format!("{id} told"), Duration::from_secs(30), || {
            (!envelopes(&receiver, "webhook/c", "submitted", id).is_empty()).then_some(())
        })
        .await;
    }
    // Give a late duplicate time to arrive.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for id in &ids {
        assert_eq!(
            envelopes(&receiver, "webhook/c", "submitted", id).len(),
            1,
            "{id}"
        );
    }
}

#[tokio::test]
async fn check_notify_test_sends_one_test_notification_to_each_sink() {
    let receiver = HttpSink::start().await.unwrap();
    let starttls = SmtpSink::start(Mode::Starttls).await.unwrap();
    let implicit = SmtpSink::start(Mode::Implicit).await.unwrap();
    let files = Files::new();
    let sinks = [
        http_sink(
            &files,
            "hook",
            "webhook",
            &format!("{}/webhook/d", receiver.url),
        ),
        http_sink(
            &files,
            "slack",
            "slack",
            &format!("{}/slack/d", receiver.url),
        ),
        mail_sink(&files, "starttls", &starttls, "starttls"),
        mail_sink(&files, "implicit", &implicit, "implicit"),
        http_sink(&files, "down", "teams", "http://127.0.0.1:9/teams/d"),
    ];
    let flags = files.flags(&sinks, 60);
    let lines = backend::check::notify::check(Path::new(&flags[1])).await;
    let shown: Vec<String> = lines.iter().map(ToString::to_string).collect();
    assert_eq!(lines.len(), 5, "{shown:#?}");
    for (line, ok) in lines.iter().zip([true, true, true, true, false]) {
        assert_eq!(line.ok, ok, "{shown:#?}");
    }
    assert_eq!(receiver.accepted("webhook/d").len(), 1);
    assert_eq!(receiver.accepted("slack/d").len(), 1);
    assert_eq!(starttls.mails().len(), 1);
    assert_eq!(implicit.mails().len(), 1);
    assert!(
        !shown.join("\n").contains("127.0.0.1:9"),
        "no sink URL is printed: {shown:#?}"
    );
}

#[tokio::test]
#[ignore = "needs cluster"]
async fn a_withdrawal_and_a_removal_of_access_are_told() {
    let cluster = cluster();
    allow_group(&cluster);
    let receiver = HttpSink::start().await.unwrap();
    let files = Files::new();
    let sinks = [http_sink(
        &files,
        "hook",
        "webhook",
        &format!("{}/webhook/e", receiver.url),
    )];
    let app = app(&files.flags(&sinks, 60)).await;
    let told = |kind: &str, field: &str, value: &str| {
        receiver.accepted("webhook/e").into_iter().find(|d| {
            d.body["type"] == format!("certdesk.{kind}") && d.body["data"][field] == value
        })
    };

    // Withdrawn with the request's own key: told, with the request's groups.
    let key = shared::keys::generate(
        shared::KeyAlgorithm::EcdsaP256,
        &shared::Subject {
            username: unique("gone"),
            groups: vec![GROUP.to_owned()],
        },
    )
    .unwrap();
    let id = app.submit(&key.csr_pem, 3600).await;
    let proof = shared::withdrawal::sign(&key.private_key, &id).unwrap();
    let withdrawn = app
        .post_json(
            &format!("/api/v1/requests/{id}/withdraw"),
            &serde_json::json!({ "proof": proof }),
            None,
        )
        .await;
    assert_eq!(withdrawn.status, StatusCode::OK, "{}", withdrawn.text());
    let hook = eventually("the withdrawal is told", Duration::from_secs(30), || {
        told("withdrawn", "request", &id)
    })
    .await;
    assert_eq!(hook.body["data"]["groups"], serde_json::json!([GROUP]));

    // Issued, then access removed by the approver: told, naming who removed it.
    let username = unique("removed");
    let id = submit(&app, &username, "soon gone").await;
    let approver = cluster.approver_token().unwrap();
    let approved = app
        .post_json(
            &format!("/api/v1/admin/requests/{id}/approve"),
            &serde_json::json!({"grants": []}),
            Some(&approver),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.text());
    let deadline = Instant::now() + Duration::from_secs(60);
    while app.get(&format!("/api/v1/requests/{id}")).await.json()["phase"] != "Issued" {
        assert!(Instant::now() < deadline, "{id} was not issued");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The record (which names the person's groups) is in the cache once the page says
    // Issued; the removal is told with those groups, so the sink's filter lets it by.
    let removed = app
        .post_json(
            &format!("/api/v1/admin/people/{username}/remove-access"),
            &serde_json::json!({}),
            Some(&approver),
        )
        .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.text());
    let hook = eventually("the removal is told", Duration::from_secs(30), || {
        told("access_removed", "username", &username)
    })
    .await;
    assert_eq!(
        hook.body["data"]["actor"],
        "system:serviceaccount:certdesk:certdesk-approver"
    );
    assert_eq!(hook.body["data"]["groups"], serde_json::json!([GROUP]));
    assert_eq!(hook.body["link"], format!("{}/admin/people", files.portal));
}

#[tokio::test]
#[ignore = "needs cluster"]
async fn a_dead_replicas_event_is_taken_over_and_told_once() {
    use backend::notify::event::{Event, EventKind};
    use backend::notify::outbox::{Notification, NotificationSpec};
    let cluster = cluster();
    let receiver = HttpSink::start().await.unwrap();
    let files = Files::new();
    let sinks = [http_sink(
        &files,
        "hook",
        "webhook",
        &format!("{}/webhook/t", receiver.url),
    )];
    let _app = app(&files.flags(&sinks, 60)).await;
    // An event claimed by a replica that never renewed a Lease (it died at once).
    let request = unique("ghost");
    let mut event = Event::new(EventKind::Submitted, &request);
    event.request = Some(request.clone());
    event.groups = vec![GROUP.to_owned()];
    let name = format!("submitted-{request}");
    let object = Notification::new(
        &name,
        NotificationSpec {
            scope: files.portal.clone(),
            event,
            holder: "ghost-replica".to_owned(),
            deliveries: Default::default(),
            done: false,
        },
    );
    let api = kube::Api::<Notification>::all(cluster.admin_client().await.unwrap());
    api.create(&Default::default(), &object).await.unwrap();
    // Taken over once its claim is older than a Lease (30 s), then told once.
    eventually(
        "the dead replica's event is told",
        Duration::from_secs(60),
        || envelopes(&receiver, "webhook/t", "submitted", &request).pop(),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        envelopes(&receiver, "webhook/t", "submitted", &request).len(),
        1
    );
    let taken = api.get(&name).await.unwrap();
    assert!(taken.spec.done, "{:?}", taken.spec);
    assert_ne!(taken.spec.holder, "ghost-replica");
    assert_eq!(taken.spec.deliveries["hook"].outcome, "sent");
}
