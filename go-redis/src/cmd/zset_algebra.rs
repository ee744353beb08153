//! Day 4 — sorted-set algebra: ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD.
//!
//! These combine several keys into one sorted set. Each input is read as `(member, score)`
//! pairs — a plain set counts with score 1, as in Redis — its scores multiplied by the
//! `WEIGHTS` given, and members met in several inputs are merged with the `AGGREGATE`
//! function (SUM, MIN or MAX; a sum of `inf` and `-inf` is 0, not NaN). The options are
//! parsed before any key is read, so a syntax error wins over a wrong type, as in Redis.

use bytes::Bytes;

use super::{CmdError, CmdResult, Ctx, READONLY, WRITE, is, parse_f64, parse_int};
use crate::command;
use crate::connection::Flow;
use crate::db::Value;
use crate::resp::ReplyWriter;
use crate::types::ZSet;

/// The algebra commands over sorted sets (plain sets count as score 1).
pub const COMMANDS: &[super::Command] = &[
    command!("zunion", -3, READONLY, (1, -1, 1), zunion),
    command!("zinter", -3, READONLY, (1, -1, 1), zinter),
    command!("zdiff", -3, READONLY, (1, -1, 1), zdiff),
    command!("zunionstore", -4, WRITE, (1, -1, 1), zunionstore),
    command!("zinterstore", -4, WRITE, (1, -1, 1), zinterstore),
    command!("zdiffstore", -4, WRITE, (1, -1, 1), zdiffstore),
    command!("zintercard", -3, READONLY, (2, -1, 1), zintercard),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

#[derive(Debug, Clone, Copy)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

fn aggregate(how: Aggregate, a: f64, b: f64) -> f64 {
    match how {
        Aggregate::Sum => {
            let s = a + b;
            if s.is_nan() { 0.0 } else { s }
        }
        Aggregate::Min => a.min(b),
        Aggregate::Max => a.max(b),
    }
}

/// Reads `key` as a list of (member, score): a sorted set, or a set with scores of 1.
fn read_scored(cx: &mut Ctx<'_>, key: &[u8]) -> Result<Option<Vec<(Bytes, f64)>>, CmdError> {
    match cx.db.get(key) {
        None => Ok(None),
        Some(Value::ZSet(z)) => Ok(Some(z.iter().map(|(m, s)| (m.to_bytes(), s)).collect())),
        Some(Value::Set(s)) => Ok(Some(s.iter().map(|m| (m.to_bytes(), 1.0)).collect())),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// Parses `numkeys key... [WEIGHTS w...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]` starting
/// at `args[at]` and computes the result as a sorted set.
fn zset_op(
    cx: &mut Ctx<'_>,
    args: &[Bytes],
    at: usize,
    op: SetOp,
    name: &str,
    allow_withscores: bool,
) -> Result<(ZSet, bool), CmdError> {
    let numkeys = parse_int(&args[at])?;
    if numkeys < 1 {
        return Err(CmdError::err(format!(
            "at least 1 input key is needed for '{name}' command"
        )));
    }
    let numkeys = numkeys as usize;
    if numkeys > args.len() - at - 1 {
        return Err(CmdError::Syntax);
    }
    let keys = &args[at + 1..at + 1 + numkeys];
    let mut weights = vec![1.0; numkeys];
    let mut how = Aggregate::Sum;
    let mut withscores = false;
    let mut i = at + 1 + numkeys;
    while i < args.len() {
        if op != SetOp::Diff && is(&args[i], "weights") && i + numkeys < args.len() {
            for (j, w) in weights.iter_mut().enumerate() {
                *w = parse_f64(&args[i + 1 + j])
                    .ok_or_else(|| CmdError::err("weight value is not a float"))?;
            }
            i += numkeys + 1;
        } else if op != SetOp::Diff && is(&args[i], "aggregate") && i + 1 < args.len() {
            how = if is(&args[i + 1], "sum") {
                Aggregate::Sum
            } else if is(&args[i + 1], "min") {
                Aggregate::Min
            } else if is(&args[i + 1], "max") {
                Aggregate::Max
            } else {
                return Err(CmdError::Syntax);
            };
            i += 2;
        } else if allow_withscores && is(&args[i], "withscores") {
            withscores = true;
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let mut inputs = Vec::with_capacity(numkeys);
    for key in keys {
        inputs.push(read_scored(cx, key)?);
    }
    let weighted = |s: f64, w: f64| {
        let v = s * w;
        if v.is_nan() { 0.0 } else { v }
    };
    let mut result = ZSet::new();
    match op {
        SetOp::Union => {
            for (input, &w) in inputs.iter().zip(&weights) {
                for (m, s) in input.iter().flatten() {
                    let v = weighted(*s, w);
                    let next = match result.score(m) {
                        Some(old) => aggregate(how, old, v),
                        None => v,
                    };
                    result.insert(m, next);
                }
            }
        }
        SetOp::Inter => {
            if inputs.iter().all(Option::is_some) {
                let maps: Vec<std::collections::HashMap<&Bytes, f64>> = inputs
                    .iter()
                    .flatten()
                    .map(|v| v.iter().map(|(m, s)| (m, *s)).collect())
                    .collect();
                if let Some(first) = inputs[0].as_ref() {
                    'members: for (m, s) in first {
                        let mut acc = weighted(*s, weights[0]);
                        for (j, map) in maps.iter().enumerate().skip(1) {
                            match map.get(m) {
                                Some(&other) => {
                                    acc = aggregate(how, acc, weighted(other, weights[j]))
                                }
                                None => continue 'members,
                            }
                        }
                        result.insert(m, acc);
                    }
                }
            }
        }
        SetOp::Diff => {
            if let Some(first) = inputs[0].as_ref() {
                let others: Vec<std::collections::HashSet<&Bytes>> = inputs[1..]
                    .iter()
                    .flatten()
                    .map(|v| v.iter().map(|(m, _)| m).collect())
                    .collect();
                for (m, s) in first {
                    if !others.iter().any(|o| o.contains(m)) {
                        result.insert(m, *s);
                    }
                }
            }
        }
    }
    Ok((result, withscores))
}

fn write_zset(out: &mut crate::resp::Output, set: &ZSet, withscores: bool) {
    let items: Vec<(&crate::types::StrValue, f64)> = set.iter().collect();
    super::zsets::write_scored(out, items.into_iter(), withscores, true);
}

fn zop(cx: &mut Ctx<'_>, args: &[Bytes], op: SetOp, name: &str) -> CmdResult {
    let (set, withscores) = zset_op(cx, args, 1, op, name, true)?;
    write_zset(cx.out, &set, withscores);
    Ok(Flow::Continue)
}

fn zop_store(cx: &mut Ctx<'_>, args: &[Bytes], op: SetOp, name: &str) -> CmdResult {
    let (set, _) = zset_op(cx, args, 2, op, name, false)?;
    let len = set.len();
    if len == 0 {
        cx.db.remove(&args[1]);
    } else {
        cx.db.set(&args[1], Value::ZSet(Box::new(set)), false);
    }
    cx.out.int(len as i64);
    Ok(Flow::Continue)
}

fn zunion(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    zop(cx, args, SetOp::Union, "zunion")
}

fn zinter(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    zop(cx, args, SetOp::Inter, "zinter")
}

fn zdiff(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    zop(cx, args, SetOp::Diff, "zdiff")
}

fn zunionstore(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    zop_store(cx, args, SetOp::Union, "zunionstore")
}

fn zinterstore(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    zop_store(cx, args, SetOp::Inter, "zinterstore")
}

fn zdiffstore(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    zop_store(cx, args, SetOp::Diff, "zdiffstore")
}

fn zintercard(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let n = parse_int(&args[1]).map_err(|_| CmdError::err("numkeys should be greater than 0"))?;
    if n < 1 {
        return Err(CmdError::err(
            "at least 1 input key is needed for 'zintercard' command",
        ));
    }
    let (keys, limit) = super::args::parse_numkeys_limit(args)?;
    let mut rebuilt: Vec<Bytes> = vec![Bytes::from_static(b"zinter"), args[1].clone()];
    rebuilt.extend(keys.iter().cloned());
    let (set, _) = zset_op(cx, &rebuilt, 1, SetOp::Inter, "zintercard", false)?;
    let len = if limit == 0 {
        set.len()
    } else {
        set.len().min(limit)
    };
    cx.out.int(len as i64);
    Ok(Flow::Continue)
}
