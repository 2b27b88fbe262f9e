//! Who a request comes from, for rate limits, stream caps and the approver's view: the
//! connection's peer, unless the peer is one of `--trusted-proxies` — then the address
//! that proxy says it forwarded (`X-Forwarded-For`, else `Forwarded: for=`), read from
//! the right past the trusted hops, since a client can write anything on the left.
//! Counted per IPv4 address or per IPv6 /64 ([`crate::streams::client_key`]).

use std::net::IpAddr;

use axum::http::HeaderMap;
use ipnet::IpNet;

/// Returns the client's address: the peer, or what the trusted proxies forwarded for.
pub fn client_of(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = peer?;
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let forwarded = forwarded_for(headers);
    // The rightmost hop that is not a trusted proxy is the client; if every hop is
    // trusted, the leftmost is.
    let client = forwarded
        .iter()
        .rev()
        .find(|ip| !is_trusted(ip))
        .or_else(|| forwarded.first())
        .copied();
    Some(client.unwrap_or(peer))
}

/// The addresses of `X-Forwarded-For` (all of its lines), or else of `Forwarded`'s
/// `for=` parameters, left to right; what does not parse is skipped.
fn forwarded_for(headers: &HeaderMap) -> Vec<IpAddr> {
    let values = |name: &str| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let x_forwarded: Vec<IpAddr> = values("x-forwarded-for")
        .iter()
        .filter_map(|hop| parse_hop(hop))
        .collect();
    if !x_forwarded.is_empty() {
        return x_forwarded;
    }
    values("forwarded")
        .iter()
        .flat_map(|element| element.split(';'))
        .filter_map(|pair| {
            let (key, value) = pair.trim().split_once('=')?;
            key.trim()
                .eq_ignore_ascii_case("for")
                .then(|| parse_hop(value.trim().trim_matches('"')))
                .flatten()
        })
        .collect()
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

    #[test]
    fn only_trusted_proxies_are_believed() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().expect("cidr")];
        let spoofed = headers(&[("x-forwarded-for", "198.51.100.9")]);
        assert_eq!(
            client_of(ip("203.0.113.7"), &spoofed, &trusted),
            ip("203.0.113.7")
        );
        assert_eq!(
            client_of(ip("10.1.2.3"), &spoofed, &trusted),
            ip("198.51.100.9")
        );
        // A client's own X-Forwarded-For entry on the left is not believed.
        let chain = headers(&[("x-forwarded-for", "1.2.3.4, 198.51.100.9, 10.9.9.9")]);
        assert_eq!(
            client_of(ip("10.1.2.3"), &chain, &trusted),
            ip("198.51.100.9")
        );
        assert_eq!(
            client_of(ip("10.1.2.3"), &headers(&[]), &trusted),
            ip("10.1.2.3")
        );
        assert_eq!(client_of(None, &spoofed, &trusted), None);
    }

    #[test]
    fn forwarded_and_ports_are_read() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().expect("cidr")];
        let forwarded = headers(&[("forwarded", "for=\"[2001:db8::7]:4711\";proto=https")]);
        assert_eq!(
            client_of(ip("10.0.0.1"), &forwarded, &trusted),
            ip("2001:db8::7")
        );
        let port = headers(&[("x-forwarded-for", "203.0.113.7:5000")]);
        assert_eq!(
            client_of(ip("10.0.0.1"), &port, &trusted),
            ip("203.0.113.7")
        );
        let junk = headers(&[("x-forwarded-for", "not-an-address")]);
        assert_eq!(client_of(ip("10.0.0.1"), &junk, &trusted), ip("10.0.0.1"));
    }
}
