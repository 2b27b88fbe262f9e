//! Finding things on a page, by the `data-testid` the pages put on what a person looks
//! at. Every lookup waits on a condition with a deadline; none sleeps blindly.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use fantoccini::Locator;
use fantoccini::elements::Element;

use crate::browser::Browser;

/// How long a page may take to show something that follows from a click or a cluster
/// event (the signer, a watch) on a busy two-core machine.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// The CSS selector of an element by its `data-testid`.
pub fn testid(id: &str) -> String {
    format!("[data-testid=\"{id}\"]")
}

/// Waits (up to [`PATIENCE`]) for the element with this `data-testid`.
pub async fn by_testid(browser: &Browser, id: &str) -> Result<Element> {
    by_css(browser, &testid(id)).await
}

/// Waits (up to [`PATIENCE`]) for an element matching the CSS selector.
pub async fn by_css(browser: &Browser, css: &str) -> Result<Element> {
    match browser
        .client
        .wait()
        .at_most(PATIENCE)
        .every(Duration::from_millis(100))
        .for_element(Locator::Css(css))
        .await
    {
        Ok(element) => Ok(element),
        Err(error) => {
            let url = current_url(browser).await;
            Err(error).with_context(|| format!("nothing on {url} matches {css}"))
        }
    }
}

/// Waits until the element with this `data-testid` shows text satisfying `wanted`, and
/// returns that text. The element may appear, disappear and change meanwhile.
pub async fn text_when(
    browser: &Browser,
    id: &str,
    at_most: Duration,
    wanted: impl Fn(&str) -> bool,
) -> Result<String> {
    let deadline = Instant::now() + at_most;
    let css = testid(id);
    let mut last = None;
    loop {
        for element in browser.client.find_all(Locator::Css(&css)).await? {
            // A re-render between find and read is a stale element: look again.
            if let Ok(text) = element.text().await {
                if wanted(&text) {
                    return Ok(text);
                }
                last = Some(text);
            }
        }
        if Instant::now() > deadline {
            bail!(
                "{css} on {} did not show what was expected within {} s; last seen: {last:?}",
                current_url(browser).await,
                at_most.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The texts of every element with this `data-testid` now (none if there is none).
pub async fn texts_now(browser: &Browser, id: &str) -> Result<Vec<String>> {
    let mut texts = Vec::new();
    for element in browser.client.find_all(Locator::Css(&testid(id))).await? {
        if let Ok(text) = element.text().await {
            texts.push(text);
        }
    }
    Ok(texts)
}

/// The page's URL, for messages; a failure to read it is not worth one of its own.
async fn current_url(browser: &Browser) -> String {
    browser
        .client
        .current_url()
        .await
        .map(|u| u.to_string())
        .unwrap_or_else(|_| "the page".to_owned())
}

/// Returns the `value` of every element with that `data-testid` now (the group
/// choices a form offers, say), in page order.
pub async fn values_now(browser: &Browser, id: &str) -> Result<Vec<String>> {
    let mut values = Vec::new();
    for element in browser.client.find_all(Locator::Css(&testid(id))).await? {
        values.push(element.prop("value").await?.unwrap_or_default());
    }
    Ok(values)
}
