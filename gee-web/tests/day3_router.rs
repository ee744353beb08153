//! Day 3 acceptance tests: the trie router over real sockets — parameters, catch-alls,
//! priorities, conflicts, 404/405 and the trailing-slash redirect — and a regression test
//! for each bug of the Go router (each listed in the book appendix: Go bugs).

mod support;

use gee_web::{Context, Engine, Method, StatusCode, json};
use support::{get, send, start};

/// Answers with the matched pattern and the parameters it captured, as JSON.
async fn echo(c: &mut Context) {
    let body = json!({
        "route": c.full_path(),
        "name": c.param("name"),
        "id": c.param("id"),
        "filepath": c.param("filepath"),
    });
    c.json(StatusCode::OK, &body)
}

/// The routes of the Go `router_test.go`.
fn go_test_engine() -> Engine {
    let mut r = Engine::new();
    for pattern in [
        "/",
        "/hello/:name",
        "/hello/b/c",
        "/hi/:name",
        "/assets/*filepath",
    ] {
        r.get(pattern, echo);
    }
    r
}

async fn json_of(addr: std::net::SocketAddr, path: &str) -> serde_json::Value {
    let reply = get(addr, path).await;
    assert_eq!(reply.status, StatusCode::OK, "GET {path}: {}", reply.body);
    serde_json::from_str(&reply.body).expect("a JSON body")
}

