//! Day 7 acceptance tests: the protobuf messages byte for byte (hand-computed encodings),
//! and groupcache compatibility: its path, its answer format and its ring.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use gee_cache::http::{PROTOBUF, bytes_response};
use gee_cache::pb::{GetRequest, GetResponse, decode_response, encode_response};
use gee_cache::{PeerPicker, ProtobufCodec, Protocol};
use prost::Message;
use support::{SlowDb, get, listener, send, start_pool, start_pool_with_codec};

#[test]
fn get_request_encodes_like_protoc() {
    let request = GetRequest {
        group: "scores".into(),
        key: "Tom".into(),
    };
    // field 1 (0x0a), length 6, "scores"; field 2 (0x12), length 3, "Tom"
    let expected = b"\x0a\x06scores\x12\x03Tom";
    assert_eq!(request.encode_to_vec(), expected);
    assert_eq!(GetRequest::decode(&expected[..]).unwrap(), request);
}

#[test]
fn a_required_empty_key_stays_on_the_wire() {
    let request = GetRequest {
        group: "g".into(),
        key: String::new(),
    };
    assert_eq!(request.encode_to_vec(), b"\x0a\x01g\x12\x00");
}

#[test]
fn get_response_encodes_like_protoc() {
    assert_eq!(encode_response(b"630"), b"\x0a\x03630");
    let with_qps = GetResponse {
        value: Some("630".into()),
        minute_qps: Some(1.5),
    };
    // field 2, wire type 1 (64-bit): tag 0x11, then 1.5 as little-endian f64 (0x3ff8000000000000).
    assert_eq!(
        with_qps.encode_to_vec(),
        b"\x0a\x03630\x11\x00\x00\x00\x00\x00\x00\xf8\x3f"
    );
    assert_eq!(
        decode_response(&with_qps.encode_to_vec()).unwrap(),
        with_qps
    );
    // An empty value is still present (optional field set), as Go's proto.Marshal writes it.
    assert_eq!(encode_response(b""), b"\x0a\x00");
}

#[test]
fn garbage_is_a_decode_error_not_a_panic() {
    for garbage in [
        &b"\x0a\x10abc"[..],
        b"\xff\xff\xff\xff",
        b"\x0b",
        b"hello world",
    ] {
        assert!(decode_response(garbage).is_err(), "{garbage:?}");
    }
}

#[tokio::test]
async fn the_pool_answers_protobuf_when_asked() {
    let (listener, url) = listener().await;
    let node = start_pool_with_codec(
        listener,
        &url,
        Protocol::Gee,
        Duration::from_secs(2),
        Some(ProtobufCodec),
    );
    node.registry
        .new_group("scores", 1024, SlowDb::default().getter());
    let reply = send(
        node.addr,
        hyper::Method::GET,
        "/_geecache/scores/Tom",
        &[("accept", PROTOBUF)],
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.headers["content-type"], PROTOBUF);
    assert_eq!(&reply.body[..], b"\x0a\x03630");
}

#[tokio::test]
async fn a_groupcache_pool_serves_groupcache_paths_and_answers() {
    let (listener, url) = listener().await;
    let node = start_pool(listener, &url, Protocol::Groupcache, Duration::from_secs(2));
    node.registry
        .new_group("scores", 1024, SlowDb::default().getter());
    let reply = get(node.addr, "/_groupcache/scores/Tom").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.headers["content-type"], PROTOBUF);
    assert_eq!(&reply.body[..], b"\x0a\x03630");
    assert_eq!(get(node.addr, "/_geecache/scores/Tom").await.status, 404);
    let reply = get(node.addr, "/_groupcache/scores/kkk").await;
    assert_eq!(
        (reply.status.as_u16(), reply.text().as_str()),
        (500, "kkk not exist")
    );
}

