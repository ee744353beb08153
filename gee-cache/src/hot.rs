//! Day 5 — the hot cache: popular values owned by a peer, kept here too.
//!
//! With peers, each key has one owner, and every other node asks the owner for it. For a
//! key everybody wants, that owner becomes a hot spot and every request pays a network
//! round trip. groupcache's answer is a second, smaller cache per group for values fetched
//! from peers: a random one in ten goes in (so only keys asked for often end up there),
//! within an eighth of the group's budget. It is never filled without peers, so a day-2
//! group simply has an empty one.
//!
//! The group calls it through three methods: [`get`](HotCache::get) on a lookup,
//! [`offer`](HotCache::offer) for a value a peer sent, and [`stats`](HotCache::stats).

use std::sync::atomic::{AtomicU64, Ordering};

use crate::byteview::ByteView;
use crate::cache::{Cache, CacheStats};

/// The hot cache of one group.
pub struct HotCache {
    cache: Cache,
    /// A value fetched from a peer goes in with probability 1/`every` (0 = never).
    every: AtomicU64,
}

impl HotCache {
    /// A hot cache for a group whose budget is `group_bytes`: an eighth of it, one value in
    /// ten (groupcache's choices).
    pub fn new(group_bytes: usize) -> Self {
        Self {
            cache: Cache::new(group_bytes / 8),
            every: AtomicU64::new(10),
        }
    }

    /// The value of `key`, if kept here.
    pub fn get(&self, key: &str) -> Option<ByteView> {
        self.cache.get(key)
    }

    // ANCHOR: offer
    /// A value a peer sent: kept with probability 1/`every`.
    pub fn offer(&self, key: &str, value: &ByteView) {
        let every = self.every.load(Ordering::Relaxed);
        if every != 0 && rand::random_range(0..every) == 0 {
            // Too big for the hot cache is fine: it was only an offer.
            let _ = self.cache.add(key, value.clone());
        }
    }
    // ANCHOR_END: offer

    /// Keeps one in `every` values offered (1 = all, 0 = none).
    pub fn set_ratio(&self, every: u64) {
        self.every.store(every, Ordering::Relaxed);
    }

    /// Size and counters.
    pub fn stats(&self) -> CacheStats {
        self.cache.stats()
    }
}
