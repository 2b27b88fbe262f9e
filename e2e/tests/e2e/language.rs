//! The portal in Korean and English (issue 28): a browser whose languages are Korean
//! (`--lang=ko-KR`, `Accept-Language: ko-KR`) gets the start page, the request form and
//! a request's status page in Korean with `<html lang="ko">`, and no phrase of the
//! English catalogue on them; the switch in the header changes to English on the spot,
//! the choice survives a reload and holds in the approvers' app, and axe-core finds no
//! serious violation in either language and colour scheme. A request sent from the
//! Korean page is approved and its issued page is Korean too, as are the start page's
//! pointer to it and the list of this browser's requests; `scripts/screenshots.sh`
//! keeps the Korean pictures of the form and the issued page for the README.

use anyhow::{Context, Result, ensure};
use e2e::browser::Browser;
use e2e::find;
use e2e::stack::Stack;
use serde_json::Value;

use crate::flow;

#[tokio::test]
#[ignore = "needs the control plane, the release bundle and chromium; run by scripts/test.sh"]
async fn a_korean_browser_gets_korean_and_the_switch_to_english_is_remembered() -> Result<()> {
    let stack = Stack::start("language")?;
    let role = stack
        .cluster
        .create_pod_reader("default", &e2e::unique("ko-reader"))?;
    stack.run(languages(&stack, &role.name)).await
}

