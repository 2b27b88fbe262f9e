//! `certdesk check --oidc`: whether approvers can sign in with the configured issuer —
//! its discovery document (issuer, endpoints, PKCE), and, given one of its tokens, who the
//! API server sees (SelfSubjectReview) or why it refused and the
//! `AuthenticationConfiguration` that would fix it.

use std::path::Path;

use k8s_openapi::api::authentication::v1::SelfSubjectReview;
use kube::api::PostParams;
use kube::{Api, Client};
use serde::Deserialize;
use shared::oidc::OidcConfig;

use super::Line;

/// The most of a discovery document read.
const MAX_DISCOVERY: usize = 256 * 1024;

#[derive(Debug, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: Option<String>,
    token_endpoint: Option<String>,
    end_session_endpoint: Option<String>,
    #[serde(default)]
    code_challenge_methods_supported: Vec<String>,
}

/// The issuer's discovery document, checked.
pub async fn discovery(oidc: &OidcConfig, ca_file: Option<&Path>) -> Line {
    match fetch(oidc, ca_file).await {
        Ok(line) => line,
        Err(error) => Line::fail("oidc-issuer", format!("{}: {error:#}", oidc.issuer_url)),
    }
}

async fn fetch(oidc: &OidcConfig, ca_file: Option<&Path>) -> anyhow::Result<Line> {
    let mut client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(10));
    if let Some(path) = ca_file {
        let pem = std::fs::read(path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        for cert in reqwest::Certificate::from_pem_bundle(&pem)? {
            client = client.add_root_certificate(cert);
        }
    }
    let url = format!("{}/.well-known/openid-configuration", oidc.issuer_url);
    let response =
        client.build()?.get(&url).send().await.map_err(|e| {
            anyhow::anyhow!("cannot read its discovery document: {}", e.without_url())
        })?;
    if !response.status().is_success() {
        anyhow::bail!("its discovery document answered {}", response.status());
    }
    let body = response
        .bytes()
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.without_url()))?;
    if body.len() > MAX_DISCOVERY {
        anyhow::bail!("its discovery document is over {MAX_DISCOVERY} bytes");
    }
    let found: Discovery = serde_json::from_slice(&body)?;
    let mut problems = Vec::new();
    if found.issuer.trim_end_matches('/') != oidc.issuer_url {
        problems.push(format!(
            "it names itself {:?}, not the configured URL (tokens would not match)",
            found.issuer
        ));
    }
    if found.authorization_endpoint.is_none() || found.token_endpoint.is_none() {
        problems.push("it names no authorization or token endpoint".to_owned());
    }
    if !found
        .code_challenge_methods_supported
        .iter()
        .any(|m| m == "S256")
    {
        problems.push(
            "it does not announce PKCE with S256 (code_challenge_methods_supported)".to_owned(),
        );
    }
    if !problems.is_empty() {
        return Ok(Line::fail("oidc-issuer", problems.join("; ")));
    }
    let logout = if found.end_session_endpoint.is_some() {
        "sign-out ends its session"
    } else {
        "it has no end_session_endpoint: sign-out forgets the tab's tokens only"
    };
    Ok(Line::ok(
        "oidc-issuer",
        format!(
            "{} answers discovery with PKCE (S256); {logout}",
            oidc.issuer_url
        ),
    ))
}

/// A token from a file: the token itself, or an ExecCredential (`status.token`), as a
/// kubectl plugin such as kubelogin prints.
pub fn read_token(path: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let text = text.trim();
    if text.starts_with('{') {
        let value: serde_json::Value = serde_json::from_str(text)?;
        return value["status"]["token"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow::anyhow!("{} is JSON without status.token", path.display()));
    }
    Ok(text.to_owned())
}

/// Who the API server sees for `token`, or why it refused it (with the snippet).
pub async fn api_server(config: &kube::Config, oidc: &OidcConfig, token: &str) -> Vec<Line> {
    let mut config = config.clone();
    config.auth_info = Default::default();
    config.auth_info.token = Some(token.to_owned().into());
    let client = match Client::try_from(config) {
        Ok(client) => client,
        Err(error) => return vec![Line::fail("oidc-api-server", format!("{error}"))],
    };
    let minor = match client.apiserver_version().await {
        Ok(version) => shared::support::minor_of(&version.minor),
        Err(_) => None,
    };
    match Api::<SelfSubjectReview>::all(client)
        .create(&PostParams::default(), &SelfSubjectReview::default())
        .await
    {
        Ok(review) => {
            let user = review.status.and_then(|s| s.user_info).unwrap_or_default();
            let groups = user.groups.unwrap_or_default();
            vec![Line::ok(
                "oidc-api-server",
                format!(
                    "the cluster sees the token's holder as {} in groups [{}]",
                    user.username.unwrap_or_default(),
                    groups.join(", ")
                ),
            )]
        }
        Err(kube::Error::Api(status)) if status.code == 401 => {
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            let refusal = shared::oidc::diagnose(token, Some(oidc), now);
            let mut detail = refusal.message();
            if refusal.needs_api_server_config() {
                detail.push_str(&format!(
                    "\n     The API server's --authentication-config for this issuer (add its certificateAuthority if a private CA signs it):\n{}",
                    shared::oidc::authentication_config(oidc, minor)
                        .lines()
                        .map(|l| format!("       {l}"))
                        .collect::<Vec<_>>()
                        .join("\n")
                ));
            }
            vec![Line::fail("oidc-api-server", detail)]
        }
        Err(error) => vec![Line::fail(
            "oidc-api-server",
            format!("the API server did not answer: {error}"),
        )],
    }
}
