//! Day 7 — the cluster commands clients ask before anything else: CLUSTER SLOTS and friends.
//!
//! A cluster client starts by asking any node for the slot table (`CLUSTER SLOTS`, or
//! `CLUSTER SHARDS` in Redis 7, or the text of `CLUSTER NODES`), then sends each command
//! to the node serving its key's slot. The replies here have Redis 7.0.15's exact shapes
//! (`clusterReplyMultiBulkSlots`, `clusterReplyShards`, `clusterGenNodeDescription` in its
//! `cluster.c`), because clients parse them by position. READONLY, READWRITE and ASKING
//! are accepted: with no replicas and no slot migration they have nothing to change.
//! `_local` is internal: a peer's broadcast (FLUSHALL in proxy mode) run here only.

use bytes::Bytes;

use super::slots::{SLOTS, key_hash_slot};
use super::{Cluster, Mode, relay};
use crate::cmd::{CmdError, CmdResult, Command, Ctx, FAST, WRITE, parse_int};
use crate::command;
use crate::connection::Flow;
use crate::db::now_ms;
use crate::resp::ReplyWriter;

/// The cluster commands.
pub const COMMANDS: &[Command] = &[
    command!("cluster", -2, 0, none, cluster),
    command!("readonly", 1, FAST, none, accept),
    command!("readwrite", 1, FAST, none, accept),
    command!("asking", 1, FAST, none, accept),
    command!("_local", -2, WRITE, none, local),
];

fn enabled<'a>(cx: &Ctx<'a>) -> Result<&'a Cluster, CmdError> {
    cx.server
        .cluster
        .as_ref()
        .ok_or_else(|| CmdError::err("This instance has cluster support disabled"))
}

fn accept(cx: &mut Ctx<'_>, _args: &[Bytes]) -> CmdResult {
    enabled(cx)?;
    cx.out.ok();
    Ok(Flow::Continue)
}

fn local(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    enabled(cx)?;
    Ok(relay::run_local(cx.server, cx.session, &args[1..], cx.out))
}

/// CLUSTER's subcommands: the name, Redis's arity (counting `CLUSTER` itself; negative:
/// at least), and the lines CLUSTER HELP prints for it, word for word Redis 7.0.15's
/// (`clusterCommand` in `cluster.c`), in Redis's order. HELP lists only what this server
/// implements, and MODE (go-redis's own: redirect or proxy) is not in Redis's help.
/// COMMAND LIST and COMMAND INFO read this table too, so they show what CLUSTER answers.
pub const SUBCOMMANDS: &[(&str, i32, &[&str])] = &[
    (
        "countkeysinslot",
        3,
        &[
            "COUNTKEYSINSLOT <slot>",
            "    Return the number of keys in <slot>.",
        ],
    ),
    (
        "getkeysinslot",
        4,
        &[
            "GETKEYSINSLOT <slot> <count>",
            "    Return key names stored by current node in a slot.",
        ],
    ),
    (
        "info",
        2,
        &["INFO", "    Return information about the cluster."],
    ),
    (
        "keyslot",
        3,
        &["KEYSLOT <key>", "    Return the hash slot for <key>."],
    ),
    ("myid", 2, &["MYID", "    Return the node id."]),
    (
        "nodes",
        2,
        &[
            "NODES",
            "    Return cluster configuration seen by node. Output format:",
            "    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
        ],
    ),
    (
        "slots",
        2,
        &[
            "SLOTS",
            "    Return information about slots range mappings. Each range is made of:",
            "    start, end, master and replicas IP addresses, ports and ids",
        ],
    ),
    (
        "shards",
        2,
        &[
            "SHARDS",
            "    Return information about slot range mappings and the nodes associated with them.",
        ],
    ),
    ("help", 2, &["HELP", "    Prints this help."]),
    ("mode", 2, &[]),
];

/// CLUSTER's subcommand checks, in Redis's order: Redis 7 keeps CLUSTER's subcommands
/// in its command table, so an unknown subcommand and a wrong argument count are
/// answered before `clusterCommand` runs and says that cluster mode is off.
fn check_subcommand(args: &[Bytes]) -> Result<(), CmdError> {
    let sub = String::from_utf8_lossy(&args[1]).to_ascii_lowercase();
    let Some(&(name, arity, _)) = SUBCOMMANDS.iter().find(|(name, _, _)| *name == sub) else {
        return Err(CmdError::err(format!(
            "unknown subcommand '{}'. Try {} HELP.",
            String::from_utf8_lossy(&args[1])
                .chars()
                .take(128)
                .collect::<String>(),
            String::from_utf8_lossy(&args[0]).to_ascii_uppercase()
        )));
    };
    let argc = args.len() as i32;
    if (arity > 0 && argc != arity) || argc < -arity {
        return Err(CmdError::err(format!(
            "wrong number of arguments for 'cluster|{name}' command"
        )));
    }
    Ok(())
}

