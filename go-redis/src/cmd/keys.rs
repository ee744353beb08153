//! Day 3 — key commands: DEL, EXISTS, TYPE, RENAME, KEYS and SCAN, COPY/MOVE between
//! databases, FLUSHDB/FLUSHALL, SWAPDB.
//!
//! Most of these work on the key itself, whatever its type. Two are worth a look: KEYS,
//! whose glob matcher ([`glob_match`]) must stay linear even for patterns like
//! `*a*a*a*a*b` (a naive backtracking matcher takes exponential time there), and SCAN,
//! whose cursor walks each shard from its last index down so that keys moved by deletions
//! during the scan are still returned.

use bytes::Bytes;
use rand::Rng;

use super::args::glob_match;
use super::{
    CmdError, CmdResult, Ctx, FAST, READONLY, WRITE, is, parse_cursor, parse_int,
    parse_scan_options, scan_step, write_scan_reply,
};
use crate::command;
use crate::connection::Flow;
use crate::db::keyspace::SHARDS;
use crate::db::{Entry, Locked};
use crate::resp::ReplyWriter;

/// The key commands.
pub const COMMANDS: &[super::Command] = &[
    command!("del", -2, WRITE, (1, -1, 1), del),
    command!("unlink", -2, WRITE | FAST, (1, -1, 1), del),
    command!("exists", -2, READONLY | FAST, (1, -1, 1), exists),
    command!("touch", -2, READONLY | FAST, (1, -1, 1), touch),
    command!("type", 2, READONLY | FAST, (1, 1, 1), type_),
    command!("rename", 3, WRITE, (1, 2, 1), rename),
    command!("renamenx", 3, WRITE | FAST, (1, 2, 1), renamenx),
    command!("keys", 2, READONLY, all, keys),
    command!("scan", -2, READONLY, all, scan),
    command!("randomkey", 1, READONLY, all, randomkey),
    command!("dbsize", 1, READONLY | FAST, all, dbsize),
    command!("flushdb", -1, WRITE, all, flushdb),
    command!("flushall", -1, WRITE, none, flushall),
    command!("copy", -3, WRITE, none, copy),
    command!("move", 3, WRITE | FAST, none, move_),
    command!("swapdb", 3, WRITE | FAST, none, swapdb),
    command!("select", 2, FAST, none, select),
];

fn del(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let removed = args[1..]
        .iter()
        .filter(|k| cx.db.remove(k).is_some())
        .count();
    cx.out.int(removed as i64);
    Ok(Flow::Continue)
}

/// TOUCH: counts the keys that exist, like EXISTS, and marks them as used now.
fn touch(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let found = args[1..]
        .iter()
        .filter(|k| cx.db.entry(k).is_some())
        .count();
    cx.out.int(found as i64);
    Ok(Flow::Continue)
}

fn exists(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    // Looking does not count as using: EXISTS leaves the keys' access times alone.
    let found = args[1..].iter().filter(|k| cx.db.peek(k).is_some()).count();
    cx.out.int(found as i64);
    Ok(Flow::Continue)
}

fn type_(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let name = cx.db.peek(&args[1]).map_or("none", |e| e.value.type_name());
    cx.out.simple(name);
    Ok(Flow::Continue)
}

fn rename_generic(cx: &mut Ctx<'_>, args: &[Bytes], nx: bool) -> Result<bool, CmdError> {
    let (from, to) = (&args[1], &args[2]);
    if !cx.db.exists(from) {
        return Err(CmdError::NoSuchKey);
    }
    if from == to {
        return Ok(!nx);
    }
    if nx && cx.db.exists(to) {
        return Ok(false);
    }
    if let Some(entry) = cx.db.remove(from) {
        cx.db.put_entry(to, entry);
    }
    Ok(true)
}

fn rename(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    rename_generic(cx, args, false)?;
    cx.out.ok();
    Ok(Flow::Continue)
}

fn renamenx(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let done = rename_generic(cx, args, true)?;
    cx.out.int(i64::from(done));
    Ok(Flow::Continue)
}

