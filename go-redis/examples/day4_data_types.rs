//! go-redis day 4 — lists, hashes, sets, sorted sets and TTL: the whole single-node server.
//!
//! ```text
//! $ cargo run -p go-redis --example day4_data_types
//! $ redis-cli -p 6399 rpush queue a b c
//! (integer) 3
//! $ redis-cli -p 6399 zadd board 10 ann 20 bob
//! (integer) 2
//! $ redis-cli -p 6399 zrange board 0 -1 withscores
//! $ redis-cli -p 6399 set session x px 1500
//! $ redis-cli -p 6399 geoadd Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania
//! $ redis-cli -p 6399 geosearch Sicily fromlonlat 15 37 byradius 200 km asc withdist
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
    tracing::info!("try: redis-cli -p {} zadd board 10 ann 20 bob", config.port);
    run_server(config, go_redis::server::shutdown_signal()).await
}
// ANCHOR_END: main
