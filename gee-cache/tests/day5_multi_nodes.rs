//! Day 5 acceptance tests: three nodes on real sockets, each key loaded once by its owner,
//! and every way a peer can fail (refused, hung, reset, garbage, wrong status) ending in a
//! local load that is logged, never an error or a hang.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::Ring;
use gee_cache::{Error, Group, PeerPicker, Protocol};
use support::{Node, SlowDb, get, listener, start_pool};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A node serving group "scores" with its own database.
struct Member {
    node: Node,
    db: SlowDb,
    group: Arc<Group>,
}

async fn cluster(n: usize, timeout: Duration) -> Vec<Member> {
    let mut listeners = Vec::new();
    for _ in 0..n {
        listeners.push(listener().await);
    }
    let urls: Vec<String> = listeners.iter().map(|(_, url)| url.clone()).collect();
    let mut members = Vec::new();
    for (listener, url) in listeners {
        let node = start_pool(listener, &url, Protocol::Gee, timeout);
        node.pool.set_peers(&urls).expect("valid peer URLs");
        let db = SlowDb::default();
        let group = node.registry.new_group("scores", 2 << 10, db.getter());
        group
            .register_peers(Arc::new(node.pool.clone()))
            .expect("first registration");
        members.push(Member { node, db, group });
    }
    members
}

fn owner_index(members: &[Member], key: &str) -> usize {
    let mut ring = Ring::new(gee_cache::http::DEFAULT_REPLICAS);
    ring.add(members.iter().map(|m| m.node.url.clone()));
    let owner = ring.get(key).expect("a non-empty ring");
    members
        .iter()
        .position(|m| m.node.url == owner)
        .expect("the owner is a member")
}

#[tokio::test]
async fn each_key_is_loaded_once_by_its_owner() {
    let members = cluster(3, Duration::from_secs(5)).await;
    let keys = ["Tom", "Jack", "Sam"];
    for round in 0..3 {
        for (asker, member) in members.iter().enumerate() {
            for key in keys {
                let value = member.group.get(key).await.unwrap();
                assert!(!value.is_empty(), "round {round}, node {asker}, {key}");
            }
        }
    }
    for key in keys {
        let owner = owner_index(&members, key);
        for (i, m) in members.iter().enumerate() {
            let expected = usize::from(i == owner);
            assert_eq!(
                m.db.loads_of(key),
                expected,
                "{key}: node {i} (owner {owner})"
            );
        }
    }
    let peer_loads: u64 = members.iter().map(|m| m.group.stats().peer_loads).sum();
    assert!(peer_loads > 0, "some keys came from peers");
}

/// Go compared the peer URL with `self` as plain strings: `http://host:1/` in one place and
/// `http://host:1` in another made a node forward requests to itself.
#[tokio::test]
async fn go_bug_self_identity_is_exact_string_match() {
    let (listener, url) = listener().await;
    let node = start_pool(
        listener,
        &format!("{url}/"),
        Protocol::Gee,
        Duration::from_secs(1),
    );
    node.pool
        .set_peers([url.as_str(), "http://10.255.255.1:1/"])
        .expect("valid peer URLs");
    let ours = (0..200)
        .filter(|i| node.pool.pick_peer(&format!("k{i}")).is_none())
        .count();
    assert!(
        ours > 0,
        "some keys are this node's own despite the trailing slash"
    );
    for i in 0..200 {
        if let Some(peer) = node.pool.pick_peer(&format!("k{i}")) {
            assert_eq!(
                peer.name(),
                "http://10.255.255.1:1",
                "trailing slash trimmed"
            );
        }
    }
}

#[tokio::test]
async fn go_bug_pick_peer_before_set_panics() {
    let (listener, url) = listener().await;
    let node = start_pool(listener, &url, Protocol::Gee, Duration::from_secs(1));
    assert!(
        node.pool.pick_peer("Tom").is_none(),
        "no peers: the key is ours"
    );
}

#[tokio::test]
async fn go_bug_register_peers_twice_panics_now_an_error() {
    let members = cluster(1, Duration::from_secs(1)).await;
    let err = members[0]
        .group
        .register_peers(Arc::new(members[0].node.pool.clone()))
        .unwrap_err();
    assert!(matches!(err, Error::PeersAlreadyRegistered(_)), "{err}");
    for bad in ["localhost:8001", "ftp://x:1", "http://", "not a url"] {
        let err = members[0].node.pool.set_peers([bad]).unwrap_err();
        assert!(matches!(err, Error::BadPeer(_)), "{bad}: {err}");
    }
}

