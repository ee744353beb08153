//! Day 4 — active expiry: a background task that deletes expired keys nobody reads.
//!
//! Lazy expiry (checking the TTL on every access, in [`super::keyspace::Shard::lookup`])
//! is exact but leaves keys that are never read again sitting in memory forever. Redis adds
//! an *active* cycle, ten times a second: pick 20 random keys among those with a TTL,
//! delete the expired ones, and if more than a quarter were expired, assume there are many
//! more and go again, within a time budget so the server never stalls. We do the same per
//! shard; each round locks one shard only briefly, so clients barely notice.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rand::Rng;
use tokio_util::sync::CancellationToken;

use super::keyspace::Shard;
use super::{Server, now_ms};

/// How often the active cycle runs (Redis's `hz 10`).
pub const CYCLE: Duration = Duration::from_millis(100);
/// Keys sampled per round.
pub const SAMPLE: usize = 20;
/// The most time one cycle may take.
pub const BUDGET: Duration = Duration::from_millis(5);

// ANCHOR: sample
/// One sampling round on one shard: deletes expired keys among up to [`SAMPLE`] random
/// keys with a TTL and returns `(sampled, deleted)`.
pub fn expire_sample(shard: &mut Shard, now: u64, rng: &mut impl Rng) -> (usize, usize) {
    // ANCHOR: ex_expire_sample
    let sampled = shard.expires.len().min(SAMPLE);
    let mut deleted = 0;
    for _ in 0..sampled {
        if shard.expires.is_empty() {
            break;
        }
        let index = rng.random_range(0..shard.expires.len());
        let Some(key) = shard.expires.get_index(index).cloned() else {
            continue;
        };
        let expired = shard
            .map
            .get(&key)
            .is_none_or(|e| e.expires_at.is_some_and(|at| at <= now));
        if expired {
            shard.remove(&key);
            shard.expires.swap_remove(&key);
            deleted += 1;
        }
    }
    (sampled, deleted)
    // ANCHOR_END: ex_expire_sample
}
// ANCHOR_END: sample

/// One active-expiry cycle over every database and shard; returns the keys deleted.
pub fn active_expire_cycle(server: &Server) -> usize {
    let start = Instant::now();
    let mut rng = rand::rng();
    let mut total = 0;
    for (index, db) in server.dbs().iter().enumerate() {
        for shard in db.shards() {
            loop {
                let mut locked = shard.lock();
                let (sampled, deleted) = expire_sample(&mut locked, now_ms(), &mut rng);
                // Day 5: the AOF logs each expired key as DEL, while the shard is locked.
                for key in locked.expired.drain(..) {
                    crate::aof::propagate::expired(server, index, &key);
                }
                drop(locked);
                total += deleted;
                // Go again only while more than a quarter of the sample was expired.
                if sampled == 0 || deleted * 4 <= sampled || start.elapsed() > BUDGET {
                    break;
                }
            }
            if start.elapsed() > BUDGET {
                server
                    .stats
                    .expired_keys
                    .fetch_add(total as u64, Ordering::Relaxed);
                return total;
            }
        }
    }
    server
        .stats
        .expired_keys
        .fetch_add(total as u64, Ordering::Relaxed);
    total
}

/// Spawns the active-expiry task; it stops when `shutdown` is cancelled.
pub fn spawn_active_expiry(
    server: Arc<Server>,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(CYCLE);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => { active_expire_cycle(&server); }
                () = shutdown.cancelled() => return,
            }
        }
    })
}
