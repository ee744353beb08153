//! Day 4 — list commands: pushes and pops at both ends, ranges, LINSERT, LPOS, LMOVE.
//!
//! A Redis list is a sequence with cheap access at both ends: LPUSH/RPOP make a queue,
//! LPUSH/LPOP a stack. godis hand-writes a linked list (later a quicklist of pages); a ring
//! buffer, Rust's `VecDeque`, gives O(1) pushes and pops at both ends *and* O(1) LINDEX,
//! with far better cache behaviour than a linked list. Indexes follow Redis: `0` is the
//! head, `-1` the tail. A list that becomes empty is deleted.

use std::collections::VecDeque;

use bytes::Bytes;

use super::{
    CmdError, CmdResult, Ctx, FAST, READONLY, WRITE, clamp_range, drop_if_empty, is, list,
    list_or_create, parse_int,
};
use crate::command;
use crate::connection::Flow;
use crate::db::keyspace::ListValue;
use crate::resp::ReplyWriter;
use crate::types::StrValue;

/// The list commands.
pub const COMMANDS: &[super::Command] = &[
    command!("lpush", -3, WRITE | FAST, (1, 1, 1), lpush),
    command!("rpush", -3, WRITE | FAST, (1, 1, 1), rpush),
    command!("lpushx", -3, WRITE | FAST, (1, 1, 1), lpushx),
    command!("rpushx", -3, WRITE | FAST, (1, 1, 1), rpushx),
    command!("lpop", -2, WRITE | FAST, (1, 1, 1), lpop),
    command!("rpop", -2, WRITE | FAST, (1, 1, 1), rpop),
    command!("llen", 2, READONLY | FAST, (1, 1, 1), llen),
    command!("lindex", 3, READONLY, (1, 1, 1), lindex),
    command!("lset", 4, WRITE, (1, 1, 1), lset),
    command!("lrange", 4, READONLY, (1, 1, 1), lrange),
    command!("ltrim", 4, WRITE, (1, 1, 1), ltrim),
    command!("lrem", 4, WRITE, (1, 1, 1), lrem),
    command!("linsert", 5, WRITE, (1, 1, 1), linsert),
    command!("lpos", -3, READONLY, (1, 1, 1), lpos),
    command!("lmove", 5, WRITE, (1, 2, 1), lmove),
    command!("rpoplpush", 3, WRITE, (1, 2, 1), rpoplpush),
    command!("lmpop", -4, WRITE, (2, -1, 1), lmpop),
];

/// Which end of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The head (index 0).
    Left,
    /// The tail (index -1).
    Right,
}

fn push(cx: &mut Ctx<'_>, args: &[Bytes], end: End, only_if_exists: bool) -> CmdResult {
    let key = &args[1];
    let list = if only_if_exists {
        match list(&mut cx.db, key)? {
            Some(list) => list,
            None => {
                cx.out.int(0);
                return Ok(Flow::Continue);
            }
        }
    } else {
        list_or_create(&mut cx.db, key)?
    };
    // ANCHOR: push
    for value in &args[2..] {
        let value = StrValue::copy_from_slice(value);
        match end {
            End::Left => list.push_front(value),
            End::Right => list.push_back(value),
        }
    }
    // ANCHOR_END: push
    cx.out.int(list.len() as i64);
    Ok(Flow::Continue)
}

fn lpush(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    push(cx, args, End::Left, false)
}

fn rpush(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    push(cx, args, End::Right, false)
}

fn lpushx(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    push(cx, args, End::Left, true)
}

fn rpushx(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    push(cx, args, End::Right, true)
}

fn pop(cx: &mut Ctx<'_>, args: &[Bytes], end: End) -> CmdResult {
    let key = &args[1];
    let count = match args.len() {
        2 => None,
        3 => Some(super::args::parse_positive(&args[2])?),
        _ => {
            let name = if end == End::Left { "lpop" } else { "rpop" };
            return Err(CmdError::err(format!(
                "wrong number of arguments for '{name}' command"
            )));
        }
    };
    let Some(list) = list(&mut cx.db, key)? else {
        match count {
            None => cx.out.null(),
            Some(_) => cx.out.null_array(),
        }
        return Ok(Flow::Continue);
    };
    let take = |list: &mut ListValue| match end {
        End::Left => list.pop_front(),
        End::Right => list.pop_back(),
    };
    match count {
        None => match take(list) {
            Some(v) => cx.out.bulk(&v),
            None => cx.out.null(),
        },
        Some(n) => {
            let n = n.min(list.len());
            cx.out.array(n);
            for _ in 0..n {
                if let Some(v) = take(list) {
                    cx.out.bulk(&v);
                }
            }
        }
    }
    drop_if_empty(&mut cx.db, key);
    Ok(Flow::Continue)
}

