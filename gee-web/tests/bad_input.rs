//! Bad input across all days, over raw sockets: oversized and slow bodies, slowloris
//! headers, malformed paths, absurdly long paths. The server answers 4xx (or hangs up) and
//! keeps serving; nothing panics.

mod support;

use std::time::Duration;

use gee_web::{Context, Engine, Limits, Method, StatusCode};
use support::{get, raw_status, send, send_raw, start};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

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
        ..Limits::default()
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

/// A `GET /` whose headers are `headers`, closing the connection after the answer.
fn get_with_headers(headers: &[(String, String)]) -> Vec<u8> {
    let mut raw = String::from("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n");
    for (name, value) in headers {
        raw.push_str(&format!("{name}: {value}\r\n"));
    }
    raw.push_str("\r\n");
    raw.into_bytes()
}

/// Sends `raw` while reading the answer at the same time: a server that answers before it
/// has read everything (and then closes) must not make the test fail on a broken pipe.
async fn send_while_reading(addr: std::net::SocketAddr, raw: Vec<u8>) -> String {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut read, mut write) = stream.into_split();
    let writer = tokio::spawn(async move {
        for chunk in raw.chunks(4096) {
            if write.write_all(chunk).await.is_err() {
                break;
            }
        }
        write
    });
    let mut reply = Vec::new();
    let mut buf = [0u8; 4096];
    let reading = async {
        // Keep what arrived even if the connection is then reset.
        while let Ok(n) = read.read(&mut buf).await {
            if n == 0 {
                break;
            }
            reply.extend_from_slice(&buf[..n]);
        }
    };
    tokio::time::timeout(Duration::from_secs(10), reading)
        .await
        .expect("the server neither answered nor closed");
    drop(writer.await);
    String::from_utf8_lossy(&reply).into_owned()
}

/// One header over `Limits::header_field_bytes` (8 KiB) is refused with 431, although the
/// whole head fits in hyper's buffer; one just under the limit is served.
#[tokio::test]
async fn a_single_header_over_8_kib_is_431() {
    let server = start(engine(Limits::default())).await;
    let fits = get_with_headers(&[("X-Big".into(), "v".repeat(8000))]);
    let reply = send_raw(server.addr, &fits).await;
    assert_eq!(raw_status(&reply), Some(200), "{reply}");
    let over = get_with_headers(&[("X-Big".into(), "v".repeat(9000))]);
    let reply = send_raw(server.addr, &over).await;
    assert_eq!(raw_status(&reply), Some(431), "{reply}");
    assert_eq!(get(server.addr, "/").await.body, "alive");
}

/// Headers over `Limits::header_bytes` (64 KiB) in total are refused with 431, each of them
/// under the single-header limit.
#[tokio::test]
async fn headers_over_64_kib_in_total_are_431() {
    let server = start(engine(Limits::default())).await;
    let many: Vec<(String, String)> = (0..12)
        .map(|i| (format!("X-Part-{i}"), "v".repeat(6000)))
        .collect();
    let reply = send_while_reading(server.addr, get_with_headers(&many)).await;
    assert_eq!(raw_status(&reply), Some(431), "{reply}");
    assert_eq!(get(server.addr, "/").await.body, "alive");
}

/// A single 300 KB header is refused with 431 once hyper's bounded buffer is full, while
/// the client is still sending it: the server never holds it whole (it answered 200 when
/// hyper's default buffer of about 400 KB took it in).
#[tokio::test]
async fn a_300_kb_header_is_431_before_it_is_read_whole() {
    let server = start(engine(Limits::default())).await;
    let huge = get_with_headers(&[("X-Huge".into(), "v".repeat(300_000))]);
    let reply = send_while_reading(server.addr, huge).await;
    assert_eq!(raw_status(&reply), Some(431), "{reply}");
    assert_eq!(get(server.addr, "/").await.body, "alive");
}
