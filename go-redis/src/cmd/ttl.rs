//! Day 4 — TTL commands: EXPIRE and friends with NX/XX/GT/LT, TTL/PTTL, EXPIRETIME, PERSIST.
//!
//! A TTL is stored as an absolute Unix time in milliseconds next to the value, so the four
//! EXPIRE variants differ only in how they turn their argument into that instant (relative
//! or absolute, seconds or milliseconds). A time already in the past deletes the key at
//! once, as Redis does. Reading back goes the other way: TTL answers `-2` for a missing
//! key, `-1` for a key without expiry, otherwise the seconds left, rounded.

use bytes::Bytes;

use super::{CmdError, CmdResult, Ctx, FAST, READONLY, WRITE, is, parse_int};
use crate::command;
use crate::connection::Flow;
use crate::resp::ReplyWriter;

/// The TTL commands.
pub const COMMANDS: &[super::Command] = &[
    command!("expire", -3, WRITE | FAST, (1, 1, 1), expire),
    command!("pexpire", -3, WRITE | FAST, (1, 1, 1), pexpire),
    command!("expireat", -3, WRITE | FAST, (1, 1, 1), expireat),
    command!("pexpireat", -3, WRITE | FAST, (1, 1, 1), pexpireat),
    command!("ttl", 2, READONLY | FAST, (1, 1, 1), ttl),
    command!("pttl", 2, READONLY | FAST, (1, 1, 1), pttl),
    command!("expiretime", 2, READONLY | FAST, (1, 1, 1), expiretime),
    command!("pexpiretime", 2, READONLY | FAST, (1, 1, 1), pexpiretime),
    command!("persist", 2, WRITE | FAST, (1, 1, 1), persist),
];

// ANCHOR: expire
/// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT: `unit_ms` is 1000 for seconds, `absolute` for
/// the *AT forms.
fn expire_generic(
    cx: &mut Ctx<'_>,
    args: &[Bytes],
    unit_ms: i64,
    absolute: bool,
    name: &str,
) -> CmdResult {
    let key = &args[1];
    let n = parse_int(&args[2])?;
    let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
    for opt in &args[3..] {
        if is(opt, "nx") {
            nx = true;
        } else if is(opt, "xx") {
            xx = true;
        } else if is(opt, "gt") {
            gt = true;
        } else if is(opt, "lt") {
            lt = true;
        } else {
            return Err(CmdError::err(format!(
                "Unsupported option {}",
                String::from_utf8_lossy(opt)
            )));
        }
    }
    if nx && (xx || gt || lt) {
        return Err(CmdError::err(
            "NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if gt && lt {
        return Err(CmdError::err(
            "GT and LT options at the same time are not compatible",
        ));
    }
    let invalid = || CmdError::err(format!("invalid expire time in '{name}' command"));
    // ANCHOR: ex_expire_at
    let ms = n.checked_mul(unit_ms).ok_or_else(invalid)?;
    let at = if absolute {
        ms
    } else {
        ms.checked_add(cx.db.now as i64).ok_or_else(invalid)?
    };
    let Some(entry) = cx.db.entry(key) else {
        cx.out.int(0);
        return Ok(Flow::Continue);
    };
    let current = entry.expires_at;
    let allowed = match current {
        None => !xx && !gt, // no TTL counts as infinite: nothing is greater
        Some(old) => !nx && (!gt || at > old as i64) && (!lt || at < old as i64),
    };
    if !allowed {
        cx.out.int(0);
        return Ok(Flow::Continue);
    }
    if at <= cx.db.now as i64 {
        cx.db.remove(key);
    } else {
        cx.db.set_expiry(key, Some(at as u64));
    }
    cx.out.int(1);
    Ok(Flow::Continue)
    // ANCHOR_END: ex_expire_at
}
// ANCHOR_END: expire

fn expire(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    expire_generic(cx, args, 1000, false, "expire")
}

fn pexpire(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    expire_generic(cx, args, 1, false, "pexpire")
}

fn expireat(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    expire_generic(cx, args, 1000, true, "expireat")
}

fn pexpireat(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    expire_generic(cx, args, 1, true, "pexpireat")
}

/// TTL, PTTL, EXPIRETIME, PEXPIRETIME.
fn ttl_generic(cx: &mut Ctx<'_>, args: &[Bytes], in_ms: bool, absolute: bool) -> CmdResult {
    let now = cx.db.now as i64;
    let reply = match cx.db.peek(&args[1]) {
        None => -2,
        Some(entry) => match entry.expires_at {
            None => -1,
            Some(at) => {
                let value = if absolute {
                    at as i64
                } else {
                    (at as i64 - now).max(0)
                };
                if in_ms { value } else { (value + 500) / 1000 }
            }
        },
    };
    cx.out.int(reply);
    Ok(Flow::Continue)
}

fn ttl(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    ttl_generic(cx, args, false, false)
}

fn pttl(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    ttl_generic(cx, args, true, false)
}

fn expiretime(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    ttl_generic(cx, args, false, true)
}

fn pexpiretime(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    ttl_generic(cx, args, true, true)
}

fn persist(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let had_ttl = cx
        .db
        .entry(&args[1])
        .is_some_and(|e| e.expires_at.is_some());
    if had_ttl {
        cx.db.set_expiry(&args[1], None);
    }
    cx.out.int(i64::from(had_ttl));
    Ok(Flow::Continue)
}
