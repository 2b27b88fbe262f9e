//! The plugin's command line.

use std::path::PathBuf;

/// A kubectl credential plugin that keeps a CertDesk client certificate renewed.
#[derive(Debug, clap::Parser)]
#[command(name = "kubectl-certdesk", version)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The plugin's commands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Adopts a kubeconfig CertDesk gave out: moves its key and certificate into the
    /// plugin's store and rewrites its user entry to run this plugin.
    Import(ImportArgs),
    /// What kubectl runs (the kubeconfig's exec entry): prints an ExecCredential with
    /// the stored certificate, renewing it first when it is due.
    Credential(CredentialArgs),
    /// Lists the stored credentials: user, API server, valid until, renewed from.
    Status,
}

/// `kubectl certdesk import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The kubeconfig CertDesk gave you (rewritten in place, without the key).
    pub kubeconfig: PathBuf,
    /// The context to adopt (default: its current context).
    #[arg(long)]
    pub context: Option<String>,
    /// CertDesk's address (default: the one the kubeconfig names).
    #[arg(long)]
    pub portal: Option<String>,
    /// A PEM bundle to trust for CertDesk's address (a private CA).
    #[arg(long)]
    pub portal_ca: Option<PathBuf>,
}

/// `kubectl-certdesk credential` (from the kubeconfig's exec entry).
#[derive(Debug, clap::Args)]
pub struct CredentialArgs {
    /// CertDesk's address, where renewals go.
    #[arg(long)]
    pub portal: String,
    /// The Kubernetes username the credential is for.
    #[arg(long)]
    pub user: String,
    /// A PEM bundle to trust for CertDesk's address.
    #[arg(long)]
    pub portal_ca: Option<PathBuf>,
    /// The fraction of a certificate's lifetime after which it is renewed.
    #[arg(long, env = "CERTDESK_RENEW_AT", default_value_t = 2.0 / 3.0, value_parser = fraction)]
    pub renew_at: f64,
}

fn fraction(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    if value > 0.0 && value < 1.0 {
        Ok(value)
    } else {
        Err("a fraction of the lifetime, between 0 and 1".to_owned())
    }
}
