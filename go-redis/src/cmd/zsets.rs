//! Day 4 — sorted-set commands: ZADD and its flags, scores and ranks, the three kinds of
//! range (by rank, by score, by lexicographic order), pops and range removals.
//!
//! Everything here is a thin layer over [`crate::types::ZSet`]; the work is in parsing
//! the many options exactly as Redis does: `(1.5` means "greater than 1.5", `-inf`/`+inf`
//! are open ends, `[a`/`(a`/`-`/`+` are lex bounds, and ZRANGE's REV swaps which argument
//! is the start.

use bytes::Bytes;
use rand::Rng;

use super::args::parse_mpop;
use super::{
    CmdError, CmdResult, Ctx, FAST, READONLY, WRITE, clamp_range, drop_if_empty, is, parse_cursor,
    parse_f64, parse_float, parse_int, parse_scan_options, scan_step, zset, zset_or_create,
};
use crate::command;
use crate::connection::Flow;
use crate::db::Value;
use crate::resp::reply::format_double;
use crate::resp::{Output, ReplyWriter};
use crate::types::zset::{LexBound, ScoreBound};
use crate::types::{StrValue, ZSet};

/// The sorted-set commands.
pub const COMMANDS: &[super::Command] = &[
    command!("zadd", -4, WRITE | FAST, (1, 1, 1), zadd),
    command!("zincrby", 4, WRITE | FAST, (1, 1, 1), zincrby),
    command!("zscore", 3, READONLY | FAST, (1, 1, 1), zscore),
    command!("zmscore", -3, READONLY | FAST, (1, 1, 1), zmscore),
    command!("zcard", 2, READONLY | FAST, (1, 1, 1), zcard),
    command!("zcount", 4, READONLY | FAST, (1, 1, 1), zcount),
    command!("zlexcount", 4, READONLY | FAST, (1, 1, 1), zlexcount),
    command!("zrank", 3, READONLY | FAST, (1, 1, 1), zrank),
    command!("zrevrank", 3, READONLY | FAST, (1, 1, 1), zrevrank),
    command!("zrange", -4, READONLY, (1, 1, 1), zrange),
    command!("zrangestore", -5, WRITE, (1, 2, 1), zrangestore),
    command!("zrevrange", -4, READONLY, (1, 1, 1), zrevrange),
    command!("zrangebyscore", -4, READONLY, (1, 1, 1), zrangebyscore),
    command!(
        "zrevrangebyscore",
        -4,
        READONLY,
        (1, 1, 1),
        zrevrangebyscore
    ),
    command!("zrangebylex", -4, READONLY, (1, 1, 1), zrangebylex),
    command!("zrevrangebylex", -4, READONLY, (1, 1, 1), zrevrangebylex),
    command!("zpopmin", -2, WRITE | FAST, (1, 1, 1), zpopmin),
    command!("zpopmax", -2, WRITE | FAST, (1, 1, 1), zpopmax),
    command!("zrem", -3, WRITE | FAST, (1, 1, 1), zrem),
    command!("zremrangebyscore", 4, WRITE, (1, 1, 1), zremrangebyscore),
    command!("zremrangebyrank", 4, WRITE, (1, 1, 1), zremrangebyrank),
    command!("zremrangebylex", 4, WRITE, (1, 1, 1), zremrangebylex),
    command!("zrandmember", -2, READONLY, (1, 1, 1), zrandmember),
    command!("zscan", -3, READONLY, (1, 1, 1), zscan),
    command!("zmpop", -4, WRITE, (2, -1, 1), zmpop),
];

// ANCHOR: zadd
/// ZADD's options, parsed (and checked against each other) before anything is read or
/// changed, like mini-redis's `parse_frames` then `apply`.
#[derive(Debug, Default, Clone, Copy)]
pub struct ZaddFlags {
    /// NX: only add new members.
    pub nx: bool,
    /// XX: only update existing members.
    pub xx: bool,
    /// GT: only raise scores.
    pub gt: bool,
    /// LT: only lower scores.
    pub lt: bool,
    /// CH: count changed members too.
    pub ch: bool,
    /// INCR: add to the score, reply with the new score (ZINCRBY's form).
    pub incr: bool,
}

