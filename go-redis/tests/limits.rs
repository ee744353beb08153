//! Limits and faults handled as Redis handles them: `maxclients`, the limits on clients that
//! have not authenticated (Redis's fix for CVE-2021-32675), shutdown with clients that are
//! blocked or never read, `client-output-buffer-limit normal`, and CONFIG SET of what
//! go-redis does not act on yet.

mod support;

use std::time::Duration;

use go_redis::Config;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use support::{exchange, is_closed, simple, start_with};

/// Reads until `expected.len()` bytes came (or EOF / 10 s) and compares.
async fn expect_bytes(stream: &mut TcpStream, expected: &str) {
    let mut got = Vec::new();
    let mut chunk = [0u8; 1024];
    while got.len() < expected.len() {
        match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => got.extend_from_slice(&chunk[..n]),
            _ => break,
        }
    }
    assert_eq!(String::from_utf8_lossy(&got), expected);
}

async fn ping(stream: &mut TcpStream) {
    let reply = exchange(stream, b"PING\r\n", 1).await;
    assert_eq!(reply, vec![simple("PONG")]);
}

#[tokio::test]
async fn past_maxclients_a_client_is_answered_and_closed() {
    let config = Config {
        maxclients: 2,
        ..Config::default()
    };
    let server = start_with(config).await;
    let mut a = TcpStream::connect(server.addr).await.unwrap();
    let mut b = TcpStream::connect(server.addr).await.unwrap();
    ping(&mut a).await;
    ping(&mut b).await;
    let mut c = TcpStream::connect(server.addr).await.unwrap();
    expect_bytes(&mut c, "-ERR max number of clients reached\r\n").await;
    assert!(is_closed(&mut c).await);
    // CONFIG SET maxclients takes effect for the next client at once.
    let reply = exchange(&mut a, b"CONFIG SET maxclients 3\r\n", 1).await;
    assert_eq!(reply, vec![simple("OK")]);
    let mut d = TcpStream::connect(server.addr).await.unwrap();
    ping(&mut d).await;
    // A client that leaves frees its slot.
    drop(b);
    let mut e = loop {
        let mut e = TcpStream::connect(server.addr).await.unwrap();
        e.write_all(b"PING\r\n").await.unwrap();
        let mut buf = [0u8; 7];
        if e.read_exact(&mut buf).await.is_ok() && &buf == b"+PONG\r\n" {
            break e;
        }
        // `b`'s close may not have been seen yet: the refusal was sent; try again.
        tokio::task::yield_now().await;
    };
    ping(&mut e).await;
}

