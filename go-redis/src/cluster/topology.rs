//! Day 7 — the topology: which node serves which hash slots, read from the configuration.
//!
//! Real Redis nodes learn the topology by gossip over a cluster bus, and `redis-cli
//! --cluster create` assigns the slots. That is a course of its own; here the topology is
//! **static**, written in the configuration of every node, the way godis lists its peers:
//!
//! ```text
//! cluster-enabled yes
//! cluster-myid   1111111111111111111111111111111111111111
//! cluster-node   1111111111111111111111111111111111111111 127.0.0.1:7001 0-5460
//! cluster-node   2222222222222222222222222222222222222222 127.0.0.1:7002 5461-10922
//! cluster-node   3333333333333333333333333333333333333333 127.0.0.1:7003 10923-16383
//! ```
//!
//! A node id is 40 hex characters, as in Redis; slot ranges are `a-b` or a single slot,
//! several per line if needed. `cluster-myid` names the node this process is (without it,
//! the node whose port is the server's `port`). Every slot must have exactly one owner:
//! a hole or an overlap is a configuration error, found at start-up, not at the first GET.

use std::fmt::Write as _;

use super::slots::SLOTS;

/// One node of the cluster: its id, its client address and the slots it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// 40 hex characters, unique in the cluster (CLUSTER MYID, CLUSTER NODES).
    pub id: String,
    /// The host clients connect to (what MOVED and CLUSTER SLOTS name).
    pub host: String,
    /// The client port.
    pub port: u16,
    /// Inclusive slot ranges, sorted.
    pub ranges: Vec<(u16, u16)>,
}

impl Node {
    /// `host:port`, as MOVED replies and peer pools spell it.
    pub fn addr(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// How many slots the node serves.
    pub fn slot_count(&self) -> usize {
        self.ranges
            .iter()
            .map(|&(a, b)| usize::from(b - a) + 1)
            .sum()
    }
}

/// The whole cluster: every node, and for every slot the index of its owner.
#[derive(Debug, Clone)]
pub struct Topology {
    nodes: Vec<Node>,
    owners: Box<[u16]>,
    myself: usize,
}

/// Parses one `cluster-node <id> <host:port> <ranges...>` value.
pub fn parse_node(line: &str) -> Result<Node, String> {
    let mut words = line.split_whitespace();
    let (Some(id), Some(addr)) = (words.next(), words.next()) else {
        return Err(format!(
            "cluster-node needs `<id> <host:port> <slot ranges>`, got `{line}`"
        ));
    };
    if id.len() != 40 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("cluster node id `{id}` is not 40 hex characters"));
    }
    let (host, port) = addr
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h, p.parse::<u16>().ok()?)))
        .filter(|(h, p)| !h.is_empty() && *p != 0)
        .ok_or_else(|| format!("cluster node address `{addr}` is not host:port"))?;
    let mut ranges = Vec::new();
    for word in words {
        let (a, b) = word.split_once('-').unwrap_or((word, word));
        let slot = |s: &str| {
            s.parse::<u16>()
                .ok()
                .filter(|&n| usize::from(n) < SLOTS)
                .ok_or_else(|| format!("`{word}` is not a slot or slot range (0-16383)"))
        };
        let (a, b) = (slot(a)?, slot(b)?);
        if a > b {
            return Err(format!("slot range `{word}` ends before it starts"));
        }
        ranges.push((a, b));
    }
    ranges.sort_unstable();
    Ok(Node {
        id: id.to_ascii_lowercase(),
        host: host.to_owned(),
        port,
        ranges,
    })
}

impl Topology {
    /// Builds the slot table from the nodes; `myself` is a node id, or `None` to pick the
    /// node listening on `port`. Every slot needs exactly one owner.
    pub fn new(nodes: Vec<Node>, myself: Option<&str>, port: u16) -> Result<Self, String> {
        if nodes.is_empty() {
            return Err("cluster-enabled yes needs at least one cluster-node line".into());
        }
        if nodes.len() > usize::from(u16::MAX) {
            return Err("too many cluster nodes".into());
        }
        let myself = match myself {
            Some(id) => nodes
                .iter()
                .position(|n| n.id.eq_ignore_ascii_case(id))
                .ok_or_else(|| format!("cluster-myid {id} is not among the cluster-node lines"))?,
            None => nodes.iter().position(|n| n.port == port).ok_or_else(|| {
                format!("no cluster-node listens on port {port}: set cluster-myid")
            })?,
        };
        const NONE: u16 = u16::MAX;
        let mut owners = vec![NONE; SLOTS].into_boxed_slice();
        for (index, node) in nodes.iter().enumerate() {
            if nodes[..index].iter().any(|n| n.id == node.id) {
                return Err(format!("cluster node id {} appears twice", node.id));
            }
            for &(a, b) in &node.ranges {
                for slot in a..=b {
                    let owner = &mut owners[usize::from(slot)];
                    if *owner != NONE {
                        return Err(format!("slot {slot} is assigned to two nodes"));
                    }
                    *owner = index as u16;
                }
            }
        }
        if let Some(slot) = owners.iter().position(|&o| o == NONE) {
            return Err(format!("slot {slot} is not assigned to any node"));
        }
        Ok(Self {
            nodes,
            owners,
            myself,
        })
    }

