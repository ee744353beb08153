//! Day 2 acceptance tests: the `Context` reads query, form and headers, and the renderers
//! set status, content type and body together. All over real sockets.

mod support;

use gee_web::{Context, Engine, Method, StatusCode, json};
use support::{get, send, start};

const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

fn day2_engine() -> Engine {
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
    r.get("/query", async |c: &mut Context| {
        let body = json!({ "q": c.get_query("q"), "missing": c.get_query("missing") });
        c.json(StatusCode::OK, &body)
    });
    r.get("/data", async |c: &mut Context| {
        c.header("x-gee", "day2");
        c.header("content-type", "image/png");
        c.data(StatusCode::CREATED, &b"PNG!"[..])
    });
    r.get("/teapot", async |c: &mut Context| {
        c.status(StatusCode::IM_A_TEAPOT);
        c.header("x-custom", "yes");
    });
    r.post(
        "/echo-json",
        async |c: &mut Context| match c.bind_json::<serde_json::Value>() {
            Ok(value) => c.json(
                StatusCode::OK,
                &json!({ "got": value, "again": c.body().len() }),
            ),
            Err(err) => c.fail(StatusCode::BAD_REQUEST, err.to_string()),
        },
    );
    r
}

#[tokio::test]
async fn html_sets_the_type_and_body() {
    let server = start(day2_engine()).await;
    let reply = get(server.addr, "/").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(reply.body, "<h1>Hello Gee</h1>");
}

#[tokio::test]
async fn query_values_are_decoded() {
    let server = start(day2_engine()).await;
    let reply = get(server.addr, "/hello?name=geektutu").await;
    assert_eq!(reply.body, "hello geektutu, you're at /hello\n");
    let reply = get(server.addr, "/hello?name=gee+tu%21&name=second").await;
    assert_eq!(
        reply.body, "hello gee tu!, you're at /hello\n",
        "'+' is a space, %21 is '!', the first value wins"
    );
    let reply = get(server.addr, "/hello").await;
    assert_eq!(reply.body, "hello , you're at /hello\n", "absent is empty");
}

#[tokio::test]
async fn get_query_tells_absent_from_empty() {
    let server = start(day2_engine()).await;
    let reply = get(server.addr, "/query?q=").await;
    assert_eq!(reply.headers["content-type"], "application/json");
    assert_eq!(reply.body, r#"{"missing":null,"q":""}"#);
}

#[tokio::test]
async fn login_echoes_the_posted_form_as_json() {
    let server = start(day2_engine()).await;
    let reply = send(
        server.addr,
        Method::POST,
        "/login",
        &[FORM],
        "username=geektutu&password=1234",
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.headers["content-type"], "application/json");
    assert_eq!(reply.body, r#"{"password":"1234","username":"geektutu"}"#);
}

#[tokio::test]
async fn post_form_ignores_bodies_that_are_not_forms() {
    let server = start(day2_engine()).await;
    let reply = send(
        server.addr,
        Method::POST,
        "/login",
        &[("content-type", "text/plain")],
        "username=geektutu",
    )
    .await;
    assert_eq!(reply.body, r#"{"password":"","username":""}"#);
}

#[tokio::test]
async fn data_keeps_a_content_type_set_by_the_handler() {
    let server = start(day2_engine()).await;
    let reply = get(server.addr, "/data").await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(reply.headers["content-type"], "image/png");
    assert_eq!(reply.headers["x-gee"], "day2");
    assert_eq!(reply.body, "PNG!");
}

#[tokio::test]
async fn status_and_header_alone_make_a_response() {
    let server = start(day2_engine()).await;
    let reply = get(server.addr, "/teapot").await;
    assert_eq!(reply.status, StatusCode::IM_A_TEAPOT);
    assert_eq!(reply.headers["x-custom"], "yes");
    assert_eq!(reply.body, "");
}

#[tokio::test]
async fn the_body_can_be_read_twice() {
    let server = start(day2_engine()).await;
    let reply = send(
        server.addr,
        Method::POST,
        "/echo-json",
        &[("content-type", "application/json")],
        r#"{"a":1}"#,
    )
    .await;
    assert_eq!(reply.body, r#"{"again":7,"got":{"a":1}}"#);
    let reply = send(server.addr, Method::POST, "/echo-json", &[], "{not json").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.body.starts_with(r#"{"message":"#), "{}", reply.body);
}

#[tokio::test]
async fn unknown_paths_are_404_with_the_path() {
    let server = start(day2_engine()).await;
    let reply = get(server.addr, "/xxx").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.body, "404 NOT FOUND: /xxx\n");
}

/// Go's `JSON` wrote the status before encoding, so an encoding error could no longer change
/// it: a 200 with partial JSON plus the error text. Here the response is buffered: a 500.
#[tokio::test]
async fn go_bug_json_encode_error_after_status_was_written() {
    let mut r = Engine::new();
    r.get("/bad", async |c: &mut Context| {
        // serde_json cannot encode a map whose keys are not strings.
        let mut bad = std::collections::HashMap::new();
        bad.insert(vec![1u8], 1);
        c.json(StatusCode::OK, &bad)
    });
    let server = start(r).await;
    let reply = get(server.addr, "/bad").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(reply.body, r#"{"message":"Internal Server Error"}"#);
}

/// Go's `Status()` wrote the header at once, so a `SetHeader` after it was silently dropped.
#[tokio::test]
async fn go_bug_set_header_after_status_is_ignored() {
    let mut r = Engine::new();
    r.get("/late", async |c: &mut Context| {
        c.status(StatusCode::ACCEPTED);
        c.header("x-late", "kept");
        c.string(StatusCode::ACCEPTED, "ok")
    });
    let server = start(r).await;
    let reply = get(server.addr, "/late").await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert_eq!(reply.headers["x-late"], "kept");
}
