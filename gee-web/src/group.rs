//! Day 4 — route groups: routes sharing a prefix (and, from day 5, middleware).
//!
//! Real APIs come in families: everything under `/v1` is the old API, everything under
//! `/admin` needs a login. Gee's `RouterGroup` names such a family by its prefix; routes
//! registered on the group get the prefix in front, groups nest (`/v1` then `/admin` makes
//! `/v1/admin`), and all of them share the one router of the engine.
//!
//! In Go every group holds a pointer to the engine. In Rust a [`RouterGroup`] *borrows* the
//! engine mutably for as long as you register through it, which reads the same as Go's
//! block style and guarantees nobody registers routes while the engine serves:
//!
//! ```
//! # use gee_web::{Context, Engine, StatusCode};
//! # async fn h(c: &mut Context) { c.string(StatusCode::OK, "x") }
//! let mut r = Engine::new();
//! {
//!     let mut v1 = r.group("/v1");
//!     v1.get("/hello", h);                    // GET /v1/hello
//!     v1.group("/admin").get("/users", h);    // GET /v1/admin/users
//! }
//! r.get("/index", h);
//! ```
//!
//! A group stores its prefix and its parent in the engine; registering through a group is
//! the engine's own registration with the prefix added and the group's id attached, so
//! each route remembers its group. Day 5 hangs middleware on the groups. The Go original picks middleware at request
//! time by testing `strings.HasPrefix(path, group.prefix)`, so a `/v1` group's middleware
//! also ran for `/v10/...`; here a route's chain comes from its own group and that group's
//! ancestors, resolved once when serving starts.

use std::sync::Arc;

use hyper::Method;

use crate::Engine;
use crate::handler::Handler;
use crate::router::RouteError;

/// What the engine keeps for each group.
#[derive(Clone)]
pub(crate) struct GroupData {
    pub(crate) prefix: String,
    pub(crate) parent: Option<usize>,
    /// Day 5: the group's middleware, filled by `with`.
    pub(crate) middlewares: Vec<Arc<dyn Handler>>,
}

impl GroupData {
    /// The engine's own group: no prefix, no parent.
    pub(crate) fn root() -> Self {
        Self {
            prefix: String::new(),
            parent: None,
            middlewares: Vec::new(),
        }
    }
}

/// A handle for registering routes under a prefix; borrows the engine while it lives.
pub struct RouterGroup<'e> {
    pub(crate) engine: &'e mut Engine,
    pub(crate) id: usize,
}

impl<'e> RouterGroup<'e> {
    pub(crate) fn new(engine: &'e mut Engine, id: usize) -> Self {
        Self { engine, id }
    }

    /// The full prefix of this group, e.g. `/v1/admin`.
    pub fn prefix(&self) -> &str {
        &self.engine.inner.groups[self.id].prefix
    }

    // ANCHOR: group
    /// A child group: its prefix is this group's prefix followed by `prefix`.
    pub fn group(&mut self, prefix: &str) -> RouterGroup<'_> {
        let id = self.new_child(prefix);
        RouterGroup {
            engine: &mut *self.engine,
            id,
        }
    }
    // ANCHOR_END: group

    /// Like [`group`](Self::group), consuming this handle (keeps the engine's borrow).
    pub(crate) fn into_group(mut self, prefix: &str) -> RouterGroup<'e> {
        let id = self.new_child(prefix);
        RouterGroup {
            engine: self.engine,
            id,
        }
    }

    /// Records a child group of this one and returns its id.
    fn new_child(&mut self, prefix: &str) -> usize {
        // ANCHOR: ex_new_child
        let full = format!("{}{prefix}", self.prefix());
        let parent = Some(self.id);
        let inner = self.engine.inner_mut();
        inner.groups.push(GroupData {
            prefix: full,
            parent,
            middlewares: Vec::new(),
        });
        inner.groups.len() - 1
        // ANCHOR_END: ex_new_child
    }

    /// Registers `handler` for `method` at this group's prefix followed by `pattern`.
    ///
    /// # Panics
    ///
    /// When the route is malformed or conflicts with another; see [`Engine::add_route`].
    pub fn add_route(&mut self, method: Method, pattern: &str, handler: impl Handler) -> &mut Self {
        if let Err(err) = self.try_add_route(method, pattern, handler) {
            panic!("cannot register route: {err}");
        }
        self
    }

    // ANCHOR: try_add_route
    /// Registers a route, or says why it cannot be registered (the engine is unchanged then):
    /// the engine's registration, with the group's prefix and id.
    pub fn try_add_route(
        &mut self,
        method: Method,
        pattern: &str,
        handler: impl Handler,
    ) -> Result<&mut Self, RouteError> {
        // ANCHOR: ex_try_add_route
        let full = format!("{}{pattern}", self.prefix());
        self.engine
            .register(self.id, method, &full, Arc::new(handler))?;
        Ok(self)
        // ANCHOR_END: ex_try_add_route
    }
    // ANCHOR_END: try_add_route

    /// Registers a handler for `GET` (also used for `HEAD`).
    pub fn get(&mut self, pattern: &str, handler: impl Handler) -> &mut Self {
        self.add_route(Method::GET, pattern, handler)
    }

    /// Registers a handler for `POST`.
    pub fn post(&mut self, pattern: &str, handler: impl Handler) -> &mut Self {
        self.add_route(Method::POST, pattern, handler)
    }

    /// Registers a handler for `PUT`.
    pub fn put(&mut self, pattern: &str, handler: impl Handler) -> &mut Self {
        self.add_route(Method::PUT, pattern, handler)
    }

    /// Registers a handler for `DELETE`.
    pub fn delete(&mut self, pattern: &str, handler: impl Handler) -> &mut Self {
        self.add_route(Method::DELETE, pattern, handler)
    }

    /// Registers a handler for `PATCH`.
    pub fn patch(&mut self, pattern: &str, handler: impl Handler) -> &mut Self {
        self.add_route(Method::PATCH, pattern, handler)
    }
}
