//! What a person does on CertDesk's pages, one function a step: the requester on `/`
//! and `/requests/:id`, the approver on `/admin…`. Each waits for the page to answer
//! before it returns.

use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use fantoccini::Locator;
use fantoccini::elements::Element;

use crate::browser::Browser;
use crate::find::{self, PATIENCE};

/// Replaces the element's text with `text` the way a person does (select all, delete,
/// type), so the page sees an input event for every keystroke.
pub async fn type_into(element: &Element, text: &str) -> Result<()> {
    // Ctrl+A, release the modifier (NULL key), Backspace.
    element.send_keys("\u{E009}a\u{E000}\u{E003}").await?;
    element.send_keys(text).await?;
    Ok(())
}

/// Clicks the element with this `data-testid` once it is there.
pub async fn click(browser: &Browser, id: &str) -> Result<()> {
    find::by_testid(browser, id).await?.click().await?;
    Ok(())
}

/// The approver's pages.
pub mod approver {
    use super::*;

    /// A value for the list's query string, percent-encoded.
    fn query_value(value: &str) -> String {
        percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC).to_string()
    }

    /// Signs in on `/admin` with a bearer token and waits until the page says who the
    /// cluster says they are; returns that line.
    pub async fn sign_in(browser: &Browser, base: &str, token: &str) -> Result<String> {
        browser.client.goto(&format!("{base}/admin")).await?;
        let input = find::by_testid(browser, "token-input").await?;
        type_into(&input, token).await?;
        click(browser, "sign-in").await?;
        find::text_when(browser, "cluster-sees", PATIENCE, |t| !t.is_empty())
            .await
            .context("the sign-in page never said who is signed in")
    }

    /// Opens `/admin/requests?q=<name>` (the list searched for it, as an approver would)
    /// and waits until the request is listed (refreshing while the backend's watch has
    /// not seen it yet); returns the row.
    pub async fn find_in_list(browser: &Browser, base: &str, name: &str) -> Result<Element> {
        browser
            .client
            .goto(&format!("{base}/admin/requests?q={}", query_value(name)))
            .await?;
        let row = format!("[data-testid=\"request-row\"][data-name=\"{name}\"]");
        let deadline = std::time::Instant::now() + PATIENCE;
        loop {
            if let Ok(row) = browser.client.find(Locator::Css(&row)).await {
                return Ok(row);
            }
            if std::time::Instant::now() > deadline {
                bail!("/admin/requests never listed {name}");
            }
            // The list loads once; ask it again, as a person would press Refresh.
            if let Ok(refresh) = browser
                .client
                .find(Locator::Css(&find::testid("refresh")))
                .await
            {
                let _ = refresh.click().await;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Opens `/admin/requests?q=<search>`, waits until the list has loaded, and returns
    /// the text of every row it shows.
    pub async fn listed_subjects(
        browser: &Browser,
        base: &str,
        search: &str,
    ) -> Result<Vec<String>> {
        browser
            .client
            .goto(&format!("{base}/admin/requests?q={}", query_value(search)))
            .await?;
        find::text_when(browser, "updated", PATIENCE, |t| t.starts_with("Updated")).await?;
        find::texts_now(browser, "request-row").await
    }

    /// From the list, opens the request `name` and waits for its decoded details.
    pub async fn open_request(browser: &Browser, base: &str, name: &str) -> Result<()> {
        let row = find_in_list(browser, base, name).await?;
        row.find(Locator::Css(&find::testid("request-link")))
            .await?
            .click()
            .await?;
        find::by_testid(browser, "request-details").await?;
        find::text_when(browser, "detail-name", PATIENCE, |t| t.trim() == name).await?;
        Ok(())
    }

    /// Adds the grant of Role `role` in `namespace` on the open request's page.
    pub async fn grant_role(browser: &Browser, namespace: &str, role: &str) -> Result<()> {
        pick_role(browser, namespace, role).await?;
        click(browser, "grant-add").await?;
        find::text_when(browser, "grant", PATIENCE, |t| {
            t.contains(role) && t.contains(namespace)
        })
        .await?;
        Ok(())
    }

    /// Picks Role `role` in `namespace` in the grant picker, without adding it.
    pub async fn pick_role(browser: &Browser, namespace: &str, role: &str) -> Result<()> {
        find::by_testid(browser, "grant-kind")
            .await?
            .select_by_value("role-namespace")
            .await?;
        let input = find::by_testid(browser, "grant-namespace").await?;
        type_into(&input, namespace).await?;
        click(browser, "grant-load").await?;
        let select = find::by_testid(browser, "grant-role").await?;
        select
            .select_by_value(role)
            .await
            .with_context(|| format!("the role list has no {role}"))?;
        Ok(())
    }

    /// Presses Approve and waits for the outcome panel; returns its text.
    pub async fn approve(browser: &Browser) -> Result<String> {
        click(browser, "approve-button").await?;
        find::text_when(browser, "outcome", PATIENCE, |t| t.contains("Approved by")).await
    }

    /// Presses Approve expecting a refusal, and returns the error panel's text.
    pub async fn approve_refused(browser: &Browser) -> Result<String> {
        click(browser, "approve-button").await?;
        let css = "[data-testid=\"error-panel\"][data-action=\"true\"]";
        Ok(find::by_css(browser, css).await?.text().await?)
    }

    /// Expects Approve to be off because the identity check said no: both Approve
    /// buttons disabled and the reason beside them; returns the reason.
    pub async fn approve_disabled(browser: &Browser) -> Result<String> {
        let reason = find::by_testid(browser, "approve-refused-reason")
            .await?
            .text()
            .await?;
        for id in ["approve-button", "approve-next"] {
            let button = find::by_testid(browser, id).await?;
            anyhow::ensure!(!button.is_enabled().await?, "{id} is enabled");
        }
        Ok(reason)
    }

    /// Denies the open request with a reason and waits for the page to confirm.
    pub async fn deny(browser: &Browser, reason: &str) -> Result<()> {
        deny_with(browser, reason, "deny-button").await?;
        find::by_testid(browser, "denied").await?;
        Ok(())
    }

    /// Types the reason and presses `button` (`deny-button` or `deny-next`).
    pub async fn deny_with(browser: &Browser, reason: &str, button: &str) -> Result<()> {
        let input = find::by_testid(browser, "deny-reason").await?;
        type_into(&input, reason).await?;
        click(browser, button).await
    }

    /// Opens `/admin/requests/<name>` directly (any phase) and waits for its details.
    pub async fn open_request_by_url(browser: &Browser, base: &str, name: &str) -> Result<()> {
        browser
            .client
            .goto(&format!("{base}/admin/requests/{name}"))
            .await?;
        find::text_when(browser, "detail-name", PATIENCE, |t| t.trim() == name).await?;
        Ok(())
    }

    /// On `/admin/invites`, invites `username` with the Role `role` in `namespace` (if
    /// any) and returns the link the page shows.
    pub async fn create_invite(
        browser: &Browser,
        base: &str,
        username: &str,
        grant: Option<(&str, &str)>,
    ) -> Result<String> {
        browser
            .client
            .goto(&format!("{base}/admin/invites"))
            .await?;
        type_into(
            &find::by_testid(browser, "invite-username").await?,
            username,
        )
        .await?;
        if let Some((namespace, role)) = grant {
            grant_role(browser, namespace, role).await?;
        }
        click(browser, "invite-create").await?;
        let link = find::text_when(browser, "invite-link", PATIENCE, |t| t.contains("#invite="))
            .await
            .context("the invites page never showed the new link")?;
        Ok(link.trim().to_owned())
    }

    /// On `/admin/invites`, revokes the invite `name` and waits for the list to say so.
    pub async fn revoke_invite(browser: &Browser, base: &str, name: &str) -> Result<()> {
        browser
            .client
            .goto(&format!("{base}/admin/invites"))
            .await?;
        let row = format!("[data-testid=\"invite-row\"][data-invite=\"{name}\"]");
        find::by_css(browser, &row)
            .await?
            .find(Locator::Css(&find::testid("invite-revoke")))
            .await?
            .click()
            .await?;
        find::by_css(browser, &format!("{row}[data-state=\"revoked\"]")).await?;
        Ok(())
    }

    /// On `/admin/people`, removes `username`'s access (confirming when asked) and
    /// returns the outcome panel's text.
    pub async fn remove_access(browser: &Browser, base: &str, username: &str) -> Result<String> {
        browser.client.goto(&format!("{base}/admin/people")).await?;
        let person = format!("[data-testid=\"person\"][data-username=\"{username}\"]");
        find::by_css(browser, &person)
            .await
            .with_context(|| format!("the People view does not list {username}"))?
            .find(Locator::Css(&find::testid("remove-access")))
            .await?
            .click()
            .await?;
        find::by_css(
            browser,
            &format!("{person} {}", find::testid("confirm-remove-access")),
        )
        .await?
        .click()
        .await?;
        find::text_when(browser, "removal-outcome", PATIENCE, |t| {
            t.contains(username)
        })
        .await
    }

    /// Opens `/admin/requests` and returns the error panel's text (for an approver the
    /// cluster refuses).
    pub async fn list_refused(browser: &Browser, base: &str) -> Result<String> {
        browser
            .client
            .goto(&format!("{base}/admin/requests"))
            .await?;
        let text = find::text_when(browser, "error-panel", PATIENCE, |t| !t.is_empty()).await?;
        ensure!(!text.is_empty(), "an empty error panel");
        Ok(text)
    }
}

/// The requester's pages.
pub mod requester {
    use super::*;

    /// A key algorithm as the request form offers it.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Algorithm {
        /// The default, ECDSA P-256.
        EcdsaP256,
        /// Ed25519.
        Ed25519,
        /// RSA 2048 (under "Advanced").
        Rsa2048,
    }

    impl Algorithm {
        /// The option's value in the form (the API's wire name).
        pub fn value(self) -> &'static str {
            match self {
                Self::EcdsaP256 => "ecdsa-p256",
                Self::Ed25519 => "ed25519",
                Self::Rsa2048 => "rsa2048",
            }
        }
    }

    /// What a requester fills in.
    #[derive(Debug, Clone)]
    pub struct Form<'a> {
        /// The username (CN).
        pub username: &'a str,
        /// The groups (O), ticked among those the form offers.
        pub groups: &'a [&'a str],
        /// The key algorithm.
        pub algorithm: Algorithm,
        /// The lifetime, in hours.
        pub lifetime_hours: u32,
    }

    impl Form<'_> {
        /// The lifetime in seconds.
        pub fn lifetime_seconds(&self) -> i64 {
            i64::from(self.lifetime_hours) * 3600
        }
    }

    /// Opens `/` and fills in the request form (without submitting it).
    pub async fn fill_form(browser: &Browser, base: &str, form: &Form<'_>) -> Result<()> {
        browser.client.goto(&format!("{base}/")).await?;
        find::by_testid(browser, "request-form").await?;
        type_into(
            &find::by_testid(browser, "username-input").await?,
            form.username,
        )
        .await?;
        // The form offers exactly the policy's groups, as boxes to tick: exactly the
        // wanted ones end up ticked (a draft this tab kept may have ticked others).
        let options = browser
            .client
            .find_all(fantoccini::Locator::Css(&find::testid("group-option")))
            .await?;
        let mut offered = Vec::new();
        for option in options {
            let value = option.attr("value").await?.unwrap_or_default();
            let wanted = form.groups.contains(&value.as_str());
            if option.is_selected().await? != wanted {
                option.click().await?;
            }
            offered.push(value);
        }
        for group in form.groups {
            ensure!(
                offered.iter().any(|o| o == group),
                "the form offers no group {group:?} (it offers {offered:?})"
            );
        }
        match form.algorithm {
            Algorithm::Rsa2048 => {
                // RSA sits in the closed "Advanced" section: open it as a person would.
                find::by_css(browser, "[data-testid=\"advanced\"] summary")
                    .await?
                    .click()
                    .await?;
                find::by_testid(browser, "rsa-select")
                    .await?
                    .select_by_value(form.algorithm.value())
                    .await?;
            }
            other => {
                find::by_testid(browser, "algorithm-select")
                    .await?
                    .select_by_value(other.value())
                    .await?;
            }
        }
        // Where CertDesk renews certificates by itself the form starts on "Keep it
        // renewed"; a chosen lifetime is the other choice.
        if let Ok(manual) = browser
            .client
            .find(fantoccini::Locator::Css(&find::testid("renewal-manual")))
            .await
        {
            manual.click().await?;
        }
        type_into(
            &find::by_testid(browser, "lifetime-input").await?,
            &form.lifetime_hours.to_string(),
        )
        .await?;
        find::by_testid(browser, "lifetime-unit")
            .await?
            .select_by_value("3600")
            .await?;
        Ok(())
    }

    /// Presses the submit button and waits for the status page; returns the request id
    /// it shows.
    pub async fn submit(browser: &Browser) -> Result<String> {
        click(browser, "submit-request").await?;
        // Key generation (RSA in a worker) and the submission come first.
        let id = find::text_when(browser, "request-id", Duration::from_secs(180), |t| {
            t.starts_with("certdesk-")
        })
        .await
        .context("the status page never showed the request id")?;
        let url = browser.client.current_url().await?;
        ensure!(
            url.path() == format!("/requests/{id}"),
            "the status page is at {url}, not /requests/{id}"
        );
        Ok(id)
    }

    /// Fills in and submits the form; returns the request id.
    pub async fn request_access(browser: &Browser, base: &str, form: &Form<'_>) -> Result<String> {
        fill_form(browser, base, form).await?;
        submit(browser).await
    }

    /// Waits until the status page shows `phase` (`Pending`, `Issued`, `Denied`, …).
    /// Records every notification the page shows from now on (until it reloads) in
    /// `window.__certdeskNotifications`, still showing it through the real API.
    pub async fn spy_on_notifications(browser: &Browser) -> Result<()> {
        browser
            .client
            .execute(
                r#"
                const Real = window.Notification;
                window.__certdeskNotifications = [];
                const Spy = function (title, options) {
                  window.__certdeskNotifications.push(title);
                  return new Real(title, options);
                };
                Object.defineProperty(Spy, 'permission', { get: () => Real.permission });
                Spy.requestPermission = (...args) => Real.requestPermission(...args);
                Spy.prototype = Real.prototype;
                window.Notification = Spy;
                return true;
                "#,
                vec![],
            )
            .await?;
        Ok(())
    }

    /// The titles of the notifications the page showed since [`spy_on_notifications`].
    pub async fn notifications(browser: &Browser) -> Result<Vec<String>> {
        let titles = browser
            .client
            .execute("return window.__certdeskNotifications || null;", vec![])
            .await?;
        serde_json::from_value(titles).context("the notification spy is not installed")
    }

    /// Lets the page's origin show notifications, as a person answering "Allow" would.
    pub async fn allow_notifications(browser: &Browser, origin: &str) -> Result<()> {
        browser
            .cdp(
                "Browser.grantPermissions",
                serde_json::json!({ "origin": origin, "permissions": ["notifications"] }),
            )
            .await?;
        Ok(())
    }

    pub async fn wait_for_phase(browser: &Browser, phase: &str, at_most: Duration) -> Result<()> {
        let css = format!("[data-testid=\"phase\"][data-phase=\"{phase}\"]");
        let deadline = std::time::Instant::now() + at_most;
        loop {
            if browser.client.find(Locator::Css(&css)).await.is_ok() {
                return Ok(());
            }
            if std::time::Instant::now() > deadline {
                let shown = find::texts_now(browser, "phase").await.unwrap_or_default();
                bail!("the status page never showed {phase}; it shows {shown:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Opens an invite link and waits for the request form, locked to the invite:
    /// returns the username it shows, or the refusal the page shows instead (`Err`).
    pub async fn open_invite(
        browser: &Browser,
        link: &str,
    ) -> Result<std::result::Result<String, String>> {
        // As a link opened in a fresh tab: no page of an earlier link is still showing.
        browser.client.goto("about:blank").await?;
        browser.client.goto(link).await?;
        let deadline = std::time::Instant::now() + PATIENCE;
        loop {
            if let Ok(error) = browser
                .client
                .find(Locator::Css(&find::testid("invite-error")))
                .await
            {
                return Ok(Err(error.text().await?));
            }
            if browser
                .client
                .find(Locator::Css(&find::testid("invite-card")))
                .await
                .is_ok()
            {
                let input = find::by_testid(browser, "username-input").await?;
                ensure!(
                    input.attr("readonly").await?.is_some(),
                    "the invited username can be edited"
                );
                return Ok(Ok(input.prop("value").await?.unwrap_or_default()));
            }
            if std::time::Instant::now() > deadline {
                bail!("{link} showed neither the invite nor a refusal");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// On `/inspect`, loads the kubeconfig file, presses Renew, and waits for the new
    /// request's status page; returns its id.
    pub async fn renew_from_file(
        browser: &Browser,
        base: &str,
        file: &std::path::Path,
    ) -> Result<String> {
        browser.client.goto(&format!("{base}/inspect")).await?;
        let input = find::by_testid(browser, "inspect-file").await?;
        input
            .send_keys(file.to_str().context("the file's path is not UTF-8")?)
            .await?;
        find::text_when(browser, "inspect-key-match", PATIENCE, |t| {
            t.starts_with("Yes")
        })
        .await?;
        click(browser, "renew-button").await?;
        find::text_when(browser, "request-id", Duration::from_secs(180), |t| {
            t.starts_with("certdesk-")
        })
        .await
        .context("the renewal never reached its status page")
    }

    /// Presses "Download kubeconfig" and returns the file once it is complete.
    pub async fn download_kubeconfig(browser: &Browser) -> Result<std::path::PathBuf> {
        let before = crate::downloads::snapshot(browser.downloads())?;
        click(browser, "kubeconfig-download").await?;
        crate::downloads::wait_for(
            browser.downloads(),
            &before,
            |name| name.ends_with(".kubeconfig"),
            PATIENCE,
        )
        .await
    }

    /// Puts a marker on the page's `window`; [`marker_survived`] tells whether the page
    /// has been reloaded or left since.
    pub async fn mark_page(browser: &Browser) -> Result<()> {
        browser
            .client
            .execute(
                "window.__certdeskE2eMarker = 'still here'; return null;",
                vec![],
            )
            .await?;
        Ok(())
    }

    /// Whether the marker of [`mark_page`] is still on the page (no reload, no navigation
    /// away).
    pub async fn marker_survived(browser: &Browser) -> Result<bool> {
        let value = browser
            .client
            .execute("return window.__certdeskE2eMarker || null;", vec![])
            .await?;
        Ok(value == serde_json::json!("still here"))
    }
}
