//! Day 5 — the logger middleware: one line per request with its status and latency.
//!
//! The first middleware anyone writes, and the clearest picture of "before and after":
//! take the time, let the rest of the chain run, then log what it answered and how long it
//! took. Because it wraps the whole chain, it sees the final status even when a later
//! middleware failed the request or (with [`recovery`](fn@crate::recovery) inside it) a
//! handler panicked.
//!
//! ```text
//! INFO gee_web::middleware::logger: [200] /hello?name=gee in 41.2µs
//! ```

use std::time::Instant;

use crate::{Context, Handler};

// ANCHOR: logger
/// Logs `[status] uri in latency` for each request, like Gee's `Logger()`.
pub fn logger() -> impl Handler {
    log_request
}

/// The logger's handler: time the rest of the chain, then log.
async fn log_request(c: &mut Context) {
    // ANCHOR: ex_logger
    let start = Instant::now();
    c.next().await;
    tracing::info!(
        "[{}] {} in {:?}",
        c.status_code().as_u16(),
        c.uri(),
        start.elapsed()
    );
    // ANCHOR_END: ex_logger
}
// ANCHOR_END: logger
