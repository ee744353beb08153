//! Day 7 acceptance tests: the registry's HTTP protocol, heartbeats that survive a registry
//! outage, a discovery that keeps its list, and the whole scenario twenty times in a row.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use gee_rpc::registry::{DEFAULT_PATH, Registry, advertise, heartbeat, send_heartbeat};
use gee_rpc::xclient::{Discovery, RegistryDiscovery, SelectMode, XClient};
use gee_rpc::{Options, Server};
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::rt::TokioExecutor;
use support::{Args, bounded, foo_services, start_server};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

async fn start_registry_on(listener: TcpListener) -> (String, JoinHandle<gee_rpc::Result<()>>) {
    let url = format!(
        "http://{}{DEFAULT_PATH}",
        listener.local_addr().expect("test setup")
    );
    let task = tokio::spawn(Registry::new(Duration::from_secs(60)).serve(listener));
    (url, task)
}

async fn start_registry() -> (String, JoinHandle<gee_rpc::Result<()>>) {
    start_registry_on(TcpListener::bind("127.0.0.1:0").await.expect("test setup")).await
}

async fn request(method: &str, url: &str, header: Option<(&str, &str)>) -> (u16, Option<String>) {
    let client = HttpClient::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let mut builder = http::Request::builder().method(method).uri(url);
    if let Some((k, v)) = header {
        builder = builder.header(k, v);
    }
    let response = bounded(
        "registry",
        client.request(builder.body(Empty::new()).expect("test setup")),
    )
    .await
    .expect("test setup");
    let status = response.status().as_u16();
    let list = response
        .headers()
        .get("X-Geerpc-Servers")
        .map(|v| v.to_str().expect("test setup").to_string());
    let _ = response.into_body().collect().await;
    (status, list)
}

#[tokio::test]
async fn the_registry_speaks_gos_protocol() {
    let (url, _task) = start_registry().await;
    assert_eq!(
        request("POST", &url, Some(("X-Geerpc-Server", "tcp@b:2")))
            .await
            .0,
        200
    );
    assert_eq!(
        request("POST", &url, Some(("X-Geerpc-Server", "tcp@a:1")))
            .await
            .0,
        200
    );
    assert_eq!(
        request("GET", &url, None).await,
        (200, Some("tcp@a:1,tcp@b:2".to_string()))
    );
    assert_eq!(
        request("POST", &url, None).await.0,
        500,
        "a missing header is a 500"
    );
    assert_eq!(request("DELETE", &url, None).await.0, 405);
}

/// Book appendix: Go bugs. Go's `sendHeartbeat` took any status as success (and never
/// closed the body).
#[tokio::test]
async fn go_bug_heartbeat_treats_an_error_status_as_success() {
    let (url, _task) = start_registry().await;
    let wrong_path = url.replace(DEFAULT_PATH, "/elsewhere");
    assert!(
        send_heartbeat(&wrong_path, "tcp@a:1").await.is_err(),
        "a 404 is not a heartbeat"
    );
    assert!(send_heartbeat(&url, "tcp@a:1").await.is_ok());
}

