//! The "please stop" signal every server of the course listens for.
//!
//! gee-web, gee-cache and go-redis all shut down the same way: stop accepting, finish what
//! is in flight, exit 0. What starts that is the same too: Ctrl-C in a terminal (SIGINT), or
//! SIGTERM from `kill`, `docker stop`, systemd or the course's tour. Each server's `serve`
//! takes the shutdown as a plain future, so tests can pass their own; programs pass this one.

use tracing::warn;

/// Completes on Ctrl-C (SIGINT) or, on Unix, SIGTERM.
///
/// If a signal handler cannot be installed (rare: e.g. no signal support in a sandbox), that
/// signal is logged and ignored rather than stopping the server at once.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            warn!("cannot listen for Ctrl-C: {err}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                warn!("cannot listen for SIGTERM: {err}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
