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

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;

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
