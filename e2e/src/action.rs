//! What a person does on CertDesk's pages, one function a step: the requester on `/`
//! and `/requests/:id`, the approver on `/admin…`. Each waits for the page to answer
//! before it returns.

use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use fantoccini::Locator;
use fantoccini::elements::Element;

use crate::browser::Browser;
use crate::find::{self, PATIENCE};

/// Types `text` into the element (after clearing it), firing input events as a person's
/// keystrokes do.
pub async fn type_into(element: &Element, text: &str) -> Result<()> {
    element.clear().await?;
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

    /// Signs in on `/admin` with a bearer token and waits until the page says who the
    /// cluster says they are; returns that line.
    pub async fn sign_in(browser: &Browser, base: &str, token: &str) -> Result<String> {
        browser.client.goto(&format!("{base}/admin")).await?;
        let input = find::by_testid(browser, "token-input").await?;
        type_into(&input, token).await?;
        click(browser, "sign-in").await?;
        find::text_when(browser, "signed-in-as", PATIENCE, |t| !t.is_empty())
            .await
            .context("the sign-in page never said who is signed in")
    }

    /// Opens `/admin/requests` and waits until the request `name` is listed (refreshing
    /// the list while the backend's watch has not seen it yet); returns the row.
    pub async fn find_in_list(browser: &Browser, base: &str, name: &str) -> Result<Element> {
        browser
            .client
            .goto(&format!("{base}/admin/requests"))
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
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
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
        click(browser, "grant-add").await?;
        find::text_when(browser, "grant", PATIENCE, |t| {
            t.contains(role) && t.contains(namespace)
        })
        .await?;
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

    /// Denies the open request with a reason and waits for the page to confirm.
    pub async fn deny(browser: &Browser, reason: &str) -> Result<()> {
        let input = find::by_testid(browser, "deny-reason").await?;
        type_into(&input, reason).await?;
        click(browser, "deny-button").await?;
        find::by_testid(browser, "denied").await?;
        Ok(())
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
