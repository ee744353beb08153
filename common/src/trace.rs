//! Logging set-up for the examples.
//!
//! Every example calls [`init_tracing`] first so that the libraries' `tracing` events
//! (routes registered, requests served, peers picked) show up on stderr. The level comes
//! from `RUST_LOG` when it is set (`RUST_LOG=debug cargo run ...`), `info` otherwise.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Installs a plain-text subscriber writing to stderr, filtered by `RUST_LOG` (default `info`).
///
/// Calling it twice is harmless: the second call finds a subscriber already set and does nothing,
/// which lets tests that share a process call it freely.
pub fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .try_init();
}
