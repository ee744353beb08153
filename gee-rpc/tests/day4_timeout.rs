//! Day 4 acceptance tests: connect, call and handle timeouts, and what they leave behind
//! (nothing).

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use gee_rpc::timeout::connect_within;
use gee_rpc::{Client, Error, Options, Request};
use support::{Args, bounded, start_foo, start_handler};
use tokio::sync::Notify;

/// Sets its flag when dropped: proof that a future was cancelled, not leaked.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Book appendix: Go bugs. Go's `dialTimeout` left its goroutine blocked on an unbuffered
/// channel after a timeout, and a client made late leaked with its reader. Here the
/// connect future is dropped: whatever it held goes with it.
#[tokio::test]
async fn go_bug_connect_timeout_leaks_the_late_client() {
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = DropFlag(dropped.clone());
    let slow_connect = async move {
        let _flag = flag;
        tokio::time::sleep(Duration::from_secs(3600)).await;
        Ok(())
    };
    let result = connect_within(Duration::from_millis(20), slow_connect).await;
    assert!(
        matches!(
            result,
            Err(Error::Timeout {
                what: "connect",
                ..
            })
        ),
        "{result:?}"
    );
    assert!(
        dropped.load(Ordering::SeqCst),
        "the connect future was not dropped"
    );
    // Zero means no limit.
    assert!(
        connect_within(Duration::ZERO, async { Ok(()) })
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn dial_timeout_connects_within_the_option() {
    let (addr, _) = start_foo().await;
    let opt = Options {
        connect_timeout: Duration::from_secs(5),
        ..Options::default()
    };
    let client = Client::dial_timeout(&addr.to_string(), opt).await.unwrap();
    let sum: i64 = client
        .call("Foo.Sum", &Args { num1: 1, num2: 2 })
        .await
        .unwrap();
    assert_eq!(sum, 3);
}

/// Book appendix: Go bugs. A call that timed out on the client left the server's late reply
/// to be read "into nil"; here it frees its slot at once and the late reply is discarded
/// without disturbing the calls after it.
#[tokio::test]
async fn go_bug_call_timeout_late_reply_is_discarded() {
    let release = Arc::new(Notify::new());
    let gate = release.clone();
    let addr = start_handler(move |request: Request| {
        let gate = gate.clone();
        async move {
            if request.header.service_method == "Slow.Call" {
                gate.notified().await;
            }
            request
                .encode(&request.header.seq)
                .map_err(|e| e.to_string())
        }
    })
    .await;
    let client = Client::dial(&addr.to_string(), Options::default())
        .await
        .unwrap();
    let late = client
        .call_timeout::<_, u64>(Duration::from_millis(20), "Slow.Call", &())
        .await;
    assert!(
        matches!(late, Err(Error::Timeout { what: "call", .. })),
        "{late:?}"
    );
    assert_eq!(
        client.pending_calls(),
        0,
        "the timed-out call kept its slot"
    );
    release.notify_one(); // the late reply now arrives, for nobody
    for _ in 0..10 {
        let fast = client.go::<_, u64>("Fast.Call", &());
        let seq = fast.seq();
        assert_eq!(bounded("call", fast).await.unwrap(), seq);
    }
    assert!(client.is_available());
}

/// Book appendix: Go bugs. Go's handle timeout left the handler goroutine running and then
/// blocked forever on an unbuffered channel (one leak per timed-out request). Here the
/// handler's future is dropped: it stops, and exactly one reply is sent.
#[tokio::test]
async fn go_bug_handle_timeout_leaks_the_handler() {
    let dropped = Arc::new(AtomicBool::new(false));
    let seen = dropped.clone();
    let addr = start_handler(move |request: Request| {
        let flag = DropFlag(seen.clone());
        async move {
            if request.header.service_method == "Slow.Call" {
                let _flag = flag;
                std::future::pending::<()>().await;
            }
            request.encode(&1u64).map_err(|e| e.to_string())
        }
    })
    .await;
    let opt = Options {
        handle_timeout: Duration::from_millis(20),
        ..Options::default()
    };
    let client = Client::dial(&addr.to_string(), opt).await.unwrap();
    match bounded("call", client.call::<_, u64>("Slow.Call", &())).await {
        Err(Error::Server(text)) => assert!(text.contains("request handle timeout"), "{text}"),
        other => panic!("expected a handle timeout, got {other:?}"),
    }
    assert!(
        dropped.load(Ordering::SeqCst),
        "the handler future is still alive"
    );
    let fast: u64 = bounded("call", client.call("Fast.Call", &()))
        .await
        .unwrap();
    assert_eq!(fast, 1);
}

#[tokio::test]
async fn a_call_within_its_deadline_succeeds() {
    let addr =
        start_handler(
            |request: Request| async move { request.encode(&5u8).map_err(|e| e.to_string()) },
        )
        .await;
    let client = Client::dial(&addr.to_string(), Options::default())
        .await
        .unwrap();
    let five: u8 = client
        .call_timeout(Duration::from_secs(10), "Any.Thing", &())
        .await
        .unwrap();
    assert_eq!(five, 5);
}
