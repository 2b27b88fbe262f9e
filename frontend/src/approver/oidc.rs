//! The OpenID Connect authorization code flow with PKCE, the page being a public client:
//! no client secret, no server-side session. State, nonce and the PKCE verifier wait in
//! this tab's `sessionStorage` while the browser is at the issuer; the redirect URI is
//! exactly `<origin>/admin/signed-in`; the code leaves the address bar as soon as the
//! page reads it; tokens go only to CertDesk's API in the `Authorization` header.
//! Sign-out names the client (never a token) to the issuer's `end_session_endpoint`.

use std::cell::RefCell;

use gloo_net::http::Request;
use serde::{Deserialize, Serialize};
use shared::oidc::{OidcConfig, TokenKind};
use shared::{ApiError, ErrorCode};

use super::storage;

/// The path the issuer sends the browser back to.
pub const REDIRECT_PATH: &str = "/admin/signed-in";

/// What the page needs of the issuer's discovery document.
#[derive(Debug, Clone, Deserialize)]
pub struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    end_session_endpoint: Option<String>,
}

thread_local! {
    /// The configuration and discovery document, read once a page load.
    static KNOWN: RefCell<Option<(OidcConfig, Discovery)>> = const { RefCell::new(None) };
}

fn failed(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::SignInFailed, message)
}

fn origin() -> String {
    web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default()
}

/// This page's path and query (where a sign-in returns to).
pub fn here() -> String {
    let location = web_sys::window().map(|w| w.location());
    let path = location
        .as_ref()
        .and_then(|l| l.pathname().ok())
        .unwrap_or_default();
    let search = location
        .as_ref()
        .and_then(|l| l.search().ok())
        .unwrap_or_default();
    format!("{path}{search}")
}

/// A path of the approvers' app, or `/admin`: a sign-in never returns elsewhere.
fn safe_return(path: &str) -> String {
    let ours = (path == "/admin" || path.starts_with("/admin/") || path.starts_with("/admin?"))
        && !path.starts_with(REDIRECT_PATH)
        && !path.contains("//")
        && !path.contains('\\')
        && !path.chars().any(char::is_control);
    if ours {
        path.to_owned()
    } else {
        "/admin".to_owned()
    }
}

