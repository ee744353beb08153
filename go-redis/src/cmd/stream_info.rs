//! Day 4 — XINFO: what a stream holds, its groups and their consumers.
//!
//! Operators ask a stream about itself: `XINFO STREAM jobs` (length, first and last
//! entries, the counters XSETID sets), `XINFO STREAM jobs FULL` (everything, the pending
//! lists included), `XINFO GROUPS jobs` (each group's position, pending count and lag) and
//! `XINFO CONSUMERS jobs workers` (who holds what, idle for how long). The replies are
//! maps in RESP3, as Redis 7 writes them, and flat field/value arrays in RESP2. The reply
//! is written straight from the locked stream, never from a copy: a stream may be large.

use bytes::Bytes;

use super::stream_groups::{check_subcommand, help, lossy, subcommand_error};
use super::streams::{stream, write_entry};
use super::{CmdError, CmdResult, Ctx, READONLY, is, parse_int};
use crate::command;
use crate::connection::Flow;
use crate::resp::{Output, ReplyWriter};
use crate::types::stream::{Stream, StreamId};

/// XINFO.
pub const COMMANDS: &[super::Command] = &[command!("xinfo", -2, READONLY, (2, 2, 1), xinfo)];

const XINFO_HELP: &[&str] = &[
    "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
    "HELP",
    "    Print this help.",
];

fn optional_int(out: &mut Output, value: Option<u64>) {
    match value {
        Some(n) => out.int(n as i64),
        None => out.null(),
    }
}

fn bulk_id(out: &mut Output, id: StreamId) {
    out.bulk(id.to_string().as_bytes());
}

/// XINFO's subcommands with Redis's arities (checked here; COMMAND LIST shows them).
pub const XINFO_SUBCOMMANDS: &[(&str, i32)] =
    &[("consumers", 4), ("groups", 3), ("stream", -3), ("help", 2)];

// ANCHOR: xinfo
fn xinfo(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let sub = &args[1];
    check_subcommand("XINFO", args, XINFO_SUBCOMMANDS)?;
    if is(sub, "help") {
        return help(cx, XINFO_HELP);
    }
    if args.len() < 3 {
        return Err(subcommand_error("XINFO", sub));
    }
    let key = &args[2];
    // The stream is borrowed from the locked shard (not cloned) while the reply is written.
    let s: &Stream = stream(&mut cx.db, key)?.ok_or(CmdError::NoSuchKey)?;
    let out = &mut *cx.out;
    let now = crate::db::now_ms();
    if is(sub, "consumers") && args.len() == 4 {
        let group = s.groups.get(&args[3]).ok_or_else(|| {
            CmdError::Other(format!(
                "NOGROUP No such consumer group '{}' for key name '{}'",
                lossy(&args[3]),
                lossy(key)
            ))
        })?;
        out.array(group.consumers.len());
        for (name, c) in &group.consumers {
            out.map(3);
            out.bulk(b"name");
            out.bulk(name);
            out.bulk(b"pending");
            out.int(c.pel.len() as i64);
            out.bulk(b"idle");
            out.int(now.saturating_sub(c.seen_time) as i64);
        }
    } else if is(sub, "groups") && args.len() == 3 {
        out.array(s.groups.len());
        for (name, g) in &s.groups {
            out.map(6);
            out.bulk(b"name");
            out.bulk(name);
            out.bulk(b"consumers");
            out.int(g.consumers.len() as i64);
            out.bulk(b"pending");
            out.int(g.pel.len() as i64);
            out.bulk(b"last-delivered-id");
            bulk_id(out, g.last_id);
            out.bulk(b"entries-read");
            optional_int(out, g.entries_read);
            out.bulk(b"lag");
            optional_int(out, s.lag(g));
        }
    } else if is(sub, "stream") {
        stream_info(out, s, &args[3..])?;
    } else {
        return Err(subcommand_error("XINFO", sub));
    }
    Ok(Flow::Continue)
}
// ANCHOR_END: xinfo

/// XINFO STREAM key [FULL [COUNT n]].
fn stream_info(out: &mut Output, s: &Stream, opts: &[Bytes]) -> Result<(), CmdError> {
    let bad = || subcommand_error("XINFO", b"STREAM");
    let (full, count) = match opts {
        [] => (false, 10),
        [f] if is(f, "full") => (true, 10),
        [f, c, n] if is(f, "full") && is(c, "count") => {
            let n = parse_int(n)?;
            (
                true,
                if n < 0 {
                    10
                } else {
                    usize::try_from(n).unwrap_or(usize::MAX)
                },
            )
        }
        _ => return Err(bad()),
    };
    let limit = if count == 0 { usize::MAX } else { count };
    let nodes = s.nodes.len();
    out.map(if full { 9 } else { 10 });
    out.bulk(b"length");
    out.int(s.len() as i64);
    out.bulk(b"radix-tree-keys");
    out.int(nodes as i64);
    out.bulk(b"radix-tree-nodes");
    out.int(nodes as i64 + 1);
    out.bulk(b"last-generated-id");
    bulk_id(out, s.last_id);
    out.bulk(b"max-deleted-entry-id");
    bulk_id(out, s.max_deleted_entry_id);
    out.bulk(b"entries-added");
    out.int(s.entries_added as i64);
    out.bulk(b"recorded-first-entry-id");
    bulk_id(out, s.first_id());
    if !full {
        out.bulk(b"groups");
        out.int(s.groups.len() as i64);
        out.bulk(b"first-entry");
        match s.entries.first_key_value() {
            Some((id, f)) => write_entry(out, *id, f),
            None => out.null(),
        }
        out.bulk(b"last-entry");
        match s.entries.last_key_value() {
            Some((id, f)) => write_entry(out, *id, f),
            None => out.null(),
        }
        return Ok(());
    }
    out.bulk(b"entries");
    let entries: Vec<_> = s.entries.iter().take(limit).collect();
    out.array(entries.len());
    for (id, f) in entries {
        write_entry(out, *id, f);
    }
    out.bulk(b"groups");
    out.array(s.groups.len());
    for (name, g) in &s.groups {
        out.map(7);
        out.bulk(b"name");
        out.bulk(name);
        out.bulk(b"last-delivered-id");
        bulk_id(out, g.last_id);
        out.bulk(b"entries-read");
        optional_int(out, g.entries_read);
        out.bulk(b"lag");
        optional_int(out, s.lag(g));
        out.bulk(b"pel-count");
        out.int(g.pel.len() as i64);
        out.bulk(b"pending");
        let pel: Vec<_> = g.pel.iter().take(limit).collect();
        out.array(pel.len());
        for (id, nack) in pel {
            out.array(4);
            bulk_id(out, *id);
            out.bulk(&nack.consumer);
            out.int(nack.delivery_time as i64);
            out.int(nack.delivery_count as i64);
        }
        out.bulk(b"consumers");
        out.array(g.consumers.len());
        for (cname, c) in &g.consumers {
            out.map(4);
            out.bulk(b"name");
            out.bulk(cname);
            out.bulk(b"seen-time");
            out.int(c.seen_time as i64);
            out.bulk(b"pel-count");
            out.int(c.pel.len() as i64);
            out.bulk(b"pending");
            let pel: Vec<_> = c.pel.iter().take(limit).collect();
            out.array(pel.len());
            for id in pel {
                let nack = g.pel.get(id);
                out.array(3);
                bulk_id(out, *id);
                out.int(nack.map_or(0, |n| n.delivery_time as i64));
                out.int(nack.map_or(0, |n| n.delivery_count as i64));
            }
        }
    }
    Ok(())
}
