//! Day 4 — Consistent hashing: a ring of virtual nodes that says which peer owns a key.
//!
//! A cache spread over N peers must send every request for a key to the same peer, or each
//! peer ends up loading (and storing) everything. `hash(key) % N` does that until N changes:
//! then almost every key moves. A consistent-hash ring moves only about 1/(N+1) of the keys
//! when a peer joins. Each peer is hashed onto a circle of `u32` values many times (its
//! *virtual nodes*, so the arcs even out), and a key belongs to the first virtual node at or
//! after the key's own hash, wrapping around at the end:
//!
//! ```text
//!   0 ──── A#0 ──── B#1 ──── A#1 ──── C#0 ──── B#0 ──── u32::MAX ─┐
//!               key (hash 0x1234) ──▶ B#1: peer B owns it        │
//!   └────────────────────────── wraps to A#0 ◀───────────────────┘
//! ```
//!
//! Three bugs of the Go original are fixed here (each has a regression test): virtual-node
//! names were `"{i}{node}"`, so node `"x"`'s 10th replica and node `"0x"`'s 1st are both
//! `"10x"`; two virtual nodes with the same hash silently overwrote each other; and adding a
//! node twice doubled its share. The ring lives in `common` because go-redis's cluster uses it
//! too. It is a plain value (`Send + Sync`): readers share it behind an `Arc` or `RwLock`.

use std::collections::BTreeSet;

/// A hash function from bytes to a point on the ring (Go's `consistenthash.Hash`).
///
/// A plain `fn` pointer keeps the ring `Copy`-cheap to configure, `Send` and `Sync`; the
/// default is CRC-32 (IEEE), the one groupcache uses, so our owners match Go's.
pub type HashFn = fn(&[u8]) -> u32;

/// CRC-32 (IEEE) of `data`: Go's `crc32.ChecksumIEEE`, the ring's default hash.
pub fn crc32(data: &[u8]) -> u32 {
    crc32fast::hash(data)
}

/// How the name of virtual node `i` of `node` is spelled before it is hashed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum VnodeNaming {
    /// `"{node}#{i}"`: unambiguous, because `#` separates the two parts. The default.
    #[default]
    Separated,
    /// `"{i}{node}"`: what Go's geecache and groupcache hash. Ambiguous (`1`+`0x` = `10`+`x`),
    /// but needed to agree with a ring of Go groupcache nodes on who owns a key.
    GoPrefix,
}

impl VnodeNaming {
    /// The bytes hashed for virtual node `i` of `node`.
    pub fn name(self, node: &str, i: usize) -> String {
        match self {
            VnodeNaming::Separated => format!("{node}#{i}"),
            VnodeNaming::GoPrefix => format!("{i}{node}"),
        }
    }
}

/// A consistent-hash ring of named nodes, each present as `replicas` virtual nodes.
#[derive(Clone, Debug)]
pub struct Ring {
    hash: HashFn,
    replicas: usize,
    naming: VnodeNaming,
    /// The virtual nodes, sorted by hash: (hash, index into `nodes`). Hashes are unique.
    vnodes: Vec<(u32, usize)>,
    /// The distinct nodes, in the order they were added.
    nodes: Vec<String>,
    /// How many virtual nodes were dropped because their hash was already taken.
    collisions: usize,
}

impl Ring {
    /// An empty ring with `replicas` virtual nodes per node (at least 1), CRC-32 and
    /// unambiguous virtual-node names.
    pub fn new(replicas: usize) -> Self {
        Self::with_hash(replicas, crc32)
    }

    /// An empty ring with a custom hash function (tests use one that makes positions obvious).
    pub fn with_hash(replicas: usize, hash: HashFn) -> Self {
        Ring {
            hash,
            replicas: replicas.max(1),
            naming: VnodeNaming::default(),
            vnodes: Vec::new(),
            nodes: Vec::new(),
            collisions: 0,
        }
    }

    /// The ring groupcache builds: CRC-32 of `"{i}{peer_url}"`, 50 replicas, so a Rust node
    /// and Go nodes given the same peer list agree on every key's owner.
    pub fn groupcache() -> Self {
        Self::new(50).naming(VnodeNaming::GoPrefix)
    }