/// Book appendix: Go bugs. Go's heartbeat loop stopped for good at its first error, so a
/// registry that was down for a moment silently lost the server. Here the heartbeat starts
/// while nothing listens, and the server is listed once the registry comes up.
#[tokio::test]
async fn go_bug_heartbeat_stops_after_the_first_error() {
    let port = common::free_port().unwrap();
    let url = format!("http://127.0.0.1:{port}{DEFAULT_PATH}");
    let beat = heartbeat(&url, "tcp@127.0.0.1:4000", Duration::from_millis(200)).await;
    let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let (_, _task) = start_registry_on(listener).await;
    bounded("the retried heartbeat", async {
        loop {
            if request("GET", &url, None).await.1.as_deref() == Some("tcp@127.0.0.1:4000") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    beat.abort();
}

/// Book appendix: Go bugs. Go's `Refresh` held the discovery's lock during the GET and a
/// failed refresh failed the call even with a list in hand. Here the last list is kept.
#[tokio::test]
async fn go_bug_refresh_error_fails_the_call_with_a_list_in_hand() {
    let (url, task) = start_registry().await;
    let (addr, _) = start_foo_server().await;
    send_heartbeat(&url, &addr).await.unwrap();
    let discovery = RegistryDiscovery::new(&url, Duration::from_millis(1));
    assert_eq!(discovery.get_all().await.unwrap(), vec![addr.clone()]);
    task.abort(); // the registry goes away
    let _ = task.await;
    tokio::time::sleep(Duration::from_millis(5)).await; // let the cached list go stale
    assert_eq!(
        bounded("get", discovery.get(SelectMode::Random))
            .await
            .unwrap(),
        addr
    );
    // With no list at all, the error is reported.
    let empty = RegistryDiscovery::new(&url, Duration::from_millis(1));
    assert!(bounded("get", empty.get(SelectMode::Random)).await.is_err());
}

async fn start_foo_server() -> (String, SocketAddr) {
    let addr = start_server(Server::new(foo_services())).await;
    (format!("tcp@{addr}"), addr)
}

/// The day-7 example's scenario, twenty times in a row: registry, two servers, calls and
/// broadcasts through a registry discovery. The Go original hung in most runs.
#[tokio::test]
async fn the_registry_scenario_runs_twenty_times_without_a_hang() {
    bounded("twenty scenarios", async {
        for round in 0..20 {
            let (url, registry) = start_registry().await;
            let mut beats = Vec::new();
            for _ in 0..2 {
                let (addr, _) = start_foo_server().await;
                beats.push(heartbeat(&url, &addr, Duration::from_secs(10)).await);
            }
            let discovery = RegistryDiscovery::new(&url, Duration::ZERO);
            let xc = XClient::new(discovery, SelectMode::RoundRobin, Options::default());
            for i in 0..5 {
                let args = Args {
                    num1: i,
                    num2: i * i,
                };
                let sum: i64 = xc.call("Foo.Sum", &args).await.unwrap();
                assert_eq!(sum, i + i * i, "round {round}");
                let sum: i64 = xc.broadcast("Foo.Sum", &args).await.unwrap();
                assert_eq!(sum, i + i * i, "round {round}");
            }
            let slow = Args {
                num1: 10_000,
                num2: 0,
            };
            let late = xc
                .broadcast_timeout::<_, i64>(Duration::from_millis(10), "Foo.Sleep", &slow)
                .await;
            assert!(late.is_err(), "round {round}");
            assert_eq!(xc.discovery().get_all().await.unwrap().len(), 2);
            xc.close();
            for beat in beats {
                beat.abort();
            }
            registry.abort();
        }
    })
    .await;
}

/// Book appendix: Go bugs. Go's ticker was never stopped: a heartbeat ran as long as the
/// process. Here the heartbeat is a task its owner can stop.
#[tokio::test]
async fn go_bug_heartbeat_ticker_is_never_stopped() {
    let (url, _task) = start_registry().await;
    let beat = heartbeat(&url, "tcp@127.0.0.1:4001", Duration::from_millis(10)).await;
    beat.abort();
    let stopped = bounded("stop", beat).await;
    assert!(stopped.is_err_and(|e| e.is_cancelled()));
}

/// Book appendix: Go bugs. Go's servers registered `tcp@[::]:port` (from `Listen(":0")`),
/// not an address another host could dial.
#[tokio::test]
async fn go_bug_registered_address_is_not_routable() {
    let listener = TcpListener::bind("0.0.0.0:0").await.unwrap();
    let local = listener.local_addr().unwrap();
    assert_eq!(
        advertise("tcp", local),
        format!("tcp@127.0.0.1:{}", local.port())
    );
    let v6: SocketAddr = "[::]:4000".parse().unwrap();
    assert_eq!(advertise("tcp", v6), "tcp@[::1]:4000");
    let routable: SocketAddr = "10.1.2.3:4000".parse().unwrap();
    assert_eq!(advertise("http", routable), "http@10.1.2.3:4000");
}