fn encode(value: &str) -> String {
    String::from(js_sys::encode_uri_component(value))
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// 32 random bytes from the browser's CSPRNG, base64url (a verifier, state or nonce).
fn random() -> Result<String, ApiError> {
    use base64::Engine as _;
    let mut bytes = [0u8; 32];
    web_sys::window()
        .and_then(|w| w.crypto().ok())
        .and_then(|c| c.get_random_values_with_u8_array(&mut bytes).ok())
        .ok_or_else(|| {
            failed("This browser offers no secure random numbers (crypto.getRandomValues).")
        })?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// The operator's issuer and its discovery document.
async fn known() -> Result<(OidcConfig, Discovery), ApiError> {
    if let Some(known) = KNOWN.with(|k| k.borrow().clone()) {
        return Ok(known);
    }
    let config = crate::api::config().await?.oidc.ok_or_else(|| {
        failed("This CertDesk offers no OpenID Connect sign-in; paste a token instead.")
    })?;
    let url = format!("{}/.well-known/openid-configuration", config.issuer_url);
    let unreachable = |e: gloo_net::Error| {
        failed(format!(
            "The issuer {} could not be reached ({e}); it must answer this page's origin (CORS).",
            config.issuer_url
        ))
    };
    let response = Request::get(&url).send().await.map_err(unreachable)?;
    if !response.ok() {
        return Err(failed(format!(
            "The issuer's discovery document answered {}.",
            response.status()
        )));
    }
    let discovery: Discovery = response.json().await.map_err(unreachable)?;
    if discovery.issuer.trim_end_matches('/') != config.issuer_url {
        return Err(failed(format!(
            "The issuer names itself {}, not {}: the operator's --oidc-issuer-url is wrong.",
            discovery.issuer, config.issuer_url
        )));
    }
    KNOWN.with(|k| *k.borrow_mut() = Some((config.clone(), discovery.clone())));
    Ok((config, discovery))
}

/// A sign-in under way, kept in this tab while the browser is at the issuer.
#[derive(Debug, Serialize, Deserialize)]
struct Pending {
    state: String,
    nonce: String,
    verifier: String,
    return_to: String,
}

/// Sends the browser to the issuer's sign-in; it comes back to [`REDIRECT_PATH`].
pub async fn begin(return_to: &str) -> Result<(), ApiError> {
    let (config, discovery) = known().await?;
    let pending = Pending {
        state: random()?,
        nonce: random()?,
        verifier: random()?,
        return_to: safe_return(return_to),
    };
    let json = serde_json::to_string(&pending).map_err(|e| failed(e.to_string()))?;
    storage::set(storage::PENDING_KEY, &json).map_err(failed)?;
    let challenge = shared::oidc::pkce_challenge(&pending.verifier);
    let redirect_uri = format!("{}{REDIRECT_PATH}", origin());
    let scope = config.scopes.join(" ");
    let query = form(&[
        ("response_type", "code"),
        ("client_id", &config.client_id),
        ("redirect_uri", &redirect_uri),
        ("scope", &scope),
        ("state", &pending.state),
        ("nonce", &pending.nonce),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ]);
    let separator = if discovery.authorization_endpoint.contains('?') {
        '&'
    } else {
        '?'
    };
    let target = format!("{}{separator}{query}", discovery.authorization_endpoint);
    web_sys::window()
        .ok_or_else(|| failed("no window"))?
        .location()
        .assign(&target)
        .map_err(|_| failed("The browser refused to go to the issuer."))
}

#[derive(Debug, Deserialize)]
struct TokenAnswer {
    id_token: Option<String>,
    access_token: Option<String>,
    refresh_token: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

async fn token_request(body: String) -> Result<TokenAnswer, ApiError> {
    let (_, discovery) = known().await?;
    let response = Request::post(&discovery.token_endpoint)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
        .map_err(|e| failed(e.to_string()))?
        .send()
        .await
        .map_err(|e| failed(format!("The issuer's token endpoint could not be reached ({e}); it must answer this page's origin (CORS).")))?;
    let answer: TokenAnswer = response.json().await.map_err(|e| {
        failed(format!(
            "The issuer's token endpoint answered no JSON ({e})."
        ))
    })?;
    if let Some(error) = &answer.error {
        return Err(failed(format!(
            "The issuer refused: {error}{}",
            answer
                .error_description
                .as_deref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        )));
    }
    Ok(answer)
}

/// The token the API server gets (as configured), checked against what the page asked:
/// the ID token's issuer, audience and, on sign-in, nonce.
fn chosen(
    config: &OidcConfig,
    answer: &TokenAnswer,
    nonce: Option<&str>,
) -> Result<String, ApiError> {
    let id_token = answer
        .id_token
        .as_deref()
        .ok_or_else(|| failed("The issuer sent no ID token."))?;
    let claims = shared::oidc::read_claims(id_token)
        .ok_or_else(|| failed("The issuer's ID token is not a JWT."))?;
    if claims.issuer.as_deref().map(|i| i.trim_end_matches('/')) != Some(config.issuer_url.as_str())
    {
        return Err(failed("The ID token comes from another issuer."));
    }
    if !claims.audience.contains(&config.client_id) {
        return Err(failed("The ID token is not for this client."));
    }
    if let Some(nonce) = nonce
        && claims.nonce.as_deref() != Some(nonce)
    {
        return Err(failed(
            "The ID token's nonce is not the one this tab asked for: sign in again.",
        ));
    }
    match config.token {
        TokenKind::IdToken => Ok(id_token.to_owned()),
        TokenKind::AccessToken => answer
            .access_token
            .clone()
            .ok_or_else(|| failed("The issuer sent no access token.")),
    }
}

/// Completes the sign-in on [`REDIRECT_PATH`]: returns the token, the refresh token
/// (if any) and the page to return to.
pub async fn finish() -> Result<(String, Option<String>, String), ApiError> {
    let window = web_sys::window().ok_or_else(|| failed("no window"))?;
    let search = window.location().search().unwrap_or_default();
    // The code leaves the address bar (and the history) at once.
    let _ = window.history().and_then(|h| {
        h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(REDIRECT_PATH))
    });
    let params = web_sys::UrlSearchParams::new_with_str(&search)
        .map_err(|_| failed("The address holds no answer."))?;
    let pending = storage::get(storage::PENDING_KEY);
    storage::remove(storage::PENDING_KEY);
    let pending: Pending = pending
        .and_then(|p| serde_json::from_str(&p).ok())
        .ok_or_else(|| {
            failed("This tab started no sign-in (or it was already used): sign in again.")
        })?;
    if let Some(error) = params.get("error") {
        let description = params.get("error_description").unwrap_or_default();
        return Err(failed(format!(
            "The issuer refused the sign-in: {error} {description}"
        )));
    }
    if params.get("state").as_deref() != Some(pending.state.as_str()) {
        return Err(failed(
            "The answer's state is not the one this tab sent: sign in again.",
        ));
    }
    let code = params
        .get("code")
        .ok_or_else(|| failed("The issuer sent no code."))?;
    let (config, _) = known().await?;
    let redirect_uri = format!("{}{REDIRECT_PATH}", origin());
    let answer = token_request(form(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", &redirect_uri),
        ("client_id", &config.client_id),
        ("code_verifier", &pending.verifier),
    ]))
    .await?;
    let token = chosen(&config, &answer, Some(&pending.nonce))?;
    Ok((token, answer.refresh_token, safe_return(&pending.return_to)))
}

/// A new token for a refresh token (and the issuer's next refresh token, if it rotates).
pub async fn refresh(refresh_token: &str) -> Result<(String, Option<String>), ApiError> {
    let (config, _) = known().await?;
    let answer = token_request(form(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
        ("client_id", &config.client_id),
    ]))
    .await?;
    let token = chosen(&config, &answer, None)?;
    let next = answer
        .refresh_token
        .or_else(|| Some(refresh_token.to_owned()));
    Ok((token, next))
}

