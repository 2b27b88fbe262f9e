//! Accessibility checks with axe-core (installed from npm by `scripts/bootstrap.sh`),
//! run inside the page in both colour schemes: the WCAG 2.1 A and AA rules, failing on
//! any violation axe rates serious or critical.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use serde_json::json;

use crate::browser::Browser;

/// Where bootstrap installs axe-core (`$CERTDESK_CACHE/npm/node_modules/axe-core`).
fn axe_file() -> PathBuf {
    crate::cache_dir().join("npm/node_modules/axe-core/axe.min.js")
}

/// Runs axe on the page as it is now, once with `prefers-color-scheme: light` and once
/// with `dark` (emulated through DevTools), and fails naming every serious or critical
/// violation; `state` says which page state this was, for the message.
pub async fn check_both_schemes(browser: &Browser, state: &str) -> Result<()> {
    let mut found = Vec::new();
    for scheme in ["light", "dark"] {
        emulate(browser, scheme).await?;
        for violation in run(browser).await? {
            found.push(format!("{state} ({scheme}): {violation}"));
        }
    }
    emulate(browser, "").await?;
    if !found.is_empty() {
        bail!(
            "axe-core found {} serious or critical violation(s):\n{}",
            found.len(),
            found.join("\n")
        );
    }
    Ok(())
}

/// Emulates `prefers-color-scheme: <scheme>` (`light`, `dark`), or stops emulating
/// (`""`).
pub async fn emulate(browser: &Browser, scheme: &str) -> Result<()> {
    let features = if scheme.is_empty() {
        json!([])
    } else {
        json!([{ "name": "prefers-color-scheme", "value": scheme }])
    };
    browser
        .cdp(
            "Emulation.setEmulatedMedia",
            json!({ "features": features }),
        )
        .await?;
    Ok(())
}

/// The serious and critical violations on the page, one line each.
async fn run(browser: &Browser) -> Result<Vec<String>> {
    let loaded = browser
        .client
        .execute("return typeof window.axe === 'object';", vec![])
        .await?;
    if loaded != json!(true) {
        let path = axe_file();
        let source = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "axe-core is not at {} (run scripts/bootstrap.sh)",
                path.display()
            )
        })?;
        browser
            .client
            .execute(&format!("{source}\nreturn true;"), vec![])
            .await
            .context("axe-core could not be loaded into the page")?;
    }
    let answer = browser
        .client
        .execute(
            r#"
            const result = await window.axe.run(document, {
              runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
              resultTypes: ['violations'],
            });
            return result.violations
              .filter(v => v.impact === 'serious' || v.impact === 'critical')
              .map(v => `${v.impact} ${v.id}: ${v.help} — ` +
                v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' (' + (n.failureSummary || '').replace(/\s+/g, ' ') + ')').join('; '));
            "#,
            vec![],
        )
        .await
        .context("axe-core did not run")?;
    let lines = answer
        .as_array()
        .context("axe-core answered no list")?
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    Ok(lines)
}