    /// Splits `0..16384` into `n` contiguous ranges, as `redis-cli --cluster create` does:
    /// handy for examples and tests.
    pub fn even_ranges(n: usize) -> Vec<(u16, u16)> {
        let n = n.max(1);
        (0..n)
            .map(|i| ((i * SLOTS / n) as u16, ((i + 1) * SLOTS / n - 1) as u16))
            .collect()
    }

    /// Every node, in configuration order.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The node this process is.
    pub fn myself(&self) -> &Node {
        &self.nodes[self.myself]
    }

    /// Whether `node` is this process.
    pub fn is_myself(&self, node: &Node) -> bool {
        node.id == self.myself().id
    }

    /// The node serving `slot`.
    pub fn owner(&self, slot: u16) -> &Node {
        let index = self.owners.get(usize::from(slot)).copied().unwrap_or(0);
        &self.nodes[usize::from(index)]
    }

    /// The node index serving `slot` (to group keys by node).
    pub fn owner_index(&self, slot: u16) -> usize {
        usize::from(self.owners.get(usize::from(slot)).copied().unwrap_or(0))
    }

    /// Whether this process serves `slot`.
    pub fn serves(&self, slot: u16) -> bool {
        self.owner_index(slot) == self.myself
    }

    /// The index of this process among [`Topology::nodes`].
    pub fn myself_index(&self) -> usize {
        self.myself
    }

    /// CLUSTER NODES: one line per node, in Redis's format
    /// (`<id> <ip:port@cport> <flags> <master> <ping-sent> <pong-recv> <epoch> <link> <slots>`).
    pub fn nodes_text(&self) -> String {
        let mut text = String::new();
        for (i, node) in self.nodes.iter().enumerate() {
            let flags = if i == self.myself {
                "myself,master"
            } else {
                "master"
            };
            let _ = write!(
                text,
                "{} {}:{}@{} {flags} - 0 0 {} connected",
                node.id,
                node.host,
                node.port,
                u32::from(node.port) + 10000,
                i + 1
            );
            for &(a, b) in &node.ranges {
                if a == b {
                    let _ = write!(text, " {a}");
                } else {
                    let _ = write!(text, " {a}-{b}");
                }
            }
            text.push('\n');
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(c: char) -> String {
        std::iter::repeat_n(c, 40).collect()
    }

    #[test]
    fn parses_nodes_and_rejects_bad_lines() {
        let node = parse_node(&format!("{} 127.0.0.1:7001 0-5460 6000", id('a'))).unwrap();
        assert_eq!(node.ranges, vec![(0, 5460), (6000, 6000)]);
        assert_eq!(node.addr(), "127.0.0.1:7001");
        assert_eq!(node.slot_count(), 5462);
        assert!(parse_node("abc 127.0.0.1:7001 0-1").is_err());
        assert!(parse_node(&format!("{} 127.0.0.1 0-1", id('a'))).is_err());
        assert!(parse_node(&format!("{} 127.0.0.1:7001 5-1", id('a'))).is_err());
        assert!(parse_node(&format!("{} 127.0.0.1:7001 0-16384", id('a'))).is_err());
    }

    #[test]
    fn every_slot_needs_exactly_one_owner() {
        let ranges = Topology::even_ranges(3);
        assert_eq!(ranges, vec![(0, 5460), (5461, 10921), (10922, 16383)]);
        let nodes: Vec<Node> = ranges
            .iter()
            .zip(['a', 'b', 'c'])
            .zip(7001..)
            .map(|((&(a, b), c), port)| Node {
                id: id(c),
                host: "127.0.0.1".into(),
                port,
                ranges: vec![(a, b)],
            })
            .collect();
        let topology = Topology::new(nodes.clone(), None, 7002).unwrap();
        assert_eq!(topology.myself().port, 7002);
        assert_eq!(topology.owner(0).port, 7001);
        assert_eq!(topology.owner(16383).port, 7003);
        assert!(topology.serves(6000));
        let mut hole = nodes.clone();
        hole[2].ranges = vec![(10922, 16382)];
        assert!(Topology::new(hole, None, 7001).is_err());
        let mut overlap = nodes.clone();
        overlap[1].ranges = vec![(5460, 10921)];
        assert!(Topology::new(overlap, None, 7001).is_err());
        assert!(Topology::new(nodes, Some(&id('d')), 7001).is_err());
    }
}
