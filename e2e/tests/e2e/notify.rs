//! Notifications end to end, with the release binary and receivers on loopback:
//!
//! - through the browser, a request, its approval and a second one's denial reach a
//!   Slack, a Teams, a webhook and a mail sink, one message each with the right facts;
//! - three replicas behind haproxy send each of fifty submissions exactly once to every
//!   sink, also when one replica is killed while it holds events a busy sink asked to
//!   send later (the survivors take them over when its claims run out).

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use e2e::action::approver;
use e2e::action::requester::{self, Algorithm, Form};
use e2e::balancer::Balancer;
use e2e::find;
use e2e::portal::{Portal, PortalOptions};
use e2e::sinks::http::HttpSink;
use e2e::sinks::setup::{GROUP, SinkFiles, allow_group};
use e2e::sinks::smtp::{Mode, SmtpSink};
use e2e::stack::Stack;

/// Waits until `done` says so, or fails naming `what`.
async fn eventually(what: &str, within: Duration, mut done: impl FnMut() -> bool) -> Result<()> {
    let deadline = Instant::now() + within;
    while !done() {
        if Instant::now() > deadline {
            bail!("not within {within:?}: {what}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(())
}

/// How many times each sink was told that `username`'s request `id` was `kind`.
struct Tally<'a> {
    http: &'a HttpSink,
    mail: &'a SmtpSink,
    tag: &'a str,
}

fn markdown(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if c.is_ascii_punctuation() {
                vec!['\\', c]
            } else {
                vec![c]
            }
        })
        .collect()
}

impl Tally<'_> {
    fn counts(&self, kind: &str, title: &str, id: &str, username: &str) -> [usize; 5] {
        let (http, tag) = (self.http, self.tag);
        let hook = |path: &str| {
            http.accepted(&format!("{path}/{tag}"))
                .iter()
                .filter(|d| {
                    d.body["type"] == format!("certdesk.{kind}") && d.body["data"]["request"] == id
                })
                .count()
        };
        let slack = http
            .accepted(&format!("slack/{tag}"))
            .iter()
            .filter(|d| {
                d.body["blocks"][0]["text"]["text"] == title
                    && d.body["blocks"].as_array().is_some_and(|b| {
                        b.iter()
                            .any(|b| b["text"]["text"] == format!("User: {username}"))
                    })
            })
            .count();
        let teams = http
            .accepted(&format!("teams/{tag}"))
            .iter()
            .filter(|d| {
                let card = &d.body["attachments"][0]["content"];
                card["body"][0]["text"] == title
                    && card["body"][1]["facts"][0]["value"] == markdown(username)
            })
            .count();
        let mails = self
            .mail
            .mails()
            .iter()
            .filter(|m| m.subject() == format!("[CertDesk] {title}: {username}"))
            .count();
        [hook("webhook"), slack, teams, mails, hook("later")]
    }
}

#[tokio::test]
#[ignore = "needs the control plane, the release bundle and chromium; run by scripts/test.sh"]
async fn a_request_approved_and_one_denied_in_the_browser_reach_every_sink_once() -> Result<()> {
    let stack = Stack::start("notify-browser")?;
    stack.run(browser_flow(&stack)).await
}

