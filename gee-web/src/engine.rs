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
//! connections, spawning a task for each, timing out slow clients, limiting bodies and
//! shutting down cleanly are ours to write, and [`Engine::serve`] does it in about forty
//! lines.
//!
//! The engine keeps its routes in a [`RouteTable`] (day 1's exact map, or day 3's trie) and
//! answers a request in three named steps ([`Engine::handle`]): route it (find the route's
//! handlers, or the 404), read its body within the [`Limits`], and run the handlers on a
//! fresh [`Context`]. The later days plug into those steps without rewriting them: day 2's
//! handlers take the `Context`, day 3 brings a better table, day 4's groups add prefixes
//! when registering, day 5's middleware lengthens the chain a route runs, and day 7's
//! recovery is one more middleware.
//!
//! Routes are registered on a mutable engine. When serving starts, the engine is *frozen*:
//! every route's complete handler chain is built once, so the request path does no prefix
//! matching and takes no lock.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Body, Incoming};
use hyper::header::{CONTENT_LENGTH, HeaderMap, HeaderValue};
use hyper::http::request::Parts;
use hyper::service::Service;
use hyper::{Method, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, ToSocketAddrs};
use tracing::{debug, info, warn};

use crate::group::{GroupData, RouterGroup};
use crate::handler::{BoxFuture, Handler};
use crate::router::Router;
use crate::routes::{Match, Miss, Params, RouteError, RouteTable};
use crate::{Context, Error};

/// A request as hyper hands it to us: headers parsed, body still streaming from the socket.
pub type Request = hyper::Request<Incoming>;

/// A response with its whole body in memory, which is what the renderers produce.
pub type Response = hyper::Response<Full<Bytes>>;

/// How long [`Engine::serve`] waits for in-flight requests after shutdown was asked for.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// The protections against clients that send too much or too slowly.
#[derive(Debug, Clone)]
pub struct Limits {
    /// The largest request body accepted, in bytes; more gets `413 Payload Too Large`.
    /// Default 2 MiB, like axum's.
    pub body_bytes: usize,
    /// How long a client may take to send its request headers (slowloris): hyper closes the
    /// connection after that. Also bounds how long an idle keep-alive connection stays open.
    /// Default 10 s.
    pub header_read_timeout: Duration,
    /// How long a client may take to send the body once the headers are in; hyper has no
    /// such timeout of its own. Too slow gets `408 Request Timeout`. Default 30 s.
    pub body_read_timeout: Duration,
    /// The most bytes of request line and headers together, and so the most hyper buffers
    /// while reading them; more gets `431 Request Header Fields Too Large` before the rest
    /// is read. Default 64 KiB (hyper's own default buffer is about 400 KiB). Values below
    /// 8 KiB, hyper's smallest buffer, act as 8 KiB for the buffer.
    pub header_bytes: usize,
    /// The most bytes of one header (name and value); more gets `431`. Default 8 KiB, the
    /// size of nginx's `large_client_header_buffers`.
    pub header_field_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            body_bytes: 2 << 20,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            header_bytes: 64 << 10,
            header_field_bytes: 8 << 10,
        }
    }
}

/// A route as registered: what it is for, and which group it belongs to.
#[derive(Clone)]
pub(crate) struct Registered {
    pub(crate) pattern: String,
    pub(crate) group: usize,
    pub(crate) handler: Arc<dyn Handler>,
    pub(crate) param_names: Vec<String>,
}

/// A route ready to serve: its pattern, parameter names, and complete handler chain.
pub(crate) struct Route {
    pub(crate) pattern: Box<str>,
    pub(crate) param_names: Box<[Box<str>]>,
    pub(crate) chain: Box<[Arc<dyn Handler>]>,
    /// False for the 404/405 pseudo-routes.
    pub(crate) matched: bool,
}

/// Every route's chain, built once when serving starts.
struct Compiled {
    routes: Vec<Arc<Route>>,
    not_found: Arc<Route>,
    /// The engine-wide middleware, which also runs for the answer to a [`Miss`].
    root_middleware: Box<[Arc<dyn Handler>]>,
}

