//! Day 6 acceptance tests: askama templates through `c.html`, a custom filter, and static
//! files — content types, HEAD, ranges, conditional GETs, and every path-traversal trick.

mod support;

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use askama::Template;
use gee_web::{Context, Engine, Method, StatusCode};
use support::{get, raw_status, send, send_raw, start};

struct Student {
    name: &'static str,
    age: u32,
}

#[derive(Template)]
#[template(path = "arr.html")]
struct StudentsPage<'a> {
    title: &'a str,
    students: &'a [Student],
}

#[derive(Template)]
#[template(path = "custom_func.html")]
struct DatePage<'a> {
    title: &'a str,
    now: SystemTime,
}

/// A template whose filter fails, to see what a rendering error becomes.
#[derive(Template)]
#[template(source = "<p>{{ value|explode }}</p>", ext = "html")]
struct Exploding {
    value: u32,
}

mod filters {
    use std::time::SystemTime;

    #[askama::filter_fn]
    pub fn format_as_date(t: &SystemTime, _: &dyn askama::Values) -> askama::Result<String> {
        let (year, month, day) = gee_web::template::civil_date(*t);
        Ok(format!("{year}-{month:02}-{day:02}"))
    }

    #[askama::filter_fn]
    pub fn explode(_: &u32, _: &dyn askama::Values) -> askama::Result<String> {
        Err(askama::Error::Fmt)
    }
}

static STUDENTS: [Student; 2] = [
    Student {
        name: "Geektutu",
        age: 20,
    },
    Student {
        name: "<Jack>",
        age: 22,
    },
];

/// The crate's `static/` directory, whatever the current directory of the test is.
fn static_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("static")
}

fn day6_engine() -> Engine {
    let mut r = Engine::new();
    r.static_dir("/assets", static_root());
    r.get("/students", async |c: &mut Context| {
        let title = c.query("title");
        let page = StudentsPage {
            title: &title,
            students: &STUDENTS,
        };
        c.html(StatusCode::OK, page.render())
    });
    r.get("/date", async |c: &mut Context| {
        let now = UNIX_EPOCH + Duration::from_secs(18_125 * 86_400 + 3_600);
        c.html(StatusCode::OK, DatePage { title: "gee", now }.render())
    });
    r.get("/broken", async |c: &mut Context| {
        c.header("x-before", "set before the template failed");
        c.html(StatusCode::OK, Exploding { value: 1 }.render())
    });
    r
}

#[tokio::test]
async fn a_template_renders_a_loop_and_escapes_html() {
    let server = start(day6_engine()).await;
    let reply = get(server.addr, "/students?title=%3Cb%3Egee").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.headers["content-type"], "text/html; charset=utf-8");
    assert!(
        reply.body.contains("<p>hello, &#60;b&#62;gee</p>"),
        "{}",
        reply.body
    );
    assert!(
        reply.body.contains("<p>0: Geektutu is 20 years old</p>"),
        "{}",
        reply.body
    );
    assert!(
        reply
            .body
            .contains("<p>1: &#60;Jack&#62; is 22 years old</p>"),
        "{}",
        reply.body
    );
}

#[tokio::test]
async fn a_custom_filter_formats_the_date() {
    let server = start(day6_engine()).await;
    let reply = get(server.addr, "/date").await;
    assert!(
        reply.body.contains("<p>Date: 2019-08-17</p>"),
        "{}",
        reply.body
    );
}

