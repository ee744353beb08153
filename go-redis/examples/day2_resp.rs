//! go-redis day 2 — a server that speaks RESP: PING, ECHO and QUIT, inline or multibulk,
//! pipelined or not.
//!
//! ```text
//! $ cargo run -p go-redis --example day2_resp
//! $ redis-cli -p 6399 ping
//! PONG
//! $ printf 'PING\r\nECHO hi\r\n' | nc -q1 localhost 6399
//! +PONG
//! $2
//! hi
//! ```

use std::sync::Arc;

use go_redis::connection::{PingExecutor, RespHandler};
use go_redis::server::{ServerOptions, bind, serve, shutdown_signal};

// ANCHOR: main
#[tokio::main]
async fn main() -> Result<(), go_redis::Error> {
    common::init_tracing();
    let addr = common::listen_addr_from_args(6399);
    let listener = bind(&addr.to_string()).await?;
    let handler = Arc::new(RespHandler::new(Arc::new(PingExecutor)));
    serve(
        listener,
        handler,
        ServerOptions::default(),
        shutdown_signal(),
    )
    .await
}
// ANCHOR_END: main
