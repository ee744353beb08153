//! Day 6 — WATCH: who watches which key, and the flag that makes their EXEC fail.
//!
//! `WATCH k` is optimistic locking: the client reads `k`, queues a transaction that
//! depends on what it read, and EXEC runs it only if nobody changed `k` in between; if
//! somebody did, EXEC answers a null array and the client tries again. Redis does it
//! with a table from each watched key to the clients watching it: every write looks its
//! keys up there and raises each watcher's "dirty" flag. [`Watches`] is that table (one
//! for the whole server, keyed by database and key), and [`TxState`] is a client's side
//! of a transaction: its queue, its flags, the keys it watches.
//!
//! A key that *expires* changes too, without any command writing it. A watch therefore
//! remembers whether its key was live and when its TTL ends; EXEC fails if that moment
//! has passed, whether or not the expiry cycle has deleted the key yet. A key that was
//! already expired when it was watched counts as missing, as in Redis.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use bytes::Bytes;
use parking_lot::Mutex;

/// One client watching one key.
#[derive(Debug, Clone)]
struct Watcher {
    client: u64,
    dirty: Arc<AtomicBool>,
    /// `Some(expires_at)` if the key was live when watched (`expires_at` = its TTL's end).
    live: Option<Option<u64>>,
}

/// The server's table of watched keys: `(db, key)` → the clients watching it.
#[derive(Debug, Default)]
pub struct Watches {
    /// How many watches exist: writes skip the table entirely while it is zero.
    count: AtomicUsize,
    keys: Mutex<HashMap<usize, HashMap<Bytes, Vec<Watcher>>>>,
}

/// A key a client watches, as its session remembers it.
#[derive(Debug, Clone)]
pub struct WatchedKey {
    /// The database the key was watched in (WATCH remembers it across SELECT).
    pub db: usize,
    /// The key.
    pub key: Bytes,
    /// When the key expires, if it was live with a TTL when watched.
    pub expires_at: Option<u64>,
}

impl Watches {
    /// Whether nobody watches anything (the common case: one atomic load per write).
    pub fn is_empty(&self) -> bool {
        self.count.load(Ordering::Acquire) == 0
    }

    /// Registers client `client` as watching `key` in `db`. `live` is `Some(expires_at)`
    /// if the key exists (not expired) now. False if the client already watches it.
    pub fn watch(
        &self,
        db: usize,
        key: &[u8],
        client: u64,
        dirty: &Arc<AtomicBool>,
        live: Option<Option<u64>>,
    ) -> bool {
        let mut keys = self.keys.lock();
        let watchers = keys
            .entry(db)
            .or_default()
            .entry(Bytes::copy_from_slice(key))
            .or_default();
        if watchers.iter().any(|w| w.client == client) {
            return false;
        }
        watchers.push(Watcher {
            client,
            dirty: dirty.clone(),
            live,
        });
        self.count.fetch_add(1, Ordering::Release);
        true
    }

    /// Removes client `client`'s watches of `keys`.
    pub fn unwatch(&self, client: u64, keys: &[WatchedKey]) {
        if keys.is_empty() {
            return;
        }
        let mut map = self.keys.lock();
        for k in keys {
            let Some(db) = map.get_mut(&k.db) else {
                continue;
            };
            if let Some(watchers) = db.get_mut(&k.key) {
                let before = watchers.len();
                watchers.retain(|w| w.client != client);
                self.count
                    .fetch_sub(before - watchers.len(), Ordering::Release);
                if watchers.is_empty() {
                    db.remove(&k.key);
                }
            }
        }
    }

    /// `key` in `db` was written: every client watching it will fail its EXEC.
    pub fn touch(&self, db: usize, key: &[u8]) {
        if self.is_empty() {
            return;
        }
        let map = self.keys.lock();
        if let Some(watchers) = map.get(&db).and_then(|keys| keys.get(key)) {
            for w in watchers {
                w.dirty.store(true, Ordering::Release);
            }
        }
    }

