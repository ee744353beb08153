//! Day 1 — LRU: a byte-budgeted least-recently-used cache with O(1) get, add and remove.
//!
//! A cache has to forget something when it is full, and "what was used longest ago" is a
//! simple guess that works well for most workloads. The classic shape is a hash map for
//! finding an entry plus a doubly linked list ordered by use: a hit moves the entry to the
//! front, and eviction takes from the back. Go's geecache uses `container/list` and a map of
//! pointers; safe Rust does the same with *indices*: every entry lives in one `Vec` of slots,
//! `prev`/`next` are slot numbers, and the hash table (hashbrown's `HashTable`) stores only
//! slot numbers, so each key is stored once and no `unsafe` pointer juggling is needed.
//!
//! ```text
//!   table: hash("Tom") ─▶ 2      slots: [0: Jack ⇄] [1: free] [2: Tom ⇄] [3: Sam ⇄]
//!   head (most recent) ─▶ 2 ⇄ 0 ⇄ 3 ◀─ tail (evicted first)
//! ```
//!
//! The budget is in bytes, not entries (`len(key) + value.size()`), because a cache of blobs
//! must bound memory. `max_bytes == 0` means unbounded. Two edge cases of the Go original are
//! fixed: an entry larger than the whole budget used to be added and then evicted along with
//! *everything else*; here it is refused with an error and the cache is untouched. And a
//! byte count that could drift below zero is a `usize` recomputed from stored weights.

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

/// What the LRU stores: anything that knows how many bytes it occupies (Go's `Value`).
pub trait Value {
    /// The number of bytes this value counts for against the budget.
    fn size(&self) -> usize;
}

impl Value for String {
    fn size(&self) -> usize {
        self.len()
    }
}

impl Value for Vec<u8> {
    fn size(&self) -> usize {
        self.len()
    }
}

impl Value for bytes::Bytes {
    fn size(&self) -> usize {
        self.len()
    }
}

/// Why an [`Lru::add`] was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddError {
    /// The entry alone is bigger than the whole budget; adding it would evict everything.
    #[error("entry of {size} bytes exceeds the cache budget of {max_bytes} bytes")]
    TooLarge {
        /// `len(key) + value.size()` of the refused entry.
        size: usize,
        /// The cache's budget.
        max_bytes: usize,
    },
}

/// The callback run for every entry the cache evicts to stay within its budget.
pub type OnEvicted<V> = Box<dyn FnMut(String, V) + Send>;

/// "No slot": the end of the list.
const NIL: usize = usize::MAX;

/// One stored entry.
struct Entry<V> {
    key: String,
    value: V,
    /// `key.len() + value.size()` when it was added: what it counts against the budget.
    weight: usize,
    /// The key's hash, kept so that growing the table or evicting never re-reads the key.
    hash: u64,
}

/// One place in the slot vector: its links, and an entry unless the slot is free.
struct Slot<V> {
    prev: usize,
    next: usize,
    entry: Option<Entry<V>>,
}

/// A least-recently-used cache with a byte budget. Not thread-safe on its own: day 2 wraps it
/// in a mutex.
pub struct Lru<V> {
    max_bytes: usize,
    bytes: usize,
    slots: Vec<Slot<V>>,
    /// Free slot numbers, reused before the vector grows.
    free: Vec<usize>,
    table: HashTable<usize>,
    hasher: DefaultHashBuilder,
    head: usize,
    tail: usize,
    on_evicted: Option<OnEvicted<V>>,
}

impl<V: Value> Lru<V> {
    /// An empty cache holding at most `max_bytes` bytes of keys and values (0 = unbounded).
    pub fn new(max_bytes: usize) -> Self {
        Lru {
            max_bytes,
            bytes: 0,
            slots: Vec::new(),
            free: Vec::new(),
            table: HashTable::new(),
            hasher: DefaultHashBuilder::default(),
            head: NIL,
            tail: NIL,
            on_evicted: None,
        }
    }

