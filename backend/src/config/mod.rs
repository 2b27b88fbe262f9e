//! The backend's configuration: every setting is a flag with an environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, ValueEnum};

mod oidc;
mod peers;
mod settings;

pub use oidc::{Oidc, OidcArgs};
pub use peers::PeerArgs;

pub use settings::{ConfigError, Settings};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object a line, for log collectors.
    Json,
}

/// What the binary does instead of serving.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Checks, with an administrator's kubeconfig, that this cluster can run CertDesk:
    /// its CRDs and ServiceAccount rights, and that a kube-apiserver-client CSR is
    /// signed in time, for how long, and authenticates. Non-zero exit on any FAIL.
    Check(crate::check::CheckArgs),
}

/// Everything the backend can be told at start-up.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "certdesk",
    version,
    about = "Self-service Kubernetes access with client certificates"
)]
pub struct Config {
    /// Instead of serving: `check` whether this cluster can run CertDesk.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The listener, TLS, proxies, the app's files and logs.
    #[command(flatten)]
    pub serve: ServeArgs,
    /// The cluster and how requesters reach it.
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Rate limits and caps.
    #[command(flatten)]
    pub limits: LimitArgs,
    /// The policy and what CertDesk approves by itself.
    #[command(flatten)]
    pub access: AccessArgs,
    /// The admission webhook.
    #[command(flatten)]
    pub webhook: WebhookArgs,
    /// The notification sinks.
    #[command(flatten)]
    pub notify: NotifyArgs,
    /// Approvers' sign-in with OpenID Connect.
    #[command(flatten)]
    pub oidc: OidcArgs,
    /// The CertDesk installs of other clusters.
    #[command(flatten)]
    pub peers: PeerArgs,
}

/// How the backend serves: its listener, TLS, proxies, the built app and logs.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to serve HTTP on.
    #[arg(long, env = "CERTDESK_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Serve HTTPS with this certificate chain (PEM); it and the key are reloaded when
    /// either file changes (as cert-manager rotates them).
    #[arg(long, env = "CERTDESK_TLS_CERT_FILE", requires = "tls_key_file")]
    pub tls_cert_file: Option<PathBuf>,

    /// The private key of --tls-cert-file (PEM).
    #[arg(long, env = "CERTDESK_TLS_KEY_FILE", requires = "tls_cert_file")]
    pub tls_key_file: Option<PathBuf>,

    /// CIDRs of the TLS-terminating proxies in front of CertDesk (comma-separated). With
    /// them and no TLS of its own, the backend answers only requests from those proxies
    /// that reached them over HTTPS (`X-Forwarded-Proto: https`); health and metrics
    /// excepted.
    #[arg(long, env = "CERTDESK_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    /// Serve plain HTTP on a non-loopback address anyway. The page it serves makes the
    /// private keys: whoever can alter it in transit can take them.
    #[arg(long, env = "CERTDESK_INSECURE_HTTP")]
    pub insecure_http: bool,

    /// Directory holding the built frontend (`scripts/build-frontend.sh` writes `dist/`:
    /// the requester's app, and the approvers' and file tools' in `admin/` and `inspect/`).
    #[arg(long, env = "CERTDESK_STATIC_DIR", default_value = "dist")]
    pub static_dir: PathBuf,

    /// Serve `/metrics` on this address only (plain HTTP, e.g. a pod port only
    /// Prometheus reaches) instead of beside the app.
    #[arg(long, env = "CERTDESK_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// Seconds a client has to send a request's headers (and an idle keep-alive
    /// connection to send its next request) before the connection is closed.
    #[arg(long, env = "CERTDESK_HEADER_READ_TIMEOUT_SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=300))]
    pub header_read_timeout_seconds: u32,

    /// Log format.
    #[arg(long, env = "CERTDESK_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// The cluster CertDesk issues for, and how requesters reach it.
#[derive(Debug, Clone, clap::Args)]
pub struct ClusterArgs {
    /// The cluster's name as requesters' kubeconfigs will call it.
    #[arg(long, env = "CERTDESK_CLUSTER_NAME", default_value = "kubernetes")]
    pub cluster_name: String,

    /// Kubeconfig of CertDesk's own identity (in a cluster, the pod's ServiceAccount is used).
    #[arg(long, env = "CERTDESK_KUBECONFIG")]
    pub kubeconfig: Option<PathBuf>,

