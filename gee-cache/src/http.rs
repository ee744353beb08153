//! Day 3 — HTTP: the pool that serves a node's groups, and (day 5) fetches from its peers.
//!
//! A cache node is reachable over plain HTTP, like groupcache: one URL per key,
//!
//! ```text
//!   GET /_geecache/<group>/<key>      (Protocol::Gee; day 7: /_groupcache/ for Protocol::Groupcache)
//!   200  the value (application/octet-stream), or the value in the pool's codec when the
//!        client's `Accept` names the codec's content type (see [`crate::codec`])
//!   400  empty or over-long key · 404 unknown group or malformed path · 405 not GET ·
//!   500  load failed
//! ```
//!
//! Both path segments are **percent-encoded** by the client and decoded by the server. Go's
//! geecache escaped them with `url.QueryEscape` (space → `+`) but read the already-decoded
//! path, where `+` stays `+`: key `"a b"` arrived as `"a+b"` and the getter loaded the wrong
//! key. Here the client encodes every byte outside `A-Z a-z 0-9 - . _ ~` and the server
//! decodes `%XX` only, so any key round-trips, and `+` is a literal plus as in Go's server.
//!
//! The same [`HttpPool`] is also a client (day 5): it implements
//! [`PeerPicker`](crate::PeerPicker) with a consistent-hash ring over the peer URLs (in
//! [`crate::peers`]), and each peer is an [`HttpGetter`] sharing one pooled hyper client
//! (keep-alive connections), bounded by a request timeout.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use bytes::Bytes;
use common::Ring;
use http_body_util::{BodyExt, Empty, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{ACCEPT, ALLOW, CONTENT_TYPE, HeaderMap, HeaderValue};
use hyper::{Method, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use tokio::net::TcpListener;
use tracing::{debug, info, warn};

use crate::codec::{Codec, OCTET_STREAM, RawCodec};
use crate::group::Registry;
use crate::peers::{BoxFuture, PeerError, PeerGetter};
use crate::{Error, MAX_VALUE_LEN};

/// A response with its whole body in memory.
pub type Response = hyper::Response<Full<Bytes>>;

/// A request as hyper hands it to the server.
pub type Request = hyper::Request<Incoming>;

/// How many virtual nodes each peer gets on the ring (groupcache's `defaultReplicas`).
pub const DEFAULT_REPLICAS: usize = 50;

/// How long a peer may take to answer before the key is loaded locally instead.
pub const DEFAULT_PEER_TIMEOUT: Duration = Duration::from_secs(2);

/// How long a client may take to send its request headers.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The most bytes of request line and headers hyper buffers; a bigger head gets 431.
pub const MAX_HEAD_BYTES: usize = 64 << 10;

/// How long shutdown waits for requests in flight.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// The header the server sets when a 500 is the getter's own failure (not a broken node), so
/// a peer passes the error on instead of loading the key a second time.
pub const GETTER_ERROR_HEADER: &str = "x-gee-error";

/// The protobuf content type (day 7).
pub use crate::pb::PROTOBUF;

/// Characters encoded in a path segment: all but RFC 3986's unreserved `A-Z a-z 0-9 - . _ ~`.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Which URL prefix, ring and default codec a pool speaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Protocol {
    /// gee-cache's own: `/_geecache/`, ring names `"{peer}#{i}"`, raw answers unless the pool
    /// is handed another codec.
    #[default]
    Gee,
    /// Day 7: Go groupcache's: `/_groupcache/`, ring of CRC-32(`"{i}{peer}"`) × 50, protobuf
    /// `GetResponse` answers always (groupcache clients send no `Accept`), so a Rust node
    /// can join a ring of Go groupcache nodes.
    Groupcache,
}

impl Protocol {
    /// The URL prefix of the cache's paths.
    pub fn base_path(self) -> &'static str {
        match self {
            Protocol::Gee => "/_geecache/",
            Protocol::Groupcache => "/_groupcache/",
        }
    }

    pub(crate) fn ring(self) -> Ring {
        match self {
            Protocol::Gee => Ring::new(DEFAULT_REPLICAS),
            Protocol::Groupcache => Ring::groupcache(),
        }
    }

    /// The codec a pool speaking this protocol starts with.
    fn default_codec(self) -> Arc<dyn Codec> {
        match self {
            Protocol::Gee => Arc::new(RawCodec),
            // Day 7: groupcache's wire format is protobuf.
            Protocol::Groupcache => Arc::new(crate::pb::ProtobufCodec),
        }
    }
}

