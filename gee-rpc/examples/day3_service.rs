//! GeeRPC day 3 — a real service: `Foo.Sum` from a Rust `impl` block.
//!
//! Go's day 3 registers `Foo` with reflection and makes five concurrent calls, logging
//! `i + i*i = sum`. Here `gee_rpc::service!` writes the dispatch at compile time.
//!
//! ```text
//! $ cargo run -p gee-rpc --example day3_service
//! ```

use gee_rpc::{Client, Options, Server, Services};
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;

// ANCHOR: foo
/// The arguments of `Foo.Sum` (Go's field names on the wire).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Args {
    /// The first number.
    pub num1: i64,
    /// The second number.
    pub num2: i64,
}

/// The Go course's service.
pub struct Foo;

gee_rpc::service! {
    impl Foo {
        /// Exposed as `Foo.Sum`.
        pub async fn sum(&self, args: Args) -> Result<i64, String> {
            Ok(args.num1 + args.num2)
        }
    }
}
// ANCHOR_END: foo

// ANCHOR: main
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    common::init_tracing();
    let services = Services::new();
    services.register(Foo)?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?.to_string();
    let server = Server::new(services.clone());
    tokio::spawn(async move { server.accept(listener).await });

    let client = Client::dial(&addr, Options::default()).await?;
    let mut calls = Vec::new();
    for i in 0..5 {
        let args = Args {
            num1: i,
            num2: i * i,
        };
        calls.push((args, client.go::<_, i64>("Foo.Sum", &args)));
    }
    for (args, call) in calls {
        println!("{} + {} = {}", args.num1, args.num2, call.await?);
    }
    let err = client.call::<_, i64>("Foo.Nope", &Args::default()).await;
    println!(
        "Foo.Nope: {}",
        err.err().map(|e| e.to_string()).unwrap_or_default()
    );
    println!(
        "Foo.Sum was called {} times",
        services.num_calls("Foo.Sum").unwrap_or(0)
    );
    Ok(())
}
// ANCHOR_END: main
