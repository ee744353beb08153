//! Day 4 — consumer groups: several workers share one stream, each entry going to one of
//! them, and nothing is lost when a worker dies.
//!
//! `XREADGROUP GROUP g alice ... >` hands alice entries no one in group `g` has seen yet
//! and records each as *pending* (the group's PEL: who has it, since when, how many
//! deliveries). `XACK` removes it when alice is done. If alice crashes, the entries stay
//! pending: `XPENDING` shows them, and `XCLAIM`/`XAUTOCLAIM` give the ones idle long enough
//! to another consumer. Reading with an ID instead of `>` replays a consumer's own pending
//! history (what it must redo after a restart).
//!
//! The group state lives in [`crate::types::stream::Group`]; here are the commands, and
//! their propagation: a read that changes a group is logged as the `XCLAIM ... FORCE
//! JUSTID` and `XGROUP SETID` commands that recreate its effect, as Redis does, because
//! replaying XREADGROUP itself could deliver different entries.

use bytes::Bytes;

use super::streams::{
    StreamRead, parse_id, parse_read_args, stream, stream_or_create, write_entry, write_streams,
};
use super::{CmdError, CmdResult, Ctx, READONLY, WRITE, is, parse_int};
use crate::command;
use crate::connection::Flow;
use crate::resp::ReplyWriter;
use crate::types::stream::{Group, Nack, Stream, StreamId};

/// The consumer-group commands.
pub const COMMANDS: &[super::Command] = &[
    command!("xgroup", -2, WRITE, (2, 2, 1), xgroup),
    // The keys follow STREAMS; locking every argument's shard is a superset, and safe.
    command!("xreadgroup", -7, WRITE, (1, -1, 1), xreadgroup),
    command!("xack", -4, WRITE, (1, 1, 1), xack),
    command!("xpending", -3, READONLY, (1, 1, 1), xpending),
    command!("xclaim", -6, WRITE, (1, 1, 1), xclaim),
    command!("xautoclaim", -6, WRITE, (1, 1, 1), xautoclaim),
];

fn text(s: impl ToString) -> Bytes {
    Bytes::from(s.to_string())
}

fn word(w: &'static str) -> Bytes {
    Bytes::from_static(w.as_bytes())
}

pub(super) fn lossy(b: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(b)
}

pub(super) fn subcommand_error(command: &str, sub: &[u8]) -> CmdError {
    CmdError::err(format!(
        "unknown subcommand or wrong number of arguments for '{}'. Try {command} HELP.",
        lossy(sub)
    ))
}

/// Redis 7 registers each subcommand with its own arity (`xgroup|create` takes at least
/// five words): a wrong count is that subcommand's arity error, an unknown name its own.
pub(super) fn check_subcommand(
    command: &str,
    args: &[Bytes],
    table: &[(&str, i32)],
) -> Result<(), CmdError> {
    let sub = &args[1];
    let Some((name, arity)) = table.iter().find(|(name, _)| is(sub, name)) else {
        return Err(CmdError::err(format!(
            "unknown subcommand '{}'. Try {command} HELP.",
            lossy(sub)
        )));
    };
    let argc = args.len() as i32;
    if (*arity > 0 && argc != *arity) || argc < -arity {
        return Err(CmdError::err(format!(
            "wrong number of arguments for '{}|{name}' command",
            command.to_ascii_lowercase()
        )));
    }
    Ok(())
}

fn no_group(key: &[u8], group: &[u8]) -> CmdError {
    CmdError::Other(format!(
        "NOGROUP No such key '{}' or consumer group '{}'",
        lossy(key),
        lossy(group)
    ))
}

/// The XCLAIM that recreates pending entry `id` as it is now (Redis's
/// `streamPropagateXCLAIM`).
fn claim_command(
    key: &Bytes,
    name: &Bytes,
    group: &Group,
    id: StreamId,
    nack: &Nack,
) -> Vec<Bytes> {
    vec![
        word("XCLAIM"),
        key.clone(),
        name.clone(),
        nack.consumer.clone(),
        word("0"),
        text(id),
        word("TIME"),
        text(nack.delivery_time),
        word("RETRYCOUNT"),
        text(nack.delivery_count),
        word("FORCE"),
        word("JUSTID"),
        word("LASTID"),
        text(group.last_id),
    ]
}