// ANCHOR: path
/// The path of `key` in `group`: `<base>/<group>/<key>` with both segments percent-encoded.
pub fn key_path(protocol: Protocol, group: &str, key: &str) -> String {
    // ANCHOR: ex_key_path
    format!(
        "{}{}/{}",
        protocol.base_path(),
        utf8_percent_encode(group, SEGMENT),
        utf8_percent_encode(key, SEGMENT)
    )
    // ANCHOR_END: ex_key_path
}

/// Splits a request path into its decoded group and key, or `None` when the path is not
/// `<base><group>/<key>` or a segment is not valid percent-encoded UTF-8.
///
/// The key is everything after the first `/`, so a key may contain `/` (encoded or not).
pub fn parse_path(base: &str, path: &str) -> Option<(String, String)> {
    // ANCHOR: ex_parse_path
    let rest = path.strip_prefix(base)?;
    let (group, key) = rest.split_once('/')?;
    let group = percent_decode_str(group).decode_utf8().ok()?;
    let key = percent_decode_str(key).decode_utf8().ok()?;
    if group.is_empty() {
        return None;
    }
    Some((group.into_owned(), key.into_owned()))
    // ANCHOR_END: ex_parse_path
}
// ANCHOR_END: path

/// A plain-text response.
pub fn text(status: StatusCode, body: impl Into<String>) -> Response {
    let mut response = hyper::Response::new(Full::new(Bytes::from(body.into())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// A response carrying `body` with the given content type.
pub fn bytes_response(content_type: &'static str, body: impl Into<Bytes>) -> Response {
    let mut response = hyper::Response::new(Full::new(body.into()));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// The peers a pool knows (day 5): the ring and one client handle per peer URL.
#[derive(Clone)]
pub(crate) struct Peers {
    pub(crate) ring: Ring,
    pub(crate) getters: HashMap<String, Arc<HttpGetter>>,
}

pub(crate) struct PoolInner {
    pub(crate) self_url: String,
    pub(crate) protocol: Protocol,
    registry: Registry,
    pub(crate) codec: Arc<dyn Codec>,
    pub(crate) peers: RwLock<Peers>,
    pub(crate) client: Client<HttpConnector, Empty<Bytes>>,
    pub(crate) timeout: Duration,
}

impl Clone for PoolInner {
    fn clone(&self) -> Self {
        let peers = self.peers.read().unwrap_or_else(PoisonError::into_inner);
        Self {
            self_url: self.self_url.clone(),
            protocol: self.protocol,
            registry: self.registry.clone(),
            codec: Arc::clone(&self.codec),
            peers: RwLock::new(peers.clone()),
            client: self.client.clone(),
            timeout: self.timeout,
        }
    }
}

/// A cache node's HTTP side: the server for its groups and the client to its peers.
#[derive(Clone)]
pub struct HttpPool {
    pub(crate) inner: Arc<PoolInner>,
}

impl std::fmt::Debug for HttpPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpPool")
            .field("self", &self.inner.self_url)
            .field("protocol", &self.inner.protocol)
            .finish()
    }
}

impl HttpPool {
    /// A pool for the node at `self_url` (e.g. `http://127.0.0.1:8001`, exactly as it appears
    /// in the peer list) serving the groups of the global registry, speaking gee's protocol.
    pub fn new(self_url: &str) -> Self {
        Self::with_options(
            self_url,
            Registry::global().clone(),
            Protocol::Gee,
            DEFAULT_PEER_TIMEOUT,
        )
    }

    /// A pool with its own registry, protocol and peer timeout.
    pub fn with_options(
        self_url: &str,
        registry: Registry,
        protocol: Protocol,
        timeout: Duration,
    ) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(timeout));
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .pool_timer(TokioTimer::new())
            .build(connector);
        HttpPool {
            inner: Arc::new(PoolInner {
                self_url: self_url.trim_end_matches('/').to_owned(),
                protocol,
                registry,
                codec: protocol.default_codec(),
                peers: RwLock::new(Peers {
                    ring: protocol.ring(),
                    getters: HashMap::new(),
                }),
                client,
                timeout,
            }),
        }
    }

    // ANCHOR: with_codec
    /// The pool with `codec` for the answers peers ask for and the answers it reads from
    /// them (day 7 hands it [`ProtobufCodec`](crate::pb::ProtobufCodec)). Call it while
    /// setting the pool up: clones made before keep the codec they had.
    pub fn with_codec(mut self, codec: impl Codec) -> Self {
        Arc::make_mut(&mut self.inner).codec = Arc::new(codec);
        self
    }
    // ANCHOR_END: with_codec

    /// This node's URL.
    pub fn self_url(&self) -> &str {
        &self.inner.self_url
    }

    /// The registry whose groups this pool serves.
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// Logs with the node's name, like Go's `[Server localhost:9999] ...`.
    fn log(&self, message: std::fmt::Arguments<'_>) {
        info!("[Server {}] {message}", self.inner.self_url);
    }

    // ANCHOR: handle
    /// Answers one request (Go's `ServeHTTP`), never panicking whatever the path.
    pub async fn handle(&self, req: Request) -> Response {
        // ANCHOR: ex_handle
        if req.method() != Method::GET {
            let mut response = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("GET"));
            return response;
        }
        let path = req.uri().path();
        self.log(format_args!("{} {}", req.method(), path));
        let Some((group_name, key)) = parse_path(self.inner.protocol.base_path(), path) else {
            return text(StatusCode::NOT_FOUND, format!("not found: {path}\n"));
        };
        let Some(group) = self.inner.registry.get(&group_name) else {
            return text(
                StatusCode::NOT_FOUND,
                format!("no such group: {group_name}\n"),
            );
        };
        let codec = &self.inner.codec;
        match group.get_for_peer(&key).await {
            Ok(value) if self.answers_in_codec(&req) => {
                bytes_response(codec.content_type(), codec.encode(&value))
            }
            Ok(value) => bytes_response(OCTET_STREAM, value.bytes()),
            Err(err) => error_response(&err),
        }
        // ANCHOR_END: ex_handle
    }
    // ANCHOR_END: handle

    /// True when `req` gets its value in the pool's codec: a peer names the codec's content
    /// type in `Accept`; anyone else (curl, a browser) gets the raw bytes.
    fn answers_in_codec(&self, req: &Request) -> bool {
        // Day 7: groupcache's clients send no `Accept` and always expect protobuf.
        self.inner.protocol == Protocol::Groupcache
            || names_type(req.headers(), ACCEPT, self.inner.codec.content_type())
    }

    /// Serves this pool on `listener` until `shutdown` completes, then shuts down gracefully.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), Error> {
        serve(listener, shutdown, move |req| {
            let pool = self.clone();
            async move { pool.handle(req).await }
        })
        .await
    }
}

