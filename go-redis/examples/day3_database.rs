//! go-redis day 3 — the database: strings, keys, sixteen databases, and the server commands
//! that `redis-cli` and `redis-benchmark` need.
//!
//! ```text
//! $ cargo run -p go-redis --example day3_database
//! $ redis-cli -p 6399 set greeting hello EX 60
//! OK
//! $ redis-cli -p 6399 get greeting
//! "hello"
//! $ redis-benchmark -p 6399 -q -t set,get,incr,mset
//! ```

use go_redis::{Config, run_server};

// ANCHOR: main
#[tokio::main]
async fn main() -> Result<(), go_redis::Error> {
    common::init_tracing();
    let config = Config {
        port: common::listen_addr_from_args(6399).port(),
        ..Config::default()
    };
    run_server(config, go_redis::server::shutdown_signal()).await
}
// ANCHOR_END: main
