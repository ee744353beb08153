//! Day 4 — the skiplist: a sorted list with O(log n) insert, delete, rank and range.
//!
//! A sorted set must answer "the 10 members after score 3.5" and "the rank of member m"
//! quickly. Redis uses a skiplist (William Pugh, 1990): a linked list sorted by
//! `(score, member)` where each node also carries, with probability 1/4 per extra level,
//! express links that skip ahead. Searching starts on the highest level and drops a level
//! whenever the next step would overshoot, so it visits O(log n) nodes. Each link also
//! stores its **span** (how many nodes it jumps), so adding up spans on the way down gives
//! a node's rank: that is how ZRANK and `ZRANGE 100 110` avoid walking the list.
//!
//! ```text
//! level 2  H ----------------------> c(3) --------> nil
//! level 1  H --------> b(2) -------> c(3) --------> nil
//! level 0  H -> a(1) -> b(2) -> x(2.5) -> c(3) -> d(4) -> nil
//! ```
//!
//! Rust's borrow rules make linked structures awkward with references, and this crate
//! forbids `unsafe`, so the list lives in arrays and links are indices (an *arena*).
//!
//! **The layout is the performance.** A big sorted set does not fit in the CPU cache, so a
//! search costs about one cache miss per node it looks at, and a search looks at ~35 nodes
//! in a set of 100 000. Redis puts a node's links inside the node (`level[]` at the end of
//! `zskiplistNode`), so reading the next node costs one miss. We go one step further:
//! a node of height `h` is `h` consecutive `Slot`s of one array (one slot per level), and
//! each slot holds its link *and the score of the node it leads to*. Comparing against the
//! next node then needs no memory access at all (the score is in the slot we are standing
//! on); only actually moving to it costs a miss. Members and backward links, needed only
//! on a score tie or when reading results, live in a parallel array.

use std::cmp::Ordering;

use super::StrValue;

/// The most levels a node may have (enough for 2^64 elements at p = 1/4).
pub const MAX_LEVEL: usize = 32;
/// "No node": the end of a level, or the header's backward link.
const NIL: u32 = u32::MAX;
/// The header: a node of [`MAX_LEVEL`] slots at index 0, before every element.
const HEAD: u32 = 0;

/// One level of one node: where its link at this level leads, how far, and the score of
/// the node it leads to (a copy, kept in step on every insert and delete).
#[derive(Debug, Clone, Copy)]
struct Slot {
    forward: u32,
    span: u32,
    forward_score: f64,
}

const END: Slot = Slot {
    forward: NIL,
    span: 0,
    forward_score: f64::INFINITY,
};

/// What a node holds besides its links, stored at the index of its first slot.
#[derive(Debug, Clone, Default)]
struct Element {
    member: StrValue,
    score: f64,
    backward: u32,
}

/// A skiplist of `(score, member)` pairs ordered by score, then member bytes.
#[derive(Debug, Clone)]
pub struct SkipList {
    /// Node `x` of height `h` owns `slots[x..x + h]`: slot `x + i` is its level-`i` link.
    slots: Vec<Slot>,
    /// Parallel to `slots`: `elements[x]` is node `x`'s member, score and backward link
    /// (the entries at a node's upper slots are unused).
    elements: Vec<Element>,
    /// `free[h]`: first slots of deleted nodes of height `h`, reused by the next insert of
    /// that height, so the arrays do not grow under churn.
    free: Vec<Vec<u32>>,
    tail: u32,
    len: usize,
    level: usize,
    seed: u64,
}

impl Default for SkipList {
    fn default() -> Self {
        Self::new()
    }
}

/// Compares `(score, member)` pairs the way the skiplist orders them.
#[cfg(test)]
fn cmp(score_a: f64, member_a: &[u8], score_b: f64, member_b: &[u8]) -> Ordering {
    score_a
        .partial_cmp(&score_b)
        .unwrap_or(Ordering::Equal)
        .then_with(|| member_a.cmp(member_b))
}

