//! Day 1 — TCP server: an accept loop, one task per connection, a connection limit and a
//! graceful shutdown.
//!
//! Every network server has the same skeleton, and godis's `tcp/server.go` is the Go
//! version of it: listen, accept in a loop, hand each connection to a handler on its own
//! goroutine, and on SIGTERM stop accepting, tell the handlers to finish and wait for them.
//! Here a tokio task replaces the goroutine, and three small tools do the bookkeeping that
//! Go does with a `sync.WaitGroup` and a closing flag:
//!
//! - a [`Semaphore`] caps the connections served at once: the loop takes a permit *before*
//!   it accepts, so past the limit new clients wait in the kernel's backlog instead of
//!   costing us memory;
//! - a [`CancellationToken`] is the "please finish" signal every handler can `select!` on;
//! - a [`TaskTracker`] knows which handler tasks are still running, so shutdown can wait
//!   for exactly those — but only for [`ServerOptions::shutdown_grace`], so one stuck
//!   client cannot keep the process alive forever.
//!
//! The server knows nothing about Redis: what to do with a connection is a [`Handler`]'s
//! job. Day 1 plugs in an echo handler ([`crate::echo`]); day 2 plugs in the RESP
//! connection ([`crate::connection`]).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn};

use crate::Error;

/// What the server does with one accepted connection.
///
/// `handle` owns the stream and should return when the client hangs up, or soon after
/// `shutdown` is cancelled (finishing the request in hand first).
pub trait Handler: Send + Sync + 'static {
    /// Serves one client until it leaves or the server shuts down.
    fn handle(
        &self,
        stream: TcpStream,
        shutdown: CancellationToken,
    ) -> impl Future<Output = ()> + Send;
}

/// The knobs of the accept loop.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// How many connections are served at once (Redis's `maxclients`, default 10000).
    pub max_connections: usize,
    /// How long shutdown waits for handlers to finish before giving up on them.
    pub shutdown_grace: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            max_connections: 10_000,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

// ANCHOR: serve
/// Accepts connections from `listener` and runs `handler` on each, until `shutdown`
/// completes; then stops accepting, asks every handler to finish and waits for them (at
/// most `options.shutdown_grace`).
///
/// Tests pass a listener bound to port 0 and a shutdown future they control; the binary
/// passes [`shutdown_signal`].
pub async fn serve<H: Handler>(
    listener: TcpListener,
    handler: Arc<H>,
    options: ServerOptions,
    shutdown: impl Future<Output = ()>,
) -> Result<(), Error> {
    info!("listening on {}", listener.local_addr()?);
    let limit = Arc::new(Semaphore::new(options.max_connections.max(1)));
    let token = CancellationToken::new();
    let tracker = TaskTracker::new();
    let mut shutdown = std::pin::pin!(shutdown);

    loop {
        // Wait for a free slot first: past the limit, clients queue in the kernel's backlog.
        let permit = tokio::select! {
            permit = limit.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break, // the semaphore is never closed; stop if it were
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(err) => {
                    // Out of file descriptors, most likely: back off instead of spinning.
                    warn!("accept failed: {err}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        debug!("accepted {peer}");
        let handler = handler.clone();
        let token = token.child_token();
        tracker.spawn(async move {
            handler.handle(stream, token).await;
            drop(permit); // the slot is free again
        });
    }

    info!("shutting down: no new connections, finishing the ones in flight");
    drop(listener);
    token.cancel();
    wait_for_handlers(&tracker, options.shutdown_grace).await;
    Ok(())
}
// ANCHOR_END: serve

// ANCHOR: wait_for_handlers
/// Waits until every tracked handler task has finished, or `grace` has passed.
///
/// Returns `true` when all finished in time.
pub async fn wait_for_handlers(tracker: &TaskTracker, grace: Duration) -> bool {
    // ANCHOR: ex_wait_for_handlers
    tracker.close();
    match tokio::time::timeout(grace, tracker.wait()).await {
        Ok(()) => {
            info!("all connections closed");
            true
        }
        Err(_) => {
            warn!("gave up after {grace:?} on {} connection(s)", tracker.len());
            false
        }
    }
    // ANCHOR_END: ex_wait_for_handlers
}
// ANCHOR_END: wait_for_handlers

/// Binds `addr`, reporting the address in the error when that fails.
pub async fn bind(addr: &str) -> Result<TcpListener, Error> {
    TcpListener::bind(addr).await.map_err(|source| Error::Bind {
        addr: addr.to_owned(),
        source,
    })
}

/// Completes on Ctrl-C or SIGTERM: shared by every server of the course (see `common::shutdown`).
pub use common::shutdown_signal;
