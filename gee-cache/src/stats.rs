//! Day 2 — counters: what a group did, groupcache's `Stats`, shown by the API server at `/stats`.
//!
//! Each counter is an `AtomicU64` bumped with `Relaxed` ordering: they are statistics, read
//! as a snapshot, and never used to synchronise anything, so they cost a few nanoseconds.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// Live counters of one group.
#[derive(Debug, Default)]
pub struct Stats {
    pub(crate) gets: AtomicU64,
    pub(crate) cache_hits: AtomicU64,
    pub(crate) hot_hits: AtomicU64,
    pub(crate) loads: AtomicU64,
    pub(crate) loads_deduped: AtomicU64,
    pub(crate) peer_loads: AtomicU64,
    pub(crate) peer_errors: AtomicU64,
    pub(crate) local_loads: AtomicU64,
    pub(crate) local_load_errs: AtomicU64,
    pub(crate) server_requests: AtomicU64,
}

/// A point-in-time copy of [`Stats`].
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// Every `get`, including those that came from peers.
    pub gets: u64,
    /// Gets answered from the main or the hot cache.
    pub cache_hits: u64,
    /// The part of `cache_hits` answered by the hot cache (values owned by a peer).
    pub hot_hits: u64,
    /// Gets that missed the caches (`gets - cache_hits`).
    pub loads: u64,
    /// Loads actually run after singleflight merged concurrent ones.
    pub loads_deduped: u64,
    /// Values fetched from a peer.
    pub peer_loads: u64,
    /// Failed peer fetches (each fell back to a local load).
    pub peer_errors: u64,
    /// Successful runs of the getter.
    pub local_loads: u64,
    /// Failed runs of the getter.
    pub local_load_errs: u64,
    /// Gets that arrived over HTTP from a peer or a client of the pool.
    pub server_requests: u64,
}

impl Stats {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Reads every counter.
    pub fn snapshot(&self) -> StatsSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        StatsSnapshot {
            gets: get(&self.gets),
            cache_hits: get(&self.cache_hits),
            hot_hits: get(&self.hot_hits),
            loads: get(&self.loads),
            loads_deduped: get(&self.loads_deduped),
            peer_loads: get(&self.peer_loads),
            peer_errors: get(&self.peer_errors),
            local_loads: get(&self.local_loads),
            local_load_errs: get(&self.local_load_errs),
            server_requests: get(&self.server_requests),
        }
    }
}

impl fmt::Display for StatsSnapshot {
    /// One `name value` line per counter, easy to read and to `grep`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "gets {}", self.gets)?;
        writeln!(f, "cache_hits {}", self.cache_hits)?;
        writeln!(f, "hot_hits {}", self.hot_hits)?;
        writeln!(f, "loads {}", self.loads)?;
        writeln!(f, "loads_deduped {}", self.loads_deduped)?;
        writeln!(f, "peer_loads {}", self.peer_loads)?;
        writeln!(f, "peer_errors {}", self.peer_errors)?;
        writeln!(f, "local_loads {}", self.local_loads)?;
        writeln!(f, "local_load_errs {}", self.local_load_errs)?;
        writeln!(f, "server_requests {}", self.server_requests)
    }
}
