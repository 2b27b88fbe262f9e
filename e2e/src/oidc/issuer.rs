//! A small OpenID Connect provider for the local control plane and the tests: discovery,
//! JWKS, the authorization code flow with PKCE (S256 only) for a public client, refresh
//! tokens (rotated on use), RP-initiated logout, and a login form for the users it is
//! given. It serves HTTPS only (the API server accepts no other issuer) and answers
//! loopback redirect URIs only. `POST /mint`, guarded by a secret of its own, signs any
//! claims the tests ask for (an expired token, another audience).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Result;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Value, json};

use super::keys::SigningKey;

/// One user who may sign in.
#[derive(Debug, Clone, Deserialize)]
pub struct User {
    /// The `sub` claim and the login name.
    pub name: String,
    /// The login password.
    pub password: String,
    /// The `groups` claim.
    pub groups: Vec<String>,
}

/// What the issuer is.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Its `iss`, such as `https://127.0.0.1:8443`.
    pub issuer: String,
    /// The one client it serves.
    pub client_id: String,
    /// Who may sign in.
    pub users: Vec<User>,
    /// How long its ID and access tokens live.
    pub token_seconds: u64,
    /// Whether it gives refresh tokens.
    pub refresh: bool,
    /// The bearer secret of `POST /mint`.
    pub mint_secret: String,
}

/// At most this many sessions, codes and refresh tokens are kept (each map).
const MAX_ENTRIES: usize = 10_000;
/// A code is good for this long.
const CODE_SECONDS: u64 = 60;

struct Grant {
    user: String,
    redirect_uri: String,
    challenge: String,
    nonce: Option<String>,
    expires: u64,
}

#[derive(Default)]
struct Books {
    sessions: HashMap<String, String>,
    codes: HashMap<String, Grant>,
    refresh: HashMap<String, String>,
}

struct Inner {
    settings: Settings,
    key: SigningKey,
    books: Mutex<Books>,
}

type Shared = Arc<Inner>;

