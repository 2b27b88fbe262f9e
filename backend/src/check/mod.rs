//! `certdesk check`: whether this cluster can run CertDesk, asked of the cluster with
//! an administrator's kubeconfig (or the in-cluster identity of a Helm test). Each line
//! is `OK` or `FAIL` with what to do; the exit status is non-zero on any `FAIL`.
//!
//! It checks that the API server answers (naming Amazon EKS, which never signs
//! `kubernetes.io/kube-apiserver-client`), that CertDesk's CRDs and admission policies
//! are installed (and its webhook, when it approves by itself: [`guards`]), that
//! CertDesk's ServiceAccount may do exactly what `deploy/rbac-backend.yaml` grants
//! ([`rbac`]), and that a throwaway CSR is signed within a deadline, for how long
//! against what was asked, and that its certificate authenticates ([`signing`]).

pub mod guards;
pub mod notify;
pub mod oidc;
pub mod rbac;
pub mod signing;

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::{Api, Client};
use shared::oidc::OidcConfig;

/// The flags of `certdesk check`.
#[derive(Debug, Clone, clap::Args)]
pub struct CheckArgs {
    /// A kubeconfig with administrator rights (default: $KUBECONFIG, ~/.kube/config,
    /// or the in-cluster ServiceAccount).
    #[arg(long = "admin-kubeconfig", env = "CERTDESK_CHECK_KUBECONFIG")]
    pub kubeconfig: Option<PathBuf>,

    /// CertDesk's namespace.
    #[arg(long, env = "CERTDESK_NAMESPACE", default_value = "certdesk")]
    pub namespace: String,

    /// CertDesk's ServiceAccount in that namespace.
    #[arg(long, default_value = "certdesk")]
    pub service_account: String,

    /// The backend runs with --auto-approve-invites or --auto-approve-renewals, so its
    /// ServiceAccount also holds deploy/rbac-backend-auto-approve.yaml.
    #[arg(long)]
    pub auto_approve: bool,

    /// Seconds the throwaway CSR may take to be signed once approved.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=600))]
    pub signing_deadline_seconds: u32,

    /// The lifetime the throwaway CSR asks for, in seconds.
    #[arg(long, default_value_t = 86_400, value_parser = clap::value_parser!(u32).range(600..))]
    pub requested_seconds: u32,

    /// The throwaway CSR's name, also its certificate's username (random when not
    /// given). The Helm test names it, so its right to approve is limited to that CSR.
    #[arg(long, value_parser = csr_name)]
    pub csr_name: Option<String>,

    /// Also send a test notification to each sink of --notifications-file (a line each).
    #[arg(long, requires = "notifications_file")]
    pub notify_test: bool,

    /// The notifications file the backend is given (for --notify-test).
    #[arg(long, env = "CERTDESK_NOTIFICATIONS_FILE")]
    pub notifications_file: Option<PathBuf>,

    /// Also check approvers' OpenID Connect sign-in (the --oidc-* settings): the issuer's
    /// discovery and, with --oidc-token-file, whom the API server sees for its token.
    #[arg(long)]
    pub oidc: bool,

    /// A token of the issuer (or the ExecCredential JSON kubelogin prints) for --oidc.
    #[arg(long, requires = "oidc")]
    pub oidc_token_file: Option<PathBuf>,

    /// The CA bundle that signs the issuer's serving certificate, when it is private.
    #[arg(long, requires = "oidc")]
    pub oidc_ca_file: Option<PathBuf>,
}

