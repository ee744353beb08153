//! Day 1 acceptance tests: the byte-budgeted LRU, Go's tests ported, the Go original's edge
//! cases fixed, and a model check against a naive implementation.

use std::sync::{Arc, Mutex};

use gee_cache::Lru;
use gee_cache::lru::AddError;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[test]
fn get_finds_what_was_added_and_misses_the_rest() {
    let mut lru = Lru::new(0);
    lru.add("key1", "1234".to_string()).unwrap();
    assert_eq!(lru.get("key1").map(String::as_str), Some("1234"));
    assert_eq!(lru.get("key2"), None);
    assert_eq!(lru.len(), 1);
}

#[test]
fn the_least_recently_used_entry_is_evicted_first() {
    // Go's TestRemoveoldest: room for exactly key1/value1 and key2/value2.
    let cap = "key1key2value1value2".len();
    let mut lru = Lru::new(cap);
    lru.add("key1", "value1".to_string()).unwrap();
    lru.add("key2", "value2".to_string()).unwrap();
    lru.add("k3", "v3".to_string()).unwrap();
    assert!(lru.get("key1").is_none(), "key1 should have been evicted");
    assert_eq!(lru.len(), 2);
    assert_eq!(lru.bytes(), "key2value2k3v3".len());
}

#[test]
fn a_get_protects_an_entry_from_eviction() {
    let mut lru = Lru::new(12);
    lru.add("a", "11111".to_string()).unwrap(); // 6 bytes
    lru.add("b", "22222".to_string()).unwrap(); // 6 bytes: full
    assert!(lru.get("a").is_some()); // a is now the most recent
    lru.add("c", "33333".to_string()).unwrap();
    assert!(lru.contains("a"));
    assert!(!lru.contains("b"));
    assert_eq!(lru.keys(), vec!["c", "a"]);
}

#[test]
fn on_evicted_sees_every_evicted_entry_in_order() {
    // Go's TestOnEvicted.
    let evicted = Arc::new(Mutex::new(Vec::new()));
    let seen = evicted.clone();
    let mut lru = Lru::new(10).with_on_evicted(move |key, _value: String| {
        seen.lock().unwrap().push(key);
    });
    lru.add("key1", "123456".to_string()).unwrap();
    lru.add("k2", "k2".to_string()).unwrap();
    lru.add("k3", "k3".to_string()).unwrap();
    lru.add("k4", "k4".to_string()).unwrap();
    assert_eq!(*evicted.lock().unwrap(), vec!["key1", "k2"]);
}

#[test]
fn updating_a_key_recounts_its_bytes() {
    // Go's TestAdd.
    let mut lru = Lru::new(0);
    lru.add("key", "1".to_string()).unwrap();
    lru.add("key", "111".to_string()).unwrap();
    assert_eq!(lru.bytes(), "key".len() + "111".len());
    assert_eq!(lru.len(), 1);
    assert_eq!(lru.get("key").map(String::as_str), Some("111"));
}

#[test]
fn zero_max_bytes_means_unbounded() {
    let mut lru = Lru::new(0);
    for i in 0..10_000 {
        lru.add(format!("key{i}"), "x".repeat(100)).unwrap();
    }
    assert_eq!(lru.len(), 10_000);
}

#[test]
fn remove_returns_the_value_without_calling_on_evicted() {
    let calls = Arc::new(Mutex::new(0));
    let counter = calls.clone();
    let mut lru = Lru::new(100).with_on_evicted(move |_k, _v: String| {
        *counter.lock().unwrap() += 1;
    });
    lru.add("a", "1".to_string()).unwrap();
    assert_eq!(lru.remove("a").as_deref(), Some("1"));
    assert_eq!(lru.remove("a"), None);
    assert_eq!(lru.bytes(), 0);
    assert!(lru.is_empty());
    assert_eq!(*calls.lock().unwrap(), 0);
    assert!(!lru.remove_oldest(), "nothing left to evict");
}

