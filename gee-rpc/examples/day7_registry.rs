//! GeeRPC day 7 — a registry, two servers that heartbeat to it, a client that asks it.
//!
//! Go's day 7 runs the registry on `:9999`, starts two servers that register themselves,
//! and repeats day 6's calls and broadcasts through a discovery that reads the registry.
//! Same here, on free ports, with sleeps in tenths of a second; it exits when done.
//!
//! ```text
//! $ cargo run -p gee-rpc --example day7_registry
//! ```

use std::time::Duration;

use gee_rpc::registry::{DEFAULT_PATH, Registry, advertise, heartbeat};
use gee_rpc::xclient::{RegistryDiscovery, SelectMode, XClient};
use gee_rpc::{Options, Server, Services};
use tokio::net::TcpListener;

mod foo_service;
use foo_service::{Args, Foo};

// ANCHOR: main
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    common::init_tracing();
    // The registry.
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let registry_url = format!("http://{}{DEFAULT_PATH}", listener.local_addr()?);
    tokio::spawn(Registry::new(Duration::from_secs(60)).serve(listener));

    // Two servers, each announcing a routable address (not Go's `tcp@[::]:port`).
    for _ in 0..2 {
        let services = Services::new();
        services.register(Foo)?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = advertise("tcp", listener.local_addr()?);
        tokio::spawn(async move { Server::new(services).accept(listener).await });
        heartbeat(&registry_url, &addr, Duration::from_secs(10)).await;
        println!("server {addr} registered");
    }

    let discovery = RegistryDiscovery::new(&registry_url, Duration::ZERO);
    let xc = XClient::new(discovery, SelectMode::RoundRobin, Options::default());
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
        match xc
            .broadcast_timeout::<_, i64>(Duration::from_millis(200), "Foo.Sleep", &args)
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
