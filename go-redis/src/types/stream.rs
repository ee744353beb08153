//! Day 4 — streams: an append-only log of entries, each named by a time-ordered ID.
//!
//! A stream is Redis's fifth collection type: `XADD` appends an entry (a few field/value
//! pairs) under an ID `<ms>-<seq>` that only ever grows, readers ask for ranges of IDs
//! (`XRANGE`) or for whatever comes after the last ID they saw (`XREAD`), and *consumer
//! groups* hand each entry to one consumer of a group, remembering it as *pending* until
//! the consumer acknowledges it (`XACK`).
//!
//! Redis stores the entries in a radix tree of listpacks: each tree node packs about a
//! hundred entries, their IDs as deltas from the node's first ID, to save memory. What
//! the commands need from that structure is only "ordered by ID, seek to an ID, walk
//! forwards or backwards, delete one", and an ordered map gives exactly those operations
//! in O(log n), so we keep entries in a [`BTreeMap`] from [`StreamId`] to the entry's
//! fields. The *node* boundaries still show through two behaviours clients test for:
//! `XTRIM ~` removes only whole nodes, and XINFO counts them. So the stream remembers
//! where each node began and how full it is ([`Node`]), with Redis's rule for starting a
//! new one (`stream-node-max-entries` entries, deleted ones included, or
//! `stream-node-max-bytes` bytes), without packing anything. Consumer groups and their consumers are ordered maps by name too (Redis's
//! radix trees list them in byte order, and so does a `BTreeMap<Bytes, _>`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use bytes::Bytes;

/// An entry's ID: milliseconds, then a sequence number for entries of the same
/// millisecond. Ordering the struct field by field orders IDs as Redis does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId {
    /// Unix time in milliseconds (or whatever the client chose).
    pub ms: u64,
    /// Sequence number within the millisecond.
    pub seq: u64,
}

impl StreamId {
    /// `0-0`: the smallest ID, never a valid entry ID.
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    /// The largest ID; once a stream's last ID is this, nothing more can be added.
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    /// An ID from its two halves.
    pub const fn new(ms: u64, seq: u64) -> Self {
        StreamId { ms, seq }
    }

    /// The next ID up, or `None` past [`StreamId::MAX`] (checked: IDs come from clients).
    pub fn incr(self) -> Option<StreamId> {
        match self.seq.checked_add(1) {
            Some(seq) => Some(StreamId::new(self.ms, seq)),
            None => Some(StreamId::new(self.ms.checked_add(1)?, 0)),
        }
    }

    /// The next ID down, or `None` below `0-0`.
    pub fn decr(self) -> Option<StreamId> {
        match self.seq.checked_sub(1) {
            Some(seq) => Some(StreamId::new(self.ms, seq)),
            None => Some(StreamId::new(self.ms.checked_sub(1)?, u64::MAX)),
        }
    }

    /// Whether this is `0-0` (Redis's "no ID" marker in several fields).
    pub fn is_zero(self) -> bool {
        self == StreamId::MIN
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// One pending entry of a group: delivered to `consumer`, not acknowledged yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nack {
    /// The consumer it was last delivered to.
    pub consumer: Bytes,
    /// When it was last delivered (Unix ms): XPENDING's idle time and XCLAIM's min-idle.
    pub delivery_time: u64,
    /// How many times it has been delivered.
    pub delivery_count: u64,
}

/// A consumer of a group: when it was last seen, and the IDs it has pending.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Consumer {
    /// When it last read or claimed (Unix ms).
    pub seen_time: u64,
    /// Its own pending IDs (their details live in the group's PEL).
    pub pel: BTreeSet<StreamId>,
}

/// A consumer group: where it is in the stream, and what it delivered but has not had
/// acknowledged (the *pending entries list*, PEL).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Group {
    /// The last ID delivered to any of its consumers; `>` reads after it.
    pub last_id: StreamId,
    /// How many entries the group has read (its logical position, for the lag), or
    /// `None` when that is unknown.
    pub entries_read: Option<u64>,
    /// Every pending entry of the group, by ID.
    pub pel: BTreeMap<StreamId, Nack>,
    /// The consumers, by name.
    pub consumers: BTreeMap<Bytes, Consumer>,
}

impl Group {
    /// A group starting after `last_id`, having read `entries_read` entries.
    pub fn new(last_id: StreamId, entries_read: Option<u64>) -> Self {
        Group {
            last_id,
            entries_read,
            ..Group::default()
        }
    }