impl ZaddFlags {
    /// Parses `key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]`: the flags
    /// and the `(score, member)` pairs, with Redis's error for each conflict. Every score
    /// is parsed here, so a bad one leaves the set untouched.
    pub fn parse(args: &[Bytes]) -> Result<(ZaddFlags, Vec<(f64, Bytes)>), CmdError> {
        let mut flags = ZaddFlags::default();
        let mut i = 2;
        while let Some(a) = args.get(i) {
            let flag = if is(a, "nx") {
                &mut flags.nx
            } else if is(a, "xx") {
                &mut flags.xx
            } else if is(a, "gt") {
                &mut flags.gt
            } else if is(a, "lt") {
                &mut flags.lt
            } else if is(a, "ch") {
                &mut flags.ch
            } else if is(a, "incr") {
                &mut flags.incr
            } else {
                break;
            };
            *flag = true;
            i += 1;
        }
        let pairs = &args[i..];
        if pairs.is_empty() || !pairs.len().is_multiple_of(2) {
            return Err(CmdError::Syntax);
        }
        if flags.nx && flags.xx {
            return Err(CmdError::err(
                "XX and NX options at the same time are not compatible",
            ));
        }
        if (flags.nx && (flags.gt || flags.lt)) || (flags.gt && flags.lt) {
            return Err(CmdError::err(
                "GT, LT, and/or NX options at the same time are not compatible",
            ));
        }
        if flags.incr && pairs.len() > 2 {
            return Err(CmdError::err(
                "INCR option supports a single increment-element pair",
            ));
        }
        let pairs = pairs
            .chunks_exact(2)
            .map(|p| Ok((parse_float(&p[0])?, p[1].clone())))
            .collect::<Result<Vec<_>, CmdError>>()?;
        Ok((flags, pairs))
    }
}

fn zadd(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (flags, pairs) = ZaddFlags::parse(args)?;
    let ZaddFlags {
        nx,
        xx,
        gt,
        lt,
        ch,
        incr,
    } = flags;
    if xx && zset(&mut cx.db, &args[1])?.is_none() {
        // Nothing to update: do not create the key.
        if incr {
            cx.out.null();
        } else {
            cx.out.int(0);
        }
        return Ok(Flow::Continue);
    }
    let set = zset_or_create(&mut cx.db, &args[1])?;
    let (mut added, mut changed) = (0, 0);
    let mut incr_result = None;
    // ANCHOR: ex_zadd
    for (score, member) in &pairs {
        let score = *score;
        let current = set.score(member);
        let mut new = score;
        if incr {
            new = current.unwrap_or(0.0) + score;
            if new.is_nan() {
                drop_if_empty(&mut cx.db, &args[1]);
                return Err(CmdError::err("resulting score is not a number (NaN)"));
            }
        }
        match current {
            None if xx => continue,
            None => {
                set.insert(member, new);
                added += 1;
            }
            Some(_) if nx => continue,
            Some(old) => {
                if (gt && new <= old) || (lt && new >= old) {
                    continue;
                }
                if new != old {
                    set.insert(member, new);
                    changed += 1;
                }
            }
        }
        incr_result = Some(new);
    }
    // ANCHOR_END: ex_zadd
    if set.is_empty() {
        drop_if_empty(&mut cx.db, &args[1]);
    }
    if incr {
        match incr_result {
            Some(score) => cx.out.double(score),
            None => cx.out.null(),
        }
    } else {
        cx.out.int(if ch { added + changed } else { added });
    }
    Ok(Flow::Continue)
}
// ANCHOR_END: zadd

fn zincrby(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let delta = parse_float(&args[2])?;
    let set = zset_or_create(&mut cx.db, &args[1])?;
    let new = set.score(&args[3]).unwrap_or(0.0) + delta;
    if new.is_nan() {
        drop_if_empty(&mut cx.db, &args[1]);
        return Err(CmdError::err("resulting score is not a number (NaN)"));
    }
    set.insert(&args[3], new);
    cx.out.double(new);
    Ok(Flow::Continue)
}

fn zscore(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    match zset(&mut cx.db, &args[1])?.and_then(|z| z.score(&args[2])) {
        Some(s) => cx.out.double(s),
        None => cx.out.null(),
    }
    Ok(Flow::Continue)
}

fn zmscore(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let set = zset(&mut cx.db, &args[1])?;
    cx.out.array(args.len() - 2);
    for m in &args[2..] {
        match set.as_ref().and_then(|z| z.score(m)) {
            Some(s) => cx.out.double(s),
            None => cx.out.null(),
        }
    }
    Ok(Flow::Continue)
}

fn zcard(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let len = zset(&mut cx.db, &args[1])?.map_or(0, |z| z.len());
    cx.out.int(len as i64);
    Ok(Flow::Continue)
}

