//! Day 3 acceptance tests: the HTTP pool serves a group over a real socket, decodes paths
//! correctly (Go's QueryEscape bug), and answers bad requests with a status, never a panic.

mod support;

use std::time::Duration;

use gee_cache::Protocol;
use gee_cache::http::{GETTER_ERROR_HEADER, key_path, parse_path};
use hyper::{Method, StatusCode};
use support::{Node, SlowDb, get, listener, send, start_pool};

async fn scores_node() -> (Node, SlowDb) {
    let (listener, url) = listener().await;
    let node = start_pool(listener, &url, Protocol::Gee, Duration::from_secs(2));
    let db = SlowDb::default();
    node.registry.new_group("scores", 2 << 10, db.getter());
    (node, db)
}

#[tokio::test]
async fn a_key_is_served_as_raw_bytes() {
    let (node, db) = scores_node().await;
    let reply = get(node.addr, "/_geecache/scores/Tom").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.text(), "630");
    assert_eq!(reply.headers["content-type"], "application/octet-stream");
    get(node.addr, "/_geecache/scores/Tom").await;
    assert_eq!(db.loads_of("Tom"), 1, "the second request is a cache hit");
}

#[tokio::test]
async fn a_getter_error_is_a_500_with_its_text() {
    let (node, _db) = scores_node().await;
    let reply = get(node.addr, "/_geecache/scores/kkk").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(reply.text(), "kkk not exist");
    assert_eq!(reply.headers[GETTER_ERROR_HEADER], "getter");
}

#[tokio::test]
async fn an_unknown_group_is_a_404() {
    let (node, _db) = scores_node().await;
    let reply = get(node.addr, "/_geecache/nobody/Tom").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.text(), "no such group: nobody\n");
}

/// Go's client escaped with `url.QueryEscape` (space → `+`) while the server read the
/// decoded path, where `+` stays `+`: key "a b" reached the getter as "a+b".
#[tokio::test]
async fn go_bug_query_escape_plus_in_key() {
    let (listener, url) = listener().await;
    let node = start_pool(listener, &url, Protocol::Gee, Duration::from_secs(2));
    node.registry.new_group("echo", 1 << 20, |key: &str| {
        Ok::<_, String>(format!("<{key}>"))
    });
    for key in ["a b", "a+b", "a%20b", "ä/ö?#&=", "100%", "x y+z"] {
        let path = key_path(Protocol::Gee, "echo", key);
        let reply = get(node.addr, &path).await;
        assert_eq!(reply.status, StatusCode::OK, "{key:?} via {path}");
        assert_eq!(reply.text(), format!("<{key}>"), "{key:?} via {path}");
    }
    assert_eq!(
        key_path(Protocol::Gee, "echo", "a b+c"),
        "/_geecache/echo/a%20b%2Bc"
    );
    // A literal `+` in the path is a plus, as in Go's server (not a space as in a query).
    assert_eq!(get(node.addr, "/_geecache/echo/a+b").await.text(), "<a+b>");
}

#[tokio::test]
async fn go_bug_group_with_slash_splits_wrongly() {
    let (listener, url) = listener().await;
    let node = start_pool(listener, &url, Protocol::Gee, Duration::from_secs(2));
    node.registry
        .new_group("a/b", 1 << 20, |key: &str| Ok::<_, String>(key.to_owned()));
    let path = key_path(Protocol::Gee, "a/b", "x/y/z");
    assert_eq!(path, "/_geecache/a%2Fb/x%2Fy%2Fz");
    assert_eq!(get(node.addr, &path).await.text(), "x/y/z");
    // An unencoded slash in the key is part of the key too (SplitN(2) in Go).
    assert_eq!(
        parse_path("/_geecache/", "/_geecache/g/x/y"),
        Some(("g".into(), "x/y".into()))
    );
}

/// Go's ServeHTTP panicked on a path outside its prefix (net/http then dropped the connection).
#[tokio::test]
async fn go_bug_serve_http_panics_on_unexpected_path() {
    let (node, _db) = scores_node().await;
    for path in [
        "/",
        "/other",
        "/_geecache",
        "/_geecache/",
        "/_geecache/scores",
        "/_geecache//Tom",
        "/_geecache/scores/%FF",
    ] {
        let reply = get(node.addr, path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
    }
    // The server is still fine.
    assert_eq!(get(node.addr, "/_geecache/scores/Sam").await.text(), "567");
}

#[tokio::test]
async fn go_bug_empty_key_is_500_now_400() {
    let (node, _db) = scores_node().await;
    let reply = get(node.addr, "/_geecache/scores/").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.text(), "key is required");
}

#[tokio::test]
async fn go_bug_every_method_accepted_now_405() {
    let (node, db) = scores_node().await;
    for method in [Method::POST, Method::PUT, Method::DELETE] {
        let reply = send(node.addr, method.clone(), "/_geecache/scores/Tom", &[]).await;
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
        assert_eq!(reply.headers["allow"], "GET");
    }
    assert_eq!(db.total_loads(), 0);
}

#[tokio::test]
async fn an_oversized_key_is_refused() {
    let (node, db) = scores_node().await;
    let key = "k".repeat(gee_cache::MAX_KEY_LEN + 1);
    let reply = get(node.addr, &format!("/_geecache/scores/{key}")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply.text().contains("exceeds the limit"),
        "{}",
        reply.text()
    );
    assert_eq!(db.total_loads(), 0);
}

#[tokio::test]
async fn the_server_counts_requests() {
    let (node, _db) = scores_node().await;
    get(node.addr, "/_geecache/scores/Tom").await;
    get(node.addr, "/_geecache/scores/Tom").await;
    let group = node.registry.get("scores").unwrap();
    assert_eq!(group.stats().server_requests, 2);
    assert_eq!(group.stats().cache_hits, 1);
}