/// The XGROUP SETID that moves a group to where it is now.
fn setid_command(key: &Bytes, name: &Bytes, group: &Group) -> Vec<Bytes> {
    let read = group
        .entries_read
        .map_or_else(|| "-1".to_owned(), |n| n.to_string());
    vec![
        word("XGROUP"),
        word("SETID"),
        key.clone(),
        name.clone(),
        text(group.last_id),
        word("ENTRIESREAD"),
        text(read),
    ]
}

const XGROUP_HELP: &[&str] = &[
    "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
    "HELP",
    "    Print this help.",
];

pub(super) fn help(cx: &mut Ctx<'_>, lines: &[&str]) -> CmdResult {
    cx.out.array(lines.len());
    for line in lines {
        cx.out.simple(line);
    }
    Ok(Flow::Continue)
}

/// XGROUP's subcommands with Redis's arities (checked here; COMMAND LIST shows them).
pub const XGROUP_SUBCOMMANDS: &[(&str, i32)] = &[
    ("create", -5),
    ("setid", -5),
    ("destroy", 4),
    ("createconsumer", 5),
    ("delconsumer", 5),
    ("help", 2),
];

// ANCHOR: xgroup
fn xgroup(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let sub = &args[1];
    check_subcommand("XGROUP", args, XGROUP_SUBCOMMANDS)?;
    if is(sub, "help") {
        return help(cx, XGROUP_HELP);
    }
    let arity_ok = match () {
        _ if is(sub, "create") => (5..=8).contains(&args.len()),
        _ if is(sub, "setid") => args.len() == 5 || args.len() == 7,
        _ if is(sub, "destroy") => args.len() == 4,
        _ if is(sub, "createconsumer") || is(sub, "delconsumer") => args.len() == 5,
        _ => false,
    };
    if args.len() < 4 {
        return Err(subcommand_error("XGROUP", sub));
    }
    let (key, name) = (&args[2], &args[3]);
    let mut mkstream = false;
    let mut entries_read: Option<u64> = None;
    let mut i = 5;
    while i < args.len() {
        if is(sub, "create") && is(&args[i], "mkstream") {
            mkstream = true;
            i += 1;
        } else if (is(sub, "create") || is(sub, "setid"))
            && is(&args[i], "entriesread")
            && i + 1 < args.len()
        {
            let n = parse_int(&args[i + 1])?;
            if n < -1 {
                return Err(CmdError::err(
                    "value for ENTRIESREAD must be positive or -1",
                ));
            }
            entries_read = u64::try_from(n).ok();
            i += 2;
        } else {
            return Err(subcommand_error("XGROUP", sub));
        }
    }
    let exists = stream(&mut cx.db, key)?.is_some();
    if !exists && !mkstream {
        return Err(CmdError::err(
            "The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.",
        ));
    }
    let needs_group = is(sub, "setid") || is(sub, "createconsumer") || is(sub, "delconsumer");
    if needs_group
        && exists
        && !stream(&mut cx.db, key)?.is_some_and(|s| s.groups.contains_key(name))
    {
        return Err(CmdError::Other(format!(
            "NOGROUP No such consumer group '{}' for key name '{}'",
            lossy(name),
            lossy(key)
        )));
    }
    if !arity_ok {
        return Err(subcommand_error("XGROUP", sub));
    }
    let now = crate::db::now_ms();
    if is(sub, "create") {
        let id_arg = &args[4];
        let last = stream(&mut cx.db, key)?.map_or(StreamId::MIN, |s| s.last_id);
        let id = if id_arg.as_ref() == b"$" {
            last
        } else {
            parse_id(id_arg, 0, true)?
        };
        let s = stream_or_create(&mut cx.db, key)?;
        if s.groups.contains_key(name) {
            return Err(CmdError::Other(
                "BUSYGROUP Consumer Group name already exists".into(),
            ));
        }
        // Without ENTRIESREAD the counter is unknown (Redis's -1) until the group reads.
        let group = Group::new(id, entries_read);
        let logged = vec![
            word("XGROUP"),
            word("CREATE"),
            key.clone(),
            name.clone(),
            text(id),
            word("ENTRIESREAD"),
            text(group.entries_read.map_or(-1, |n| n as i64)),
            word("MKSTREAM"),
        ];
        s.groups.insert(name.clone(), group);
        cx.session.propagate_as = Some(vec![logged]);
        cx.out.ok();
        return Ok(Flow::Continue);
    }
    let s = stream(&mut cx.db, key)?.ok_or(CmdError::NoSuchKey)?;
    if is(sub, "setid") {
        let id = if args[4].as_ref() == b"$" {
            s.last_id
        } else {
            parse_id(&args[4], 0, false)?
        };
        let group = s.groups.get_mut(name).ok_or_else(|| no_group(key, name))?;
        group.last_id = id;
        group.entries_read = entries_read;
        let logged = setid_command(key, name, group);
        cx.session.propagate_as = Some(vec![logged]);
        cx.out.ok();
    } else if is(sub, "destroy") {
        let removed = s.groups.remove(name).is_some();
        cx.out.int(i64::from(removed));
        if !removed {
            cx.session.propagate_as = Some(Vec::new());
        }
    } else if is(sub, "createconsumer") {
        let group = s.groups.get_mut(name).ok_or_else(|| no_group(key, name))?;
        let created = group.consumer(&args[4], now).1;
        cx.out.int(i64::from(created));
        if !created {
            cx.session.propagate_as = Some(Vec::new());
        }
    } else {
        let group = s.groups.get_mut(name).ok_or_else(|| no_group(key, name))?;
        let pending = group.delete_consumer(&args[4]);
        cx.out.int(pending.unwrap_or(0) as i64);
        if pending.is_none() {
            cx.session.propagate_as = Some(Vec::new());
        }
    }
    Ok(Flow::Continue)
}
// ANCHOR_END: xgroup

