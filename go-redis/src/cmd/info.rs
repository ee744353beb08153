//! Day 3 — INFO: the server's state as `name:value` lines, section by section.
//!
//! Tools read INFO to learn what a server is: `redis-cli --stat`, the Redis test suite
//! (`blocked_clients`, `keyspace`, `commandstats`), monitoring. The reply is a table of
//! sections ([`SECTIONS`]): INFO first works out which sections were asked for
//! (`default`, `all`, `everything` or names), then writes each one with its function.
//! Parse first, then act: adding a section is one line in the table and one function.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use bytes::Bytes;

use super::server::REDIS_VERSION;
use super::{CmdResult, Ctx};
use crate::config::Config;
use crate::connection::Flow;
use crate::db::Server;
use crate::resp::ReplyWriter;

/// Writes one section's lines (heading included) at the end of `text`.
type Section = fn(&Server, &Config, &mut String);

/// Every INFO section: its name, whether `INFO` without arguments (`default`) shows it,
/// and the function that writes it, in Redis's order.
pub const SECTIONS: &[(&str, bool, Section)] = &[
    ("server", true, section_server),
    ("clients", true, section_clients),
    ("memory", true, section_memory),
    ("persistence", true, section_persistence),
    ("stats", true, section_stats),
    ("replication", true, section_replication),
    ("cpu", true, section_cpu),
    ("modules", true, section_modules),
    ("errorstats", true, section_errorstats),
    ("cluster", true, section_cluster),
    ("keyspace", true, section_keyspace),
    ("commandstats", false, section_commandstats),
    ("latencystats", false, section_latencystats),
];

// ANCHOR: info
/// INFO [section ...]: the sections asked for, each once, in the table's order.
pub fn info(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let mut wanted = vec![false; SECTIONS.len()];
    for arg in &args[1..] {
        for (i, (name, default, _)) in SECTIONS.iter().enumerate() {
            let all = super::is(arg, "all") || super::is(arg, "everything");
            if all || (*default && super::is(arg, "default")) || super::is(arg, name) {
                wanted[i] = true;
            }
        }
    }
    if args.len() == 1 {
        for (i, (_, default, _)) in SECTIONS.iter().enumerate() {
            wanted[i] = *default;
        }
    }
    let config = cx.server.config.read().clone();
    let mut text = String::new();
    for ((_, _, write_section), _) in SECTIONS.iter().zip(&wanted).filter(|(_, w)| **w) {
        write_section(cx.server, &config, &mut text);
        text.push_str("\r\n");
    }
    // Sections are separated by an empty line, and the last line keeps its CRLF, as in
    // Redis (the test suite's `cmdstat` matches `\r\ncmdstat_x:...\r\n`, last line too).
    if text.ends_with("\r\n\r\n") {
        text.truncate(text.len() - 2);
    }
    cx.out.verbatim("txt", text.as_bytes());
    Ok(Flow::Continue)
}
// ANCHOR_END: info

fn section_server(server: &Server, config: &Config, text: &mut String) {
    let uptime = server.started.elapsed().as_secs();
    let _ = write!(
        text,
        "# Server\r\nredis_version:{REDIS_VERSION}\r\nredis_mode:{}\r\nimplementation:go-redis (Rust)\r\nos:{} {}\r\narch_bits:64\r\nprocess_id:{}\r\nrun_id:{}\r\ntcp_port:{}\r\nuptime_in_seconds:{uptime}\r\nuptime_in_days:{}\r\nhz:10\r\nexecutable:go-redis\r\n",
        if server.cluster.is_some() {
            "cluster"
        } else {
            "standalone"
        }, // Day 7
        std::env::consts::OS,
        std::env::consts::ARCH,
        std::process::id(),
        server.run_id,
        config.port,
        uptime / 86400
    );
    // Day 3: the file CONFIG REWRITE writes (empty without one), as Redis shows it.
    let file = config.file.as_ref().map(|f| f.display().to_string());
    let _ = write!(text, "config_file:{}\r\n", file.unwrap_or_default());
}

fn section_clients(server: &Server, config: &Config, text: &mut String) {
    let _ = write!(
        text,
        "# Clients\r\nconnected_clients:{}\r\nmaxclients:{}\r\nblocked_clients:{}\r\ntracking_clients:0\r\n",
        server.stats.connected_clients.load(Ordering::Relaxed),
        config.maxclients,
        server.stats.blocked_clients.load(Ordering::Relaxed)
    );
}

