//! A requester's first visit: the bundle arrives compressed (brotli, else gzip), the
//! hashed assets are cacheable for good and the page itself is revalidated; a second
//! visit takes the hashed assets from the browser's cache. The requester's page loads
//! only the requester's app; `/admin` loads the approvers' own bundle.

use anyhow::{Context, Result, ensure};
use e2e::received::{Received, responses};
use e2e::stack::Stack;

#[tokio::test]
#[ignore = "needs the control plane, the release bundle and chromium; run by scripts/test.sh"]
async fn the_first_visit_is_compressed_and_the_second_comes_from_the_cache() -> Result<()> {
    let stack = Stack::start("first_visit")?;
    stack.run(first_visit(&stack)).await
}

fn is_hashed_asset(url: &str) -> bool {
    let file = url.rsplit('/').next().unwrap_or_default();
    (file.ends_with(".wasm") || file.ends_with(".js") || file.ends_with(".css"))
        && !file.starts_with("keygen-worker")
}

async fn visit(stack: &Stack, browser: &e2e::browser::Browser) -> Result<Vec<Received>> {
    visit_page(stack, browser, "/", "request-form").await
}

async fn visit_page(
    stack: &Stack,
    browser: &e2e::browser::Browser,
    path: &str,
    testid: &str,
) -> Result<Vec<Received>> {
    responses(browser).await?; // what came before is not this visit's
    browser.client.goto("about:blank").await?;
    browser
        .client
        .goto(&format!("{}{path}", stack.portal.url))
        .await?;
    e2e::find::by_testid(browser, testid).await?;
    // The portal's responses only, not the browser's own chrome:// pages.
    Ok(responses(browser)
        .await?
        .into_iter()
        .filter(|r| r.url.starts_with(&stack.portal.url))
        .collect())
}

async fn first_visit(stack: &Stack) -> Result<()> {
    let browser = stack.browser("requester").await?;
    let first = visit(stack, &browser).await?;
    let wasm = first
        .iter()
        .find(|r| r.url.contains("/frontend-") && r.url.ends_with("_bg.wasm"))
        .context("the app's wasm was not loaded")?;
    ensure!(
        matches!(wasm.header("content-encoding"), Some("br" | "gzip")),
        "the wasm arrived uncompressed: {wasm:?}"
    );
    // The request form's app only: neither the whole form's (an invite's form, the
    // choice of clusters), the status page's bundle, the approvers' nor the file
    // tools', and not the key worker's (it loads when someone types).
    for other in first.iter().filter(|r| r.url.ends_with(".wasm")) {
        ensure!(
            !other.url.contains("/start/")
                && !other.url.contains("/requests/")
                && !other.url.contains("/admin/")
                && !other.url.contains("/inspect/")
                && !other.url.contains("keygen-worker"),
            "the requester's page loaded {}",
            other.url
        );
    }
    // One page, and no second copy of it for a path the browser asks by itself (the
    // backend answers unknown paths with the app's page): the icon is inline.
    let pages: Vec<&str> = first
        .iter()
        .filter(|r| {
            r.header("content-type")
                .is_some_and(|t| t.starts_with("text/html"))
        })
        .map(|r| r.url.as_str())
        .collect();
    ensure!(
        pages.len() == 1,
        "pages loaded by the first visit: {pages:?}"
    );
    let hashed: Vec<&Received> = first.iter().filter(|r| is_hashed_asset(&r.url)).collect();
    ensure!(hashed.len() >= 3, "hashed assets: {hashed:?}");
    for asset in &hashed {
        ensure!(
            asset.header("cache-control") == Some("public, max-age=31536000, immutable"),
            "{} is not cached for good: {:?}",
            asset.url,
            asset.header("cache-control")
        );
    }
    let page = first
        .iter()
        .find(|r| r.url == format!("{}/", stack.portal.url))
        .context("the page itself")?;
    ensure!(page.header("cache-control") == Some("no-cache"), "{page:?}");
    integrity_holds(&browser).await?;
    let bytes: u64 = first.iter().map(|r| r.encoded_bytes).sum();
    println!(
        "first visit: {} responses, {bytes} bytes on the wire",
        first.len()
    );

    let second = visit(stack, &browser).await?;
    for asset in second.iter().filter(|r| is_hashed_asset(&r.url)) {
        ensure!(
            asset.from_cache,
            "{} was fetched again on the second visit",
            asset.url
        );
    }
    let bytes: u64 = second.iter().map(|r| r.encoded_bytes).sum();
    println!("second visit: {bytes} bytes on the wire");

    // The approvers' page is an app of its own, compressed and cached the same way.
    let admin = visit_page(stack, &browser, "/admin", "token-input").await?;
    let wasm: Vec<&Received> = admin.iter().filter(|r| r.url.ends_with(".wasm")).collect();
    ensure!(
        wasm.len() == 1 && wasm[0].url.contains("/admin/admin-"),
        "the approvers' page loaded {wasm:?}"
    );
    ensure!(
        matches!(wasm[0].header("content-encoding"), Some("br" | "gzip"))
            && wasm[0].header("cache-control") == Some("public, max-age=31536000, immutable"),
        "{:?}",
        wasm[0]
    );
    Ok(())
}

/// Every `integrity` attribute of the page names the SHA-384 of what the server sends
/// for it (the release build minifies the module glue after Trunk hashed it, and
/// rewrites the attribute), read by the page's own `fetch` and `crypto.subtle`.
async fn integrity_holds(browser: &e2e::browser::Browser) -> Result<()> {
    let answer = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const links = [...document.querySelectorAll('link[integrity]')];
             Promise.all(links.map(async (link) => {
               const body = await (await fetch(link.href)).arrayBuffer();
               const digest = new Uint8Array(await crypto.subtle.digest('SHA-384', body));
               const actual = 'sha384-' + btoa(String.fromCharCode(...digest));
               return actual === link.integrity ? '' : link.href + ': ' + actual;
             })).then(wrong => done(links.length + ' ' + wrong.filter(Boolean).join(', ')))
               .catch(e => done('failed: ' + e));",
            vec![],
        )
        .await?;
    let answer = answer.as_str().unwrap_or_default();
    let (count, wrong) = answer.split_once(' ').unwrap_or((answer, ""));
    ensure!(
        count.parse::<u32>().is_ok_and(|n| n >= 2) && wrong.is_empty(),
        "the page's integrity attributes: {answer}"
    );
    Ok(())
}
