//! GeeCache day 7 — the day-5 cluster speaking groupcache's wire protocol: peers fetch
//! `/_groupcache/<group>/<key>` and answer protobuf `GetResponse`s, and the ring is
//! groupcache's, so these nodes could share a peer list with Go groupcache nodes.
//!
//! ```text
//! $ cargo run -p gee-cache --example day7_protobuf
//! $ curl "http://localhost:9999/api?key=Tom"
//! 630
//! $ curl -s http://localhost:8001/_groupcache/scores/Tom | xxd
//! 00000000: 0a03 3633 30                             ..630
//! ```
//!
//! Flags: `--peers 8001,8002,8003` (the nodes, all run in this process) and `--api 9999`.

use std::sync::Arc;
use std::time::Duration;

use gee_cache::http::{bind, serve, shutdown_signal};
use gee_cache::{HttpPool, Protocol, Registry};
use tokio::sync::watch;

fn flag(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    let at = args.iter().position(|a| a == name)?;
    args.get(at + 1).cloned()
}

// ANCHOR: main
#[tokio::main]
async fn main() -> Result<(), gee_cache::Error> {
    common::init_tracing();
    let ports: Vec<u16> = flag("--peers")
        .unwrap_or_else(|| "8001,8002,8003".into())
        .split(',')
        .filter_map(|p| p.trim().parse().ok())
        .collect();
    let api_port: u16 = flag("--api").and_then(|p| p.parse().ok()).unwrap_or(9999);
    let peers: Vec<String> = ports
        .iter()
        .map(|p| format!("http://127.0.0.1:{p}"))
        .collect();

    let (stop, stopped) = watch::channel(false);
    let until_stopped = || {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|s| *s).await;
        }
    };
    let mut servers = Vec::new();
    let mut front = None;
    for (&port, url) in ports.iter().zip(&peers) {
        let registry = Registry::new();
        // The one change from day 5: groupcache's protocol (path, protobuf answers, ring).
        let pool = HttpPool::with_options(
            url,
            registry.clone(),
            Protocol::Groupcache,
            Duration::from_secs(2),
        );
        pool.set_peers(&peers)?;
        let group = registry.new_group("scores", 2 << 10, move |key: &str| {
            tracing::info!("[node {port}] [SlowDB] search key {key}");
            match key {
                "Tom" => Ok("630"),
                "Jack" => Ok("589"),
                "Sam" => Ok("567"),
                _ => Err(format!("{key} not exist")),
            }
        });
        group.register_peers(Arc::new(pool.clone()))?;
        front.get_or_insert(group);
        let listener = bind(([127, 0, 0, 1], port).into()).await?;
        servers.push(tokio::spawn(pool.serve(listener, until_stopped())));
    }
    if let Some(group) = front {
        let listener = bind(([127, 0, 0, 1], api_port).into()).await?;
        tracing::info!("api server is running at http://127.0.0.1:{api_port}");
        servers.push(tokio::spawn(serve(listener, until_stopped(), move |req| {
            gee_cache::api::handle(group.clone(), req)
        })));
    }
    shutdown_signal().await;
    let _ = stop.send(true);
    for server in servers {
        if let Ok(Err(err)) = server.await {
            tracing::warn!("a server failed: {err}");
        }
    }
    Ok(())
}
// ANCHOR_END: main
