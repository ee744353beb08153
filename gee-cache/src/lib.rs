//! # gee-cache — a groupcache-like distributed cache, in seven days
//!
//! Not built yet: every day of this course is `planned` in `course.toml`.
//!
//! What it will teach, day by day: a byte-budgeted LRU (1), a concurrent cache and the
//! `Group` that loads misses through a `Getter` (2), an HTTP server for the cache (3), a
//! consistent-hash ring (4), peers that fetch from each other over HTTP (5), singleflight so
//! a cold key is loaded once however many ask (6), and protobuf on the wire, compatible with
//! Go's groupcache (7).
