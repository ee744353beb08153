//! Day 4 — set commands: membership, random picks, and the set algebra (SINTER, SUNION,
//! SDIFF and their STORE forms).
//!
//! A set is an `IndexSet`: O(1) SADD/SISMEMBER like a hash set, plus positions, so SPOP
//! and SRANDMEMBER pick uniformly in O(1) and SSCAN has stable cursors. The algebra
//! commands lock all their keys up front (the table says keys are arguments 1..), so an
//! SINTERSTORE reads and writes a consistent snapshot.

use bytes::Bytes;
use rand::Rng;

use super::args::{MAX_RANDOM_REPLY, parse_numkeys_limit, random_indexes};
use super::{
    CmdError, CmdResult, Ctx, FAST, READONLY, WRITE, drop_if_empty, parse_cursor, parse_int,
    parse_scan_options, scan_step, set, set_or_create,
};
use crate::command;
use crate::connection::Flow;
use crate::db::Value;
use crate::db::keyspace::SetValue;
use crate::resp::ReplyWriter;
use crate::types::StrValue;

/// The set commands.
pub const COMMANDS: &[super::Command] = &[
    command!("sadd", -3, WRITE | FAST, (1, 1, 1), sadd),
    command!("srem", -3, WRITE | FAST, (1, 1, 1), srem),
    command!("scard", 2, READONLY | FAST, (1, 1, 1), scard),
    command!("sismember", 3, READONLY | FAST, (1, 1, 1), sismember),
    command!("smismember", -3, READONLY | FAST, (1, 1, 1), smismember),
    command!("smembers", 2, READONLY, (1, 1, 1), smembers),
    command!("spop", -2, WRITE | FAST, (1, 1, 1), spop),
    command!("srandmember", -2, READONLY, (1, 1, 1), srandmember),
    command!("smove", 4, WRITE | FAST, (1, 2, 1), smove),
    command!("sinter", -2, READONLY, (1, -1, 1), sinter),
    command!("sinterstore", -3, WRITE, (1, -1, 1), sinterstore),
    command!("sunion", -2, READONLY, (1, -1, 1), sunion),
    command!("sunionstore", -3, WRITE, (1, -1, 1), sunionstore),
    command!("sdiff", -2, READONLY, (1, -1, 1), sdiff),
    command!("sdiffstore", -3, WRITE, (1, -1, 1), sdiffstore),
    command!("sintercard", -3, READONLY, (2, -1, 1), sintercard),
    command!("sscan", -3, READONLY, (1, 1, 1), sscan),
];

fn sadd(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let set = set_or_create(&mut cx.db, &args[1])?;
    let added = args[2..]
        .iter()
        .filter(|m| !set.contains(&m[..]) && set.insert(StrValue::copy_from_slice(m)))
        .count();
    cx.out.int(added as i64);
    Ok(Flow::Continue)
}

fn srem(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let removed = match set(&mut cx.db, &args[1])? {
        Some(s) => args[2..].iter().filter(|m| s.swap_remove(&m[..])).count(),
        None => 0,
    };
    drop_if_empty(&mut cx.db, &args[1]);
    cx.out.int(removed as i64);
    Ok(Flow::Continue)
}

fn scard(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let len = set(&mut cx.db, &args[1])?.map_or(0, |s| s.len());
    cx.out.int(len as i64);
    Ok(Flow::Continue)
}

fn sismember(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let found = set(&mut cx.db, &args[1])?.is_some_and(|s| s.contains(&args[2][..]));
    cx.out.int(i64::from(found));
    Ok(Flow::Continue)
}

fn smismember(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let set = set(&mut cx.db, &args[1])?;
    cx.out.array(args.len() - 2);
    for m in &args[2..] {
        cx.out
            .int(i64::from(set.as_ref().is_some_and(|s| s.contains(&m[..]))));
    }
    Ok(Flow::Continue)
}

/// A set reply: `~n` for RESP3 clients, an array for RESP2 ones.
fn write_members<M: AsRef<[u8]>>(
    out: &mut crate::resp::Output,
    members: impl ExactSizeIterator<Item = M>,
) {
    out.set(members.len());
    for m in members {
        out.bulk(m.as_ref());
    }
}

fn smembers(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    match set(&mut cx.db, &args[1])? {
        Some(s) => write_members(cx.out, s.iter()),
        None => cx.out.set(0),
    }
    Ok(Flow::Continue)
}

// ANCHOR: spop
fn spop(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let count = match args.len() {
        2 => None,
        3 => {
            let n = parse_int(&args[2])?;
            if n < 0 {
                return Err(CmdError::err("value is out of range, must be positive"));
            }
            Some(n as usize)
        }
        _ => return Err(CmdError::Syntax),
    };
    let mut rng = rand::rng();
    let Some(set) = set(&mut cx.db, &args[1])? else {
        match count {
            None => cx.out.null(),
            Some(_) => cx.out.set(0),
        }
        return Ok(Flow::Continue);
    };
    // ANCHOR: ex_spop
    let n = count.unwrap_or(1).min(set.len());
    let mut popped = Vec::with_capacity(n);
    for _ in 0..n {
        let index = rng.random_range(0..set.len());
        if let Some(member) = set.swap_remove_index(index) {
            popped.push(member);
        }
    }
    // ANCHOR_END: ex_spop
    match count {
        None => match popped.first() {
            Some(m) => cx.out.bulk(m),
            None => cx.out.null(),
        },
        Some(_) => write_members(cx.out, popped.iter()),
    }
    drop_if_empty(&mut cx.db, &args[1]);
    Ok(Flow::Continue)
}
// ANCHOR_END: spop

