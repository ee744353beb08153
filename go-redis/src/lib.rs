//! # go-redis — a Redis-compatible server, in seven days
//!
//! Not built yet: every day of this course is `planned` in `course.toml`.
//!
//! What it will teach, day by day: a TCP server with graceful shutdown (1), the RESP
//! protocol with pipelining (2), a concurrent keyspace with strings and keys (3), lists,
//! hashes, sets, sorted sets and TTL (4), AOF persistence (5), transactions and pub/sub (6),
//! and a cluster that routes keys by consistent hashing (7). Real clients (`redis-cli`,
//! `redis-benchmark`, the `redis` crate) are its acceptance tests.
