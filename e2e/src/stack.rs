//! Everything one end-to-end scenario runs against: the shared control plane, its own
//! backend serving the release bundle against that cluster, and its own browsers.
//!
//! [`Stack::run`] runs a scenario and, when it fails (an `Err` or a panic), leaves a
//! screenshot and the console log of every browser it opened in
//! `e2e/artifacts/<test>/<browser>/`; the backend's output is always in
//! `e2e/artifacts/<test>/backend.log`.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, anyhow};
use futures::FutureExt;

use crate::browser::Browser;
use crate::cluster::ControlPlane;
use crate::portal::{Portal, PortalOptions};

/// One scenario's control plane, backend and browsers.
pub struct Stack {
    /// The test's name (its artefact directory).
    pub test: String,
    /// The control plane of the test run (`CERTDESK_TEST_CLUSTER`).
    pub cluster: ControlPlane,
    /// The backend, serving `dist/` with `deploy/rbac-backend.yaml`'s identity.
    pub portal: Portal,
    /// The cluster name the backend puts in kubeconfigs (unique to this test).
    pub cluster_name: String,
    browsers: Mutex<Vec<(String, Arc<Browser>)>>,
}

impl Stack {
    /// Attaches to the shared control plane and starts a backend of this test's own on
    /// it: `--kubeconfig <cluster>/backend.kubeconfig --static-dir dist --listen
    /// 127.0.0.1:0 --cluster-name <unique>`.
    pub fn start(test: &str) -> Result<Self> {
        Self::start_with(test, ControlPlane::shared()?, None, &[])
    }

    /// Like [`Stack::start`], on a control plane of the test's own (such as one started
    /// with [`ControlPlane::start_signing`]), with more backend flags.
    pub fn start_on(test: &str, cluster: ControlPlane, flags: &[&str]) -> Result<Self> {
        Self::start_with(test, cluster, None, flags)
    }

    /// One cluster of a federation: a backend calling its cluster `name`, listening on
    /// `listen` (chosen before, so its peers can name it), with more flags (`--peers`);
    /// its artefacts under `<test>/<name>`.
    pub fn start_member(
        test: &str,
        cluster: ControlPlane,
        name: &str,
        listen: &str,
        flags: &[String],
    ) -> Result<Self> {
        let test = format!("{test}/{name}");
        let artifacts = crate::artifacts::dir(&test);
        let _ = std::fs::remove_dir_all(&artifacts);
        let artifacts = crate::artifacts::dir(&test);
        let portal = Portal::serve(&PortalOptions {
            kubeconfig: Some(cluster.backend_kubeconfig()),
            cluster_name: Some(name.to_owned()),
            public_server_url: None,
            log: Some(artifacts.join("backend.log")),
            extra_args: flags.to_vec(),
            listen: Some(listen.to_owned()),
        })?;
        Ok(Self {
            test,
            cluster,
            portal,
            cluster_name: name.to_owned(),
            browsers: Mutex::new(Vec::new()),
        })
    }

    /// Like [`Stack::start`], but the backend acts as the local control plane's second
    /// CertDesk identity, which may approve (`backend-auto-approve.kubeconfig`), with
    /// `--auto-approve-invites --auto-approve-renewals`.
    pub fn start_auto_approving(test: &str) -> Result<Self> {
        let cluster = ControlPlane::shared()?;
        let kubeconfig = cluster.backend_auto_approve_kubeconfig();
        Self::start_with(
            test,
            cluster,
            Some(kubeconfig),
            &["--auto-approve-invites", "--auto-approve-renewals"],
        )
    }

    fn start_with(
        test: &str,
        cluster: ControlPlane,
        kubeconfig: Option<PathBuf>,
        flags: &[&str],
    ) -> Result<Self> {
        let artifacts = crate::artifacts::dir(test);
        // Evidence of an earlier run would mislead: start from an empty directory.
        let _ = std::fs::remove_dir_all(&artifacts);
        let artifacts = crate::artifacts::dir(test);
        let cluster_name = crate::unique("e2e");
        let portal = Portal::serve(&PortalOptions {
            kubeconfig: Some(kubeconfig.unwrap_or_else(|| cluster.backend_kubeconfig())),
            cluster_name: Some(cluster_name.clone()),
            public_server_url: None,
            log: Some(artifacts.join("backend.log")),
            extra_args: flags.iter().map(|f| (*f).to_owned()).collect(),
            listen: None,
        })?;
        Ok(Self {
            test: test.to_owned(),
            cluster,
            portal,
            cluster_name,
            browsers: Mutex::new(Vec::new()),
        })
    }

    /// The portal's address of a path, such as `url("/admin")`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.portal.url)
    }

    /// Opens a browser session of its own (own profile, own download directory) for one
    /// person in the scenario, such as `"requester"` or `"approver"`.
    pub async fn browser(&self, who: &str) -> Result<Arc<Browser>> {
        self.browser_with(who, &[]).await
    }

    /// Like [`Stack::browser`], with more Chromium flags.
    pub async fn browser_with(&self, who: &str, flags: &[String]) -> Result<Arc<Browser>> {
        let browser = Arc::new(Browser::start_with(flags).await?);
        self.browsers
            .lock()
            .map_err(|_| anyhow!("the browser list is poisoned"))?
            .push((who.to_owned(), browser.clone()));
        Ok(browser)
    }

    /// This test's artefact directory.
    pub fn artifacts(&self) -> PathBuf {
        crate::artifacts::dir(&self.test)
    }

    /// Runs the scenario; on an `Err` or a panic, saves every browser's screenshot and
    /// console log first. The browsers' sessions end either way.
    pub async fn run(&self, scenario: impl Future<Output = Result<()>>) -> Result<()> {
        let outcome = AssertUnwindSafe(scenario).catch_unwind().await;
        let browsers: Vec<(String, Arc<Browser>)> = self
            .browsers
            .lock()
            .map(|mut b| std::mem::take(&mut *b))
            .unwrap_or_default();
        let failed = !matches!(outcome, Ok(Ok(())));
        let mut saved = Vec::new();
        if failed {
            for (who, browser) in &browsers {
                match browser
                    .save_artifacts(&format!("{}/{who}", self.test))
                    .await
                {
                    Ok(dir) => saved.push(dir.display().to_string()),
                    Err(e) => saved.push(format!("({who}: no artefacts: {e})")),
                }
            }
        }
        for (_, browser) in &browsers {
            let _ = browser.quit().await;
        }
        let evidence = format!(
            "evidence: {}; backend log {}",
            if saved.is_empty() {
                "none".to_owned()
            } else {
                saved.join(", ")
            },
            self.artifacts().join("backend.log").display()
        );
        match outcome {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(error).context(evidence),
            Err(panic) => {
                eprintln!("{evidence}");
                std::panic::resume_unwind(panic)
            }
        }
    }
}
