//! Caps on server-sent event streams: each open stream holds a connection and a watch
//! subscriber for as long as the client likes, so their number is bounded, in all and
//! per client (an IPv6 client by its /64, which one host can rotate through). Over a
//! cap the answer is 429 with `Retry-After`, and the status page falls back to polling.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex};

/// Seconds a client refused a stream is told to wait before trying again.
pub const RETRY_AFTER_SECONDS: u64 = 30;

/// The open streams, counted in all and per client; cheap to clone.
#[derive(Debug, Clone)]
pub struct StreamSlots {
    inner: Arc<Mutex<Counts>>,
    total_cap: usize,
    per_client_cap: usize,
    closing: Arc<tokio::sync::watch::Sender<bool>>,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    per_client: HashMap<IpAddr, usize>,
}

/// One open stream's place; giving it back (dropping it) frees the place.
#[derive(Debug)]
pub struct StreamSlot {
    slots: StreamSlots,
    client: IpAddr,
}

/// Which cap refused a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The server holds as many streams as it allows in all.
    Server,
    /// This client holds as many as it allows one client.
    Client,
}

impl StreamSlots {
    /// Returns empty counts with these caps.
    pub fn new(total_cap: usize, per_client_cap: usize) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Counts::default())),
            total_cap,
            per_client_cap,
            closing: Arc::new(tokio::sync::watch::Sender::new(false)),
        }
    }

    /// Takes a place for a stream of `client` (unknown clients share one key), or says
    /// which cap refuses it.
    pub fn take(&self, client: Option<IpAddr>) -> Result<StreamSlot, Refusal> {
        let client = client_key(client);
        let mut counts = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if counts.total >= self.total_cap {
            return Err(Refusal::Server);
        }
        let held = counts.per_client.entry(client).or_insert(0);
        if *held >= self.per_client_cap {
            return Err(Refusal::Client);
        }
        *held += 1;
        counts.total += 1;
        Ok(StreamSlot {
            slots: self.clone(),
            client,
        })
    }

    /// Tells every open stream that the server is stopping: each ends cleanly, telling
    /// its page to reconnect (to another replica) at once.
    pub fn close_all(&self) {
        self.closing.send_replace(true);
    }

    /// Resolves when [`Self::close_all`] was called.
    pub async fn closed(&self) {
        let mut closing = self.closing.subscribe();
        // The sender lives as long as `self`, so waiting cannot fail.
        let _ = closing.wait_for(|closing| *closing).await;
    }

    /// Returns how many streams are open.
    pub fn open(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .total
    }
}

impl StreamSlot {
    /// Returns the counts this place belongs to.
    pub fn slots(&self) -> StreamSlots {
        self.slots.clone()
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut counts = self
            .slots
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        counts.total = counts.total.saturating_sub(1);
        if let Some(held) = counts.per_client.get_mut(&self.client) {
            *held = held.saturating_sub(1);
            if *held == 0 {
                counts.per_client.remove(&self.client);
            }
        }
    }
}

/// The key a client is counted under: its IPv4 address, or its IPv6 /64.
pub fn client_key(client: Option<IpAddr>) -> IpAddr {
    match client {
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        Some(v4) => v4,
        None => IpAddr::from([0, 0, 0, 0]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().expect("address"))
    }

    #[test]
    fn a_client_and_the_server_are_capped_and_places_come_back() {
        let slots = StreamSlots::new(3, 2);
        let a1 = slots.take(ip("10.0.0.1")).expect("first");
        let _a2 = slots.take(ip("10.0.0.1")).expect("second");
        assert_eq!(slots.take(ip("10.0.0.1")).err(), Some(Refusal::Client));
        let _b1 = slots.take(ip("10.0.0.2")).expect("another client");
        assert_eq!(slots.take(ip("10.0.0.3")).err(), Some(Refusal::Server));
        drop(a1);
        assert_eq!(slots.open(), 2);
        slots.take(ip("10.0.0.3")).expect("a place came back");
    }

    #[test]
    fn an_ipv6_client_is_its_slash_64() {
        let slots = StreamSlots::new(10, 1);
        let _one = slots.take(ip("2001:db8:1:2::1")).expect("first");
        assert_eq!(
            slots.take(ip("2001:db8:1:2:ffff::9")).err(),
            Some(Refusal::Client),
            "another address in the same /64"
        );
        slots.take(ip("2001:db8:1:3::1")).expect("another /64");
        assert_eq!(
            client_key(ip("::ffff:10.0.0.1")),
            "10.0.0.1".parse::<IpAddr>().expect("v4")
        );
    }
}