// ANCHOR: read_group
/// Serves `consumer` of `group` from stream `s`: new entries after the group's last ID
/// (`history` false, the `>` ID), or its own pending entries after `after`. New entries
/// become pending (unless `noack`); the propagation commands are pushed to `log`.
#[allow(clippy::too_many_arguments)]
fn read_group(
    s: &mut Stream,
    (key, name, consumer): (&Bytes, &Bytes, &Bytes),
    after: Option<StreamId>,
    count: usize,
    noack: bool,
    now: u64,
    log: &mut Vec<Vec<Bytes>>,
) -> Vec<(StreamId, Vec<Bytes>)> {
    let limit = if count == 0 { usize::MAX } else { count };
    let Some(mut group) = s.groups.remove(name) else {
        return Vec::new();
    };
    let (state, created) = group.consumer(consumer, now);
    state.seen_time = now;
    if created && noack {
        log.push(vec![
            word("XGROUP"),
            word("CREATECONSUMER"),
            key.clone(),
            name.clone(),
            consumer.clone(),
        ]);
    }
    let mut served = Vec::new();
    match after {
        Some(after) => {
            // History: the consumer's own pending IDs; deleted entries come back as
            // `[id, nil]`, which Redis answers with an empty field list in RESP2 too.
            let ids: Vec<StreamId> = state
                .pel
                .range(after.incr().unwrap_or(StreamId::MAX)..)
                .take(limit)
                .copied()
                .collect();
            for id in ids {
                let fields = s.entries.get(&id).cloned();
                if let Some(nack) = group.pel.get_mut(&id) {
                    nack.delivery_time = now;
                    nack.delivery_count = nack.delivery_count.saturating_add(1);
                    let nack = nack.clone();
                    log.push(claim_command(key, name, &group, id, &nack));
                }
                served.push((id, fields.unwrap_or_default()));
            }
        }
        None => {
            let start = group.last_id.incr().unwrap_or(StreamId::MAX);
            let entries: Vec<(StreamId, Vec<Bytes>)> = if group.last_id == StreamId::MAX {
                Vec::new()
            } else {
                s.range(start, StreamId::MAX, false)
                    .take(limit)
                    .map(|(id, f)| (*id, f.clone()))
                    .collect()
            };
            for (id, _) in &entries {
                s.advance_group(&mut group, *id);
                if !noack {
                    group.deliver(*id, consumer, now);
                }
            }
            if !noack {
                for (id, _) in &entries {
                    if let Some(nack) = group.pel.get(id) {
                        log.push(claim_command(key, name, &group, *id, nack));
                    }
                }
            } else if !entries.is_empty() {
                log.push(setid_command(key, name, &group));
            }
            served = entries;
        }
    }
    s.groups.insert(name.clone(), group);
    served
}
// ANCHOR_END: read_group