    /// Runs `callback(key, value)` for every entry evicted to make room (not for `remove`).
    pub fn with_on_evicted(mut self, callback: impl FnMut(String, V) + Send + 'static) -> Self {
        self.on_evicted = Some(Box::new(callback));
        self
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether the cache holds no entry.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// The bytes currently used: the sum of `len(key) + value.size()` over all entries.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The budget given to [`Lru::new`] (0 = unbounded).
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    fn find(&self, key: &str) -> Option<usize> {
        self.find_hashed(self.hasher.hash_one(key), key)
    }

    fn find_hashed(&self, hash: u64, key: &str) -> Option<usize> {
        let slots = &self.slots;
        self.table
            .find(hash, |&i| {
                slots[i]
                    .entry
                    .as_ref()
                    .is_some_and(|e| e.hash == hash && e.key == key)
            })
            .copied()
    }

    // ANCHOR: get
    /// Looks `key` up and, on a hit, marks it most recently used.
    pub fn get(&mut self, key: &str) -> Option<&V> {
        // ANCHOR: ex_get
        let index = self.find(key)?;
        self.move_to_front(index);
        self.slots[index].entry.as_ref().map(|e| &e.value)
        // ANCHOR_END: ex_get
    }
    // ANCHOR_END: get

    /// Looks `key` up without changing its place in the eviction order.
    pub fn peek(&self, key: &str) -> Option<&V> {
        let index = self.find(key)?;
        self.slots[index].entry.as_ref().map(|e| &e.value)
    }

    /// Whether `key` is cached (does not count as a use).
    pub fn contains(&self, key: &str) -> bool {
        self.find(key).is_some()
    }

    // ANCHOR: add
    /// Adds or replaces `key`, marks it most recently used, then evicts from the back until
    /// the cache is within budget.
    ///
    /// An entry bigger than the whole budget is refused and the cache is left unchanged. A
    /// replaced key is never evicted by its own update: it is at the front, and the loop
    /// stops once only entries that fit remain.
    pub fn add(&mut self, key: impl Into<String> + AsRef<str>, value: V) -> Result<(), AddError> {
        // ANCHOR: ex_add
        let weight = key.as_ref().len() + value.size();
        if self.max_bytes != 0 && weight > self.max_bytes {
            return Err(AddError::TooLarge {
                size: weight,
                max_bytes: self.max_bytes,
            });
        }
        // Hash once: the same hash finds an existing entry or places the new one.
        let hash = self.hasher.hash_one(key.as_ref());
        if let Some(index) = self.find_hashed(hash, key.as_ref()) {
            if let Some(entry) = self.slots[index].entry.as_mut() {
                self.bytes = self.bytes - entry.weight + weight;
                entry.value = value;
                entry.weight = weight;
            }
            self.move_to_front(index);
        } else {
            let key: String = key.into();
            let index = self.alloc(Entry {
                key,
                value,
                weight,
                hash,
            });
            let slots = &self.slots;
            self.table.insert_unique(hash, index, |&i| {
                slots[i].entry.as_ref().map_or(0, |e| e.hash)
            });
            self.push_front(index);
            self.bytes += weight;
        }
        while self.max_bytes != 0 && self.bytes > self.max_bytes {
            if !self.remove_oldest() {
                break;
            }
        }
        Ok(())
        // ANCHOR_END: ex_add
    }
    // ANCHOR_END: add

    /// Removes `key` and returns its value (no eviction callback: the caller asked for it).
    pub fn remove(&mut self, key: &str) -> Option<V> {
        let index = self.find(key)?;
        self.take(index).map(|e| e.value)
    }

    // ANCHOR: remove_oldest
    /// Evicts the least recently used entry and hands it to the eviction callback; returns
    /// whether there was one to evict.
    pub fn remove_oldest(&mut self) -> bool {
        // ANCHOR: ex_remove_oldest
        let Some(entry) = self.take(self.tail) else {
            return false;
        };
        if let Some(callback) = self.on_evicted.as_mut() {
            callback(entry.key, entry.value);
        }
        true
        // ANCHOR_END: ex_remove_oldest
    }
    // ANCHOR_END: remove_oldest

    /// Keys from most to least recently used (for tests and debugging; O(n)).
    pub fn keys(&self) -> Vec<&str> {
        let mut keys = Vec::with_capacity(self.len());
        let mut at = self.head;
        while at != NIL {
            if let Some(e) = self.slots[at].entry.as_ref() {
                keys.push(e.key.as_str());
            }
            at = self.slots[at].next;
        }
        keys
    }

    /// Unlinks slot `index`, removes it from the table and frees it; returns its entry.
    fn take(&mut self, index: usize) -> Option<Entry<V>> {
        let entry = self.slots.get_mut(index)?.entry.take()?;
        self.unlink(index);
        if let Ok(found) = self.table.find_entry(entry.hash, |&i| i == index) {
            found.remove();
        }
        self.free.push(index);
        self.bytes -= entry.weight;
        Some(entry)
    }

    /// Puts `entry` in a free slot (or a new one) and returns the slot number.
    fn alloc(&mut self, entry: Entry<V>) -> usize {
        let slot = Slot {
            prev: NIL,
            next: NIL,
            entry: Some(entry),
        };
        match self.free.pop() {
            Some(index) => {
                self.slots[index] = slot;
                index
            }
            None => {
                self.slots.push(slot);
                self.slots.len() - 1
            }
        }
    }

    fn unlink(&mut self, index: usize) {
        let (prev, next) = (self.slots[index].prev, self.slots[index].next);
        if prev == NIL {
            self.head = next;
        } else {
            self.slots[prev].next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            self.slots[next].prev = prev;
        }
        self.slots[index].prev = NIL;
        self.slots[index].next = NIL;
    }

    fn push_front(&mut self, index: usize) {
        self.slots[index].prev = NIL;
        self.slots[index].next = self.head;
        if self.head != NIL {
            self.slots[self.head].prev = index;
        }
        self.head = index;
        if self.tail == NIL {
            self.tail = index;
        }
    }

    fn move_to_front(&mut self, index: usize) {
        if self.head != index {
            self.unlink(index);
            self.push_front(index);
        }
    }
}

impl<V> std::fmt::Debug for Lru<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lru")
            .field("entries", &self.table.len())
            .field("bytes", &self.bytes)
            .field("max_bytes", &self.max_bytes)
            .finish()
    }
}
