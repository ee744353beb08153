//! # gee-rpc — a net/rpc-like RPC framework on tokio, in seven days
//!
//! Go's geerpc grows an RPC framework the way `net/rpc` is built; this crate ports it day by
//! day, each day's idea in modules of its own:
//!
//! | day | idea | modules |
//! |---|---|---|
//! | 1 | codecs and the handshake, one buffered reader per connection | [`option`], [`codec`], [`server`] |
//! | 2 | a client with many calls in flight on one connection | [`client`] |
//! | 3 | services: `"Foo.Sum"` to a Rust method, by a macro | [`service`](mod@service) |
//! | 4 | connect, call and handle timeouts | [`timeout`] |
//! | 5 | the HTTP CONNECT transport and the debug page | [`http`] |
//! | 6 | client-side load balancing | [`xclient`] |
//! | 7 | a registry with heartbeats, and discovery from it | [`registry`], [`xclient::registry_discovery`] |
//!
//! ```no_run
//! use gee_rpc::{Client, Options, Server, Services};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize)]
//! pub struct Args { pub num1: i64, pub num2: i64 }
//! pub struct Foo;
//! gee_rpc::service! {
//!     impl Foo {
//!         pub async fn sum(&self, args: Args) -> Result<i64, String> { Ok(args.num1 + args.num2) }
//!     }
//! }
//!
//! # async fn run() -> gee_rpc::Result<()> {
//! let services = Services::new();
//! services.register(Foo)?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let addr = listener.local_addr()?.to_string();
//! tokio::spawn(async move { Server::new(services).accept(listener).await });
//! let client = Client::dial(&addr, Options::default()).await?;
//! let sum: i64 = client.call("Foo.Sum", &Args { num1: 1, num2: 2 }).await?;
//! assert_eq!(sum, 3);
//! # Ok(()) }
//! ```

pub mod client;
pub mod codec;
pub mod error;
pub mod http;
pub mod option;
pub mod registry;
pub mod server;
pub mod service;
pub mod timeout;
pub mod xclient;

pub use client::{Call, Client};
pub use codec::{CodecType, Header};
pub use error::{Error, Result};
pub use option::{MAGIC_NUMBER, Options};
pub use server::{Handler, Reply, Request, Server};
pub use service::{MethodInfo, Service, Services};

/// What the [`service!`] macro's expansion needs; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use futures_util::future::BoxFuture;
}
