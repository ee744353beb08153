//! Day 4 — hash commands: field → value maps under one key.
//!
//! A hash is an `IndexMap`: O(1) field access like a `HashMap`, plus positions, which give
//! HRANDFIELD an O(1) random pick and HSCAN a cursor that survives deletions (see
//! [`super::scan_step`]). Field values are strings, so HINCRBY parses and re-formats text
//! just like INCR, with its own error words (`ERR hash value is not an integer`).

use bytes::Bytes;
use rand::Rng;

use super::{
    CmdError, CmdResult, Ctx, FAST, READONLY, WRITE, drop_if_empty, hash, hash_or_create, is,
    parse_cursor, parse_i64, parse_int, parse_scan_options, scan_step,
};
use crate::command;
use crate::connection::Flow;
use crate::resp::ReplyWriter;
use crate::types::StrValue;

/// The hash commands.
pub const COMMANDS: &[super::Command] = &[
    command!("hset", -4, WRITE | FAST, (1, 1, 1), hset),
    command!("hmset", -4, WRITE | FAST, (1, 1, 1), hmset),
    command!("hsetnx", 4, WRITE | FAST, (1, 1, 1), hsetnx),
    command!("hget", 3, READONLY | FAST, (1, 1, 1), hget),
    command!("hmget", -3, READONLY | FAST, (1, 1, 1), hmget),
    command!("hdel", -3, WRITE | FAST, (1, 1, 1), hdel),
    command!("hlen", 2, READONLY | FAST, (1, 1, 1), hlen),
    command!("hstrlen", 3, READONLY | FAST, (1, 1, 1), hstrlen),
    command!("hexists", 3, READONLY | FAST, (1, 1, 1), hexists),
    command!("hkeys", 2, READONLY, (1, 1, 1), hkeys),
    command!("hvals", 2, READONLY, (1, 1, 1), hvals),
    command!("hgetall", 2, READONLY, (1, 1, 1), hgetall),
    command!("hincrby", 4, WRITE | FAST, (1, 1, 1), hincrby),
    command!("hincrbyfloat", 4, WRITE | FAST, (1, 1, 1), hincrbyfloat),
    command!("hrandfield", -2, READONLY, (1, 1, 1), hrandfield),
    command!("hscan", -3, READONLY, (1, 1, 1), hscan),
];

fn set_fields(cx: &mut Ctx<'_>, args: &[Bytes], name: &str) -> Result<usize, CmdError> {
    if !args.len().is_multiple_of(2) {
        return Err(CmdError::err(format!(
            "wrong number of arguments for '{name}' command"
        )));
    }
    let hash = hash_or_create(&mut cx.db, &args[1])?;
    let mut added = 0;
    // ANCHOR: hset
    for pair in args[2..].chunks_exact(2) {
        let value = StrValue::copy_from_slice(&pair[1]);
        match hash.get_mut(&pair[0][..]) {
            Some(old) => *old = value,
            None => {
                hash.insert(StrValue::copy_from_slice(&pair[0]), value);
                added += 1;
            }
        }
    }
    // ANCHOR_END: hset
    Ok(added)
}

fn hset(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let added = set_fields(cx, args, "hset")?;
    cx.out.int(added as i64);
    Ok(Flow::Continue)
}

fn hmset(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    set_fields(cx, args, "hmset")?;
    cx.out.ok();
    Ok(Flow::Continue)
}

fn hsetnx(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let hash = hash_or_create(&mut cx.db, &args[1])?;
    if hash.contains_key(&args[2][..]) {
        cx.out.int(0);
    } else {
        hash.insert(
            StrValue::copy_from_slice(&args[2]),
            StrValue::copy_from_slice(&args[3]),
        );
        cx.out.int(1);
    }
    Ok(Flow::Continue)
}

fn hget(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    match hash(&mut cx.db, &args[1])?.and_then(|h| h.get(&args[2][..])) {
        Some(v) => cx.out.bulk(v),
        None => cx.out.null(),
    }
    Ok(Flow::Continue)
}

fn hmget(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let hash = hash(&mut cx.db, &args[1])?;
    cx.out.array(args.len() - 2);
    for field in &args[2..] {
        match hash.as_ref().and_then(|h| h.get(&field[..])) {
            Some(v) => cx.out.bulk(v),
            None => cx.out.null(),
        }
    }
    Ok(Flow::Continue)
}

fn hdel(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let removed = match hash(&mut cx.db, &args[1])? {
        Some(h) => args[2..]
            .iter()
            .filter(|f| h.swap_remove(&f[..]).is_some())
            .count(),
        None => 0,
    };
    drop_if_empty(&mut cx.db, &args[1]);
    cx.out.int(removed as i64);
    Ok(Flow::Continue)
}

fn hlen(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let len = hash(&mut cx.db, &args[1])?.map_or(0, |h| h.len());
    cx.out.int(len as i64);
    Ok(Flow::Continue)
}

fn hstrlen(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let len = hash(&mut cx.db, &args[1])?
        .and_then(|h| h.get(&args[2][..]))
        .map_or(0, |v| v.len());
    cx.out.int(len as i64);
    Ok(Flow::Continue)
}