/// The `>` ID of an XREADGROUP that blocked, as its re-runs carry it: not valid UTF-8,
/// so no client types it by accident (one that sends it gets `>` with the re-run errors).
const BLOCKED_NEW: &[u8] = b"\xff>";

// ANCHOR: xreadgroup
fn xreadgroup(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let read = parse_read_args(args, true)?;
    let Some((name, consumer)) = read.group.clone() else {
        return Err(CmdError::err("Missing GROUP option for XREADGROUP"));
    };
    let keys = &args[read.streams_at..read.streams_at + read.keys];
    let ids = &args[read.streams_at + read.keys..];
    // Check every key, group and ID before serving any, as Redis does.
    let mut afters = Vec::with_capacity(keys.len());
    // A request that already blocked (see BLOCKED_NEW below) fails differently when its
    // key or group vanished meanwhile, as Redis unblocks such clients with an error.
    let rerun = ids.iter().any(|id| id.as_ref() == BLOCKED_NEW);
    for (key, id_arg) in keys.iter().zip(ids) {
        let found = match stream(&mut cx.db, key) {
            Ok(found) => found,
            Err(_) if rerun => None,
            Err(err) => return Err(err),
        };
        let has_group = found.as_ref().is_some_and(|s| s.groups.contains_key(&name));
        if rerun && found.is_none() {
            return Err(CmdError::Other(
                "UNBLOCKED the stream key no longer exists".into(),
            ));
        }
        if rerun && !has_group {
            return Err(CmdError::Other(
                "NOGROUP the consumer group this client was blocked on no longer exists".into(),
            ));
        }
        if !has_group {
            return Err(CmdError::Other(format!(
                "NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP with GROUP option",
                lossy(key),
                lossy(&name)
            )));
        }
        afters.push(match id_arg.as_ref() {
            b"$" => {
                return Err(CmdError::err(
                    "The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
                ));
            }
            b">" | BLOCKED_NEW => None,
            other => Some(parse_id(other, 0, true)?),
        });
    }
    let now = crate::db::now_ms();
    let mut log = Vec::new();
    let mut found: Vec<StreamRead> = Vec::new();
    for (key, after) in keys.iter().zip(afters) {
        let Some(s) = stream(&mut cx.db, key)? else {
            continue;
        };
        let has_new = s.groups.get(&name).is_some_and(|g| {
            s.entries
                .last_key_value()
                .is_some_and(|(id, _)| *id > g.last_id)
        });
        if after.is_none() && !has_new {
            continue;
        }
        let entries = read_group(
            s,
            (key, &name, &consumer),
            after,
            read.count,
            read.noack,
            now,
            &mut log,
        );
        found.push((key.clone(), entries));
    }
    cx.session.propagate_as = Some(log);
    if found.is_empty() {
        match read.block {
            Some(timeout) if !cx.session.tx.executing => {
                // Blocked requests are run again after each write: mark the `>` IDs so the
                // re-run knows it is one.
                let mut marked = args.to_vec();
                for id in &mut marked[read.streams_at + read.keys..] {
                    if id.as_ref() == b">" {
                        *id = Bytes::from_static(BLOCKED_NEW);
                    }
                }
                return super::blocking::block(cx, &marked, timeout);
            }
            _ => {
                cx.out.null_array();
                return Ok(Flow::Continue);
            }
        }
    }
    write_streams(cx.out, &found);
    Ok(Flow::Continue)
}
// ANCHOR_END: xreadgroup