/// Parses a score bound: `1.5`, `(1.5`, `-inf`, `+inf`.
pub fn parse_score_bound(arg: &[u8]) -> Result<ScoreBound, CmdError> {
    let bad = || CmdError::err("min or max is not a float");
    let (exclusive, number) = match arg.strip_prefix(b"(") {
        Some(rest) => (true, rest),
        None => (false, arg),
    };
    let value = parse_f64(number).ok_or_else(bad)?;
    Ok(ScoreBound { value, exclusive })
}

/// Parses a lex bound: `-`, `+`, `[x`, `(x`.
pub fn parse_lex_bound(arg: &[u8]) -> Result<LexBound, CmdError> {
    match arg.first() {
        Some(b'-') if arg.len() == 1 => Ok(LexBound::Min),
        Some(b'+') if arg.len() == 1 => Ok(LexBound::Max),
        Some(b'[') => Ok(LexBound::Inclusive(Bytes::copy_from_slice(&arg[1..]))),
        Some(b'(') => Ok(LexBound::Exclusive(Bytes::copy_from_slice(&arg[1..]))),
        _ => Err(CmdError::err("min or max not valid string range item")),
    }
}

fn zcount(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let min = parse_score_bound(&args[2])?;
    let max = parse_score_bound(&args[3])?;
    let n = zset(&mut cx.db, &args[1])?.map_or(0, |z| z.count_by_score(min, max));
    cx.out.int(n as i64);
    Ok(Flow::Continue)
}

fn zlexcount(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let min = parse_lex_bound(&args[2])?;
    let max = parse_lex_bound(&args[3])?;
    let n = zset(&mut cx.db, &args[1])?.map_or(0, |z| z.count_by_lex(&min, &max));
    cx.out.int(n as i64);
    Ok(Flow::Continue)
}

fn rank(cx: &mut Ctx<'_>, args: &[Bytes], rev: bool) -> CmdResult {
    match zset(&mut cx.db, &args[1])?.and_then(|z| z.rank(&args[2], rev)) {
        Some(r) => cx.out.int(r as i64),
        None => cx.out.null(),
    }
    Ok(Flow::Continue)
}

fn zrank(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    rank(cx, args, false)
}

fn zrevrank(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    rank(cx, args, true)
}

/// How a ZRANGE interprets its start and stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum By {
    Index,
    Score,
    Lex,
}

/// A fully parsed range request.
struct RangeSpec {
    by: By,
    rev: bool,
    offset: i64,
    count: i64,
    limit: bool,
    withscores: bool,
}

/// Collects the members the range selects, as `(member, score)` pairs in reply order.
fn select_range(
    set: &ZSet,
    start: &[u8],
    stop: &[u8],
    spec: &RangeSpec,
) -> Result<Vec<(Bytes, f64)>, CmdError> {
    // With REV, the first argument is the upper end for BYSCORE and BYLEX.
    let (lo, hi) = if spec.rev && spec.by != By::Index {
        (stop, start)
    } else {
        (start, stop)
    };
    if spec.limit && spec.offset < 0 {
        return Ok(Vec::new());
    }
    let offset = spec.offset.max(0) as usize;
    let limit = (spec.limit && spec.count >= 0).then_some(spec.count as usize);
    Ok(match spec.by {
        By::Index => {
            let a = parse_int(lo)?;
            let b = parse_int(hi)?;
            match clamp_range(a, b, set.len()) {
                Some((from, to)) => set.range_by_index(from, to, spec.rev),
                None => Vec::new(),
            }
        }
        By::Score => {
            let min = parse_score_bound(lo)?;
            let max = parse_score_bound(hi)?;
            set.range_by_score(min, max, spec.rev, offset, limit)
        }
        By::Lex => {
            let min = parse_lex_bound(lo)?;
            let max = parse_lex_bound(hi)?;
            set.range_by_lex(&min, &max, spec.rev, offset, limit)
        }
    })
}

fn write_pairs(out: &mut Output, items: &[(Bytes, f64)], withscores: bool) {
    write_scored(out, items.iter().map(|(m, s)| (m, *s)), withscores, true);
}

/// Writes members, each followed by its score when `withscores`. RESP2 gets one flat list;
/// a RESP3 client gets `[member, score]` pairs when `nested` (as Redis 7 answers ZRANGE,
/// ZRANDMEMBER, ZUNION ... WITHSCORES, and ZPOPMIN with a count).
pub fn write_scored<M: AsRef<[u8]>>(
    out: &mut Output,
    items: impl ExactSizeIterator<Item = (M, f64)>,
    withscores: bool,
    nested: bool,
) {
    let nested = nested && withscores && out.resp3();
    out.array(items.len() * if withscores && !nested { 2 } else { 1 });
    for (m, s) in items {
        if nested {
            out.array(2);
        }
        out.bulk(m.as_ref());
        if withscores {
            out.double(s);
        }
    }
}

