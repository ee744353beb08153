//! Day 1 acceptance tests: the accept loop serves many clients at once, limits how many,
//! and shuts down gracefully — with the echo handler over a raw `TcpStream`.

use std::sync::Arc;
use std::time::Duration;

use go_redis::echo::EchoHandler;
use go_redis::server::{ServerOptions, serve};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

async fn start_echo(
    options: ServerOptions,
) -> (
    std::net::SocketAddr,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<Result<(), go_redis::Error>>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
    let addr = listener.local_addr().expect("local addr");
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(
        listener,
        Arc::new(EchoHandler),
        options,
        async move {
            let _ = stopped.await;
        },
    ));
    (addr, stop, task)
}

async fn echo_line(stream: &mut BufReader<TcpStream>, line: &str) -> String {
    stream
        .get_mut()
        .write_all(line.as_bytes())
        .await
        .expect("write");
    let mut reply = String::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_line(&mut reply))
        .await
        .expect("echo within 10 s")
        .expect("read");
    reply
}

#[tokio::test]
async fn echoes_every_line_back() {
    let (addr, _stop, _task) = start_echo(ServerOptions::default()).await;
    let mut conn = BufReader::new(TcpStream::connect(addr).await.unwrap());
    assert_eq!(echo_line(&mut conn, "hello\n").await, "hello\n");
    assert_eq!(
        echo_line(&mut conn, "second line\r\n").await,
        "second line\r\n"
    );
}

#[tokio::test]
async fn serves_many_clients_concurrently() {
    let (addr, _stop, _task) = start_echo(ServerOptions::default()).await;
    let mut tasks = Vec::new();
    for i in 0..50 {
        tasks.push(tokio::spawn(async move {
            let mut conn = BufReader::new(TcpStream::connect(addr).await.unwrap());
            echo_line(&mut conn, &format!("client {i}\n")).await
        }));
    }
    for (i, task) in tasks.into_iter().enumerate() {
        assert_eq!(task.await.unwrap(), format!("client {i}\n"));
    }
}

#[tokio::test]
async fn connection_limit_makes_the_next_client_wait_for_a_free_slot() {
    let options = ServerOptions {
        max_connections: 1,
        ..ServerOptions::default()
    };
    let (addr, _stop, _task) = start_echo(options).await;
    let mut first = BufReader::new(TcpStream::connect(addr).await.unwrap());
    assert_eq!(echo_line(&mut first, "one\n").await, "one\n");

    // The second client connects (the kernel's backlog accepts it) but is not served...
    let mut second = BufReader::new(TcpStream::connect(addr).await.unwrap());
    second.get_mut().write_all(b"two\n").await.unwrap();
    let mut reply = String::new();
    let early =
        tokio::time::timeout(Duration::from_millis(300), second.read_line(&mut reply)).await;
    assert!(early.is_err(), "served beyond the limit: {reply:?}");

    // ... until the first leaves.
    drop(first);
    tokio::time::timeout(Duration::from_secs(10), second.read_line(&mut reply))
        .await
        .expect("served once a slot was free")
        .unwrap();
    assert_eq!(reply, "two\n");
}

#[tokio::test]
async fn graceful_shutdown_stops_accepting_and_closes_connections() {
    let (addr, stop, task) = start_echo(ServerOptions::default()).await;
    let mut conn = BufReader::new(TcpStream::connect(addr).await.unwrap());
    assert_eq!(echo_line(&mut conn, "before\n").await, "before\n");

    stop.send(()).unwrap();
    let result = tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("server stopped in time");
    result.unwrap().unwrap();
    // The open connection was told to finish: it reads EOF.
    let mut rest = String::new();
    let n = conn.read_line(&mut rest).await.unwrap_or(0);
    assert_eq!(n, 0, "connection still open after shutdown: {rest:?}");
    // And nobody listens any more.
    assert!(TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn shutdown_wait_is_bounded_by_the_grace_period() {
    // A handler that never finishes: shutdown must still return after the grace period.
    struct Stuck;
    impl go_redis::server::Handler for Stuck {
        async fn handle(&self, _stream: TcpStream, _shutdown: tokio_util::sync::CancellationToken) {
            std::future::pending::<()>().await;
        }
    }
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let options = ServerOptions {
        shutdown_grace: Duration::from_millis(100),
        ..ServerOptions::default()
    };
    let task = tokio::spawn(serve(listener, Arc::new(Stuck), options, async move {
        let _ = stopped.await;
    }));
    let _conn = TcpStream::connect(addr).await.unwrap();
    // Make sure the connection was accepted before asking to stop.
    common::wait_for_port(addr, Duration::from_secs(5)).unwrap();
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("shutdown gave up on the stuck handler")
        .unwrap()
        .unwrap();
}
