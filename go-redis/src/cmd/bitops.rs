//! Day 3 — strings as bit arrays: BITOP, BITPOS, BITFIELD and BITFIELD_RO.
//!
//! A Redis string is also an array of bits, numbered from the most significant bit of
//! the first byte (bit 0 is `0x80` of byte 0), the order SETBIT and GETBIT use. BITOP
//! combines whole strings byte by byte, BITPOS searches for the first 0 or 1 bit, and
//! BITFIELD reads and writes integers of any width from 1 to 64 bits at any bit offset,
//! with a choice of what an overflowing increment does (wrap, saturate, or fail).
//! The argument checks run in the order Redis's `bitops.c` runs them, so a request with
//! two faults gets the same error as from Redis.

use bytes::{Bytes, BytesMut};

use super::strings::{MAX_STRING, get_string};
use super::{CmdError, CmdResult, Ctx, READONLY, WRITE, is, parse_int};
use crate::command;
use crate::connection::Flow;
use crate::db::Value;
use crate::resp::ReplyWriter;

/// The bit-array commands.
pub const COMMANDS: &[super::Command] = &[
    command!("bitop", -4, WRITE, (2, -1, 1), bitop),
    command!("bitpos", -3, READONLY, (1, 1, 1), bitpos),
    command!("bitfield", -2, WRITE, (1, 1, 1), bitfield),
    command!("bitfield_ro", -2, READONLY, (1, 1, 1), bitfield_ro),
];

// ---- BITOP ----

/// The four BITOP operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    And,
    Or,
    Xor,
    Not,
}

/// `BITOP op dest key [key ...]`: the result is as long as the longest source, shorter
/// sources count as zero-padded; an empty result deletes `dest`. Replies the length.
fn bitop(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let op = if is(&args[1], "and") {
        Op::And
    } else if is(&args[1], "or") {
        Op::Or
    } else if is(&args[1], "xor") {
        Op::Xor
    } else if is(&args[1], "not") {
        Op::Not
    } else {
        return Err(CmdError::Syntax);
    };
    if op == Op::Not && args.len() != 4 {
        return Err(CmdError::err(
            "BITOP NOT must be called with a single source key.",
        ));
    }
    let mut sources = Vec::with_capacity(args.len() - 3);
    for key in &args[3..] {
        sources.push(get_string(&mut cx.db, key)?.unwrap_or_default());
    }
    let max = sources.iter().map(Bytes::len).max().unwrap_or(0);
    let byte_at = |s: &Bytes, i: usize| s.get(i).copied().unwrap_or(0);
    let result: Vec<u8> = (0..max)
        .map(|i| {
            let mut bytes = sources.iter().map(|s| byte_at(s, i));
            let first = bytes.next().unwrap_or(0);
            match op {
                Op::Not => !first,
                Op::And => bytes.fold(first, |a, b| a & b),
                Op::Or => bytes.fold(first, |a, b| a | b),
                Op::Xor => bytes.fold(first, |a, b| a ^ b),
            }
        })
        .collect();
    let dest = &args[2];
    if result.is_empty() {
        cx.db.remove(dest);
    } else {
        // Like SET, BITOP replaces the destination and drops its TTL.
        cx.db
            .set(dest, Value::Str(Bytes::from(result).into()), false);
    }
    cx.out.int(max as i64);
    Ok(Flow::Continue)
}

// ---- BITPOS ----

/// `BITPOS key bit [start [end [BYTE|BIT]]]`: the first bit equal to `bit` in the range.
/// A missing key is an endless run of zeros; looking for 0 without an explicit end may
/// answer the first bit after the string, as if it were zero-padded.
fn bitpos(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let bit = parse_int(&args[2])?;
    if bit != 0 && bit != 1 {
        return Err(CmdError::err("The bit argument must be 1 or 0."));
    }
    let want = bit == 1;
    let Some(value) = get_string(&mut cx.db, &args[1])? else {
        cx.out.int(if want { -1 } else { 0 });
        return Ok(Flow::Continue);
    };
    let len = value.len() as i64;
    // The range, in bits, both ends included.
    let (first, last, end_given) = match args.len() {
        3 => (0, len * 8 - 1, false),
        4..=6 => {
            let mut start = parse_int(&args[3])?;
            let mut in_bits = false;
            if args.len() == 6 {
                if is(&args[5], "bit") {
                    in_bits = true;
                } else if !is(&args[5], "byte") {
                    return Err(CmdError::Syntax);
                }
            }
            let end_given = args.len() >= 5;
            let mut end = if end_given {
                parse_int(&args[4])?
            } else if in_bits {
                len * 8 - 1
            } else {
                len - 1
            };
            let total = if in_bits { len * 8 } else { len };
            if start < 0 {
                start = start.saturating_add(total);
            }
            if end < 0 {
                end = end.saturating_add(total);
            }
            start = start.max(0);
            end = end.max(0).min(total - 1);
            if in_bits {
                (start, end, end_given)
            } else {
                (start.saturating_mul(8), end * 8 + 7, end_given)
            }
        }
        _ => return Err(CmdError::Syntax),
    };
    if first > last {
        cx.out.int(-1);
        return Ok(Flow::Continue);
    }
    // Whole bytes without the bit wanted are skipped at once, so a long string costs one
    // step per byte, not per bit.
    let skip = if want { 0x00 } else { 0xff };
    let mut i = first;
    let found = loop {
        if i > last {
            break None;
        }
        let byte = value[(i / 8) as usize];
        if i % 8 == 0 && i + 7 <= last && byte == skip {
            i += 8;
            continue;
        }
        if (byte & (0x80 >> (i % 8)) != 0) == want {
            break Some(i);
        }
        i += 1;
    };
    let pos = match found {
        Some(i) => i,
        // Looking for a 0 with no end given: the string counts as zero-padded.
        None if !want && !end_given => (last / 8 + 1) * 8,
        None => -1,
    };
    cx.out.int(pos);
    Ok(Flow::Continue)
}

