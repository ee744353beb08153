//! Day 6 — Singleflight: however many callers ask for a cold key at once, load it once.
//!
//! When a popular key expires, or a node starts cold, a hundred requests for it can arrive
//! within a millisecond. Without coordination each misses the cache and each hits the
//! database (or the owning peer): a *thundering herd*. Singleflight keeps one in-flight
//! call per key: the first caller (the *leader*) runs the load, later callers wait for its
//! result and share it.
//!
//! ```text
//!   caller 1 ──▶ no call for "Tom": become leader ──▶ load ──▶ publish ─┬─▶ caller 1
//!   caller 2 ──▶ call in flight: wait ─────────────────────────────────┼─▶ caller 2
//!   caller 3 ──▶ call in flight: wait ─────────────────────────────────┘─▶ caller 3
//! ```
//!
//! Go's version has a fatal flaw: if the loader panics, `wg.Done()` never runs and every
//! current and future caller of that key blocks forever. Async Rust adds a second hazard:
//! the leader's future can be *dropped* (a client disconnects and hyper cancels its
//! request). Both are handled by a guard owned by the leader: a panic is caught and sent to
//! the waiters as an error; a cancelled leader's guard removes the call on drop, the waiters
//! see the channel close and retry, one of them becoming the new leader.
//!
//! The group of day 2 gets it through one marked line: a miss goes to `Group::load`,
//! defined here, which runs the group's own `load_uncached` inside a flight.

use std::collections::HashMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use futures_util::FutureExt;
use tokio::sync::watch;

use crate::stats::Stats;
use crate::{ByteView, Error, Group};

/// The loader panicked; the text is the panic's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Panicked(pub String);

/// What the leader publishes: `None` while loading, then the result.
type Outcome<T> = Option<Result<T, Panicked>>;

/// One in-flight call: an id (to tell calls for the same key apart) and its result channel.
struct Call<T> {
    id: u64,
    result: watch::Receiver<Outcome<T>>,
}

/// What a caller of [`Flight::work`] turned out to be.
enum Role<T> {
    /// Someone else is loading: wait on this channel.
    Follower(watch::Receiver<Outcome<T>>),
    /// Nobody was: load, and publish on this channel.
    Leader(u64, watch::Sender<Outcome<T>>),
}

/// A set of in-flight calls, one per key.
pub struct Flight<T> {
    calls: Mutex<HashMap<String, Call<T>>>,
    next_id: AtomicU64,
}

impl<T> Default for Flight<T> {
    fn default() -> Self {
        Flight {
            calls: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
        }
    }
}

impl<T> std::fmt::Debug for Flight<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Flight")
            .field(
                "in_flight",
                &self
                    .calls
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .len(),
            )
            .finish()
    }
}

impl<T: Clone> Flight<T> {
    /// No call in flight.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Call<T>>> {
        self.calls.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How many keys are being loaded right now.
    pub fn in_flight(&self) -> usize {
        self.lock().len()
    }

    // ANCHOR: work
    /// Runs `load()` for `key` unless a call for `key` is already in flight, in which case it
    /// waits for that call's result. Every caller gets a clone of the one result; a panic in
    /// the loader becomes `Err(Panicked)` for all of them, and later calls start afresh.
    pub async fn work<F, Fut>(&self, key: &str, load: F) -> Result<T, Panicked>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        // ANCHOR: ex_work
        loop {
            // Decide under the lock, act after releasing it (never hold it across an await).
            let role = {
                let mut calls = self.lock();
                match calls.get(key) {
                    Some(call) => Role::Follower(call.result.clone()),
                    None => {
                        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
                        let (sender, result) = watch::channel(None);
                        calls.insert(key.to_owned(), Call { id, result });
                        Role::Leader(id, sender)
                    }
                }
            };
            let mut result = match role {
                Role::Follower(result) => result,
                Role::Leader(id, sender) => {
                    let leader = Leader {
                        flight: self,
                        key,
                        id,
                        sender,
                    };
                    return leader.lead(load).await;
                }
            };
            // A follower: wait for the leader's result. An error here means the leader was
            // dropped before publishing (cancelled): its guard removed the call, so retry.
            if let Ok(outcome) = result.wait_for(Option::is_some).await
                && let Some(outcome) = outcome.as_ref()
            {
                return outcome.clone();
            }
        }
        // ANCHOR_END: ex_work
    }
    // ANCHOR_END: work
}

/// The leader's guard: it publishes the result, and whatever happens it removes the call.
struct Leader<'a, T> {
    flight: &'a Flight<T>,
    key: &'a str,
    id: u64,
    sender: watch::Sender<Outcome<T>>,
}

impl<T: Clone> Leader<'_, T> {
    // ANCHOR: lead
    async fn lead<F, Fut>(self, load: F) -> Result<T, Panicked>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        // ANCHOR: ex_lead
        let outcome = AssertUnwindSafe(async move { load().await })
            .catch_unwind()
            .await
            .map_err(|panic| Panicked(panic_message(panic.as_ref())));
        // Publish first, then (in Drop) remove the call: a caller arriving in between
        // still gets this result instead of starting a second load.
        self.sender.send_replace(Some(outcome.clone()));
        outcome
        // ANCHOR_END: ex_lead
    }
    // ANCHOR_END: lead
}

// ANCHOR: guard
impl<T> Drop for Leader<'_, T> {
    fn drop(&mut self) {
        let mut calls = self
            .flight
            .calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if calls.get(self.key).is_some_and(|call| call.id == self.id) {
            calls.remove(self.key);
        }
        // `sender` drops after this: followers of a cancelled leader see the channel close.
    }
}
// ANCHOR_END: guard

/// The message of a panic payload (`panic!("...")` gives a `&str` or a `String`).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a non-string panic payload".to_owned()
    }
}

impl Group {
    // ANCHOR: load
    /// Loads a missed key once however many callers want it (day 6), from its owner or locally.
    pub(crate) async fn load(&self, key: &str, may_forward: bool) -> Result<ByteView, Error> {
        let flight = self.loader.work(key, || async {
            // Another caller may have finished loading this key just before we started.
            let cached = self.main_cache.get(key);
            if let Some(value) = cached.or_else(|| self.peers.get().and_then(|_| self.hot.get(key)))
            {
                return Ok(value);
            }
            Stats::bump(&self.stats.loads_deduped);
            self.load_uncached(key, may_forward).await
        });
        match flight.await {
            Ok(result) => result,
            Err(panicked) => Err(Error::LoaderPanicked {
                key: key.to_owned(),
                message: panicked.0,
            }),
        }
    }
    // ANCHOR_END: load
}
