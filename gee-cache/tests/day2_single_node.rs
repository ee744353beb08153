//! Day 2 acceptance tests: ByteView, the concurrent cache, and Group loading misses through
//! its Getter (Go's TestGetter, TestGet, TestGetGroup, and the bad inputs).

mod support;

use std::sync::Arc;

use gee_cache::{AsyncGetter, ByteView, Cache, Error, Getter, Group, Registry, get_group};
use support::{SlowDb, unique};

#[tokio::test]
async fn a_closure_is_a_getter() {
    let getter = |key: &str| Ok::<_, String>(key.as_bytes().to_vec());
    assert_eq!(&getter.get("key").await.unwrap()[..], b"key");
}

#[tokio::test]
async fn each_key_is_loaded_once_then_served_from_the_cache() {
    let db = SlowDb::default();
    let group = Group::new(&unique("scores"), 2 << 10, db.getter());
    for (key, value) in [("Tom", "630"), ("Jack", "589"), ("Sam", "567")] {
        assert_eq!(group.get(key).await.unwrap().to_string(), value);
        assert_eq!(group.get(key).await.unwrap().to_string(), value);
        assert_eq!(db.loads_of(key), 1, "{key} loaded once");
    }
    let stats = group.stats();
    assert_eq!(stats.gets, 6);
    assert_eq!(stats.cache_hits, 3);
    assert_eq!(stats.local_loads, 3);
}

#[tokio::test]
async fn a_getter_error_reaches_the_caller_with_its_text() {
    let db = SlowDb::default();
    let group = Group::new(&unique("scores"), 2 << 10, db.getter());
    let err = group.get("unknown").await.unwrap_err();
    assert!(matches!(err, Error::Getter(_)));
    assert_eq!(err.to_string(), "unknown not exist");
    assert_eq!(group.stats().local_load_errs, 1);
    // Errors are not cached: the next get asks the getter again.
    let _ = group.get("unknown").await;
    assert_eq!(db.loads_of("unknown"), 2);
}

#[tokio::test]
async fn groups_are_found_by_name() {
    let name = unique("scores");
    let group = Group::new(&name, 2 << 10, SlowDb::default().getter());
    assert!(Arc::ptr_eq(&get_group(&name).unwrap(), &group));
    assert!(get_group(&unique("nobody")).is_none());

    // A registry of one's own is separate from the global one.
    let registry = Registry::new();
    let local = registry.new_group(&name, 1024, SlowDb::default().getter());
    assert!(Arc::ptr_eq(&registry.get(&name).unwrap(), &local));
    assert!(!Arc::ptr_eq(&local, &group));
}

#[tokio::test]
async fn empty_and_oversized_keys_are_refused() {
    let db = SlowDb::default();
    let group = Group::new(&unique("scores"), 2 << 10, db.getter());
    let err = group.get("").await.unwrap_err();
    assert!(matches!(err, Error::EmptyKey));
    assert_eq!(err.to_string(), "key is required");
    let long = "k".repeat(gee_cache::MAX_KEY_LEN + 1);
    let err = group.get(&long).await.unwrap_err();
    assert!(matches!(err, Error::KeyTooLong { .. }), "{err}");
    assert!(err.to_string().contains("exceeds the limit"), "{err}");
    assert_eq!(db.total_loads(), 0, "refused before the getter runs");
}

#[tokio::test]
async fn an_oversized_value_is_refused_with_a_clear_error() {
    let group = Group::new(&unique("big"), 0, |_key: &str| {
        Ok::<_, String>(vec![0u8; gee_cache::MAX_VALUE_LEN + 1])
    });
    let err = group.get("blob").await.unwrap_err();
    assert!(matches!(err, Error::ValueTooLarge { .. }), "{err}");
    assert!(err.to_string().contains("\"blob\""), "{err}");
}

#[tokio::test]
async fn a_value_bigger_than_the_budget_is_returned_but_not_cached() {
    let db = SlowDb::default();
    let group = Group::new(&unique("tiny"), 4, db.getter());
    assert_eq!(group.get("Tom").await.unwrap().to_string(), "630");
    assert_eq!(group.get("Tom").await.unwrap().to_string(), "630");
    assert_eq!(db.loads_of("Tom"), 2, "Tom+630 = 6 bytes never fits in 4");
    assert_eq!(group.main_cache_stats().items, 0);
}

#[tokio::test]
async fn an_async_getter_works_too() {
    let group = Group::new(
        &unique("async"),
        1024,
        AsyncGetter(|key: String| async move {
            tokio::task::yield_now().await;
            Ok::<_, String>(format!("value of {key}"))
        }),
    );
    assert_eq!(group.get("k").await.unwrap().to_string(), "value of k");
}

#[test]
fn byte_views_are_immutable_and_cheap_to_share() {
    let view = ByteView::new("630");
    let mut copy = view.to_vec();
    copy[0] = b'9';
    assert_eq!(view.to_string(), "630", "a copy does not change the view");
    let shared = view.clone();
    assert_eq!(
        shared.as_slice().as_ptr(),
        view.as_slice().as_ptr(),
        "same bytes"
    );
    assert_eq!(view.len(), 3);
}

#[test]
fn the_cache_is_safe_to_share_between_threads() {
    let cache = Arc::new(Cache::new(1 << 20));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let cache = cache.clone();
            std::thread::spawn(move || {
                for i in 0..2_000 {
                    let key = format!("{t}-{i}");
                    cache
                        .add(&key, ByteView::from(key.clone().into_bytes()))
                        .unwrap();
                    assert_eq!(cache.get(&key).unwrap().to_string(), key);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(cache.stats().items, 8_000);
}

#[test]
fn the_cache_evicts_within_its_budget() {
    let cache = Cache::new(100);
    for i in 0..100 {
        cache
            .add(&format!("k{i:02}"), ByteView::from("0123456789"))
            .unwrap();
    }
    let stats = cache.stats();
    assert!(stats.bytes <= 100);
    assert_eq!(stats.items, 100 / 13);
    assert_eq!(stats.evictions, 100 - 7);
}
