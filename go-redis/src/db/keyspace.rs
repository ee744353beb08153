//! Day 3 — the keyspace: one database's keys, split into shards that lock independently.
//!
//! godis keeps a database in a `ConcurrentDict`: a map split into shards, each behind its
//! own lock, so two clients touching different keys rarely wait for each other. We do the
//! same: a key's hash picks its shard, and each shard is a [`Mutex`] around an ordinary
//! map. A command never locks shards one at a time as it goes (two commands doing that in
//! opposite orders deadlock); instead the command table says which arguments are keys,
//! and [`Db::lock`] takes all their shards up front, **in ascending shard order**, the
//! classic deadlock-free discipline. The command then works on a [`Locked`] view as if it
//! were alone: multi-key commands like RENAME or SMOVE are atomic for free.
//!
//! Expiry is stored with each entry (`expires_at`, Unix milliseconds) and checked on every
//! access (*lazy* expiry: an expired key is deleted the moment someone looks at it). Each
//! shard also keeps the set of keys that have a TTL, so day 4's active expiry
//! ([`super::expire`]) can sample them without scanning the whole keyspace.

use std::collections::VecDeque;
use std::hash::BuildHasher;

use bytes::Bytes;
use indexmap::{IndexMap, IndexSet};
use parking_lot::{Mutex, MutexGuard};
use smallvec::SmallVec;

use super::StrValue;
use crate::types::ZSet;

/// The hasher of every map in the server (fast, seeded per map: no hash flooding).
pub type Hasher = foldhash::fast::RandomState;
/// A list value: a deque of elements, each a [`StrValue`] (no allocation for a short one).
pub type ListValue = VecDeque<StrValue>;
/// A hash value (HSET): field → value, in insertion order with O(1) random access.
pub type HashValue = IndexMap<StrValue, StrValue, Hasher>;
/// A set value (SADD).
pub type SetValue = IndexSet<StrValue, Hasher>;

/// A key as the keyspace stores it. Keys are usually short (`user:1000`, `counter:42`), so
/// up to 24 bytes live inline, inside the map's entry: no allocation per key, and comparing
/// a key during a lookup reads the cache line the lookup has already brought in. A key read
/// from a separate heap block instead costs one more cache miss per command, which measured
/// as an eighth of INCR's time over 100 000 keys. Longer keys spill to the heap.
pub type Key = SmallVec<[u8; 24]>;

/// How many shards a database has (a power of two).
pub const SHARDS: usize = 16;

/// A value of one of Redis's types.
#[derive(Debug, Clone)]
pub enum Value {
    /// A binary-safe string (also integers and floats, as text); short ones inline.
    Str(StrValue),
    /// A list (LPUSH, RPOP, ...); short elements inline, as short strings are.
    List(ListValue),
    /// A hash (boxed, like the sorted set: an `IndexMap` is 64 bytes, and an unboxed one
    /// would make every entry of the keyspace, strings included, that much bigger).
    Hash(Box<HashValue>),
    /// A set (boxed, for the same reason).
    Set(Box<SetValue>),
    /// A sorted set.
    ZSet(Box<ZSet>),
    /// Day 4: streams. A stream (boxed like the other collections).
    Stream(Box<crate::types::Stream>),
}

impl Value {
    /// The name TYPE answers.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
            Value::Stream(_) => "stream", // Day 4: streams
        }
    }
}

/// A key's value, its expiry time, and when it was last used.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The value.
    pub value: Value,
    /// When it expires, in Unix milliseconds, if ever.
    pub expires_at: Option<u64>,
    /// When a command last read or wrote it, in Unix seconds (OBJECT IDLETIME; Redis keeps
    /// the same clock, at the same one-second resolution, in each object's `lru` field).
    /// Commands that only *look* at a key (TYPE, TTL, EXISTS, OBJECT) leave it alone.
    pub accessed: u32,
}

impl Entry {
    /// An entry used just now (RESTORE, loading a file, a key migrated from another node).
    pub fn new(value: Value, expires_at: Option<u64>) -> Self {
        Entry {
            value,
            expires_at,
            accessed: unix_secs(super::now_ms()),
        }
    }

