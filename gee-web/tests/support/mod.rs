//! Shared helpers for gee-web's acceptance tests: start a server on port 0, talk HTTP to it.
//!
//! Every test gets its own server on a port the OS picked, so tests run in parallel, and
//! the client is hyper's own (a real HTTP/1.1 client over a real socket), so what passes
//! here passes for curl and browsers too.

#![allow(dead_code)] // each test file uses a different subset

use std::net::SocketAddr;

use bytes::Bytes;
use gee_web::Engine;
use http_body_util::{BodyExt, Full};
use hyper::{HeaderMap, Method, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A server running in the background of a test; dropping `stop` (or sending on it) shuts it down.
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Send `()` (or drop) to start a graceful shutdown.
    pub stop: Option<oneshot::Sender<()>>,
    /// The server task; completes after the graceful shutdown.
    pub task: JoinHandle<Result<(), gee_web::Error>>,
}

/// Starts `engine` on 127.0.0.1:0 and returns once it accepts connections.
pub async fn start(engine: Engine) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
    let addr = listener.local_addr().expect("local addr");
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(engine.serve(listener, async move {
        let _ = stopped.await;
    }));
    TestServer {
        addr,
        stop: Some(stop),
        task,
    }
}

/// A response as the test sees it.
#[derive(Debug)]
pub struct Reply {
    /// The status code.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The whole body, as text (lossy).
    pub body: String,
}

/// Sends one request on a fresh connection and reads the whole response.
pub async fn send(
    addr: SocketAddr,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Reply {
    let stream = TcpStream::connect(addr)
        .await
        .expect("connect to the test server");
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
    let request = request
        .body(Full::new(Bytes::from(body.to_owned())))
        .expect("a valid request");
    let response = sender
        .send_request(request)
        .await
        .expect("send the request");
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.expect("read the body").to_bytes();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// `GET path` with no extra headers.
pub async fn get(addr: SocketAddr, path: &str) -> Reply {
    send(addr, Method::GET, path, &[], "").await
}

/// Writes `raw` bytes on a fresh connection and reads until the server closes it (or 10 s
/// pass), for requests a well-behaved client library refuses to send.
pub async fn send_raw(addr: SocketAddr, raw: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = TcpStream::connect(addr)
        .await
        .expect("connect to the test server");
    stream.write_all(raw).await.expect("write the raw request");
    let mut reply = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut reply),
    );
    let _ = read.await.expect("the server neither answered nor closed");
    String::from_utf8_lossy(&reply).into_owned()
}

/// The status code of a raw HTTP/1.1 response (`HTTP/1.1 404 Not Found` → 404).
pub fn raw_status(reply: &str) -> Option<u16> {
    reply.split_whitespace().nth(1)?.parse().ok()
}
