//! GeeCache day 3 — the group "scores" served over HTTP on http://127.0.0.1:9999 (or `--port N`).
//!
//! ```text
//! $ curl http://localhost:9999/_geecache/scores/Tom
//! 630
//! $ curl http://localhost:9999/_geecache/scores/kkk
//! kkk not exist
//! ```
//!
//! Stop it with Ctrl-C: it finishes in-flight requests, then exits.

use gee_cache::http::{bind, shutdown_signal};
use gee_cache::{Group, HttpPool};

// ANCHOR: main
#[tokio::main]
async fn main() -> Result<(), gee_cache::Error> {
    common::init_tracing();
    Group::new("scores", 2 << 10, |key: &str| {
        tracing::info!("[SlowDB] search key {key}");
        match key {
            "Tom" => Ok("630"),
            "Jack" => Ok("589"),
            "Sam" => Ok("567"),
            _ => Err(format!("{key} not exist")),
        }
    });
    let addr = common::listen_addr_from_args(9999);
    let pool = HttpPool::new(&format!("http://{addr}"));
    tracing::info!("geecache is running at {addr}");
    pool.serve(bind(addr).await?, shutdown_signal()).await
}
// ANCHOR_END: main