async fn browser_flow(stack: &Stack) -> Result<()> {
    allow_group(&stack.cluster)?;
    let receiver = HttpSink::start().await?;
    let mail = SmtpSink::start(Mode::Implicit).await?;
    let files = SinkFiles::new()?;
    let sinks = [
        files.http("hook", "webhook", &format!("{}/webhook/w", receiver.url))?,
        files.http("slack", "slack", &format!("{}/slack/w", receiver.url))?,
        files.http("teams", "teams", &format!("{}/teams/w", receiver.url))?,
        files.mail("mail", &mail, "implicit")?,
        files.http("later", "webhook", &format!("{}/later/w", receiver.url))?,
        // A webhook whose receiver refuses its signature: its failure is shown.
        {
            std::fs::write(files.dir().join("wrong"), "whsec_d3Jvbmctc2VjcmV0")?;
            std::fs::write(
                files.dir().join("refused.url"),
                format!("{}/webhook/wrong", receiver.url),
            )?;
            format!(
                "{{name: refused, format: webhook, urlFile: refused.url, secretFile: wrong, groups: [{GROUP}]}}"
            )
        },
    ];
    let portal = Portal::serve(&PortalOptions {
        kubeconfig: Some(stack.cluster.backend_kubeconfig()),
        cluster_name: Some(stack.cluster_name.clone()),
        public_server_url: None,
        log: Some(stack.artifacts().join("notify-browser.log")),
        extra_args: files.flags(&sinks, 60)?,
        listen: None,
    })?;
    let base = portal.url.as_str();
    let tally = Tally {
        http: &receiver,
        mail: &mail,
        tag: "w",
    };

    let username = e2e::unique("told");
    let form = Form {
        username: &username,
        groups: &[GROUP],
        algorithm: Algorithm::EcdsaP256,
        lifetime_hours: 1,
    };
    let browser = stack.browser("requester").await?;
    let id = requester::request_access(&browser, base, &form).await?;
    eventually(
        "every sink hears of the submission",
        Duration::from_secs(40),
        || tally.counts("submitted", "New access request", &id, &username) == [1; 5],
    )
    .await?;
    let hook = receiver.accepted("webhook/w");
    let told = hook
        .iter()
        .find(|d| d.body["data"]["request"] == id.as_str())
        .context("the webhook's delivery")?;
    ensure!(
        told.body["data"]["groups"] == serde_json::json!([GROUP]),
        "{}",
        told.body
    );
    ensure!(
        told.body["data"]["lifetimeSeconds"] == 3600,
        "{}",
        told.body
    );
    ensure!(
        told.body["link"] == format!("{}/admin/requests/{id}", files.portal),
        "{}",
        told.body
    );

    let admin = stack.browser("approver").await?;
    approver::sign_in(&admin, base, &stack.cluster.approver_token()?).await?;
    approver::open_request(&admin, base, &id).await?;
    approver::approve(&admin).await?;
    eventually(
        "every sink hears of the approval",
        Duration::from_secs(40),
        || tally.counts("approved", "Request approved", &id, &username) == [1; 5],
    )
    .await?;
    requester::wait_for_phase(&browser, "Issued", Duration::from_secs(60)).await?;

    let other = e2e::unique("refused");
    let form = Form {
        username: &other,
        ..form
    };
    let second = stack.browser("requester-2").await?;
    let other_id = requester::request_access(&second, base, &form).await?;
    approver::open_request(&admin, base, &other_id).await?;
    approver::deny(&admin, "not this quarter").await?;
    eventually(
        "every sink hears of the denial",
        Duration::from_secs(40),
        || tally.counts("denied", "Request denied", &other_id, &other) == [1; 5],
    )
    .await?;
    let denial = receiver
        .accepted("webhook/w")
        .into_iter()
        .find(|d| {
            d.body["type"] == "certdesk.denied" && d.body["data"]["request"] == other_id.as_str()
        })
        .context("the denial's delivery")?;
    ensure!(
        denial.body["data"]["message"] == "not this quarter",
        "{}",
        denial.body
    );
    let refused = receiver.refused();
    ensure!(
        refused.iter().all(|r| r.starts_with("webhook/wrong")),
        "{refused:?}"
    );

    // The approvers' list names the six sinks: the five with their last delivery, the
    // refused one with its failure.
    admin.client.goto(&format!("{base}/admin/requests")).await?;
    find::text_when(&admin, "sink-failure", Duration::from_secs(30), |t| {
        t.contains("400")
    })
    .await?;
    let sinks = find::texts_now(&admin, "sink").await?;
    ensure!(sinks.len() == 6, "{sinks:?}");
    for name in [
        "hook (webhook)",
        "slack (slack)",
        "teams (teams)",
        "mail (email)",
        "later (webhook)",
    ] {
        ensure!(
            sinks
                .iter()
                .any(|s| s.starts_with(name) && s.contains("last sent") && !s.contains("failure")),
            "{name}: {sinks:?}"
        );
    }
    ensure!(
        !sinks.join(" ").contains(&receiver.url),
        "no sink URL is shown: {sinks:?}"
    );
    Ok(())
}

#[tokio::test]
#[ignore = "needs the control plane, the release binary and haproxy; run by scripts/test.sh"]
async fn three_replicas_tell_each_of_fifty_submissions_once_also_when_one_is_killed() -> Result<()>
{
    let stack = Stack::start("notify-replicas")?;
    stack.run(replicas(&stack)).await
}

fn csr(username: &str) -> Result<String> {
    e2e::tools::openssl_csr(&format!("/CN={username}/O={GROUP}"))
}

