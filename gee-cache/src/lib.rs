//! # gee-cache — a groupcache-like distributed cache, in seven days
//!
//! GeeCache is the distributed cache of the "7 days from scratch" course, rebuilt in Rust
//! on tokio and hyper. Each day adds one idea, in a module of its own:
//!
//! | day | idea | module |
//! |---|---|---|
//! | 1 | a byte-budgeted LRU with O(1) operations | [`lru`] |
//! | 2 | an immutable value, a concurrent cache, the `Group` and its `Getter` | [`byteview`], [`cache`], [`group`] |
//! | 2 | the group's counters (groupcache's `Stats`) | [`stats`] |
//! | 3 | an HTTP server for the groups; the codec values travel in | [`http`], [`codec`] |
//! | 4 | a consistent-hash ring (in `common`, shared with go-redis) | [`common::consistent_hash`] |
//! | 5 | peers: picking the owner of a key and fetching from it; the hot cache | [`peers`], [`hot`] |
//! | 6 | singleflight: one load per cold key, however many ask | [`singleflight`] |
//! | 7 | protobuf on the wire, compatible with Go's groupcache | [`pb`] |
//!
//! ```no_run
//! use gee_cache::{Group, HttpPool};
//!
//! # async fn demo() -> Result<(), gee_cache::Error> {
//! let group = Group::new("scores", 2 << 10, |key: &str| match key {
//!     "Tom" => Ok("630"),
//!     _ => Err(format!("{key} not exist")),
//! });
//! assert_eq!(group.get("Tom").await?.to_string(), "630");
//! let listener = gee_cache::http::bind("127.0.0.1:9999".parse().expect("an address")).await?;
//! HttpPool::new("http://127.0.0.1:9999")
//!     .serve(listener, gee_cache::http::shutdown_signal())
//!     .await
//! # }
//! ```

pub mod api;
pub mod byteview;
pub mod cache;
pub mod codec;
pub mod error;
pub mod group;
pub mod hot;
pub mod http;
pub mod lru;
pub mod pb;
pub mod peers;
pub mod singleflight;
pub mod stats;

pub use byteview::ByteView;
pub use cache::Cache;
pub use codec::{Codec, RawCodec};
pub use error::Error;
pub use group::{AsyncGetter, Getter, GetterError, Group, Registry, get_group};
pub use http::{HttpPool, Protocol};
pub use lru::Lru;
pub use pb::ProtobufCodec;
pub use peers::{PeerError, PeerGetter, PeerPicker};
pub use stats::{Stats, StatsSnapshot};

/// The longest key accepted (bytes): longer keys are refused with [`Error::KeyTooLong`]
/// before any lookup, so they cannot bloat URLs, logs or the cache.
pub const MAX_KEY_LEN: usize = 4096;

/// The largest value accepted from a getter or a peer (bytes): 64 MiB.
pub const MAX_VALUE_LEN: usize = 64 << 20;