impl Compiled {
    /// The chain answering a route table's [`Miss`]: the engine-wide middleware, then the
    /// miss itself. Built per miss; only misses pay for it.
    fn answer(&self, miss: Miss) -> Arc<Route> {
        let mut chain = self.root_middleware.to_vec();
        chain.push(Arc::new(AnswerMiss(miss)));
        Arc::new(Route {
            pattern: "".into(),
            param_names: Box::new([]),
            chain: chain.into(),
            matched: false,
        })
    }
}

/// The last handler of a [`Miss`]'s chain: writes the table's answer.
struct AnswerMiss(Miss);

impl Handler for AnswerMiss {
    fn call<'a>(&'a self, c: &'a mut Context) -> BoxFuture<'a, ()> {
        let Miss {
            status,
            headers,
            body,
        } = &self.0;
        c.string(*status, body.clone());
        for (name, value) in headers {
            c.headers.insert(name.clone(), value.clone());
        }
        Box::pin(std::future::ready(()))
    }
}

/// What the engine holds; shared behind an `Arc` once serving starts.
pub(crate) struct Inner {
    pub(crate) table: Box<dyn RouteTable>,
    pub(crate) routes: Vec<Registered>,
    /// Day 4: the groups routes are registered in (the root group is 0).
    pub(crate) groups: Vec<GroupData>,
    limits: Limits,
    compiled: Option<Arc<Compiled>>,
}

impl Clone for Inner {
    fn clone(&self) -> Self {
        Self {
            table: self.table.clone_table(),
            routes: self.routes.clone(),
            groups: self.groups.clone(),
            limits: self.limits.clone(),
            compiled: self.compiled.clone(),
        }
    }
}

/// The framework's entry point: register routes (and groups, middleware), then
/// [`run`](Engine::run) it.
///
/// The state lives behind an [`Arc`], so cloning an `Engine` is cheap and every connection
/// task gets its own handle to the same routes. While you register routes there is a single
/// owner and [`Arc::make_mut`] edits them in place; once serving starts nobody mutates
/// them, so no lock is needed on the request path.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<Inner>,
}

impl Engine {
    /// An engine with no routes and no middleware (gin's `gin.New()`): every request gets a
    /// 404 until you add some. It keeps its routes in day 3's trie ([`Router`]);
    /// `Engine::default()` (day 7) adds the logger and recovery.
    pub fn new() -> Self {
        Self::with_routes(Router::new())
    }

    // ANCHOR: with_routes
    /// An engine keeping its routes in `table`: day 1's [`MapRoutes`](crate::routes::MapRoutes)
    /// or day 3's trie [`Router`].
    pub fn with_routes(table: impl RouteTable) -> Self {
        Self {
            inner: Arc::new(Inner {
                table: Box::new(table),
                routes: Vec::new(),
                groups: vec![GroupData::root()],
                limits: Limits::default(),
                compiled: None,
            }),
        }
    }
    // ANCHOR_END: with_routes

    /// The engine's state, for changing it during set-up (un-freezes the engine).
    pub(crate) fn inner_mut(&mut self) -> &mut Inner {
        let inner = Arc::make_mut(&mut self.inner);
        inner.compiled = None;
        inner
    }