fn xack(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let group_exists =
        stream(&mut cx.db, &args[1])?.is_some_and(|s| s.groups.contains_key(&args[2]));
    if !group_exists {
        cx.out.int(0);
        cx.session.propagate_as = Some(Vec::new());
        return Ok(Flow::Continue);
    }
    let ids = args[3..]
        .iter()
        .map(|a| parse_id(a, 0, true))
        .collect::<Result<Vec<_>, _>>()?;
    let mut acked = 0;
    if let Some(group) = stream(&mut cx.db, &args[1])?.and_then(|s| s.groups.get_mut(&args[2])) {
        acked = ids.into_iter().filter(|id| group.ack(*id)).count();
    }
    cx.out.int(acked as i64);
    Ok(Flow::Continue)
}

fn parse_interval(arg: &[u8], missing_seq: u64, start: bool) -> Result<StreamId, CmdError> {
    if arg.len() > 1 && arg[0] == b'(' {
        let id = parse_id(&arg[1..], missing_seq, true)?;
        if start {
            id.incr()
                .ok_or_else(|| CmdError::err("invalid start ID for the interval"))
        } else {
            id.decr()
                .ok_or_else(|| CmdError::err("invalid end ID for the interval"))
        }
    } else {
        parse_id(arg, missing_seq, false)
    }
}

// ANCHOR: xpending
fn xpending(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let argc = args.len();
    if argc != 3 && !(6..=9).contains(&argc) {
        return Err(CmdError::Syntax);
    }
    let mut range = None;
    if argc >= 6 {
        let mut at = 3;
        let mut min_idle = 0;
        if is(&args[3], "idle") {
            min_idle = parse_int(&args[4])?;
            if argc < 8 {
                return Err(CmdError::Syntax);
            }
            at += 2;
        }
        let count = usize::try_from(parse_int(&args[at + 2])?.max(0)).unwrap_or(0);
        let start = parse_interval(&args[at], 0, true)?;
        let end = parse_interval(&args[at + 1], u64::MAX, false)?;
        let consumer = args.get(at + 3).cloned();
        if at + 4 < argc {
            return Err(CmdError::Syntax);
        }
        range = Some((min_idle, start, end, count, consumer));
    }
    let (key, name) = (&args[1], &args[2]);
    let group = stream(&mut cx.db, key)?
        .and_then(|s| s.groups.get(name))
        .ok_or_else(|| no_group(key, name))?;
    let Some((min_idle, start, end, count, consumer)) = range else {
        cx.out.array(4);
        cx.out.int(group.pel.len() as i64);
        match (group.pel.first_key_value(), group.pel.last_key_value()) {
            (Some((first, _)), Some((last, _))) => {
                cx.out.bulk(first.to_string().as_bytes());
                cx.out.bulk(last.to_string().as_bytes());
                let busy: Vec<_> = group
                    .consumers
                    .iter()
                    .filter(|(_, c)| !c.pel.is_empty())
                    .collect();
                cx.out.array(busy.len());
                for (name, c) in busy {
                    cx.out.array(2);
                    cx.out.bulk(name);
                    cx.out.bulk(c.pel.len().to_string().as_bytes());
                }
            }
            _ => {
                cx.out.null();
                cx.out.null();
                cx.out.null_array();
            }
        }
        return Ok(Flow::Continue);
    };
    let now = crate::db::now_ms();
    let ids: Vec<StreamId> = match &consumer {
        Some(c) => match group.consumers.get(c) {
            Some(c) if start <= end => c.pel.range(start..=end).copied().collect(),
            _ => Vec::new(),
        },
        None if start <= end => group.pel.range(start..=end).map(|(id, _)| *id).collect(),
        None => Vec::new(),
    };
    let rows: Vec<(StreamId, &Nack)> = ids
        .into_iter()
        .filter_map(|id| group.pel.get(&id).map(|n| (id, n)))
        .filter(|(_, n)| min_idle <= 0 || now.saturating_sub(n.delivery_time) as i64 >= min_idle)
        .take(count)
        .collect();
    cx.out.array(rows.len());
    for (id, nack) in rows {
        cx.out.array(4);
        cx.out.bulk(id.to_string().as_bytes());
        cx.out.bulk(&nack.consumer);
        cx.out.int(now.saturating_sub(nack.delivery_time) as i64);
        cx.out.int(nack.delivery_count as i64);
    }
    Ok(Flow::Continue)
}
// ANCHOR_END: xpending

