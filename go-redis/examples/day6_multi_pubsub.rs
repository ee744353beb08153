//! go-redis day 6 — transactions and pub/sub: the server from day 4, plus MULTI/EXEC/WATCH
//! and SUBSCRIBE/PUBLISH with Redis's semantics.
//!
//! ```text
//! $ cargo run -p go-redis --example day6_multi_pubsub
//! $ redis-cli -p 6399
//! 127.0.0.1:6399> multi
//! OK
//! 127.0.0.1:6399(TX)> incr visits
//! QUEUED
//! 127.0.0.1:6399(TX)> lpush visits x
//! QUEUED
//! 127.0.0.1:6399(TX)> exec
//! 1) (integer) 1
//! 2) (error) WRONGTYPE Operation against a key holding the wrong kind of value
//!
//! $ redis-cli -p 6399 subscribe news          # in one terminal
//! $ redis-cli -p 6399 publish news hello      # in another: (integer) 1
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
    tracing::info!(
        "try: redis-cli -p {} subscribe news, then redis-cli -p {} publish news hello",
        config.port,
        config.port
    );
    run_server(config, go_redis::server::shutdown_signal()).await
}
// ANCHOR_END: main
