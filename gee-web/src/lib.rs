//! # Gee — a gin-like web framework, in seven days
//!
//! Gee is the web framework of the "7 days from scratch" course, rebuilt on hyper 1 and
//! tokio. Each day adds one idea, in a module of its own:
//!
//! | day | idea | module |
//! |---|---|---|
//! | 1 | a hyper service: the engine, graceful shutdown, limits; the route table | [`engine`], [`routes`] |
//! | 2 | handlers take a `Context`; renderers | [`handler`](mod@handler), [`context`], [`render`] |
//! | 3 | a trie router with `:param` and `*catch-all`, 404/405 | [`trie`], [`router`] |
//! | 4 | route groups | [`group`] |
//! | 5 | middleware, `c.next()`, the logger | [`middleware`], [`middleware::logger`](mod@middleware::logger) |
//! | 6 | askama templates and static files | [`template`], [`static_files`] |
//! | 7 | panic recovery, `Engine::default()` | [`middleware::recovery`](mod@middleware::recovery) |
//!
//! ```no_run
//! use gee_web::{Context, Engine, StatusCode, json};
//!
//! # async fn demo() -> Result<(), gee_web::Error> {
//! let mut r = Engine::default(); // logger + recovery, like gin.Default()
//! r.get("/", async |c: &mut Context| c.html(StatusCode::OK, "<h1>Hello Gee</h1>"));
//! r.get("/hello/:name", async |c: &mut Context| {
//!     let body = json!({ "name": c.param("name") });
//!     c.json(StatusCode::OK, &body)
//! });
//! r.run("127.0.0.1:9999").await
//! # }
//! ```

pub mod context;
pub mod engine;
pub mod error;
pub mod group;
pub mod handler;
pub mod middleware;
pub mod render;
pub mod router;
pub mod routes;
pub mod static_files;
pub mod template;
pub mod trie;

pub use context::Context;
pub use engine::{Engine, Limits, Request, Response};
pub use error::Error;
pub use group::RouterGroup;
pub use handler::{BoxFuture, Handler, handler};
pub use hyper::{Method, StatusCode};
pub use middleware::{logger, recovery};
pub use render::HtmlBody;
pub use routes::{MapRoutes, RouteError, RouteTable};
pub use serde_json::json;

/// The template engine used by `c.html` on day 6, re-exported so examples and applications
/// use the same version: `#[derive(gee_web::askama::Template)]`.
#[cfg(feature = "template")]
pub use askama;