/// The issuer's routes.
pub fn router(settings: Settings) -> Result<Router> {
    let inner = Arc::new(Inner {
        settings,
        key: SigningKey::generate()?,
        books: Mutex::new(Books::default()),
    });
    Ok(Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/keys", get(keys))
        .route("/authorize", get(authorize))
        .route("/login", post(login))
        .route("/token", post(token))
        .route("/logout", get(logout))
        .route("/mint", post(mint))
        .with_state(inner))
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn random() -> String {
    let mut bytes = [0u8; 24];
    // The system's generator does not fail on Linux; a zeroed value would only weaken a mock.
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Loopback redirect URIs only: the mock serves the local portal and the tests.
fn loopback(uri: &str) -> bool {
    url::Url::parse(uri).is_ok_and(|u| {
        matches!(u.scheme(), "http" | "https")
            && matches!(u.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"))
            && u.fragment().is_none()
    })
}

/// The calling page may read the answer (the token endpoint and discovery are called
/// from the browser).
fn cors(headers: &HeaderMap, mut response: Response) -> Response {
    if let Some(origin) = headers.get(header::ORIGIN) {
        response
            .headers_mut()
            .insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        response
            .headers_mut()
            .insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    response
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

async fn discovery(State(inner): State<Shared>, headers: HeaderMap) -> Response {
    let issuer = &inner.settings.issuer;
    let body = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/keys"),
        "end_session_endpoint": format!("{issuer}/logout"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "code_challenge_methods_supported": ["S256"],
        "grant_types_supported": if inner.settings.refresh {
            json!(["authorization_code", "refresh_token"])
        } else {
            json!(["authorization_code"])
        },
        "scopes_supported": ["openid", "profile", "email", "groups", "offline_access"],
        "token_endpoint_auth_methods_supported": ["none"],
    });
    cors(&headers, axum::Json(body).into_response())
}

async fn keys(State(inner): State<Shared>, headers: HeaderMap) -> Response {
    cors(&headers, axum::Json(inner.key.jwks()).into_response())
}

#[derive(Debug, Deserialize)]
struct AuthorizeQuery {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    scope: Option<String>,
}

fn session_of(inner: &Inner, headers: &HeaderMap) -> Option<String> {
    let cookies = headers.get(header::COOKIE)?.to_str().ok()?;
    let id = cookies
        .split(';')
        .find_map(|c| c.trim().strip_prefix("mock_oidc_session="))?;
    inner.books.lock().ok()?.sessions.get(id).cloned()
}

/// Checks an authorization request; the error page's text when it is not one.
fn check_request(inner: &Inner, q: &AuthorizeQuery) -> Result<(), String> {
    if q.response_type.as_deref() != Some("code") {
        return Err("response_type must be code".into());
    }
    if q.client_id.as_deref() != Some(inner.settings.client_id.as_str()) {
        return Err("unknown client_id".into());
    }
    if !q.redirect_uri.as_deref().is_some_and(loopback) {
        return Err("redirect_uri must be a loopback URL".into());
    }
    if q.code_challenge_method.as_deref() != Some("S256")
        || q.code_challenge.as_deref().is_none_or(str::is_empty)
    {
        return Err("PKCE with S256 is required".into());
    }
    if !q
        .scope
        .as_deref()
        .is_some_and(|s| s.split(' ').any(|s| s == "openid"))
    {
        return Err("the openid scope is required".into());
    }
    Ok(())
}

/// Issues a code for `user` and sends the browser back to the client.
fn redirect_with_code(inner: &Inner, q: &AuthorizeQuery, user: String) -> Response {
    let code = random();
    let redirect_uri = q.redirect_uri.clone().unwrap_or_default();
    if let Ok(mut books) = inner.books.lock() {
        if books.codes.len() >= MAX_ENTRIES {
            books.codes.clear();
        }
        books.codes.insert(
            code.clone(),
            Grant {
                user,
                redirect_uri: redirect_uri.clone(),
                challenge: q.code_challenge.clone().unwrap_or_default(),
                nonce: q.nonce.clone(),
                expires: now() + CODE_SECONDS,
            },
        );
    }
    let Ok(mut target) = url::Url::parse(&redirect_uri) else {
        return (StatusCode::BAD_REQUEST, "bad redirect_uri").into_response();
    };
    target.query_pairs_mut().append_pair("code", &code);
    if let Some(state) = &q.state {
        target.query_pairs_mut().append_pair("state", state);
    }
    Redirect::to(target.as_str()).into_response()
}

async fn authorize(
    State(inner): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<AuthorizeQuery>,
) -> Response {
    if let Err(problem) = check_request(&inner, &q) {
        return (
            StatusCode::BAD_REQUEST,
            Html(format!("<h1>Bad request</h1><p>{}</p>", escape(&problem))),
        )
            .into_response();
    }
    if let Some(user) = session_of(&inner, &headers) {
        return redirect_with_code(&inner, &q, user);
    }
    login_page(&q, None)
}

fn login_page(q: &AuthorizeQuery, problem: Option<&str>) -> Response {
    let hidden = [
        ("response_type", &q.response_type),
        ("client_id", &q.client_id),
        ("redirect_uri", &q.redirect_uri),
        ("state", &q.state),
        ("nonce", &q.nonce),
        ("code_challenge", &q.code_challenge),
        ("code_challenge_method", &q.code_challenge_method),
        ("scope", &q.scope),
    ]
    .iter()
    .filter_map(|(name, value)| {
        value.as_ref().map(|v| {
            format!(
                r#"<input type="hidden" name="{name}" value="{}">"#,
                escape(v)
            )
        })
    })
    .collect::<String>();
    let problem = problem
        .map(|p| format!(r#"<p role="alert" id="problem">{}</p>"#, escape(p)))
        .unwrap_or_default();
    Html(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Local issuer: sign in</title></head>
<body><main><h1>Local issuer</h1>{problem}
<form method="post" action="/login">{hidden}
<label for="username">Username</label> <input id="username" name="username" autocomplete="username">
<label for="password">Password</label> <input id="password" name="password" type="password" autocomplete="current-password">
<button id="login" type="submit">Sign in</button></form></main></body></html>"#
    ))
    .into_response()
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    #[serde(flatten)]
    request: HashMap<String, String>,
}

async fn login(State(inner): State<Shared>, Form(form): Form<LoginForm>) -> Response {
    let field = |name: &str| form.request.get(name).cloned();
    let q = AuthorizeQuery {
        response_type: field("response_type"),
        client_id: field("client_id"),
        redirect_uri: field("redirect_uri"),
        state: field("state"),
        nonce: field("nonce"),
        code_challenge: field("code_challenge"),
        code_challenge_method: field("code_challenge_method"),
        scope: field("scope"),
    };
    if let Err(problem) = check_request(&inner, &q) {
        return (StatusCode::BAD_REQUEST, problem).into_response();
    }
    let known = inner
        .settings
        .users
        .iter()
        .any(|u| u.name == form.username && u.password == form.password);
    if !known {
        return login_page(&q, Some("Wrong username or password."));
    }
    let session = random();
    if let Ok(mut books) = inner.books.lock() {
        if books.sessions.len() >= MAX_ENTRIES {
            books.sessions.clear();
        }
        books
            .sessions
            .insert(session.clone(), form.username.clone());
    }
    let mut response = redirect_with_code(&inner, &q, form.username);
    if let Ok(cookie) = HeaderValue::from_str(&format!(
        "mock_oidc_session={session}; Path=/; HttpOnly; Secure; SameSite=Lax"
    )) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

/// The claims of an ID or access token for `user`.
fn claims(inner: &Inner, user: &str, nonce: Option<&str>) -> Value {
    let groups = inner
        .settings
        .users
        .iter()
        .find(|u| u.name == user)
        .map(|u| u.groups.clone())
        .unwrap_or_default();
    let iat = now();
    let mut claims = json!({
        "iss": inner.settings.issuer, "sub": user, "aud": inner.settings.client_id,
        "iat": iat, "exp": iat + inner.settings.token_seconds,
        "groups": groups, "preferred_username": user, "name": user,
    });
    if let Some(nonce) = nonce {
        claims["nonce"] = json!(nonce);
    }
    claims
}

fn tokens(inner: &Inner, user: &str, nonce: Option<&str>) -> Result<Value> {
    let id_token = inner.key.sign(&claims(inner, user, nonce))?;
    let access_token = inner.key.sign(&claims(inner, user, None))?;
    let mut body = json!({
        "token_type": "Bearer", "id_token": id_token, "access_token": access_token,
        "expires_in": inner.settings.token_seconds, "scope": "openid profile groups",
    });
    if inner.settings.refresh {
        let refresh = random();
        if let Ok(mut books) = inner.books.lock() {
            if books.refresh.len() >= MAX_ENTRIES {
                books.refresh.clear();
            }
            books.refresh.insert(refresh.clone(), user.to_owned());
        }
        body["refresh_token"] = json!(refresh);
    }
    Ok(body)
}

#[derive(Debug, Deserialize)]
struct TokenForm {
    grant_type: String,
    code: Option<String>,
    redirect_uri: Option<String>,
    client_id: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
}

fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
    (43..=128).contains(&verifier.len()) && URL_SAFE_NO_PAD.encode(digest.as_ref()) == challenge
}

async fn token(
    State(inner): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Response {
    let answer = exchange(&inner, form);
    cors(&headers, answer)
}

fn exchange(inner: &Inner, form: TokenForm) -> Response {
    if form.client_id.as_deref() != Some(inner.settings.client_id.as_str()) {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client_id",
        );
    }
    let Ok(mut books) = inner.books.lock() else {
        return oauth_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "poisoned",
        );
    };
    let (user, nonce) = match form.grant_type.as_str() {
        "authorization_code" => {
            let Some(grant) = form.code.as_deref().and_then(|c| books.codes.remove(c)) else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "unknown or used code",
                );
            };
            if grant.expires < now()
                || form.redirect_uri.as_deref() != Some(grant.redirect_uri.as_str())
                || !form
                    .code_verifier
                    .as_deref()
                    .is_some_and(|v| pkce_matches(v, &grant.challenge))
            {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "expired code, other redirect_uri or wrong code_verifier",
                );
            }
            (grant.user, grant.nonce)
        }
        "refresh_token" if inner.settings.refresh => {
            let Some(user) = form
                .refresh_token
                .as_deref()
                .and_then(|r| books.refresh.remove(r))
            else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "unknown or used refresh token",
                );
            };
            (user, None)
        }
        _ => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "unsupported grant_type",
            );
        }
    };
    drop(books);
    match tokens(inner, &user, nonce.as_deref()) {
        Ok(body) => ([(header::CACHE_CONTROL, "no-store")], axum::Json(body)).into_response(),
        Err(_) => oauth_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "cannot sign",
        ),
    }
}

