//! The one error type of gee-rpc, shared by every day.
//!
//! An RPC framework fails in a few distinct ways, and a caller wants to tell them apart: the
//! connection is gone (retry elsewhere), the peer spoke garbage (log it, close it), the remote
//! method returned an error (show it to the user), or a deadline passed (give up). Each is one
//! variant here, so `match` on an [`Error`] says exactly what went wrong.

use std::time::Duration;

/// Everything that can go wrong in gee-rpc.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing the socket failed.
    #[error("rpc: i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// The handshake (the `Option` line, or the HTTP CONNECT exchange) was not what we expect.
    #[error("rpc: handshake failed: {0}")]
    Handshake(String),
    /// A frame announced (or grew) beyond the configured limit; nothing was allocated for it.
    #[error("rpc: frame of {size} bytes exceeds the limit of {limit} bytes")]
    FrameTooLarge {
        /// The size announced, or buffered so far.
        size: usize,
        /// The limit in force.
        limit: usize,
    },
    /// The peer closed the connection in the middle of a message.
    #[error("rpc: connection closed mid-frame ({0} bytes of a partial message)")]
    Truncated(usize),
    /// Bytes that are not a valid message for the codec in use.
    #[error("rpc: cannot decode: {0}")]
    Decode(String),
    /// A value could not be encoded with the codec in use.
    #[error("rpc: cannot encode: {0}")]
    Encode(String),
    /// The client's connection is closed; every pending and later call fails with this.
    #[error("rpc: connection is shut down: {0}")]
    Shutdown(String),
    /// The remote method (or the server's dispatch) answered with an error string.
    #[error("rpc: server error: {0}")]
    Server(String),
    /// Registration problems: a duplicate service, a service with no methods.
    #[error("rpc: {0}")]
    Register(String),
    /// A deadline passed: connecting, or waiting for a call's reply.
    #[error("rpc: {what} timeout: expect within {limit:?}")]
    Timeout {
        /// "connect" or "call".
        what: &'static str,
        /// The deadline that was exceeded.
        limit: Duration,
    },
    /// An address or a discovery could not produce a server to talk to.
    #[error("rpc discovery: {0}")]
    Discovery(String),
    /// A registry request failed or was refused.
    #[error("rpc registry: {0}")]
    Registry(String),
}

/// `Result` with gee-rpc's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
