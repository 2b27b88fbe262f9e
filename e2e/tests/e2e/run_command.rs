//! The README's run command, as a newcomer would use it: it serves the portal on
//! 127.0.0.1 against the local control plane, and the page shows the cluster's name.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use e2e::browser::Browser;

/// `scripts/run.sh` in its own process group, stopped (with everything it started) on drop.
struct RunCommand {
    child: Child,
    url: String,
    /// Every CertDesk's address (one per cluster), in the order they said it.
    urls: Vec<String>,
    /// The approver token files run.sh printed, one per cluster.
    tokens: Vec<String>,
}

impl RunCommand {
    fn start(cluster_name: &str) -> Result<Self> {
        Self::start_clusters(cluster_name, 1)
    }

    /// `CERTDESK_CLUSTERS=clusters scripts/run.sh`: returns once every CertDesk listens.
    fn start_clusters(cluster_name: &str, clusters: usize) -> Result<Self> {
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
            .env("CERTDESK_CLUSTERS", clusters.to_string())
            .env_remove("KUBECONFIG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .context("cannot start scripts/run.sh")?;
        let stdout = child.stdout.take().context("stdout")?;
        let stderr = child.stderr.take().context("stderr")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("CertDesk is listening on ") {
                    let _ = tx.send(url.trim().to_owned());
                }
            }
        });
        // What run.sh tells the person, passed on, and the token files it names.
        let (token_tx, token_rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("{line}");
                if let Some(rest) = line.trim().strip_prefix("approver token:") {
                    let file = rest.split_whitespace().next().unwrap_or_default();
                    let _ = token_tx.send(file.to_owned());
                }
            }
        });
        let mut me = Self {
            child,
            url: String::new(),
            urls: Vec::new(),
            tokens: Vec::new(),
        };
        // Bootstrap and builds are done by the test command already; allow for a cold start.
        while me.urls.len() < clusters {
            match rx.recv_timeout(Duration::from_secs(600)) {
                Ok(url) => me.urls.push(url),
                Err(_) => {
                    me.stop();
                    bail!("scripts/run.sh did not report {clusters} listening addresses")
                }
            }
        }
        me.url = me.urls[0].clone();
        // The token lines come before the backends start; their reader may lag a little.
        while me.tokens.len() < clusters {
            match token_rx.recv_timeout(Duration::from_secs(5)) {
                Ok(file) => me.tokens.push(file),
                Err(_) => break,
            }
        }
        Ok(me)
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

#[tokio::test]
#[ignore = "needs the release frontend bundle and the control plane's binaries; run by scripts/test.sh"]
async fn two_clusters_start_two_certdesks_that_are_each_others_peers() -> Result<()> {
    let mut run = RunCommand::start_clusters("unused", 2)?;
    ensure!(
        run.tokens.len() == 2,
        "run.sh printed the token files {:?}",
        run.tokens
    );
    let mut configs = Vec::new();
    for url in &run.urls {
        let config: shared::PortalConfig = reqwest::get(format!("{url}/api/v1/config"))
            .await?
            .error_for_status()?
            .json()
            .await?;
        configs.push(config);
    }
    configs.sort_by(|x, y| x.cluster_name.cmp(&y.cluster_name));
    let names: Vec<&str> = configs.iter().map(|c| c.cluster_name.as_str()).collect();
    ensure!(names == ["a", "b"], "the clusters are {names:?}");
    // Each lists the other, at the address it serves on.
    for (me, other) in [(0, 1), (1, 0)] {
        let peers: Vec<(&str, &str)> = configs[me]
            .peers
            .iter()
            .map(|p| (p.name.as_str(), p.url.as_str()))
            .collect();
        ensure!(
            peers.len() == 1 && peers[0].0 == configs[other].cluster_name,
            "{peers:?}"
        );
        ensure!(
            run.urls.iter().any(|u| u == peers[0].1),
            "{peers:?} not in {:?}",
            run.urls
        );
    }
    // Two control planes, each with its own CA, and a token for each.
    ensure!(
        configs[0].ca_bundle_pem != configs[1].ca_bundle_pem,
        "one CA for both"
    );
    ensure!(
        configs[0].server_url != configs[1].server_url,
        "one API server for both"
    );
    ensure!(run.tokens[0] != run.tokens[1], "one token file for both");
    for file in &run.tokens {
        ensure!(
            !std::fs::read_to_string(file)?.trim().is_empty(),
            "{file} is empty"
        );
    }
    run.stop();
    Ok(())
}