/// Go: `New(10)` then `Add("k", <20 bytes>)` added the entry, then evicted it together with
/// everything else (calling OnEvicted for each) and reported nothing.
#[test]
fn go_bug_entry_larger_than_budget_evicts_everything() {
    let evicted = Arc::new(Mutex::new(Vec::new()));
    let seen = evicted.clone();
    let mut lru = Lru::new(10).with_on_evicted(move |key, _v: String| {
        seen.lock().unwrap().push(key);
    });
    lru.add("a", "1".to_string()).unwrap();
    lru.add("b", "2".to_string()).unwrap();
    let err = lru.add("k", "x".repeat(20)).unwrap_err();
    assert_eq!(
        err,
        AddError::TooLarge {
            size: 21,
            max_bytes: 10
        }
    );
    assert!(
        err.to_string().contains("exceeds the cache budget"),
        "{err}"
    );
    assert_eq!(lru.len(), 2, "the cache is untouched");
    assert!(lru.contains("a") && lru.contains("b") && !lru.contains("k"));
    assert!(evicted.lock().unwrap().is_empty(), "nothing was evicted");
    // Exactly the budget still fits.
    lru.add("k", "x".repeat(9)).unwrap();
    assert_eq!(lru.keys(), vec!["k"]);
}

/// Go: updating a key to a much larger value could evict that very key.
#[test]
fn go_bug_update_to_larger_value_evicts_the_key_itself() {
    let mut lru = Lru::new(20);
    lru.add("a", "11111".to_string()).unwrap();
    lru.add("b", "22222".to_string()).unwrap();
    lru.add("a", "x".repeat(19)).unwrap();
    assert_eq!(
        lru.get("a").map(String::len),
        Some(19),
        "a survives its update"
    );
    assert!(!lru.contains("b"));
    assert_eq!(lru.bytes(), 20);
    // A refused update leaves the old value in place.
    assert!(lru.add("a", "x".repeat(30)).is_err());
    assert_eq!(lru.get("a").map(String::len), Some(19));
}

/// Random operations against a naive model (a Vec in recency order): same contents, same
/// order, same byte count, after every step. This is what "bytes never go negative" and
/// "O(1) structure stays consistent" mean in practice.
#[test]
fn random_operations_match_a_naive_model() {
    let mut rng = StdRng::seed_from_u64(7);
    let max = 200;
    let mut lru: Lru<String> = Lru::new(max);
    let mut model: Vec<(String, String)> = Vec::new(); // most recent first
    for step in 0..20_000 {
        let key = format!("k{}", rng.random_range(0..40));
        match rng.random_range(0..10) {
            0..=3 => {
                let got = lru.get(&key).cloned();
                let pos = model.iter().position(|(k, _)| *k == key);
                assert_eq!(got, pos.map(|p| model[p].1.clone()), "step {step}");
                if let Some(p) = pos {
                    let entry = model.remove(p);
                    model.insert(0, entry);
                }
            }
            4..=8 => {
                let value = "v".repeat(rng.random_range(0..60));
                let weight = key.len() + value.len();
                let result = lru.add(key.clone(), value.clone());
                if weight > max {
                    assert!(result.is_err());
                } else {
                    result.unwrap();
                    model.retain(|(k, _)| *k != key);
                    model.insert(0, (key, value));
                    while model.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>() > max {
                        model.pop();
                    }
                }
            }
            _ => {
                let got = lru.remove(&key);
                let pos = model.iter().position(|(k, _)| *k == key);
                assert_eq!(got, pos.map(|p| model.remove(p).1), "step {step}");
            }
        }
        let bytes: usize = model.iter().map(|(k, v)| k.len() + v.len()).sum();
        assert_eq!(lru.bytes(), bytes, "step {step}");
        assert_eq!(lru.len(), model.len(), "step {step}");
        let keys: Vec<&str> = model.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(lru.keys(), keys, "step {step}");
    }
}
