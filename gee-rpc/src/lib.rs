//! # gee-rpc — a net/rpc-like RPC framework on tokio, in seven days
//!
//! Not built yet: every day of this course is `planned` in `course.toml`.
//!
//! What it will teach, day by day: a message codec and the connection handshake (1), a
//! client that multiplexes concurrent calls on one connection (2), service registration (3),
//! timeouts on connect and on calls (4), an HTTP transport with a debug page (5), client-side
//! load balancing (6), and a registry with heartbeats (7).
