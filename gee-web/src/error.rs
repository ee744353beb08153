//! The errors gee-web reports to the program that runs it.
//!
//! Errors a *client* causes (an unknown route, later a bad body) are not here: they become
//! HTTP responses (404, 400, 413, ...). What is here can only stop the server itself, such as
//! failing to bind the address.

use std::io;

/// Everything that can go wrong while starting or running a gee-web server.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The listening socket could not be bound (address in use, permission denied, ...).
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address we tried to bind.
        addr: String,
        /// What the OS said.
        source: io::Error,
    },
    /// Any other I/O failure of the listening socket.
    #[error("server I/O error: {0}")]
    Io(#[from] io::Error),
}