fn keys(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let pattern = &args[1];
    let now = cx.db.now;
    let mut found = Vec::new();
    for shard in cx.db.shards_mut() {
        for (key, entry) in shard.map.iter() {
            if entry.expires_at.is_none_or(|at| at > now) && glob_match(pattern, key) {
                found.push(key.clone());
            }
        }
    }
    cx.out.array(found.len());
    for key in &found {
        cx.out.bulk(key);
    }
    Ok(Flow::Continue)
}

// ANCHOR: scan
fn scan(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let cursor = parse_cursor(&args[1])?;
    let opts = parse_scan_options(args, 2, true)?;
    let now = cx.db.now;
    let (mut shard_index, mut top) = ((cursor % SHARDS as u64) as usize, cursor / SHARDS as u64);
    let mut found = Vec::new();
    let mut visited = 0;
    let mut next_cursor = 0;
    while let Some(shard) = cx.db.held_shard(shard_index) {
        let (range, next) = scan_step(top, shard.len(), opts.count - visited.min(opts.count - 1));
        visited += range.len();
        for i in range.rev() {
            let Some((key, entry)) = shard.map.get_index(i) else {
                continue;
            };
            if entry.expires_at.is_some_and(|at| at <= now) {
                continue;
            }
            if opts.pattern.as_ref().is_some_and(|p| !glob_match(p, key)) {
                continue;
            }
            if opts
                .type_name
                .as_ref()
                .is_some_and(|t| t != entry.value.type_name())
            {
                continue;
            }
            found.push(key.clone());
        }
        if next != 0 {
            next_cursor = next * SHARDS as u64 + shard_index as u64;
            break;
        }
        shard_index += 1;
        top = 0;
        if shard_index >= SHARDS {
            break;
        }
        if visited >= opts.count {
            next_cursor = shard_index as u64;
            break;
        }
    }
    write_scan_reply(cx.out, next_cursor, &found);
    Ok(Flow::Continue)
}
// ANCHOR_END: scan

fn randomkey(cx: &mut Ctx<'_>, _args: &[Bytes]) -> CmdResult {
    let now = cx.db.now;
    let mut rng = rand::rng();
    let sizes: Vec<usize> = cx.db.shards_mut().map(|s| s.len()).collect();
    let total: usize = sizes.iter().sum();
    for _ in 0..100 {
        if total == 0 {
            break;
        }
        let mut pick = rng.random_range(0..total);
        let mut index = 0;
        while pick >= sizes[index] {
            pick -= sizes[index];
            index += 1;
        }
        if let Some(shard) = cx.db.held_shard(index)
            && let Some((key, entry)) = shard.map.get_index(pick)
            && entry.expires_at.is_none_or(|at| at > now)
        {
            let key = key.clone();
            cx.out.bulk(&key);
            return Ok(Flow::Continue);
        }
    }
    // Rare: only expired keys sampled (or none at all): look for any live one.
    for shard in cx.db.shards_mut() {
        if let Some((key, _)) = shard
            .map
            .iter()
            .find(|(_, e)| e.expires_at.is_none_or(|at| at > now))
        {
            let key = key.clone();
            cx.out.bulk(&key);
            return Ok(Flow::Continue);
        }
    }
    cx.out.null();
    Ok(Flow::Continue)
}

fn dbsize(cx: &mut Ctx<'_>, _args: &[Bytes]) -> CmdResult {
    let size: usize = cx.db.shards_mut().map(|s| s.len()).sum();
    cx.out.int(size as i64);
    Ok(Flow::Continue)
}

fn check_flush_args(args: &[Bytes]) -> Result<(), CmdError> {
    match args.len() {
        1 => Ok(()),
        2 if is(&args[1], "async") || is(&args[1], "sync") => Ok(()),
        _ => Err(CmdError::Syntax),
    }
}

fn flushdb(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    check_flush_args(args)?;
    for shard in cx.db.shards_mut() {
        shard.clear();
    }
    cx.out.ok();
    Ok(Flow::Continue)
}

fn flushall(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    check_flush_args(args)?;
    for db in cx.server.dbs() {
        db.clear();
    }
    cx.out.ok();
    Ok(Flow::Continue)
}