async fn languages(stack: &Stack, role: &str) -> Result<()> {
    let flags = [
        "--lang=ko-KR".to_owned(),
        "--accept-lang=ko-KR,ko".to_owned(),
    ];
    let browser = stack.browser_with("korean", &flags).await?;
    browser.client.goto(&stack.url("/")).await?;
    find::by_testid(&browser, "request-form").await?;
    ensure!(lang(&browser).await? == "ko", "<html lang> is not ko");
    let shown = page_text(&browser).await?;
    ensure!(
        shown.contains("새 접근 요청"),
        "the form is not in Korean: {shown}"
    );
    let english = english_phrases()?;
    no_english(&shown, &english, "the start page")?;
    e2e::axe::check_both_schemes(&browser, "the start page in Korean").await?;
    let pictures = pictures(stack)?;
    browser.client.set_window_size(1280, 1500).await?;
    browser
        .screenshot(&pictures.join("01-request-form-ko.png"))
        .await?;

    // A rule the username breaks is said in Korean.
    let input = find::by_testid(&browser, "username-input").await?;
    e2e::action::type_into(&input, "system:kube-proxy").await?;
    let said = find::text_when(&browser, "username-error", find::PATIENCE, |t| {
        !t.is_empty()
    })
    .await?;
    ensure!(
        said.contains("Kubernetes 전용"),
        "the broken rule is not said in Korean: {said}"
    );
    no_english(
        &page_text(&browser).await?,
        &english,
        "the form with a broken rule",
    )?;

    // A request made in Korean: its status page speaks Korean too.
    let user = e2e::unique("minjun");
    e2e::action::type_into(&input, &user).await?;
    // The seed's group (O=dev-team), ticked as a person would.
    let group = browser
        .client
        .find(fantoccini::Locator::Css(
            "[data-testid=group-option][value=dev-team]",
        ))
        .await
        .context("the form offers no dev-team group")?;
    if !group.is_selected().await? {
        group.click().await?;
    }
    // The renewal choice shows only where renewals are approved by CertDesk itself.
    if let Ok(manual) = browser
        .client
        .find(fantoccini::Locator::Css("[data-testid=renewal-manual]"))
        .await
    {
        manual.click().await?;
    }
    e2e::action::click(&browser, "submit-request").await?;
    find::by_css(&browser, "[data-testid=phase][data-phase=Pending]").await?;
    let shown = page_text(&browser).await?;
    ensure!(
        shown.contains("대기 중"),
        "the status page is not in Korean: {shown}"
    );
    no_english(&shown, &english, "the status page")?;
    e2e::axe::check_both_schemes(&browser, "the status page in Korean").await?;

    // An approver whose browser is Korean too: sign-in, list, request, grant, approve.
    let url = browser.client.current_url().await?;
    let id = url
        .path()
        .strip_prefix("/requests/")
        .context("not on a status page")?
        .to_owned();
    approve_in_korean(stack, &flags, &id, &user, role, &english).await?;
    find::by_css(&browser, "[data-testid=phase][data-phase=Issued]").await?;
    find::by_testid(&browser, "kubeconfig-download").await?;
    let shown = page_text(&browser).await?;
    ensure!(
        shown.contains("발급됨") && shown.contains("kubeconfig 다운로드"),
        "the issued page is not in Korean: {shown}"
    );
    no_english(&shown, &english, "the issued page")?;
    e2e::axe::check_both_schemes(&browser, "the issued page in Korean").await?;
    browser
        .screenshot(&pictures.join("07-status-issued-ko.png"))
        .await?;
    // And the kubeconfig it downloads is the one the seed's commands would have made.
    let kubeconfig = flow::download_when_issued(&browser).await?;
    let whoami = kubeconfig.kubectl(&[
        "auth",
        "whoami",
        "-o",
        "jsonpath={.status.userInfo.username} {.status.userInfo.groups}",
    ])?;
    ensure!(
        whoami.success
            && whoami.stdout.starts_with(&format!("{user} "))
            && whoami.stdout.contains("dev-team"),
        "kubectl auth whoami with the Korean page's kubeconfig: {whoami:?}"
    );
    browser.client.goto(&stack.url("/")).await?;
    find::by_testid(&browser, "request-form").await?;

    // The start page now points to the requests this browser holds; their list (the
    // status app's `/requests`) speaks Korean too, the phase included.
    find::by_testid(&browser, "resume-hint").await?;
    no_english(
        &page_text(&browser).await?,
        &english,
        "the start page pointing to this browser's requests",
    )?;
    e2e::action::click(&browser, "resume-open").await?;
    find::text_when(&browser, "resume-phase", find::PATIENCE, |t| t == "발급됨")
        .await
        .context("the list of this browser's requests does not say the phase in Korean")?;
    no_english(
        &page_text(&browser).await?,
        &english,
        "the list of this browser's requests",
    )?;
    e2e::axe::check_both_schemes(&browser, "the list of requests in Korean").await?;
    browser.client.goto(&stack.url("/")).await?;
    find::by_testid(&browser, "request-form").await?;

    // To English with the switch: every string at once, and <html lang> follows.
    choose(&browser, "en").await?;
    find::text_when(&browser, "request-form", find::PATIENCE, |t| {
        t.contains("Request new access")
    })
    .await
    .context("the switch did not change the form to English")?;
    ensure!(lang(&browser).await? == "en", "<html lang> is not en");
    e2e::axe::check_both_schemes(&browser, "the start page in English").await?;
    // Remembered in this browser: a reload (and the approvers' app) stays English.
    browser.client.refresh().await?;
    find::text_when(&browser, "request-form", find::PATIENCE, |t| {
        t.contains("Request new access")
    })
    .await
    .context("the choice of English did not survive a reload")?;
    browser.client.goto(&stack.url("/admin")).await?;
    find::by_testid(&browser, "language-select").await?;
    ensure!(
        lang(&browser).await? == "en",
        "the approvers' app is not in English"
    );
    // And the file tools (their own app): English too, then Korean from their switch.
    browser.client.goto(&stack.url("/inspect")).await?;
    find::by_testid(&browser, "inspect-drop").await?;
    ensure!(
        lang(&browser).await? == "en",
        "the Inspect page is not in English"
    );
    choose(&browser, "ko").await?;
    find::by_testid(&browser, "inspect-drop").await?;
    let shown = page_text(&browser).await?;
    ensure!(
        shown.contains("파일 검사"),
        "the Inspect page did not change to Korean: {shown}"
    );
    no_english(&shown, &english, "the Inspect page")?;
    e2e::axe::check_both_schemes(&browser, "the Inspect page in Korean").await?;
    // Remembered from there for the requester's app.
    browser.client.goto(&stack.url("/")).await?;
    find::text_when(&browser, "request-form", find::PATIENCE, |t| {
        t.contains("새 접근 요청")
    })
    .await
    .context("the switch back to Korean was not remembered")?;
    Ok(())
}