impl SkipList {
    /// An empty list.
    pub fn new() -> Self {
        let head = Element {
            member: StrValue::default(),
            score: f64::NEG_INFINITY,
            backward: NIL,
        };
        Self {
            slots: vec![END; MAX_LEVEL],
            elements: vec![head; MAX_LEVEL],
            free: vec![Vec::new(); MAX_LEVEL + 1],
            tail: NIL,
            len: 0,
            level: 1,
            seed: 0x9E37_79B9_7F4A_7C15,
        }
    }

    /// How many elements the list holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// A level for a new node: 1, then +1 with probability 1/4 each (xorshift, no locking).
    fn random_level(&mut self) -> usize {
        let mut level = 1;
        loop {
            self.seed ^= self.seed << 13;
            self.seed ^= self.seed >> 7;
            self.seed ^= self.seed << 17;
            if self.seed & 3 != 0 || level >= MAX_LEVEL {
                return level;
            }
            level += 1;
        }
    }

    fn slot(&self, node: u32, level: usize) -> Slot {
        self.slots[node as usize + level]
    }

    fn slot_mut(&mut self, node: u32, level: usize) -> &mut Slot {
        &mut self.slots[node as usize + level]
    }

    /// Whether `slot`'s next node comes before `(score, member)`: decided by the score the
    /// slot carries; the member (a memory access) is read only when the scores are equal.
    fn next_is_before(&self, slot: Slot, score: f64, member: &[u8]) -> bool {
        if slot.forward == NIL {
            return false;
        }
        match slot.forward_score.partial_cmp(&score) {
            Some(Ordering::Less) => true,
            Some(Ordering::Greater) => false,
            _ => self.elements[slot.forward as usize].member.as_ref() < member,
        }
    }

    // ANCHOR: find_update
    /// For each level, the last node before `(score, member)` and its rank.
    fn find_update(&self, score: f64, member: &[u8]) -> ([u32; MAX_LEVEL], [u32; MAX_LEVEL]) {
        let mut update = [HEAD; MAX_LEVEL];
        let mut rank = [0u32; MAX_LEVEL];
        let mut x = HEAD;
        let mut traversed = 0;
        for i in (0..self.level).rev() {
            loop {
                let slot = self.slot(x, i);
                if !self.next_is_before(slot, score, member) {
                    break;
                }
                traversed += slot.span;
                x = slot.forward; // the one memory access of a step
            }
            update[i] = x;
            rank[i] = traversed;
        }
        (update, rank)
    }
    // ANCHOR_END: find_update

    /// A free run of `height` slots: a deleted node's, or new ones at the end.
    fn alloc(&mut self, height: usize) -> u32 {
        if let Some(x) = self.free[height].pop() {
            return x;
        }
        let x = self.slots.len() as u32;
        self.slots.resize(self.slots.len() + height, END);
        self.elements
            .resize(self.elements.len() + height, Element::default());
        x
    }

    // ANCHOR: insert
    /// Inserts `(score, member)`; the caller guarantees the member is not in the list.
    pub fn insert(&mut self, score: f64, member: StrValue) {
        let (mut update, mut rank) = self.find_update(score, &member);
        let level = self.random_level();
        if level > self.level {
            for i in self.level..level {
                rank[i] = 0;
                update[i] = HEAD;
                self.slot_mut(HEAD, i).span = self.len as u32;
            }
            self.level = level;
        }
        let x = self.alloc(level);
        self.elements[x as usize] = Element {
            member,
            score,
            backward: if update[0] == HEAD { NIL } else { update[0] },
        };
        for i in 0..level {
            // x takes over its predecessor's link; the predecessor now leads to x.
            let prev = self.slot(update[i], i);
            *self.slot_mut(x, i) = Slot {
                span: prev.span - (rank[0] - rank[i]),
                ..prev
            };
            *self.slot_mut(update[i], i) = Slot {
                forward: x,
                span: rank[0] - rank[i] + 1,
                forward_score: score,
            };
        }
        for (i, u) in update.iter().enumerate().take(self.level).skip(level) {
            self.slot_mut(*u, i).span += 1;
        }
        let next = self.slot(x, 0).forward;
        if next == NIL {
            self.tail = x;
        } else {
            self.elements[next as usize].backward = x;
        }
        self.len += 1;
    }
    // ANCHOR_END: insert