/// Ends the issuer's session and comes back to `/admin` (or goes there at once when the
/// issuer has no `end_session_endpoint`). The page's own credential is already gone.
pub async fn end_session() {
    let back = format!("{}/admin", origin());
    let target = match known().await {
        Ok((
            config,
            Discovery {
                end_session_endpoint: Some(end),
                ..
            },
        )) => {
            let separator = if end.contains('?') { '&' } else { '?' };
            format!(
                "{end}{separator}{}",
                form(&[
                    ("client_id", &config.client_id),
                    ("post_logout_redirect_uri", &back)
                ])
            )
        }
        _ => back,
    };
    if let Some(window) = web_sys::window() {
        // replace: the signed-in page leaves the history.
        let _ = window.location().replace(&target);
    }
}

#[cfg(test)]
mod tests {
    use super::safe_return;

    #[test]
    fn a_sign_in_returns_only_to_the_approvers_app() {
        assert_eq!(
            safe_return("/admin/requests?status=pending"),
            "/admin/requests?status=pending"
        );
        for hostile in [
            "https://evil.example/",
            "//evil.example/admin",
            "/admin/..//evil",
            "/\\evil",
            "/inspect",
            "/admin/signed-in?code=x",
            "/adminx",
        ] {
            assert_eq!(safe_return(hostile), "/admin", "{hostile}");
        }
    }
}
