//! Gee day 7 — the Go course's `day7-panic-recover/main.go`: `Engine::default()` (logger +
//! recovery, like `gin.Default()`) and a handler that panics.
//!
//! ```text
//! $ curl http://localhost:9999/
//! Hello Geektutu
//! $ curl http://localhost:9999/panic
//! {"message":"Internal Server Error"}
//! $ curl http://localhost:9999/
//! Hello Geektutu
//! ```
//!
//! The server logs the panic message, where it happened and a backtrace, then keeps serving.

use gee_web::{Context, Engine, StatusCode};

// ANCHOR: main
#[tokio::main]
async fn main() -> Result<(), gee_web::Error> {
    common::init_tracing();
    let mut r = Engine::default();
    r.get("/", async |c: &mut Context| {
        c.string(StatusCode::OK, "Hello Geektutu\n")
    });
    // index out of range for testing Recovery()
    r.get("/panic", async |c: &mut Context| {
        let names: Vec<String> = "geektutu".split(',').map(String::from).collect();
        let index = names.len() + 99;
        c.string(StatusCode::OK, names[index].clone())
    });
    r.run(common::listen_addr_from_args(9999)).await
}
// ANCHOR_END: main