fn lpop(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    pop(cx, args, End::Left)
}

fn rpop(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    pop(cx, args, End::Right)
}

fn llen(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let len = list(&mut cx.db, &args[1])?.map_or(0, |l| l.len());
    cx.out.int(len as i64);
    Ok(Flow::Continue)
}

/// Turns a Redis index (negative from the tail) into a position, if inside `len`.
fn position(index: i64, len: usize) -> Option<usize> {
    let i = if index < 0 { len as i64 + index } else { index };
    (0..len as i64).contains(&i).then_some(i as usize)
}

fn lindex(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    // Redis looks the key up first: a missing key is nil and a wrong type wins over a bad
    // index.
    let Some(list) = list(&mut cx.db, &args[1])? else {
        cx.out.null();
        return Ok(Flow::Continue);
    };
    let index = parse_int(&args[2])?;
    match position(index, list.len()).map(|p| list[p].clone()) {
        Some(v) => cx.out.bulk(&v),
        None => cx.out.null(),
    }
    Ok(Flow::Continue)
}

fn lset(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    // As in Redis: the key (missing, wrong type) before the index.
    let list = list(&mut cx.db, &args[1])?.ok_or(CmdError::NoSuchKey)?;
    let index = parse_int(&args[2])?;
    let p = position(index, list.len()).ok_or(CmdError::IndexOutOfRange)?;
    list[p] = StrValue::copy_from_slice(&args[3]);
    cx.out.ok();
    Ok(Flow::Continue)
}

// ANCHOR: lrange
fn lrange(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let start = parse_int(&args[2])?;
    let stop = parse_int(&args[3])?;
    // ANCHOR: ex_lrange
    let Some(list) = list(&mut cx.db, &args[1])? else {
        cx.out.array(0);
        return Ok(Flow::Continue);
    };
    match clamp_range(start, stop, list.len()) {
        None => cx.out.array(0),
        Some((from, to)) => {
            cx.out.array(to - from + 1);
            for value in list.range(from..=to) {
                cx.out.bulk(value);
            }
        }
    }
    Ok(Flow::Continue)
    // ANCHOR_END: ex_lrange
}
// ANCHOR_END: lrange

fn ltrim(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let start = parse_int(&args[2])?;
    let stop = parse_int(&args[3])?;
    if let Some(list) = list(&mut cx.db, &args[1])? {
        match clamp_range(start, stop, list.len()) {
            None => list.clear(),
            Some((from, to)) => {
                list.truncate(to + 1);
                list.drain(..from);
            }
        }
    }
    drop_if_empty(&mut cx.db, &args[1]);
    cx.out.ok();
    Ok(Flow::Continue)
}

fn lrem(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let count = parse_int(&args[2])?;
    let target = &args[3];
    let mut removed = 0usize;
    if let Some(list) = list(&mut cx.db, &args[1])? {
        let limit = if count == 0 {
            usize::MAX
        } else {
            count.unsigned_abs() as usize
        };
        let mut keep = VecDeque::with_capacity(list.len());
        if count >= 0 {
            for v in list.drain(..) {
                if removed < limit && v == target {
                    removed += 1;
                } else {
                    keep.push_back(v);
                }
            }
        } else {
            while let Some(v) = list.pop_back() {
                if removed < limit && v == target {
                    removed += 1;
                } else {
                    keep.push_front(v);
                }
            }
        }
        *list = keep;
    }
    drop_if_empty(&mut cx.db, &args[1]);
    cx.out.int(removed as i64);
    Ok(Flow::Continue)
}

fn linsert(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let after = if is(&args[2], "after") {
        true
    } else if is(&args[2], "before") {
        false
    } else {
        return Err(CmdError::Syntax);
    };
    let Some(list) = list(&mut cx.db, &args[1])? else {
        cx.out.int(0);
        return Ok(Flow::Continue);
    };
    match list.iter().position(|v| v == &args[3]) {
        None => cx.out.int(-1),
        Some(p) => {
            list.insert(
                if after { p + 1 } else { p },
                StrValue::copy_from_slice(&args[4]),
            );
            cx.out.int(list.len() as i64);
        }
    }
    Ok(Flow::Continue)
}