    /// The consumer `name`, created if missing; true in `.1` when it was created.
    pub fn consumer(&mut self, name: &[u8], now: u64) -> (&mut Consumer, bool) {
        let created = !self.consumers.contains_key(name);
        let consumer = self
            .consumers
            .entry(Bytes::copy_from_slice(name))
            .or_insert_with(|| Consumer {
                seen_time: now,
                pel: BTreeSet::new(),
            });
        (consumer, created)
    }

    /// Records `id` as delivered to `consumer` at `now` (a new delivery: count 1),
    /// taking it from whichever consumer had it before.
    pub fn deliver(&mut self, id: StreamId, consumer: &[u8], now: u64) {
        let nack = Nack {
            consumer: Bytes::copy_from_slice(consumer),
            delivery_time: now,
            delivery_count: 1,
        };
        if let Some(old) = self.pel.insert(id, nack)
            && let Some(previous) = self.consumers.get_mut(&old.consumer)
        {
            previous.pel.remove(&id);
        }
        self.consumer(consumer, now).0.pel.insert(id);
    }

    /// Acknowledges `id`: true if it was pending.
    pub fn ack(&mut self, id: StreamId) -> bool {
        match self.pel.remove(&id) {
            Some(nack) => {
                if let Some(consumer) = self.consumers.get_mut(&nack.consumer) {
                    consumer.pel.remove(&id);
                }
                true
            }
            None => false,
        }
    }

    /// Deletes a consumer and its pending entries; returns how many it had.
    pub fn delete_consumer(&mut self, name: &[u8]) -> Option<usize> {
        let consumer = self.consumers.remove(name)?;
        for id in &consumer.pel {
            self.pel.remove(id);
        }
        Some(consumer.pel.len())
    }
}

/// How XADD chooses the new entry's ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdRequest {
    /// `*`: the current time, or just after the last ID.
    Auto,
    /// `<ms>-*`: this millisecond, the next free sequence number.
    Ms(u64),
    /// `<ms>-<seq>`: exactly this ID.
    Exact(StreamId),
}

/// Why an entry could not be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AddError {
    /// The ID is not above the stream's last ID.
    #[error("ERR The ID specified in XADD is equal or smaller than the target stream top item")]
    TooSmall,
    /// The last ID is [`StreamId::MAX`].
    #[error("ERR The stream has exhausted the last possible ID, unable to add more items")]
    Exhausted,
}

/// One of Redis's listpack nodes, as far as behaviour depends on it: the entries from
/// its first ID up to the next node's first ID belong to it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Node {
    /// Entries ever put in it (deleted ones still count toward "full", as in Redis).
    pub total: usize,
    /// Roughly the bytes its listpack would hold.
    pub bytes: usize,
}

/// When a new node starts (`stream-node-max-entries`, `stream-node-max-bytes`; 0 = no limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeLimits {
    /// Entries per node.
    pub entries: usize,
    /// Bytes per node.
    pub bytes: usize,
}

impl Default for NodeLimits {
    /// Redis's defaults: 100 entries, 4096 bytes.
    fn default() -> Self {
        NodeLimits {
            entries: 100,
            bytes: 4096,
        }
    }
}

/// A stream: its entries, its counters, and its consumer groups.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stream {
    /// The entries, by ID; each is a flat list `field, value, field, value, ...`.
    pub entries: BTreeMap<StreamId, Vec<Bytes>>,
    /// The largest ID ever added (or set by XSETID); `0-0` if none.
    pub last_id: StreamId,
    /// The largest ID ever deleted by XDEL (Redis's "tombstone" mark); `0-0` if none.
    pub max_deleted_entry_id: StreamId,
    /// How many entries were ever added (XADD count, not the length).
    pub entries_added: u64,
    /// The consumer groups, by name.
    pub groups: BTreeMap<Bytes, Group>,
    /// The nodes, by first ID (see the module documentation).
    pub nodes: BTreeMap<StreamId, Node>,
}

impl Stream {
    /// An empty stream.
    pub fn new() -> Self {
        Stream::default()
    }

    /// How many entries it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it holds no entries (a stream key may exist empty, unlike a list).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The first entry's ID, `0-0` when empty.
    pub fn first_id(&self) -> StreamId {
        self.entries.keys().next().copied().unwrap_or_default()
    }

