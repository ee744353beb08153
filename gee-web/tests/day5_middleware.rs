//! Day 5 acceptance tests: middleware chains run around the handler, in group order, can
//! stop the chain, and are chosen by group membership rather than by path prefix.

mod support;

use gee_web::{Context, Engine, Method, StatusCode, logger};
use support::{get, send, start};

/// Appends `step` to the `x-trace` response header, so a test can read the order of events.
fn trace(c: &mut Context, step: &str) {
    let so_far = c
        .response_headers()
        .get("x-trace")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let next = if so_far.is_empty() {
        step.to_owned()
    } else {
        format!("{so_far},{step}")
    };
    c.header("x-trace", next);
}

async fn outer(c: &mut Context) {
    trace(c, "outer>");
    c.next().await;
    trace(c, "<outer");
}

async fn inner(c: &mut Context) {
    trace(c, "inner>");
    c.next().await;
    trace(c, "<inner");
}

async fn handler(c: &mut Context) {
    trace(c, "handler");
    c.string(StatusCode::OK, "ok");
}

async fn deny(c: &mut Context) {
    trace(c, "deny");
    c.fail(StatusCode::FORBIDDEN, "no entry");
}

#[tokio::test]
async fn middleware_runs_before_and_after_the_handler_in_group_order() {
    let mut r = Engine::new();
    r.with(outer);
    {
        let mut api = r.group("/api");
        api.with(inner);
        api.get("/x", handler);
    }
    let server = start(r).await;
    let reply = get(server.addr, "/api/x").await;
    assert_eq!(reply.body, "ok");
    assert_eq!(
        reply.headers["x-trace"],
        "outer>,inner>,handler,<inner,<outer"
    );
}

#[tokio::test]
async fn fail_stops_the_chain_but_outer_middleware_finishes() {
    let mut r = Engine::new();
    r.with(outer);
    {
        let mut admin = r.group("/admin");
        admin.with(deny).with(inner);
        admin.get("/panel", handler);
    }
    let server = start(r).await;
    let reply = get(server.addr, "/admin/panel").await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.body, r#"{"message":"no entry"}"#);
    assert_eq!(reply.headers["x-trace"], "outer>,deny,<outer");
}

#[tokio::test]
async fn abort_without_an_answer_keeps_what_was_written() {
    let mut r = Engine::new();
    r.with(async |c: &mut Context| {
        c.status(StatusCode::UNAUTHORIZED);
        c.abort();
    });
    r.get("/secret", handler);
    let server = start(r).await;
    let reply = get(server.addr, "/secret").await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.body, "");
}

/// Go bug (book appendix: Go bugs): like gin, `Next()` keeps looping when a middleware does not
/// call it: a middleware that only looks at the request still lets it through. Kept, and
/// documented.
#[tokio::test]
async fn go_bug_next_keeps_looping_without_next_call() {
    let mut r = Engine::new();
    r.with(async |c: &mut Context| trace(c, "peek"));
    r.get("/x", handler);
    let server = start(r).await;
    let reply = get(server.addr, "/x").await;
    assert_eq!(reply.body, "ok");
    assert_eq!(reply.headers["x-trace"], "peek,handler");
}

/// Go bug (book appendix: Go bugs, issue #14): group middleware was chosen with `HasPrefix(path, prefix)`,
/// so `/v2`'s middleware also ran for `/v2abc`, and `/user`'s for `/username`.
#[tokio::test]
async fn go_bug_group_middleware_prefix_match() {
    let mut r = Engine::new();
    r.group("/v2").with(deny).get("/hello", handler);
    r.group("/user").with(deny).get("/profile", handler);
    r.get("/v2abc", handler).get("/username", handler);
    let server = start(r).await;
    assert_eq!(
        get(server.addr, "/v2/hello").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get(server.addr, "/user/profile").await.status,
        StatusCode::FORBIDDEN
    );
    let reply = get(server.addr, "/v2abc").await;
    assert_eq!((reply.status, reply.body.as_str()), (StatusCode::OK, "ok"));
    let reply = get(server.addr, "/username").await;
    assert_eq!((reply.status, reply.body.as_str()), (StatusCode::OK, "ok"));
}

/// Go bug (book appendix: Go bugs): the day-5 comment shows `[200]` in the log where the real status
/// is 500: a middleware that runs after `next()` sees the failure's status.
#[tokio::test]
async fn go_bug_day5_log_comment_shows_200() {
    let mut r = Engine::new();
    r.with(async |c: &mut Context| {
        c.next().await;
        let seen = c.status_code().as_u16().to_string();
        c.header("x-logged-status", seen);
    });
    r.group("/v2")
        .with(async |c: &mut Context| {
            c.fail(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
        })
        .get("/hello/:name", handler);
    let server = start(r).await;
    let reply = get(server.addr, "/v2/hello/geektutu").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(reply.body, r#"{"message":"Internal Server Error"}"#);
    assert_eq!(reply.headers["x-logged-status"], "500");
}

#[tokio::test]
async fn middleware_added_after_the_routes_still_applies() {
    let mut r = Engine::new();
    r.get("/x", handler);
    r.with(outer);
    let server = start(r).await;
    assert_eq!(
        get(server.addr, "/x").await.headers["x-trace"],
        "outer>,handler,<outer"
    );
}

#[tokio::test]
async fn global_middleware_also_wraps_404_and_405() {
    let mut r = Engine::new();
    r.with(outer);
    r.group("/g").with(inner).post("/only-post", handler);
    let server = start(r).await;
    let missing = get(server.addr, "/missing").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(
        missing.headers["x-trace"], "outer>,<outer",
        "not the group's"
    );
    let wrong = send(server.addr, Method::GET, "/g/only-post", &[], "").await;
    assert_eq!(wrong.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong.headers["x-trace"], "outer>,<outer");
}

#[tokio::test]
async fn the_logger_lets_requests_through_unchanged() {
    let mut r = Engine::new();
    r.with(logger()).with(outer);
    r.get("/x", handler);
    r.group("/v2").with(deny).get("/hello/:name", handler);
    let server = start(r).await;
    let reply = get(server.addr, "/x").await;
    assert_eq!((reply.status, reply.body.as_str()), (StatusCode::OK, "ok"));
    assert_eq!(reply.headers["x-trace"], "outer>,handler,<outer");
    let reply = get(server.addr, "/v2/hello/geektutu").await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
}
