//! The browser apps from `--static-dir` (the request form's, a request's status page
//! under `/requests`, the approvers' under `/admin`, the file tools under `/inspect` and
//! `/bench`): each file served in the brotli or gzip copy the
//! build wrote beside it (`scripts/precompress.sh`) when the browser accepts it, with
//! the `Content-Encoding` and `Vary: Accept-Encoding` that say so; and cached by what
//! its name says — a file whose name carries Trunk's content hash never changes
//! (`immutable`, a year), anything else (`index.html`, the app's own routes, the key
//! worker's fixed names) is revalidated on every visit (`no-cache`).

use std::path::Path;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::services::{ServeDir, ServeFile};

/// `Cache-Control` of a file whose name carries its content's hash.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// `Cache-Control` of everything else the app is made of.
pub const REVALIDATE: &str = "no-cache";

/// The apps the frontend build writes, each a bundle of its own: (URL prefix, directory
/// under the static dir). The request form's app is the static dir itself, for every
/// other path.
pub const APPS: [(&str, &str); 5] = [
    ("/requests", "requests"),
    ("/start", "start"),
    ("/admin", "admin"),
    ("/inspect", "inspect"),
    ("/bench", "inspect"),
];

/// The static files of `dir` (precompressed copies preferred), with `page` for any
/// path that is not a file (the app's own routes).
fn app(dir: &Path, page: &Path) -> ServeDir<ServeFile> {
    let index = ServeFile::new(page).precompressed_br().precompressed_gzip();
    ServeDir::new(dir)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(index)
}

/// The directory under the static dir holding the credential plugin's builds, served
/// as they are under `/downloads/` (a missing file is 404, never the app).
pub const DOWNLOADS: &str = "downloads";

/// The plugin's builds in the static dir's `downloads/` (`kubectl-certdesk-<platform>`),
/// each with its SHA-256, for the portal configuration.
pub fn plugin_downloads(static_dir: &Path) -> Vec<shared::PluginDownload> {
    let Ok(entries) = std::fs::read_dir(static_dir.join(DOWNLOADS)) else {
        return Vec::new();
    };
    let mut downloads: Vec<shared::PluginDownload> = entries
        .flatten()
        .filter_map(|entry| {
            let file = entry.file_name().into_string().ok()?;
            let platform = file.strip_prefix("kubectl-certdesk-")?;
            if platform.contains('.') {
                return None;
            }
            let bytes = std::fs::read(entry.path()).ok()?;
            let digest = ring::digest::digest(&ring::digest::SHA256, &bytes);
            Some(shared::PluginDownload {
                platform: platform.to_owned(),
                file: file.clone(),
                sha256: data_encoding::HEXLOWER.encode(digest.as_ref()),
            })
        })
        .collect();
    downloads.sort_by(|a, b| a.platform.cmp(&b.platform));
    downloads
}

/// Serves the five apps: a request's status page under `/requests`, the whole request
/// form under `/start`, the approvers' under `/admin`, the file tools under `/inspect`
/// and `/bench`, and the first visit's request form everywhere else — or, on an install
/// with peers (`whole_form_first`), the whole form's page there too, so its choice of
/// clusters is on the first page without a second load; and the plugin's builds under
/// `/downloads`.
pub fn service(static_dir: &Path, whole_form_first: bool) -> Router {
    let mut router =
        Router::new().nest_service("/downloads", ServeDir::new(static_dir.join(DOWNLOADS)));
    for (prefix, dir) in APPS {
        let dir = static_dir.join(dir);
        router = router.nest_service(prefix, app(&dir, &dir.join("index.html")));
    }
    let first_page = if whole_form_first {
        static_dir.join("start").join("index.html")
    } else {
        static_dir.join("index.html")
    };
    // `/` itself is a directory: its `index.html` would be served before the fallback.
    let first = app(static_dir, &first_page).append_index_html_on_directories(!whole_form_first);
    router.fallback_service(first)
}

/// The `index.html` of every app (for the security headers' script hashes).
pub fn index_pages(static_dir: &Path) -> String {
    let mut dirs = vec![static_dir.to_path_buf()];
    dirs.extend(APPS.iter().map(|(_, dir)| static_dir.join(dir)));
    dirs.dedup();
    dirs.iter()
        .map(|dir| std::fs::read_to_string(dir.join("index.html")).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether the last path segment carries a Trunk content hash: `name-<hex>.ext` or
/// `name-<hex>_bg.wasm`, the hash 12 to 16 lower-case hex digits.
pub fn is_hashed(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or_default();
    let Some((stem, _extension)) = file.rsplit_once('.') else {
        return false;
    };
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    let Some((_, hash)) = stem.rsplit_once('-') else {
        return false;
    };
    (12..=16).contains(&hash.len())
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Sets `Cache-Control` on the static app's answers — a hashed file: immutable;
/// anything else: revalidate — and `Vary: Accept-Encoding` (the same URL is served in
/// three encodings). A hashed name the build does not hold (a page from before a
/// deploy asking for an old bundle) is 404, never the app's fallback page, which a
/// cache would otherwise keep for a year under a script's name.
pub async fn cache_control(request: Request, next: Next) -> Response {
    let hashed = is_hashed(request.uri().path());
    let mut response = next.run(request).await;
    let fallback_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if hashed && fallback_page {
        response = StatusCode::NOT_FOUND.into_response();
    }
    let value = if hashed && response.status().is_success() {
        IMMUTABLE
    } else {
        REVALIDATE
    };
    let headers = response.headers_mut();
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static(value));
    headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    response
}

#[cfg(test)]
mod tests {
    use super::is_hashed;

    #[test]
    fn trunk_hashed_names_are_told_from_fixed_ones() {
        for hashed in [
            "/frontend-ccc6883a27199495.js",
            "/frontend-ccc6883a27199495_bg.wasm",
            "/style-7ae8813f15a72ad.css",
        ] {
            assert!(is_hashed(hashed), "{hashed}");
        }
        for fixed in [
            "/",
            "/index.html",
            "/keygen-worker.js",
            "/keygen-worker_bg.wasm",
            "/request/certdesk-minjun-abc",
            "/admin",
            "/frontend-CCC6883A27199495.js",
            "/a-123.js",
        ] {
            assert!(!is_hashed(fixed), "{fixed}");
        }
    }
}