    /// The API server URL requesters use (defaults to the kubeconfig's server).
    #[arg(long, env = "CERTDESK_PUBLIC_SERVER_URL")]
    pub public_server_url: Option<String>,

    /// The namespace CertDesk runs in; its `kube-root-ca.crt` ConfigMap supplies the CA
    /// bundle when the kubeconfig has none.
    #[arg(long, env = "CERTDESK_NAMESPACE", default_value = "certdesk")]
    pub namespace: String,

    /// The PEM bundle of the CA that signs client certificates (renewals must chain to
    /// it). Defaults to the cluster CA bundle given to requesters.
    #[arg(long, env = "CERTDESK_CLIENT_CA_FILE")]
    pub client_ca_file: Option<PathBuf>,

    /// Seconds an approved request may wait for its certificate before its page (and
    /// the approver's) says this cluster does not seem to issue client certificates.
    #[arg(long, env = "CERTDESK_SIGNING_DEADLINE_SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=86_400))]
    pub signing_deadline_seconds: u32,
}

/// What one client, and everyone together, may make the backend spend.
#[derive(Debug, Clone, clap::Args)]
pub struct LimitArgs {
    /// Submissions one client address may make per minute (sustained).
    #[arg(long, env = "CERTDESK_SUBMIT_PER_MINUTE", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub submit_per_minute: u32,

    /// Submissions one client address may make in a burst.
    #[arg(long, env = "CERTDESK_SUBMIT_BURST", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub submit_burst: u32,

    /// Server-sent event streams (live request status) open at once, in all.
    #[arg(long, env = "CERTDESK_MAX_EVENT_STREAMS", default_value_t = 2000, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_event_streams: u32,

    /// Server-sent event streams one client (an IPv4 address, an IPv6 /64) may hold open.
    #[arg(long, env = "CERTDESK_MAX_EVENT_STREAMS_PER_CLIENT", default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_event_streams_per_client: u32,

    /// Requests to the other public routes (status, events, invite links, renewal
    /// challenges) one client may make per minute (sustained).
    #[arg(long, env = "CERTDESK_READ_PER_MINUTE", default_value_t = 600, value_parser = clap::value_parser!(u32).range(1..))]
    pub read_per_minute: u32,

    /// Requests to those routes one client may make in a burst.
    #[arg(long, env = "CERTDESK_READ_BURST", default_value_t = 120, value_parser = clap::value_parser!(u32).range(1..))]
    pub read_burst: u32,

    /// Failed approver sign-ins (tokens the cluster refused) one client may make per
    /// minute before its approver calls are refused with 429 for a while.
    #[arg(long, env = "CERTDESK_SIGN_IN_FAILURES_PER_MINUTE", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub sign_in_failures_per_minute: u32,

    /// Failed approver sign-ins one client may make in a burst; the failure after them
    /// locks it out until the per-minute rate lets it try again.
    #[arg(long, env = "CERTDESK_SIGN_IN_FAILURES_BURST", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub sign_in_failures_burst: u32,

    /// Requests served at once, in all; more are answered 429 `overloaded` with
    /// `Retry-After` (event streams count only until they start; they have caps of their own).
    #[arg(long, env = "CERTDESK_MAX_IN_FLIGHT", default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_in_flight: u32,

    /// Seconds a request may take before it is answered 504 `timeout`.
    #[arg(long, env = "CERTDESK_REQUEST_TIMEOUT_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=600))]
    pub request_timeout_seconds: u32,
}

/// Who may ask and what CertDesk approves by itself: the policy and its switches.
#[derive(Debug, Clone, clap::Args)]
pub struct AccessArgs {
    /// The operator's policy (YAML): the groups requesters may ask for, admin groups,
    /// reserved username prefixes and pattern, key algorithms, lifetimes, invites and
    /// renewals. Without it the design's defaults apply (no groups at all).
    #[arg(long, env = "CERTDESK_POLICY_FILE")]
    pub policy_file: Option<PathBuf>,

    /// Accept requests only through invite links.
    #[arg(long, env = "CERTDESK_INVITE_REQUIRED")]
    pub invite_required: bool,

