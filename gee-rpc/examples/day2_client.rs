//! GeeRPC day 2 — a client with five calls in flight on one connection.
//!
//! Go's day 2 main starts five goroutines calling `Foo.Sum` through one `Client`. Here five
//! tasks share one `Client`; each reply finds its caller by sequence number, whatever the
//! order the server finishes them in.
//!
//! ```text
//! $ cargo run -p gee-rpc --example day2_client
//! ```

use std::time::Duration;

use gee_rpc::{Client, Options, Reply, Request, Server};
use tokio::net::TcpListener;

/// Answers `geerpc resp <seq>` after a pause that makes later calls finish first.
async fn handler(request: Request) -> Reply {
    let seq = request.header.seq;
    tokio::time::sleep(Duration::from_millis(50 * (6 - seq.min(5)))).await;
    request
        .encode(&format!("geerpc resp {seq}"))
        .map_err(|e| e.to_string())
}

// ANCHOR: main
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    common::init_tracing();
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?.to_string();
    tokio::spawn(async move { Server::new(handler).accept(listener).await });

    let client = Client::dial(&addr, Options::default()).await?;
    let mut calls = Vec::new();
    for i in 1..=5 {
        let client = client.clone();
        calls.push(tokio::spawn(async move {
            let reply: String = client.call("Foo.Sum", &format!("geerpc req {i}")).await?;
            println!("reply: {reply}");
            Ok::<_, gee_rpc::Error>(())
        }));
    }
    for call in calls {
        call.await??;
    }
    // `go` starts a call and hands back its handle; `.await` it when you need the reply.
    let handle = client.go::<_, String>("Foo.Sum", "geerpc req 6");
    println!("started call #{}", handle.seq());
    println!("reply: {}", handle.await?);
    Ok(())
}
// ANCHOR_END: main