/// The status and text for a failed get; getter failures are marked so peers pass them on.
fn error_response(err: &Error) -> Response {
    let status = match err {
        Error::EmptyKey | Error::KeyTooLong { .. } => StatusCode::BAD_REQUEST,
        Error::NoSuchGroup(_) => StatusCode::NOT_FOUND,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let mut response = text(status, err.to_string());
    if matches!(
        err,
        Error::Getter(_) | Error::ValueTooLarge { .. } | Error::LoaderPanicked { .. }
    ) {
        response
            .headers_mut()
            .insert(GETTER_ERROR_HEADER, HeaderValue::from_static("getter"));
    }
    response
}

/// True when the header `name` (`Accept`, `Content-Type`) names the media type `kind`.
fn names_type(headers: &HeaderMap, name: hyper::header::HeaderName, kind: &str) -> bool {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim().starts_with(kind)))
}

/// The client for one peer (Go's `httpGetter`), day 5.
pub struct HttpGetter {
    pub(crate) base_url: String,
    pub(crate) protocol: Protocol,
    pub(crate) codec: Arc<dyn Codec>,
    pub(crate) client: Client<HttpConnector, Empty<Bytes>>,
    pub(crate) timeout: Duration,
}

impl HttpGetter {
    // ANCHOR: fetch
    async fn fetch(&self, group: &str, key: &str) -> Result<Bytes, PeerError> {
        let peer = || self.base_url.clone();
        let url = format!("{}{}", self.base_url, key_path(self.protocol, group, key));
        let request = hyper::Request::get(url)
            .header(ACCEPT, self.codec.content_type())
            .body(Empty::new())
            .map_err(|err| PeerError::Transport {
                peer: peer(),
                message: err.to_string(),
            })?;
        let exchange = async {
            let response = self.client.request(request).await?;
            let (parts, body) = response.into_parts();
            // Never buffer more than the biggest value we accept (plus protobuf framing):
            // refuse an announced length at once, and cut a streamed body at the limit.
            let limit = MAX_VALUE_LEN + 64;
            let announced = hyper::body::Body::size_hint(&body).lower();
            if announced > limit as u64 {
                return Err(format!(
                    "answer of {announced} bytes exceeds the limit of {limit} bytes"
                )
                .into());
            }
            let body = Limited::new(body, limit).collect().await?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>((parts, body.to_bytes()))
        };
        let (parts, body) = match tokio::time::timeout(self.timeout, exchange).await {
            Err(_) => {
                return Err(PeerError::Timeout {
                    peer: peer(),
                    millis: self.timeout.as_millis(),
                });
            }
            Ok(Err(err)) => {
                return Err(PeerError::Transport {
                    peer: peer(),
                    message: error_chain(err.as_ref()),
                });
            }
            Ok(Ok(answer)) => answer,
        };
        if parts.status != StatusCode::OK {
            let text = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
            if parts.headers.contains_key(GETTER_ERROR_HEADER) {
                return Err(PeerError::Getter(text));
            }
            return Err(PeerError::Status {
                peer: peer(),
                status: parts.status.as_u16(),
                body: text,
            });
        }
        // We asked for the codec's type; anything else, or a body that does not decode, is a
        // broken peer, not a value.
        let malformed = |message: String| PeerError::Malformed {
            peer: peer(),
            message,
        };
        if !names_type(&parts.headers, CONTENT_TYPE, self.codec.content_type()) {
            return Err(malformed(format!(
                "expected {}, got {:?}",
                self.codec.content_type(),
                parts.headers.get(CONTENT_TYPE)
            )));
        }
        self.codec.decode(body).map_err(malformed)
    }
    // ANCHOR_END: fetch
}