// ---- BITFIELD ----

/// What an INCRBY or SET that leaves the field's range does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Overflow {
    /// Keep the low bits (two's complement for signed fields); the default.
    Wrap,
    /// Stop at the field's minimum or maximum.
    Sat,
    /// Do not write, and answer nil for this operation.
    Fail,
}

/// One BITFIELD operation: GET, SET or INCRBY of a field.
#[derive(Debug, Clone, Copy)]
struct FieldOp {
    /// `None` for GET, `Some((value, is_incr))` for SET / INCRBY.
    write: Option<(i64, bool)>,
    signed: bool,
    bits: u32,
    offset: u64,
    overflow: Overflow,
}

const TYPE_ERROR: &str =
    "Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

/// Parses a field type: `i1`..`i64` or `u1`..`u63` (lower case only, as in Redis).
fn field_type(arg: &[u8]) -> Result<(bool, u32), CmdError> {
    let signed = match arg.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(CmdError::err(TYPE_ERROR)),
    };
    let max = if signed { 64 } else { 63 };
    match super::parse_i64(&arg[1..]) {
        Some(bits) if (1..=max).contains(&bits) => Ok((signed, bits as u32)),
        _ => Err(CmdError::err(TYPE_ERROR)),
    }
}

/// Parses a field offset: a bit number, or `#n` for the n-th field of this width.
fn field_offset(arg: &[u8], bits: u32) -> Result<u64, CmdError> {
    let error = || CmdError::err("bit offset is not an integer or out of range");
    let (text, scale) = match arg.strip_prefix(b"#") {
        Some(rest) => (rest, i64::from(bits)),
        None => (arg, 1),
    };
    let offset = super::parse_i64(text)
        .and_then(|n| n.checked_mul(scale))
        .ok_or_else(error)?;
    if offset < 0 || (offset >> 3) as usize >= MAX_STRING {
        return Err(error());
    }
    Ok(offset as u64)
}

/// Reads `bits` bits at bit `offset` of `bytes` (zero past the end), as an unsigned number.
fn read_field(bytes: &[u8], offset: u64, bits: u32) -> u64 {
    (0..u64::from(bits)).fold(0u64, |acc, i| {
        let at = offset + i;
        let byte = bytes.get((at / 8) as usize).copied().unwrap_or(0);
        (acc << 1) | u64::from(byte & (0x80 >> (at % 8)) != 0)
    })
}

/// Writes the low `bits` bits of `value` at bit `offset` of `bytes` (long enough).
fn write_field(bytes: &mut [u8], offset: u64, bits: u32, value: u64) {
    for i in 0..u64::from(bits) {
        let at = offset + i;
        let mask = 0x80u8 >> (at % 8);
        let on = (value >> (u64::from(bits) - 1 - i)) & 1 == 1;
        if let Some(byte) = bytes.get_mut((at / 8) as usize) {
            if on {
                *byte |= mask;
            } else {
                *byte &= !mask;
            }
        }
    }
}

/// The field's value as a signed number if `signed` (sign-extending its top bit).
fn to_number(raw: u64, signed: bool, bits: u32) -> i128 {
    if signed && bits < 64 && raw & (1 << (bits - 1)) != 0 {
        i128::from(raw) - (1i128 << bits)
    } else if signed {
        i128::from(raw as i64)
    } else {
        i128::from(raw)
    }
}