fn section_memory(_server: &Server, _config: &Config, text: &mut String) {
    let rss = resident_bytes();
    let _ = write!(
        text,
        "# Memory\r\nused_memory:{rss}\r\nused_memory_rss:{rss}\r\nmaxmemory:0\r\nmaxmemory_policy:noeviction\r\n"
    );
}

/// Persistence: day 5's RDB fields ([`crate::rdb::snapshot::info_fields`]) and AOF fields
/// ([`crate::aof::write_info`]).
fn section_persistence(server: &Server, _config: &Config, text: &mut String) {
    text.push_str("# Persistence\r\nloading:0\r\n");
    crate::rdb::snapshot::info_fields(server, text); // Day 5
    crate::aof::write_info(server, text); // Day 5
}

fn section_stats(server: &Server, _config: &Config, text: &mut String) {
    let (hits, misses) = server
        .dbs()
        .iter()
        .map(|db| db.read_stats())
        .fold((0, 0), |(h, m), (dh, dm)| (h + dh, m + dm));
    let _ = write!(
        text,
        "# Stats\r\ntotal_connections_received:{}\r\ntotal_commands_processed:{}\r\nexpired_keys:{}\r\nrejected_connections:{}\r\nevicted_keys:0\r\nkeyspace_hits:{hits}\r\nkeyspace_misses:{misses}\r\ntotal_error_replies:{}\r\n",
        server.stats.total_connections.load(Ordering::Relaxed),
        server.stats.total_commands.load(Ordering::Relaxed),
        server.stats.expired_keys.load(Ordering::Relaxed),
        server.stats.rejected_connections.load(Ordering::Relaxed),
        server.stats.errors.lock().values().sum::<u64>()
    );
    // Day 6: pubsub_channels, pubsub_patterns, pubsubshard_channels.
    text.push_str(&super::pubsub::info_fields(server));
}

fn section_replication(_server: &Server, _config: &Config, text: &mut String) {
    text.push_str("# Replication\r\nrole:master\r\nconnected_slaves:0\r\nmaster_repl_offset:0\r\n");
}

fn section_cpu(_server: &Server, _config: &Config, text: &mut String) {
    let (user, sys) = cpu_seconds();
    let _ = write!(
        text,
        "# CPU\r\nused_cpu_sys:{sys:.6}\r\nused_cpu_user:{user:.6}\r\nused_cpu_sys_children:0.000000\r\nused_cpu_user_children:0.000000\r\n"
    );
}

fn section_modules(_server: &Server, _config: &Config, text: &mut String) {
    text.push_str("# Modules\r\n");
}

fn section_errorstats(server: &Server, _config: &Config, text: &mut String) {
    text.push_str("# Errorstats\r\n");
    for (code, count) in server.stats.errors.lock().iter() {
        let _ = write!(text, "errorstat_{code}:count={count}\r\n");
    }
}

fn section_cluster(server: &Server, _config: &Config, text: &mut String) {
    // Day 7: 1 on a cluster node.
    let enabled = u8::from(server.cluster.is_some());
    let _ = write!(text, "# Cluster\r\ncluster_enabled:{enabled}\r\n");
}

fn section_keyspace(server: &Server, _config: &Config, text: &mut String) {
    text.push_str("# Keyspace\r\n");
    for (i, db) in server.dbs().iter().enumerate() {
        let keys = db.len();
        if keys > 0 {
            let _ = write!(
                text,
                "db{i}:keys={keys},expires={},avg_ttl=0\r\n",
                db.expires_len()
            );
        }
    }
}

fn section_commandstats(server: &Server, _config: &Config, text: &mut String) {
    text.push_str("# Commandstats\r\n");
    // go-redis does not time each command (Redis reads the clock around every call; here
    // the clock is read once per batch), so usec stays 0.
    for (index, command, calls) in super::dispatch::command_calls(server) {
        let count = |counters: &[std::sync::atomic::AtomicU64]| {
            counters
                .get(index)
                .map_or(0, |c| c.load(std::sync::atomic::Ordering::Relaxed))
        };
        let _ = write!(
            text,
            "cmdstat_{}:calls={calls},usec=0,usec_per_call=0.00,rejected_calls={},failed_calls={}\r\n",
            command.name,
            count(&server.stats.rejected_calls),
            count(&server.stats.failed_calls),
        );
    }
}

fn section_latencystats(_server: &Server, _config: &Config, text: &mut String) {
    text.push_str("# Latencystats\r\n");
}

/// Seconds of user and system CPU this process used, from `/proc/self/stat`.
fn cpu_seconds() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 100.0
    };
    (ticks(11), ticks(12))
}

/// Resident memory in bytes, from `/proc/self/statm`.
fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse::<u64>().ok())
        .unwrap_or(0)
        * 4096
}