    // ANCHOR: next_id
    /// The ID XADD gives a new entry, at time `now` (Unix ms). IDs only grow: a clock
    /// that went backwards, or many entries in one millisecond, just bump the sequence.
    pub fn next_id(&self, request: IdRequest, now: u64) -> Result<StreamId, AddError> {
        // ANCHOR: ex_next_id
        if self.last_id == StreamId::MAX {
            return Err(AddError::Exhausted);
        }
        let last = self.last_id;
        let id = match request {
            IdRequest::Auto if now > last.ms => StreamId::new(now, 0),
            IdRequest::Auto => last.incr().ok_or(AddError::Exhausted)?,
            IdRequest::Ms(ms) if ms > last.ms => StreamId::new(ms, 0),
            IdRequest::Ms(ms) if ms == last.ms => {
                StreamId::new(ms, last.seq.checked_add(1).ok_or(AddError::TooSmall)?)
            }
            IdRequest::Ms(_) => return Err(AddError::TooSmall),
            IdRequest::Exact(id) => id,
        };
        if id <= last {
            return Err(AddError::TooSmall);
        }
        Ok(id)
        // ANCHOR_END: ex_next_id
    }
    // ANCHOR_END: next_id

    /// Appends an entry under `id` (which [`Stream::next_id`] chose), in the last node or,
    /// when that is full, in a new one.
    pub fn append(&mut self, id: StreamId, fields: Vec<Bytes>, limits: NodeLimits) {
        let size = fields.iter().map(|f| f.len() + 2).sum::<usize>() + 8;
        let full = match self.nodes.last_key_value() {
            None => true,
            Some((_, node)) => {
                let bytes = if limits.bytes == 0 {
                    usize::MAX
                } else {
                    limits.bytes
                };
                node.bytes + size >= bytes || (limits.entries > 0 && node.total >= limits.entries)
            }
        };
        if full {
            self.nodes.insert(
                id,
                Node {
                    total: 0,
                    bytes: 16,
                },
            );
        }
        if let Some((_, node)) = self.nodes.iter_mut().next_back() {
            node.total += 1;
            node.bytes += size;
        }
        self.entries.insert(id, fields);
        self.last_id = id;
        self.entries_added = self.entries_added.saturating_add(1);
    }

    /// Deletes the entry `id` (XDEL); true if it existed. The stream remembers the
    /// largest deleted ID, which tells the groups' lag computation there is a gap.
    pub fn delete(&mut self, id: StreamId) -> bool {
        if self.entries.remove(&id).is_none() {
            return false;
        }
        // A node whose entries are all gone is freed, as Redis frees the listpack.
        if let Some(start) = self.nodes.range(..=id).next_back().map(|(k, _)| *k)
            && self.node_entries(start).is_empty()
        {
            self.nodes.remove(&start);
        }
        if id > self.max_deleted_entry_id {
            self.max_deleted_entry_id = id;
        }
        true
    }

