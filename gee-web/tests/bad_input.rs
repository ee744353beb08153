//! Bad input across all days, over raw sockets: oversized and slow bodies, slowloris
//! headers, malformed paths, absurdly long paths. The server answers 4xx (or hangs up) and
//! keeps serving; nothing panics.

mod support;

use std::time::Duration;

use gee_web::{Context, Engine, Limits, Method, StatusCode};
use support::{get, raw_status, send, send_raw, start};

async fn echo_len(c: &mut Context) {
    let len = c.body().len().to_string();
    c.string(StatusCode::OK, len)
}

fn engine(limits: Limits) -> Engine {
    let mut r = Engine::new();
    r.set_limits(limits);
    r.post("/upload", echo_len);
    r.get("/", async |c: &mut Context| {
        c.string(StatusCode::OK, "alive")
    });
    r.get("/:a/:b/:c/end", echo_len);
    r.get("/files/*rest", async |c: &mut Context| {
        let n = c.param("rest").len().to_string();
        c.string(StatusCode::OK, n)
    });
    r
}

fn small_limits() -> Limits {
    Limits {
        body_bytes: 1024,
        header_read_timeout: Duration::from_millis(300),
        body_read_timeout: Duration::from_millis(300),
    }
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let server = start(engine(small_limits())).await;
    let ok = send(server.addr, Method::POST, "/upload", &[], &"x".repeat(1024)).await;
    assert_eq!((ok.status, ok.body.as_str()), (StatusCode::OK, "1024"));
    // Declared too large: refused before reading.
    let big = send(server.addr, Method::POST, "/upload", &[], &"x".repeat(5000)).await;
    assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE);
    // Chunked, no length declared: refused once the limit is crossed.
    let chunk = format!("{:x}\r\n{}\r\n", 800, "y".repeat(800));
    let raw = format!(
        "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{chunk}{chunk}0\r\n\r\n"
    );
    let reply = send_raw(server.addr, raw.as_bytes()).await;
    assert_eq!(raw_status(&reply), Some(413), "{reply}");
    assert_eq!(get(server.addr, "/").await.body, "alive");
}

#[tokio::test]
async fn a_body_that_never_arrives_is_408() {
    let server = start(engine(small_limits())).await;
    let raw = "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly ten b";
    let reply = send_raw(server.addr, raw.as_bytes()).await;
    assert_eq!(raw_status(&reply), Some(408), "{reply}");
}

#[tokio::test]
async fn slowloris_headers_are_cut_off() {
    let server = start(engine(small_limits())).await;
    // Headers that never finish: the server must hang up (send_raw fails the test after 10 s).
    let reply = send_raw(server.addr, b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ").await;
    assert!(
        reply.is_empty() || raw_status(&reply) == Some(408),
        "unexpected reply: {reply}"
    );
    assert_eq!(get(server.addr, "/").await.body, "alive");
}

#[tokio::test]
async fn malformed_percent_encoding_is_400() {
    let server = start(engine(Limits::default())).await;
    for path in [
        "/a%zz/b/c/end",
        "/%ff/b/c/end",
        "/%C3%28/b/c/end",
        "/files/%",
        "/files/a%2",
    ] {
        let reply = get(server.addr, path).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{path}");
    }
    // Well-formed encodings are fine.
    assert_eq!(get(server.addr, "/files/%E4%BD%A0").await.body, "3");
}

#[tokio::test]
async fn raw_invalid_bytes_in_the_request_line_are_rejected() {
    let server = start(engine(Limits::default())).await;
    for raw in [
        &b"GET /\xff\xfe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"[..],
        b"GET no-slash HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"\x00\x01\x02 garbage\r\n\r\n",
    ] {
        let reply = send_raw(server.addr, raw).await;
        let status = raw_status(&reply);
        assert!(
            reply.is_empty() || matches!(status, Some(400..=499)),
            "{status:?}: {reply}"
        );
    }
    assert_eq!(get(server.addr, "/").await.body, "alive");
}

#[tokio::test]
async fn huge_numbers_of_path_segments_are_harmless() {
    let server = start(engine(Limits::default())).await;
    let deep = "/a".repeat(20_000);
    assert_eq!(get(server.addr, &deep).await.status, StatusCode::NOT_FOUND);
    let deep_slashes = "/".repeat(30_000);
    assert_eq!(
        get(server.addr, &deep_slashes).await.status,
        StatusCode::NOT_FOUND
    );
    let under_catch_all = format!("/files{deep}");
    let reply = get(server.addr, &under_catch_all).await;
    assert_eq!(reply.body, (deep.len() - 1).to_string());
    assert_eq!(get(server.addr, "/").await.body, "alive");
}

#[tokio::test]
async fn too_many_headers_are_refused_not_fatal() {
    let server = start(engine(Limits::default())).await;
    let mut raw = String::from("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n");
    for i in 0..500 {
        raw.push_str(&format!("X-H{i}: v\r\n"));
    }
    raw.push_str("\r\n");
    let reply = send_raw(server.addr, raw.as_bytes()).await;
    let status = raw_status(&reply);
    assert!(
        reply.is_empty() || matches!(status, Some(400..=499)),
        "{status:?}"
    );
    assert_eq!(get(server.addr, "/").await.body, "alive");
}