    /// The root group: routes and middleware registered on the engine itself go here.
    pub fn root(&mut self) -> RouterGroup<'_> {
        RouterGroup::new(self, 0)
    }

    /// A group of routes under `prefix`, e.g. `r.group("/v1")` (day 4).
    pub fn group(&mut self, prefix: &str) -> RouterGroup<'_> {
        RouterGroup::new(self, 0).into_group(prefix)
    }

    // ANCHOR: add_route
    /// Registers `handler` for requests with this `method` whose path matches `pattern`.
    ///
    /// # Panics
    ///
    /// When the pattern is malformed or conflicts with a route already registered (same
    /// pattern, `/a/:x` next to `/a/:y`, two catch-alls): like gin and axum, a broken route
    /// table is a programming error that should stop the program at start-up, with a message
    /// naming both routes. [`try_add_route`](Self::try_add_route) returns the error instead.
    pub fn add_route(&mut self, method: Method, pattern: &str, handler: impl Handler) -> &mut Self {
        if let Err(err) = self.try_add_route(method, pattern, handler) {
            panic!("cannot register route: {err}");
        }
        self
    }

    /// Registers a route, or says why it cannot be registered (the engine is unchanged then).
    pub fn try_add_route(
        &mut self,
        method: Method,
        pattern: &str,
        handler: impl Handler,
    ) -> Result<&mut Self, RouteError> {
        self.register(0, method, pattern, Arc::new(handler))?;
        Ok(self)
    }

    /// Puts a route in the table and remembers its handler and its group (day 4: groups
    /// pass their id and the pattern with their prefix; the root group is 0).
    pub(crate) fn register(
        &mut self,
        group: usize,
        method: Method,
        pattern: &str,
        handler: Arc<dyn Handler>,
    ) -> Result<(), RouteError> {
        let inner = self.inner_mut();
        let index = inner.routes.len();
        let param_names = inner.table.insert(method.clone(), pattern, index)?;
        info!("Route {:>4} - {}", method.as_str(), pattern);
        inner.routes.push(Registered {
            pattern: pattern.to_owned(),
            group,
            handler,
            param_names,
        });
        Ok(())
    }
    // ANCHOR_END: add_route

    /// Registers a handler for `GET pattern` (also used for `HEAD`).
    pub fn get(&mut self, pattern: &str, handler: impl Handler) -> &mut Self {
        self.add_route(Method::GET, pattern, handler)
    }

    /// Registers a handler for `POST pattern`.
    pub fn post(&mut self, pattern: &str, handler: impl Handler) -> &mut Self {
        self.add_route(Method::POST, pattern, handler)
    }

    /// Registers a handler for `PUT pattern`.
    pub fn put(&mut self, pattern: &str, handler: impl Handler) -> &mut Self {
        self.add_route(Method::PUT, pattern, handler)
    }

    /// Registers a handler for `DELETE pattern`.
    pub fn delete(&mut self, pattern: &str, handler: impl Handler) -> &mut Self {
        self.add_route(Method::DELETE, pattern, handler)
    }

    /// Registers a handler for `PATCH pattern`.
    pub fn patch(&mut self, pattern: &str, handler: impl Handler) -> &mut Self {
        self.add_route(Method::PATCH, pattern, handler)
    }

    /// Serves the files under the directory `root` at `relative/*filepath` (day 6).
    pub fn static_dir(&mut self, relative: &str, root: impl Into<std::path::PathBuf>) -> &mut Self {
        self.root().static_dir(relative, root);
        self
    }

    /// Replaces the body-size and timeout limits.
    pub fn set_limits(&mut self, limits: Limits) -> &mut Self {
        self.inner_mut().limits = limits;
        self
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// Every registered `(method, pattern)`, like gin's `Routes()`.
    pub fn routes(&self) -> Vec<(Method, String)> {
        self.inner.table.routes()
    }

    /// Builds every route's chain now, so that requests find them ready. `serve` calls it;
    /// call it yourself if you drive the engine as a hyper `Service` directly.
    pub fn freeze(&mut self) {
        if self.inner.compiled.is_none() {
            let compiled = Arc::new(self.inner.compile());
            Arc::make_mut(&mut self.inner).compiled = Some(compiled);
        }
    }

    // ANCHOR: handle
    /// Answers one request in three steps: route it, read its body, run its handlers. This
    /// is Go's `ServeHTTP`; a step that refuses the request answers for it.
    pub async fn handle(&self, req: Request) -> Response {
        let fresh;
        let compiled: &Compiled = match &self.inner.compiled {
            Some(compiled) => compiled,
            None => {
                fresh = self.inner.compile();
                &fresh
            }
        };
        let (parts, body) = req.into_parts();
        // ANCHOR: ex_handle
        let (route, params) = match self.route(compiled, &parts) {
            Ok(found) => found,
            Err((status, why)) => return plain(status, why),
        };
        let body = match read_body(body, &parts.headers, &self.inner.limits).await {
            Ok(body) => body,
            Err(refused) => return refused,
        };
        run(route, parts, body, params).await
        // ANCHOR_END: ex_handle
    }
    // ANCHOR_END: handle

    // ANCHOR: route
    /// Step 1: checks the request head and finds the chain to run: the route's, the 404
    /// chain, or (day 3) the chain answering the table's [`Miss`].
    fn route(&self, compiled: &Compiled, parts: &Parts) -> Result<(Arc<Route>, Params), Refusal> {
        check_head(parts, &self.inner.limits)?;
        let mut params = Params::new();
        let route = match self
            .inner
            .table
            .find(&parts.method, &parts.uri, &mut params)
        {
            Match::Route(index) => Arc::clone(&compiled.routes[index]),
            Match::NotFound => Arc::clone(&compiled.not_found),
            Match::Miss(miss) => compiled.answer(miss),
        };
        Ok((route, params))
    }
    // ANCHOR_END: route

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
        mut self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), Error> {
        self.freeze();
        info!("listening on http://{}", listener.local_addr()?);
        // `auto` speaks HTTP/1.1 and HTTP/2 (it sniffs the h2 preface). The timer is what makes
        // hyper enforce the header-read timeout: without it the setting is silently ignored.
        let mut builder = auto::Builder::new(TokioExecutor::new());
        // `max_buf_size` bounds what hyper buffers while reading a request head: a bigger
        // head gets 431 from hyper itself, before it is read whole.
        let limits = &self.inner.limits;
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout)
            .max_buf_size(limits.header_bytes.max(8192));
        builder
            .http2()
            .timer(TokioTimer::new())
            .max_header_list_size(u32::try_from(limits.header_bytes).unwrap_or(u32::MAX));
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