/// Captures log lines so a test can check that a fallback says why it happened.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log lock")).into_owned()
    }
}

/// A node whose only other peer is `bad_url`, and a key that `bad_url` owns.
async fn node_with_bad_peer(bad_url: &str) -> (Member, String) {
    let (listener, url) = listener().await;
    let node = start_pool(listener, &url, Protocol::Gee, Duration::from_millis(300));
    node.pool
        .set_peers([url.as_str(), bad_url])
        .expect("valid peer URLs");
    let db = SlowDb::default();
    let group = node.registry.new_group("scores", 2 << 10, db.getter());
    group
        .register_peers(Arc::new(node.pool.clone()))
        .expect("first registration");
    let mut ring = Ring::new(gee_cache::http::DEFAULT_REPLICAS);
    ring.add([url.as_str(), bad_url]);
    let key = ["Tom", "Jack", "Sam"]
        .into_iter()
        .find(|k| ring.get(k) == Some(bad_url))
        .map(str::to_owned);
    // Fall back to any key the bad peer owns (the db answers "<key> not exist" for it).
    let key = key.unwrap_or_else(|| {
        (0..)
            .map(|i| format!("key{i}"))
            .find(|k| ring.get(k) == Some(bad_url))
            .expect("the bad peer owns some key")
    });
    (Member { node, db, group }, key)
}

async fn assert_falls_back_locally(bad_url: &str, why: &str) {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let (member, key) = node_with_bad_peer(bad_url).await;
    let result = tokio::time::timeout(Duration::from_secs(10), member.group.get(&key))
        .await
        .expect("a bad peer must not hang the get");
    // Loaded locally: a value for a known key, the getter's own error otherwise.
    match result {
        Ok(_) => {}
        Err(Error::Getter(text)) => assert_eq!(text, format!("{key} not exist")),
        Err(other) => panic!("{other}"),
    }
    assert_eq!(member.db.loads_of(&key), 1, "loaded locally");
    assert_eq!(member.group.stats().peer_errors, 1);
    let logs = logs.text();
    assert!(
        logs.contains("loading locally") && logs.contains(why),
        "the fallback is logged with its reason ({why:?}):\n{logs}"
    );
}

#[tokio::test]
async fn a_refusing_peer_falls_back_to_a_local_load() {
    let (listener, url) = listener().await;
    drop(listener); // nothing listens there any more
    assert_falls_back_locally(&url, "failed to get").await;
}

#[tokio::test]
async fn a_hung_peer_is_bounded_by_the_timeout() {
    let (listener, url) = listener().await;
    // Accepts connections and never answers.
    let _keep = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            open.push(stream);
        }
    });
    assert_falls_back_locally(&url, "did not answer within 300 ms").await;
}

#[tokio::test]
async fn a_peer_that_resets_falls_back_to_a_local_load() {
    let (listener, url) = listener().await;
    let _server = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buf = [0u8; 1024];
            let _ = stream.read(&mut buf).await;
            drop(stream); // close without answering
        }
    });
    assert_falls_back_locally(&url, "failed to get").await;
}

async fn canned_peer(answer: &'static [u8]) -> String {
    let (listener, url): (TcpListener, String) = listener().await;
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf).await;
                let _ = stream.write_all(answer).await;
            });
        }
    });
    url
}

#[tokio::test]
async fn a_peer_answering_garbage_falls_back_to_a_local_load() {
    // 200 OK, but the body is not a protobuf GetResponse (length 16, 3 bytes present).
    let url = canned_peer(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 5\r\nconnection: close\r\n\r\n\x0a\x10abc",
    )
    .await;
    assert_falls_back_locally(&url, "malformed answer").await;
    let url = canned_peer(b"this is not HTTP at all\r\n\r\n").await;
    assert_falls_back_locally(&url, "failed to get").await;
}

#[tokio::test]
async fn a_peer_answering_a_wrong_status_falls_back_to_a_local_load() {
    let url = canned_peer(
        b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 4\r\nconnection: close\r\n\r\nbusy",
    )
    .await;
    assert_falls_back_locally(&url, "returned 503").await;
}

