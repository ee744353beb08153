//! GeeCache day 6 — singleflight at work: seven clients ask for the same cold key at once,
//! the slow database is searched once.
//!
//! The Go course's day 6 restarts its three nodes and API server and sends seven
//! `GET /api?key=Tom` requests at the same moment (seven `curl`s run in the background), then
//! asks you to count the `[SlowDB] search key Tom` lines. This example does the counting itself: it starts three
//! nodes and the API server on free ports, fires the seven requests concurrently, prints
//! what each got and how many times the database was searched, and exits (non-zero if the
//! database was searched more than once).
//!
//! ```text
//! $ cargo run -p gee-cache --example day6_single_flight
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use gee_cache::http::serve;
use gee_cache::{AsyncGetter, HttpPool, Protocol, Registry};
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::net::TcpListener;

// ANCHOR: main
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    common::init_tracing();
    let searches = Arc::new(AtomicUsize::new(0));
    // Three cache nodes on ports the OS picks.
    let mut listeners = Vec::new();
    for _ in 0..3 {
        listeners.push(TcpListener::bind("127.0.0.1:0").await?);
    }
    let peers: Vec<String> = listeners
        .iter()
        .map(|l| l.local_addr().map(|a| format!("http://{a}")))
        .collect::<Result<_, _>>()?;
    let mut groups = Vec::new();
    for (listener, url) in listeners.into_iter().zip(&peers) {
        let registry = Registry::new();
        let pool =
            HttpPool::with_options(url, registry.clone(), Protocol::Gee, Duration::from_secs(5));
        pool.set_peers(&peers)?;
        let searches = searches.clone();
        let group = registry.new_group(
            "scores",
            2 << 10,
            AsyncGetter(move |key: String| {
                let searches = searches.clone();
                async move {
                    tracing::info!("[SlowDB] search key {key}");
                    searches.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(200)).await; // it is slow
                    match key.as_str() {
                        "Tom" => Ok("630"),
                        _ => Err(format!("{key} not exist")),
                    }
                }
            }),
        );
        group.register_peers(Arc::new(pool.clone()))?;
        groups.push(group);
        tokio::spawn(pool.serve(listener, std::future::pending()));
    }
    // The API server in front of the first node.
    let api = TcpListener::bind("127.0.0.1:0").await?;
    let api_addr = api.local_addr()?;
    let front = groups[0].clone();
    tokio::spawn(serve(api, std::future::pending(), move |req| {
        gee_cache::api::handle(front.clone(), req)
    }));

    // Seven clients asking for the same cold key at the same moment.
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let requests = (0..7).map(|i| {
        let client = client.clone();
        async move {
            let uri = format!("http://{api_addr}/api?key=Tom").parse()?;
            let body = client
                .get(uri)
                .await?
                .into_body()
                .collect()
                .await?
                .to_bytes();
            let text = String::from_utf8_lossy(&body).into_owned();
            println!("client {i}: {text}");
            Ok::<_, Box<dyn std::error::Error>>(text)
        }
    });
    for answer in futures_util::future::join_all(requests).await {
        if answer? != "630" {
            return Err("a client got a wrong answer".into());
        }
    }
    let searched = searches.load(Ordering::SeqCst);
    println!("7 concurrent requests, [SlowDB] searched {searched} time(s)");
    print!("{}", groups[0].stats());
    if searched != 1 {
        return Err(format!("expected one search, got {searched}").into());
    }
    Ok(())
}
// ANCHOR_END: main
