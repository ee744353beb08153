//! Day 2 acceptance tests: many calls on one connection, replies matched by number, and a
//! dead connection failing every call clearly.

mod support;

use std::sync::Arc;

use gee_rpc::{Client, Error, Options, Reply, Request};
use support::{bounded, start_handler};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use tokio::sync::{Barrier, Notify};

#[tokio::test]
async fn fifty_calls_in_flight_on_one_connection_get_their_own_replies() {
    // The handler waits until all fifty are in flight at once, so they are truly concurrent.
    let barrier = Arc::new(Barrier::new(50));
    let addr = start_handler(move |request: Request| {
        let barrier = barrier.clone();
        async move {
            barrier.wait().await;
            let n: u64 = request.decode().map_err(|e| e.to_string())?;
            request.encode(&(n * 10)).map_err(|e| e.to_string())
        }
    })
    .await;
    let client = Client::dial(&addr.to_string(), Options::default())
        .await
        .unwrap();
    let calls: Vec<_> = (0..50u64)
        .map(|n| client.go::<_, u64>("Any.Thing", &n))
        .collect();
    for (n, call) in calls.into_iter().enumerate() {
        assert_eq!(bounded("reply", call).await.unwrap(), n as u64 * 10);
    }
    assert_eq!(client.pending_calls(), 0);
}

/// Book appendix: Go bugs. Go's `call.done()` sent into the caller's channel blocking-wise,
/// so a caller that did not read its channel stalled the reader for everyone.
#[tokio::test]
async fn go_bug_slow_caller_never_stalls_the_reader() {
    let addr = start_handler(|request: Request| async move {
        request
            .encode(&request.header.seq)
            .map_err(|e| e.to_string())
    })
    .await;
    let client = Client::dial(&addr.to_string(), Options::default())
        .await
        .unwrap();
    let ignored = client.go::<_, u64>("Any.Thing", &()); // never polled until the end
    bounded("100 other calls", async {
        for _ in 0..100 {
            let _: u64 = client.call("Any.Thing", &()).await.unwrap();
        }
    })
    .await;
    assert_eq!(ignored.await.unwrap(), 1);
}

/// Book appendix: Go bugs. Go built the client's error with `fmt.Errorf(h.Error)`, reading
/// the server's text as a format string.
#[tokio::test]
async fn go_bug_server_error_text_is_not_a_format_string() {
    let addr =
        start_handler(|_: Request| async { Err::<bytes::Bytes, _>("100% %d %s".to_string()) })
            .await;
    let client = Client::dial(&addr.to_string(), Options::default())
        .await
        .unwrap();
    match client.call::<_, u64>("Any.Thing", &()).await {
        Err(Error::Server(text)) => assert_eq!(text, "100% %d %s"),
        other => panic!("expected a server error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_reset_connection_fails_every_pending_call_and_later_ones() {
    // A "server" that reads the handshake and the calls, then hangs up.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let got_calls = Arc::new(Notify::new());
    let hang_up = got_calls.clone();
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut buf = vec![0; 4096];
        let _ = stream.read(&mut buf).await;
        hang_up.notified().await;
        drop(stream);
    });
    let client = Client::dial(&addr, Options::default()).await.unwrap();
    let calls: Vec<_> = (0..3)
        .map(|_| client.go::<_, u64>("Any.Thing", &()))
        .collect();
    got_calls.notify_one();
    for call in calls {
        assert!(matches!(
            bounded("failure", call).await,
            Err(Error::Shutdown(_))
        ));
    }
    assert!(!client.is_available());
    let later = client.call::<_, u64>("Any.Thing", &()).await;
    assert!(matches!(later, Err(Error::Shutdown(_))), "{later:?}");
}

#[tokio::test]
async fn close_fails_pending_calls_at_once() {
    let never = Arc::new(Notify::new());
    let addr = start_handler(move |_: Request| {
        let never = never.clone();
        async move {
            never.notified().await;
            Reply::Err("unreachable".into())
        }
    })
    .await;
    let client = Client::dial(&addr.to_string(), Options::default())
        .await
        .unwrap();
    let call = client.go::<_, u64>("Any.Thing", &());
    client.close();
    assert!(matches!(
        bounded("failure", call).await,
        Err(Error::Shutdown(_))
    ));
}

#[tokio::test]
async fn a_dropped_call_frees_its_slot() {
    let never = Arc::new(Notify::new());
    let addr = start_handler(move |_: Request| {
        let never = never.clone();
        async move {
            never.notified().await;
            Reply::Err("unreachable".into())
        }
    })
    .await;
    let client = Client::dial(&addr.to_string(), Options::default())
        .await
        .unwrap();
    let call = client.go::<_, u64>("Any.Thing", &());
    assert_eq!(client.pending_calls(), 1);
    drop(call);
    assert_eq!(client.pending_calls(), 0);
}
