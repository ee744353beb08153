//! Day 1 — hyper service basics: an `Engine` that owns the routes and answers requests.
//!
//! In Go, a web framework starts with one interface: `http.Handler`, whose `ServeHTTP(w, req)`
//! the standard server calls for every request. Gee's day 1 is an `Engine` implementing it,
//! holding a map from `"GET-/hello"` to a handler function. The Rust counterpart of
//! `http.Handler` is hyper's [`Service`] trait: a request goes in, a *future* of a response
//! comes out, because in async Rust "calling the handler" and "the answer being ready" are
//! two different moments.
//!
//! Hyper is deliberately small: it speaks HTTP on one connection and nothing else. Accepting
//! connections, spawning a task for each, timing out slow clients and shutting down cleanly
//! are ours to write, and [`Engine::serve`] does it in about forty lines. Later days replace
//! the map with a trie (day 3), the bare request with a `Context` (day 2) and add middleware
//! (day 5); the shape of the service stays the same.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::Service;
use hyper::{Method, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, ToSocketAddrs};
use tracing::{debug, info, warn};

use crate::Error;

/// A request as hyper hands it to us: headers parsed, body still streaming from the socket.
pub type Request = hyper::Request<Incoming>;

/// A response with its whole body in memory, which is what most handlers produce.
pub type Response = hyper::Response<Full<Bytes>>;

/// A boxed, sendable future: what a handler returns once its type has been erased.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Something that turns a [`Request`] into a [`Response`]: Go's `HandlerFunc`.
///
/// You rarely implement it by hand: any `async` closure or function
/// `Fn(Request) -> impl Future<Output = Response>` is a `Handler` through the blanket impl
/// below. The trait exists so the route map can hold handlers of *different* closure types
/// behind one `Arc<dyn Handler>`.
pub trait Handler: Send + Sync + 'static {
    /// Handles one request.
    fn call(&self, req: Request) -> BoxFuture<Response>;
}

impl<F, Fut> Handler for F
where
    F: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response> + Send + 'static,
{
    fn call(&self, req: Request) -> BoxFuture<Response> {
        Box::pin(self(req))
    }
}

/// How long a client may take to send its request headers before we hang up.
///
/// Without it, a client that opens connections and never finishes its headers (slowloris)
/// would hold them open forever. Hyper only enforces it when a timer is set (see `serve`).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long [`Engine::serve`] waits for in-flight requests after shutdown was asked for.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// The route map: `"METHOD-pattern"` → handler. Shared by every connection.
type Routes = HashMap<String, Arc<dyn Handler>>;

/// The framework's entry point: register routes, then [`run`](Engine::run) it.
///
/// The routes live behind an [`Arc`], so cloning an `Engine` is cheap and every connection
/// task gets its own handle to the same map. While you register routes there is a single
/// owner and [`Arc::make_mut`] edits the map in place; once serving starts nobody mutates
/// it, so no lock is needed on the request path.
#[derive(Clone, Default)]
pub struct Engine {
    routes: Arc<Routes>,
}

// ANCHOR: route_key
/// The key a route is stored under: the method, a dash and the pattern, e.g. `GET-/hello`.
pub fn route_key(method: &Method, pattern: &str) -> String {
    // ANCHOR: ex_route_key
    format!("{method}-{pattern}")
    // ANCHOR_END: ex_route_key
}
// ANCHOR_END: route_key

