//! Gee day 5 — the Go course's `day5-middleware/main.go`: a global logger, and a `/v2`
//! middleware that fails every request of its group.
//!
//! ```text
//! $ curl http://localhost:9999/
//! <h1>Hello Gee</h1>
//! $ curl http://localhost:9999/v2/hello/geektutu
//! {"message":"Internal Server Error"}
//! ```
//!
//! and the server logs `[500] /v2/hello/geektutu in 3µs for group v2`, then the logger's line.

use std::time::Instant;

use gee_web::{Context, Engine, Handler, StatusCode, logger};

// ANCHOR: only_for_v2
/// A middleware that rejects every request of its group, as in the Go example.
fn only_for_v2() -> impl Handler {
    async |c: &mut Context| {
        let start = Instant::now();
        c.fail(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
        tracing::info!(
            "[{}] {} in {:?} for group v2",
            c.status_code().as_u16(),
            c.uri(),
            start.elapsed()
        );
    }
}
// ANCHOR_END: only_for_v2

// ANCHOR: main
#[tokio::main]
async fn main() -> Result<(), gee_web::Error> {
    common::init_tracing();
    let mut r = Engine::new();
    r.with(logger()); // global middleware
    r.get("/", async |c: &mut Context| {
        c.html(StatusCode::OK, "<h1>Hello Gee</h1>")
    });
    {
        let mut v2 = r.group("/v2");
        v2.with(only_for_v2()); // v2 group middleware
        v2.get("/hello/:name", async |c: &mut Context| {
            // expect /v2/hello/geektutu
            let body = format!("hello {}, you're at {}\n", c.param("name"), c.path());
            c.string(StatusCode::OK, body)
        });
    }
    r.run(common::listen_addr_from_args(9999)).await
}
// ANCHOR_END: main
