//! Day 6 acceptance tests: singleflight merges concurrent loads of one key, survives a
//! panicking loader (Go hung forever) and a cancelled leader, and works across the cluster.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use gee_cache::singleflight::Flight;
use gee_cache::{AsyncGetter, Error, Group};
use support::unique;
use tokio::sync::Semaphore;

/// A getter that counts its calls and waits until the test releases it, so that every
/// concurrent caller is provably waiting before the load finishes.
struct Gate {
    calls: Arc<AtomicUsize>,
    release: Arc<Semaphore>,
}

fn gated_group(panic_first: bool) -> (Arc<Group>, Gate) {
    let calls = Arc::new(AtomicUsize::new(0));
    let release = Arc::new(Semaphore::new(0));
    let gate = Gate {
        calls: calls.clone(),
        release: release.clone(),
    };
    let group = Group::new(
        &unique("flight"),
        1 << 20,
        AsyncGetter(move |key: String| {
            let (calls, release) = (calls.clone(), release.clone());
            async move {
                let n = calls.fetch_add(1, Ordering::SeqCst);
                release.acquire().await.expect("semaphore open").forget();
                if panic_first && n == 0 {
                    panic!("database exploded while loading {key}");
                }
                Ok::<_, String>(format!("value of {key}"))
            }
        }),
    );
    (group, gate)
}

/// Starts `n` concurrent gets of `key`; returns once all of them are waiting.
///
/// `#[tokio::test]` runs on one thread: a spawned task runs until its first pending await,
/// and `started` is bumped right before `get`, whose path up to that await is synchronous.
/// So when `started == n`, every get is parked inside the flight (or in the getter).
async fn herd(
    group: &Arc<Group>,
    key: &str,
    n: usize,
) -> Vec<tokio::task::JoinHandle<Result<String, Error>>> {
    let started = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let (group, key, started) = (group.clone(), key.to_owned(), started.clone());
            tokio::spawn(async move {
                started.fetch_add(1, Ordering::SeqCst);
                group.get(&key).await.map(|v| v.to_string())
            })
        })
        .collect();
    while started.load(Ordering::SeqCst) < n {
        tokio::task::yield_now().await;
    }
    tasks
}

#[tokio::test]
async fn a_hundred_concurrent_gets_of_a_cold_key_load_it_once() {
    let (group, gate) = gated_group(false);
    let tasks = herd(&group, "Tom", 100).await;
    assert_eq!(
        gate.calls.load(Ordering::SeqCst),
        1,
        "one leader is loading"
    );
    gate.release.add_permits(1);
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap(), "value of Tom");
    }
    assert_eq!(gate.calls.load(Ordering::SeqCst), 1, "exactly one load");
    let stats = group.stats();
    assert_eq!(stats.gets, 100);
    assert_eq!(stats.loads, 100, "every get missed the cache");
    assert_eq!(stats.loads_deduped, 1, "singleflight merged them into one");
}

/// Go: a panicking loader skipped `wg.Done()` and the map delete, so every current and
/// future `Do(key)` blocked forever.
#[tokio::test]
async fn go_bug_singleflight_panic_hangs_forever() {
    let (group, gate) = gated_group(true);
    let tasks = herd(&group, "Tom", 10).await;
    gate.release.add_permits(100);
    for task in tasks {
        let result = tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("waiters are woken, not left hanging")
            .unwrap();
        let err = result.unwrap_err();
        assert!(matches!(err, Error::LoaderPanicked { .. }), "{err}");
        assert!(err.to_string().contains("database exploded"), "{err}");
    }
    // Later calls work: the panicked call left nothing behind.
    let value = tokio::time::timeout(Duration::from_secs(10), group.get("Tom"))
        .await
        .expect("a later get does not hang")
        .unwrap();
    assert_eq!(value.to_string(), "value of Tom");
    assert_eq!(gate.calls.load(Ordering::SeqCst), 2);
}

/// Go's `Do` did not look at the cache again: a caller that missed the cache just before
/// the previous load of the key finished started a second load. The flight re-checks.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn go_bug_singleflight_no_cache_recheck_loads_twice() {
    let loads = Arc::new(AtomicUsize::new(0));
    let counter = loads.clone();
    let group = Group::new(&unique("recheck"), 64 << 20, move |key: &str| {
        counter.fetch_add(1, Ordering::SeqCst);
        Ok::<_, String>(key.to_owned())
    });
    let keys = 2_000;
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let group = group.clone();
            tokio::spawn(async move {
                for i in 0..keys {
                    group.get(&format!("k{i}")).await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(
        loads.load(Ordering::SeqCst),
        keys,
        "each key loaded exactly once"
    );
}

#[tokio::test]
async fn a_cancelled_leader_hands_over_to_a_waiter() {
    let (group, gate) = gated_group(false);
    let mut tasks = herd(&group, "Tom", 5).await;
    // The first task is the leader (it started first on this one-thread runtime): cancel it.
    tasks.remove(0).abort();
    tokio::task::yield_now().await;
    gate.release.add_permits(100);
    for task in tasks {
        let value = tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("waiters of a cancelled leader do not hang")
            .unwrap()
            .unwrap();
        assert_eq!(value, "value of Tom");
    }
    assert_eq!(
        gate.calls.load(Ordering::SeqCst),
        2,
        "the new leader loaded once more"
    );
}

#[tokio::test]
async fn different_keys_load_in_parallel() {
    let flight: Flight<String> = Flight::new();
    let (a, b) = tokio::join!(
        flight.work("a", || async { "A".to_owned() }),
        flight.work("b", || async { "B".to_owned() }),
    );
    assert_eq!((a.unwrap(), b.unwrap()), ("A".to_owned(), "B".to_owned()));
    assert_eq!(flight.in_flight(), 0, "finished calls are removed");
}

#[tokio::test]
async fn the_flight_returns_what_the_loader_returns() {
    // Go's TestDo.
    let flight: Flight<String> = Flight::new();
    let value = flight
        .work("key", || async { "bar".to_owned() })
        .await
        .unwrap();
    assert_eq!(value, "bar");
}