#[tokio::test]
async fn a_param_takes_one_segment() {
    let server = start(go_test_engine()).await;
    let v = json_of(server.addr, "/hello/geektutu").await;
    assert_eq!(v["route"], "/hello/:name");
    assert_eq!(v["name"], "geektutu");
    assert_eq!(v["id"], "", "a parameter the route lacks is empty");
    assert_eq!(
        get(server.addr, "/hello/geektutu/more").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_catch_all_takes_the_rest_of_the_path() {
    let server = start(go_test_engine()).await;
    let v = json_of(server.addr, "/assets/file1.txt").await;
    assert_eq!(v["filepath"], "file1.txt");
    let v = json_of(server.addr, "/assets/css/test.css").await;
    assert_eq!(v["filepath"], "css/test.css");
    // Like the Go version, the catch-all needs at least one byte.
    assert_eq!(
        get(server.addr, "/assets/").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(server.addr, "/assets").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn parameters_are_percent_decoded() {
    let server = start(go_test_engine()).await;
    let v = json_of(server.addr, "/hello/gee%20tu%E4%BD%A0").await;
    assert_eq!(v["name"], "gee tu你");
    let v = json_of(server.addr, "/assets/a%2Fb/c").await;
    assert_eq!(
        v["filepath"], "a/b/c",
        "an encoded slash is data, not a separator"
    );
}

#[tokio::test]
async fn the_example_routes_answer_like_go() {
    let mut r = Engine::new();
    r.get("/hello/:name", async |c: &mut Context| {
        let body = format!("hello {}, you're at {}\n", c.param("name"), c.path());
        c.string(StatusCode::OK, body)
    });
    let server = start(r).await;
    let reply = get(server.addr, "/hello/geektutu").await;
    assert_eq!(reply.body, "hello geektutu, you're at /hello/geektutu\n");
}

#[tokio::test]
async fn wrong_method_is_405_with_allow() {
    let mut r = go_test_engine();
    r.post("/hello/:name", echo);
    let server = start(r).await;
    let reply = send(server.addr, Method::DELETE, "/hello/x", &[], "").await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.headers["allow"], "GET, HEAD, POST");
    // HEAD is answered by the GET route, without a body.
    let head = send(server.addr, Method::HEAD, "/hello/x", &[], "").await;
    assert_eq!(head.status, StatusCode::OK);
    assert_eq!(head.body, "");
    // A path no method knows stays 404.
    let reply = send(server.addr, Method::DELETE, "/nowhere", &[], "").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn trailing_slash_redirects_to_the_registered_form() {
    let mut r = Engine::new();
    r.get("/v1/", echo).get("/users", echo).post("/form/", echo);
    let server = start(r).await;
    let reply = get(server.addr, "/v1?x=1").await;
    assert_eq!(reply.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(reply.headers["location"], "/v1/?x=1");
    let reply = get(server.addr, "/users/").await;
    assert_eq!(reply.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(reply.headers["location"], "/users");
    // Other methods get 308, which keeps the method and the body.
    let reply = send(server.addr, Method::POST, "/form", &[], "a=1").await;
    assert_eq!(reply.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(reply.headers["location"], "/form/");
    // The registered forms themselves answer directly.
    assert_eq!(get(server.addr, "/v1/").await.status, StatusCode::OK);
}

#[tokio::test]
async fn conflicting_registrations_are_rejected_with_both_routes_named() {
    let mut r = Engine::new();
    r.get("/a/:x", echo);
    let err = r.try_add_route(Method::GET, "/a/:y", echo).err().unwrap();
    let text = err.to_string();
    assert!(
        text.contains("/a/:y") && text.contains("/a/:x"),
        "names both routes: {text}"
    );
    r.get("/files/*path", echo);
    let err = r
        .try_add_route(Method::GET, "/files/*other", echo)
        .err()
        .unwrap();
    assert!(err.to_string().contains("catch-all"), "{err}");
    // The same pattern under another method is fine.
    r.post("/a/:x", echo);
    // Malformed patterns.
    for bad in [
        "no-slash", "/a//b", "/a/:", "/a/*", "/a/*x/b", "/a:b", "/:id/:id",
    ] {
        assert!(
            r.try_add_route(Method::GET, bad, echo).is_err(),
            "{bad} must be rejected"
        );
    }
    // Nothing half-registered: the first routes still work.
    let server = start(r).await;
    let v = json_of(server.addr, "/a/1").await;
    assert_eq!(v["route"], "/a/:x");
}

#[test]
#[should_panic(expected = "conflicts with")]
fn add_route_panics_on_a_conflict_like_gin() {
    let mut r = Engine::new();
    r.get("/a/:x", echo).get("/a/:y", echo);
}

/// Go bug (book appendix: Go bugs, issue #64): `/hello/b/c` registered after `/hello/:id` was
/// hung under `:id`, so `/hello/21/c` matched `/hello/b/c`.
#[tokio::test]
async fn go_bug_trie_static_after_param_matches_wrong_route() {
    let mut r = Engine::new();
    r.get("/hello/:id", echo).get("/hello/b/c", echo);
    let server = start(r).await;
    assert_eq!(
        get(server.addr, "/hello/21/c").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        json_of(server.addr, "/hello/b/c").await["route"],
        "/hello/b/c"
    );
    let v = json_of(server.addr, "/hello/21").await;
    assert_eq!(
        (v["route"].as_str(), v["id"].as_str()),
        (Some("/hello/:id"), Some("21"))
    );
    // `/hello/b` is not a route of its own: the parameter takes it (backtracking).
    assert_eq!(json_of(server.addr, "/hello/b").await["id"], "b");
}

/// Go bug (book appendix: Go bugs): `/about` after `/:name` overwrote the `:name` node's pattern,
/// so `/foo` ran the /about handler.
#[tokio::test]
async fn go_bug_trie_static_overwrites_param_pattern() {
    let mut r = Engine::new();
    r.get("/:name", echo).get("/about", echo);
    let server = start(r).await;
    let v = json_of(server.addr, "/foo").await;
    assert_eq!(
        (v["route"].as_str(), v["name"].as_str()),
        (Some("/:name"), Some("foo"))
    );
    assert_eq!(json_of(server.addr, "/about").await["route"], "/about");
}

/// Go bug (book appendix: Go bugs): `/hello/:id` after `/hello/:name` silently replaced it.
#[test]
fn go_bug_trie_param_rename_silently_replaces() {
    let mut r = Engine::new();
    r.get("/hello/:name", echo);
    assert!(r.try_add_route(Method::GET, "/hello/:id", echo).is_err());
    assert_eq!(r.routes(), [(Method::GET, "/hello/:name".to_owned())]);
}

/// Go bug (book appendix: Go bugs): `/assets/css/x` hung under `*filepath` was never reached.
#[tokio::test]
async fn go_bug_trie_route_under_catch_all_unreachable() {
    let mut r = Engine::new();
    r.get("/assets/*filepath", echo).get("/assets/css/x", echo);
    let server = start(r).await;
    assert_eq!(
        json_of(server.addr, "/assets/css/x").await["route"],
        "/assets/css/x"
    );
    assert_eq!(
        json_of(server.addr, "/assets/css/y").await["filepath"],
        "css/y"
    );
}

/// Go bug (book appendix: Go bugs): whether static or param won depended on registration order.
#[tokio::test]
async fn go_bug_search_order_depends_on_registration_order() {
    for order in [["/u/:id", "/u/me"], ["/u/me", "/u/:id"]] {
        let mut r = Engine::new();
        r.get(order[0], echo).get(order[1], echo);
        let server = start(r).await;
        assert_eq!(
            json_of(server.addr, "/u/me").await["route"],
            "/u/me",
            "{order:?}"
        );
        assert_eq!(
            json_of(server.addr, "/u/7").await["route"],
            "/u/:id",
            "{order:?}"
        );
    }
}

/// Go bug (book appendix: Go bugs): `parsePattern` truncated after a `*` segment (`/a/*x/b` became
/// `/a/*x`), accepted a bare `*` that captured nothing, and ignored trailing slashes.
#[tokio::test]
async fn go_bug_parse_pattern_truncates_after_catch_all() {
    let mut r = Engine::new();
    let err = r.try_add_route(Method::GET, "/a/*x/b", echo).err().unwrap();
    assert!(err.to_string().contains("last segment"), "{err}");
    let err = r.try_add_route(Method::GET, "/a/*", echo).err().unwrap();
    assert!(err.to_string().contains("without a name"), "{err}");
    assert!(r.routes().is_empty());
}

/// Go bug (book appendix: Go bugs): the Go code also ran `parsePattern` on the *request* path, so a
/// literal `*` in a URL cut it short. Request paths are data: `*x/y` is just a value here.
#[tokio::test]
async fn go_bug_parse_pattern_applied_to_request_path() {
    let server = start(go_test_engine()).await;
    let v = json_of(server.addr, "/assets/*x/y").await;
    assert_eq!(v["filepath"], "*x/y");
    let v = json_of(server.addr, "/hello/:name").await;
    assert_eq!(v["name"], ":name");
}

/// Go bug (book appendix: Go bugs): trailing slashes were ignored, so `/a` and `/a/` were one route.
/// Now they are two paths, and the missing form redirects to the registered one.
#[tokio::test]
async fn go_bug_trailing_slash_ignored() {
    let mut r = Engine::new();
    r.get("/a", echo).get("/a/", async |c: &mut Context| {
        c.string(StatusCode::OK, "with slash")
    });
    let server = start(r).await;
    assert_eq!(json_of(server.addr, "/a").await["route"], "/a");
    assert_eq!(get(server.addr, "/a/").await.body, "with slash");
}

/// Go bug (book appendix: Go bugs): `TestGetRoutes` said 4 routes but checked 5. There are 5.
#[test]
fn go_bug_get_routes_message_counts_five() {
    let r = go_test_engine();
    let mut routes: Vec<String> = r.routes().into_iter().map(|(_, p)| p).collect();
    routes.sort();
    assert_eq!(
        routes,
        [
            "/",
            "/assets/*filepath",
            "/hello/:name",
            "/hello/b/c",
            "/hi/:name"
        ]
    );
}
