//! Headless Chromium (Debian's `chromium`) driven through Debian's `chromedriver`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use tempfile::TempDir;

/// The flags headless Chromium needs on these machines (closed network, root, no GPU).
pub const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
];

/// A chromedriver process with one browser session, a fresh profile and its own
/// download directory. Dropping it ends the session's driver and its Chromium.
pub struct Browser {
    /// The WebDriver session.
    pub client: Client,
    driver: Child,
    profile: TempDir,
    downloads: TempDir,
}

impl Browser {
    /// Starts chromedriver on a free port and opens a headless Chromium session.
    pub async fn start() -> Result<Self> {
        Self::start_with(&[]).await
    }

    /// Like [`Browser::start`], with more Chromium flags (such as
    /// `--ignore-certificate-errors-spki-list=…`, which trusts exactly one server key).
    pub async fn start_with(extra: &[String]) -> Result<Self> {
        crate::tls::init();
        let port = crate::tools::free_port()?;
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start chromedriver; install it with scripts/bootstrap.sh")?;
        let profile = tempfile::tempdir()?;
        let downloads = tempfile::tempdir()?;
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|s| (*s).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        args.extend(extra.iter().cloned());
        let capabilities = json!({
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": args,
                "prefs": {
                    "download.default_directory": downloads.path(),
                    "download.prompt_for_download": false,
                },
            },
            "goog:loggingPrefs": { "browser": "ALL", "performance": "ALL" },
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        let url = format!("http://127.0.0.1:{port}");
        let mut last_error = None;
        // chromedriver takes a moment to listen; wait for it rather than sleep blindly.
        for _ in 0..100 {
            match ClientBuilder::rustls()?
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    return Ok(Self {
                        client,
                        driver,
                        profile,
                        downloads,
                    });
                }
                Err(error) => last_error = Some(error),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("chromedriver did not open a session: {last_error:?}")
    }

    /// The directory the browser downloads files into.
    pub fn downloads(&self) -> &Path {
        self.downloads.path()
    }

    /// The browser profile's directory.
    pub fn profile(&self) -> &Path {
        self.profile.path()
    }

    /// Waits (up to 30 s) for an element matching the CSS selector and returns its text.
    pub async fn text_of(&self, css: &str) -> Result<String> {
        let element = self
            .client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css(css))
            .await
            .with_context(|| format!("no element matches {css}"))?;
        Ok(element.text().await?)
    }

    /// Saves a screenshot (PNG) to the given path.
    pub async fn screenshot(&self, path: &Path) -> Result<PathBuf> {
        let png = self.client.screenshot().await?;
        std::fs::write(path, png)?;
        Ok(path.to_path_buf())
    }

    /// Saves a screenshot and the console log into the test's artefact directory.
    pub async fn save_artifacts(&self, test: &str) -> Result<PathBuf> {
        let dir = crate::artifacts::dir(test);
        self.screenshot(&dir.join("screenshot.png")).await?;
        let console = self
            .console_log()
            .await
            .unwrap_or_else(|e| format!("(console log unavailable: {e})"));
        std::fs::write(dir.join("console.log"), console)?;
        Ok(dir)
    }

    /// Returns the browser console's messages so far, one a line.
    pub async fn console_log(&self) -> Result<String> {
        let entries = self.client.issue_cmd(LogCommand("browser")).await?;
        Ok(entries
            .as_array()
            .map(|entries| {
                entries
                    .iter()
                    .map(|e| {
                        format!(
                            "{} {}",
                            e["level"].as_str().unwrap_or("?"),
                            e["message"].as_str().unwrap_or("")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default())
    }

    /// Returns (and removes from chromedriver's buffer) every DevTools event of the
    /// performance log so far: objects with `method` and `params`.
    pub async fn performance_events(&self) -> Result<Vec<serde_json::Value>> {
        let mut events = Vec::new();
        // chromedriver hands out a bounded batch a call; read until it has no more.
        loop {
            let entries = self.client.issue_cmd(LogCommand("performance")).await?;
            let entries = entries.as_array().cloned().unwrap_or_default();
            if entries.is_empty() {
                return Ok(events);
            }
            for entry in entries {
                let Some(message) = entry["message"].as_str() else {
                    continue;
                };
                let parsed: serde_json::Value = serde_json::from_str(message)
                    .with_context(|| format!("a performance log entry is not JSON: {message}"))?;
                events.push(parsed["message"].clone());
            }
        }
    }

    /// Runs a Chrome DevTools Protocol command (such as `Network.clearBrowserCache`)
    /// through chromedriver and returns its result.
    pub async fn cdp(
        &self,
        command: &'static str,
        params: serde_json::Value,
    ) -> Result<serde_json::Value> {
        Ok(self.client.issue_cmd(CdpCommand(command, params)).await?)
    }

    /// Ends the session (closing every window) but leaves the driver to be stopped when
    /// the last handle is dropped.
    pub async fn quit(&self) -> Result<()> {
        self.client.clone().close().await.map_err(Into::into)
    }

    /// Ends the session and the driver.
    pub async fn close(mut self) -> Result<()> {
        let result = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        result.map_err(Into::into)
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        // A session not closed leaves its Chromium running once the driver is gone;
        // its profile directory, this browser's alone, names it.
        kill_chromium_of(self.profile.path());
    }
}

/// Ends the Chromium started with `--user-data-dir=<profile>` (its other processes end
/// with it), if one still runs.
fn kill_chromium_of(profile: &Path) {
    let flag = format!("--user-data-dir={}", profile.display());
    let Ok(processes) = std::fs::read_dir("/proc") else {
        return;
    };
    for process in processes.flatten() {
        let name = process.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(process.path().join("cmdline")) else {
            continue;
        };
        if cmdline.split(|&b| b == 0).any(|arg| arg == flag.as_bytes()) {
            let _ = Command::new("kill").arg(pid).status();
        }
    }
}

/// chromedriver's `goog/cdp/execute`: one DevTools command and its parameters.
#[derive(Debug)]
struct CdpCommand(&'static str, serde_json::Value);

impl fantoccini::wd::WebDriverCompatibleCommand for CdpCommand {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> std::result::Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "cmd": self.0, "params": self.1 }).to_string()),
        )
    }
}

/// chromedriver's (non-W3C) `GET /session/{id}/se/log` extension, which returns the
/// console or performance log collected since the last call.
#[derive(Debug)]
struct LogCommand(&'static str);

impl fantoccini::wd::WebDriverCompatibleCommand for LogCommand {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> std::result::Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "type": self.0 }).to_string()),
        )
    }
}