/// A plain-text response with the given status: the day-1 stand-in for day 2's `c.string()`.
pub fn text(status: StatusCode, body: impl Into<String>) -> Response {
    let mut response = hyper::Response::new(Full::new(Bytes::from(body.into())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

impl Engine {
    /// An engine with no routes: every request gets a 404 until you add some.
    pub fn new() -> Self {
        Self::default()
    }

    // ANCHOR: add_route
    /// Registers `handler` for requests with this `method` and exactly this path.
    ///
    /// Registering the same method and pattern twice replaces the first handler (day 3's
    /// trie will reject such conflicts instead).
    pub fn add_route(&mut self, method: Method, pattern: &str, handler: impl Handler) -> &mut Self {
        info!("Route {:>4} - {}", method.as_str(), pattern);
        let key = route_key(&method, pattern);
        Arc::make_mut(&mut self.routes).insert(key, Arc::new(handler));
        self
    }
    // ANCHOR_END: add_route

    /// Registers a handler for `GET pattern`.
    pub fn get(&mut self, pattern: &str, handler: impl Handler) -> &mut Self {
        self.add_route(Method::GET, pattern, handler)
    }

    /// Registers a handler for `POST pattern`.
    pub fn post(&mut self, pattern: &str, handler: impl Handler) -> &mut Self {
        self.add_route(Method::POST, pattern, handler)
    }

    // ANCHOR: handle
    /// Answers one request: finds its handler by method and path, or answers 404.
    ///
    /// This is Go's `ServeHTTP`. Unlike the Go original, which wrote `404 NOT FOUND` into a
    /// response whose status stayed 200, a miss here has the status 404 as well.
    pub async fn handle(&self, req: Request) -> Response {
        // ANCHOR: ex_handle
        let key = route_key(req.method(), req.uri().path());
        match self.routes.get(&key) {
            Some(handler) => handler.call(req).await,
            None => text(
                StatusCode::NOT_FOUND,
                format!("404 NOT FOUND: {}\n", req.uri().path()),
            ),
        }
        // ANCHOR_END: ex_handle
    }
    // ANCHOR_END: handle

    /// Binds `addr` and serves until Ctrl-C or SIGTERM, then shuts down gracefully.
    pub async fn run(self, addr: impl ToSocketAddrs + std::fmt::Debug) -> Result<(), Error> {
        let listener = TcpListener::bind(&addr)
            .await
            .map_err(|source| Error::Bind {
                addr: format!("{addr:?}"),
                source,
            })?;
        self.serve(listener, shutdown_signal()).await
    }

    // ANCHOR: serve
    /// Serves connections from `listener` until `shutdown` completes, then stops accepting,
    /// lets in-flight requests finish (up to [`SHUTDOWN_GRACE`]) and returns.
    ///
    /// Tests call this with a listener bound to port 0 and a shutdown future they control.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), Error> {
        info!("listening on http://{}", listener.local_addr()?);
        // `auto` speaks HTTP/1.1 and HTTP/2 (it sniffs the h2 preface). The timer is what makes
        // hyper enforce the header-read timeout: without it the setting is silently ignored.
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_READ_TIMEOUT);
        builder.http2().timer(TokioTimer::new());
        let graceful = GracefulShutdown::new();
        let mut shutdown = std::pin::pin!(shutdown);

        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let (stream, peer) = match accepted {
                        Ok(conn) => conn,
                        Err(err) => {
                            // A client that vanished mid-handshake is not our problem; running
                            // out of file descriptors is, so back off instead of spinning.
                            warn!("accept failed: {err}");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    };
                    let _ = stream.set_nodelay(true);
                    let conn = builder.serve_connection(TokioIo::new(stream), self.clone());
                    let conn = graceful.watch(conn.into_owned());
                    tokio::spawn(async move {
                        if let Err(err) = conn.await {
                            debug!("connection from {peer} ended: {err}");
                        }
                    });
                }
                () = &mut shutdown => {
                    info!("shutting down: no new connections, finishing in-flight requests");
                    break;
                }
            }
        }
        drop(listener);
        tokio::select! {
            () = graceful.shutdown() => info!("all connections closed"),
            () = tokio::time::sleep(SHUTDOWN_GRACE) => {
                warn!("gave up waiting for connections after {SHUTDOWN_GRACE:?}");
            }
        }
        Ok(())
    }
    // ANCHOR_END: serve
}

// ANCHOR: service
/// The bridge to hyper: for every request on a connection, hyper calls `call`.
///
/// The returned future must own everything it uses (hyper may poll it after `call` returns),
/// so it captures a clone of the engine: one reference-count increment per request.
impl Service<Request> for Engine {
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<Result<Response, Infallible>>;

    fn call(&self, req: Request) -> Self::Future {
        let engine = self.clone();
        Box::pin(async move { Ok(engine.handle(req).await) })
    }
}
// ANCHOR_END: service

/// Completes on Ctrl-C (SIGINT) or, on Unix, SIGTERM: what `docker stop` and the tour send.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_key_is_method_dash_pattern() {
        assert_eq!(route_key(&Method::GET, "/hello"), "GET-/hello");
        assert_eq!(route_key(&Method::POST, "/login"), "POST-/login");
    }
}
