//! Day 5 — Peers: who owns a key, and how to fetch it from them.
//!
//! A distributed cache splits keys between nodes so that each value is loaded and stored
//! once. Two small traits keep the `Group` ignorant of how: a [`PeerPicker`] answers "who
//! owns this key?" (the HTTP pool does it with day 4's consistent-hash ring), and a
//! [`PeerGetter`] fetches a key from one peer (an HTTP client). A group asks the picker
//! first; if the key is its own it loads locally, otherwise it asks the owner, and if the
//! owner cannot be reached it loads locally after all (and logs why), so a dead peer costs
//! extra loads, never errors.
//!
//! The errors are precise because the reaction differs: a timeout or a reset is the peer's
//! fault and triggers the local fallback; a [`PeerError::Getter`] is the *owner's getter*
//! failing, and loading locally would just fail again (Go lost that text and loaded twice).
//!
//! This module plugs into the seams of days 2 and 3 rather than rewriting them: the group
//! holds its picker as an option (unset, it loads everything locally, as on day 2), a value
//! fetched from a peer may go to the group's hot cache ([`crate::hot`]), and the HTTP pool
//! of day 3 becomes a picker with a ring of peers.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, PoisonError};

use bytes::Bytes;
use hyper::Uri;
use tracing::{debug, warn};

use crate::Error;
use crate::byteview::ByteView;
use crate::group::{Group, check_value};
use crate::http::{HttpGetter, HttpPool, Peers};
use crate::stats::Stats;

/// A boxed, sendable future, the return type of trait methods that do I/O.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why fetching a key from a peer failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeerError {
    /// No answer within the pool's request timeout (a hung peer).
    #[error("peer {peer} did not answer within {millis} ms")]
    Timeout {
        /// The peer's base URL.
        peer: String,
        /// The timeout.
        millis: u128,
    },
    /// Connecting, sending or reading failed (refused, reset, closed early).
    #[error("peer {peer}: {message}")]
    Transport {
        /// The peer's base URL.
        peer: String,
        /// What the HTTP client said.
        message: String,
    },
    /// The peer answered with an unexpected status.
    #[error("peer {peer} returned {status}: {body}")]
    Status {
        /// The peer's base URL.
        peer: String,
        /// The status code.
        status: u16,
        /// The start of the body, for the log.
        body: String,
    },
    /// The body is not what the protocol says (e.g. not a protobuf `GetResponse`).
    #[error("peer {peer} sent a malformed answer: {message}")]
    Malformed {
        /// The peer's base URL.
        peer: String,
        /// What was wrong.
        message: String,
    },
    /// The owner ran its getter and the getter failed: the text is the getter's.
    #[error("{0}")]
    Getter(String),
}

// ANCHOR: traits
/// Finds the peer that owns a key (Go's `PeerPicker`).
pub trait PeerPicker: Send + Sync + 'static {
    /// The owner of `key`, or `None` when the key is this node's own (or there are no peers).
    fn pick_peer(&self, key: &str) -> Option<Arc<dyn PeerGetter>>;
}

/// Fetches a key from one peer (Go's `PeerGetter`).
pub trait PeerGetter: Send + Sync + 'static {
    /// The value of `key` in `group`, as the peer has it (or loads it).
    fn get<'a>(&'a self, group: &'a str, key: &'a str) -> BoxFuture<'a, Result<Bytes, PeerError>>;

    /// The peer's name for logs (its base URL).
    fn name(&self) -> &str;
}
// ANCHOR_END: traits

impl Group {
    /// Tells the group how to find the owner of a key; allowed once (Go panics on a second call).
    pub fn register_peers(&self, peers: Arc<dyn PeerPicker>) -> Result<(), Error> {
        self.peers
            .set(peers)
            .map_err(|_| Error::PeersAlreadyRegistered(self.name().to_owned()))
    }

    // ANCHOR: load_from_owner
    /// Asks the key's owner when it is a peer: `Some(value)` when it answered, `None` when the
    /// key is ours, no peers are registered, or the peer failed (logged; the caller then
    /// loads locally). The owner's getter failing is final: loading here would fail the same.
    pub(crate) async fn load_from_owner(&self, key: &str) -> Result<Option<ByteView>, Error> {
        // ANCHOR: ex_load_from_owner
        let Some(peer) = self.peers.get().and_then(|p| p.pick_peer(key)) else {
            return Ok(None);
        };
        match peer.get(self.name(), key).await {
            Ok(bytes) => {
                check_value(key, bytes.len())?;
                Stats::bump(&self.stats.peer_loads);
                let value = ByteView::new(bytes);
                self.hot.offer(key, &value);
                Ok(Some(value))
            }
            Err(PeerError::Getter(text)) => Err(Error::Getter(text)),
            Err(err) => {
                Stats::bump(&self.stats.peer_errors);
                warn!(
                    "[GeeCache] failed to get {key:?} from peer {}: {err}; loading locally",
                    peer.name()
                );
                Ok(None)
            }
        }
        // ANCHOR_END: ex_load_from_owner
    }
    // ANCHOR_END: load_from_owner
}

impl HttpPool {
    // ANCHOR: set_peers
    /// Replaces the peer list (base URLs such as `http://127.0.0.1:8002`; include this node).
    pub fn set_peers<S: AsRef<str>>(
        &self,
        peers: impl IntoIterator<Item = S>,
    ) -> Result<(), Error> {
        let mut ring = self.inner.protocol.ring();
        let mut getters = HashMap::new();
        for peer in peers {
            let peer = peer.as_ref().trim_end_matches('/');
            let uri: Uri = peer.parse().map_err(|_| Error::BadPeer(peer.to_owned()))?;
            if uri.scheme_str() != Some("http") || uri.authority().is_none() {
                return Err(Error::BadPeer(peer.to_owned()));
            }
            ring.add([peer]);
            getters.insert(
                peer.to_owned(),
                Arc::new(HttpGetter {
                    base_url: peer.to_owned(),
                    protocol: self.inner.protocol,
                    codec: Arc::clone(&self.inner.codec),
                    client: self.inner.client.clone(),
                    timeout: self.inner.timeout,
                }),
            );
        }
        let mut current = self
            .inner
            .peers
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        *current = Peers { ring, getters };
        Ok(())
    }
    // ANCHOR_END: set_peers
}

// ANCHOR: pick_peer
impl PeerPicker for HttpPool {
    /// The owner of `key` on the ring, unless that is this node (or no peers are set: an
    /// empty ring owns nothing, where Go dereferenced a nil map and panicked).
    fn pick_peer(&self, key: &str) -> Option<Arc<dyn PeerGetter>> {
        // ANCHOR: ex_pick_peer
        let peers = self
            .inner
            .peers
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        let owner = peers.ring.get(key)?;
        if owner == self.inner.self_url {
            return None;
        }
        debug!(
            "[Server {}] pick peer {owner} for {key:?}",
            self.inner.self_url
        );
        let getter = peers.getters.get(owner)?.clone();
        Some(getter)
        // ANCHOR_END: ex_pick_peer
    }
    // ANCHOR_END: pick_peer
}
