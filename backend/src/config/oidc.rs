//! Approvers' sign-in with OpenID Connect: the issuer and the public client the approvers'
//! page is. CertDesk holds no client secret and no session: the page signs in with PKCE
//! and sends the token to CertDesk, which forwards it to the API server (the one judge).

use shared::oidc::{OidcConfig, TokenKind};

use super::ConfigError;

/// The `--oidc-*` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct OidcArgs {
    /// Offer approvers "Sign in with …" this OpenID Connect issuer (its `iss`, HTTPS). The
    /// API server must trust it (--authentication-config); without this flag approvers
    /// paste a token.
    #[arg(long, global = true, env = "CERTDESK_OIDC_ISSUER_URL")]
    pub oidc_issuer_url: Option<String>,

    /// The issuer's client ID for CertDesk: a public client (no secret) whose redirect
    /// URI is `<CertDesk's URL>/admin/signed-in` exactly.
    #[arg(
        long,
        global = true,
        env = "CERTDESK_OIDC_CLIENT_ID",
        requires = "oidc_issuer_url"
    )]
    pub oidc_client_id: Option<String>,

    /// The issuer's name on the sign-in button (default: its host).
    #[arg(
        long,
        global = true,
        env = "CERTDESK_OIDC_DISPLAY_NAME",
        requires = "oidc_issuer_url"
    )]
    pub oidc_display_name: Option<String>,

    /// The scopes asked for (`openid` is always added); add `offline_access` for refresh
    /// tokens where the issuer wants it.
    #[arg(
        long,
        global = true,
        env = "CERTDESK_OIDC_SCOPES",
        value_delimiter = ',',
        default_value = "openid,profile,email,groups,offline_access"
    )]
    pub oidc_scopes: Vec<String>,

    /// Which token the page sends to the API server.
    #[arg(
        long,
        global = true,
        env = "CERTDESK_OIDC_TOKEN",
        value_enum,
        default_value = "id-token"
    )]
    pub oidc_token: OidcToken,

    /// The audience the API server expects (default: the client ID).
    #[arg(
        long,
        global = true,
        env = "CERTDESK_OIDC_AUDIENCE",
        requires = "oidc_issuer_url"
    )]
    pub oidc_audience: Option<String>,

    /// The claim the API server takes the username from (shown to approvers and in the
    /// suggested AuthenticationConfiguration; the API server's own setting decides).
    #[arg(
        long,
        global = true,
        env = "CERTDESK_OIDC_USERNAME_CLAIM",
        default_value = "sub"
    )]
    pub oidc_username_claim: String,

    /// The prefix the API server puts before usernames.
    #[arg(
        long,
        global = true,
        env = "CERTDESK_OIDC_USERNAME_PREFIX",
        default_value = "oidc:"
    )]
    pub oidc_username_prefix: String,

    /// The claim the API server takes groups from.
    #[arg(
        long,
        global = true,
        env = "CERTDESK_OIDC_GROUPS_CLAIM",
        default_value = "groups"
    )]
    pub oidc_groups_claim: String,

    /// The prefix the API server puts before groups.
    #[arg(
        long,
        global = true,
        env = "CERTDESK_OIDC_GROUPS_PREFIX",
        default_value = "oidc:"
    )]
    pub oidc_groups_prefix: String,

    /// Further origins the page may call besides the issuer's (its token endpoint when
    /// that lives elsewhere, as Google's does), comma-separated.
    #[arg(
        long,
        global = true,
        env = "CERTDESK_OIDC_CONNECT_ORIGINS",
        value_delimiter = ',',
        requires = "oidc_issuer_url"
    )]
    pub oidc_connect_origins: Vec<String>,
}

/// `--oidc-token`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OidcToken {
    /// The ID token.
    IdToken,
    /// The access token (when the issuer's access tokens are JWTs for the API server).
    AccessToken,
}

/// The OIDC settings, checked.
#[derive(Debug, Clone)]
pub struct Oidc {
    /// What the page is told.
    pub config: OidcConfig,
    /// The origins the page may call (the Content-Security-Policy's `connect-src`).
    pub connect_origins: Vec<String>,
}

fn problem(message: impl Into<String>) -> ConfigError {
    ConfigError::Oidc(message.into())
}

/// `scheme://host[:port]` of an HTTPS URL without query, fragment or user info.
fn https_origin(flag: &str, url: &str) -> Result<String, ConfigError> {
    let uri: axum::http::Uri = url
        .parse()
        .map_err(|_| problem(format!("{flag} {url:?} is not a URL")))?;
    let authority = uri.authority().map(|a| a.as_str()).unwrap_or_default();
    if uri.scheme_str() != Some("https")
        || authority.is_empty()
        || authority.contains('@')
        || uri.query().is_some()
        || url.contains('#')
    {
        return Err(problem(format!(
            "{flag} {url:?} must be an https:// URL without user, query or fragment (the API server accepts no other issuer)"
        )));
    }
    Ok(format!("https://{authority}"))
}