/// The approver's side of the seed scenario in a Korean browser: each page scanned for
/// the English catalogue, the request page checked by axe-core.
async fn approve_in_korean(
    stack: &Stack,
    flags: &[String],
    id: &str,
    user: &str,
    role: &str,
    english: &[String],
) -> Result<()> {
    use e2e::action::approver;
    let browser = stack.browser_with("korean-approver", flags).await?;
    let base = &stack.portal.url;
    approver::sign_in(&browser, base, &stack.cluster.approver_token()?).await?;
    no_english(
        &page_text(&browser).await?,
        english,
        "the approvers' sign-in page",
    )?;

    approver::find_in_list(&browser, base, id).await?;
    find::text_when(&browser, "updated", find::PATIENCE, |t| !t.is_empty()).await?;
    let shown = page_text(&browser).await?;
    ensure!(
        shown.contains("요청한 사용자") && shown.contains(user),
        "the request list is not in Korean: {shown}"
    );
    no_english(&shown, english, "the request list")?;
    e2e::axe::check_both_schemes(&browser, "the request list in Korean").await?;

    approver::open_request(&browser, base, id).await?;
    find::by_css(&browser, "[data-testid=identity-check][data-allowed=true]").await?;
    flow::check_subject(&browser, user, &["dev-team"]).await?;
    approver::grant_role(&browser, "default", role).await?;
    find::by_testid(&browser, "can-i-scope").await?;
    let shown = page_text(&browser).await?;
    ensure!(
        shown.contains("결정") && shown.contains("위험 플래그"),
        "the request page is not in Korean: {shown}"
    );
    no_english(&shown, english, "the request page")?;
    e2e::axe::check_both_schemes(&browser, "the request page in Korean").await?;

    e2e::action::click(&browser, "approve-button").await?;
    find::by_css(&browser, "[data-testid=outcome][data-complete=true]").await?;
    let shown = page_text(&browser).await?;
    ensure!(
        shown.contains("승인했어요"),
        "the approval's outcome is not in Korean: {shown}"
    );
    no_english(&shown, english, "the approval's outcome")
}

/// Fails when a phrase of the English catalogue stands as words in `shown`, or when
/// English words the catalogue does not hold (a server's message, words made in code)
/// stand three or more in a row outside a command, a name or kubectl's own table.
fn no_english(shown: &str, english: &[String], page: &str) -> Result<()> {
    let runs = english_runs(shown);
    ensure!(
        runs.is_empty(),
        "English words on {page} in Korean: {runs:?}"
    );
    let leaked: Vec<&String> = english
        .iter()
        .filter(|phrase| {
            shown.match_indices(phrase.as_str()).any(|(at, _)| {
                let before = shown[..at].chars().next_back();
                let after = shown[at + phrase.len()..].chars().next();
                !before.is_some_and(char::is_alphanumeric)
                    && !after.is_some_and(char::is_alphanumeric)
            })
        })
        .collect();
    ensure!(leaked.is_empty(), "English on {page} in Korean: {leaked:?}");
    Ok(())
}

/// Lines that are English by nature: commands to copy, the browser's user agent,
/// `kubectl auth can-i --list`'s own column headings.
fn technical(line: &str) -> bool {
    let line = line.trim();
    ["kubectl ", "chmod ", "mkdir ", "[ ", "Mozilla/"]
        .iter()
        .any(|start| line.starts_with(start))
        || line.contains("Non-Resource URLs")
}

/// English's small words: a run of names (`ClusterRole view edit`) holds none, a
/// sentence nearly always does.
const FUNCTION_WORDS: [&str; 24] = [
    "the", "a", "an", "in", "of", "to", "is", "are", "for", "and", "or", "not", "by", "with", "on",
    "this", "that", "you", "your", "be", "was", "has", "no", "it",
];