/// CLUSTER KEYSLOT | MYID | SLOTS | SHARDS | NODES | INFO | COUNTKEYSINSLOT | GETKEYSINSLOT
/// | HELP | MODE.
fn cluster(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    check_subcommand(args)?; // Day 7: the subcommand and its arity first, as Redis 7
    let cluster = enabled(cx)?;
    let sub = String::from_utf8_lossy(&args[1]).to_ascii_lowercase();
    let topology = &cluster.topology;
    let out = &mut *cx.out;
    match (sub.as_str(), args.len()) {
        ("keyslot", 3) => out.int(i64::from(key_hash_slot(&args[2]))),
        ("myid", 2) => out.bulk(topology.myself().id.as_bytes()),
        ("slots", 2) => {
            // One entry per contiguous range: [start, end, [ip, port, id, {}]].
            let ranges: Vec<_> = topology
                .nodes()
                .iter()
                .flat_map(|n| n.ranges.iter().map(move |r| (r, n)))
                .collect();
            out.array(ranges.len());
            for (&(start, end), node) in ranges {
                out.array(3);
                out.int(i64::from(start));
                out.int(i64::from(end));
                out.array(4);
                out.bulk(node.host.as_bytes());
                out.int(i64::from(node.port));
                out.bulk(node.id.as_bytes());
                out.map(0);
            }
        }
        ("shards", 2) => {
            out.array(topology.nodes().len());
            for node in topology.nodes() {
                out.map(2);
                out.bulk(b"slots");
                out.array(node.ranges.len() * 2);
                for &(start, end) in &node.ranges {
                    out.int(i64::from(start));
                    out.int(i64::from(end));
                }
                out.bulk(b"nodes");
                out.array(1);
                out.map(7);
                out.bulk(b"id");
                out.bulk(node.id.as_bytes());
                out.bulk(b"port");
                out.int(i64::from(node.port));
                for (k, v) in [
                    ("ip", node.host.as_str()),
                    ("endpoint", node.host.as_str()),
                    ("role", "master"),
                ] {
                    out.bulk(k.as_bytes());
                    out.bulk(v.as_bytes());
                }
                out.bulk(b"replication-offset");
                out.int(0);
                out.bulk(b"health");
                out.bulk(b"online");
            }
        }
        ("nodes", 2) => out.verbatim("txt", topology.nodes_text().as_bytes()),
        ("info", 2) => {
            let nodes = topology.nodes().len();
            let text = format!(
                "cluster_state:ok\r\ncluster_slots_assigned:{SLOTS}\r\ncluster_slots_ok:{SLOTS}\r\ncluster_slots_pfail:0\r\ncluster_slots_fail:0\r\ncluster_known_nodes:{nodes}\r\ncluster_size:{}\r\ncluster_current_epoch:{nodes}\r\ncluster_my_epoch:{}\r\ncluster_stats_messages_sent:0\r\ncluster_stats_messages_received:0\r\ntotal_cluster_links_buffer_limit_exceeded:0\r\n",
                topology
                    .nodes()
                    .iter()
                    .filter(|n| !n.ranges.is_empty())
                    .count(),
                topology.myself_index() + 1,
            );
            out.verbatim("txt", text.as_bytes());
        }
        ("countkeysinslot", 3) => {
            let slot = parse_slot(&args[2])?;
            let count = keys_in_slot(cx, slot, usize::MAX).len();
            cx.out.int(count as i64);
        }
        ("getkeysinslot", 4) => {
            let slot = parse_slot(&args[2])?;
            let count = parse_int(&args[3])?;
            let count = usize::try_from(count)
                .map_err(|_| CmdError::err("Invalid slot or number of keys"))?;
            let keys = keys_in_slot(cx, slot, count);
            cx.out.array(keys.len());
            for key in keys {
                cx.out.bulk(&key);
            }
        }
        ("help", 2) => {
            // Redis's `addReplyHelp`: a header naming the command as the client typed
            // it, every subcommand's lines, then HELP's own (last in Redis's list).
            let lines: Vec<&str> = SUBCOMMANDS
                .iter()
                .flat_map(|(_, _, l)| *l)
                .copied()
                .collect();
            out.array(lines.len() + 1);
            out.simple(&format!(
                "{} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                String::from_utf8_lossy(&args[0]).to_ascii_uppercase()
            ));
            for line in lines {
                out.simple(line);
            }
        }
        ("mode", 2) => out.simple(match cluster.mode {
            Mode::Redirect => "redirect",
            Mode::Proxy => "proxy",
        }),
        _ => {
            return Err(CmdError::err(format!(
                "unknown subcommand or wrong number of arguments for '{}'. Try CLUSTER HELP.",
                String::from_utf8_lossy(&args[1])
            )));
        }
    }
    Ok(Flow::Continue)
}

fn parse_slot(arg: &[u8]) -> Result<u16, CmdError> {
    let slot = parse_int(arg)?;
    u16::try_from(slot)
        .ok()
        .filter(|&s| usize::from(s) < SLOTS)
        .ok_or_else(|| CmdError::err("Invalid slot"))
}

/// Up to `limit` live keys of database 0 in `slot`. Redis keeps a per-slot index for
/// this; a scan of the keyspace is enough for a static cluster that never migrates.
fn keys_in_slot(cx: &Ctx<'_>, slot: u16, limit: usize) -> Vec<Bytes> {
    let Some(db) = cx.server.db(0) else {
        return Vec::new();
    };
    let now = now_ms();
    let mut keys = Vec::new();
    let mut all = db.lock_all(now);
    for shard in all.shards_mut() {
        for (key, entry) in &shard.map {
            if keys.len() >= limit {
                return keys;
            }
            let live = entry.expires_at.is_none_or(|at| at > now);
            if live && key_hash_slot(key) == slot {
                keys.push(Bytes::copy_from_slice(key));
            }
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_arguments_are_checked() {
        assert_eq!(parse_slot(b"0"), Ok(0));
        assert_eq!(parse_slot(b"16383"), Ok(16383));
        assert_eq!(parse_slot(b"16384"), Err(CmdError::err("Invalid slot")));
        assert_eq!(parse_slot(b"-1"), Err(CmdError::err("Invalid slot")));
        assert_eq!(parse_slot(b"x"), Err(CmdError::NotInteger));
    }
}