#[tokio::test]
async fn unauthenticated_clients_get_tight_protocol_limits() {
    let config = Config {
        requirepass: Some("secret".into()),
        ..Config::default()
    };
    let server = start_with(config).await;
    let mut many = TcpStream::connect(server.addr).await.unwrap();
    many.write_all(b"*11\r\n").await.unwrap();
    expect_bytes(
        &mut many,
        "-ERR Protocol error: unauthenticated multibulk length\r\n",
    )
    .await;
    assert!(is_closed(&mut many).await);
    let mut big = TcpStream::connect(server.addr).await.unwrap();
    big.write_all(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$16385\r\n")
        .await
        .unwrap();
    expect_bytes(
        &mut big,
        "-ERR Protocol error: unauthenticated bulk length\r\n",
    )
    .await;
    assert!(is_closed(&mut big).await);
    // Within the limits, an unauthenticated client is told to authenticate, as before.
    let mut small = TcpStream::connect(server.addr).await.unwrap();
    expect_bytes_after(
        &mut small,
        b"GET k\r\n",
        "-NOAUTH Authentication required.\r\n",
    )
    .await;
    // After AUTH the ordinary limits apply.
    expect_bytes_after(&mut small, b"AUTH secret\r\n", "+OK\r\n").await;
    let value = "x".repeat(100_000);
    let request = format!("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000\r\n{value}\r\nSTRLEN k\r\n");
    expect_bytes_after(&mut small, request.as_bytes(), "+OK\r\n:100000\r\n").await;
}

async fn expect_bytes_after(stream: &mut TcpStream, request: &[u8], expected: &str) {
    stream.write_all(request).await.expect("write the request");
    expect_bytes(stream, expected).await;
}

#[tokio::test]
async fn shutdown_does_not_wait_for_blocked_or_non_reading_clients() {
    // The grace period is an hour: only closing those clients at once lets the server end.
    let config = Config {
        shutdown_timeout: 3600,
        ..Config::default()
    };
    let mut server = start_with(config).await;
    let mut setup = TcpStream::connect(server.addr).await.unwrap();
    let value = "v".repeat(512 * 1024);
    let set = format!(
        "*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n${}\r\n{value}\r\n",
        value.len()
    );
    expect_bytes_after(&mut setup, set.as_bytes(), "+OK\r\n").await;
    // One client asks for ~100 MB of replies and never reads them.
    let mut deaf = TcpStream::connect(server.addr).await.unwrap();
    deaf.write_all(&b"GET big\r\n".repeat(200)).await.unwrap();
    // Another waits forever in BLPOP.
    let mut blocked = TcpStream::connect(server.addr).await.unwrap();
    blocked.write_all(b"BLPOP queue 0\r\n").await.unwrap();
    loop {
        let info = exchange(&mut setup, b"INFO clients\r\n", 1).await;
        if format!("{info:?}").contains("blocked_clients:1") {
            break;
        }
    }
    if let Some(stop) = server.stop.take() {
        let _ = stop.send(());
    }
    let finished = tokio::time::timeout(Duration::from_secs(60), &mut server.task).await;
    assert!(
        matches!(finished, Ok(Ok(Ok(())))),
        "the server must end without waiting out its grace period: {finished:?}"
    );
    assert!(is_closed(&mut blocked).await);
    drop(deaf);
}

#[tokio::test]
async fn client_output_buffer_limit_normal_cuts_a_client_off() {
    let mut config = Config::default();
    config
        .set("client-output-buffer-limit", "normal 100kb 0 0")
        .unwrap();
    let server = start_with(config).await;
    let mut c = TcpStream::connect(server.addr).await.unwrap();
    let value = "v".repeat(200 * 1024);
    let set = format!(
        "*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n${}\r\n{value}\r\n",
        value.len()
    );
    expect_bytes_after(&mut c, set.as_bytes(), "+OK\r\n").await;
    expect_bytes_after(&mut c, b"STRLEN big\r\n", ":204800\r\n").await;
    // A 200 KB reply passes the 100 KB hard limit: the client is disconnected, unanswered.
    c.write_all(b"GET big\r\n").await.unwrap();
    assert!(is_closed(&mut c).await);
    // Others are not affected, and CONFIG GET shows the limit in Redis's form.
    let mut other = TcpStream::connect(server.addr).await.unwrap();
    expect_bytes_after(
        &mut other,
        b"CONFIG GET client-output-buffer-limit\r\n",
        "*2\r\n$26\r\nclient-output-buffer-limit\r\n$72\r\nnormal 102400 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60\r\n",
    )
    .await;
}

/// `client-output-buffer-limit normal 0 <soft> <seconds>`: a client that leaves more than
/// the soft limit of replies unread for longer than the seconds is disconnected; one that
/// reads its replies is not. CONFIG SET takes the limit in Redis's syntax and CONFIG GET
/// shows it in Redis's form.
#[tokio::test]
async fn client_output_buffer_soft_limit_disconnects_a_client_that_stays_over_it() {
    let server = start_with(Config::default()).await;
    let mut admin = TcpStream::connect(server.addr).await.unwrap();
    expect_bytes_after(
        &mut admin,
        b"CONFIG SET client-output-buffer-limit \"normal 0 100kb 1\"\r\n",
        "+OK\r\n",
    )
    .await;
    expect_bytes_after(
        &mut admin,
        b"CONFIG GET client-output-buffer-limit\r\n",
        "*2\r\n$26\r\nclient-output-buffer-limit\r\n$72\r\nnormal 0 102400 1 slave 268435456 67108864 60 pubsub 33554432 8388608 60\r\n",
    )
    .await;
    let value = "v".repeat(4 << 20);
    let set = format!(
        "*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n${}\r\n{value}\r\n",
        value.len()
    );
    expect_bytes_after(&mut admin, set.as_bytes(), "+OK\r\n").await;
    // A client that reads gets its 4 MB reply whole, soft limit or not.
    let mut reader = TcpStream::connect(server.addr).await.unwrap();
    reader.write_all(b"GET big\r\n").await.unwrap();
    let reply = support::read_frames(&mut reader, 1).await;
    assert_eq!(reply, vec![support::bulk(&value)]);
    // A client with a small receive window asks for 16 MB of replies and reads nothing.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut deaf = socket.connect(server.addr).await.unwrap();
    deaf.write_all(b"CLIENT SETNAME deaf\r\n").await.unwrap();
    deaf.write_all(&b"GET big\r\n".repeat(4)).await.unwrap();
    // The server closes it (CLIENT LIST stops showing it) without it reading a byte.
    let give_up = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let list = exchange(&mut admin, b"CLIENT LIST\r\n", 1).await;
        if !format!("{list:?}").contains("name=deaf") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < give_up,
            "the client over the soft limit is still connected"
        );
        tokio::task::yield_now().await;
    }
    // What it can still read is a part of the replies, then the end of the stream.
    let mut got = 0usize;
    let mut chunk = vec![0u8; 1 << 16];
    loop {
        match tokio::time::timeout(Duration::from_secs(10), deaf.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => got += n,
            Err(_) => panic!("the disconnected client's socket stayed open"),
        }
    }
    assert!(got < 4 * value.len(), "read {got} bytes");
    expect_bytes_after(&mut reader, b"PING\r\n", "+PONG\r\n").await;
}

