//! Day 2 — A concurrent cache: the day-1 LRU behind a mutex, safe to share between threads.
//!
//! The LRU changes its list on every `get` (a hit moves to the front), so even readers need
//! exclusive access: a plain `Mutex` is the honest lock here, not a `RwLock`. The critical
//! section is a hash lookup and a few index swaps, so the lock is held for tens of
//! nanoseconds. Values are [`ByteView`]s: cloning one out of the lock is a reference-count
//! increment, so no bytes are copied while the lock is held.
//!
//! A poisoned mutex (a thread panicked while holding it) is recovered rather than
//! propagated: the LRU's invariants hold between any two of its statements that can panic
//! (none can, short of allocation failure), and a cache that refuses all service after one
//! panic elsewhere would be worse than useless.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::byteview::ByteView;
use crate::lru::{AddError, Lru};

/// A thread-safe, byte-budgeted LRU of [`ByteView`]s.
#[derive(Debug)]
pub struct Cache {
    lru: Mutex<Lru<ByteView>>,
    evictions: Arc<AtomicU64>,
}

/// Size and counters of one [`Cache`], like groupcache's `CacheStats`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CacheStats {
    /// Bytes of keys and values held.
    pub bytes: usize,
    /// Entries held.
    pub items: usize,
    /// Entries evicted to stay within the budget.
    pub evictions: u64,
}

impl Cache {
    /// An empty cache of at most `max_bytes` bytes (0 = unbounded).
    pub fn new(max_bytes: usize) -> Self {
        let evictions = Arc::new(AtomicU64::new(0));
        let counter = evictions.clone();
        let lru = Lru::new(max_bytes).with_on_evicted(move |_key, _value| {
            counter.fetch_add(1, Ordering::Relaxed);
        });
        Cache {
            lru: Mutex::new(lru),
            evictions,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Lru<ByteView>> {
        self.lru.lock().unwrap_or_else(PoisonError::into_inner)
    }

    // ANCHOR: get_add
    /// The cached value of `key`, marking it recently used.
    pub fn get(&self, key: &str) -> Option<ByteView> {
        // ANCHOR: ex_cache_get
        self.lock().get(key).cloned()
        // ANCHOR_END: ex_cache_get
    }

    /// Caches `value` under `key`; a value larger than the whole budget is refused.
    pub fn add(&self, key: &str, value: ByteView) -> Result<(), AddError> {
        self.lock().add(key, value)
    }
    // ANCHOR_END: get_add

    /// Removes `key`, returning its value.
    pub fn remove(&self, key: &str) -> Option<ByteView> {
        self.lock().remove(key)
    }

    /// Current size and counters.
    pub fn stats(&self) -> CacheStats {
        let lru = self.lock();
        CacheStats {
            bytes: lru.bytes(),
            items: lru.len(),
            evictions: self.evictions.load(Ordering::Relaxed),
        }
    }
}