/// A CSR name `check` may use: lower-case letters, digits and `-`, at most 63, starting
/// and ending with a letter or digit (a DNS label, also a harmless username).
fn csr_name(name: &str) -> Result<String, String> {
    let label = shared::identity::is_dns_label(name);
    if label {
        Ok(name.to_owned())
    } else {
        Err(
            "a CSR name is 1-63 lower-case letters, digits or '-', not starting or ending with '-'"
                .to_owned(),
        )
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Whether the check passed.
    pub ok: bool,
    /// What was checked, such as `signs`.
    pub name: &'static str,
    /// What was found and, on a failure, what to do.
    pub detail: String,
}

impl Line {
    /// A passed check.
    pub fn ok(name: &'static str, detail: impl Into<String>) -> Self {
        Self {
            ok: true,
            name,
            detail: detail.into(),
        }
    }

    /// A failed check.
    pub fn fail(name: &'static str, detail: impl Into<String>) -> Self {
        Self {
            ok: false,
            name,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = if self.ok { "OK  " } else { "FAIL" };
        write!(f, "{status} {}: {}", self.name, self.detail)
    }
}

/// Runs every check, printing each line as it is known; returns whether all passed.
pub async fn run(args: &CheckArgs, oidc: Option<&OidcConfig>) -> anyhow::Result<bool> {
    crate::cluster::install_crypto_provider();
    let mut notified = true;
    if args.oidc {
        let Some(oidc) = oidc else {
            anyhow::bail!(
                "--oidc needs the issuer: --oidc-issuer-url and --oidc-client-id (or CERTDESK_OIDC_ISSUER_URL, CERTDESK_OIDC_CLIENT_ID)"
            );
        };
        let line = oidc::discovery(oidc, args.oidc_ca_file.as_deref()).await;
        notified &= line.ok;
        println!("{line}");
        match &args.oidc_token_file {
            Some(path) => {
                let token = oidc::read_token(path)?;
                for line in oidc::api_server(&admin_config(args).await?, oidc, &token).await {
                    notified &= line.ok;
                    println!("{line}");
                }
            }
            None => println!(
                "INFO oidc-api-server: pass --oidc-token-file to see whom the API server makes of this issuer's tokens; it must hold:\n{}",
                shared::oidc::authentication_config(oidc, None)
            ),
        }
    }
    if let (true, Some(file)) = (args.notify_test, &args.notifications_file) {
        for line in notify::check(file).await {
            notified &= line.ok;
            println!("{line}");
        }
    }
    Ok(cluster_checks(args).await? && notified)
}

async fn admin_config(args: &CheckArgs) -> anyhow::Result<kube::Config> {
    Ok(match &args.kubeconfig {
        Some(path) => {
            let kubeconfig = kube::config::Kubeconfig::read_from(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default()).await?
        }
        None => kube::Config::infer()
            .await
            .context("no kubeconfig: pass --admin-kubeconfig")?,
    })
}

async fn cluster_checks(args: &CheckArgs) -> anyhow::Result<bool> {
    let config = admin_config(args).await?;
    let client = Client::try_from(config.clone())?;
    let mut all_ok = true;
    let mut report = |line: Line| {
        all_ok &= line.ok;
        println!("{line}");
    };
    let server = server_line(&client).await;
    let eks = server.detail.contains("-eks-");
    let reachable = server.ok;
    report(server);
    if !reachable {
        return Ok(false);
    }
    report(crds_line(&client).await);
    for line in guards::check(&client, args.auto_approve).await {
        report(line);
    }
    for line in rbac::check(&client, args).await {
        report(line);
    }
    let deadline = Duration::from_secs(u64::from(args.signing_deadline_seconds));
    let name = args.csr_name.clone().unwrap_or_else(signing::random_name);
    for line in signing::check(
        &client,
        &config,
        &name,
        deadline,
        args.requested_seconds,
        eks,
    )
    .await
    {
        report(line);
    }
    Ok(all_ok)
}

async fn server_line(client: &Client) -> Line {
    match client.apiserver_version().await {
        Ok(version) if version.git_version.contains("-eks-") => Line::ok(
            "api-server",
            format!(
                "{} (Amazon EKS: it does not sign kubernetes.io/kube-apiserver-client certificates)",
                version.git_version
            ),
        ),
        Ok(version) => {
            let note = shared::support::minor_of(&version.minor)
                .and_then(shared::support::message)
                .map(|m| format!(" — {m}"))
                .unwrap_or_default();
            Line::ok("api-server", format!("{}{note}", version.git_version))
        }
        Err(error) => Line::fail(
            "api-server",
            format!(
                "the API server did not answer ({error}); check the kubeconfig's server and credentials"
            ),
        ),
    }
}

async fn crds_line(client: &Client) -> Line {
    let crds = Api::<CustomResourceDefinition>::all(client.clone());
    let mut missing = Vec::new();
    for name in [
        "issuedcertificates.certdesk.dev",
        "invites.certdesk.dev",
        "withdrawals.certdesk.dev",
        "removals.certdesk.dev",
        "notifications.certdesk.dev",
    ] {
        match crds.get_opt(name).await {
            Ok(Some(_)) => {}
            Ok(None) => missing.push(name.to_owned()),
            Err(error) => missing.push(format!("{name} ({error})")),
        }
    }
    if missing.is_empty() {
        Line::ok(
            "crds",
            "issuedcertificates, invites, withdrawals, removals and notifications (certdesk.dev) are installed",
        )
    } else {
        Line::fail(
            "crds",
            format!(
                "missing: {}; apply deploy/crds.yaml (the Helm chart installs them)",
                missing.join(", ")
            ),
        )
    }
}