    /// Seconds since the entry was last used, at time `now` (Unix ms).
    pub fn idle_secs(&self, now: u64) -> u64 {
        u64::from(unix_secs(now).saturating_sub(self.accessed))
    }
}

/// Unix milliseconds to the seconds an [`Entry`] stores (32 bits last until 2106).
pub fn unix_secs(ms: u64) -> u32 {
    u32::try_from(ms / 1000).unwrap_or(u32::MAX)
}

/// One shard: a map of keys plus the keys among them that have a TTL.
#[derive(Debug, Default)]
pub struct Shard {
    pub(crate) map: IndexMap<Key, Entry, Hasher>,
    pub(crate) expires: IndexSet<Key, Hasher>,
    /// Day 5: keys deleted because their TTL passed, until the command that holds this
    /// shard logs them to the AOF as `DEL` ([`Locked::drain_expired`]).
    pub(crate) expired: Vec<Bytes>,
}

impl Shard {
    // ANCHOR: lookup
    /// The live entry of `key` at time `now`; an expired one is deleted on the spot.
    pub fn lookup(&mut self, key: &[u8], now: u64) -> Option<&mut Entry> {
        // ANCHOR: ex_lookup
        let index = self.map.get_index_of(key)?;
        let expired = self.map[index].expires_at.is_some_and(|at| at <= now);
        if expired {
            self.map.swap_remove_index(index);
            self.expires.swap_remove(key);
            return None;
        }
        Some(&mut self.map[index])
        // ANCHOR_END: ex_lookup
    }
    // ANCHOR_END: lookup

    /// The index of `key`'s live entry (an expired one is deleted first), if any.
    pub fn live_index(&mut self, key: &[u8], now: u64) -> Option<usize> {
        let index = self.map.get_index_of(key)?;
        if self.map[index].expires_at.is_some_and(|at| at <= now) {
            if let Some((key, _)) = self.map.swap_remove_index(index) {
                self.expires.swap_remove(&key);
                self.expired.push(Bytes::copy_from_slice(&key)); // Day 5: logged as DEL
            }
            return None;
        }
        Some(index)
    }

    /// Day 5: notes `key` in `Shard::expired` if it is present but expired at `now` (the
    /// caller is about to look it up, which deletes it).
    fn note_if_expired(&mut self, key: &[u8], now: u64) {
        if let Some((_, stored, entry)) = self.map.get_full(key)
            && entry.expires_at.is_some_and(|at| at <= now)
        {
            self.expired.push(Bytes::copy_from_slice(stored));
        }
    }

    /// Stores `value` under `key` at time `now`, dropping any TTL unless `keep_ttl`.
    pub fn store(&mut self, key: &[u8], value: Value, keep_ttl: bool, now: u64) {
        if let Some(entry) = self.map.get_mut(key) {
            entry.value = value;
            entry.accessed = unix_secs(now);
            if !keep_ttl && entry.expires_at.take().is_some() {
                self.expires.swap_remove(key);
            }
        } else {
            self.map.insert(
                Key::from_slice(key),
                Entry {
                    value,
                    expires_at: None,
                    accessed: unix_secs(now),
                },
            );
        }
    }

    /// Inserts a whole entry (value and TTL) under `key`, replacing what was there.
    pub fn put_entry(&mut self, key: &[u8], entry: Entry) {
        let key = Key::from_slice(key);
        if entry.expires_at.is_some() {
            self.expires.insert(key.clone());
        } else {
            self.expires.swap_remove(&key);
        }
        self.map.insert(key, entry);
    }

