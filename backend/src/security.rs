//! Security headers for every response, with a Content-Security-Policy that allows the
//! app's own WebAssembly and inline start-up script and nothing external.

use axum::http::{HeaderName, HeaderValue, header};

/// Returns the Content-Security-Policy for an app whose `index.html` is `index_html`:
/// same-origin only, `'wasm-unsafe-eval'` for the WebAssembly module, and the SHA-256
/// hash of each inline `<script>` (Trunk's loader).
pub fn content_security_policy(index_html: &str, connect: &[String]) -> String {
    use base64::Engine;
    let mut script_src = String::from("'self' 'wasm-unsafe-eval'");
    for script in inline_scripts(index_html) {
        let digest = ring::digest::digest(&ring::digest::SHA256, script.as_bytes());
        let hash = base64::engine::general_purpose::STANDARD.encode(digest.as_ref());
        script_src.push_str(&format!(" 'sha256-{hash}'"));
    }
    // The OpenID Connect issuer's origins (discovery and the token endpoint), validated
    // https origins (config::oidc).
    let connect_src: String = std::iter::once("'self'")
        .chain(connect.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ");
    format!(
        "default-src 'self'; script-src {script_src}; style-src 'self'; connect-src {connect_src}; \
         img-src 'self' data: blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
}

/// Returns the bodies of the `<script>` elements without a `src` attribute.
fn inline_scripts(html: &str) -> Vec<&str> {
    let mut scripts = Vec::new();
    let lower = html.to_ascii_lowercase();
    let mut from = 0;
    while let Some(start) = lower[from..].find("<script").map(|i| i + from) {
        let Some(tag_end) = lower[start..].find('>').map(|i| i + start) else {
            break;
        };
        let Some(close) = lower[tag_end..].find("</script").map(|i| i + tag_end) else {
            break;
        };
        if !lower[start..tag_end].contains(" src") {
            scripts.push(&html[tag_end + 1..close]);
        }
        from = close;
    }
    scripts
}

/// The policy of a response that is neither a page nor a script (WebAssembly, styles,
/// the API's JSON, images, metrics): were it opened as a page, nothing in it could run,
/// load or be framed. Short, too: the app's policy on every asset cost ~450 bytes each.
pub const SUBRESOURCE_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

/// Returns whether a response of `content_type` needs the app's policy: a page, a script
/// (a worker runs under its script's policy: it imports the glue and compiles the
/// WebAssembly), or a response with no type — a `304` revalidating a page updates the
/// page's stored headers, so it must carry the page's policy.
pub fn needs_app_policy(content_type: Option<&HeaderValue>) -> bool {
    let Some(essence) = content_type
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
    else {
        return true;
    };
    // Compared in place: this runs for every response.
    let essence = essence.trim().as_bytes();
    let ends_with = |suffix: &[u8]| {
        essence.len() >= suffix.len()
            && essence[essence.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
    };
    essence.eq_ignore_ascii_case(b"text/html")
        || ends_with(b"javascript")
        || ends_with(b"ecmascript")
}

/// Returns the app's Content-Security-Policy as a header value ([`content_security_policy`]).
pub fn app_policy(index_html: &str, connect: &[String]) -> HeaderValue {
    HeaderValue::from_str(&content_security_policy(index_html, connect))
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'"))
}

/// Returns the headers other than the policy set on every response that does not set
/// them itself.
pub fn headers() -> Vec<(HeaderName, HeaderValue)> {
    vec![
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_allowed_by_hash_and_external_ones_are_not_hashed() {
        let html = r#"<html><script src="/a.js"></script><script type="module">import init from '/x.js';init();</script></html>"#;
        let csp = content_security_policy(html, &[]);
        // echo -n "import init from '/x.js';init();" | openssl dgst -sha256 -binary | base64
        let expected = {
            use base64::Engine;
            let d =
                ring::digest::digest(&ring::digest::SHA256, b"import init from '/x.js';init();");
            base64::engine::general_purpose::STANDARD.encode(d.as_ref())
        };
        assert!(csp.contains(&format!("'sha256-{expected}'")), "{csp}");
        assert_eq!(csp.matches("'sha256-").count(), 1, "{csp}");
        assert!(
            csp.contains("'wasm-unsafe-eval'") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
    }

    #[test]
    fn pages_scripts_and_untyped_answers_get_the_app_policy_and_nothing_else_does() {
        let typed = |t: &'static str| needs_app_policy(Some(&HeaderValue::from_static(t)));
        assert!(needs_app_policy(None));
        for app in [
            "text/html",
            "text/html; charset=utf-8",
            "TEXT/HTML",
            "text/javascript",
            "application/javascript",
        ] {
            assert!(typed(app), "{app}");
        }
        for other in [
            "application/wasm",
            "text/css",
            "application/json",
            "image/svg+xml",
            "text/plain",
            "text/html-sandboxed",
            "",
        ] {
            assert!(!typed(other), "{other}");
        }
    }
}
