//! Shared helpers for gee-cache's acceptance tests: the Go course's score database, nodes
//! started on port 0, and a real HTTP client.

#![allow(dead_code)] // each test file uses a different subset

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use gee_cache::{Getter, HttpPool, Protocol, Registry};
use http_body_util::{BodyExt, Empty};
use hyper::{HeaderMap, Method, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// A name no other test uses, for groups in the global registry.
pub fn unique(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!("{prefix}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The Go course's database, counting how often each key is loaded.
#[derive(Clone, Default)]
pub struct SlowDb {
    pub loads: Arc<Mutex<HashMap<String, usize>>>,
}

impl SlowDb {
    /// How many times `key` was loaded.
    pub fn loads_of(&self, key: &str) -> usize {
        self.loads
            .lock()
            .expect("loads lock")
            .get(key)
            .copied()
            .unwrap_or(0)
    }

    /// Total loads of all keys.
    pub fn total_loads(&self) -> usize {
        self.loads.lock().expect("loads lock").values().sum()
    }

    /// A getter over {Tom: 630, Jack: 589, Sam: 567} and every key starting with `any`
    /// (`"value of <key>"`); any other key is `"<key> not exist"`.
    pub fn getter(&self) -> impl Getter + use<> {
        let loads = self.loads.clone();
        move |key: &str| {
            *loads
                .lock()
                .expect("loads lock")
                .entry(key.to_owned())
                .or_default() += 1;
            match key {
                "Tom" => Ok("630".to_owned()),
                "Jack" => Ok("589".to_owned()),
                "Sam" => Ok("567".to_owned()),
                other if other.starts_with("any") => Ok(format!("value of {other}")),
                other => Err(format!("{other} not exist")),
            }
        }
    }
}

/// A pool running in the background; dropping it shuts the server down.
pub struct Node {
    pub addr: SocketAddr,
    pub url: String,
    pub pool: HttpPool,
    pub registry: Registry,
    _stop: oneshot::Sender<()>,
}

/// Binds port 0 and returns the listener and its URL, so pools can learn their URL first.
pub async fn listener() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
    let url = format!("http://{}", listener.local_addr().expect("local addr"));
    (listener, url)
}

/// Starts a pool with its own registry on `listener`.
pub fn start_pool(listener: TcpListener, url: &str, protocol: Protocol, timeout: Duration) -> Node {
    start_pool_with_codec(
        listener,
        url,
        protocol,
        timeout,
        None::<gee_cache::RawCodec>,
    )
}

/// Starts a pool with its own registry on `listener`, handed `codec` if given.
pub fn start_pool_with_codec<C: gee_cache::Codec>(
    listener: TcpListener,
    url: &str,
    protocol: Protocol,
    timeout: Duration,
    codec: Option<C>,
) -> Node {
    let addr = listener.local_addr().expect("local addr");
    let registry = Registry::new();
    let mut pool = HttpPool::with_options(url, registry.clone(), protocol, timeout);
    if let Some(codec) = codec {
        pool = pool.with_codec(codec);
    }
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(pool.clone().serve(listener, async move {
        let _ = stopped.await;
    }));
    Node {
        addr,
        url: url.to_owned(),
        pool,
        registry,
        _stop: stop,
    }
}

/// A response as the test sees it.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends one request on a fresh connection and reads the whole response.
pub async fn send(addr: SocketAddr, method: Method, path: &str, headers: &[(&str, &str)]) -> Reply {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("HTTP/1.1 handshake");
    tokio::spawn(conn);
    let mut request = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr.to_string());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = sender
        .send_request(request.body(Empty::<Bytes>::new()).expect("a request"))
        .await
        .expect("send the request");
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("read the body").to_bytes();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

/// `GET path`.
pub async fn get(addr: SocketAddr, path: &str) -> Reply {
    send(addr, Method::GET, path, &[]).await
}
