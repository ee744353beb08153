//! Day 4 acceptance tests: the consistent-hash ring (in `common`), Go's test ported, the Go
//! original's collision bugs fixed, balance and movement measured, and use across threads.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use common::consistent_hash::{Ring, VnodeNaming};

/// Go's test hash: the key is a decimal number and hashes to itself.
fn atoi(data: &[u8]) -> u32 {
    std::str::from_utf8(data)
        .expect("test keys are text")
        .parse()
        .expect("test keys are numbers")
}

#[test]
fn keys_go_to_the_next_virtual_node_clockwise() {
    // Go's TestHashing: 3 replicas named "{i}{node}", so "6","4","2" sit at 2,4,6,12,14,16,22,24,26.
    let mut ring = Ring::with_hash(3, atoi).naming(VnodeNaming::GoPrefix);
    ring.add(["6", "4", "2"]);
    for (key, owner) in [("2", "2"), ("11", "2"), ("23", "4"), ("27", "2")] {
        assert_eq!(ring.get(key), Some(owner), "key {key}");
    }
    // Adding 8 puts vnodes at 8, 18, 28: 27 now belongs to 8.
    ring.add(["8"]);
    assert_eq!(ring.get("27"), Some("8"));
}

#[test]
fn an_empty_ring_owns_nothing() {
    let ring = Ring::new(50);
    assert_eq!(ring.get("Tom"), None);
    assert!(ring.is_empty());
}

/// Go named vnode i of node n `"{i}{n}"`: node "x"'s 10th replica and node "0x"'s 1st are
/// both "10x", so one node silently lost a vnode to the other.
#[test]
fn go_bug_replica_names_are_ambiguous_1_0x_vs_10_x() {
    let mut go_style = Ring::new(11).naming(VnodeNaming::GoPrefix);
    go_style.add(["x", "0x"]);
    assert_eq!(go_style.collisions(), 1, "\"10x\" is named twice");
    assert_eq!(go_style.vnode_count(), 21);

    let mut ring = Ring::new(11);
    ring.add(["x", "0x"]);
    assert_eq!(ring.collisions(), 0, "\"x#10\" and \"0x#1\" differ");
    assert_eq!(ring.vnode_count(), 22);
}

/// Go: `hashMap[hash] = node` let the last writer win while `keys` kept both copies, so who
/// owned a point depended on the order peers were added.
#[test]
fn go_bug_hash_collisions_overwrite_silently() {
    fn constant(_: &[u8]) -> u32 {
        42
    }
    let mut ab = Ring::with_hash(3, constant);
    ab.add(["b", "a"]);
    let mut ba = Ring::with_hash(3, constant);
    ba.add(["a", "b"]);
    assert_eq!(ab.vnode_count(), 1, "one point, deduplicated");
    assert_eq!(ab.collisions(), 5);
    assert_eq!(ab.get("k"), Some("a"), "the smaller name keeps the point");
    assert_eq!(ba.get("k"), Some("a"), "whatever the order of adding");
}

#[test]
fn go_bug_adding_a_node_twice_doubles_its_share() {
    let mut ring = Ring::new(50);
    ring.add(["a", "b"]);
    ring.add(["a"]);
    assert_eq!(ring.vnode_count(), 100);
    assert_eq!(ring.nodes(), ["a", "b"]);
}

#[test]
fn go_bug_ring_has_no_remove_now_only_its_keys_move() {
    let mut ring = Ring::new(50);
    ring.add(["a", "b", "c"]);
    let before: Vec<String> = (0..2000)
        .map(|i| ring.get(format!("key{i}")).unwrap().to_owned())
        .collect();
    assert!(ring.remove("b"));
    assert!(!ring.remove("b"), "already gone");
    for (i, owner) in before.iter().enumerate() {
        let now = ring.get(format!("key{i}")).unwrap();
        if owner == "b" {
            assert_ne!(now, "b");
        } else {
            assert_eq!(now, owner, "key{i} belonged to {owner} and must stay");
        }
    }
}

fn loads(ring: &Ring, keys: usize) -> HashMap<String, usize> {
    let mut loads = HashMap::new();
    for i in 0..keys {
        *loads
            .entry(
                ring.get(format!("key-{i}"))
                    .expect("a non-empty ring")
                    .to_owned(),
            )
            .or_default() += 1;
    }
    loads
}

#[test]
fn load_is_balanced_and_adding_a_peer_moves_about_one_in_n_plus_one() {
    let peers: Vec<String> = (1..=5).map(|i| format!("http://10.0.0.{i}:8001")).collect();
    let keys = 100_000;
    for replicas in [50, 150] {
        let mut ring = Ring::new(replicas);
        ring.add(&peers);
        let loads = loads(&ring, keys);
        let mean = keys as f64 / peers.len() as f64;
        let max = *loads.values().max().unwrap() as f64;
        println!("replicas {replicas}: max/mean = {:.3}", max / mean);
        assert_eq!(loads.len(), 5, "every peer owns keys");
        assert!(
            max / mean < 1.4,
            "replicas {replicas}: max/mean {:.3}",
            max / mean
        );

        let before: Vec<String> = (0..keys)
            .map(|i| ring.get(format!("key-{i}")).unwrap().to_owned())
            .collect();
        ring.add(["http://10.0.0.6:8001"]);
        let mut moved = 0;
        for (i, owner) in before.iter().enumerate() {
            let now = ring.get(format!("key-{i}")).unwrap();
            if now != owner {
                assert_eq!(
                    now, "http://10.0.0.6:8001",
                    "keys move only to the new peer"
                );
                moved += 1;
            }
        }
        let fraction = moved as f64 / keys as f64;
        println!(
            "replicas {replicas}: moved {fraction:.3} (ideal {:.3})",
            1.0 / 6.0
        );
        assert!(
            (0.08..0.28).contains(&fraction),
            "replicas {replicas}: moved {fraction:.3}, expected about 1/6"
        );
    }
}

#[test]
fn groupcache_ring_hashes_index_then_url_with_50_replicas() {
    let mut ring = Ring::groupcache();
    ring.add(["http://a:1", "http://b:2"]);
    assert_eq!(ring.vnode_count(), 100);
    // The point of vnode 0 of "http://a:1" is CRC-32("0http://a:1").
    let point = common::consistent_hash::crc32(b"0http://a:1");
    assert!(ring.points().contains(&point));
    assert!(ring.get("irrelevant").is_some());
}

#[test]
fn go_bug_ring_not_thread_safe_now_shared_between_threads() {
    let ring = Arc::new(RwLock::new(Ring::new(50)));
    ring.write().unwrap().add(["a", "b", "c"]);
    let readers: Vec<_> = (0..4)
        .map(|t| {
            let ring = ring.clone();
            std::thread::spawn(move || {
                for i in 0..5_000 {
                    let ring = ring.read().unwrap();
                    let owner = ring.get(format!("{t}-{i}")).unwrap();
                    assert!(["a", "b", "c", "d"].contains(&owner));
                }
            })
        })
        .collect();
    let writer = {
        let ring = ring.clone();
        std::thread::spawn(move || {
            for _ in 0..50 {
                ring.write().unwrap().add(["d"]);
                ring.write().unwrap().remove("d");
            }
        })
    };
    for r in readers {
        r.join().unwrap();
    }
    writer.join().unwrap();
    assert_eq!(ring.read().unwrap().nodes(), ["a", "b", "c"]);
}