fn hexists(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let found = hash(&mut cx.db, &args[1])?.is_some_and(|h| h.contains_key(&args[2][..]));
    cx.out.int(i64::from(found));
    Ok(Flow::Continue)
}

fn hkeys(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    hlist(cx, args, true, false)
}

fn hvals(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    hlist(cx, args, false, true)
}

fn hgetall(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    hlist(cx, args, true, true)
}

fn hlist(cx: &mut Ctx<'_>, args: &[Bytes], fields: bool, values: bool) -> CmdResult {
    let Some(hash) = hash(&mut cx.db, &args[1])? else {
        if fields && values {
            cx.out.map(0);
        } else {
            cx.out.array(0);
        }
        return Ok(Flow::Continue);
    };
    if fields && values {
        cx.out.map(hash.len()); // HGETALL: a map in RESP3
    } else {
        cx.out.array(hash.len());
    }
    for (f, v) in hash.iter() {
        if fields {
            cx.out.bulk(f);
        }
        if values {
            cx.out.bulk(v);
        }
    }
    Ok(Flow::Continue)
}

fn hincrby(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let delta = parse_int(&args[3])?;
    let hash = hash_or_create(&mut cx.db, &args[1])?;
    let current = match hash.get(&args[2][..]) {
        None => 0,
        Some(v) => parse_i64(v).ok_or_else(|| CmdError::err("hash value is not an integer"))?,
    };
    let next = current.checked_add(delta).ok_or(CmdError::Overflow)?;
    hash.insert(
        StrValue::copy_from_slice(&args[2]),
        StrValue::copy_from_slice(itoa::Buffer::new().format(next).as_bytes()),
    );
    cx.out.int(next);
    Ok(Flow::Continue)
}

/// HINCRBYFLOAT key field increment: the increment is checked first (a valid float, and
/// finite), then the key's type, then the field's value; the sum is computed in day 3's
/// software `long double` ([`super::long_double`]), as INCRBYFLOAT's is.
fn hincrbyfloat(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    use super::long_double::{Number, ZERO, add_texts, parse};
    let delta = parse(&args[3]).ok_or_else(|| CmdError::err("value is not a valid float"))?;
    if delta == Number::Infinite {
        return Err(CmdError::err("value is NaN or Infinity"));
    }
    let hash = hash_or_create(&mut cx.db, &args[1])?;
    let current = match hash.get(&args[2][..]) {
        None => Some(ZERO),
        Some(v) => parse(v),
    };
    let Some(current) = current else {
        drop_if_empty(&mut cx.db, &args[1]);
        return Err(CmdError::err("hash value is not a float"));
    };
    let Some(text) = add_texts(current, delta) else {
        drop_if_empty(&mut cx.db, &args[1]);
        return Err(CmdError::err("increment would produce NaN or Infinity"));
    };
    hash.insert(
        StrValue::copy_from_slice(&args[2]),
        StrValue::from(text.clone()),
    );
    cx.out.bulk(text.as_bytes());
    Ok(Flow::Continue)
}

fn hrandfield(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let with_values = match args.len() {
        2 | 3 => false,
        4 if is(&args[3], "withvalues") => true,
        _ => return Err(CmdError::Syntax),
    };
    let count = args.get(2).map(|c| parse_int(c)).transpose()?;
    if let Some(c) = count
        && c < 0
        && c.unsigned_abs() > super::args::MAX_RANDOM_REPLY
    {
        return Err(CmdError::err("value is out of range"));
    }
    let Some(hash) = hash(&mut cx.db, &args[1])? else {
        match count {
            None => cx.out.null(),
            Some(_) => cx.out.array(0),
        }
        return Ok(Flow::Continue);
    };
    let mut rng = rand::rng();
    let picks: Vec<usize> = match count {
        None => vec![rng.random_range(0..hash.len())],
        Some(c) => super::args::random_indexes(hash.len(), c, &mut rng),
    };
    if count.is_none() {
        if let Some((f, _)) = hash.get_index(picks[0]) {
            cx.out.bulk(f);
        }
        return Ok(Flow::Continue);
    }
    // RESP3 answers WITHVALUES as [field, value] pairs; RESP2 as one flat list.
    let nested = with_values && cx.out.resp3();
    cx.out
        .array(picks.len() * if with_values && !nested { 2 } else { 1 });
    for i in picks {
        if let Some((f, v)) = hash.get_index(i) {
            if nested {
                cx.out.array(2);
            }
            cx.out.bulk(f);
            if with_values {
                cx.out.bulk(v);
            }
        }
    }
    Ok(Flow::Continue)
}

fn hscan(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let cursor = parse_cursor(&args[2])?;
    let opts = parse_scan_options(args, 3, false)?;
    let mut items = Vec::new();
    let mut next = 0;
    if let Some(hash) = hash(&mut cx.db, &args[1])? {
        let (range, n) = scan_step(cursor, hash.len(), opts.count);
        next = n;
        for i in range.rev() {
            if let Some((f, v)) = hash.get_index(i)
                && opts
                    .pattern
                    .as_ref()
                    .is_none_or(|p| super::args::glob_match(p, f))
            {
                items.push(f.clone());
                items.push(v.clone());
            }
        }
    }
    super::write_scan_reply(cx.out, next, &items);
    Ok(Flow::Continue)
}
