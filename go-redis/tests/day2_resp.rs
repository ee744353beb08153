//! Day 2 acceptance tests: RESP over a real socket — multibulk and inline requests,
//! pipelining, protocol errors worded as Redis words them, and bad clients that cannot hurt
//! good ones.

mod support;

use std::sync::Arc;

use go_redis::connection::{PingExecutor, RespHandler};
use go_redis::resp::Frame;
use go_redis::server::{ServerOptions, serve};
use support::{bulk, exchange, is_closed, read_frames, simple};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

async fn start_ping() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
    let addr = listener.local_addr().expect("local addr");
    let handler = Arc::new(RespHandler::new(Arc::new(PingExecutor)));
    tokio::spawn(serve(
        listener,
        handler,
        ServerOptions::default(),
        std::future::pending(),
    ));
    addr
}

#[tokio::test]
async fn multibulk_and_inline_requests() {
    let addr = start_ping().await;
    let mut conn = TcpStream::connect(addr).await.unwrap();
    assert_eq!(
        exchange(&mut conn, b"*1\r\n$4\r\nPING\r\n", 1).await,
        vec![simple("PONG")]
    );
    assert_eq!(
        exchange(&mut conn, b"PING\r\n", 1).await,
        vec![simple("PONG")]
    );
    assert_eq!(
        exchange(&mut conn, b"echo \"hello world\"\n", 1).await,
        vec![bulk("hello world")]
    );
    assert_eq!(
        exchange(&mut conn, b"*2\r\n$4\r\nECHO\r\n$4\r\na\r\nb\r\n", 1).await,
        vec![bulk("a\r\nb")],
        "bulk strings are binary safe"
    );
}

#[tokio::test]
async fn pipelined_requests_are_all_answered_in_order() {
    let addr = start_ping().await;
    let mut conn = TcpStream::connect(addr).await.unwrap();
    let mut batch = Vec::new();
    for i in 0..100 {
        batch.extend_from_slice(&Frame::command(["ECHO", &i.to_string()]).to_bytes());
    }
    batch.extend_from_slice(b"PING\r\n");
    let replies = exchange(&mut conn, &batch, 101).await;
    assert_eq!(replies.len(), 101);
    for (i, reply) in replies.iter().take(100).enumerate() {
        assert_eq!(reply, &bulk(&i.to_string()));
    }
    assert_eq!(replies[100], simple("PONG"));
}

#[tokio::test]
async fn a_request_split_across_writes_is_reassembled() {
    let addr = start_ping().await;
    let mut conn = TcpStream::connect(addr).await.unwrap();
    let request = Frame::command(["ECHO", "split"]).to_bytes();
    for byte in request.iter() {
        conn.write_all(&[*byte]).await.unwrap();
        conn.flush().await.unwrap();
    }
    assert_eq!(read_frames(&mut conn, 1).await, vec![bulk("split")]);
}

async fn protocol_error(input: &[u8]) -> (Vec<Frame>, bool) {
    let addr = start_ping().await;
    let mut conn = TcpStream::connect(addr).await.expect("connect");
    let replies = exchange(&mut conn, input, 1).await;
    let closed = is_closed(&mut conn).await;
    (replies, closed)
}

#[tokio::test]
async fn invalid_multibulk_length_is_answered_then_closed() {
    for input in [&b"*3000000000\r\n"[..], b"*abc\r\n", b"*2000000\r\n"] {
        let (replies, closed) = protocol_error(input).await;
        assert_eq!(
            replies,
            vec![Frame::Error(
                "ERR Protocol error: invalid multibulk length".into()
            )]
        );
        assert!(closed);
    }
}

#[tokio::test]
async fn invalid_bulk_length_is_answered_then_closed() {
    for input in [
        &b"*1\r\n$2000000000\r\n"[..],
        b"*1\r\n$-1\r\n",
        b"*1\r\n$x\r\n",
    ] {
        let (replies, closed) = protocol_error(input).await;
        assert_eq!(
            replies,
            vec![Frame::Error(
                "ERR Protocol error: invalid bulk length".into()
            )]
        );
        assert!(closed);
    }
}

#[tokio::test]
async fn unbalanced_quotes_are_answered_then_closed() {
    let (replies, closed) = protocol_error(b"echo \"unterminated\r\n").await;
    assert_eq!(
        replies,
        vec![Frame::Error(
            "ERR Protocol error: unbalanced quotes in request".into()
        )]
    );
    assert!(closed);
}

#[tokio::test]
async fn non_bulk_element_in_multibulk_is_answered_then_closed() {
    let (replies, closed) = protocol_error(b"*1\r\n:5\r\n").await;
    assert_eq!(
        replies,
        vec![Frame::Error(
            "ERR Protocol error: expected '$', got ':'".into()
        )]
    );
    assert!(closed);
}

#[tokio::test]
async fn replies_before_a_protocol_error_are_still_sent() {
    let (replies, closed) = protocol_error(b"PING\r\n*1\r\n$-7\r\n").await;
    assert_eq!(
        replies,
        vec![
            simple("PONG"),
            Frame::Error("ERR Protocol error: invalid bulk length".into())
        ]
    );
    assert!(closed);
}

#[tokio::test]
async fn too_big_inline_request_is_rejected() {
    let (replies, closed) = protocol_error(&vec![b'a'; 70 * 1024]).await;
    assert_eq!(
        replies,
        vec![Frame::Error(
            "ERR Protocol error: too big inline request".into()
        )]
    );
    assert!(closed);
}

#[tokio::test]
async fn garbage_from_one_client_never_affects_another() {
    let addr = start_ping().await;
    let mut good = TcpStream::connect(addr).await.unwrap();
    assert_eq!(
        exchange(&mut good, b"PING\r\n", 1).await,
        vec![simple("PONG")]
    );
    for garbage in [
        &b"*-5x\r\n"[..],
        b"*1\r\n$1\r\n",
        b"\x00\xff\xfe\r\n",
        b"*1\r\n$9999999999\r\n",
    ] {
        let mut bad = TcpStream::connect(addr).await.unwrap();
        bad.write_all(garbage).await.unwrap();
        drop(bad);
    }
    assert_eq!(
        exchange(&mut good, b"PING\r\n", 1).await,
        vec![simple("PONG")]
    );
}

#[tokio::test]
async fn a_partial_500mb_bulk_header_allocates_nothing_up_front() {
    let addr = start_ping().await;
    let mut bad = TcpStream::connect(addr).await.unwrap();
    // Announce 500 MB, send 1 MB of it, and stall. The server must neither reserve 500 MB nor
    // stop serving others; we check the second part directly and the first through RSS.
    let rss_before = resident_kb();
    bad.write_all(b"*2\r\n$4\r\nECHO\r\n$500000000\r\n")
        .await
        .unwrap();
    bad.write_all(&vec![b'x'; 1024 * 1024]).await.unwrap();
    let mut good = TcpStream::connect(addr).await.unwrap();
    assert_eq!(
        exchange(&mut good, b"PING\r\n", 1).await,
        vec![simple("PONG")]
    );
    let grown = resident_kb().saturating_sub(rss_before);
    assert!(grown < 100 * 1024, "resident memory grew by {grown} KB");
}

fn resident_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}
