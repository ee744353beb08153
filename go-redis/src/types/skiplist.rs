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
//! Rust's borrow rules make doubly linked structures awkward with references, and this
//! crate forbids `unsafe`, so nodes live in a `Vec` and links are indices into it (an
//! *arena*). Index 0 is the header; freed slots are reused through a free list.

use std::cmp::Ordering;

use bytes::Bytes;
use smallvec::{SmallVec, smallvec};

/// The most levels a node may have (enough for 2^64 elements at p = 1/4).
pub const MAX_LEVEL: usize = 32;
/// "No node": the end of a level, or the header's backward link.
const NIL: u32 = u32::MAX;
const HEAD: u32 = 0;

#[derive(Debug, Clone, Copy)]
struct Link {
    forward: u32,
    span: u32,
}

#[derive(Debug, Clone)]
struct Node {
    member: Bytes,
    score: f64,
    backward: u32,
    /// Most nodes have one or two levels: keep those inline, next to the node, so a search
    /// step costs one cache miss instead of two.
    levels: SmallVec<[Link; 2]>,
}

/// A skiplist of `(score, member)` pairs ordered by score, then member bytes.
#[derive(Debug, Clone)]
pub struct SkipList {
    nodes: Vec<Node>,
    free: Vec<u32>,
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
fn cmp(score_a: f64, member_a: &[u8], score_b: f64, member_b: &[u8]) -> Ordering {
    score_a
        .partial_cmp(&score_b)
        .unwrap_or(Ordering::Equal)
        .then_with(|| member_a.cmp(member_b))
}

impl SkipList {
    /// An empty list.
    pub fn new() -> Self {
        let head = Node {
            member: Bytes::new(),
            score: f64::NEG_INFINITY,
            backward: NIL,
            levels: smallvec![Link { forward: NIL, span: 0 }; MAX_LEVEL],
        };
        Self {
            nodes: vec![head],
            free: Vec::new(),
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

    fn link(&self, node: u32, level: usize) -> Link {
        self.nodes[node as usize].levels[level]
    }

    fn link_mut(&mut self, node: u32, level: usize) -> &mut Link {
        &mut self.nodes[node as usize].levels[level]
    }

    /// For each level, the last node before `(score, member)` and its rank.
    fn find_update(&self, score: f64, member: &[u8]) -> ([u32; MAX_LEVEL], [u32; MAX_LEVEL]) {
        let mut update = [HEAD; MAX_LEVEL];
        let mut rank = [0u32; MAX_LEVEL];
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            rank[i] = if i == self.level - 1 { 0 } else { rank[i + 1] };
            loop {
                let next = self.link(x, i);
                if next.forward == NIL {
                    break;
                }
                let n = &self.nodes[next.forward as usize];
                if cmp(n.score, &n.member, score, member) == Ordering::Less {
                    rank[i] += next.span;
                    x = next.forward;
                } else {
                    break;
                }
            }
            update[i] = x;
        }
        (update, rank)
    }

    // ANCHOR: insert
    /// Inserts `(score, member)`; the caller guarantees the member is not in the list.
    pub fn insert(&mut self, score: f64, member: Bytes) {
        let (mut update, mut rank) = self.find_update(score, &member);
        let level = self.random_level();
        if level > self.level {
            for i in self.level..level {
                rank[i] = 0;
                update[i] = HEAD;
                self.link_mut(HEAD, i).span = self.len as u32;
            }
            self.level = level;
        }
        let node = Node {
            member,
            score,
            backward: if update[0] == HEAD { NIL } else { update[0] },
            levels: smallvec![Link { forward: NIL, span: 0 }; level],
        };
        let x = match self.free.pop() {
            Some(slot) => {
                self.nodes[slot as usize] = node;
                slot
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        };
        for i in 0..level {
            let prev = self.link(update[i], i);
            *self.link_mut(x, i) = Link {
                forward: prev.forward,
                span: prev.span - (rank[0] - rank[i]),
            };
            *self.link_mut(update[i], i) = Link {
                forward: x,
                span: rank[0] - rank[i] + 1,
            };
        }
        for (i, u) in update.iter().enumerate().take(self.level).skip(level) {
            self.link_mut(*u, i).span += 1;
        }
        let next = self.link(x, 0).forward;
        if next == NIL {
            self.tail = x;
        } else {
            self.nodes[next as usize].backward = x;
        }
        self.len += 1;
    }
    // ANCHOR_END: insert

    /// Removes `(score, member)`; returns whether it was there.
    pub fn delete(&mut self, score: f64, member: &[u8]) -> bool {
        let (update, _) = self.find_update(score, member);
        let x = self.link(update[0], 0).forward;
        if x == NIL {
            return false;
        }
        let n = &self.nodes[x as usize];
        if n.score != score || n.member != member {
            return false;
        }
        self.unlink(x, &update);
        true
    }

    fn unlink(&mut self, x: u32, update: &[u32; MAX_LEVEL]) {
        for (i, &u) in update.iter().enumerate().take(self.level) {
            let prev = self.link(u, i);
            if prev.forward == x {
                let own = self.link(x, i);
                *self.link_mut(u, i) = Link {
                    forward: own.forward,
                    span: prev.span + own.span - 1,
                };
            } else {
                self.link_mut(u, i).span -= 1;
            }
        }
        let next = self.link(x, 0).forward;
        let back = self.nodes[x as usize].backward;
        if next == NIL {
            self.tail = back;
        } else {
            self.nodes[next as usize].backward = back;
        }
        while self.level > 1 && self.link(HEAD, self.level - 1).forward == NIL {
            self.level -= 1;
        }
        let node = &mut self.nodes[x as usize];
        node.member = Bytes::new();
        node.levels = SmallVec::new();
        self.free.push(x);
        self.len -= 1;
    }

    /// The 1-based rank of `(score, member)`, or 0 if absent.
    pub fn rank(&self, score: f64, member: &[u8]) -> usize {
        let mut rank = 0usize;
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let next = self.link(x, i);
                if next.forward == NIL {
                    break;
                }
                let n = &self.nodes[next.forward as usize];
                if cmp(n.score, &n.member, score, member) != Ordering::Greater {
                    rank += next.span as usize;
                    x = next.forward;
                } else {
                    break;
                }
            }
            if x != HEAD && self.nodes[x as usize].member == member {
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
                let next = self.link(x, i);
                if next.forward != NIL && traversed + next.span as usize <= target {
                    traversed += next.span as usize;
                    x = next.forward;
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
        let next = self.link(self.last_node_where(below), 0).forward;
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
                let next = self.link(x, i).forward;
                if next != NIL {
                    let n = &self.nodes[next as usize];
                    if holds(n.score, &n.member) {
                        x = next;
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
        let next = self.link(HEAD, 0).forward;
        (next != NIL).then_some(Cursor(next))
    }

    /// The last element.
    pub fn last(&self) -> Option<Cursor> {
        (self.tail != NIL).then_some(Cursor(self.tail))
    }

    /// The element after `at`.
    pub fn next(&self, at: Cursor) -> Option<Cursor> {
        let next = self.link(at.0, 0).forward;
        (next != NIL).then_some(Cursor(next))
    }

    /// The element before `at`.
    pub fn prev(&self, at: Cursor) -> Option<Cursor> {
        let back = self.nodes[at.0 as usize].backward;
        (back != NIL).then_some(Cursor(back))
    }

    /// The score and member at `at`.
    pub fn get(&self, at: Cursor) -> (f64, &Bytes) {
        let n = &self.nodes[at.0 as usize];
        (n.score, &n.member)
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
            list.insert(score, Bytes::from(member.clone()));
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
}
