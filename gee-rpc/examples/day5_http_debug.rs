//! GeeRPC day 5 — RPC over HTTP CONNECT, and the debug page.
//!
//! Go's day 5 serves `Foo` over HTTP on `:9999`, makes five calls with `DialHTTP`, and
//! invites you to open `http://localhost:9999/debug/geerpc`. This example does the same
//! (on `--port`, default 9999) and keeps serving until Ctrl-C, so you can open the page.
//!
//! ```text
//! $ cargo run -p gee-rpc --example day5_http_debug
//! $ curl http://127.0.0.1:9999/debug/geerpc
//! ```

use gee_rpc::http::{HttpServer, dial_http};
use gee_rpc::{Options, Server, Services};
use tokio::net::TcpListener;

mod foo_service;
use foo_service::{Args, Foo};

// ANCHOR: main
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    common::init_tracing();
    let services = Services::new();
    services.register(Foo)?;
    let addr = common::listen_addr_from_args(9999);
    let listener = TcpListener::bind(addr).await?;
    let http = HttpServer::new(Server::new(services.clone()), services);
    tokio::spawn(async move { http.serve(listener).await });
    println!("rpc server listening on http://{addr} (debug page: http://{addr}/debug/geerpc)");

    let client = dial_http(&addr.to_string(), Options::default()).await?;
    for i in 0..5 {
        let args = Args {
            num1: i,
            num2: i * i,
        };
        let sum: i64 = client.call("Foo.Sum", &args).await?;
        println!("{} + {} = {sum}", args.num1, args.num2);
    }
    common::shutdown_signal().await;
    println!("shutting down");
    Ok(())
}
// ANCHOR_END: main