    /// Removes `(score, member)`; returns whether it was there.
    pub fn delete(&mut self, score: f64, member: &[u8]) -> bool {
        let (update, _) = self.find_update(score, member);
        let x = self.slot(update[0], 0).forward;
        if x == NIL {
            return false;
        }
        let e = &self.elements[x as usize];
        if e.score != score || *e.member != *member {
            return false;
        }
        self.unlink(x, &update);
        true
    }

    fn unlink(&mut self, x: u32, update: &[u32; MAX_LEVEL]) {
        let mut height = 0;
        for (i, &u) in update.iter().enumerate().take(self.level) {
            let prev = self.slot(u, i);
            if prev.forward == x {
                // The predecessor takes over x's link (and the score it carries).
                let own = self.slot(x, i);
                *self.slot_mut(u, i) = Slot {
                    span: prev.span + own.span - 1,
                    ..own
                };
                height = i + 1;
            } else {
                self.slot_mut(u, i).span -= 1;
            }
        }
        let next = self.slot(x, 0).forward;
        let back = self.elements[x as usize].backward;
        if next == NIL {
            self.tail = back;
        } else {
            self.elements[next as usize].backward = back;
        }
        while self.level > 1 && self.slot(HEAD, self.level - 1).forward == NIL {
            self.level -= 1;
        }
        self.elements[x as usize].member = StrValue::default();
        self.free[height].push(x);
        self.len -= 1;
    }

    /// The 1-based rank of `(score, member)`, or 0 if absent.
    pub fn rank(&self, score: f64, member: &[u8]) -> usize {
        let mut rank = 0usize;
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let slot = self.slot(x, i);
                // Move while the next node is at or before (score, member).
                let at_or_before = slot.forward != NIL
                    && match slot.forward_score.partial_cmp(&score) {
                        Some(Ordering::Less) => true,
                        Some(Ordering::Greater) => false,
                        _ => self.elements[slot.forward as usize].member.as_ref() <= member,
                    };
                if !at_or_before {
                    break;
                }
                rank += slot.span as usize;
                x = slot.forward;
            }
            if x != HEAD && *self.elements[x as usize].member == *member {
                return rank;
            }
        }
        0
    }

    /// The node at 0-based position `index`, if any.
    pub fn by_index(&self, index: usize) -> Option<Cursor> {
        if index >= self.len {
            return None;
        }
        let target = index + 1;
        let mut traversed = 0usize;
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let slot = self.slot(x, i);
                if slot.forward != NIL && traversed + slot.span as usize <= target {
                    traversed += slot.span as usize;
                    x = slot.forward;
                } else {
                    break;
                }
            }
            if traversed == target {
                return Some(Cursor(x));
            }
        }
        None
    }

    /// The first node for which `below(score, member)` is false (lower bound search).
    pub fn first_where(&self, below: impl Fn(f64, &[u8]) -> bool) -> Option<Cursor> {
        let next = self.slot(self.last_node_where(below), 0).forward;
        (next != NIL).then_some(Cursor(next))
    }

    /// The last node for which `within(score, member)` holds, when `within` is true on a
    /// prefix of the list (upper bound search).
    pub fn last_where(&self, within: impl Fn(f64, &[u8]) -> bool) -> Option<Cursor> {
        let x = self.last_node_where(within);
        (x != HEAD).then_some(Cursor(x))
    }

    /// The skiplist descent both searches share: from the top level down, move forward while
    /// `holds` is true of the next node. Returns the last node reached (`HEAD` if none holds).
    fn last_node_where(&self, holds: impl Fn(f64, &[u8]) -> bool) -> u32 {
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let slot = self.slot(x, i);
                if slot.forward != NIL {
                    let e = &self.elements[slot.forward as usize];
                    if holds(slot.forward_score, &e.member) {
                        x = slot.forward;
                        continue;
                    }
                }
                break;
            }
        }
        x
    }

    /// The first element.
    pub fn first(&self) -> Option<Cursor> {
        let next = self.slot(HEAD, 0).forward;
        (next != NIL).then_some(Cursor(next))
    }

    /// The last element.
    pub fn last(&self) -> Option<Cursor> {
        (self.tail != NIL).then_some(Cursor(self.tail))
    }

    /// The element after `at`.
    pub fn next(&self, at: Cursor) -> Option<Cursor> {
        let next = self.slot(at.0, 0).forward;
        (next != NIL).then_some(Cursor(next))
    }

    /// The element before `at`.
    pub fn prev(&self, at: Cursor) -> Option<Cursor> {
        let back = self.elements[at.0 as usize].backward;
        (back != NIL).then_some(Cursor(back))
    }

    /// The score and member at `at`.
    pub fn get(&self, at: Cursor) -> (f64, &StrValue) {
        let e = &self.elements[at.0 as usize];
        (e.score, &e.member)
    }
}

