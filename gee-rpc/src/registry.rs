//! Day 7 — The registry: servers announce themselves, clients ask who is alive.
//!
//! A tiny HTTP service at `/_geerpc_/registry`, on hyper:
//!
//! - `POST` with the header `X-Geerpc-Server: tcp@127.0.0.1:4000` registers that server, or
//!   refreshes it (a heartbeat);
//! - `GET` answers with the header `X-Geerpc-Servers: addr1,addr2` listing the servers heard
//!   from within the timeout, sorted; older entries are dropped as they are listed.
//!
//! Servers keep themselves listed with [`heartbeat`]: a task that POSTs every `period`.
//! Go's heartbeat stopped for good at its first error (a registry restart silently dropped
//! every server five minutes later), never closed response bodies, and took a 500 for
//! success. This one checks the status, reads every body to the end, puts a timeout on
//! every request, and after an error retries with a growing back-off until the registry
//! answers again.
//!
//! hyper rather than gee-web: the registry is two methods on one path, and the course's
//! other crates should not depend on each other.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::error::{Error, Result};

/// The registry's path (Go's `defaultPath`).
pub const DEFAULT_PATH: &str = "/_geerpc_/registry";
/// How long a server stays listed after its last heartbeat (Go's `defaultTimeout`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// The header a server registers with.
pub const SERVER_HEADER: &str = "X-Geerpc-Server";
/// The header the list comes back in.
pub const SERVERS_HEADER: &str = "X-Geerpc-Servers";
/// How long any request to the registry may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// The registry: server addresses and when each was last heard from (Go's `GeeRegistry`).
#[derive(Debug)]
pub struct Registry {
    timeout: Duration,
    servers: Mutex<HashMap<String, Instant>>,
}