    /// The entries with IDs in `start..=end`, oldest first (or newest first if `rev`).
    pub fn range(
        &self,
        start: StreamId,
        end: StreamId,
        rev: bool,
    ) -> Box<dyn Iterator<Item = (&StreamId, &Vec<Bytes>)> + '_> {
        if start > end {
            return Box::new(std::iter::empty());
        }
        let range = self.entries.range(start..=end);
        if rev {
            Box::new(range.rev())
        } else {
            Box::new(range)
        }
    }

    /// The IDs of the live entries in the node starting at `start`.
    pub fn node_entries(&self, start: StreamId) -> Vec<StreamId> {
        use std::ops::Bound::{Excluded, Unbounded};
        let end = self
            .nodes
            .range((Excluded(start), Unbounded))
            .next()
            .map_or(Unbounded, |(next, _)| Excluded(*next));
        self.entries
            .range((std::ops::Bound::Included(start), end))
            .map(|(id, _)| *id)
            .collect()
    }

    // ANCHOR: trim
    /// Trims the oldest entries (XTRIM, XADD MAXLEN/MINID), as Redis's `streamTrim`: whole
    /// nodes go first while everything in them must go; then `approx` (`~`) stops, and an
    /// exact trim removes single entries from the next node. `limit` (0 = none) caps how
    /// many entries go, in whole nodes. Returns how many were removed.
    pub fn trim(&mut self, strategy: Trim, approx: bool, limit: usize) -> usize {
        let mut removed = 0;
        while let Some((&start, _)) = self.nodes.first_key_value() {
            let ids = self.node_entries(start);
            if limit > 0 && removed + ids.len() > limit {
                break;
            }
            let whole = match strategy {
                Trim::MaxLen(max) => self.entries.len() - ids.len() >= max,
                Trim::MinId(min) => ids.last().is_none_or(|last| *last < min),
            };
            if whole {
                for id in &ids {
                    self.entries.remove(id);
                }
                self.nodes.remove(&start);
                removed += ids.len();
                continue;
            }
            if approx {
                break;
            }
            for id in ids {
                let must_go = match strategy {
                    Trim::MaxLen(max) => self.entries.len() > max,
                    Trim::MinId(min) => id < min,
                };
                if !must_go {
                    break;
                }
                self.entries.remove(&id);
                removed += 1;
            }
            break;
        }
        removed
    }
    // ANCHOR_END: trim

    /// Whether an entry was deleted (not trimmed) between `start` and the end: then a
    /// group's read counter cannot be advanced by simple counting.
    pub fn has_tombstones_from(&self, start: StreamId) -> bool {
        if self.entries.is_empty() || self.max_deleted_entry_id.is_zero() {
            return false;
        }
        if self.first_id() > self.max_deleted_entry_id {
            return false;
        }
        start <= self.max_deleted_entry_id
    }

    /// How many entries were added up to and including `id`, when that can be known
    /// without walking the stream (Redis's `streamEstimateDistanceFromFirstEverEntry`).
    pub fn entries_read_at(&self, id: StreamId) -> Option<u64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if self.entries.is_empty() && id <= self.last_id {
            return Some(self.entries_added);
        }
        if id == self.last_id {
            return Some(self.entries_added);
        }
        if id > self.last_id {
            return None;
        }
        let first = self.first_id();
        let length = self.entries.len() as u64;
        if self.max_deleted_entry_id.is_zero() || self.max_deleted_entry_id < first {
            if id < first {
                return Some(self.entries_added.saturating_sub(length));
            }
            if id == first {
                return Some(self.entries_added.saturating_sub(length).saturating_add(1));
            }
        }
        None
    }

    /// The group's lag: entries not yet delivered to it, `None` when unknown.
    pub fn lag(&self, group: &Group) -> Option<u64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if let Some(read) = group.entries_read
            && !self.has_tombstones_from(group.last_id)
        {
            return Some(self.entries_added.saturating_sub(read));
        }
        self.entries_read_at(group.last_id)
            .map(|read| self.entries_added.saturating_sub(read))
    }

    /// Advances `group` past entry `id` it is delivering now, keeping its read counter.
    pub fn advance_group(&self, group: &mut Group, id: StreamId) {
        if id <= group.last_id {
            return;
        }
        group.entries_read = match group.entries_read {
            Some(read) if !self.has_tombstones_from(id) => Some(read.saturating_add(1)),
            _ if self.entries_added > 0 => self.entries_read_at(id),
            other => other,
        };
        group.last_id = id;
    }
}

/// What to trim by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trim {
    /// Keep at most this many entries.
    MaxLen(usize),
    /// Drop entries with IDs below this one.
    MinId(StreamId),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_grow_even_when_the_clock_goes_back() {
        let mut s = Stream::new();
        let a = s.next_id(IdRequest::Auto, 100).unwrap();
        s.append(a, vec![], NodeLimits::default());
        let b = s.next_id(IdRequest::Auto, 50).unwrap();
        assert_eq!((a, b), (StreamId::new(100, 0), StreamId::new(100, 1)));
        assert_eq!(
            s.next_id(IdRequest::Exact(StreamId::new(100, 0)), 0),
            Err(AddError::TooSmall)
        );
    }

    #[test]
    fn ids_overflow_into_errors_not_panics() {
        assert_eq!(StreamId::MAX.incr(), None);
        assert_eq!(StreamId::MIN.decr(), None);
        let s = Stream {
            last_id: StreamId::new(5, u64::MAX),
            ..Stream::new()
        };
        assert_eq!(s.next_id(IdRequest::Ms(5), 0), Err(AddError::TooSmall));
        assert_eq!(
            s.next_id(IdRequest::Auto, 0),
            Ok(StreamId::new(6, 0)),
            "the sequence carries into the milliseconds"
        );
    }

    #[test]
    fn approximate_trims_remove_whole_nodes_as_they_were_filled() {
        let mut s = Stream::new();
        let limits = NodeLimits {
            entries: 100,
            bytes: 0,
        };
        for ms in 1..=1000 {
            s.append(StreamId::new(ms, 0), vec![Bytes::from_static(b"f")], limits);
        }
        assert_eq!(s.trim(Trim::MaxLen(666), false, 0), 334);
        assert_eq!(s.trim(Trim::MaxLen(555), false, 0), 111);
        // The first node now holds 55 entries: `~` may drop it, not the next one.
        assert_eq!(s.trim(Trim::MaxLen(444), true, 0), 55);
        assert_eq!(s.len(), 500);
        assert_eq!(s.nodes.len(), 5);
    }
}