/// Go bug (book appendix: Go bugs): Go's `HTML` wrote the status before executing the template, so a
/// template error appended an error to a half-written 200 page. Here: a clean 500.
#[tokio::test]
async fn go_bug_template_error_after_header_sent() {
    let server = start(day6_engine()).await;
    let reply = get(server.addr, "/broken").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(reply.body, r#"{"message":"Internal Server Error"}"#);
    assert!(!reply.body.contains("<p>"));
    assert!(
        !reply.headers.contains_key("x-before"),
        "nothing of the failed page leaks into the 500"
    );
}

#[tokio::test]
async fn static_files_have_their_content_type() {
    let server = start(day6_engine()).await;
    let css = get(server.addr, "/assets/css/geektutu.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.headers["content-type"], "text/css; charset=utf-8");
    assert!(css.body.contains("color: orange"));
    assert!(css.headers.contains_key("last-modified"));
    let txt = get(server.addr, "/assets/file1.txt").await;
    assert_eq!(txt.headers["content-type"], "text/plain; charset=utf-8");
    assert_eq!(
        txt.body,
        std::fs::read_to_string(static_root().join("file1.txt")).unwrap()
    );
    let head = send(server.addr, Method::HEAD, "/assets/file1.txt", &[], "").await;
    assert_eq!(head.status, StatusCode::OK);
    assert_eq!(head.body, "");
    assert_eq!(head.headers["content-length"], txt.body.len().to_string());
}

#[tokio::test]
async fn ranges_and_conditional_gets() {
    let server = start(day6_engine()).await;
    let full = std::fs::read_to_string(static_root().join("file1.txt")).unwrap();
    let part = send(
        server.addr,
        Method::GET,
        "/assets/file1.txt",
        &[("range", "bytes=5-8")],
        "",
    )
    .await;
    assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.body, full[5..=8]);
    assert_eq!(
        part.headers["content-range"],
        format!("bytes 5-8/{}", full.len())
    );
    let beyond = send(
        server.addr,
        Method::GET,
        "/assets/file1.txt",
        &[("range", "bytes=9999-")],
        "",
    )
    .await;
    assert_eq!(beyond.status, StatusCode::RANGE_NOT_SATISFIABLE);

    let first = get(server.addr, "/assets/file1.txt").await;
    let stamp = first.headers["last-modified"].to_str().unwrap().to_owned();
    let again = send(
        server.addr,
        Method::GET,
        "/assets/file1.txt",
        &[("if-modified-since", &stamp)],
        "",
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert_eq!(again.body, "");
    let old = "Mon, 01 Jan 2001 00:00:00 GMT";
    let stale = send(
        server.addr,
        Method::GET,
        "/assets/file1.txt",
        &[("if-modified-since", old)],
        "",
    )
    .await;
    assert_eq!(stale.status, StatusCode::OK);
}

/// Go bug (book appendix: Go bugs): a miss answered 404 with an empty body. Directories are not
/// listed either.
#[tokio::test]
async fn go_bug_static_miss_empty_body() {
    let server = start(day6_engine()).await;
    let miss = get(server.addr, "/assets/nope.css").await;
    assert_eq!(miss.status, StatusCode::NOT_FOUND);
    assert_eq!(miss.body, "404 NOT FOUND\n");
    assert_eq!(
        get(server.addr, "/assets/css").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(server.addr, "/assets/css/").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn path_traversal_never_leaves_the_root() {
    let server = start(day6_engine()).await;
    // Raw requests: a client library might normalise `..` away before sending.
    for path in [
        "/assets/../Cargo.toml",
        "/assets/css/../../Cargo.toml",
        "/assets/%2e%2e/Cargo.toml",
        "/assets/%2E%2E/%2e%2e/Cargo.toml",
        "/assets/..%2fCargo.toml",
        "/assets/css%2f..%2f..%2fCargo.toml",
        "/assets/..%5cCargo.toml",
        "/assets//etc/passwd",
        "/assets/%2fetc%2fpasswd",
        "/assets/file1.txt%00.css",
    ] {
        let raw = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        let reply = send_raw(server.addr, raw.as_bytes()).await;
        let status = raw_status(&reply);
        assert!(
            matches!(status, Some(400 | 403 | 404)),
            "{path} got {status:?}: {reply}"
        );
        assert!(!reply.contains("[package]"), "{path} leaked Cargo.toml");
        assert!(!reply.contains("root:"), "{path} leaked /etc/passwd");
    }
}

#[cfg(unix)]
#[tokio::test]
async fn symlinks_out_of_the_root_are_forbidden() {
    let base = std::env::temp_dir().join(format!("gee-web-day6-{}", std::process::id()));
    let root = base.join("root");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(base.join("secret.txt"), "top secret").unwrap();
    std::fs::write(root.join("ok.txt"), "fine").unwrap();
    let link = root.join("link.txt");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(base.join("secret.txt"), &link).unwrap();

    let mut r = Engine::new();
    r.static_dir("/files", &root);
    let server = start(r).await;
    assert_eq!(get(server.addr, "/files/ok.txt").await.body, "fine");
    let reply = get(server.addr, "/files/link.txt").await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(!reply.body.contains("secret"));
    let _ = std::fs::remove_dir_all(&base);
}