/// Submits through the balancer with curl; returns the request id.
fn submit(base: &str, csr: &str) -> Result<String> {
    let body = serde_json::json!({"csr_pem": csr, "expiration_seconds": 3600, "note": "fifty"});
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("body.json");
    std::fs::write(&file, body.to_string())?;
    let answer = e2e::tools::ok(
        "curl",
        &[
            "--silent",
            "--show-error",
            "--fail-with-body",
            "-H",
            "content-type: application/json",
            "--data-binary",
            &format!("@{}", file.display()),
            &format!("{base}/api/v1/requests"),
        ],
        None,
    )?;
    let json: serde_json::Value =
        serde_json::from_str(&answer).context("the submission's answer")?;
    json["id"]
        .as_str()
        .map(str::to_owned)
        .context("an id in the answer")
}

async fn replicas(stack: &Stack) -> Result<()> {
    let receiver = HttpSink::start().await?;
    let mail = SmtpSink::start(Mode::Starttls).await?;
    let files = SinkFiles::new()?;
    let sinks = [
        files.http("hook", "webhook", &format!("{}/webhook/r", receiver.url))?,
        files.http("slack", "slack", &format!("{}/slack/r", receiver.url))?,
        files.http("teams", "teams", &format!("{}/teams/r", receiver.url))?,
        files.mail("mail", &mail, "starttls")?,
        // Answers each event's first delivery "503, retry in 10 s".
        files.http("later", "webhook", &format!("{}/later/r", receiver.url))?,
    ];
    let mut args = files.flags(&sinks, 120)?;
    // Every submission comes from haproxy's one address.
    args.extend(["--submit-per-minute", "6000", "--submit-burst", "100"].map(String::from));
    let logs: Vec<_> = (0..3)
        .map(|i| stack.artifacts().join(format!("notify-replica-{i}.log")))
        .collect();
    let mut replicas = Vec::new();
    for log in &logs {
        replicas.push(Some(Portal::serve(&PortalOptions {
            kubeconfig: Some(stack.cluster.backend_kubeconfig()),
            cluster_name: Some(stack.cluster_name.clone()),
            public_server_url: None,
            log: Some(log.clone()),
            extra_args: args.clone(),
            listen: None,
        })?));
    }
    let urls: Vec<String> = replicas.iter().flatten().map(|p| p.url.clone()).collect();
    let balancer = Balancer::start(&urls.iter().map(String::as_str).collect::<Vec<_>>())?;
    let tag = e2e::unique("fifty");
    let usernames: Vec<String> = (0..50).map(|i| format!("{tag}-{i}")).collect();
    let csrs = usernames
        .iter()
        .map(|u| csr(u))
        .collect::<Result<Vec<_>>>()?;
    let tally = Tally {
        http: &receiver,
        mail: &mail,
        tag: "r",
    };

    let mut ids = Vec::new();
    for csr in &csrs[..25] {
        ids.push(submit(&balancer.url, csr)?);
    }
    // Once the four prompt sinks have the first 25, the busy one still holds them all
    // (each waits out its 10 s): kill a replica holding its share of them.
    eventually(
        "the prompt sinks have the first 25",
        Duration::from_secs(60),
        || {
            ids.iter().zip(&usernames).all(|(id, u)| {
                let counts = tally.counts("submitted", "New access request", id, u);
                counts[..4] == [1; 4]
            })
        },
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    drop(replicas[0].take());
    for csr in &csrs[25..] {
        ids.push(submit(&balancer.url, csr)?);
    }
    eventually("every sink has all fifty", Duration::from_secs(120), || {
        ids.iter()
            .zip(&usernames)
            .all(|(id, u)| tally.counts("submitted", "New access request", id, u) == [1; 5])
    })
    .await?;
    // A late duplicate would arrive within this.
    tokio::time::sleep(Duration::from_secs(5)).await;
    for (id, username) in ids.iter().zip(&usernames) {
        let counts = tally.counts("submitted", "New access request", id, username);
        ensure!(
            counts == [1; 5],
            "{username}: {counts:?} (webhook, slack, teams, mail, later)"
        );
    }
    let survivors = logs[1..]
        .iter()
        .map(std::fs::read_to_string)
        .collect::<std::io::Result<Vec<_>>>()?;
    ensure!(
        survivors
            .iter()
            .any(|log| log.contains("taking over a notification")),
        "a survivor took over the killed replica's events"
    );
    ensure!(receiver.refused().is_empty(), "{:?}", receiver.refused());
    drop(balancer);
    Ok(())
}