impl Inner {
    /// Builds every route's chain: the middleware of each enclosing group, outermost first,
    /// then the route's handler.
    fn compile(&self) -> Compiled {
        let routes = self
            .routes
            .iter()
            .map(|r| {
                // Day 5: the middleware of the route's groups goes first (none before day 5).
                let mut chain = self.middleware_of(r.group);
                chain.push(Arc::clone(&r.handler));
                Arc::new(Route {
                    pattern: r.pattern.as_str().into(),
                    param_names: r.param_names.iter().map(|n| n.as_str().into()).collect(),
                    chain: chain.into(),
                    matched: true,
                })
            })
            .collect();
        let fallback = |handler: Arc<dyn Handler>| {
            let mut chain = self.middleware_of(0);
            chain.push(handler);
            Arc::new(Route {
                pattern: "".into(),
                param_names: Box::new([]),
                chain: chain.into(),
                matched: false,
            })
        };
        Compiled {
            routes,
            not_found: fallback(Arc::new(not_found)),
            root_middleware: self.middleware_of(0).into(),
        }
    }
}

// ANCHOR: not_found
/// The last handler of the chain when no route matched: `404 NOT FOUND: <path>`.
async fn not_found(c: &mut Context) {
    // ANCHOR: ex_not_found
    let body = format!("404 NOT FOUND: {}\n", c.path());
    c.string(StatusCode::NOT_FOUND, body);
    // ANCHOR_END: ex_not_found
}
// ANCHOR_END: not_found

impl Context {
    /// The response the handlers built.
    fn into_response(self) -> Response {
        let mut response = hyper::Response::new(Full::new(self.out));
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers;
        response
    }
}

