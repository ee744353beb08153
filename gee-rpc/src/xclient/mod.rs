//! Day 6 — Client-side load balancing: pick a server per call, or call them all.
//!
//! [`discovery`] says which servers exist (day 6: a fixed list; day 7:
//! [`registry_discovery`], a list fetched from the registry), and [`xclient`] keeps one
//! [`Client`](crate::Client) per server and spreads calls over them.

pub mod discovery;
pub mod registry_discovery;
#[allow(clippy::module_inception)]
pub mod xclient;

pub use discovery::{Discovery, MultiServersDiscovery, SelectMode};
pub use registry_discovery::RegistryDiscovery;
pub use xclient::XClient;
