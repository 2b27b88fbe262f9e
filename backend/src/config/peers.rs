//! The CertDesk installs of other clusters this one federates with: the browser sends a
//! cluster's requests and decisions to that cluster's own CertDesk, so each install
//! lists its peers (name, public URL, display order, default selection), tells the
//! page of them in `/api/v1/config`, and lets exactly their origins call the API routes
//! a peer's page needs (CORS, never with credentials).

use serde::Deserialize;
use shared::Peer;

use super::ConfigError;

/// At most this many peers.
pub const MAX_PEERS: usize = 32;

/// The `--peers` flag.
#[derive(Debug, Clone, clap::Args)]
pub struct PeerArgs {
    /// The CertDesk installs of the other clusters, as JSON: `[{"name": "staging", "url":
    /// "https://certdesk.staging.example.com", "order": 1, "default": true}]`. Names are
    /// the clusters' names in the merged kubeconfig (lower-case letters, digits, `-`);
    /// URLs are origins (https, or http on loopback for local runs). Each peer must list
    /// this install back. The request form then offers every cluster and the approvers'
    /// `/admin/clusters` lists every cluster's requests.
    #[arg(long, env = "CERTDESK_PEERS")]
    pub peers: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Given {
    name: String,
    url: String,
    #[serde(default)]
    order: Option<i32>,
    #[serde(default)]
    default: bool,
}

fn problem(message: impl Into<String>) -> ConfigError {
    ConfigError::Peers(message.into())
}

/// The URL's origin (`scheme://host[:port]`) when it is one: https, or http on loopback.
fn origin(url: &str) -> Option<String> {
    let uri: axum::http::Uri = url.trim_end_matches('/').parse().ok()?;
    let authority = uri.authority()?.as_str();
    let path_empty = uri.path().is_empty() || uri.path() == "/";
    if authority.contains('@') || uri.query().is_some() || url.contains('#') || !path_empty {
        return None;
    }
    let host = uri.host()?;
    let loopback = matches!(host, "127.0.0.1" | "localhost" | "[::1]");
    match uri.scheme_str()? {
        "https" => Some(format!("https://{}", authority.to_ascii_lowercase())),
        "http" if loopback => Some(format!("http://{}", authority.to_ascii_lowercase())),
        _ => None,
    }
}

impl PeerArgs {
    /// The peers, checked (none without the flag).
    pub fn validate(&self, own_name: &str) -> Result<Vec<Peer>, ConfigError> {
        let Some(json) = &self.peers else {
            return Ok(Vec::new());
        };
        let given: Vec<Given> = serde_json::from_str(json).map_err(|e| {
            problem(format!(
                "--peers (CERTDESK_PEERS) is not a JSON list of peers: {e}"
            ))
        })?;
        if given.len() > MAX_PEERS {
            return Err(problem(format!(
                "--peers lists {} peers; at most {MAX_PEERS}",
                given.len()
            )));
        }
        let mut peers: Vec<Peer> = Vec::with_capacity(given.len());
        for peer in given {
            // A cluster name usable in a kubeconfig's names.
            if !shared::identity::is_dns_label(&peer.name) {
                return Err(problem(format!(
                    "--peers: {:?} is not a cluster name (1-63 lower-case letters, digits or '-')",
                    peer.name.chars().take(80).collect::<String>()
                )));
            }
            let url = origin(&peer.url).ok_or_else(|| {
                problem(format!(
                    "--peers: {}'s url must be an origin such as https://certdesk.example.com (http only on loopback), without path, query or user",
                    peer.name
                ))
            })?;
            if peer.name == own_name {
                return Err(problem(format!(
                    "--peers: {} is this install's own --cluster-name",
                    peer.name
                )));
            }
            if peers.iter().any(|p| p.name == peer.name || p.url == url) {
                return Err(problem(format!(
                    "--peers: {} or its url is listed twice",
                    peer.name
                )));
            }
            peers.push(Peer {
                name: peer.name,
                url,
                order: peer.order,
                default: peer.default,
            });
        }
        peers.sort_by_key(|p| (p.order.unwrap_or(i32::MAX), p.name.clone()));
        Ok(peers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Vec<Peer>, String> {
        PeerArgs {
            peers: Some(json.to_owned()),
        }
        .validate("a")
        .map_err(|e| e.to_string())
    }

    #[test]
    fn peers_are_checked_and_ordered() {
        let peers = parse(r#"[{"name":"c","url":"https://C.example.com/"},{"name":"b","url":"http://127.0.0.1:8081","order":1,"default":true}]"#).unwrap();
        assert_eq!(
            peers.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
            ["b", "c"]
        );
        assert_eq!(peers[1].url, "https://c.example.com");
        assert!(peers[0].default);
        for bad in [
            r#"[{"name":"B","url":"https://b.example"}]"#,
            r#"[{"name":"b","url":"http://b.example"}]"#,
            r#"[{"name":"b","url":"https://b.example/path"}]"#,
            r#"[{"name":"b","url":"https://u@b.example"}]"#,
            r#"[{"name":"b","url":"https://b.example?x=1"}]"#,
            r#"[{"name":"a","url":"https://b.example"}]"#,
            r#"[{"name":"b","url":"https://b.example"},{"name":"b","url":"https://c.example"}]"#,
            r#"[{"name":"b","url":"https://b.example","extra":1}]"#,
            r#"{"name":"b"}"#,
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let many = format!(
            "[{}]",
            (0..33)
                .map(|i| format!(r#"{{"name":"p{i}","url":"https://p{i}.example"}}"#))
                .collect::<Vec<_>>()
                .join(",")
        );
        assert!(parse(&many).unwrap_err().contains("at most 32"));
    }
}