/// Fits `n` into the field: `Some(n)` if it fits, else the wrapped or saturated value,
/// or `None` under OVERFLOW FAIL.
fn fit(n: i128, signed: bool, bits: u32, overflow: Overflow) -> Option<i128> {
    let (min, max) = if signed {
        (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
    } else {
        (0, (1i128 << bits) - 1)
    };
    if (min..=max).contains(&n) {
        return Some(n);
    }
    match overflow {
        Overflow::Fail => None,
        Overflow::Sat => Some(if n > max { max } else { min }),
        Overflow::Wrap => {
            let raw = (n as u128 & ((1u128 << bits) - 1)) as u64;
            Some(to_number(raw, signed, bits))
        }
    }
}

/// Parses every BITFIELD operation before running any, as Redis does.
fn parse_field_ops(args: &[Bytes]) -> Result<Vec<FieldOp>, CmdError> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut j = 2;
    while j < args.len() {
        let rest = args.len() - j - 1;
        let sub = &args[j];
        let write = if is(sub, "get") && rest >= 2 {
            false
        } else if (is(sub, "set") || is(sub, "incrby")) && rest >= 3 {
            true
        } else if is(sub, "overflow") && rest >= 1 {
            overflow = if is(&args[j + 1], "wrap") {
                Overflow::Wrap
            } else if is(&args[j + 1], "sat") {
                Overflow::Sat
            } else if is(&args[j + 1], "fail") {
                Overflow::Fail
            } else {
                return Err(CmdError::err("Invalid OVERFLOW type specified"));
            };
            j += 2;
            continue;
        } else {
            return Err(CmdError::Syntax);
        };
        let (signed, bits) = field_type(&args[j + 1])?;
        let offset = field_offset(&args[j + 2], bits)?;
        let write = if write {
            Some((parse_int(&args[j + 3])?, is(sub, "incrby")))
        } else {
            None
        };
        ops.push(FieldOp {
            write,
            signed,
            bits,
            offset,
            overflow,
        });
        j += if write.is_some() { 4 } else { 3 };
    }
    Ok(ops)
}

fn bitfield(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    bitfield_generic(cx, args, false)
}

fn bitfield_ro(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    bitfield_generic(cx, args, true)
}

/// BITFIELD and BITFIELD_RO: parse all operations, check the key's type, grow the string
/// to the highest bit any write reaches (even one that OVERFLOW FAIL then skips, as Redis
/// does), then run the operations in order and answer one reply per operation.
fn bitfield_generic(cx: &mut Ctx<'_>, args: &[Bytes], read_only: bool) -> CmdResult {
    let ops = parse_field_ops(args)?;
    let key = &args[1];
    let highest_write = ops
        .iter()
        .filter(|op| op.write.is_some())
        .map(|op| op.offset + u64::from(op.bits) - 1)
        .max();
    let current = match highest_write {
        None => get_string(&mut cx.db, key)?,
        Some(_) if read_only => {
            return Err(CmdError::err(
                "BITFIELD_RO only supports the GET subcommand",
            ));
        }
        Some(_) => get_string(&mut cx.db, key)?,
    };
    let mut bytes = BytesMut::from(current.as_deref().unwrap_or_default());
    // Day 5: as in Redis, each write counts as a change if the key is new or grew, or if
    // it changed the field.
    let mut grown = current.is_none();
    if let Some(highest) = highest_write {
        let need = (highest / 8 + 1) as usize;
        if bytes.len() < need {
            bytes.resize(need, 0);
            grown = true;
        }
    }
    let mut changes = 0;
    cx.out.array(ops.len());
    for op in &ops {
        let old = to_number(read_field(&bytes, op.offset, op.bits), op.signed, op.bits);
        let Some((value, incr)) = op.write else {
            cx.out.int(old as i64);
            continue;
        };
        let wanted = if incr {
            old + i128::from(value)
        } else if op.signed {
            i128::from(value)
        } else {
            // Redis reads an unsigned SET value as the 64-bit pattern of the integer.
            i128::from(value as u64)
        };
        match fit(wanted, op.signed, op.bits, op.overflow) {
            Some(new) => {
                if grown || new != old {
                    changes += 1;
                }
                write_field(&mut bytes, op.offset, op.bits, new as u64);
                cx.out.int(if incr { new as i64 } else { old as i64 });
            }
            None => cx.out.null(),
        }
    }
    if highest_write.is_some() {
        cx.session.changes = Some(changes);
        // Writes keep the key's TTL, as SETBIT does.
        cx.db.set(key, Value::Str(bytes.freeze().into()), true);
    }
    Ok(Flow::Continue)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip_at_any_offset() {
        let mut bytes = vec![0u8; 3];
        write_field(&mut bytes, 5, 9, 0b1_0110_0111);
        assert_eq!(read_field(&bytes, 5, 9), 0b1_0110_0111);
        assert_eq!(to_number(read_field(&bytes, 5, 9), true, 9), -153);
        assert_eq!(read_field(&bytes, 20, 8), 0, "zero past the end");
    }

    #[test]
    fn overflow_modes_match_redis() {
        assert_eq!(fit(300, false, 8, Overflow::Wrap), Some(44));
        assert_eq!(fit(300, false, 8, Overflow::Sat), Some(255));
        assert_eq!(fit(-1, false, 8, Overflow::Sat), Some(0));
        assert_eq!(fit(128, true, 8, Overflow::Wrap), Some(-128));
        assert_eq!(fit(-129, true, 8, Overflow::Sat), Some(-128));
        assert_eq!(fit(128, true, 8, Overflow::Fail), None);
        assert_eq!(
            fit(i128::from(i64::MAX) + 1, true, 64, Overflow::Wrap),
            Some(i128::from(i64::MIN))
        );
    }
}
