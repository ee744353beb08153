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
//! This module plugs into two seams of earlier days: the chain the engine builds for each
//! route when serving starts (day 1) gets the middleware of the route's group and of its
//! ancestors in front of the handler, and [`Context::next`], which the engine calls to run
//! the chain, becomes something a handler can call too.

pub mod logger;
pub mod recovery;

use std::sync::Arc;

pub use logger::logger;
pub use recovery::recovery;

use crate::engine::Inner;
use crate::{Context, Engine, Handler, RouterGroup};

impl Context {
    // ANCHOR: next
    /// Runs the rest of the handler chain, then returns: what a middleware calls to let the
    /// request through, with its own code before and after.
    ///
    /// Like gin, the chain keeps going after a handler that returns without calling `next`,
    /// and stops at once after [`abort`](Self::abort) or [`fail`](Self::fail).
    pub async fn next(&mut self) {
        // ANCHOR: ex_next
        while !self.aborted && self.next_index < self.route.chain.len() {
            let handler = Arc::clone(&self.route.chain[self.next_index]);
            self.next_index += 1;
            handler.call(self).await;
        }
        // ANCHOR_END: ex_next
    }
    // ANCHOR_END: next

    /// Stops the chain: the handlers after the current one do not run. Code a middleware
    /// has after its own `next().await` still runs, as in gin.
    pub fn abort(&mut self) {
        self.aborted = true;
    }

    /// True once [`abort`](Self::abort) or [`fail`](Self::fail) was called.
    pub fn is_aborted(&self) -> bool {
        self.aborted
    }
}

impl RouterGroup<'_> {
    // ANCHOR: with
    /// Adds middleware to this group (gin's `Use`, renamed because `use` is a Rust
    /// keyword): it runs for every route of the group and of its sub-groups, registered
    /// before or after this call.
    pub fn with(&mut self, middleware: impl Handler) -> &mut Self {
        self.engine.inner_mut().groups[self.id]
            .middlewares
            .push(Arc::new(middleware));
        self
    }
    // ANCHOR_END: with
}

impl Engine {
    /// Adds middleware that runs for every request, the 404s, 405s and redirects included.
    pub fn with(&mut self, middleware: impl Handler) -> &mut Self {
        self.root().with(middleware);
        self
    }
}

impl Inner {
    // ANCHOR: middleware_of
    /// The middleware a route of group `id` runs before its handler: the root group's
    /// first, then each nested group's, down to its own. The engine calls it once per route
    /// when serving starts.
    pub(crate) fn middleware_of(&self, id: usize) -> Vec<Arc<dyn Handler>> {
        let mut lineage = vec![id];
        while let Some(parent) = lineage.last().and_then(|&g| self.groups[g].parent) {
            lineage.push(parent);
        }
        lineage
            .iter()
            .rev()
            .flat_map(|&g| self.groups[g].middlewares.iter().cloned())
            .collect()
    }
    // ANCHOR_END: middleware_of
}
