//! # go-redis — a Redis-compatible server, in seven days
//!
//! The Rust port of the Go course go-redis (which grows into HDT3213/godis): a server that
//! real Redis clients (`redis-cli`, `redis-benchmark`, the `redis` crate, the Redis project's
//! own TCL test suite) cannot tell from Redis. The code is laid out by idea, in four layers,
//! the way tokio's mini-redis is:
//!
//! - **network** — [`server`] (accept loop, connection limit, graceful shutdown) and
//!   [`echo`] (day 1's example handler);
//! - **protocol** — [`resp`] (frames, a streaming request parser, the reply encoder) and
//!   [`connection`] (read, parse everything buffered, execute, flush once: day 2);
//! - **state** — [`db`] (sixteen sharded keyspaces, lazy and active expiry) and [`types`]
//!   (the skiplist under sorted sets);
//! - **commands** — [`cmd`] (the command table and one file per command family).
//!
//! [`config`] reads a `redis.conf`-style file, and `src/bin/go-redis.rs` is the server binary.
//! Day 5's [`aof`] logs every write in Redis 7's append-only layout, and its [`rdb`]
//! writes and reads snapshots in Redis's own RDB format (SAVE, BGSAVE, DUMP/RESTORE); day 6
//! adds transactions and pub/sub ([`cmd::tx`], [`cmd::pubsub`]); [`cluster`] (day 7)
//! spreads the keys over several nodes, Redis Cluster's way or godis's.

pub mod aof;
pub mod cluster;
pub mod cmd;
pub mod config;
pub mod connection;
pub mod db;
pub mod echo;
pub mod error;
// Day 5: RDB snapshots.
pub mod rdb;
pub mod resp;
pub mod server;
pub mod types;

pub use config::Config;
pub use db::Server;
pub use error::Error;

use std::future::Future;
use std::sync::Arc;

/// The accept loop's cap on connections served at once; `maxclients` (default 10000,
/// changeable with CONFIG SET) is enforced below it, with Redis's error.
pub const MAX_CONNECTIONS: usize = 1 << 20;

/// Runs a full server with `config` until `shutdown` completes: binds `bind:port`, starts
/// active expiry, serves RESP connections, then shuts down gracefully.
pub async fn run_server(config: Config, shutdown: impl Future<Output = ()>) -> Result<(), Error> {
    let addr = format!("{}:{}", config.bind, config.port);
    let listener = server::bind(&addr).await?;
    serve_database(listener, config, shutdown).await
}

/// Serves the database on an already bound listener (tests bind port 0 and pass it in).
pub async fn serve_database(
    listener: tokio::net::TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> Result<(), Error> {
    let options = server::ServerOptions {
        // The database answers clients past `maxclients` itself (it can change at run
        // time); the accept loop's own cap is only a backstop.
        max_connections: MAX_CONNECTIONS,
        shutdown_grace: std::time::Duration::from_secs(config.shutdown_timeout),
    };
    // Day 7: a cluster node's topology is checked before it serves anyone.
    let cluster = cluster::Cluster::from_config(&config).map_err(Error::Config)?;
    let mut database = Server::new(config, cmd::all_commands().count());
    database.cluster = cluster;
    let database = Arc::new(database);
    // Day 5: load what was persisted before serving anyone.
    load_persisted(&database)?;
    let stop_expiry = tokio_util::sync::CancellationToken::new();
    let expiry = db::expire::spawn_active_expiry(database.clone(), stop_expiry.clone());
    // Day 5: the save points, and a last save at shutdown when they are set.
    let save_cron = rdb::snapshot::spawn_save_cron(database.clone(), stop_expiry.clone());
    let handler = Arc::new(connection::RespHandler::new(database.clone()));
    let result = server::serve(listener, handler, options, shutdown).await;
    stop_expiry.cancel();
    let _ = expiry.await;
    let _ = save_cron.await;
    database.aof.shutdown(); // Day 5: everything logged reaches the disk
    result
}

/// Day 5: loads the persisted data at start, as Redis does: with `appendonly yes` and an
/// AOF on disk, the AOF decides the data set; otherwise the RDB snapshot
/// (`dir/dbfilename`) is loaded, and with `appendonly yes` it becomes the new AOF's base.
fn load_persisted(database: &Server) -> Result<(), Error> {
    rdb::load_at_start(database)?;
    aof::start(database)?;
    Ok(())
}