    /// Sets how virtual nodes are named. Call it before adding nodes.
    pub fn naming(mut self, naming: VnodeNaming) -> Self {
        self.naming = naming;
        self.rebuild();
        self
    }

    // ANCHOR: add
    /// Adds nodes to the ring. A node already present is ignored (no doubled share).
    pub fn add<S: AsRef<str>>(&mut self, nodes: impl IntoIterator<Item = S>) {
        let before = self.nodes.len();
        for node in nodes {
            let node = node.as_ref();
            if !self.nodes.iter().any(|n| n == node) {
                self.nodes.push(node.to_owned());
            }
        }
        if self.nodes.len() != before {
            self.rebuild();
        }
    }
    // ANCHOR_END: add

    /// Removes a node and all its virtual nodes; returns whether it was there.
    pub fn remove(&mut self, node: &str) -> bool {
        let before = self.nodes.len();
        self.nodes.retain(|n| n != node);
        let removed = self.nodes.len() != before;
        if removed {
            self.rebuild();
        }
        removed
    }

    // ANCHOR: rebuild
    /// Recomputes every virtual node from `nodes`, detecting hash collisions.
    ///
    /// Rebuilding from scratch makes the result independent of the order nodes were added
    /// or removed in: two peers with the same list build the same ring. On a collision the
    /// virtual node of the smaller node name keeps the point, for the same reason.
    fn rebuild(&mut self) {
        // ANCHOR: ex_rebuild
        let mut vnodes: Vec<(u32, usize)> = Vec::with_capacity(self.nodes.len() * self.replicas);
        for (index, node) in self.nodes.iter().enumerate() {
            for i in 0..self.replicas {
                let name = self.naming.name(node, i);
                vnodes.push(((self.hash)(name.as_bytes()), index));
            }
        }
        // Sort by hash, and for equal hashes by node name, so dedup keeps the smallest name.
        let nodes = &self.nodes;
        vnodes.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| nodes[a.1].cmp(&nodes[b.1])));
        let total = vnodes.len();
        vnodes.dedup_by_key(|v| v.0);
        self.collisions = total - vnodes.len();
        self.vnodes = vnodes;
        // ANCHOR_END: ex_rebuild
    }
    // ANCHOR_END: rebuild

    // ANCHOR: get
    /// The node that owns `key`, or `None` when the ring is empty.
    pub fn get(&self, key: impl AsRef<[u8]>) -> Option<&str> {
        // ANCHOR: ex_get
        if self.vnodes.is_empty() {
            return None;
        }
        let hash = (self.hash)(key.as_ref());
        // The first virtual node at or after the key's hash; past the end wraps to the start.
        let at = self.vnodes.partition_point(|&(h, _)| h < hash);
        let (_, node) = self.vnodes[at % self.vnodes.len()];
        Some(self.nodes[node].as_str())
        // ANCHOR_END: ex_get
    }
    // ANCHOR_END: get

    /// The distinct nodes on the ring, in the order they were added.
    pub fn nodes(&self) -> &[String] {
        &self.nodes
    }

    /// How many virtual nodes the ring holds (replicas × nodes, minus collisions).
    pub fn vnode_count(&self) -> usize {
        self.vnodes.len()
    }

    /// How many virtual nodes were dropped because another one had the same hash.
    pub fn collisions(&self) -> usize {
        self.collisions
    }

    /// Whether the ring has no node.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The distinct hash points of the ring, for tests and diagrams.
    pub fn points(&self) -> BTreeSet<u32> {
        self.vnodes.iter().map(|&(h, _)| h).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn naming_spells_both_styles() {
        assert_eq!(VnodeNaming::Separated.name("peer", 3), "peer#3");
        assert_eq!(VnodeNaming::GoPrefix.name("peer", 3), "3peer");
    }

    #[test]
    fn empty_ring_owns_nothing() {
        assert_eq!(Ring::new(3).get("key"), None);
    }
}
