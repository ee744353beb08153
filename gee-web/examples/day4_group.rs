//! Gee day 4 — the Go course's `day4-group/main.go`: routes in groups `/v1` and `/v2`.
//!
//! ```text
//! $ curl http://localhost:9999/index
//! <h1>Index Page</h1>
//! $ curl http://localhost:9999/v1/
//! <h1>Hello Gee</h1>
//! $ curl "http://localhost:9999/v1/hello?name=geektutu"
//! hello geektutu, you're at /v1/hello
//! $ curl http://localhost:9999/v2/hello/geektutu
//! hello geektutu, you're at /v2/hello/geektutu
//! $ curl http://localhost:9999/v2/login -X POST -d 'username=geektutu&password=1234'
//! {"password":"1234","username":"geektutu"}
//! ```

use gee_web::{Context, Engine, StatusCode, json};

// ANCHOR: main
#[tokio::main]
async fn main() -> Result<(), gee_web::Error> {
    common::init_tracing();
    let mut r = Engine::new();
    r.get("/index", async |c: &mut Context| {
        c.html(StatusCode::OK, "<h1>Index Page</h1>")
    });
    {
        let mut v1 = r.group("/v1");
        v1.get("/", async |c: &mut Context| {
            c.html(StatusCode::OK, "<h1>Hello Gee</h1>")
        });
        v1.get("/hello", async |c: &mut Context| {
            // expect /v1/hello?name=geektutu
            let body = format!("hello {}, you're at {}\n", c.query("name"), c.path());
            c.string(StatusCode::OK, body)
        });
    }
    {
        let mut v2 = r.group("/v2");
        v2.get("/hello/:name", async |c: &mut Context| {
            // expect /v2/hello/geektutu
            let body = format!("hello {}, you're at {}\n", c.param("name"), c.path());
            c.string(StatusCode::OK, body)
        });
        v2.post("/login", async |c: &mut Context| {
            let body = json!({
                "username": c.post_form("username"),
                "password": c.post_form("password"),
            });
            c.json(StatusCode::OK, &body)
        });
    }
    r.run(common::listen_addr_from_args(9999)).await
}
// ANCHOR_END: main