/// Go: when the owner's getter failed (500 "kkk not exist"), the asking node loaded the key
/// itself as well, and the owner's error text was lost.
#[tokio::test]
async fn go_bug_peer_getter_error_text_is_lost_and_load_duplicated() {
    let members = cluster(2, Duration::from_secs(5)).await;
    let key = (0..)
        .map(|i| format!("missing{i}"))
        .find(|k| owner_index(&members, k) == 1)
        .unwrap();
    let err = members[0].group.get(&key).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{key} not exist"),
        "the owner's text"
    );
    assert_eq!(members[1].db.loads_of(&key), 1, "the owner tried once");
    assert_eq!(
        members[0].db.loads_of(&key),
        0,
        "the asker did not load it again"
    );
    assert_eq!(members[0].group.stats().peer_errors, 0);
}

/// Go: a node serving a peer's request could forward it again, so two nodes with different
/// peer lists could bounce a key between them forever.
#[tokio::test]
async fn go_bug_inconsistent_peer_lists_bounce_requests() {
    let members = cluster(2, Duration::from_secs(5)).await;
    let (a, b) = (&members[0], &members[1]);
    // A thinks B owns the key; B is told that only A exists, so B thinks A owns it.
    b.node.pool.set_peers([a.node.url.as_str()]).unwrap();
    let key = (0..)
        .map(|i| format!("any{i}"))
        .find(|k| owner_index(&members, k) == 1)
        .unwrap();
    let key = key.as_str();
    let value = tokio::time::timeout(Duration::from_secs(10), a.group.get(key))
        .await
        .expect("no request loop")
        .unwrap();
    assert!(!value.is_empty());
    assert_eq!(b.db.loads_of(key), 1, "B served the peer request itself");
    assert_eq!(a.db.loads_of(key), 0);
    assert_eq!(b.group.stats().peer_loads, 0, "B never forwarded");
}

#[tokio::test]
async fn go_bug_peer_values_not_cached_now_hot_cache() {
    let members = cluster(2, Duration::from_secs(5)).await;
    let (a, b) = (&members[0], &members[1]);
    a.group.set_hot_cache_ratio(1);
    let key = (0..)
        .map(|i| format!("any{i}"))
        .find(|k| owner_index(&members, k) == 1)
        .unwrap();
    let key = key.as_str();
    a.group.get(key).await.unwrap();
    a.group.get(key).await.unwrap();
    let stats = a.group.stats();
    assert_eq!(stats.peer_loads, 1);
    assert_eq!(stats.hot_hits, 1, "the second get came from the hot cache");
    assert_eq!(b.group.stats().server_requests, 1, "B was asked once");
    assert_eq!(a.group.hot_cache_stats().items, 1);
    assert_eq!(a.group.main_cache_stats().items, 0, "not A's key");
}

#[tokio::test]
async fn the_api_server_serves_values_and_stats() {
    let members = cluster(3, Duration::from_secs(5)).await;
    let group = members[0].group.clone();
    let (listener, _url) = listener().await;
    let addr = listener.local_addr().unwrap();
    tokio::spawn(gee_cache::http::serve(
        listener,
        std::future::pending(),
        move |req| gee_cache::api::handle(group.clone(), req),
    ));
    let reply = get(addr, "/api?key=Tom").await;
    assert_eq!((reply.status.as_u16(), reply.text().as_str()), (200, "630"));
    let reply = get(addr, "/api?key=kkk").await;
    assert_eq!(
        (reply.status.as_u16(), reply.text().as_str()),
        (500, "kkk not exist")
    );
    let reply = get(addr, "/api?key=").await;
    assert_eq!(reply.status.as_u16(), 400);
    let stats = get(addr, "/stats").await.text();
    assert!(stats.contains("gets 2\n"), "{stats}");
    // An over-long key is the client's fault on the API too (it was a 500 here while the
    // peer endpoint answered 400).
    let long = "k".repeat(gee_cache::MAX_KEY_LEN + 1);
    let reply = get(addr, &format!("/api?key={long}")).await;
    assert_eq!(reply.status.as_u16(), 400, "{}", reply.text());
    assert!(
        reply.text().contains("exceeds the limit"),
        "{}",
        reply.text()
    );
    let stats = get(addr, "/stats").await.text();
    assert!(
        stats.contains("gets 2\n"),
        "the empty key is refused before counting: {stats}"
    );
    assert!(stats.contains("group scores\n"), "{stats}");
}

#[tokio::test]
async fn a_peer_sending_an_oversized_value_falls_back_to_a_local_load() {
    // Announces a body far larger than MAX_VALUE_LEN: refused before a byte is buffered.
    let url = canned_peer(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 999999999\r\n\r\n\x0a",
    )
    .await;
    assert_falls_back_locally(&url, "answer of 999999999 bytes exceeds the limit").await;
}
