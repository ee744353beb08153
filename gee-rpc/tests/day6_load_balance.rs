//! Day 6 acceptance tests: select modes, broadcast, dead servers skipped, no lock held
//! across a dial.

mod support;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use gee_rpc::xclient::{MultiServersDiscovery, SelectMode, XClient};
use gee_rpc::{Options, Reply, Request};
use support::{bounded, start_handler};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// A server answering its own name, or an error for `Id.Fail`, or never for `Id.Hang`.
async fn named_server(name: &'static str, hang: Arc<Notify>) -> String {
    let addr = start_handler(move |request: Request| {
        let hang = hang.clone();
        async move {
            match request.header.service_method.as_str() {
                "Id.Fail" if name == "b" => Reply::Err(format!("{name} failed")),
                "Id.Fail" | "Id.Hang" => {
                    hang.notified().await;
                    Reply::Err("released".into())
                }
                _ => request.encode(name).map_err(|e| e.to_string()),
            }
        }
    })
    .await;
    format!("tcp@{addr}")
}

#[tokio::test]
async fn round_robin_alternates_and_random_reaches_both() {
    let hang = Arc::new(Notify::new());
    let servers = vec![
        named_server("a", hang.clone()).await,
        named_server("b", hang).await,
    ];
    let xc = XClient::new(
        MultiServersDiscovery::new(servers.clone()),
        SelectMode::RoundRobin,
        Options::default(),
    );
    let mut seen = Vec::new();
    for _ in 0..4 {
        let name: String = bounded("call", xc.call("Id.Name", &())).await.unwrap();
        seen.push(name);
    }
    assert_ne!(seen[0], seen[1]);
    assert_eq!(seen[0], seen[2]);
    assert_eq!(seen[1], seen[3]);
    let xc = XClient::new(
        MultiServersDiscovery::new(servers),
        SelectMode::Random,
        Options::default(),
    );
    let mut names = HashSet::new();
    for _ in 0..200 {
        names.insert(
            bounded("call", xc.call::<_, String>("Id.Name", &()))
                .await
                .unwrap(),
        );
    }
    assert_eq!(names.len(), 2);
}

#[tokio::test]
async fn a_dead_server_is_skipped_not_retried_forever() {
    let dead = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead_addr = format!("tcp@{}", dead.local_addr().unwrap());
    drop(dead); // nothing listens there now
    let live = named_server("a", Arc::new(Notify::new())).await;
    let xc = XClient::new(
        MultiServersDiscovery::new(vec![dead_addr.clone(), live]),
        SelectMode::RoundRobin,
        Options::default(),
    );
    for _ in 0..4 {
        let name: String = bounded("call", xc.call("Id.Name", &())).await.unwrap();
        assert_eq!(name, "a");
    }
    let only_dead = XClient::new(
        MultiServersDiscovery::new(vec![dead_addr]),
        SelectMode::Random,
        Options::default(),
    );
    assert!(
        bounded("call", only_dead.call::<_, String>("Id.Name", &()))
            .await
            .is_err()
    );
}

/// Book appendix: Go bugs. Go's `Broadcast` never called `cancel` when it succeeded, and on
/// the first error the others ran on. Here the first error returns at once and drops the
/// other calls, which leave their clients' tables.
#[tokio::test]
async fn go_bug_broadcast_first_error_cancels_the_rest() {
    let hang = Arc::new(Notify::new());
    let servers = vec![
        named_server("a", hang.clone()).await,
        named_server("b", hang.clone()).await,
    ];
    let xc = XClient::new(
        MultiServersDiscovery::new(servers),
        SelectMode::Random,
        Options::default(),
    );
    let name: String = bounded("broadcast", xc.broadcast("Id.Name", &()))
        .await
        .unwrap();
    assert!(name == "a" || name == "b");
    // "b" fails at once while "a" hangs: the error comes back, a's call is cancelled.
    let err = bounded("broadcast", xc.broadcast::<_, String>("Id.Fail", &()))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("b failed"), "{err}");
    assert_eq!(xc.pending_calls(), 0, "a cancelled call kept its slot");
    // A broadcast that times out cancels every call too.
    let late = xc
        .broadcast_timeout::<_, String>(Duration::from_millis(20), "Id.Hang", &())
        .await;
    assert!(late.is_err());
    assert_eq!(xc.pending_calls(), 0);
}

/// Book appendix: Go bugs. Go's `XClient.dial` held the client map's mutex while dialing,
/// so one server slow to answer stalled every call to every other server.
#[tokio::test]
async fn go_bug_dial_holds_the_lock_across_the_network() {
    // An "HTTP server" that accepts and never answers the CONNECT: dialing it hangs.
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_addr = format!("http@{}", silent.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut stream, _)) = silent.accept().await {
            let mut buf = [0; 64];
            let _ = stream.read(&mut buf).await;
            held.push(stream);
        }
    });
    let live = named_server("a", Arc::new(Notify::new())).await;
    // No connect timeout: the dial to the silent server waits forever.
    let opt = Options {
        connect_timeout: Duration::ZERO,
        ..Options::default()
    };
    let xc = Arc::new(XClient::new(
        MultiServersDiscovery::new(vec![silent_addr, live]),
        SelectMode::RoundRobin,
        opt,
    ));
    let stuck = {
        let xc = xc.clone();
        tokio::spawn(async move { xc.broadcast::<_, String>("Id.Name", &()).await })
    };
    tokio::task::yield_now().await;
    // Calls through the same XClient still reach the live server (round robin alternates,
    // and a call stuck on the silent one gives up after its own deadline).
    let name: String = bounded("a call while another dial hangs", async {
        loop {
            if let Ok(name) = xc
                .call_timeout::<_, String>(Duration::from_millis(500), "Id.Name", &())
                .await
            {
                break name;
            }
        }
    })
    .await;
    assert_eq!(name, "a");
    stuck.abort();
}
