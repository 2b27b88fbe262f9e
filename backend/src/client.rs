//! Who a request comes from, and over what, for rate limits, stream caps, the approver's
//! view and the HTTPS-only rule behind a proxy: the connection's peer, unless the peer
//! is one of `--trusted-proxies` — then what the proxies say, read one way only:
//!
//! - `Forwarded` (RFC 7239) when present, else `X-Forwarded-For` with
//!   `X-Forwarded-Proto`;
//! - from the right: the rightmost hop that is not a trusted proxy is the client (a
//!   client can write anything on the left), and the protocol is the one recorded for
//!   that hop — by the trusted proxy that received the client's connection, never a
//!   value the client sent.
//!
//! Counted per IPv4 address or per IPv6 /64 ([`crate::streams::client_key`]).

use std::net::IpAddr;

use axum::http::HeaderMap;
use ipnet::IpNet;

/// What the trusted proxies say of the client's connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forwarded {
    /// The client's address.
    pub client: IpAddr,
    /// The protocol the client used to reach the first trusted proxy (`https`), when
    /// that proxy said.
    pub proto: Option<String>,
}

/// One hop a proxy recorded: the address it received a connection from, and over
/// what protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Hop {
    address: Option<IpAddr>,
    proto: Option<String>,
}

/// Returns the client's address: the peer, or what the trusted proxies forwarded for.
pub fn client_of(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpNet]) -> Option<IpAddr> {
    forwarded(peer, headers, trusted).map(|f| f.client)
}

/// Returns who the client is and over what it came: the peer itself (no protocol
/// said) unless the peer is a trusted proxy; then the rightmost hop that is not a
/// trusted proxy (the leftmost when every hop is trusted), with that hop's protocol.
pub fn forwarded(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    trusted: &[IpNet],
) -> Option<Forwarded> {
    let peer = peer?;
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(Forwarded {
            client: peer,
            proto: None,
        });
    }
    let hops = hops(headers);
    let known: Vec<&Hop> = hops.iter().filter(|h| h.address.is_some()).collect();
    let hop = known
        .iter()
        .rev()
        .find(|hop| hop.address.is_some_and(|ip| !is_trusted(&ip)))
        .or_else(|| known.first());
    Some(match hop {
        Some(hop) => Forwarded {
            client: hop.address.unwrap_or(peer),
            proto: hop.proto.clone(),
        },
        None => Forwarded {
            client: peer,
            proto: hops.last().and_then(|h| h.proto.clone()),
        },
    })
}

/// The hops the proxies recorded, left to right: `Forwarded`'s elements when there is
/// one, else `X-Forwarded-For`'s addresses paired from the right with
/// `X-Forwarded-Proto`'s values (a single value, as most proxies set it, belongs to the
/// rightmost hop: the proxy in front of CertDesk terminated TLS).
fn hops(headers: &HeaderMap) -> Vec<Hop> {
    let values = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|v| v.trim().to_owned())
            .collect()
    };
    let forwarded = values("forwarded");
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .map(|element| {
                let mut hop = Hop {
                    address: None,
                    proto: None,
                };
                for pair in element.split(';') {
                    let Some((key, value)) = pair.trim().split_once('=') else {
                        continue;
                    };
                    let value = value.trim().trim_matches('"');
                    if key.trim().eq_ignore_ascii_case("for") {
                        hop.address = parse_hop(value);
                    } else if key.trim().eq_ignore_ascii_case("proto") {
                        hop.proto = Some(value.to_ascii_lowercase());
                    }
                }
                hop
            })
            .collect();
    }
    let addresses = values("x-forwarded-for");
    let protos = values("x-forwarded-proto");
    let mut hops: Vec<Hop> = addresses
        .iter()
        .map(|a| Hop {
            address: parse_hop(a),
            proto: None,
        })
        .collect();
    // Paired from the right: each proxy appends its hop to both headers.
    for (hop, proto) in hops.iter_mut().rev().zip(protos.iter().rev()) {
        hop.proto = Some(proto.to_ascii_lowercase());
    }
    if hops.is_empty()
        && let Some(proto) = protos.last()
    {
        hops.push(Hop {
            address: None,
            proto: Some(proto.to_ascii_lowercase()),
        });
    }
    hops
}

