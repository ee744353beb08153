//! go-redis day 1 — an echo server: godis's `tcp/echo.go`, on tokio.
//!
//! ```text
//! $ cargo run -p go-redis --example day1_tcp_server
//! $ nc localhost 6399
//! hello
//! hello
//! ```
//!
//! Every line comes back. Ctrl-C (or SIGTERM) stops accepting, lets the open connections
//! finish, and exits.

use std::sync::Arc;

use go_redis::echo::EchoHandler;
use go_redis::server::{ServerOptions, bind, serve, shutdown_signal};

// ANCHOR: main
#[tokio::main]
async fn main() -> Result<(), go_redis::Error> {
    common::init_tracing();
    let addr = common::listen_addr_from_args(6399);
    let listener = bind(&addr.to_string()).await?;
    serve(
        listener,
        Arc::new(EchoHandler),
        ServerOptions::default(),
        shutdown_signal(),
    )
    .await
}
// ANCHOR_END: main