/// A plain-text response the engine makes itself (400, 408, 413, 500).
fn plain(status: StatusCode, body: &'static str) -> Response {
    let mut response = hyper::Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// True when every '%' in `path` starts a two-hex-digit escape and the decoded bytes are
/// UTF-8: `/a%20b` yes, `/a%zz` and `/%ff` (a lone byte that is not UTF-8) no.
fn is_valid_encoded_path(path: &str) -> bool {
    let bytes = path.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = |b: Option<&u8>| b.is_some_and(u8::is_ascii_hexdigit);
            if !hex(bytes.get(i + 1)) || !hex(bytes.get(i + 2)) {
                return false;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .is_ok()
}

/// Why the engine refuses a request before routing it: a status and a plain-text body.
type Refusal = (StatusCode, &'static str);

// ANCHOR: check_head
/// Refuses a request head the engine will not route: headers over the limits (431), a
/// target that is not a path (`CONNECT host:port`, `OPTIONS *`), broken %-encoding (400).
///
/// Hyper already refused a head larger than its buffer (`max_buf_size`, set from
/// `limits.header_bytes` in [`Engine::serve`]) with 431 while reading it, without
/// buffering more; this adds the limit on a single header.
fn check_head(parts: &Parts, limits: &Limits) -> Result<(), Refusal> {
    let mut total = parts.uri.path().len() + parts.uri.query().map_or(0, str::len);
    for (name, value) in &parts.headers {
        let field = name.as_str().len() + value.len();
        total += field;
        if field > limits.header_field_bytes || total > limits.header_bytes {
            return Err((
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "431 REQUEST HEADER FIELDS TOO LARGE\n",
            ));
        }
    }
    let path = parts.uri.path();
    if !path.starts_with('/') {
        return Err((
            StatusCode::BAD_REQUEST,
            "400 BAD REQUEST: expected a path\n",
        ));
    }
    if path.contains('%') && !is_valid_encoded_path(path) {
        return Err((
            StatusCode::BAD_REQUEST,
            "400 BAD REQUEST: malformed percent-encoding in the path\n",
        ));
    }
    Ok(())
}
// ANCHOR_END: check_head

// ANCHOR: run
/// Step 3: runs the route's handlers on a fresh [`Context`] and sends what they wrote.
/// Parameters of a path with '%' escapes are decoded once here (day 3).
async fn run(route: Arc<Route>, parts: Parts, body: Bytes, params: Params) -> Response {
    let decoded = params.decoded(parts.uri.path());
    let mut c = Context::new(route, parts, body, params, decoded);
    c.next().await;
    c.into_response()
}
// ANCHOR_END: run

// ANCHOR: read_body
/// Step 2: reads the whole request body, refusing more than the limit (413) or a client too slow to
/// send it (408). Hyper itself has neither limit.
async fn read_body(
    body: Incoming,
    headers: &HeaderMap,
    limits: &Limits,
) -> Result<Bytes, Response> {
    if body.is_end_stream() {
        return Ok(Bytes::new());
    }
    let too_large = || {
        plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            "413 PAYLOAD TOO LARGE: the request body exceeds the limit\n",
        )
    };
    // A declared length over the limit is refused before reading a byte of it.
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limits.body_bytes as u64) {
        return Err(too_large());
    }
    let limited = Limited::new(body, limits.body_bytes).collect();
    match tokio::time::timeout(limits.body_read_timeout, limited).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(err)) if err.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
        Ok(Err(err)) => {
            debug!("cannot read the request body: {err}");
            Err(plain(
                StatusCode::BAD_REQUEST,
                "400 BAD REQUEST: cannot read the request body\n",
            ))
        }
        Err(_) => Err(plain(
            StatusCode::REQUEST_TIMEOUT,
            "408 REQUEST TIMEOUT: the request body came too slowly\n",
        )),
    }
}
// ANCHOR_END: read_body

// ANCHOR: service
/// The bridge to hyper: for every request on a connection, hyper calls `call`.
///
/// The returned future must own everything it uses (hyper may poll it after `call` returns),
/// so it captures a clone of the engine: one reference-count increment per request.
impl Service<Request> for Engine {
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn call(&self, req: Request) -> Self::Future {
        let engine = self.clone();
        Box::pin(async move { Ok(engine.handle(req).await) })
    }
}
// ANCHOR_END: service

/// Completes on Ctrl-C or SIGTERM: shared by every server of the course (see `common::shutdown`).
pub use common::shutdown_signal;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoded_paths_are_checked() {
        assert!(is_valid_encoded_path("/a%20b/%E4%BD%A0"));
        assert!(!is_valid_encoded_path("/a%zz"));
        assert!(!is_valid_encoded_path("/a%2"));
        assert!(!is_valid_encoded_path("/a%"));
        assert!(!is_valid_encoded_path("/%ff"));
    }
}
