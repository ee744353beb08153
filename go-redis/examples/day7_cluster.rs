//! go-redis day 7 — a cluster of three nodes on free local ports, in both modes, then exit.
//!
//! First Redis Cluster's way (redirect mode): a node answers `-MOVED` for a key it does not
//! serve, and the client follows it. Then godis's way (proxy mode): a plain client talks to
//! one node only, and that node relays, scatters and runs cross-node MSET as a two-phase
//! transaction.
//!
//! ```text
//! $ cargo run -p go-redis --example day7_cluster
//! ```
//!
//! To run a cluster by hand, give each `go-redis` the same `cluster-node` lines (see the
//! chapter), then `redis-cli -c -p 7001` or `redis-benchmark --cluster -p 7001`.

use bytes::BytesMut;
use go_redis::cluster::{self, Mode};
use go_redis::resp::Frame;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// A minimal RESP client: one request, one reply.
struct Client(TcpStream);

impl Client {
    async fn connect(port: u16) -> std::io::Result<Self> {
        Ok(Self(TcpStream::connect(("127.0.0.1", port)).await?))
    }

    async fn call(&mut self, words: &[&str]) -> std::io::Result<Frame> {
        let mut request = BytesMut::new();
        Frame::command(words).encode(&mut request);
        self.0.write_all(&request).await?;
        let mut buf = BytesMut::new();
        loop {
            if let Ok(Some((frame, _))) = Frame::parse(&buf) {
                return Ok(frame);
            }
            if self.0.read_buf(&mut buf).await? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
        }
    }
}

/// Shows a reply the way redis-cli does, on one line.
fn show(frame: &Frame) -> String {
    match frame {
        Frame::Simple(s) => s.clone(),
        Frame::Error(e) => format!("(error) {e}"),
        Frame::Integer(n) => format!("(integer) {n}"),
        Frame::Bulk(b) => format!("\"{}\"", String::from_utf8_lossy(b)),
        Frame::Null | Frame::NullArray => "(nil)".into(),
        Frame::Array(items) => {
            let items: Vec<String> = items.iter().map(show).collect();
            format!("[{}]", items.join(", "))
        }
    }
}

// ANCHOR: start
/// Binds three listeners on free ports first, then starts a node on each with the
/// topology built from the bound ports. Returns the ports and the stop switches.
async fn start_cluster(mode: Mode) -> std::io::Result<(Vec<u16>, Vec<oneshot::Sender<()>>)> {
    let mut listeners = Vec::new();
    for _ in 0..3 {
        listeners.push(TcpListener::bind("127.0.0.1:0").await?);
    }
    let ports: Vec<u16> = listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect::<Result<_, _>>()?;
    let mut stops = Vec::new();
    for (i, listener) in listeners.into_iter().enumerate() {
        let config = cluster::local_node_config(&ports, i, mode);
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(go_redis::serve_database(listener, config, async move {
            let _ = stopped.await;
        }));
        stops.push(stop);
    }
    Ok((ports, stops))
}
// ANCHOR_END: start

/// Two keys per node: slots 7092, 458, 11894, 9380, 1080, 14374.
const KEYS: [&str; 6] = ["apple", "elder", "kiwi", "banana", "fig", "lemon"];

/// Redirect mode: ask node 0 for every key, follow each MOVED like `redis-cli -c`.
async fn redirect_mode() -> std::io::Result<()> {
    let (ports, stops) = start_cluster(Mode::Redirect).await?;
    println!("== redirect mode (Redis Cluster): nodes on ports {ports:?}");
    let mut first = Client::connect(ports[0]).await?;
    println!(
        "CLUSTER SLOTS -> {}",
        show(&first.call(&["CLUSTER", "SLOTS"]).await?)
    );
    for key in KEYS {
        let value = format!("{key}-value");
        let mut reply = first.call(&["SET", key, &value]).await?;
        let mut port = ports[0];
        // ANCHOR: follow_moved
        if let Frame::Error(e) = &reply
            && let Some(addr) = e.strip_prefix("MOVED ").and_then(|r| r.split(' ').nth(1))
        {
            println!("SET {key} on node 0 -> (error) {e}: following it");
            port = addr
                .rsplit(':')
                .next()
                .and_then(|p| p.parse().ok())
                .unwrap_or(port);
            reply = Client::connect(port)
                .await?
                .call(&["SET", key, &value])
                .await?;
        }
        // ANCHOR_END: follow_moved
        let slot = cluster::key_hash_slot(key.as_bytes());
        println!("SET {key} (slot {slot}) on port {port} -> {}", show(&reply));
    }
    let cross = first.call(&["MSET", "apple", "1", "fig", "2"]).await?;
    println!("MSET apple 1 fig 2 -> {}", show(&cross));
    let tagged = first
        .call(&["MSET", "{fruit}:a", "1", "{fruit}:b", "2"])
        .await?;
    println!("MSET {{fruit}}:a 1 {{fruit}}:b 2 -> {}", show(&tagged));
    drop(stops); // every node shuts down
    Ok(())
}

/// Proxy mode: one plain client on node 0 reaches every key; other nodes see the same data.
async fn proxy_mode() -> std::io::Result<()> {
    let (ports, stops) = start_cluster(Mode::Proxy).await?;
    println!("== proxy mode (godis): nodes on ports {ports:?}");
    let mut first = Client::connect(ports[0]).await?;
    for key in KEYS {
        let value = format!("{key}-value");
        first.call(&["SET", key, &value]).await?;
    }
    for (i, port) in ports.iter().enumerate() {
        let keys = Client::connect(*port).await?.call(&["DBSIZE"]).await?;
        println!("node {i} holds {} of the keys", show(&keys));
    }
    let mut last = Client::connect(ports[2]).await?;
    let mut mget = vec!["MGET"];
    mget.extend(KEYS);
    println!("MGET through node 2 -> {}", show(&last.call(&mget).await?));
    let mset = last
        .call(&["MSET", "apple", "1", "elder", "2", "kiwi", "3"])
        .await?;
    println!("MSET over three nodes (two-phase) -> {}", show(&mset));
    let read = first.call(&["MGET", "apple", "elder", "kiwi"]).await?;
    println!("MGET apple elder kiwi -> {}", show(&read));
    println!("FLUSHALL -> {}", show(&first.call(&["FLUSHALL"]).await?));
    let mut left = 0;
    for port in &ports {
        if let Frame::Integer(n) = Client::connect(*port).await?.call(&["DBSIZE"]).await? {
            left += n;
        }
    }
    println!("keys left on all nodes after FLUSHALL: {left}");
    drop(stops);
    Ok(())
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    redirect_mode().await?;
    proxy_mode().await?;
    println!("done");
    Ok(())
}
