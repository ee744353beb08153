//! Gee day 1 — the Go course's `base3/main.go`, on hyper.
//!
//! Serves two routes on http://127.0.0.1:9999 (or `--port N`):
//!
//! ```text
//! $ curl http://localhost:9999/
//! URL.Path = "/"
//! $ curl http://localhost:9999/hello
//! Header["host"] = ["localhost:9999"]
//! Header["user-agent"] = ["curl/7.88.1"]
//! Header["accept"] = ["*/*"]
//! $ curl -i http://localhost:9999/world
//! HTTP/1.1 404 Not Found
//! ...
//! 404 NOT FOUND: /world
//! ```
//!
//! Stop it with Ctrl-C: it finishes in-flight requests, then exits.

use std::fmt::Write;

use gee_web::{Context, Engine, MapRoutes, StatusCode};

// ANCHOR: main
#[tokio::main]
async fn main() -> Result<(), gee_web::Error> {
    common::init_tracing();
    // Day 1's route table: an exact-match map, like the Go course's `map[string]HandlerFunc`.
    let mut engine = Engine::with_routes(MapRoutes::new());
    engine.get("/", async |c: &mut Context| {
        let body = format!("URL.Path = {:?}\n", c.path());
        c.string(StatusCode::OK, body)
    });
    engine.get("/hello", async |c: &mut Context| {
        let mut body = String::new();
        for (name, value) in c.request_headers() {
            let value = String::from_utf8_lossy(value.as_bytes());
            let _ = writeln!(body, "Header[{:?}] = [{value:?}]", name.as_str());
        }
        c.string(StatusCode::OK, body)
    });
    engine.run(common::listen_addr_from_args(9999)).await
}
// ANCHOR_END: main