    /// Removes `key` and returns its entry (even if expired: the caller checks). An entry
    /// whose TTL had passed is noted in `Shard::expired` (day 5: logged as `DEL`).
    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        let now = super::now_ms();
        let (key, entry) = self.take(key)?;
        if entry.expires_at.is_some_and(|at| at <= now) {
            self.expired.push(Bytes::copy_from_slice(&key));
        }
        Some(entry)
    }

    /// Removes `key`, returning the stored key and its entry, noting nothing.
    fn take(&mut self, key: &[u8]) -> Option<(Key, Entry)> {
        let (_, key, entry) = self.map.swap_remove_full(key)?;
        if entry.expires_at.is_some() {
            self.expires.swap_remove(&key);
        }
        Some((key, entry))
    }

    /// Sets or clears the expiry of an existing `key`.
    pub fn set_expiry(&mut self, key: &[u8], at: Option<u64>) {
        let Some((_, stored_key, entry)) = self.map.get_full_mut(key) else {
            return;
        };
        entry.expires_at = at;
        if at.is_some() {
            let stored_key = stored_key.clone();
            self.expires.insert(stored_key);
        } else {
            self.expires.swap_remove(key);
        }
    }

    /// How many keys (including expired ones not yet collected).
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the shard holds no keys.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Drops every key.
    pub fn clear(&mut self) {
        self.map.clear();
        self.expires.clear();
    }
}

/// One database (SELECT 0..15): [`SHARDS`] independently locked shards.
#[derive(Debug)]
pub struct Db {
    shards: Box<[Mutex<Shard>]>,
    router: foldhash::fast::FixedState,
    /// Reads by read-only commands that found their key (INFO `keyspace_hits`, summed
    /// over the databases; Redis counts only its read lookups, so do we).
    hits: std::sync::atomic::AtomicU64,
    /// Reads by read-only commands that did not (INFO `keyspace_misses`).
    misses: std::sync::atomic::AtomicU64,
}

impl Default for Db {
    fn default() -> Self {
        Self::new()
    }
}

impl Db {
    /// An empty database.
    pub fn new() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            router: foldhash::fast::FixedState::with_seed(0x5EED),
            hits: std::sync::atomic::AtomicU64::new(0),
            misses: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// The shard a key lives in.
    pub fn shard_of(&self, key: &[u8]) -> usize {
        (self.router.hash_one(key) as usize) & (SHARDS - 1)
    }

    /// Locks one shard by index.
    pub fn lock_shard(&self, index: usize) -> MutexGuard<'_, Shard> {
        self.shards[index].lock()
    }

    // ANCHOR: lock
    /// Locks the shards of `keys` (in ascending order, so no two commands deadlock) and
    /// returns a view in which those keys can be read and written.
    pub fn lock<'k>(&self, keys: impl Iterator<Item = &'k [u8]>, now: u64) -> Locked<'_> {
        let mut wanted = [false; SHARDS];
        let mut count = 0;
        let mut only = 0;
        for key in keys {
            let s = self.shard_of(key);
            if !wanted[s] {
                wanted[s] = true;
                count += 1;
                only = s;
            }
        }
        let guards = match count {
            0 => Guards::None,
            1 => Guards::One(only, self.shards[only].lock()),
            _ => Guards::Many(
                (0..SHARDS)
                    .filter(|&s| wanted[s])
                    .map(|s| (s, self.shards[s].lock()))
                    .collect(),
            ),
        };
        Locked {
            db: self,
            guards,
            now,
            count_reads: false,
        }
    }
    // ANCHOR_END: lock

    /// Locks every shard (KEYS, SCAN, DBSIZE, FLUSHDB).
    pub fn lock_all(&self, now: u64) -> Locked<'_> {
        Locked {
            db: self,
            guards: Guards::Many((0..SHARDS).map(|s| (s, self.shards[s].lock())).collect()),
            now,
            count_reads: false,
        }
    }

    /// Number of keys (expired ones not yet collected included, as Redis's DBSIZE).
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().len()).sum()
    }

    /// Whether the database has no keys.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Keyspace hits and misses counted in this database: lookups by read-only commands.
    pub fn read_stats(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        (self.hits.load(Relaxed), self.misses.load(Relaxed))
    }

    /// Zeroes the keyspace hits and misses (CONFIG RESETSTAT).
    pub fn reset_read_stats(&self) {
        use std::sync::atomic::Ordering::Relaxed;
        self.hits.store(0, Relaxed);
        self.misses.store(0, Relaxed);
    }

    /// Number of keys with a TTL.
    pub fn expires_len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().expires.len()).sum()
    }

    /// Drops every key.
    pub fn clear(&self) {
        for shard in self.shards.iter() {
            shard.lock().clear();
        }
    }

    /// Exchanges the contents of two databases (SWAPDB). The caller passes them in a fixed
    /// order (lower DB number first) so concurrent swaps cannot deadlock.
    pub fn swap_with(&self, other: &Db) {
        for (a, b) in self.shards.iter().zip(other.shards.iter()) {
            let mut a = a.lock();
            let mut b = b.lock();
            std::mem::swap(&mut *a, &mut *b);
        }
    }

    /// The shards, for the active-expiry sampler.
    pub(crate) fn shards(&self) -> &[Mutex<Shard>] {
        &self.shards
    }
}

