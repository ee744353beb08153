//! # Gee — a gin-like web framework, in seven days
//!
//! Gee is the web framework of the "7 days from scratch" course, rebuilt on hyper 1 and
//! tokio. Each day adds one idea, in a module of its own:
//!
//! | day | idea | module |
//! |---|---|---|
//! | 1 | a hyper service: the engine, a route map, graceful shutdown | [`engine`] |
//!
//! Days 2–7 (context, trie router, groups, middleware, templates, recovery) are `planned`
//! in `course.toml`.
//!
//! ```no_run
//! use gee_web::{Engine, Request, text};
//! use hyper::StatusCode;
//!
//! # async fn demo() -> Result<(), gee_web::Error> {
//! let mut engine = Engine::new();
//! engine.get("/", |req: Request| async move {
//!     text(StatusCode::OK, format!("URL.Path = {:?}\n", req.uri().path()))
//! });
//! engine.run("127.0.0.1:9999").await
//! # }
//! ```

pub mod engine;
pub mod error;

pub use engine::{Engine, Handler, Request, Response, text};
pub use error::Error;
