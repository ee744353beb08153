//! Day 5 acceptance tests: CONNECT (Go's bare-LF way too), the debug page, 405, x_dial.

mod support;

use std::net::SocketAddr;

use bytes::BytesMut;
use gee_rpc::codec::CodecType;
use gee_rpc::http::{HttpServer, dial_http, x_dial};
use gee_rpc::{Error, Options, Server};
use support::{Args, Raw, bounded, foo_services};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UnixListener};

async fn start_http() -> SocketAddr {
    let services = foo_services();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("test setup");
    let addr = listener.local_addr().expect("test setup");
    let http = HttpServer::new(Server::new(services.clone()), services);
    tokio::spawn(async move { http.serve(listener).await });
    addr
}

async fn http_get(addr: SocketAddr, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.expect("test setup");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("test setup");
    let mut response = String::new();
    bounded("response", stream.read_to_string(&mut response))
        .await
        .expect("test setup");
    response
}

#[tokio::test]
async fn dial_http_calls_and_the_debug_page_counts_them() {
    let addr = start_http().await;
    let client = dial_http(&addr.to_string(), Options::default())
        .await
        .unwrap();
    for i in 0..3 {
        let sum: i64 = bounded("call", client.call("Foo.Sum", &Args { num1: i, num2: 1 }))
            .await
            .unwrap();
        assert_eq!(sum, i + 1);
    }
    let page = http_get(addr, "GET /debug/geerpc HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(page.starts_with("HTTP/1.1 200 OK"), "{page}");
    assert!(page.contains("Service Foo"), "{page}");
    assert!(page.contains("<td align=center>3</td>"), "{page}");
    assert!(page.contains("Sum(") && page.contains("Args"), "{page}");
}

/// Book appendix: Go bugs. Go's client writes `CONNECT /_geeprc_ HTTP/1.0\n\n` with bare
/// line feeds (Go's parser tolerates them, a strict one would not) and the `/_geeprc_` typo,
/// and may send the Option right behind it: all of it must work.
#[tokio::test]
async fn go_bug_connect_uses_bare_line_feeds_and_the_typo_path() {
    let addr = start_http().await;
    let mut raw = Raw::connect(addr, CodecType::Json).await;
    let mut bytes = BytesMut::from(&b"CONNECT /_geeprc_ HTTP/1.0\n\n"[..]);
    let rest = raw.handshake_and_requests("Foo.Sum", &[Args { num1: 20, num2: 22 }]);
    bytes.extend_from_slice(&rest);
    raw.send(&bytes).await;
    let line = bounded("status", raw.inbound.read_line(1024))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&line[..], b"HTTP/1.0 200 Connected to Gee RPC");
    let blank = raw.inbound.read_line(1024).await.unwrap().unwrap();
    assert!(blank.is_empty());
    let (header, body) = bounded("reply", raw.reply()).await.unwrap();
    assert_eq!(header.error, "");
    assert_eq!(CodecType::Json.decode::<i64>(&body).unwrap(), 42);
}

#[tokio::test]
async fn anything_but_connect_on_the_rpc_path_is_405() {
    let addr = start_http().await;
    let response = http_get(addr, "GET /_geeprc_ HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(response.starts_with("HTTP/1.1 405"), "{response}");
    assert!(response.ends_with("405 must CONNECT\n"), "{response}");
    let response = http_get(addr, "GET /nowhere HTTP/1.1\r\n\r\n").await;
    assert!(response.starts_with("HTTP/1.1 404"), "{response}");
}

#[tokio::test]
async fn x_dial_speaks_http_tcp_and_unix() {
    let http_addr = start_http().await;
    let services = foo_services();
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let tcp_addr = tcp.local_addr().unwrap();
    let server = Server::new(services);
    let s = server.clone();
    tokio::spawn(async move { s.accept(tcp).await });
    let dir = std::env::temp_dir().join(format!("gee-rpc-xdial-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let sock = dir.join("rpc.sock");
    let _ = std::fs::remove_file(&sock);
    let unix = UnixListener::bind(&sock).unwrap();
    tokio::spawn(async move { server.accept_unix(unix).await });
    for spec in [
        format!("http@{http_addr}"),
        format!("tcp@{tcp_addr}"),
        format!("unix@{}", sock.display()),
    ] {
        let client = bounded("dial", x_dial(&spec, Options::default()))
            .await
            .unwrap();
        let sum: i64 = bounded("call", client.call("Foo.Sum", &Args { num1: 1, num2: 2 }))
            .await
            .unwrap();
        assert_eq!(sum, 3, "{spec}");
    }
    let _ = std::fs::remove_dir_all(&dir);
    let bad = x_dial("127.0.0.1:1", Options::default()).await.unwrap_err();
    assert!(
        matches!(bad, Error::Discovery(ref m) if m.contains("expect protocol@addr")),
        "{bad}"
    );
}

#[tokio::test]
async fn a_server_that_is_not_geerpc_fails_the_http_dial() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut buf = [0; 256];
        let _ = stream.read(&mut buf).await;
        let _ = stream
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            .await;
    });
    let err = bounded("dial", dial_http(&addr.to_string(), Options::default()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Handshake(_)), "{err}");
}