/// Parses the options after `key start stop`, for ZRANGE (`generic`) or one of the
/// older commands that fix `by` and `rev`.
fn parse_range_options(
    args: &[Bytes],
    mut spec: RangeSpec,
    generic: bool,
) -> Result<RangeSpec, CmdError> {
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if is(a, "withscores") && (generic || spec.by != By::Lex) {
            spec.withscores = true;
        } else if is(a, "limit") && (generic || spec.by != By::Index) && i + 2 < args.len() {
            spec.offset = parse_int(&args[i + 1])?;
            spec.count = parse_int(&args[i + 2])?;
            spec.limit = true;
            i += 2;
        } else if generic && is(a, "byscore") {
            spec.by = By::Score;
        } else if generic && is(a, "bylex") {
            spec.by = By::Lex;
        } else if generic && is(a, "rev") {
            spec.rev = true;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if spec.limit && spec.by == By::Index {
        return Err(CmdError::err(
            "syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if spec.withscores && spec.by == By::Lex {
        return Err(CmdError::err(
            "syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    Ok(spec)
}

fn range_command(cx: &mut Ctx<'_>, args: &[Bytes], by: By, rev: bool, generic: bool) -> CmdResult {
    let spec = RangeSpec {
        by,
        rev,
        offset: 0,
        count: -1,
        limit: false,
        withscores: false,
    };
    let spec = parse_range_options(&args[4..], spec, generic)?;
    // Redis parses the bounds before it looks the key up: a bad bound wins over
    // WRONGTYPE, and a missing key still gets its bounds checked.
    let empty = select_range(&ZSet::new(), &args[2], &args[3], &spec)?;
    let items = match zset(&mut cx.db, &args[1])? {
        Some(set) => select_range(set, &args[2], &args[3], &spec)?,
        None => empty,
    };
    write_pairs(cx.out, &items, spec.withscores);
    Ok(Flow::Continue)
}

fn zrange(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    range_command(cx, args, By::Index, false, true)
}

fn zrevrange(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    range_command(cx, args, By::Index, true, false)
}

fn zrangebyscore(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    range_command(cx, args, By::Score, false, false)
}

fn zrevrangebyscore(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    range_command(cx, args, By::Score, true, false)
}

fn zrangebylex(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    range_command(cx, args, By::Lex, false, false)
}

fn zrevrangebylex(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    range_command(cx, args, By::Lex, true, false)
}

fn zrangestore(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let spec = RangeSpec {
        by: By::Index,
        rev: false,
        offset: 0,
        count: -1,
        limit: false,
        withscores: false,
    };
    let spec = parse_range_options(&args[5..], spec, true)?;
    if spec.withscores {
        return Err(CmdError::Syntax);
    }
    let items = match zset(&mut cx.db, &args[2])? {
        Some(set) => select_range(set, &args[3], &args[4], &spec)?,
        None => select_range(&ZSet::new(), &args[3], &args[4], &spec)?,
    };
    let len = items.len();
    if len == 0 {
        cx.db.remove(&args[1]);
    } else {
        let mut set = ZSet::new();
        for (m, s) in &items {
            set.insert(m, *s);
        }
        cx.db.set(&args[1], Value::ZSet(Box::new(set)), false);
    }
    cx.out.int(len as i64);
    Ok(Flow::Continue)
}

fn pop(cx: &mut Ctx<'_>, args: &[Bytes], max: bool) -> CmdResult {
    let count = match args.len() {
        2 => 1,
        3 => super::args::parse_positive(&args[2])?,
        _ => return Err(CmdError::Syntax),
    };
    let items = match zset(&mut cx.db, &args[1])? {
        Some(set) => set.pop(count, max),
        None => Vec::new(),
    };
    drop_if_empty(&mut cx.db, &args[1]);
    // Without a count the reply is one flat [member, score], even in RESP3.
    let nested = args.len() == 3;
    write_scored(cx.out, items.iter().map(|(m, s)| (m, *s)), true, nested);
    Ok(Flow::Continue)
}

fn zpopmin(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    pop(cx, args, false)
}

fn zpopmax(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    pop(cx, args, true)
}

fn zrem(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let removed = match zset(&mut cx.db, &args[1])? {
        Some(set) => args[2..].iter().filter(|m| set.remove(m)).count(),
        None => 0,
    };
    drop_if_empty(&mut cx.db, &args[1]);
    cx.out.int(removed as i64);
    Ok(Flow::Continue)
}

fn remove_range(cx: &mut Ctx<'_>, args: &[Bytes], by: By) -> CmdResult {
    // Validate the bounds even when the key is missing.
    match by {
        By::Index => {
            parse_int(&args[2])?;
            parse_int(&args[3])?;
        }
        By::Score => {
            parse_score_bound(&args[2])?;
            parse_score_bound(&args[3])?;
        }
        By::Lex => {
            parse_lex_bound(&args[2])?;
            parse_lex_bound(&args[3])?;
        }
    }
    let spec = RangeSpec {
        by,
        rev: false,
        offset: 0,
        count: -1,
        limit: false,
        withscores: false,
    };
    let removed = match zset(&mut cx.db, &args[1])? {
        Some(set) => {
            let items = select_range(set, &args[2], &args[3], &spec)?;
            for (m, _) in &items {
                set.remove(m);
            }
            items.len()
        }
        None => 0,
    };
    drop_if_empty(&mut cx.db, &args[1]);
    cx.out.int(removed as i64);
    Ok(Flow::Continue)
}

fn zremrangebyscore(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    remove_range(cx, args, By::Score)
}

fn zremrangebyrank(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    remove_range(cx, args, By::Index)
}

fn zremrangebylex(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    remove_range(cx, args, By::Lex)
}

fn zrandmember(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let with_scores = match args.len() {
        2 | 3 => false,
        4 if is(&args[3], "withscores") => true,
        _ => return Err(CmdError::Syntax),
    };
    let count = args.get(2).map(|c| parse_int(c)).transpose()?;
    if count.is_some_and(|c| c < 0 && c.unsigned_abs() > super::args::MAX_RANDOM_REPLY) {
        return Err(CmdError::err("value is out of range"));
    }
    let mut rng = rand::rng();
    let Some(set) = zset(&mut cx.db, &args[1])? else {
        match count {
            None => cx.out.null(),
            Some(_) => cx.out.array(0),
        }
        return Ok(Flow::Continue);
    };
    let scores = set.scores();
    match count {
        None => {
            let i = rng.random_range(0..scores.len());
            match scores.get_index(i) {
                Some((m, _)) => cx.out.bulk(m),
                None => cx.out.null(),
            }
        }
        Some(c) => {
            let picks = super::args::random_indexes(scores.len(), c, &mut rng);
            let picked: Vec<(&StrValue, f64)> = picks
                .into_iter()
                .filter_map(|i| scores.get_index(i).map(|(m, s)| (m, *s)))
                .collect();
            write_scored(cx.out, picked.into_iter(), with_scores, true);
        }
    }
    Ok(Flow::Continue)
}

fn zscan(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let cursor = parse_cursor(&args[2])?;
    let opts = parse_scan_options(args, 3, false)?;
    let mut items = Vec::new();
    let mut next = 0;
    if let Some(set) = zset(&mut cx.db, &args[1])? {
        let scores = set.scores();
        let (range, n) = scan_step(cursor, scores.len(), opts.count);
        next = n;
        for i in range.rev() {
            if let Some((m, s)) = scores.get_index(i)
                && opts
                    .pattern
                    .as_ref()
                    .is_none_or(|p| super::args::glob_match(p, m))
            {
                items.push(m.to_bytes());
                items.push(Bytes::from(format_double(*s)));
            }
        }
    }
    super::write_scan_reply(cx.out, next, &items);
    Ok(Flow::Continue)
}

fn zmpop(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    if !mpop_zset(cx, args)? {
        cx.out.null_array();
    }
    Ok(Flow::Continue)
}

/// ZMPOP's work on `args` (`args[1]` is numkeys); `false` when every set is empty.
pub(crate) fn mpop_zset(cx: &mut Ctx<'_>, args: &[Bytes]) -> Result<bool, CmdError> {
    let (keys, max, count) = parse_mpop(args, ["min", "max"])?;
    for key in keys {
        if let Some(set) = zset(&mut cx.db, key)? {
            let items = set.pop(count, max);
            drop_if_empty(&mut cx.db, key);
            cx.out.array(2);
            cx.out.bulk(key);
            cx.out.array(items.len());
            for (m, s) in &items {
                cx.out.array(2);
                cx.out.bulk(m);
                cx.out.double(*s);
            }
            return Ok(true);
        }
    }
    Ok(false)
}
