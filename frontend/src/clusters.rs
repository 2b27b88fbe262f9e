//! The clusters one visit serves (issue 26): this CertDesk's own cluster and the peers
//! its operator listed, each peer asked for its own configuration by this page (the
//! peers allow this origin by CORS). A peer is offered only when both sides agree: it
//! answers this page, calls its cluster what this install calls it, and lists this
//! install back.

use leptos::prelude::*;
use shared::{ApiError, ErrorCode, Peer, PortalConfig};

/// One cluster the request form can send to.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The cluster's name (its kubeconfig entries are `<user>@<name>`).
    pub name: String,
    /// Its CertDesk's origin; empty for this one.
    pub portal: String,
    /// Whether the form selects it to begin with.
    pub default: bool,
    /// Whether it can be sent to, or why not.
    pub state: Reach,
}

/// Whether a cluster's CertDesk can take requests from this page.
#[derive(Debug, Clone, PartialEq)]
pub enum Reach {
    /// It answered, and it and this install list each other.
    Federated(Box<PortalConfig>),
    /// It answered, but the two do not agree (the reason, for the person).
    NotFederated(String),
    /// It could not be asked.
    Unreachable(ApiError),
}

impl Target {
    /// The cluster's configuration, when it is federated.
    pub fn config(&self) -> Option<&PortalConfig> {
        match &self.state {
            Reach::Federated(config) => Some(config),
            _ => None,
        }
    }

    /// Whether the request form may send to it: federated, and not taking requests
    /// through invite links only (an invite is one install's).
    pub fn sendable(&self) -> bool {
        self.config().is_some_and(|c| !c.invite_required)
    }

    /// Why the request form may not send to it, in words.
    pub fn why_not(&self) -> Option<String> {
        match &self.state {
            Reach::Federated(config) if config.invite_required => {
                Some("its CertDesk takes requests through its own invite links only".to_owned())
            }
            Reach::Federated(_) => None,
            Reach::NotFederated(reason) => Some(format!("not federated: {reason}")),
            Reach::Unreachable(error) => Some(error.message.clone()),
        }
    }
}

/// This install's peers in the order the operator gave (`order`, lower first, unset
/// last; then by name).
pub fn ordered_peers(config: &PortalConfig) -> Vec<Peer> {
    let mut peers = config.peers.clone();
    peers.sort_by(|a, b| {
        (a.order.is_none(), a.order, &a.name).cmp(&(b.order.is_none(), b.order, &b.name))
    });
    peers
}

/// Whether `peer` (its configuration `theirs`) and this install (`ours`, served from
/// `own_origin`) agree on being each other's peers; the reason when they do not.
pub fn agreement(
    ours: &PortalConfig,
    own_origin: &str,
    peer: &Peer,
    theirs: &PortalConfig,
) -> Result<(), String> {
    if theirs.cluster_name != peer.name {
        return Err(format!(
            "its CertDesk calls its cluster \u{201c}{}\u{201d}, not \u{201c}{}\u{201d}: the operators must use one name",
            theirs.cluster_name, peer.name
        ));
    }
    let listed_back = theirs
        .peers
        .iter()
        .any(|p| p.url == own_origin && p.name == ours.cluster_name);
    if listed_back {
        Ok(())
    } else {
        Err(format!(
            "its CertDesk does not list this one ({} at {own_origin}) as a peer: both must list each other",
            ours.cluster_name
        ))
    }
}

/// Every cluster this page serves, this one first: the peers are asked all at once,
/// and one that is down or slow holds up no other (each ask ends by the browser's
/// own timeout or [`ASK_MS`], whichever comes first).
pub async fn targets(ours: &PortalConfig) -> Vec<Target> {
    let own_origin = window().location().origin().unwrap_or_default();
    let mut targets = vec![Target {
        name: ours.cluster_name.clone(),
        portal: String::new(),
        default: true,
        state: Reach::Federated(Box::new(ours.clone())),
    }];
    let peers = ordered_peers(ours);
    let answers = futures_util::future::join_all(peers.iter().map(|peer| ask(&peer.url))).await;
    for (peer, answer) in peers.into_iter().zip(answers) {
        let state = match answer {
            Ok(theirs) => match agreement(ours, &own_origin, &peer, &theirs) {
                Ok(()) => Reach::Federated(Box::new(theirs)),
                Err(reason) => Reach::NotFederated(reason),
            },
            Err(error) => Reach::Unreachable(error),
        };
        targets.push(Target {
            name: peer.name,
            portal: peer.url,
            default: peer.default,
            state,
        });
    }
    targets
}

/// How long a peer's configuration is waited for.
pub const ASK_MS: i32 = 5_000;

async fn ask(portal: &str) -> Result<PortalConfig, ApiError> {
    use futures_util::future::{Either, select};
    let answer = std::pin::pin!(crate::api::config_at(portal));
    let timeout = std::pin::pin!(crate::api::status_stream::sleep(ASK_MS));
    match select(answer, timeout).await {
        Either::Left((answer, _)) => answer.map_err(|_| unreachable(portal)),
        Either::Right(_) => Err(unreachable(portal)),
    }
}

fn unreachable(portal: &str) -> ApiError {
    ApiError::new(
        ErrorCode::PortalUnreachable,
        format!(
            "The CertDesk at {portal} did not answer this page: it is down, or it does not list this CertDesk as a peer."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(name: &str, url: &str, order: Option<i32>) -> Peer {
        Peer {
            name: name.to_owned(),
            url: url.to_owned(),
            order,
            default: false,
        }
    }

    fn config(name: &str, peers: Vec<Peer>) -> PortalConfig {
        PortalConfig {
            cluster_name: name.to_owned(),
            peers,
            ..PortalConfig::default()
        }
    }

    #[test]
    fn peers_are_shown_in_the_operators_order_then_by_name() {
        let ours = config(
            "a",
            vec![
                peer("zeta", "https://z", None),
                peer("prod", "https://p", Some(2)),
                peer("alpha", "https://x", None),
                peer("stage", "https://s", Some(1)),
            ],
        );
        let names: Vec<String> = ordered_peers(&ours).into_iter().map(|p| p.name).collect();
        assert_eq!(names, ["stage", "prod", "alpha", "zeta"]);
    }

    #[test]
    fn both_sides_must_list_each_other_under_the_same_names() {
        let b = peer("b", "https://certdesk.b", None);
        let ours = config("a", vec![b.clone()]);
        let agreeing = config("b", vec![peer("a", "https://certdesk.a", None)]);
        assert_eq!(
            agreement(&ours, "https://certdesk.a", &b, &agreeing),
            Ok(())
        );
        // B lists no one, or another origin, or calls us by another name.
        for theirs in [
            config("b", vec![]),
            config("b", vec![peer("a", "https://evil.example", None)]),
            config("b", vec![peer("prod", "https://certdesk.a", None)]),
        ] {
            let refused = agreement(&ours, "https://certdesk.a", &b, &theirs);
            assert!(refused.is_err_and(|why| why.contains("does not list")));
        }
        // B calls its own cluster something else than we do.
        let renamed = config("staging", vec![peer("a", "https://certdesk.a", None)]);
        let refused = agreement(&ours, "https://certdesk.a", &b, &renamed);
        assert!(refused.is_err_and(|why| why.contains("staging")));
    }
}
