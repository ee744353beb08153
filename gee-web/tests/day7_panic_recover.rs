//! Day 7 acceptance tests: a panicking handler becomes a 500, the server keeps serving, and
//! other requests in flight at the same moment are not disturbed.

mod support;

use std::sync::Arc;
use std::time::Duration;

use gee_web::{Context, Engine, StatusCode, handler, recovery};
use support::{get, send_raw, start};
use tokio::sync::Notify;

async fn hello(c: &mut Context) {
    c.string(StatusCode::OK, "Hello Geektutu\n")
}

async fn out_of_range(c: &mut Context) {
    let names: Vec<String> = "geektutu".split(',').map(String::from).collect();
    let index = names.len() + 99;
    c.string(StatusCode::OK, names[index].clone())
}

const JSON_500: &str = r#"{"message":"Internal Server Error"}"#;

#[tokio::test]
async fn recovery_turns_a_panic_into_a_500_and_the_server_goes_on() {
    let mut r = Engine::new();
    r.with(recovery());
    r.get("/", hello).get("/panic", out_of_range);
    let server = start(r).await;
    assert_eq!(get(server.addr, "/").await.body, "Hello Geektutu\n");
    let reply = get(server.addr, "/panic").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(reply.headers["content-type"], "application/json");
    assert_eq!(reply.body, JSON_500);
    for _ in 0..3 {
        assert_eq!(get(server.addr, "/").await.body, "Hello Geektutu\n");
    }
}

#[tokio::test]
async fn engine_default_has_logger_and_recovery() {
    let mut r = Engine::default();
    r.get("/", hello).get("/panic", out_of_range);
    let server = start(r).await;
    let reply = get(server.addr, "/panic").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(reply.body, JSON_500);
    assert_eq!(get(server.addr, "/").await.status, StatusCode::OK);
}

#[tokio::test]
async fn what_the_handler_wrote_before_panicking_is_discarded() {
    let mut r = Engine::new();
    r.with(recovery());
    r.get("/half", async |c: &mut Context| {
        c.header("x-secret", "half-done");
        c.string(StatusCode::OK, "partial");
        panic!("gave up half way: {}", 42);
    });
    let server = start(r).await;
    let reply = get(server.addr, "/half").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(reply.body, JSON_500);
    assert!(!reply.headers.contains_key("x-secret"));
}

#[tokio::test]
async fn middleware_outside_recovery_sees_the_500() {
    let mut r = Engine::new();
    r.with(async |c: &mut Context| {
        c.next().await;
        let status = c.status_code().as_u16().to_string();
        c.header("x-seen", status);
    });
    r.with(recovery());
    r.get("/panic", out_of_range);
    let server = start(r).await;
    let reply = get(server.addr, "/panic").await;
    assert_eq!(reply.headers["x-seen"], "500");
}

/// Recovery is a middleware, not part of the engine: without it a panicking handler ends
/// its connection without an answer, and the server keeps serving everyone else.
#[tokio::test]
async fn without_recovery_the_connection_closes_and_the_server_goes_on() {
    let mut r = Engine::new();
    r.get("/", hello).get("/panic", out_of_range);
    let server = start(r).await;
    let reply = send_raw(
        server.addr,
        b"GET /panic HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(reply, "", "no answer at all, not a 200");
    assert_eq!(get(server.addr, "/").await.body, "Hello Geektutu\n");
}

/// A panic in one request must not disturb the requests running next to it.
#[tokio::test]
async fn a_panic_does_not_affect_concurrent_requests() {
    let started = Arc::new(Notify::new());
    let release = Arc::new(Notify::new());
    let mut r = Engine::default();
    r.get("/panic", out_of_range);
    {
        let (started, release) = (started.clone(), release.clone());
        r.get(
            "/slow",
            handler(move |c| {
                let (started, release) = (started.clone(), release.clone());
                Box::pin(async move {
                    started.notify_one();
                    release.notified().await;
                    c.string(StatusCode::OK, "slow and fine\n")
                })
            }),
        );
    }
    let server = start(r).await;
    let addr = server.addr;
    let slow = tokio::spawn(async move { get(addr, "/slow").await });
    tokio::time::timeout(Duration::from_secs(10), started.notified())
        .await
        .expect("the slow handler never started");
    // While /slow is in flight, many panics, concurrently.
    let mut panics = Vec::new();
    for _ in 0..20 {
        panics.push(tokio::spawn(async move { get(addr, "/panic").await }));
    }
    for p in panics {
        let reply = p.await.unwrap();
        assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    }
    release.notify_one();
    let reply = slow.await.unwrap();
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, "slow and fine\n");
}

/// Go bug (book appendix: Go bugs): the Go `/panic` handler passed a *value* (`names[100]`) as the
/// format string of `c.String`, so a value containing `%` verbs would be mangled. Here
/// `c.string` takes text, never a format: it is sent as is.
#[tokio::test]
async fn go_bug_day7_value_used_as_format_string() {
    let mut r = Engine::default();
    r.get("/name", async |c: &mut Context| {
        let names = ["50% off %s %d {}".to_owned()];
        c.string(StatusCode::OK, names[0].clone())
    });
    let server = start(r).await;
    assert_eq!(get(server.addr, "/name").await.body, "50% off %s %d {}");
}

#[test]
fn panic_messages_are_read_from_str_and_string_payloads() {
    use gee_web::middleware::recovery::panic_message;
    let as_str: Box<dyn std::any::Any + Send> = Box::new("static text");
    assert_eq!(panic_message(as_str.as_ref()), "static text");
    let as_string: Box<dyn std::any::Any + Send> = Box::new(String::from("formatted 1"));
    assert_eq!(panic_message(as_string.as_ref()), "formatted 1");
    let other: Box<dyn std::any::Any + Send> = Box::new(7_u8);
    assert_eq!(panic_message(other.as_ref()), "<non-string panic payload>");
}

/// A handler that panics with a message of its own, so its log lines can be told apart.
async fn panics_here(c: &mut Context) {
    if c.path() == "/boom" {
        panic!("boom, only here");
    }
}

/// Everything logged, for the test below.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .expect("the log buffer")
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The backtrace is logged once per panic location; the panics after it at the same place
/// log one line each, with a count (a client hammering a panicking URL used to write ~28 KB
/// of log per request).
#[tokio::test]
async fn the_backtrace_is_logged_once_per_location_then_a_count() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    // Global, so that no callsite's interest is cached without it; the lines are told apart
    // by this test's own panic message. Only this test sets a subscriber.
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
    let mut r = Engine::new();
    r.with(recovery());
    r.get("/boom", panics_here);
    let server = start(r).await;
    for _ in 0..3 {
        let reply = get(server.addr, "/boom").await;
        assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    }
    let log = String::from_utf8_lossy(&captured.0.lock().expect("the log buffer")).into_owned();
    let lines: Vec<&str> = log.lines().collect();
    let ours: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].contains("panic recovered: boom, only here"))
        .collect();
    assert_eq!(ours.len(), 3, "{log}");
    let with_trace = ours
        .iter()
        .filter(|&&i| lines.get(i + 1) == Some(&"Traceback:"))
        .count();
    assert_eq!(with_trace, 1, "{log}");
    assert!(lines[ours[1]].contains("(panic #2 there"), "{log}");
    assert!(lines[ours[2]].contains("(panic #3 there"), "{log}");
}