#[derive(Debug, Deserialize)]
struct LogoutQuery {
    client_id: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
}

/// RP-initiated logout: ends the browser's session (and every refresh token of its
/// user), then returns to the client when it names a loopback URI.
async fn logout(
    State(inner): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<LogoutQuery>,
) -> Response {
    let cookie = headers
        .get(header::COOKIE)
        .and_then(|c| c.to_str().ok())
        .and_then(|c| {
            c.split(';')
                .find_map(|c| c.trim().strip_prefix("mock_oidc_session="))
        })
        .map(str::to_owned);
    if let (Some(id), Ok(mut books)) = (cookie, inner.books.lock())
        && let Some(user) = books.sessions.remove(&id)
    {
        books.refresh.retain(|_, u| *u != user);
    }
    let expire = [(
        header::SET_COOKIE,
        "mock_oidc_session=; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age=0",
    )];
    match q.post_logout_redirect_uri.filter(|u| loopback(u)) {
        Some(uri) if q.client_id.as_deref() == Some(inner.settings.client_id.as_str()) => {
            let Ok(mut target) = url::Url::parse(&uri) else {
                return (StatusCode::BAD_REQUEST, "bad post_logout_redirect_uri").into_response();
            };
            if let Some(state) = q.state {
                target.query_pairs_mut().append_pair("state", &state);
            }
            (expire, Redirect::to(target.as_str())).into_response()
        }
        _ => (expire, Html("<h1>Signed out</h1>")).into_response(),
    }
}

#[derive(Debug, Deserialize)]
struct MintRequest {
    sub: String,
    #[serde(default)]
    groups: Vec<String>,
    aud: Option<String>,
    /// Seconds from now; negative for a token that has expired.
    expires_in: i64,
}

async fn mint(
    State(inner): State<Shared>,
    headers: HeaderMap,
    axum::Json(m): axum::Json<MintRequest>,
) -> Response {
    let expected = format!("Bearer {}", inner.settings.mint_secret);
    let given = headers.get(header::AUTHORIZATION).map(|v| v.as_bytes());
    if inner.settings.mint_secret.is_empty() || given != Some(expected.as_bytes()) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let iat = now()
        .saturating_add_signed(m.expires_in.min(0))
        .saturating_sub(60);
    let exp = now().saturating_add_signed(m.expires_in);
    let claims = json!({
        "iss": inner.settings.issuer, "sub": m.sub, "groups": m.groups,
        "aud": m.aud.unwrap_or_else(|| inner.settings.client_id.clone()),
        "iat": iat, "nbf": iat, "exp": exp,
    });
    match inner.key.sign(&claims) {
        Ok(token) => token.into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