impl Registry {
    /// A registry forgetting servers silent for `timeout` (zero: never).
    pub fn new(timeout: Duration) -> Arc<Self> {
        Arc::new(Registry {
            timeout,
            servers: Mutex::new(HashMap::new()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Instant>> {
        self.servers.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers `addr`, or refreshes its heartbeat.
    pub fn put_server(&self, addr: &str) {
        self.lock().insert(addr.to_string(), Instant::now());
    }

    // ANCHOR: alive
    /// The servers heard from within the timeout, sorted; expired ones are forgotten.
    pub fn alive_servers(&self) -> Vec<String> {
        // ANCHOR: ex_alive
        let mut servers = self.lock();
        let now = Instant::now();
        if !self.timeout.is_zero() {
            servers.retain(|_, seen| now.duration_since(*seen) < self.timeout);
        }
        let mut alive: Vec<String> = servers.keys().cloned().collect();
        alive.sort();
        alive
        // ANCHOR_END: ex_alive
    }
    // ANCHOR_END: alive

    // ANCHOR: handle
    /// Answers one HTTP request.
    pub fn handle<B>(&self, request: &Request<B>) -> Response<Full<Bytes>> {
        let mut response = Response::new(Full::new(Bytes::new()));
        if request.uri().path() != DEFAULT_PATH {
            *response.status_mut() = StatusCode::NOT_FOUND;
            return response;
        }
        match *request.method() {
            Method::GET => {
                let list = self.alive_servers().join(",");
                match http::HeaderValue::from_str(&list) {
                    Ok(value) => {
                        response.headers_mut().insert(SERVERS_HEADER, value);
                    }
                    Err(_) => *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR,
                }
            }
            Method::POST => match request
                .headers()
                .get(SERVER_HEADER)
                .and_then(|v| v.to_str().ok())
                .filter(|v| !v.is_empty())
            {
                Some(addr) => self.put_server(addr),
                None => *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR,
            },
            _ => *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED,
        }
        response
    }
    // ANCHOR_END: handle

    /// Serves the registry over HTTP/1 forever.
    pub async fn serve(self: Arc<Self>, listener: TcpListener) -> Result<()> {
        loop {
            let (stream, _) = listener.accept().await?;
            let registry = self.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request: Request<Incoming>| {
                    let response = registry.handle(&request);
                    async move { Ok::<_, Infallible>(response) }
                });
                let served = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(REQUEST_TIMEOUT)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
                if let Err(e) = served {
                    tracing::debug!("registry: connection ended: {e}");
                }
            });
        }
    }
}

/// An HTTP client for the registry: no idle pool (a heartbeat every few minutes does not
/// need one, and a restarted registry is reached on a fresh connection).
pub(crate) fn http_client() -> HttpClient<HttpConnector, Empty<Bytes>> {
    HttpClient::builder(TokioExecutor::new())
        .pool_max_idle_per_host(0)
        .build_http()
}

/// The address a server should register for `local`, as `protocol@host:port`: an unspecified
/// IP (`0.0.0.0`, `[::]`, what binding `:0` gives) becomes the loopback address. Go's example
/// registered `tcp@[::]:port`, which only works by accident and never from another host.
pub fn advertise(protocol: &str, local: std::net::SocketAddr) -> String {
    let mut addr = local;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            std::net::SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    format!("{protocol}@{addr}")
}

// ANCHOR: send_heartbeat
/// Sends one heartbeat: POST, check the status, read the body to its end.
pub async fn send_heartbeat(registry_url: &str, addr: &str) -> Result<()> {
    // ANCHOR: ex_send_heartbeat
    let request = Request::post(registry_url)
        .header(SERVER_HEADER, addr)
        .body(Empty::new())
        .map_err(|e| Error::Registry(e.to_string()))?;
    let exchange = async {
        let response = http_client()
            .request(request)
            .await
            .map_err(|e| Error::Registry(e.to_string()))?;
        let status = response.status();
        response
            .into_body()
            .collect()
            .await
            .map_err(|e| Error::Registry(e.to_string()))?;
        if !status.is_success() {
            return Err(Error::Registry(format!("heartbeat refused: {status}")));
        }
        Ok(())
    };
    tokio::time::timeout(REQUEST_TIMEOUT, exchange)
        .await
        .unwrap_or(Err(Error::Registry("heartbeat timed out".into())))
    // ANCHOR_END: ex_send_heartbeat
}
// ANCHOR_END: send_heartbeat

// ANCHOR: heartbeat
/// Keeps `addr` registered: one heartbeat now, then one every `period` (zero: the default,
/// a minute less than the registry's timeout). After a failure it retries with a doubling
/// back-off, from 100 ms up to `period`, and never gives up. Abort the handle to stop.
pub async fn heartbeat(registry_url: &str, addr: &str, period: Duration) -> JoinHandle<()> {
    let period = if period.is_zero() {
        DEFAULT_TIMEOUT - Duration::from_secs(60)
    } else {
        period
    };
    let (url, addr) = (registry_url.to_string(), addr.to_string());
    let mut ok = send_heartbeat(&url, &addr).await.is_ok();
    tokio::spawn(async move {
        let mut backoff = Duration::from_millis(100);
        loop {
            let wait = if ok { period } else { backoff.min(period) };
            tokio::time::sleep(wait).await;
            match send_heartbeat(&url, &addr).await {
                Ok(()) => {
                    ok = true;
                    backoff = Duration::from_millis(100);
                }
                Err(e) => {
                    tracing::warn!("rpc registry: heartbeat for {addr} failed, retrying: {e}");
                    ok = false;
                    backoff = (backoff * 2).min(period);
                }
            }
        }
    })
}
// ANCHOR_END: heartbeat

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn entries_expire_after_the_timeout() {
        let registry = Registry::new(Duration::from_secs(10));
        registry.put_server("tcp@a");
        tokio::time::advance(Duration::from_secs(6)).await;
        registry.put_server("tcp@b");
        assert_eq!(registry.alive_servers(), ["tcp@a", "tcp@b"]);
        tokio::time::advance(Duration::from_secs(5)).await;
        assert_eq!(registry.alive_servers(), ["tcp@b"]);
        registry.put_server("tcp@a");
        assert_eq!(registry.alive_servers(), ["tcp@a", "tcp@b"]);
    }
}
