//! Gee day 3 — the Go course's `day3-router/main.go`: a trie router with `:name` and `*filepath`.
//!
//! ```text
//! $ curl "http://localhost:9999/hello/geektutu"
//! hello geektutu, you're at /hello/geektutu
//! $ curl "http://localhost:9999/assets/css/geektutu.css"
//! {"filepath":"css/geektutu.css"}
//! $ curl -i -X POST http://localhost:9999/hello/geektutu
//! HTTP/1.1 405 Method Not Allowed
//! allow: GET, HEAD
//! ```

use gee_web::{Context, Engine, StatusCode, json};

// ANCHOR: main
#[tokio::main]
async fn main() -> Result<(), gee_web::Error> {
    common::init_tracing();
    let mut r = Engine::new();
    r.get("/", async |c: &mut Context| {
        c.html(StatusCode::OK, "<h1>Hello Gee</h1>")
    });
    r.get("/hello", async |c: &mut Context| {
        // expect /hello?name=geektutu
        let body = format!("hello {}, you're at {}\n", c.query("name"), c.path());
        c.string(StatusCode::OK, body)
    });
    r.get("/hello/:name", async |c: &mut Context| {
        // expect /hello/geektutu
        let body = format!("hello {}, you're at {}\n", c.param("name"), c.path());
        c.string(StatusCode::OK, body)
    });
    r.get("/assets/*filepath", async |c: &mut Context| {
        let body = json!({ "filepath": c.param("filepath") });
        c.json(StatusCode::OK, &body)
    });
    r.run(common::listen_addr_from_args(9999)).await
}
// ANCHOR_END: main
