//! Day 1 — the crate's error type: what can go wrong outside a single command.
//!
//! A command's failure is not an error of the server: it becomes a `-ERR ...` reply (see
//! [`crate::cmd::CmdError`]) and the connection goes on. What is left for this enum is the
//! server's own trouble: a port that cannot be bound, an unreadable config file.

use std::io;

/// Everything that can stop the server (as opposed to failing one command).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The listening address could not be bound (in use, no permission, ...).
    #[error("cannot bind {addr}: {source}")]
    Bind {
        /// The address we tried.
        addr: String,
        /// Why the OS refused.
        source: io::Error,
    },
    /// Any other I/O error of the server itself.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// A config file or command-line option we cannot make sense of.
    #[error("config: {0}")]
    Config(String),
    /// Day 5: the RDB file at start could not be loaded.
    #[error("loading the RDB file: {0}")]
    Rdb(#[from] crate::rdb::RdbError),
    /// Day 5: the append-only file cannot be loaded or opened.
    #[error("AOF: {0}")]
    Aof(#[from] crate::aof::AofError),
}