/// groupcache's `consistenthash.Map`, transcribed: CRC-32 of "{i}{peer}", 50 replicas,
/// sorted, binary search, wrap around; collisions resolved by the last peer added.
fn groupcache_owner<'a>(peers: &'a [String], key: &str) -> &'a str {
    let mut points: Vec<(u32, usize)> = Vec::new();
    for (p, peer) in peers.iter().enumerate() {
        for i in 0..50 {
            let hash = crc32fast::hash(format!("{i}{peer}").as_bytes());
            points.retain(|&(h, _)| h != hash);
            points.push((hash, p));
        }
    }
    points.sort();
    let hash = crc32fast::hash(key.as_bytes());
    let at = points.iter().position(|&(h, _)| h >= hash).unwrap_or(0);
    &peers[points[at].1]
}

#[tokio::test]
async fn the_groupcache_ring_picks_the_owner_go_would() {
    let (listener, url) = listener().await;
    let node = start_pool(listener, &url, Protocol::Groupcache, Duration::from_secs(2));
    let peers = vec![
        url.clone(),
        "http://10.0.0.2:8080".to_owned(),
        "http://10.0.0.3:8080".to_owned(),
    ];
    node.pool.set_peers(&peers).unwrap();
    for i in 0..2_000 {
        let key = format!("key-{i}");
        let owner = groupcache_owner(&peers, &key);
        match node.pool.pick_peer(&key) {
            None => assert_eq!(owner, url, "{key}"),
            Some(peer) => assert_eq!(peer.name(), owner, "{key}"),
        }
    }
}

/// A stand-in for a Go groupcache node: answers every `/_groupcache/` GET with a protobuf
/// `GetResponse` and records the paths it was asked for.
#[tokio::test]
async fn a_rust_node_fetches_from_a_go_groupcache_peer() {
    let (go_listener, go_url) = listener().await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(gee_cache::http::serve(
        go_listener,
        std::future::pending(),
        move |req| {
            log.lock().unwrap().push(req.uri().path().to_owned());
            async move {
                let body = GetResponse {
                    value: Some("from go".into()),
                    minute_qps: None,
                };
                bytes_response(PROTOBUF, body.encode_to_vec())
            }
        },
    ));
    let (listener, url) = listener().await;
    let node = start_pool(listener, &url, Protocol::Groupcache, Duration::from_secs(2));
    let peers = [url.clone(), go_url.clone()];
    node.pool.set_peers(&peers).unwrap();
    let db = SlowDb::default();
    let group = node.registry.new_group("scores", 1024, db.getter());
    group.register_peers(Arc::new(node.pool.clone())).unwrap();
    let key = (0..)
        .map(|i| format!("a key {i}"))
        .find(|k| groupcache_owner(&peers, k) == go_url)
        .unwrap();
    assert_eq!(group.get(&key).await.unwrap().to_string(), "from go");
    assert_eq!(db.total_loads(), 0);
    let expected = format!("/_groupcache/scores/{}", key.replace(' ', "%20"));
    assert_eq!(*seen.lock().unwrap(), vec![expected]);
}

#[tokio::test]
async fn a_cluster_speaking_groupcache_loads_each_key_once() {
    let mut listeners = Vec::new();
    for _ in 0..3 {
        listeners.push(listener().await);
    }
    let urls: Vec<String> = listeners.iter().map(|(_, u)| u.clone()).collect();
    let mut members = Vec::new();
    for (listener, url) in listeners {
        let node = start_pool(listener, &url, Protocol::Groupcache, Duration::from_secs(5));
        node.pool.set_peers(&urls).unwrap();
        let db = SlowDb::default();
        let group = node.registry.new_group("scores", 1024, db.getter());
        group.register_peers(Arc::new(node.pool.clone())).unwrap();
        members.push((node, db, group));
    }
    for (_, _, group) in &members {
        for key in ["Tom", "Jack", "Sam"] {
            group.get(key).await.unwrap();
        }
    }
    for key in ["Tom", "Jack", "Sam"] {
        let owner = groupcache_owner(&urls, key);
        for (node, db, _) in &members {
            assert_eq!(
                db.loads_of(key),
                usize::from(node.url == owner),
                "{key} at {}",
                node.url
            );
        }
    }
}
