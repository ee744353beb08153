//! Day 4 acceptance tests: groups add their prefix, nest, and share the engine's one router.

mod support;

use gee_web::{Context, Engine, Method, StatusCode};
use support::{get, send, start};

async fn where_am_i(c: &mut Context) {
    let body = format!("{} matched {}", c.path(), c.full_path().unwrap_or("-"));
    c.string(StatusCode::OK, body)
}

/// The Go `TestNestedGroup`: `/v1` then `/v2` then `/v3` nest into `/v1/v2/v3`. Go bug (book
/// appendix: Go bugs, issue #62): its failure message named the wrong prefix; here each
/// prefix is checked on its own line.
#[test]
fn go_bug_nested_group_test_message() {
    let mut r = Engine::new();
    let mut v1 = r.group("/v1");
    assert_eq!(v1.prefix(), "/v1");
    let mut v2 = v1.group("/v2");
    assert_eq!(v2.prefix(), "/v1/v2");
    let v3 = v2.group("/v3");
    assert_eq!(v3.prefix(), "/v1/v2/v3");
}

#[tokio::test]
async fn routes_in_groups_answer_under_their_prefix() {
    let mut r = Engine::new();
    r.get("/index", where_am_i);
    {
        let mut v1 = r.group("/v1");
        v1.get("/", where_am_i).get("/hello", where_am_i);
        let mut admin = v1.group("/admin");
        admin.get("/users/:id", where_am_i);
    }
    r.group("/v2").post("/login", where_am_i);
    let server = start(r).await;
    assert_eq!(
        get(server.addr, "/index").await.body,
        "/index matched /index"
    );
    assert_eq!(get(server.addr, "/v1/").await.body, "/v1/ matched /v1/");
    assert_eq!(
        get(server.addr, "/v1/hello").await.body,
        "/v1/hello matched /v1/hello"
    );
    assert_eq!(
        get(server.addr, "/v1/admin/users/7").await.body,
        "/v1/admin/users/7 matched /v1/admin/users/:id"
    );
    let login = send(server.addr, Method::POST, "/v2/login", &[], "").await;
    assert_eq!(login.body, "/v2/login matched /v2/login");
    // Only prefixed: `/hello` alone is not a route.
    assert_eq!(
        get(server.addr, "/hello").await.status,
        StatusCode::NOT_FOUND
    );
    // `GET /v1` finds the group's `/v1/` route through the trailing-slash redirect.
    let reply = get(server.addr, "/v1").await;
    assert_eq!(reply.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(reply.headers["location"], "/v1/");
}

#[tokio::test]
async fn groups_share_one_router_so_conflicts_are_seen_across_groups() {
    let mut r = Engine::new();
    r.group("/v1").get("/users/:id", where_am_i);
    let err = r
        .try_add_route(Method::GET, "/v1/users/:name", where_am_i)
        .err()
        .expect("same position, other name");
    assert!(err.to_string().contains("/v1/users/:id"), "{err}");
    assert_eq!(r.routes().len(), 1);
}

#[tokio::test]
async fn the_same_prefix_can_be_opened_twice() {
    let mut r = Engine::new();
    r.group("/api").get("/a", where_am_i);
    r.group("/api").get("/b", where_am_i);
    let server = start(r).await;
    assert_eq!(get(server.addr, "/api/a").await.status, StatusCode::OK);
    assert_eq!(get(server.addr, "/api/b").await.status, StatusCode::OK);
}

/// Go bug (book appendix: Go bugs): the day-4 comment claimed `/v2/hello/geektutu` answers "you're at
/// /hello/geektutu"; the path a handler sees is the full one, prefix included.
#[tokio::test]
async fn go_bug_day4_comment_shows_wrong_path() {
    let mut r = Engine::new();
    r.group("/v2").get("/hello/:name", async |c: &mut Context| {
        let body = format!("hello {}, you're at {}\n", c.param("name"), c.path());
        c.string(StatusCode::OK, body)
    });
    let server = start(r).await;
    assert_eq!(
        get(server.addr, "/v2/hello/geektutu").await.body,
        "hello geektutu, you're at /v2/hello/geektutu\n"
    );
}