impl PeerGetter for HttpGetter {
    fn get<'a>(&'a self, group: &'a str, key: &'a str) -> BoxFuture<'a, Result<Bytes, PeerError>> {
        Box::pin(self.fetch(group, key))
    }

    fn name(&self) -> &str {
        &self.base_url
    }
}

/// An error and its sources, joined: hyper's top-level messages alone are vague.
fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

// ANCHOR: serve
/// Serves HTTP on `listener` with `handler` until `shutdown` completes, then stops accepting
/// and lets requests in flight finish (up to [`SHUTDOWN_GRACE`]).
pub async fn serve<H, Fut>(
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
    handler: H,
) -> Result<(), Error>
where
    H: Fn(Request) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response> + Send + 'static,
{
    info!("listening on http://{}", listener.local_addr()?);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(MAX_HEAD_BYTES);
    builder.http2().max_header_list_size(MAX_HEAD_BYTES as u32);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(conn) => conn,
                    Err(err) => {
                        warn!("accept failed: {err}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let handler = handler.clone();
                let service = hyper::service::service_fn(move |req| {
                    let response = handler(req);
                    async move { Ok::<_, Infallible>(response.await) }
                });
                let conn = builder.serve_connection(TokioIo::new(stream), service);
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
        () = tokio::time::sleep(SHUTDOWN_GRACE) => warn!("gave up waiting for connections"),
    }
    Ok(())
}
// ANCHOR_END: serve

/// Binds `addr`, mapping failure to [`Error::Bind`].
pub async fn bind(addr: std::net::SocketAddr) -> Result<TcpListener, Error> {
    TcpListener::bind(addr).await.map_err(|source| Error::Bind {
        addr: addr.to_string(),
        source: Arc::new(source),
    })
}

/// Completes on Ctrl-C or SIGTERM: shared by every server of the course (see `common::shutdown`).
pub use common::shutdown_signal;
