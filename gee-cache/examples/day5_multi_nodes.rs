//! GeeCache day 5 — three cache nodes and an API front end, in one process (the Go course
//! starts them as four processes from a shell script).
//!
//! ```text
//! $ cargo run -p gee-cache --example day5_multi_nodes
//! ... listening on http://127.0.0.1:8001, :8002, :8003; api on http://127.0.0.1:9999
//! $ curl "http://localhost:9999/api?key=Tom"
//! 630
//! $ curl http://localhost:9999/stats     # the API node's counters
//! $ curl http://localhost:9999/loads     # how often the database loaded each key
//! ```
//!
//! Flags (all optional): `--peers 8001,8002,8003` the cluster's ports; `--serve 8002` (or
//! Go's `--port 8002`) runs only those nodes, so you can start one node per terminal, one
//! process per node; `--api 9999` also runs the API server, in front of the first served node.
//! Without flags it runs all three nodes and the API on 9999. Ctrl-C / SIGTERM stops all.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gee_cache::http::{bind, serve, shutdown_signal, text};
use gee_cache::{Group, HttpPool, Protocol, Registry};
use hyper::StatusCode;
use tokio::sync::watch;

/// Parsed command line.
struct Args {
    peers: Vec<u16>,
    serve: Vec<u16>,
    api: Option<u16>,
}

fn ports(list: &str) -> Vec<u16> {
    list.split(',')
        .filter_map(|p| p.trim().parse().ok())
        .collect()
}

fn parse_args() -> Args {
    let mut args = Args {
        peers: vec![8001, 8002, 8003],
        serve: Vec::new(),
        api: None,
    };
    let mut api_default = true;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_default();
        match flag.as_str() {
            "--peers" => args.peers = ports(&value),
            "--serve" | "--port" => {
                args.serve = ports(&value);
                api_default = false;
            }
            "--api" => args.api = value.parse().ok(),
            other => eprintln!("ignoring unknown flag {other}"),
        }
    }
    if args.serve.is_empty() {
        args.serve = args.peers.clone();
    }
    if args.api.is_none() && api_default {
        args.api = Some(9999);
    }
    args
}

// ANCHOR: main
/// Builds one node: its own registry with the group "scores", a pool that knows every peer.
fn create_node(
    port: u16,
    peers: &[String],
    db: &SlowDb,
) -> Result<(HttpPool, Arc<Group>), gee_cache::Error> {
    let url = format!("http://127.0.0.1:{port}");
    let registry = Registry::new();
    let pool = HttpPool::with_options(
        &url,
        registry.clone(),
        Protocol::Gee,
        Duration::from_secs(2),
    );
    pool.set_peers(peers)?;
    let group = registry.new_group("scores", 2 << 10, db.getter(port));
    group.register_peers(Arc::new(pool.clone()))?;
    Ok((pool, group))
}

#[tokio::main]
async fn main() -> Result<(), gee_cache::Error> {
    common::init_tracing();
    let args = parse_args();
    let peers: Vec<String> = args
        .peers
        .iter()
        .map(|p| format!("http://127.0.0.1:{p}"))
        .collect();
    let db = SlowDb::default();
    let (stop, stopped) = watch::channel(false);
    let until_stopped = move || {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|s| *s).await;
        }
    };
    let mut servers = Vec::new();
    let mut front = None;
    for &port in &args.serve {
        let (pool, group) = create_node(port, &peers, &db)?;
        front.get_or_insert(group);
        let listener = bind(([127, 0, 0, 1], port).into()).await?;
        tracing::info!("cache node {port} is running at http://127.0.0.1:{port}");
        servers.push(tokio::spawn(pool.serve(listener, until_stopped())));
    }
    if let (Some(port), Some(group)) = (args.api, front) {
        let listener = bind(([127, 0, 0, 1], port).into()).await?;
        tracing::info!("api server is running at http://127.0.0.1:{port}");
        let db = db.clone();
        servers.push(tokio::spawn(serve(listener, until_stopped(), move |req| {
            let (group, db) = (group.clone(), db.clone());
            async move {
                if req.uri().path() == "/loads" {
                    return text(StatusCode::OK, db.report());
                }
                gee_cache::api::handle(group, req).await
            }
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

/// The Go example's "slow database", shared by the nodes of this process, counting loads.
#[derive(Clone, Default)]
struct SlowDb {
    loads: Arc<Mutex<BTreeMap<String, usize>>>,
}

impl SlowDb {
    fn getter(&self, port: u16) -> impl gee_cache::Getter + use<> {
        let loads = self.loads.clone();
        move |key: &str| {
            tracing::info!("[node {port}] [SlowDB] search key {key}");
            if let Ok(mut loads) = loads.lock() {
                *loads.entry(key.to_owned()).or_default() += 1;
            }
            match key {
                "Tom" => Ok("630"),
                "Jack" => Ok("589"),
                "Sam" => Ok("567"),
                _ => Err(format!("{key} not exist")),
            }
        }
    }

    /// `key=loads` lines, one per key the database was asked for.
    fn report(&self) -> String {
        let loads = self.loads.lock().map(|l| l.clone()).unwrap_or_default();
        loads.iter().map(|(k, n)| format!("{k}={n}\n")).collect()
    }
}