/// Reads one hop: `203.0.113.7`, `203.0.113.7:4711`, `2001:db8::1` or `[2001:db8::1]:4711`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse() {
        return Some(ip);
    }
    if let Some(rest) = hop.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    hop.rsplit_once(':').and_then(|(ip, _)| ip.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                axum::http::HeaderName::from_bytes(name.as_bytes()).expect("name"),
                value.parse().expect("value"),
            );
        }
        map
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().expect("address"))
    }

    fn trusted() -> Vec<IpNet> {
        vec!["10.0.0.0/8".parse().expect("cidr")]
    }

    #[test]
    fn only_trusted_proxies_are_believed() {
        let spoofed = headers(&[("x-forwarded-for", "198.51.100.9")]);
        assert_eq!(
            client_of(ip("203.0.113.7"), &spoofed, &trusted()),
            ip("203.0.113.7")
        );
        assert_eq!(
            client_of(ip("10.1.2.3"), &spoofed, &trusted()),
            ip("198.51.100.9")
        );
        // A client's own X-Forwarded-For entry on the left is not believed.
        let chain = headers(&[("x-forwarded-for", "1.2.3.4, 198.51.100.9, 10.9.9.9")]);
        assert_eq!(
            client_of(ip("10.1.2.3"), &chain, &trusted()),
            ip("198.51.100.9")
        );
        assert_eq!(
            client_of(ip("10.1.2.3"), &headers(&[]), &trusted()),
            ip("10.1.2.3")
        );
        assert_eq!(client_of(None, &spoofed, &trusted()), None);
    }

    #[test]
    fn forwarded_comes_first_and_ports_are_read() {
        let forwarded = headers(&[("forwarded", "for=\"[2001:db8::7]:4711\";proto=https")]);
        assert_eq!(
            client_of(ip("10.0.0.1"), &forwarded, &trusted()),
            ip("2001:db8::7")
        );
        // Both: Forwarded is read, X-Forwarded-For ignored.
        let both = headers(&[
            ("x-forwarded-for", "198.51.100.66"),
            ("forwarded", "for=203.0.113.7;proto=https"),
        ]);
        assert_eq!(
            forwarded_of(&both),
            Some(Forwarded {
                client: "203.0.113.7".parse().unwrap(),
                proto: Some("https".into())
            })
        );
        let port = headers(&[("x-forwarded-for", "203.0.113.7:5000")]);
        assert_eq!(
            client_of(ip("10.0.0.1"), &port, &trusted()),
            ip("203.0.113.7")
        );
        let junk = headers(&[("x-forwarded-for", "not-an-address")]);
        assert_eq!(client_of(ip("10.0.0.1"), &junk, &trusted()), ip("10.0.0.1"));
    }

    fn forwarded_of(headers: &HeaderMap) -> Option<Forwarded> {
        forwarded(ip("10.0.0.1"), headers, &trusted())
    }

    #[test]
    fn the_protocol_is_the_trusted_proxys_not_the_clients() {
        // The client wrote "https" on the left; the proxy that received it said http.
        let appended = headers(&[
            ("x-forwarded-for", "203.0.113.7"),
            ("x-forwarded-proto", "https, http"),
        ]);
        assert_eq!(
            forwarded_of(&appended).and_then(|f| f.proto),
            Some("http".into())
        );
        // A proxy that sets one value (as most do) speaks for its hop.
        let set = headers(&[
            ("x-forwarded-for", "203.0.113.7"),
            ("x-forwarded-proto", "https"),
        ]);
        assert_eq!(
            forwarded_of(&set).and_then(|f| f.proto),
            Some("https".into())
        );
        // Two trusted proxies in front: the protocol of the client's hop.
        let chain = headers(&[
            ("x-forwarded-for", "203.0.113.7, 10.0.0.9"),
            ("x-forwarded-proto", "https, http"),
        ]);
        assert_eq!(
            forwarded_of(&chain),
            Some(Forwarded {
                client: "203.0.113.7".parse().unwrap(),
                proto: Some("https".into())
            })
        );
        // Forwarded: the element describing the client's hop.
        let spoof = headers(&[(
            "forwarded",
            "for=1.1.1.1;proto=https, for=203.0.113.7;proto=http",
        )]);
        assert_eq!(
            forwarded_of(&spoof),
            Some(Forwarded {
                client: "203.0.113.7".parse().unwrap(),
                proto: Some("http".into())
            })
        );
        // No hop at all: the proxy's own value.
        let bare = headers(&[("x-forwarded-proto", "https")]);
        assert_eq!(
            forwarded_of(&bare).and_then(|f| f.proto),
            Some("https".into())
        );
        // Not from a trusted proxy: no protocol is believed.
        assert_eq!(
            forwarded(ip("203.0.113.9"), &set, &trusted()).and_then(|f| f.proto),
            None
        );
    }
}
