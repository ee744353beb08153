//! GeeRPC day 4 — three deadlines: connect, call, and handle.
//!
//! Go's day 4 main is day 3's with a context; its tests show the timeouts. This example
//! shows them: a call that outlives the caller's deadline, a call that outlives the
//! server's handle timeout (set by the client in its Option), and a normal call afterwards
//! on the same connection, untroubled by the late reply.
//!
//! ```text
//! $ cargo run -p gee-rpc --example day4_timeout
//! ```

use std::time::Duration;

use gee_rpc::{Client, Options, Server, Services};
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;

/// The arguments of `Foo`'s methods.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Args {
    /// The first number (for `Sleep`: milliseconds to sleep).
    pub num1: i64,
    /// The second number.
    pub num2: i64,
}

/// The Go course's service, with a slow method.
pub struct Foo;

gee_rpc::service! {
    impl Foo {
        /// `Foo.Sum`: the sum.
        pub async fn sum(&self, args: Args) -> Result<i64, String> {
            Ok(args.num1 + args.num2)
        }
        /// `Foo.Sleep`: sleeps `num1` milliseconds, then the sum.
        pub async fn sleep(&self, args: Args) -> Result<i64, String> {
            tokio::time::sleep(Duration::from_millis(args.num1 as u64)).await;
            Ok(args.num1 + args.num2)
        }
    }
}

// ANCHOR: main
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    common::init_tracing();
    let services = Services::new();
    services.register(Foo)?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?.to_string();
    tokio::spawn(async move { Server::new(services).accept(listener).await });

    // Connect within the Option's connect timeout (10 s by default).
    let client = Client::dial_timeout(&addr, Options::default()).await?;
    let slow = Args { num1: 300, num2: 1 };

    // The caller's deadline: 100 ms for a 300 ms method.
    let late = client
        .call_timeout::<_, i64>(Duration::from_millis(100), "Foo.Sleep", &slow)
        .await;
    println!(
        "call timeout: {}",
        late.err().map(|e| e.to_string()).unwrap_or_default()
    );
    println!(
        "pending calls after the timeout: {}",
        client.pending_calls()
    );

    // The server's deadline, asked for by the client in its Option.
    let opt = Options {
        handle_timeout: Duration::from_millis(100),
        ..Options::default()
    };
    let strict = Client::dial_timeout(&addr, opt).await?;
    let cut = strict.call::<_, i64>("Foo.Sleep", &slow).await;
    println!(
        "handle timeout: {}",
        cut.err().map(|e| e.to_string()).unwrap_or_default()
    );

    // Both connections are still fine.
    let sum: i64 = client.call("Foo.Sum", &Args { num1: 2, num2: 3 }).await?;
    let sum2: i64 = strict.call("Foo.Sum", &Args { num1: 4, num2: 5 }).await?;
    println!("after the timeouts: 2 + 3 = {sum}, 4 + 5 = {sum2}");
    Ok(())
}
// ANCHOR_END: main
