//! Day 7 — cluster: many nodes, one keyspace, two ways to find a key.
//!
//! A single server runs out of memory and CPU; a cluster splits the keys among nodes. Two
//! designs answer "which node has `user:42`?", and this day builds both:
//!
//! - **Redis Cluster's way (the default, `cluster-mode redirect`)**: every key hashes to
//!   one of 16,384 slots ([`slots`]), every node knows which node serves each slot
//!   ([`topology`]), and a node asked for a key it does not serve answers
//!   `-MOVED <slot> <host>:<port>` ([`redirect`]). Clients (`redis-cli -c`, redis-py's
//!   `RedisCluster`, `redis-benchmark --cluster`) read the slot table with `CLUSTER SLOTS`
//!   ([`commands`]) and go straight to the right node. A multi-key command whose keys are
//!   in different slots is refused with `-CROSSSLOT`.
//! - **godis's way (`cluster-mode proxy`)**, the original course's lesson: any node takes
//!   any command and **relays** it to the key's owner over a pooled connection
//!   ([`pool`], [`relay`]), so a plain client that knows nothing of clusters still works.
//!   MGET and EXISTS over keys on several nodes scatter and gather; MSET, MSETNX, DEL and
//!   RENAME over several nodes run as a **two-phase transaction** ([`tcc`]: try, then commit or
//!   cancel) so they happen everywhere or nowhere; FLUSHALL reaches every node.
//!
//! The cluster plugs into the single server through two seams of earlier days: a small
//! hook ([`redirect::check`]) run on each client request just before day 3's dispatcher, and
//! day 2's [`Flow::Wait`](crate::connection::Flow::Wait), which hands a request that must
//! wait — here, for a peer's answer — to an async function without blocking other clients.

pub mod commands;
pub mod pool;
pub mod redirect;
pub mod relay;
pub mod slots;
pub mod tcc;
pub mod topology;

use std::collections::HashMap;
use std::time::Duration;

use bytes::Bytes;
use parking_lot::Mutex;

use crate::config::Config;
pub use slots::{SLOTS, key_hash_slot};
pub use topology::{Node, Topology};

/// How a node answers a command for a key another node serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Redis Cluster: answer `-MOVED slot host:port`; the client goes there itself.
    Redirect,
    /// godis: relay the command to the owner and hand its answer back.
    Proxy,
}

/// Day 7's state of a node: the topology, the mode, the peer pools, the transactions.
#[derive(Debug)]
pub struct Cluster {
    /// Who serves which slot.
    pub topology: Topology,
    /// Redirect (Redis Cluster) or proxy (godis).
    pub mode: Mode,
    /// A connection pool per node, by node index (`None` for this node itself).
    pub pools: Vec<Option<pool::Pool>>,
    /// This node's part in cross-node transactions (the keys they lock).
    pub tcc: tcc::Participant,
    /// Requests parked for the relay (proxy mode), by client id: the dispatcher puts one
    /// here and answers `Flow::Wait`, and [`relay::wait`] takes it and relays it.
    pending: Mutex<HashMap<u64, Vec<Bytes>>>,
}

/// The knobs of the relay: how long to wait for a peer.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// Connecting to a peer.
    pub connect: Duration,
    /// One request's answer from a peer.
    pub call: Duration,
    /// How long a prepared transaction may hold its keys (`cluster-lock-timeout`, ms).
    pub lock: Duration,
}

impl Cluster {
    /// The cluster described by `config`, or `None` unless `cluster-enabled yes`.
    /// A topology that does not cover every slot exactly once is an error.
    pub fn from_config(config: &Config) -> Result<Option<Self>, String> {
        let text = |name: &str| {
            config
                .other
                .get(name)
                .map(|v| v.trim().to_ascii_lowercase())
        };
        match text("cluster-enabled").as_deref() {
            None | Some("no") => return Ok(None),
            Some("yes") => {}
            Some(other) => return Err(format!("cluster-enabled must be yes or no, not `{other}`")),
        }
        let mode = match text("cluster-mode").as_deref() {
            None | Some("redirect") => Mode::Redirect,
            Some("proxy") => Mode::Proxy,
            Some(other) => {
                return Err(format!(
                    "cluster-mode must be redirect or proxy, not `{other}`"
                ));
            }
        };
        let lock_ms = match text("cluster-lock-timeout") {
            None => 3000,
            Some(ms) => ms.parse::<u64>().ok().filter(|&ms| ms > 0).ok_or_else(|| {
                format!("cluster-lock-timeout `{ms}` is not a positive number of ms")
            })?,
        };
        let nodes = config
            .cluster_nodes
            .iter()
            .map(|line| topology::parse_node(line))
            .collect::<Result<Vec<_>, _>>()?;
        let topology = Topology::new(nodes, text("cluster-myid").as_deref(), config.port)?;
        let timeouts = Timeouts {
            connect: Duration::from_secs(2),
            call: Duration::from_secs(5),
            lock: Duration::from_millis(lock_ms),
        };
        let pools = topology
            .nodes()
            .iter()
            .map(|node| {
                (!topology.is_myself(node))
                    .then(|| pool::Pool::new(node.addr(), config.requirepass.clone(), timeouts))
            })
            .collect();
        Ok(Some(Self {
            topology,
            mode,
            pools,
            tcc: tcc::Participant::new(timeouts.lock),
            pending: Mutex::new(HashMap::new()),
        }))
    }

    /// Parks `args` for client `id`'s relay (see [`relay::wait`]).
    pub fn park(&self, id: u64, args: Vec<Bytes>) {
        self.pending.lock().insert(id, args);
    }

    /// Takes the request parked for client `id`, if any.
    pub fn take_parked(&self, id: u64) -> Option<Vec<Bytes>> {
        self.pending.lock().remove(&id)
    }

    /// Whether client `id` has a request parked for the relay.
    pub fn has_parked(&self, id: u64) -> bool {
        self.pending.lock().contains_key(&id)
    }
}

/// A 40-hex-character node id for node `index` of a local cluster (`1111...` for the
/// first, `2222...` for the second, ...; a plain counter past the fifteenth).
pub fn local_node_id(index: usize) -> String {
    match char::from_digit(index as u32 + 1, 16) {
        Some(digit) if index < 15 => std::iter::repeat_n(digit, 40).collect(),
        _ => format!("{:040x}", index + 1),
    }
}

/// The configuration of node `me` in a cluster of nodes listening on `127.0.0.1` at
/// `ports`, the slots split evenly among them: what the example, the tests and the
/// benchmark start. The same lines in a `redis.conf` configure the `go-redis` binary.
pub fn local_node_config(ports: &[u16], me: usize, mode: Mode) -> Config {
    let mut config = Config::default();
    if let Some(&port) = ports.get(me) {
        config.port = port;
    }
    let mut text = format!(
        "cluster-enabled yes\ncluster-myid {}\ncluster-mode {}\n",
        local_node_id(me),
        match mode {
            Mode::Redirect => "redirect",
            Mode::Proxy => "proxy",
        }
    );
    for (i, (port, (start, end))) in ports
        .iter()
        .zip(Topology::even_ranges(ports.len()))
        .enumerate()
    {
        text.push_str(&format!(
            "cluster-node {} 127.0.0.1:{port} {start}-{end}\n",
            local_node_id(i)
        ));
    }
    // The lines above are well formed by construction; apply_text cannot refuse them.
    let _ = config.apply_text(&text);
    config
}