    /// The keys watched in database `db`.
    pub fn keys_in(&self, db: usize) -> Vec<Bytes> {
        self.keys
            .lock()
            .get(&db)
            .map(|keys| keys.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Database `db` was emptied (FLUSHDB, FLUSHALL) or swapped (SWAPDB): a watched key
    /// changed if it was live when watched (and has not expired since), or if
    /// `exists_now` says it exists after the swap. Keys that stay missing did not change.
    pub fn touch_db(&self, db: usize, now: u64, exists_now: impl Fn(&[u8]) -> bool) {
        if self.is_empty() {
            return;
        }
        let map = self.keys.lock();
        let Some(keys) = map.get(&db) else {
            return;
        };
        for (key, watchers) in keys {
            let exists = exists_now(key);
            for w in watchers {
                let was_live = matches!(w.live, Some(at) if at.is_none_or(|at| at > now));
                if was_live || exists {
                    w.dirty.store(true, Ordering::Release);
                }
            }
        }
    }
}

/// One client's transaction state (MULTI ... EXEC, WATCH).
#[derive(Debug, Default)]
pub struct TxState {
    /// The queued requests while in MULTI (`None` outside MULTI).
    pub queue: Option<Vec<Vec<Bytes>>>,
    /// A request was refused while queueing (unknown command, wrong arity): EXEC will
    /// answer EXECABORT.
    pub aborted: bool,
    /// Raised by [`Watches::touch`] when a watched key changes: EXEC will answer null.
    pub dirty: Arc<AtomicBool>,
    /// The keys this client watches.
    pub watched: Vec<WatchedKey>,
    /// True while EXEC runs the queue (its commands already hold the exclusive turn).
    pub executing: bool,
    /// Day 5: this EXEC has written `MULTI` to the AOF (at its first change), so `EXEC`
    /// must follow when it ends.
    pub logged_multi: bool,
}

impl TxState {
    /// Whether the client is between MULTI and EXEC/DISCARD.
    pub fn in_multi(&self) -> bool {
        self.queue.is_some()
    }

    /// Whether a watched key changed, or expired by `now`.
    pub fn watch_failed(&self, now: u64) -> bool {
        self.dirty.load(Ordering::Acquire)
            || self
                .watched
                .iter()
                .any(|w| w.expires_at.is_some_and(|at| at <= now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touch_marks_only_the_watchers_of_that_key_in_that_db() {
        let watches = Watches::default();
        let a = Arc::new(AtomicBool::new(false));
        let b = Arc::new(AtomicBool::new(false));
        assert!(watches.watch(0, b"k", 1, &a, None));
        assert!(
            !watches.watch(0, b"k", 1, &a, None),
            "one watch per client and key"
        );
        assert!(watches.watch(1, b"k", 2, &b, None));
        watches.touch(0, b"k");
        assert!(a.load(Ordering::Acquire));
        assert!(!b.load(Ordering::Acquire));
        watches.unwatch(
            2,
            &[WatchedKey {
                db: 1,
                key: Bytes::from_static(b"k"),
                expires_at: None,
            }],
        );
        watches.unwatch(
            1,
            &[WatchedKey {
                db: 0,
                key: Bytes::from_static(b"k"),
                expires_at: None,
            }],
        );
        assert!(watches.is_empty());
    }

    #[test]
    fn flushing_touches_keys_that_were_live() {
        let watches = Watches::default();
        let live = Arc::new(AtomicBool::new(false));
        let missing = Arc::new(AtomicBool::new(false));
        let expired = Arc::new(AtomicBool::new(false));
        watches.watch(0, b"live", 1, &live, Some(None));
        watches.watch(0, b"missing", 2, &missing, None);
        watches.watch(0, b"stale", 3, &expired, Some(Some(5)));
        watches.touch_db(0, 10, |_| false);
        assert!(live.load(Ordering::Acquire));
        assert!(!missing.load(Ordering::Acquire));
        assert!(!expired.load(Ordering::Acquire));
    }
}
