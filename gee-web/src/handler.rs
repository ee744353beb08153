//! Day 2 — handlers take a `&mut Context`: one object carries the request in and the answer out.
//!
//! On day 1 a handler was `Fn(Request) -> Future<Response>`: every handler had to build a
//! whole response by hand. Gee's day 2 changes `HandlerFunc` to `func(c *Context)` and so do
//! we: a handler receives the [`Context`] mutably, reads the request from it and writes the
//! answer into it (`c.string(...)`, `c.json(...)`). On day 5 the very same type becomes
//! middleware, because a middleware is just a handler that calls `c.next().await`.
//!
//! Handlers are `async` because real handlers wait (for a database, a file, another
//! service). Two ways to write one:
//!
//! ```
//! use gee_web::{Context, StatusCode, handler};
//!
//! // 1. An async fn, or an async closure that captures nothing:
//! async fn hello(c: &mut Context) {
//!     let name = c.query("name");
//!     c.string(StatusCode::OK, format!("hello {name}\n"));
//! }
//! let index = async |c: &mut Context| c.html(StatusCode::OK, "<h1>Hello Gee</h1>");
//!
//! // 2. A closure that captures state: wrap it in `handler` and box its future.
//! let greeting = std::sync::Arc::new(String::from("hi"));
//! let greet = handler(move |c| {
//!     let greeting = greeting.clone();
//!     Box::pin(async move { c.string(StatusCode::OK, format!("{greeting}\n")) })
//! });
//! # let mut r = gee_web::Engine::new();
//! # r.get("/hello", hello).get("/", index).get("/greet", greet);
//! ```
//!
//! Why two? A future that borrows the `&mut Context` has a type that depends on the
//! borrow's lifetime. `async fn` and async closures express that; plain closures returning
//! `async move {}` cannot name it, so they return the boxed future type themselves.

use std::future::Future;
use std::pin::Pin;

use crate::Context;

/// A boxed, sendable future borrowing for `'a`: what a handler call returns once its type
/// has been erased, so handlers of different types fit in one chain.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

// ANCHOR: handler_trait
/// Something that handles a request through its [`Context`]: Go's `HandlerFunc`.
///
/// Implemented for every `async fn(&mut Context)`, every async closure
/// `async |c: &mut Context| ...` that captures nothing, and whatever [`handler`] returns.
/// Middleware (day 5) are handlers too.
pub trait Handler: Send + Sync + 'static {
    /// Runs the handler on one request.
    fn call<'a>(&'a self, c: &'a mut Context) -> BoxFuture<'a, ()>;
}
// ANCHOR_END: handler_trait

// ANCHOR: handler_fn
/// A function from `&'a mut Context` to a future that may borrow it for `'a`.
///
/// This helper trait names the future type for each lifetime, which `Fn(&mut Context) ->
/// impl Future` alone cannot; it is what lets `async fn` items be handlers.
pub trait HandlerFn<'a>: Fn(&'a mut Context) -> <Self as HandlerFn<'a>>::Fut {
    /// The future the function returns for a borrow of `'a`.
    type Fut: Future<Output = ()> + Send + 'a;
}

impl<'a, F, Fut> HandlerFn<'a> for F
where
    F: Fn(&'a mut Context) -> Fut,
    Fut: Future<Output = ()> + Send + 'a,
{
    type Fut = Fut;
}
// ANCHOR_END: handler_fn

impl<F> Handler for F
where
    F: for<'a> HandlerFn<'a> + Send + Sync + 'static,
{
    fn call<'a>(&'a self, c: &'a mut Context) -> BoxFuture<'a, ()> {
        Box::pin(self(c))
    }
}

/// A handler made from a closure that returns its future already boxed; see [`handler`].
pub struct BoxedHandler<F>(F);

impl<F> Handler for BoxedHandler<F>
where
    F: for<'a> Fn(&'a mut Context) -> BoxFuture<'a, ()> + Send + Sync + 'static,
{
    fn call<'a>(&'a self, c: &'a mut Context) -> BoxFuture<'a, ()> {
        (self.0)(c)
    }
}

/// Turns a closure that captures state into a [`Handler`]: `handler(move |c| Box::pin(async
/// move { ... }))`. Passing the closure through this function is also what tells the
/// compiler its argument is a borrow of any lifetime.
pub fn handler<F>(f: F) -> BoxedHandler<F>
where
    F: for<'a> Fn(&'a mut Context) -> BoxFuture<'a, ()> + Send + Sync + 'static,
{
    BoxedHandler(f)
}