/// XCLAIM's options.
struct ClaimOptions {
    min_idle: u64,
    delivery_time: Option<u64>,
    retry_count: Option<u64>,
    force: bool,
    justid: bool,
    last_id: StreamId,
}

fn claim_int(arg: &[u8], what: &str) -> Result<i64, CmdError> {
    super::parse_i64(arg)
        .ok_or_else(|| CmdError::err(format!("Invalid {what} argument for XCLAIM")))
}

// ANCHOR: xclaim
fn xclaim(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (key, name, consumer) = (&args[1], &args[2], &args[3]);
    let group_exists = stream(&mut cx.db, key)?.is_some_and(|s| s.groups.contains_key(name));
    if !group_exists {
        return Err(no_group(key, name));
    }
    let min_idle = u64::try_from(claim_int(&args[4], "min-idle-time")?).unwrap_or(0);
    // The IDs run until the first word that is not one; options follow.
    let mut ids = Vec::new();
    let mut j = 5;
    while j < args.len() {
        match parse_id(&args[j], 0, true) {
            Ok(id) => ids.push(id),
            Err(_) => break,
        }
        j += 1;
    }
    let now = crate::db::now_ms();
    let mut opts = ClaimOptions {
        min_idle,
        delivery_time: None,
        retry_count: None,
        force: false,
        justid: false,
        last_id: StreamId::MIN,
    };
    while j < args.len() {
        let more = j + 1 < args.len();
        let opt = &args[j];
        if is(opt, "force") {
            opts.force = true;
        } else if is(opt, "justid") {
            opts.justid = true;
        } else if is(opt, "idle") && more {
            j += 1;
            let idle = claim_int(&args[j], "IDLE option")?;
            opts.delivery_time = Some((now as i64).saturating_sub(idle).max(0) as u64);
        } else if is(opt, "time") && more {
            j += 1;
            opts.delivery_time = Some(claim_int(&args[j], "TIME option")?.max(0) as u64);
        } else if is(opt, "retrycount") && more {
            j += 1;
            opts.retry_count = u64::try_from(claim_int(&args[j], "RETRYCOUNT option")?).ok();
        } else if is(opt, "lastid") && more {
            j += 1;
            opts.last_id = parse_id(&args[j], 0, true)?;
        } else {
            return Err(CmdError::err(format!(
                "Unrecognized XCLAIM option '{}'",
                lossy(opt)
            )));
        }
        j += 1;
    }
    let delivery_time = opts.delivery_time.filter(|&t| t <= now).unwrap_or(now);
    let Some(s) = stream(&mut cx.db, key)? else {
        return Err(no_group(key, name));
    };
    let Some(mut group) = s.groups.remove(name) else {
        return Err(no_group(key, name));
    };
    let mut log = Vec::new();
    let mut moved_last = false;
    if opts.last_id > group.last_id {
        group.last_id = opts.last_id;
        moved_last = true;
    }
    let mut claimed: Vec<StreamId> = Vec::new();
    for id in ids {
        let exists = s.entries.contains_key(&id);
        if !exists {
            if let Some(nack) = group.pel.get(&id).cloned() {
                log.push(claim_command(key, name, &group, id, &nack));
                group.ack(id);
                moved_last = false;
            }
            continue;
        }
        let fresh = !group.pel.contains_key(&id);
        if fresh && !opts.force {
            continue;
        }
        if !fresh
            && opts.min_idle > 0
            && let Some(nack) = group.pel.get(&id)
            && now.saturating_sub(nack.delivery_time) < opts.min_idle
        {
            continue;
        }
        let previous = group.pel.get(&id).cloned();
        let count = match (opts.retry_count, &previous) {
            (Some(n), _) => n,
            (None, Some(p)) if !opts.justid => p.delivery_count.saturating_add(1),
            (None, Some(p)) => p.delivery_count,
            (None, None) if opts.justid => 0,
            (None, None) => 1,
        };
        group.deliver(id, consumer, now);
        if let Some(nack) = group.pel.get_mut(&id) {
            nack.delivery_time = delivery_time;
            nack.delivery_count = count;
        }
        group.consumer(consumer, now).0.seen_time = now;
        if let Some(nack) = group.pel.get(&id) {
            log.push(claim_command(key, name, &group, id, nack));
        }
        moved_last = false;
        claimed.push(id);
    }
    if moved_last {
        log.push(setid_command(key, name, &group));
    }
    cx.out.array(claimed.len());
    for id in &claimed {
        match (opts.justid, s.entries.get(id)) {
            (false, Some(fields)) => write_entry(cx.out, *id, fields),
            _ => cx.out.bulk(id.to_string().as_bytes()),
        }
    }
    s.groups.insert(name.clone(), group);
    cx.session.propagate_as = Some(log);
    Ok(Flow::Continue)
}
// ANCHOR_END: xclaim