/// A position in a [`SkipList`], valid until the list is next modified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor(u32);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_and_order_survive_inserts_and_deletes() {
        let mut list = SkipList::new();
        let mut model: Vec<(f64, Vec<u8>)> = Vec::new();
        for i in 0..500u32 {
            let score = ((i * 7919) % 97) as f64;
            let member = format!("m{i}").into_bytes();
            list.insert(score, StrValue::copy_from_slice(&member));
            model.push((score, member));
        }
        for i in (0..500u32).step_by(3) {
            let score = ((i * 7919) % 97) as f64;
            let member = format!("m{i}").into_bytes();
            assert!(list.delete(score, &member));
            model.retain(|(s, m)| !(*s == score && *m == member));
        }
        model.sort_by(|a, b| cmp(a.0, &a.1, b.0, &b.1));
        assert_eq!(list.len(), model.len());
        for (i, (score, member)) in model.iter().enumerate() {
            assert_eq!(list.rank(*score, member), i + 1);
            let at = list.by_index(i).unwrap();
            assert_eq!(list.get(at).1.as_ref(), member.as_slice());
        }
        let mut back = Vec::new();
        let mut at = list.last();
        while let Some(c) = at {
            back.push(list.get(c).1.clone());
            at = list.prev(c);
        }
        assert_eq!(back.len(), model.len());
        let first_ge_50 = list.first_where(|s, _| s < 50.0).unwrap();
        assert!(list.get(first_ge_50).0 >= 50.0);
    }

    /// Random inserts and deletes with many score ties, checked against a sorted model
    /// after every step: order both ways, ranks, positions, bounds and reuse of freed slots.
    #[test]
    fn random_churn_matches_a_sorted_model() {
        let mut list = SkipList::new();
        let mut model: Vec<(f64, Vec<u8>)> = Vec::new();
        let mut seed = 12345u64;
        let mut next = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            seed >> 33
        };
        for step in 0..3000 {
            let score = (next() % 20) as f64;
            let member = format!("m{}", next() % 300).into_bytes();
            match model.iter().position(|(_, m)| *m == member) {
                Some(i) => {
                    let (old, _) = model.remove(i);
                    assert!(list.delete(old, &member));
                    assert!(!list.delete(old, &member), "deleted twice");
                }
                None => {
                    list.insert(score, StrValue::copy_from_slice(&member));
                    model.push((score, member));
                }
            }
            model.sort_by(|a, b| cmp(a.0, &a.1, b.0, &b.1));
            assert_eq!(list.len(), model.len());
            if step % 97 != 0 {
                continue;
            }
            let forward: Vec<(f64, Vec<u8>)> =
                std::iter::successors(list.first(), |&c| list.next(c))
                    .map(|c| (list.get(c).0, list.get(c).1.to_vec()))
                    .collect();
            assert_eq!(forward, model);
            let backward = std::iter::successors(list.last(), |&c| list.prev(c)).count();
            assert_eq!(backward, model.len());
            for (i, (score, member)) in model.iter().enumerate() {
                assert_eq!(list.rank(*score, member), i + 1);
                let at = list.by_index(i).unwrap();
                assert_eq!(list.get(at).1.as_ref(), member.as_slice());
            }
            let first_ge_10 = model.iter().position(|(s, _)| *s >= 10.0);
            let found = list
                .first_where(|s, _| s < 10.0)
                .map(|c| list.rank(list.get(c).0, list.get(c).1));
            assert_eq!(found, first_ge_10.map(|i| i + 1));
        }
        // Freed runs are reused: churn did not grow the arrays past what the peak needed.
        assert!(list.slots.len() < 300 * 3 + MAX_LEVEL);
    }
}