/// The shard guards a command holds, in ascending shard order. Up to [`SHARDS`] of them fit
/// inline, so locking several shards (MSET) allocates nothing.
type GuardList<'a> = SmallVec<[(usize, MutexGuard<'a, Shard>); SHARDS]>;

#[allow(clippy::large_enum_variant)] // on the stack on purpose: no allocation per command
enum Guards<'a> {
    None,
    One(usize, MutexGuard<'a, Shard>),
    Many(GuardList<'a>),
}

/// A database with some of its shards locked: what a command works on.
pub struct Locked<'a> {
    db: &'a Db,
    guards: Guards<'a>,
    /// The time the command runs at (Unix ms): every expiry check in it uses the same instant.
    pub now: u64,
    /// Whether lookups count as keyspace hits or misses: set for read-only commands, as
    /// Redis counts only its read lookups.
    pub count_reads: bool,
}

impl<'a> Locked<'a> {
    /// The locked shard holding `key`.
    pub fn shard(&mut self, key: &[u8]) -> &mut Shard {
        let s = self.db.shard_of(key);
        self.shard_at(s)
    }

    fn shard_at(&mut self, s: usize) -> &mut Shard {
        let position = match &self.guards {
            Guards::None => None,
            Guards::One(i, _) => (*i == s).then_some(0),
            Guards::Many(list) => list.iter().position(|(i, _)| *i == s),
        };
        if let Some(pos) = position {
            return match &mut self.guards {
                Guards::One(_, g) => g,
                Guards::Many(list) => &mut list[pos].1,
                Guards::None => unreachable!("a position was found"),
            };
        }
        {
            // The command table did not declare this key: a bug, caught in debug builds.
            // In release we still lock it (the caller's other locks are held, so this could
            // only deadlock against another such bug) rather than fail the command.
            debug_assert!(false, "shard {s} used without being locked");
            let guard = self.db.shards[s].lock();
            let mut list: GuardList<'a> = match std::mem::replace(&mut self.guards, Guards::None) {
                Guards::None => SmallVec::new(),
                Guards::One(i, g) => smallvec::smallvec![(i, g)],
                Guards::Many(list) => list,
            };
            list.push((s, guard));
            self.guards = Guards::Many(list);
        }
        match &mut self.guards {
            Guards::One(_, g) => g,
            Guards::Many(list) => {
                let pos = list.iter().position(|(i, _)| *i == s).unwrap_or(0);
                &mut list[pos].1
            }
            Guards::None => unreachable!("a guard was just pushed"),
        }
    }

    /// The live entry of `key`, if any (lazy expiry applies), marked as used now.
    pub fn entry(&mut self, key: &[u8]) -> Option<&mut Entry> {
        self.read(key, true)
    }

    /// [`Locked::entry`] for commands that only look at a key (TYPE, TTL, EXISTS, OBJECT):
    /// its last-access time stays as it was (Redis's `LOOKUP_NOTOUCH`).
    pub fn peek(&mut self, key: &[u8]) -> Option<&mut Entry> {
        self.read(key, false)
    }

    /// The live entry of `key` (an expired one is deleted and, day 5, noted for the AOF),
    /// marked as used now if `touch`, counted as a keyspace hit or miss for a read-only
    /// command.
    fn read(&mut self, key: &[u8], touch: bool) -> Option<&mut Entry> {
        let (now, count, db) = (self.now, self.count_reads, self.db);
        let shard = self.shard(key);
        if !shard.expires.is_empty() {
            shard.note_if_expired(key, now); // Day 5: an expiry is logged as DEL
        }
        let entry = shard.lookup(key, now);
        if count {
            let counter = if entry.is_some() {
                &db.hits
            } else {
                &db.misses
            };
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        let entry = entry?;
        if touch {
            entry.accessed = unix_secs(now);
        }
        Some(entry)
    }

    /// The live value of `key`, if any.
    pub fn get(&mut self, key: &[u8]) -> Option<&mut Value> {
        self.entry(key).map(|e| &mut e.value)
    }

    /// The live value of `key`, inserting `make()` first if the key is missing: one hash
    /// lookup on the common path (the key exists), unlike `exists` + `set` + `get`.
    pub fn get_or_insert_with(&mut self, key: &[u8], make: impl FnOnce() -> Value) -> &mut Value {
        let now = self.now;
        let shard = self.shard(key);
        let index = match shard.live_index(key, now) {
            Some(index) => {
                shard.map[index].accessed = unix_secs(now);
                index
            }
            None => {
                let entry = Entry {
                    value: make(),
                    expires_at: None,
                    accessed: unix_secs(now),
                };
                shard.map.insert_full(Key::from_slice(key), entry).0
            }
        };
        &mut shard.map[index].value
    }

    /// Whether `key` exists.
    pub fn exists(&mut self, key: &[u8]) -> bool {
        self.entry(key).is_some()
    }

    /// Stores `value` under `key`; any TTL is dropped unless `keep_ttl`.
    pub fn set(&mut self, key: &[u8], value: Value, keep_ttl: bool) {
        let now = self.now;
        self.shard(key).store(key, value, keep_ttl, now);
    }

    /// Removes `key`, returning its entry if it was live.
    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        let now = self.now;
        let shard = self.shard(key);
        let (key, entry) = shard.take(key)?;
        if entry.expires_at.is_some_and(|at| at <= now) {
            shard.expired.push(Bytes::copy_from_slice(&key)); // Day 5: logged as DEL
            return None;
        }
        Some(entry)
    }

    /// Day 5: hands every key the held shards deleted because their TTL passed to `f` (the
    /// AOF logs each as `DEL`), and forgets them.
    pub fn drain_expired(&mut self, mut f: impl FnMut(Bytes)) {
        let mut drain = |shard: &mut Shard| {
            for key in shard.expired.drain(..) {
                f(key);
            }
        };
        match &mut self.guards {
            Guards::None => {}
            Guards::One(_, g) => {
                if !g.expired.is_empty() {
                    drain(g);
                }
            }
            Guards::Many(list) => {
                for (_, g) in list.iter_mut() {
                    if !g.expired.is_empty() {
                        drain(g);
                    }
                }
            }
        }
    }

    /// Puts a whole entry (value + TTL) under `key`.
    pub fn put_entry(&mut self, key: &[u8], entry: Entry) {
        self.shard(key).put_entry(key, entry);
    }

    /// Sets or clears the TTL of an existing key.
    pub fn set_expiry(&mut self, key: &[u8], at: Option<u64>) {
        self.shard(key).set_expiry(key, at);
    }

    /// Every shard this view holds, for whole-database commands.
    pub fn shards_mut(&mut self) -> impl Iterator<Item = &mut Shard> {
        let list: Vec<&mut Shard> = match &mut self.guards {
            Guards::None => Vec::new(),
            Guards::One(_, g) => vec![&mut **g],
            Guards::Many(list) => list.iter_mut().map(|(_, g)| &mut **g).collect(),
        };
        list.into_iter()
    }

    /// The shard at position `index` among those held (for SCAN), if any.
    pub fn held_shard(&mut self, index: usize) -> Option<&mut Shard> {
        match &mut self.guards {
            Guards::Many(list) => list.get_mut(index).map(|(_, g)| &mut **g),
            Guards::One(_, g) if index == 0 => Some(&mut **g),
            _ => None,
        }
    }
}