fn lpos(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (mut rank, mut count, mut maxlen) = (1i64, None, 0usize);
    let mut i = 3;
    while i < args.len() {
        let value = args.get(i + 1).ok_or(CmdError::Syntax)?;
        if is(&args[i], "rank") {
            rank = parse_int(value)?;
            if rank == 0 {
                return Err(CmdError::err(
                    "RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the last match",
                ));
            }
            if rank == i64::MIN {
                return Err(CmdError::err(
                    "value is out of range, value must between -9223372036854775807 and 9223372036854775807",
                ));
            }
        } else if is(&args[i], "count") {
            let n = parse_int(value)?;
            if n < 0 {
                return Err(CmdError::err("COUNT can't be negative"));
            }
            count = Some(n as usize);
        } else if is(&args[i], "maxlen") {
            let n = parse_int(value)?;
            if n < 0 {
                return Err(CmdError::err("MAXLEN can't be negative"));
            }
            maxlen = n as usize;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    let mut found = Vec::new();
    if let Some(list) = list(&mut cx.db, &args[1])? {
        let len = list.len();
        let scan = if maxlen == 0 { len } else { maxlen.min(len) };
        let wanted = match count {
            Some(0) => usize::MAX,
            Some(n) => n,
            None => 1,
        };
        let mut skip = rank.unsigned_abs() as usize - 1;
        let indexes: Box<dyn Iterator<Item = usize>> = if rank > 0 {
            Box::new(0..scan)
        } else {
            Box::new((len - scan..len).rev())
        };
        for p in indexes {
            if list[p] == args[2] {
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                found.push(p);
                if found.len() >= wanted {
                    break;
                }
            }
        }
    }
    match count {
        None => match found.first() {
            Some(&p) => cx.out.int(p as i64),
            None => cx.out.null(),
        },
        Some(_) => {
            cx.out.array(found.len());
            for p in found {
                cx.out.int(p as i64);
            }
        }
    }
    Ok(Flow::Continue)
}

pub(crate) fn parse_end(arg: &[u8]) -> Result<End, CmdError> {
    if is(arg, "left") {
        Ok(End::Left)
    } else if is(arg, "right") {
        Ok(End::Right)
    } else {
        Err(CmdError::Syntax)
    }
}

/// Pops from `src` at `from` and pushes onto `dst` at `to`, atomically (both keys locked).
pub(crate) fn move_element(
    cx: &mut Ctx<'_>,
    src: &[u8],
    dst: &[u8],
    from: End,
    to: End,
) -> CmdResult {
    // As Redis 7.0 does: a missing source is nil whatever the destination holds; the
    // destination's type is checked only when there is something to move.
    if list(&mut cx.db, src)?.is_none() {
        cx.out.null();
        return Ok(Flow::Continue);
    }
    list(&mut cx.db, dst)?;
    let Some(source) = list(&mut cx.db, src)? else {
        cx.out.null();
        return Ok(Flow::Continue);
    };
    let Some(value) = (match from {
        End::Left => source.pop_front(),
        End::Right => source.pop_back(),
    }) else {
        cx.out.null();
        return Ok(Flow::Continue);
    };
    let target = list_or_create(&mut cx.db, dst)?;
    match to {
        End::Left => target.push_front(value.clone()),
        End::Right => target.push_back(value.clone()),
    }
    drop_if_empty(&mut cx.db, src);
    cx.out.bulk(&value);
    Ok(Flow::Continue)
}

fn lmove(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let from = parse_end(&args[3])?;
    let to = parse_end(&args[4])?;
    move_element(cx, &args[1], &args[2], from, to)
}

fn rpoplpush(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    move_element(cx, &args[1], &args[2], End::Right, End::Left)
}

fn lmpop(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    if !mpop_list(cx, args)? {
        cx.out.null_array();
    }
    Ok(Flow::Continue)
}

/// LMPOP's work on `args` (`args[1]` is numkeys); `false` when every list is empty.
pub(crate) fn mpop_list(cx: &mut Ctx<'_>, args: &[Bytes]) -> Result<bool, CmdError> {
    let (keys, right, count) = super::args::parse_mpop(args, ["left", "right"])?;
    for key in keys {
        if let Some(list) = list(&mut cx.db, key)? {
            let n = count.min(list.len());
            let popped: Vec<StrValue> = (0..n)
                .filter_map(|_| {
                    if right {
                        list.pop_back()
                    } else {
                        list.pop_front()
                    }
                })
                .collect();
            drop_if_empty(&mut cx.db, key);
            cx.out.array(2);
            cx.out.bulk(key);
            cx.out.array(popped.len());
            for v in &popped {
                cx.out.bulk(v);
            }
            return Ok(true);
        }
    }
    Ok(false)
}
