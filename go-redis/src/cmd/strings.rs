//! Day 3 — string commands: SET and its options, GET, counters, ranges, multi-key forms.
//!
//! A Redis string is a byte array; "integer" and "float" are just strings that parse as
//! numbers (INCR reads the text, adds, and writes the text back). That is why INCR on
//! `"abc"` fails with `ERR value is not an integer or out of range`, not WRONGTYPE.

use bytes::{Bytes, BytesMut};

use super::{CmdError, CmdResult, Ctx, FAST, READONLY, WRITE, is, parse_int};
use crate::command;
use crate::connection::Flow;
use crate::db::{Locked, Value};
use crate::resp::ReplyWriter;
use crate::types::StrValue;

/// The largest string SETRANGE/APPEND may build (Redis's `proto-max-bulk-len`).
pub const MAX_STRING: usize = 512 * 1024 * 1024;

/// The string commands.
pub const COMMANDS: &[super::Command] = &[
    command!("get", 2, READONLY | FAST, (1, 1, 1), get),
    command!("set", -3, WRITE, (1, 1, 1), set),
    command!("setnx", 3, WRITE | FAST, (1, 1, 1), setnx),
    command!("setex", 4, WRITE, (1, 1, 1), setex),
    command!("psetex", 4, WRITE, (1, 1, 1), psetex),
    command!("getex", -2, WRITE | FAST, (1, 1, 1), getex),
    command!("getdel", 2, WRITE | FAST, (1, 1, 1), getdel),
    command!("getset", 3, WRITE | FAST, (1, 1, 1), getset),
    command!("mget", -2, READONLY | FAST, (1, -1, 1), mget),
    command!("mset", -3, WRITE, (1, -1, 2), mset),
    command!("msetnx", -3, WRITE, (1, -1, 2), msetnx),
    command!("incr", 2, WRITE | FAST, (1, 1, 1), incr),
    command!("decr", 2, WRITE | FAST, (1, 1, 1), decr),
    command!("incrby", 3, WRITE | FAST, (1, 1, 1), incrby),
    command!("decrby", 3, WRITE | FAST, (1, 1, 1), decrby),
    command!("incrbyfloat", 3, WRITE | FAST, (1, 1, 1), incrbyfloat),
    command!("append", 3, WRITE, (1, 1, 1), append),
    command!("strlen", 2, READONLY | FAST, (1, 1, 1), strlen),
    command!("setrange", 4, WRITE, (1, 1, 1), setrange),
    command!("getrange", 4, READONLY, (1, 1, 1), getrange),
    command!("substr", 4, READONLY, (1, 1, 1), getrange),
];

/// The string at `key`: `None` if missing, WRONGTYPE if another type.
pub fn get_string(db: &mut Locked<'_>, key: &[u8]) -> Result<Option<Bytes>, CmdError> {
    match db.get(key) {
        None => Ok(None),
        Some(Value::Str(s)) => Ok(Some(s.to_bytes())),
        Some(_) => Err(CmdError::WrongType),
    }
}

fn get(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    // ANCHOR: get
    match cx.db.get(&args[1]) {
        None => cx.out.null(),
        Some(Value::Str(s)) => cx.out.bulk(s),
        Some(_) => return Err(CmdError::WrongType),
    }
    // ANCHOR_END: get
    Ok(Flow::Continue)
}

/// Converts a relative or absolute expiry argument into Unix ms, rejecting what Redis
/// rejects (`<= 0`, overflow) with `ERR invalid expire time in '<cmd>' command`.
pub fn expiry_from(
    arg: &[u8],
    unit_ms: u64,
    absolute: bool,
    now: u64,
    cmd: &str,
) -> Result<u64, CmdError> {
    let n = parse_int(arg)?;
    let invalid = || CmdError::err(format!("invalid expire time in '{cmd}' command"));
    if n <= 0 {
        return Err(invalid());
    }
    let ms = (n as u64)
        .checked_mul(unit_ms)
        .filter(|&ms| ms <= i64::MAX as u64)
        .ok_or_else(invalid)?;
    if absolute {
        Ok(ms)
    } else {
        now.checked_add(ms)
            .filter(|&t| t <= i64::MAX as u64)
            .ok_or_else(invalid)
    }
}