fn srandmember(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let count = match args.len() {
        2 => None,
        3 => Some(parse_int(&args[2])?),
        _ => return Err(CmdError::Syntax),
    };
    if count.is_some_and(|c| c < 0 && c.unsigned_abs() > MAX_RANDOM_REPLY) {
        return Err(CmdError::err("value is out of range"));
    }
    let mut rng = rand::rng();
    let Some(set) = set(&mut cx.db, &args[1])? else {
        match count {
            None => cx.out.null(),
            Some(_) => cx.out.array(0),
        }
        return Ok(Flow::Continue);
    };
    match count {
        None => {
            let i = rng.random_range(0..set.len());
            match set.get_index(i) {
                Some(m) => cx.out.bulk(m),
                None => cx.out.null(),
            }
        }
        Some(c) => {
            let picks = random_indexes(set.len(), c, &mut rng);
            cx.out.array(picks.len());
            for i in picks {
                if let Some(m) = set.get_index(i) {
                    cx.out.bulk(m);
                }
            }
        }
    }
    Ok(Flow::Continue)
}

fn smove(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (src, dst, member) = (&args[1], &args[2], &args[3]);
    // Redis's order: a missing source is 0, then the source's type, then the
    // destination's.
    if set(&mut cx.db, src)?.is_none() {
        cx.out.int(0);
        return Ok(Flow::Continue);
    }
    set(&mut cx.db, dst)?;
    let Some(source) = set(&mut cx.db, src)? else {
        cx.out.int(0);
        return Ok(Flow::Continue);
    };
    if src == dst {
        let found = source.contains(&member[..]);
        cx.out.int(i64::from(found));
        return Ok(Flow::Continue);
    }
    if !source.swap_remove(&member[..]) {
        cx.out.int(0);
        return Ok(Flow::Continue);
    }
    drop_if_empty(&mut cx.db, src);
    set_or_create(&mut cx.db, dst)?.insert(StrValue::copy_from_slice(member));
    cx.out.int(1);
    Ok(Flow::Continue)
}

/// Which set operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Inter,
    Union,
    Diff,
}

/// Computes the operation over `keys` (all locked). WRONGTYPE if any key is not a set.
fn compute(cx: &mut Ctx<'_>, keys: &[Bytes], op: Op) -> Result<SetValue, CmdError> {
    let mut sets: Vec<Option<SetValue>> = Vec::with_capacity(keys.len());
    for key in keys {
        sets.push(set(&mut cx.db, key)?.map(|s| SetValue::clone(s)));
    }
    // ANCHOR: algebra
    let result = match op {
        Op::Inter => {
            if sets.iter().any(Option::is_none) {
                SetValue::default()
            } else {
                let mut all: Vec<SetValue> = sets.into_iter().flatten().collect();
                all.sort_by_key(|s| s.len()); // walk the smallest set, probe the others
                let mut iter = all.into_iter();
                let first = iter.next().unwrap_or_default();
                let rest: Vec<SetValue> = iter.collect();
                first
                    .into_iter()
                    .filter(|m| rest.iter().all(|s| s.contains(&m[..])))
                    .collect()
            }
        }
        Op::Union => sets.into_iter().flatten().flatten().collect(),
        Op::Diff => {
            let mut iter = sets.into_iter();
            let first = iter.next().flatten().unwrap_or_default();
            let rest: Vec<SetValue> = iter.flatten().collect();
            first
                .into_iter()
                .filter(|m| !rest.iter().any(|s| s.contains(&m[..])))
                .collect()
        }
    };
    // ANCHOR_END: algebra
    Ok(result)
}

fn algebra(cx: &mut Ctx<'_>, args: &[Bytes], op: Op) -> CmdResult {
    let result = compute(cx, &args[1..], op)?;
    write_members(cx.out, result.iter());
    Ok(Flow::Continue)
}

fn algebra_store(cx: &mut Ctx<'_>, args: &[Bytes], op: Op) -> CmdResult {
    let result = compute(cx, &args[2..], op)?;
    let len = result.len();
    if len == 0 {
        cx.db.remove(&args[1]);
    } else {
        cx.db.set(&args[1], Value::Set(Box::new(result)), false);
    }
    cx.out.int(len as i64);
    Ok(Flow::Continue)
}

fn sinter(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    algebra(cx, args, Op::Inter)
}

fn sunion(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    algebra(cx, args, Op::Union)
}

fn sdiff(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    algebra(cx, args, Op::Diff)
}

fn sinterstore(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    algebra_store(cx, args, Op::Inter)
}

fn sunionstore(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    algebra_store(cx, args, Op::Union)
}

fn sdiffstore(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    algebra_store(cx, args, Op::Diff)
}

fn sintercard(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (keys, limit) = parse_numkeys_limit(args)?;
    let keys = keys.to_vec();
    let result = compute(cx, &keys, Op::Inter)?;
    let len = if limit == 0 {
        result.len()
    } else {
        result.len().min(limit)
    };
    cx.out.int(len as i64);
    Ok(Flow::Continue)
}

fn sscan(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let cursor = parse_cursor(&args[2])?;
    let opts = parse_scan_options(args, 3, false)?;
    let mut items = Vec::new();
    let mut next = 0;
    if let Some(set) = set(&mut cx.db, &args[1])? {
        let (range, n) = scan_step(cursor, set.len(), opts.count);
        next = n;
        for i in range.rev() {
            if let Some(m) = set.get_index(i)
                && opts
                    .pattern
                    .as_ref()
                    .is_none_or(|p| super::args::glob_match(p, m))
            {
                items.push(m.clone());
            }
        }
    }
    super::write_scan_reply(cx.out, next, &items);
    Ok(Flow::Continue)
}
