//! Gee day 2 — the Go course's `day2-context/main.go`: handlers take a `Context`.
//!
//! ```text
//! $ curl http://localhost:9999/
//! <h1>Hello Gee</h1>
//! $ curl "http://localhost:9999/hello?name=geektutu"
//! hello geektutu, you're at /hello
//! $ curl http://localhost:9999/login -X POST -d 'username=geektutu&password=1234'
//! {"password":"1234","username":"geektutu"}
//! $ curl http://localhost:9999/xxx
//! 404 NOT FOUND: /xxx
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
        let body = format!("hello {}, you're at {}\n", c.query("name"), c.path());
        c.string(StatusCode::OK, body)
    });
    r.post("/login", async |c: &mut Context| {
        let body = json!({
            "username": c.post_form("username"),
            "password": c.post_form("password"),
        });
        c.json(StatusCode::OK, &body)
    });
    r.run(common::listen_addr_from_args(9999)).await
}
// ANCHOR_END: main
