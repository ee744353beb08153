//! Day 1 acceptance tests: the engine answers over a real socket, 404s what it does not
//! know, and shuts down without dropping requests in flight.

mod support;

use std::sync::Arc;
use std::time::Duration;

use gee_web::{Context, Engine, MapRoutes, Method, StatusCode, handler};
use support::{get, send, start};
use tokio::sync::Notify;

/// Day 1's engine keeps its routes in day 1's exact-match map.
fn day1_engine() -> Engine {
    let mut engine = Engine::with_routes(MapRoutes::new());
    engine.get("/", async |c: &mut Context| {
        let body = format!("URL.Path = {:?}\n", c.path());
        c.string(StatusCode::OK, body)
    });
    engine.get("/hello", async |c: &mut Context| {
        let greeting = c.get_header("x-name").unwrap_or("stranger").to_owned();
        c.string(StatusCode::OK, format!("hello {greeting}\n"))
    });
    engine.post("/login", async |c: &mut Context| {
        c.string(StatusCode::OK, "logged in\n")
    });
    engine
}

#[tokio::test]
async fn index_route_answers_with_the_path() {
    let server = start(day1_engine()).await;
    let reply = get(server.addr, "/").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, "URL.Path = \"/\"\n");
    assert_eq!(
        reply.headers["content-type"], "text/plain; charset=utf-8",
        "string() sets the content type"
    );
}

#[tokio::test]
async fn handler_sees_the_request_headers() {
    let server = start(day1_engine()).await;
    let reply = send(server.addr, Method::GET, "/hello", &[("x-name", "gee")], "").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, "hello gee\n");
}

/// The Go original wrote "404 NOT FOUND" in a body whose status stayed 200.
#[tokio::test]
async fn go_bug_unknown_route_status_stays_200_is_now_404() {
    let server = start(day1_engine()).await;
    let reply = get(server.addr, "/world").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.body, "404 NOT FOUND: /world\n");
}

#[tokio::test]
async fn routes_are_keyed_by_method_and_exact_path() {
    let server = start(day1_engine()).await;
    let post = send(server.addr, Method::POST, "/login", &[], "user=gee").await;
    assert_eq!(post.status, StatusCode::OK);
    assert_eq!(post.body, "logged in\n");
    // Same path, other method: not registered (day 3's trie answers 405 instead).
    let wrong_method = get(server.addr, "/login").await;
    assert_eq!(wrong_method.status, StatusCode::NOT_FOUND);
    // No prefix matching: `/hell` is not `/hello`.
    assert_eq!(
        get(server.addr, "/hell").await.status,
        StatusCode::NOT_FOUND
    );
}

/// Go's day-1 map silently replaced a route registered twice; here it is an error.
#[tokio::test]
async fn registering_the_same_route_twice_is_an_error() {
    let mut engine = day1_engine();
    let err = engine
        .try_add_route(Method::GET, "/", async |c: &mut Context| {
            c.string(StatusCode::OK, "second\n")
        })
        .err()
        .expect("a duplicate route must be rejected");
    assert!(err.to_string().contains("already registered"), "{err}");
    let server = start(engine).await;
    assert_eq!(get(server.addr, "/").await.body, "URL.Path = \"/\"\n");
}

#[tokio::test]
async fn many_concurrent_requests_are_all_answered() {
    let server = start(day1_engine()).await;
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let addr = server.addr;
        tasks.push(tokio::spawn(async move { get(addr, "/").await }));
    }
    for task in tasks {
        let reply = task.await.unwrap();
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.body, "URL.Path = \"/\"\n");
    }
}

#[tokio::test]
async fn graceful_shutdown_finishes_the_request_in_flight() {
    // A handler that tells us it started, then waits until we let it finish.
    let started = Arc::new(Notify::new());
    let release = Arc::new(Notify::new());
    let mut engine = Engine::new();
    {
        let (started, release) = (started.clone(), release.clone());
        engine.get(
            "/slow",
            handler(move |c| {
                let (started, release) = (started.clone(), release.clone());
                Box::pin(async move {
                    started.notify_one();
                    release.notified().await;
                    c.string(StatusCode::OK, "done\n")
                })
            }),
        );
    }
    let mut server = start(engine).await;
    let addr = server.addr;
    let in_flight = tokio::spawn(async move { get(addr, "/slow").await });
    tokio::time::timeout(Duration::from_secs(10), started.notified())
        .await
        .expect("the slow handler never started");

    // Ask for shutdown while the request is in flight.
    drop(server.stop.take());
    // New connections are refused once the listener is dropped; poll until that is so.
    let refused = async {
        while tokio::net::TcpStream::connect(addr).await.is_ok() {
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), refused)
        .await
        .expect("listener still accepting after shutdown");
    assert!(
        !server.task.is_finished(),
        "server must wait for the request in flight"
    );

    release.notify_one();
    let reply = in_flight.await.unwrap();
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, "done\n");
    let result = tokio::time::timeout(Duration::from_secs(10), server.task)
        .await
        .expect("server did not stop after its last request");
    result.unwrap().unwrap();
}

#[tokio::test]
async fn run_reports_an_address_that_cannot_be_bound() {
    let taken = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = taken.local_addr().unwrap();
    let err = Engine::new().run(addr).await.unwrap_err();
    assert!(matches!(err, gee_web::Error::Bind { .. }), "{err}");
    assert!(err.to_string().contains(&addr.to_string()), "{err}");
}