/// Runs of three or more words of ASCII letters only, one of them a small English word,
/// line by line.
fn english_runs(shown: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in shown.lines().filter(|l| !technical(l)) {
        let mut run: Vec<&str> = Vec::new();
        for token in line.split_whitespace().chain([""]) {
            let word = token.trim_matches(|c: char| ",.:;()!?\"'“”".contains(c));
            if word.len() >= 2 && word.chars().all(|c| c.is_ascii_alphabetic()) {
                run.push(word);
            } else {
                let sentence = run
                    .iter()
                    .any(|w| FUNCTION_WORDS.contains(&w.to_ascii_lowercase().as_str()));
                if run.len() >= 3 && sentence {
                    found.push(run.join(" "));
                }
                run.clear();
            }
        }
    }
    found
}

/// Where the Korean pictures go: the README's screenshots when `scripts/screenshots.sh`
/// runs this test (`CERTDESK_SCREENSHOTS`), else this test's artefacts.
fn pictures(stack: &Stack) -> Result<std::path::PathBuf> {
    let dir = std::env::var_os("CERTDESK_SCREENSHOTS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| stack.artifacts());
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

async fn lang(browser: &Browser) -> Result<String> {
    let value = browser
        .client
        .execute("return document.documentElement.lang;", vec![])
        .await?;
    Ok(value.as_str().unwrap_or_default().to_owned())
}

/// The visible text of the header and the page.
async fn page_text(browser: &Browser) -> Result<String> {
    let value = browser
        .client
        .execute(
            "return document.querySelector('header.site').innerText + '\\n' + document.querySelector('main').innerText;",
            vec![],
        )
        .await?;
    Ok(value.as_str().unwrap_or_default().to_owned())
}

async fn choose(browser: &Browser, tag: &str) -> Result<()> {
    let select = find::by_testid(browser, "language-select").await?;
    select
        .select_by_value(tag)
        .await
        .with_context(|| format!("no {tag} in the language switch"))?;
    Ok(())
}

/// Kubernetes' own names, which Korean developers use as they are (as "kubeconfig" and
/// "CSR"): an English label that is only such a name is not a leak.
const KUBERNETES_NAMES: [&str; 5] = [
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "kubeconfig",
];

/// Every phrase of the English catalogue: each text cut at its placeholders
/// (`{{ name }}`, `%{name}`, `<tag>`), the pieces with a word in them.
fn english_phrases() -> Result<Vec<String>> {
    let path = e2e::repo_root().join("frontend/locales/en.json");
    let catalogue: Value = serde_json::from_str(&std::fs::read_to_string(&path)?)
        .with_context(|| format!("{} is not JSON", path.display()))?;
    let mut texts = Vec::new();
    collect(&catalogue, &mut texts);
    let mut phrases = Vec::new();
    for text in texts {
        let mut rest = text.as_str();
        let mut piece = String::new();
        while let Some(c) = rest.chars().next() {
            let skip = if rest.starts_with("{{") {
                rest.find("}}").map(|end| end + 2)
            } else if rest.starts_with("%{") {
                rest.find('}').map(|end| end + 1)
            } else if c == '<' {
                rest.find('>').map(|end| end + 1)
            } else {
                None
            };
            match skip {
                Some(n) => {
                    phrases.push(std::mem::take(&mut piece));
                    rest = &rest[n..];
                }
                None => {
                    piece.push(c);
                    rest = &rest[c.len_utf8()..];
                }
            }
        }
        phrases.push(piece);
    }
    let mut phrases: Vec<String> = phrases
        .into_iter()
        .map(|p| p.trim().trim_start_matches('·').trim().to_owned())
        .filter(|p| p.chars().filter(char::is_ascii_alphabetic).count() >= 4)
        .filter(|p| !KUBERNETES_NAMES.contains(&p.as_str()))
        .collect();
    phrases.sort();
    phrases.dedup();
    Ok(phrases)
}

#[test]
fn english_runs_are_found_outside_commands() {
    assert_eq!(
        english_runs("네임스페이스 default의 Role a\nthe role r-1 in the namespace default"),
        ["in the namespace default"]
    );
    assert!(english_runs("kubectl auth can-i --list --namespace default").is_empty());
    assert!(english_runs("ECDSA P-256 키 · 7일").is_empty());
    assert!(english_runs("네임스페이스 안의 ClusterRole (view, edit, admin…)").is_empty());
}

fn collect(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => map.values().for_each(|v| collect(v, out)),
        Value::String(text) => out.push(text.clone()),
        _ => {}
    }
}