fn xautoclaim(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (key, name, consumer) = (&args[1], &args[2], &args[3]);
    let min_idle = super::parse_i64(&args[4])
        .ok_or_else(|| CmdError::err("Invalid min-idle-time argument for XAUTOCLAIM"))?
        .max(0) as u64;
    let start = parse_interval(&args[5], 0, true)?;
    let mut count: usize = 100;
    let mut justid = false;
    let mut j = 6;
    while j < args.len() {
        if is(&args[j], "count") && j + 1 < args.len() {
            let n = parse_int(&args[j + 1]).map_err(|_| CmdError::err("COUNT must be > 0"))?;
            if !(1..=i64::MAX / 16).contains(&n) {
                return Err(CmdError::err("COUNT must be > 0"));
            }
            count = usize::try_from(n).unwrap_or(usize::MAX);
            j += 2;
        } else if is(&args[j], "justid") {
            justid = true;
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let s = stream(&mut cx.db, key)?.ok_or_else(|| no_group(key, name))?;
    let mut group = s.groups.remove(name).ok_or_else(|| no_group(key, name))?;
    let now = crate::db::now_ms();
    let mut attempts = count.saturating_mul(10);
    let mut log = Vec::new();
    let mut claimed = Vec::new();
    let mut deleted = Vec::new();
    let mut next = StreamId::MIN;
    let candidates: Vec<StreamId> = group.pel.range(start..).map(|(id, _)| *id).collect();
    let mut it = candidates.into_iter().peekable();
    while attempts > 0 && count > 0 {
        let Some(id) = it.next() else { break };
        attempts -= 1;
        if !s.entries.contains_key(&id) {
            if let Some(nack) = group.pel.get(&id).cloned() {
                log.push(claim_command(key, name, &group, id, &nack));
            }
            group.ack(id);
            deleted.push(id);
            count -= 1;
            continue;
        }
        let Some(nack) = group.pel.get(&id).cloned() else {
            continue;
        };
        if min_idle > 0 && now.saturating_sub(nack.delivery_time) < min_idle {
            continue;
        }
        let deliveries = if justid {
            nack.delivery_count
        } else {
            nack.delivery_count.saturating_add(1)
        };
        group.deliver(id, consumer, now);
        if let Some(n) = group.pel.get_mut(&id) {
            n.delivery_count = deliveries;
        }
        if let Some(n) = group.pel.get(&id) {
            log.push(claim_command(key, name, &group, id, n));
        }
        claimed.push(id);
        count -= 1;
    }
    if let Some(id) = it.peek() {
        next = *id;
    }
    cx.out.array(3);
    cx.out.bulk(next.to_string().as_bytes());
    cx.out.array(claimed.len());
    for id in &claimed {
        match (justid, s.entries.get(id)) {
            (false, Some(fields)) => write_entry(cx.out, *id, fields),
            _ => cx.out.bulk(id.to_string().as_bytes()),
        }
    }
    cx.out.array(deleted.len());
    for id in &deleted {
        cx.out.bulk(id.to_string().as_bytes());
    }
    s.groups.insert(name.clone(), group);
    cx.session.propagate_as = Some(log);
    Ok(Flow::Continue)
}
