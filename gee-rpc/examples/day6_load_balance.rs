//! GeeRPC day 6 — one client, two servers: calls spread over them, broadcasts to both.
//!
//! Go's day 6 starts two servers, makes five random `Foo.Sum` calls through an `XClient`,
//! then broadcasts `Foo.Sum` and a `Foo.Sleep` with a 2 s deadline (calls 2 to 4 time out).
//! Same here, with the sleep in tenths of a second so the example runs in about a second.
//!
//! ```text
//! $ cargo run -p gee-rpc --example day6_load_balance
//! ```

use std::time::Duration;

use gee_rpc::xclient::{MultiServersDiscovery, SelectMode, XClient};
use gee_rpc::{Options, Server, Services};
use tokio::net::TcpListener;

mod foo_service;
use foo_service::{Args, Foo};

/// Starts one server on a free port; returns its `tcp@addr`.
async fn start_server() -> Result<String, Box<dyn std::error::Error>> {
    let services = Services::new();
    services.register(Foo)?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = format!("tcp@{}", listener.local_addr()?);
    tokio::spawn(async move { Server::new(services).accept(listener).await });
    Ok(addr)
}

// ANCHOR: main
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    common::init_tracing();
    let servers = vec![start_server().await?, start_server().await?];
    println!("servers: {servers:?}");
    let xc = XClient::new(
        MultiServersDiscovery::new(servers),
        SelectMode::Random,
        Options::default(),
    );
    for i in 0..5 {
        let args = Args {
            num1: i,
            num2: i * i,
        };
        let sum: i64 = xc.call("Foo.Sum", &args).await?;
        println!(
            "call Foo.Sum success: {} + {} = {sum}",
            args.num1, args.num2
        );
    }
    for i in 0..5 {
        let args = Args {
            num1: i,
            num2: i * i,
        };
        let sum: i64 = xc.broadcast("Foo.Sum", &args).await?;
        println!(
            "broadcast Foo.Sum success: {} + {} = {sum}",
            args.num1, args.num2
        );
        let deadline = Duration::from_millis(200);
        match xc
            .broadcast_timeout::<_, i64>(deadline, "Foo.Sleep", &args)
            .await
        {
            Ok(sum) => println!(
                "broadcast Foo.Sleep success: {} + {} = {sum}",
                args.num1, args.num2
            ),
            Err(e) => println!("broadcast Foo.Sleep error: {e}"),
        }
    }
    xc.close();
    Ok(())
}
// ANCHOR_END: main