// ANCHOR: set
fn set(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    // ANCHOR: ex_set
    let (key, value) = (&args[1], &args[2]);
    let (mut nx, mut xx, mut get, mut keep_ttl) = (false, false, false, false);
    let mut expires_at = None;
    let mut i = 3;
    while i < args.len() {
        let opt = &args[i];
        let unit = if is(opt, "ex") {
            Some((1000, false))
        } else if is(opt, "px") {
            Some((1, false))
        } else if is(opt, "exat") {
            Some((1000, true))
        } else if is(opt, "pxat") {
            Some((1, true))
        } else {
            None
        };
        if let Some((unit_ms, absolute)) = unit {
            let arg = args.get(i + 1).ok_or(CmdError::Syntax)?;
            if expires_at.is_some() || keep_ttl {
                return Err(CmdError::Syntax);
            }
            expires_at = Some(expiry_from(arg, unit_ms, absolute, cx.db.now, "set")?);
            i += 2;
            continue;
        }
        if is(opt, "nx") && !xx {
            nx = true;
        } else if is(opt, "xx") && !nx {
            xx = true;
        } else if is(opt, "get") {
            get = true;
        } else if is(opt, "keepttl") && expires_at.is_none() {
            keep_ttl = true;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    let old = if get {
        get_string(&mut cx.db, key)?
    } else {
        None
    };
    let exists = get && old.is_some() || !get && (nx || xx) && cx.db.exists(key);
    if (nx && exists) || (xx && !exists) {
        if get {
            write_optional(cx.out, old.as_deref());
        } else {
            cx.out.null();
        }
        return Ok(Flow::Continue);
    }
    cx.db
        .set(key, Value::Str(StrValue::copy_from_slice(value)), keep_ttl);
    if let Some(at) = expires_at {
        if at <= cx.db.now {
            cx.db.remove(key);
        } else {
            cx.db.set_expiry(key, Some(at));
        }
    }
    if get {
        write_optional(cx.out, old.as_deref());
    } else {
        cx.out.ok();
    }
    Ok(Flow::Continue)
    // ANCHOR_END: ex_set
}
// ANCHOR_END: set

fn write_optional(out: &mut crate::resp::Output, value: Option<&[u8]>) {
    match value {
        Some(v) => out.bulk(v),
        None => out.null(),
    }
}

fn setnx(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    if cx.db.exists(&args[1]) {
        cx.out.int(0);
    } else {
        cx.db.set(
            &args[1],
            Value::Str(StrValue::copy_from_slice(&args[2])),
            false,
        );
        cx.out.int(1);
    }
    Ok(Flow::Continue)
}

fn setex_generic(cx: &mut Ctx<'_>, args: &[Bytes], unit_ms: u64, name: &str) -> CmdResult {
    let at = expiry_from(&args[2], unit_ms, false, cx.db.now, name)?;
    cx.db.set(
        &args[1],
        Value::Str(StrValue::copy_from_slice(&args[3])),
        false,
    );
    cx.db.set_expiry(&args[1], Some(at));
    cx.out.ok();
    Ok(Flow::Continue)
}

fn setex(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    setex_generic(cx, args, 1000, "setex")
}

fn psetex(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    setex_generic(cx, args, 1, "psetex")
}

fn getex(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    let mut new_expiry: Option<Option<u64>> = None;
    let mut i = 2;
    while i < args.len() {
        let opt = &args[i];
        let unit = [
            ("ex", 1000, false),
            ("px", 1, false),
            ("exat", 1000, true),
            ("pxat", 1, true),
        ]
        .into_iter()
        .find(|(name, _, _)| is(opt, name));
        if new_expiry.is_some() {
            return Err(CmdError::Syntax);
        }
        if let Some((_, unit_ms, absolute)) = unit {
            let arg = args.get(i + 1).ok_or(CmdError::Syntax)?;
            new_expiry = Some(Some(expiry_from(
                arg, unit_ms, absolute, cx.db.now, "getex",
            )?));
            i += 2;
        } else if is(opt, "persist") {
            new_expiry = Some(None);
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let Some(value) = get_string(&mut cx.db, key)? else {
        cx.out.null();
        return Ok(Flow::Continue);
    };
    match new_expiry {
        Some(Some(at)) if at <= cx.db.now => {
            cx.db.remove(key);
        }
        Some(at) => cx.db.set_expiry(key, at),
        None => {}
    }
    cx.out.bulk(&value);
    Ok(Flow::Continue)
}

fn getdel(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let value = get_string(&mut cx.db, &args[1])?;
    if value.is_some() {
        cx.db.remove(&args[1]);
    }
    write_optional(cx.out, value.as_deref());
    Ok(Flow::Continue)
}

fn getset(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let old = get_string(&mut cx.db, &args[1])?;
    cx.db.set(
        &args[1],
        Value::Str(StrValue::copy_from_slice(&args[2])),
        false,
    );
    write_optional(cx.out, old.as_deref());
    Ok(Flow::Continue)
}

fn mget(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    cx.out.array(args.len() - 1);
    for key in &args[1..] {
        match cx.db.get(key) {
            Some(Value::Str(s)) => cx.out.bulk(s),
            _ => cx.out.null(),
        }
    }
    Ok(Flow::Continue)
}

fn check_pairs(args: &[Bytes], name: &str) -> Result<(), CmdError> {
    if args.len().is_multiple_of(2) {
        return Err(CmdError::err(format!(
            "wrong number of arguments for '{name}' command"
        )));
    }
    Ok(())
}

fn mset(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    check_pairs(args, "mset")?;
    for pair in args[1..].chunks_exact(2) {
        cx.db.set(
            &pair[0],
            Value::Str(StrValue::copy_from_slice(&pair[1])),
            false,
        );
    }
    cx.out.ok();
    Ok(Flow::Continue)
}

fn msetnx(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    check_pairs(args, "msetnx")?;
    if args[1..].chunks_exact(2).any(|pair| cx.db.exists(&pair[0])) {
        cx.out.int(0);
        return Ok(Flow::Continue);
    }
    for pair in args[1..].chunks_exact(2) {
        cx.db.set(
            &pair[0],
            Value::Str(StrValue::copy_from_slice(&pair[1])),
            false,
        );
    }
    cx.out.int(1);
    Ok(Flow::Continue)
}

// ANCHOR: incr
/// Adds `delta` to the integer stored at `key` (0 if missing), keeping its TTL.
fn incr_by(cx: &mut Ctx<'_>, key: &[u8], delta: i64) -> CmdResult {
    // ANCHOR: ex_incr_by
    let mut digits = itoa::Buffer::new();
    let next = match cx.db.get(key) {
        None => {
            let next = delta;
            cx.db.set(
                key,
                Value::Str(StrValue::copy_from_slice(digits.format(next).as_bytes())),
                false,
            );
            next
        }
        Some(Value::Str(text)) => {
            let next = parse_int(text)?
                .checked_add(delta)
                .ok_or(CmdError::Overflow)?;
            // Replace the text in place: one lookup, and the key keeps its TTL.
            *text = StrValue::copy_from_slice(digits.format(next).as_bytes());
            next
        }
        Some(_) => return Err(CmdError::WrongType),
    };
    cx.out.int(next);
    Ok(Flow::Continue)
    // ANCHOR_END: ex_incr_by
}
// ANCHOR_END: incr

fn incr(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    incr_by(cx, &args[1], 1)
}

fn decr(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    incr_by(cx, &args[1], -1)
}

fn incrby(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let delta = parse_int(&args[2])?;
    incr_by(cx, &args[1], delta)
}

fn decrby(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let delta = parse_int(&args[2])?;
    let delta = delta
        .checked_neg()
        .ok_or_else(|| CmdError::err("decrement would overflow"))?;
    incr_by(cx, &args[1], delta)
}

// ANCHOR: incrbyfloat
/// INCRBYFLOAT key increment: in Redis's order (the key's type, then its value, then the
/// increment), computed as Redis computes it, in an 80-bit `long double`
/// ([`super::long_double`]), so the digits it answers are Redis's.
fn incrbyfloat(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    use super::long_double::{ZERO, parse};
    let not_float = || CmdError::err("value is not a valid float");
    let current = match get_string(&mut cx.db, &args[1])? {
        None => ZERO,
        Some(text) => parse(&text).ok_or_else(not_float)?,
    };
    let delta = parse(&args[2]).ok_or_else(not_float)?;
    let text = super::long_double::add_texts(current, delta)
        .ok_or_else(|| CmdError::err("increment would produce NaN or Infinity"))?;
    cx.db.set(
        &args[1],
        Value::Str(StrValue::copy_from_slice(text.as_bytes())),
        true,
    );
    cx.out.bulk(text.as_bytes());
    Ok(Flow::Continue)
}
// ANCHOR_END: incrbyfloat

fn append(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    let current = get_string(&mut cx.db, key)?.unwrap_or_default();
    if current.len() + args[2].len() > MAX_STRING {
        return Err(CmdError::err(
            "string exceeds maximum allowed size (proto-max-bulk-len)",
        ));
    }
    let mut value = BytesMut::with_capacity(current.len() + args[2].len());
    value.extend_from_slice(&current);
    value.extend_from_slice(&args[2]);
    let len = value.len();
    cx.db.set(key, Value::Str(value.freeze().into()), true);
    cx.out.int(len as i64);
    Ok(Flow::Continue)
}

fn strlen(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let len = get_string(&mut cx.db, &args[1])?.map_or(0, |s| s.len());
    cx.out.int(len as i64);
    Ok(Flow::Continue)
}

fn setrange(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    let offset = parse_int(&args[2])?;
    if offset < 0 {
        return Err(CmdError::err("offset is out of range"));
    }
    let offset = offset as usize;
    let patch = &args[3];
    let current = get_string(&mut cx.db, key)?;
    if patch.is_empty() {
        cx.out.int(current.map_or(0, |c| c.len()) as i64);
        return Ok(Flow::Continue);
    }
    if offset + patch.len() > MAX_STRING {
        return Err(CmdError::err(
            "string exceeds maximum allowed size (proto-max-bulk-len)",
        ));
    }
    let mut value = BytesMut::from(current.as_deref().unwrap_or_default());
    if value.len() < offset + patch.len() {
        value.resize(offset + patch.len(), 0);
    }
    value[offset..offset + patch.len()].copy_from_slice(patch);
    let len = value.len();
    cx.db.set(key, Value::Str(value.freeze().into()), true);
    cx.out.int(len as i64);
    Ok(Flow::Continue)
}

fn getrange(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let mut start = parse_int(&args[2])?;
    let mut end = parse_int(&args[3])?;
    let value = get_string(&mut cx.db, &args[1])?.unwrap_or_default();
    let len = value.len() as i64;
    if start < 0 && end < 0 && start > end {
        cx.out.bulk(b"");
        return Ok(Flow::Continue);
    }
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        cx.out.bulk(b"");
    } else {
        cx.out.bulk(&value[start as usize..=end as usize]);
    }
    Ok(Flow::Continue)
}

/// The bit commands on strings (SETBIT, GETBIT, BITCOUNT).
pub const BITS: &[super::Command] = &[
    command!("setbit", 4, WRITE, (1, 1, 1), setbit),
    command!("getbit", 3, READONLY | FAST, (1, 1, 1), getbit),
    command!("bitcount", -2, READONLY, (1, 1, 1), bitcount),
];

/// Parses a bit offset: 0 ..= 2^32 - 1, as Redis (a 512 MB string).
fn bit_offset(arg: &[u8]) -> Result<usize, CmdError> {
    let n = super::parse_i64(arg)
        .filter(|&n| (0..(MAX_STRING as i64) * 8).contains(&n))
        .ok_or_else(|| CmdError::err("bit offset is not an integer or out of range"))?;
    Ok(n as usize)
}

fn setbit(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let offset = bit_offset(&args[2])?;
    let on = match args[3].as_ref() {
        b"1" => true,
        b"0" => false,
        _ => return Err(CmdError::err("bit is not an integer or out of range")),
    };
    let current = get_string(&mut cx.db, &args[1])?;
    let mut value = BytesMut::from(current.as_deref().unwrap_or_default());
    let byte = offset / 8;
    let grown = current.is_none() || value.len() <= byte;
    if value.len() <= byte {
        value.resize(byte + 1, 0);
    }
    let mask = 0x80u8 >> (offset % 8);
    let old = value[byte] & mask != 0;
    if !grown && old == on {
        // Day 5: as in Redis, only a new key, a longer string or a flipped bit is a change.
        cx.session.changes = Some(0);
        cx.out.int(i64::from(old));
        return Ok(Flow::Continue);
    }
    if on {
        value[byte] |= mask;
    } else {
        value[byte] &= !mask;
    }
    cx.db.set(&args[1], Value::Str(value.freeze().into()), true);
    cx.out.int(i64::from(old));
    Ok(Flow::Continue)
}

fn getbit(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let offset = bit_offset(&args[2])?;
    let value = get_string(&mut cx.db, &args[1])?.unwrap_or_default();
    let bit = value
        .get(offset / 8)
        .is_some_and(|b| b & (0x80 >> (offset % 8)) != 0);
    cx.out.int(i64::from(bit));
    Ok(Flow::Continue)
}

/// BITCOUNT key [start end [BYTE|BIT]]: the range is in bytes, or (Redis 7) in bits.
fn bitcount(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let Some(value) = get_string(&mut cx.db, &args[1])? else {
        cx.out.int(0); // a missing key answers 0 before its arguments are read, as in Redis
        return Ok(Flow::Continue);
    };
    // The range in bits, both ends included.
    let (first, last) = match args.len() {
        2 => (0, value.len() as i64 * 8 - 1),
        4 | 5 => {
            let mut start = parse_int(&args[2])?;
            let mut end = parse_int(&args[3])?;
            if start < 0 && end < 0 && start > end {
                cx.out.int(0);
                return Ok(Flow::Continue);
            }
            let in_bits = match args.get(4) {
                None => false,
                Some(unit) if is(unit, "bit") => true,
                Some(unit) if is(unit, "byte") => false,
                Some(_) => return Err(CmdError::Syntax),
            };
            let total = value.len() as i64 * if in_bits { 8 } else { 1 };
            if start < 0 {
                start = start.saturating_add(total);
            }
            if end < 0 {
                end = end.saturating_add(total);
            }
            start = start.max(0);
            end = end.max(0).min(total - 1);
            if in_bits {
                (start, end)
            } else {
                (start.saturating_mul(8), end * 8 + 7)
            }
        }
        _ => return Err(CmdError::Syntax),
    };
    let mut ones: i64 = 0;
    if first <= last {
        let (a, b) = ((first / 8) as usize, (last / 8) as usize);
        ones = value[a..=b].iter().map(|b| i64::from(b.count_ones())).sum();
        // Take away the bits of the edge bytes that lie outside the range.
        ones -= i64::from((value[a] & !(0xffu8 >> (first % 8))).count_ones());
        ones -= i64::from((value[b] & (0x7fu8 >> (last % 8))).count_ones());
    }
    cx.out.int(ones);
    Ok(Flow::Continue)
}