    /// Whom requesters may ask about a waiting request, shown on the pending page
    /// (such as "#platform-access on Slack"; at most 200 characters, shown as text).
    #[arg(long, env = "CERTDESK_APPROVERS_CONTACT", value_parser = contact)]
    pub approvers_contact: Option<String>,

    /// Approve requests made with an invite without an approver. The invite's grants are
    /// then bound when the invite is made, with the inviting approver's credentials, and
    /// CertDesk's ServiceAccount needs deploy/rbac-backend-auto-approve.yaml.
    #[arg(long, env = "CERTDESK_AUTO_APPROVE_INVITES")]
    pub auto_approve_invites: bool,

    /// Approve renewals of a live certificate CertDesk issued (same identity, proven
    /// possession of its key, access not removed) without an approver. CertDesk's
    /// ServiceAccount then needs deploy/rbac-backend-auto-approve.yaml.
    #[arg(long, env = "CERTDESK_AUTO_APPROVE_RENEWALS")]
    pub auto_approve_renewals: bool,

    /// A file whose bytes authenticate renewal challenges; every replica needs the same
    /// one. Without it each process makes a random secret, and a challenge is accepted
    /// only by the replica that issued it.
    #[arg(long, env = "CERTDESK_RENEWAL_SECRET_FILE")]
    pub renewal_secret_file: Option<PathBuf>,
}

/// The opt-in validating admission webhook.
#[derive(Debug, Clone, clap::Args)]
pub struct WebhookArgs {
    /// Serve CertDesk's validating admission webhook (HTTPS) on this address, so the
    /// identity check also guards approvals made around CertDesk (`kubectl certificate
    /// approve`). Register it with deploy/webhook/; it needs
    /// deploy/rbac-backend-webhook.yaml and the two TLS files below.
    #[arg(long, env = "CERTDESK_WEBHOOK_LISTEN")]
    pub webhook_listen: Option<SocketAddr>,

    /// The webhook's serving certificate (PEM; the chain the registration's caBundle
    /// verifies).
    #[arg(
        long,
        env = "CERTDESK_WEBHOOK_TLS_CERT_FILE",
        requires = "webhook_listen"
    )]
    pub webhook_tls_cert_file: Option<PathBuf>,

    /// The webhook's private key (PEM).
    #[arg(
        long,
        env = "CERTDESK_WEBHOOK_TLS_KEY_FILE",
        requires = "webhook_listen"
    )]
    pub webhook_tls_key_file: Option<PathBuf>,

    /// Require every caller of the webhook to present a client certificate from this CA
    /// (PEM): the API server's, from its admission configuration's kubeconfig (see
    /// deploy/webhook/README.md). Anyone else is refused at the TLS handshake. Managed
    /// clusters do not let you configure that; without it the NetworkPolicy, the rate
    /// limit and the answer cache bound what a forged review can cost.
    #[arg(
        long,
        env = "CERTDESK_WEBHOOK_CLIENT_CA_FILE",
        requires = "webhook_listen"
    )]
    pub webhook_client_ca_file: Option<PathBuf>,

    /// Admission reviews one client address may send the webhook per minute (sustained).
    #[arg(long, env = "CERTDESK_WEBHOOK_REVIEWS_PER_MINUTE", default_value_t = 600, value_parser = clap::value_parser!(u32).range(1..))]
    pub webhook_reviews_per_minute: u32,

    /// Admission reviews one client address may send the webhook in a burst.
    #[arg(long, env = "CERTDESK_WEBHOOK_REVIEWS_BURST", default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..))]
    pub webhook_reviews_burst: u32,
}

/// Where approvers hear of requests.
#[derive(Debug, Clone, clap::Args)]
pub struct NotifyArgs {
    /// The notification sinks (YAML: Slack, Teams, email, signed webhooks, each with its
    /// URL, password or signing secret in a file of its own); see docs/notifications.md.
    #[arg(long, env = "CERTDESK_NOTIFICATIONS_FILE")]
    pub notifications_file: Option<PathBuf>,
}

/// The approvers' contact: one line of at most 200 characters.
fn contact(value: &str) -> Result<String, String> {
    let value = value.trim();
    if value.chars().count() > 200 || value.chars().any(char::is_control) {
        return Err("one line of at most 200 characters".to_owned());
    }
    Ok(value.to_owned())
}