/// Parses an argument Redis reads as a C `int` (`getIntFromObjectOrReply`): not a number
/// is `ERR value is not an integer or out of range`, a number outside 32 bits is
/// Redis's range message; a command's own `message` replaces both when given.
pub fn parse_c_int(arg: &[u8], message: Option<&str>) -> Result<i64, CmdError> {
    let n = parse_int(arg).map_err(|e| message.map_or(e, CmdError::err))?;
    if i32::try_from(n).is_err() {
        return Err(CmdError::err(message.unwrap_or(
            "value is out of range, value must between -2147483648 and 2147483647",
        )));
    }
    Ok(n)
}

/// Parses a database index argument.
pub fn parse_db_index(cx: &Ctx<'_>, arg: &[u8]) -> Result<usize, CmdError> {
    let index = parse_c_int(arg, None)?;
    if index < 0 || index as usize >= cx.server.dbs().len() {
        return Err(CmdError::DbOutOfRange);
    }
    Ok(index as usize)
}

/// Locks `key` in database `a` and `key2` in database `b` (lower database first, after the
/// server's cross-database guard) and runs `f` on the two views. When `a == b` the first view
/// holds both keys and the second is empty.
fn with_two_dbs<'s, T>(
    server: &'s crate::Server,
    (a, key): (usize, &[u8]),
    (b, key2): (usize, &[u8]),
    f: impl FnOnce(&mut Locked<'s>, &mut Locked<'s>) -> T,
) -> T {
    let now = crate::db::now_ms();
    let _cross = server.cross_db_guard();
    let (da, db) = (&server.dbs()[a], &server.dbs()[b]);
    if a == b {
        let mut both = da.lock([key, key2].into_iter(), now);
        let mut empty = db.lock(std::iter::empty(), now);
        return f(&mut both, &mut empty);
    }
    if a < b {
        let mut la = da.lock(std::iter::once(key), now);
        let mut lb = db.lock(std::iter::once(key2), now);
        f(&mut la, &mut lb)
    } else {
        let mut lb = db.lock(std::iter::once(key2), now);
        let mut la = da.lock(std::iter::once(key), now);
        f(&mut la, &mut lb)
    }
}

fn copy(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (src, dst) = (&args[1], &args[2]);
    let mut target = cx.session.db;
    let mut replace = false;
    let mut i = 3;
    while i < args.len() {
        if is(&args[i], "replace") {
            replace = true;
            i += 1;
        } else if is(&args[i], "db") && i + 1 < args.len() {
            target = parse_db_index(cx, &args[i + 1])?;
            i += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let same_db = target == cx.session.db;
    if same_db && src == dst {
        return Err(CmdError::err("source and destination objects are the same"));
    }
    let copied = with_two_dbs(
        cx.server,
        (cx.session.db, src),
        (target, dst),
        |from, to| {
            let Some(entry) = from.entry(src).cloned() else {
                return false;
            };
            let dest = if same_db { from } else { to };
            if dest.exists(dst) && !replace {
                return false;
            }
            dest.put_entry(dst, entry);
            true
        },
    );
    cx.out.int(i64::from(copied));
    Ok(Flow::Continue)
}

fn move_(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    let target = parse_db_index(cx, &args[2])?;
    if target == cx.session.db {
        return Err(CmdError::err("source and destination objects are the same"));
    }
    let moved = with_two_dbs(
        cx.server,
        (cx.session.db, key),
        (target, key),
        |from, to| {
            if to.exists(key) {
                return false;
            }
            let Some(entry): Option<Entry> = from.remove(key) else {
                return false;
            };
            to.put_entry(key, entry);
            true
        },
    );
    cx.out.int(i64::from(moved));
    Ok(Flow::Continue)
}

fn swapdb(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let a = parse_c_int(&args[1], Some("invalid first DB index"))?;
    let b = parse_c_int(&args[2], Some("invalid second DB index"))?;
    let count = cx.server.dbs().len() as i64;
    if !(0..count).contains(&a) || !(0..count).contains(&b) {
        return Err(CmdError::DbOutOfRange);
    }
    let _cross = cx.server.cross_db_guard();
    cx.server.swap_dbs(a as usize, b as usize);
    cx.out.ok();
    Ok(Flow::Continue)
}

fn select(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let index = parse_db_index(cx, &args[1])?;
    cx.session.db = index;
    cx.out.ok();
    Ok(Flow::Continue)
}
