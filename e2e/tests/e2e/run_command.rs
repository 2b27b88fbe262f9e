//! The README's run command, as a newcomer would use it: it serves the portal on
//! 127.0.0.1 against the local control plane, and the page shows the cluster's name.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use e2e::browser::Browser;

/// `scripts/run.sh` in its own process group, stopped (with everything it started) on drop.
struct RunCommand {
    child: Child,
    url: String,
}

impl RunCommand {
    fn start(cluster_name: &str) -> Result<Self> {
        let mut command = Command::new(e2e::repo_root().join("scripts/run.sh"));
        // A newcomer's shell, not cargo test's: the variables cargo sets for a test
        // binary would make run.sh's own cargo and trunk builds see a changed
        // environment and rebuild what the test command has just built.
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy();
            let from_cargo =
                name.starts_with("CARGO_") && !matches!(&*name, "CARGO_HOME" | "CARGO_TARGET_DIR");
            if from_cargo || matches!(&*name, "CARGO" | "LD_LIBRARY_PATH" | "OUT_DIR") {
                command.env_remove(&*name);
            }
        }
        let mut child = command
            .env("CERTDESK_LISTEN", "127.0.0.1:0")
            // The test command built dist/ (and other tests serve it meanwhile).
            .env("CERTDESK_DIST_BUILT", "1")
            .env("CERTDESK_CLUSTER_NAME", cluster_name)
            .env_remove("KUBECONFIG")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .process_group(0)
            .spawn()
            .context("cannot start scripts/run.sh")?;
        let stdout = child.stdout.take().context("stdout")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("CertDesk is listening on ") {
                    let _ = tx.send(url.trim().to_owned());
                }
            }
        });
        // Bootstrap and builds are done by the test command already; allow for a cold start.
        match rx.recv_timeout(Duration::from_secs(600)) {
            Ok(url) => Ok(Self { child, url }),
            Err(_) => {
                let mut me = Self {
                    child,
                    url: String::new(),
                };
                me.stop();
                bail!("scripts/run.sh did not report a listening address")
            }
        }
    }

    fn stop(&mut self) {
        // SIGTERM to the group: run.sh's trap stops the backend and the control plane.
        // `--` so that kill(1) reads the negative number as a process group, not an option.
        let _ = Command::new("kill")
            .args(["-s", "TERM", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for RunCommand {
    fn drop(&mut self) {
        self.stop();
    }
}

#[tokio::test]
#[ignore = "needs the release frontend bundle and chromium; run by scripts/test.sh"]
async fn the_run_command_serves_the_portal_and_the_page_shows_the_cluster_name() -> Result<()> {
    let cluster_name = e2e::unique("smoke");
    let mut run = RunCommand::start(&cluster_name)?;
    assert!(run.url.starts_with("http://127.0.0.1:"), "{}", run.url);

    let browser = Browser::start().await?;
    browser.client.goto(&run.url).await?;
    let shown = browser.text_of("[data-testid=cluster-name]").await;
    let artifacts = browser.save_artifacts("run_command").await?;
    browser.close().await?;
    assert_eq!(
        shown?,
        cluster_name,
        "screenshot in {}",
        artifacts.display()
    );

    run.stop();
    // run.sh stopped the control plane it started: no state directory left behind.
    Ok(())
}