#[tokio::test]
async fn config_set_checks_persistence_settings_as_redis_does() {
    let server = start_with(Config::default()).await;
    let mut c = TcpStream::connect(server.addr).await.unwrap();
    // Day 5 made `dir`, `dbfilename`, `save` and `appendonly` real (tests/rdb.rs and
    // tests/day5_persistence.rs cover them); nothing is refused for not being built.
    for request in ["CONFIG SET dbfilename a/b.rdb\r\n"] {
        let name = request.split_whitespace().nth(2).unwrap_or_default();
        expect_bytes_after(
            &mut c,
            request.as_bytes(),
            &format!("-ERR CONFIG SET failed (possibly related to argument '{name}') - dbfilename can't be a path, just a filename\r\n"),
        )
        .await;
    }
    // Day 5's AOF settings are accepted, checked, and some are fixed at start as in Redis.
    expect_bytes_after(&mut c, b"CONFIG SET appendfsync always\r\n", "+OK\r\n").await;
    expect_bytes_after(
        &mut c,
        b"CONFIG SET appendfsync sometimes\r\n",
        "-ERR CONFIG SET failed (possibly related to argument 'appendfsync') - invalid value 'sometimes' for 'appendfsync'\r\n",
    )
    .await;
    expect_bytes_after(
        &mut c,
        b"CONFIG SET appendfilename x.aof\r\n",
        "-ERR CONFIG SET failed (possibly related to argument 'appendfilename') - can't set immutable config\r\n",
    )
    .await;
    // What is true can be set: no AOF, no snapshots.
    expect_bytes_after(&mut c, b"CONFIG SET appendonly no save \"\"\r\n", "+OK\r\n").await;
    let info = exchange(&mut c, b"INFO persistence\r\n", 1).await;
    assert!(format!("{info:?}").contains("aof_enabled:0"), "{info:?}");
}
