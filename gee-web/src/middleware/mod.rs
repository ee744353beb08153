//! Day 5 — middleware: handlers that wrap the rest of the chain.
//!
//! Logging, authentication, panic recovery: some code must run for many routes, before
//! and after the route's own handler. Gin's answer, which Gee copies, is beautifully small:
//! a middleware *is* a handler. Each request gets a chain, the middleware of its route's
//! groups (outermost group first) followed by the route's handler, and the [`Context`]
//! remembers how far along the chain it is. A middleware calls
//! [`c.next().await`](crate::Context::next) to run everything after it, so code before that
//! call runs on the way in and code after it on the way out:
//!
//! ```text
//! logger: start timer ──▶ auth: check token ──▶ handler: c.json(..)
//! logger: log latency ◀── auth: (returns)   ◀──┘
//! ```
//!
//! A middleware that rejects the request calls [`c.fail(code, msg)`](crate::Context::fail)
//! (or `c.abort()`): the handlers after it never run, and the ones before it still finish
//! their "after" part. Register middleware with `engine.with(..)` or `group.with(..)`.
//!
//! [`Context`]: crate::Context

pub mod logger;
pub mod recovery;

pub use logger::logger;
pub use recovery::recovery;