fn bounded(flag: &str, value: &str, max: usize) -> Result<String, ConfigError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(problem(format!(
            "{flag} must be 1 to {max} characters without control characters"
        )));
    }
    Ok(value.to_owned())
}

impl OidcArgs {
    /// The checked settings, or `None` when no issuer is configured.
    pub fn validate(&self) -> Result<Option<Oidc>, ConfigError> {
        let Some(issuer) = &self.oidc_issuer_url else {
            return Ok(None);
        };
        let issuer = issuer.trim().to_owned();
        let origin = https_origin("--oidc-issuer-url", &issuer)?;
        let client_id = self.oidc_client_id.as_deref().ok_or_else(|| {
            problem("--oidc-issuer-url needs --oidc-client-id (CERTDESK_OIDC_CLIENT_ID)")
        })?;
        let client_id = bounded("--oidc-client-id", client_id, 256)?;
        let display_name = match &self.oidc_display_name {
            Some(name) => bounded("--oidc-display-name", name, 80)?,
            None => origin.trim_start_matches("https://").to_owned(),
        };
        let mut scopes = vec!["openid".to_owned()];
        for scope in &self.oidc_scopes {
            let scope = scope.trim();
            if scope.is_empty() || scope == "openid" {
                continue;
            }
            if scope.len() > 100
                || !scope
                    .chars()
                    .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\')
            {
                return Err(problem(format!("--oidc-scopes: {scope:?} is not a scope")));
            }
            if !scopes.iter().any(|s| s == scope) {
                scopes.push(scope.to_owned());
            }
        }
        let audience = match &self.oidc_audience {
            Some(audience) => bounded("--oidc-audience", audience, 256)?,
            None => client_id.clone(),
        };
        let mut connect_origins = vec![origin];
        for extra in &self.oidc_connect_origins {
            connect_origins.push(https_origin("--oidc-connect-origins", extra.trim())?);
        }
        Ok(Some(Oidc {
            config: OidcConfig {
                issuer_url: issuer.trim_end_matches('/').to_owned(),
                display_name,
                client_id,
                scopes,
                token: match self.oidc_token {
                    OidcToken::IdToken => TokenKind::IdToken,
                    OidcToken::AccessToken => TokenKind::AccessToken,
                },
                audience,
                username_claim: bounded("--oidc-username-claim", &self.oidc_username_claim, 100)?,
                username_prefix: self.oidc_username_prefix.clone(),
                groups_claim: bounded("--oidc-groups-claim", &self.oidc_groups_claim, 100)?,
                groups_prefix: self.oidc_groups_prefix.clone(),
            },
            connect_origins,
        }))
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::config::Config;

    fn parse(args: &[&str]) -> Result<Option<super::Oidc>, String> {
        let mut all = vec!["certdesk"];
        all.extend_from_slice(args);
        let config = Config::try_parse_from(all).map_err(|e| e.to_string())?;
        config.oidc.validate().map_err(|e| e.to_string())
    }

    #[test]
    fn off_without_an_issuer_and_checked_with_one() {
        assert!(parse(&[]).unwrap().is_none());
        let oidc = parse(&[
            "--oidc-issuer-url",
            "https://id.example.com/realms/x/",
            "--oidc-client-id",
            "certdesk",
            "--oidc-scopes",
            "groups,openid,groups",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(oidc.config.issuer_url, "https://id.example.com/realms/x");
        assert_eq!(oidc.config.scopes, ["openid", "groups"]);
        assert_eq!(oidc.config.audience, "certdesk");
        assert_eq!(oidc.config.display_name, "id.example.com");
        assert_eq!(oidc.connect_origins, ["https://id.example.com"]);
        for bad in [
            "http://id.example.com",
            "https://u@id.example.com",
            "https://id.example.com/?a=b",
            "https://id.example.com/#x",
            "not a url",
        ] {
            assert!(
                parse(&["--oidc-issuer-url", bad, "--oidc-client-id", "c"]).is_err(),
                "{bad}"
            );
        }
        assert!(
            parse(&["--oidc-issuer-url", "https://id.example.com"])
                .unwrap_err()
                .contains("--oidc-client-id")
        );
        assert!(
            parse(&[
                "--oidc-issuer-url",
                "https://i.example",
                "--oidc-client-id",
                "c",
                "--oidc-scopes",
                "a\"b"
            ])
            .is_err()
        );
    }
}
