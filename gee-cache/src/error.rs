//! The crate's error type: every way a `get` can fail, with a message a person can act on.
//!
//! It is `Clone` because singleflight hands one load's result to every caller waiting for
//! it; sources that are not `Clone` (I/O errors) are kept behind an `Arc`.

use std::sync::Arc;

use crate::peers::PeerError;

/// Everything that can go wrong in gee-cache.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// `get("")`: groupcache and geecache refuse an empty key.
    #[error("key is required")]
    EmptyKey,
    /// The key is longer than [`MAX_KEY_LEN`](crate::MAX_KEY_LEN).
    #[error("key of {len} bytes exceeds the limit of {max} bytes")]
    KeyTooLong {
        /// The key's length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The getter (or a peer) produced a value larger than [`MAX_VALUE_LEN`](crate::MAX_VALUE_LEN).
    #[error("value of {len} bytes for key {key:?} exceeds the limit of {max} bytes")]
    ValueTooLarge {
        /// The key whose value was refused.
        key: String,
        /// The value's length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The getter failed; the text is the getter's own, passed on unchanged (also across peers).
    #[error("{0}")]
    Getter(String),
    /// No group of that name is registered.
    #[error("no such group: {0}")]
    NoSuchGroup(String),
    /// `register_peers` was called twice on one group (Go panics here).
    #[error("peers are already registered for group {0}")]
    PeersAlreadyRegistered(String),
    /// The loader panicked; every caller waiting on that load gets this error.
    #[error("loading key {key:?} panicked: {message}")]
    LoaderPanicked {
        /// The key being loaded.
        key: String,
        /// The panic's message.
        message: String,
    },
    /// A peer request failed (only surfaced when it cannot be recovered by a local load).
    #[error(transparent)]
    Peer(#[from] PeerError),
    /// A peer URL or address that cannot be used.
    #[error("invalid peer address {0:?}: expected http://host:port")]
    BadPeer(String),
    /// The server could not bind its address.
    #[error("cannot bind {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: String,
        /// Why it failed.
        source: Arc<std::io::Error>,
    },
    /// Another I/O error of the server.
    #[error("I/O error: {0}")]
    Io(Arc<std::io::Error>),
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        Error::Io(Arc::new(err))
    }
}
