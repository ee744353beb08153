//! Day 4 — stream commands: XADD appends, XRANGE and XREAD read, XDEL/XTRIM remove.
//!
//! The data structure is [`crate::types::stream`]; this file parses the commands, with
//! Redis 7.0's exact error strings and the order it checks things in (a client that sends
//! a bad ID *and* a bad option sees the same error as from Redis). Two details matter
//! beyond parsing:
//!
//! - **Propagation.** `XADD k * f v` picks an ID from the clock, and `MAXLEN ~ 1000`
//!   trims "about" that much; replaying either from the AOF would give another result. So
//!   XADD and XTRIM set [`Session::propagate_as`](crate::db::Session) to the concrete ID
//!   and an exact `MAXLEN =` length, as Redis rewrites its command vector.
//! - **Blocking.** `XREAD BLOCK ms ... $` waits for entries newer than the stream's last ID
//!   *when it blocked*. Day 4's blocking machinery ([`super::blocking`]) re-runs a blocked
//!   request after every write, so before blocking we replace each `$` by the concrete last
//!   ID: the re-run then reads what arrived since, and nothing else.

use bytes::Bytes;

use super::{CmdError, CmdResult, Ctx, FAST, READONLY, WRITE, is, parse_int};
use crate::command;
use crate::connection::Flow;
use crate::db::{Locked, Value};
use crate::resp::{Output, ReplyWriter};
use crate::types::stream::{IdRequest, NodeLimits, Stream, StreamId, Trim};

/// The stream commands (consumer groups are in [`super::stream_groups`]).
pub const COMMANDS: &[super::Command] = &[
    command!("xadd", -5, WRITE | FAST, (1, 1, 1), xadd),
    command!("xlen", 2, READONLY | FAST, (1, 1, 1), xlen),
    command!("xrange", -4, READONLY, (1, 1, 1), xrange),
    command!("xrevrange", -4, READONLY, (1, 1, 1), xrevrange),
    command!("xdel", -3, WRITE | FAST, (1, 1, 1), xdel),
    command!("xtrim", -4, WRITE, (1, 1, 1), xtrim),
    command!("xsetid", -3, WRITE | FAST, (1, 1, 1), xsetid),
    // The keys follow STREAMS; locking every argument's shard is a superset, and safe.
    command!("xread", -4, READONLY, (1, -1, 1), xread),
];

/// The node limits `CONFIG SET stream-node-max-entries` / `stream-node-max-bytes` chose
/// (Redis's defaults otherwise): when XADD starts a new node, the unit `~` trims in.
pub fn node_limits(server: &crate::db::Server) -> NodeLimits {
    let config = server.config.read();
    let get = |name: &str, default: usize| {
        config
            .other
            .get(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let defaults = NodeLimits::default();
    NodeLimits {
        entries: get("stream-node-max-entries", defaults.entries),
        bytes: get("stream-node-max-bytes", defaults.bytes),
    }
}

/// The keys of an XREAD or XREADGROUP request: the first half of what follows `STREAMS`
/// (the command table locks every argument, a safe superset; cluster routing and COMMAND
/// GETKEYS need the real ones). `None` when there is no `STREAMS` or the rest is unbalanced.
pub fn stream_keys(args: &[Bytes]) -> Option<Vec<Bytes>> {
    let at = args.iter().skip(1).position(|a| is(a, "streams"))? + 2;
    let rest = args.len().checked_sub(at)?;
    if rest == 0 || !rest.is_multiple_of(2) {
        return None;
    }
    Some(args[at..at + rest / 2].to_vec())
}

/// Redis's error for anything that is not a stream ID.
pub fn invalid_id() -> CmdError {
    CmdError::err("Invalid stream ID specified as stream command argument")
}

/// The stream at `key`, if any (WRONGTYPE for another type).
pub fn stream<'a>(db: &'a mut Locked<'_>, key: &[u8]) -> Result<Option<&'a mut Stream>, CmdError> {
    match db.get(key) {
        None => Ok(None),
        Some(Value::Stream(s)) => Ok(Some(s)),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// The stream at `key`, created empty if missing.
pub fn stream_or_create<'a>(
    db: &'a mut Locked<'_>,
    key: &[u8],
) -> Result<&'a mut Stream, CmdError> {
    if !db.exists(key) {
        db.set(key, Value::Stream(Box::default()), false);
    }
    stream(db, key)?.ok_or(CmdError::WrongType)
}

// ANCHOR: parse_id
/// Parses `<ms>-<seq>`, `<ms>` (the sequence is then `missing_seq`), and, unless
/// `strict`, `-` and `+` for the smallest and largest IDs.
pub fn parse_id(arg: &[u8], missing_seq: u64, strict: bool) -> Result<StreamId, CmdError> {
    match arg {
        b"-" if !strict => return Ok(StreamId::MIN),
        b"+" if !strict => return Ok(StreamId::MAX),
        _ => {}
    }
    if arg.len() > 127 {
        return Err(invalid_id());
    }
    let number = |text: &[u8]| -> Result<u64, CmdError> {
        // Digits only: `string2ull` takes no sign and no spaces.
        if text.is_empty() || !text.iter().all(u8::is_ascii_digit) {
            return Err(invalid_id());
        }
        std::str::from_utf8(text)
            .ok()
            .and_then(|t| t.parse().ok())
            .ok_or_else(invalid_id)
    };
    match arg.iter().position(|&b| b == b'-') {
        Some(dash) => Ok(StreamId::new(
            number(&arg[..dash])?,
            number(&arg[dash + 1..])?,
        )),
        None => Ok(StreamId::new(number(arg)?, missing_seq)),
    }
}
// ANCHOR_END: parse_id

/// Parses a range bound: `(` makes it exclusive (then `-`/`+` are refused).
fn parse_bound(arg: &[u8], missing_seq: u64) -> Result<(StreamId, bool), CmdError> {
    if arg.len() > 1 && arg[0] == b'(' {
        Ok((parse_id(&arg[1..], missing_seq, true)?, true))
    } else {
        Ok((parse_id(arg, missing_seq, false)?, false))
    }
}

/// Writes one entry: `[id, [field, value, ...]]`.
pub fn write_entry(out: &mut Output, id: StreamId, fields: &[Bytes]) {
    out.array(2);
    out.bulk(id.to_string().as_bytes());
    out.array(fields.len());
    for item in fields {
        out.bulk(item);
    }
}

/// The trimming options of XADD and XTRIM.
#[derive(Debug, Default)]
struct TrimArgs {
    strategy: Option<Trim>,
    approx: bool,
    limit: Option<usize>,
    no_mkstream: bool,
    /// XADD: where the ID argument is.
    id_at: usize,
}

// ANCHOR: parse_trim
/// Parses XADD's and XTRIM's options, as Redis's `streamParseAddOrTrimArgsOrReply`:
/// for XADD, the first word that is not an option is the ID.
fn parse_trim_args(args: &[Bytes], xadd: bool) -> Result<TrimArgs, CmdError> {
    let mut parsed = TrimArgs::default();
    let mut i = 2;
    let both = || {
        CmdError::err("syntax error, MAXLEN and MINID options at the same time are not compatible")
    };
    while i < args.len() {
        let more = args.len() - 1 - i;
        let opt = &args[i];
        if xadd && opt.as_ref() == b"*" {
            break;
        } else if (is(opt, "maxlen") || is(opt, "minid")) && more > 0 {
            if parsed.strategy.is_some() {
                return Err(both());
            }
            parsed.approx = false;
            if more >= 2 && args[i + 1].as_ref() == b"~" {
                parsed.approx = true;
                i += 1;
            } else if more >= 2 && args[i + 1].as_ref() == b"=" {
                i += 1;
            }
            let value = &args[i + 1];
            parsed.strategy = Some(if is(opt, "maxlen") {
                let n = parse_int(value)?;
                if n < 0 {
                    return Err(CmdError::err("The MAXLEN argument must be >= 0."));
                }
                Trim::MaxLen(usize::try_from(n).unwrap_or(usize::MAX))
            } else {
                Trim::MinId(parse_id(value, 0, true)?)
            });
            i += 2;
        } else if is(opt, "limit") && more > 0 {
            let n = parse_int(&args[i + 1])?;
            if n < 0 {
                return Err(CmdError::err("The LIMIT argument must be >= 0."));
            }
            parsed.limit = Some(usize::try_from(n).unwrap_or(usize::MAX));
            i += 2;
        } else if xadd && is(opt, "nomkstream") {
            parsed.no_mkstream = true;
            i += 1;
        } else if xadd {
            break; // the ID (checked by the caller)
        } else {
            return Err(CmdError::Syntax);
        }
    }
    parsed.id_at = i;
    if parsed.limit.is_some_and(|l| l > 0) && parsed.strategy.is_none() {
        return Err(CmdError::err(
            "syntax error, LIMIT cannot be used without specifying a trimming strategy",
        ));
    }
    if !xadd && parsed.strategy.is_none() {
        return Err(CmdError::err(
            "syntax error, XTRIM must be called with a trimming strategy",
        ));
    }
    if parsed.limit.is_some() && !parsed.approx {
        return Err(CmdError::err(
            "syntax error, LIMIT cannot be used without the special ~ option",
        ));
    }
    Ok(parsed)
}
// ANCHOR_END: parse_trim

impl TrimArgs {
    /// Trims `stream` as asked; how many entries went.
    fn apply(&self, stream: &mut Stream, limits: NodeLimits) -> usize {
        let Some(strategy) = self.strategy else {
            return 0;
        };
        // Without LIMIT, `~` works at most 100 nodes at a time, as Redis's default does.
        let limit = match (self.approx, self.limit) {
            (true, Some(limit)) => limit,
            (true, None) => limits.entries.saturating_mul(100).clamp(1, 1_000_000),
            (false, _) => 0,
        };
        stream.trim(strategy, self.approx, limit)
    }
}

/// The `MAXLEN = <len>` words that replay a trim exactly.
fn exact_trim(stream: &Stream) -> [Bytes; 3] {
    [
        Bytes::from_static(b"MAXLEN"),
        Bytes::from_static(b"="),
        Bytes::from(stream.len().to_string()),
    ]
}

// ANCHOR: xadd
fn xadd(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let trim = parse_trim_args(args, true)?;
    let id_arg = args.get(trim.id_at).ok_or(CmdError::Syntax)?;
    let request = match id_arg.as_ref() {
        b"*" => IdRequest::Auto,
        text => match text.strip_suffix(b"-*") {
            Some(ms) => IdRequest::Ms(parse_id(ms, 0, true)?.ms),
            None => IdRequest::Exact(parse_id(text, 0, true)?),
        },
    };
    let fields = &args[trim.id_at + 1..];
    if fields.is_empty() || fields.len() % 2 == 1 {
        return Err(CmdError::err(
            "wrong number of arguments for 'xadd' command",
        ));
    }
    if request == IdRequest::Exact(StreamId::MIN) {
        return Err(CmdError::err(
            "The ID specified in XADD must be greater than 0-0",
        ));
    }
    let now = crate::db::now_ms();
    let limits = node_limits(cx.server);
    let key = &args[1];
    if trim.no_mkstream && stream(&mut cx.db, key)?.is_none() {
        cx.out.null();
        cx.session.propagate_as = Some(Vec::new());
        return Ok(Flow::Continue);
    }
    let stream = stream_or_create(&mut cx.db, key)?;
    // A stream just created has last ID 0-0, and any valid request is above it: an
    // error here always concerns an existing stream, so no empty key is left behind.
    let id = stream
        .next_id(request, now)
        .map_err(|err| CmdError::Other(err.to_string()))?;
    stream.append(id, fields.to_vec(), limits);
    trim.apply(stream, limits);
    let id_text = Bytes::from(id.to_string());
    cx.out.bulk(&id_text);
    // Day 5: logged with the ID it got and an exact trim, so a replay builds the same stream.
    let mut logged = vec![Bytes::from_static(b"XADD"), key.clone()];
    if trim.strategy.is_some() {
        logged.extend(exact_trim(stream));
    }
    logged.push(id_text);
    logged.extend(fields.iter().cloned());
    cx.session.propagate_as = Some(vec![logged]);
    Ok(Flow::Continue)
}
// ANCHOR_END: xadd

fn xlen(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let len = stream(&mut cx.db, &args[1])?.map_or(0, |s| s.len());
    cx.out.int(len as i64);
    Ok(Flow::Continue)
}

fn range(cx: &mut Ctx<'_>, args: &[Bytes], rev: bool) -> CmdResult {
    let (start_arg, end_arg) = if rev {
        (&args[3], &args[2])
    } else {
        (&args[2], &args[3])
    };
    let (mut start, start_ex) = parse_bound(start_arg, 0)?;
    if start_ex {
        start = start
            .incr()
            .ok_or_else(|| CmdError::err("invalid start ID for the interval"))?;
    }
    let (mut end, end_ex) = parse_bound(end_arg, u64::MAX)?;
    if end_ex {
        end = end
            .decr()
            .ok_or_else(|| CmdError::err("invalid end ID for the interval"))?;
    }
    let mut count: Option<usize> = None;
    let mut i = 4;
    while i < args.len() {
        if is(&args[i], "count") && i + 1 < args.len() {
            count = Some(usize::try_from(parse_int(&args[i + 1])?.max(0)).unwrap_or(0));
            i += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let Some(stream) = stream(&mut cx.db, &args[1])? else {
        cx.out.array(0);
        return Ok(Flow::Continue);
    };
    if count == Some(0) {
        cx.out.null_array();
        return Ok(Flow::Continue);
    }
    let entries: Vec<_> = stream
        .range(start, end, rev)
        .take(count.unwrap_or(usize::MAX))
        .collect();
    cx.out.array(entries.len());
    for (id, fields) in entries {
        write_entry(cx.out, *id, fields);
    }
    Ok(Flow::Continue)
}

fn xrange(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    range(cx, args, false)
}

fn xrevrange(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    range(cx, args, true)
}

fn xdel(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    // Every ID is checked before anything is deleted: all or nothing.
    let ids = args[2..]
        .iter()
        .map(|a| parse_id(a, 0, true))
        .collect::<Result<Vec<_>, _>>()?;
    let deleted = match stream(&mut cx.db, &args[1])? {
        Some(stream) => ids.into_iter().filter(|id| stream.delete(*id)).count(),
        None => 0,
    };
    cx.out.int(deleted as i64);
    Ok(Flow::Continue)
}

fn xtrim(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let trim = parse_trim_args(args, false)?;
    let limits = node_limits(cx.server);
    let Some(stream) = stream(&mut cx.db, &args[1])? else {
        cx.out.int(0);
        cx.session.propagate_as = Some(Vec::new());
        return Ok(Flow::Continue);
    };
    let removed = trim.apply(stream, limits);
    cx.out.int(removed as i64);
    let mut logged = vec![Bytes::from_static(b"XTRIM"), args[1].clone()];
    logged.extend(exact_trim(stream));
    cx.session.propagate_as = Some(if removed > 0 {
        vec![logged]
    } else {
        Vec::new()
    });
    Ok(Flow::Continue)
}

fn xsetid(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let id = parse_id(&args[2], 0, true)?;
    let mut entries_added = None;
    let mut max_deleted = StreamId::MIN;
    let mut i = 3;
    while i < args.len() {
        let more = i + 1 < args.len();
        if is(&args[i], "entriesadded") && more {
            let n = parse_int(&args[i + 1])?;
            entries_added = Some(
                u64::try_from(n).map_err(|_| CmdError::err("entries_added must be positive"))?,
            );
        } else if is(&args[i], "maxdeletedid") && more {
            max_deleted = parse_id(&args[i + 1], 0, true)?;
            if id < max_deleted {
                return Err(CmdError::err(
                    "The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
                ));
            }
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    let stream = stream(&mut cx.db, &args[1])?.ok_or(CmdError::NoSuchKey)?;
    if let Some((&top, _)) = stream.entries.last_key_value() {
        if id < top {
            return Err(CmdError::err(
                "The ID specified in XSETID is smaller than the target stream top item",
            ));
        }
        if entries_added.is_some_and(|n| (stream.len() as u64) > n) {
            return Err(CmdError::err(
                "The entries_added specified in XSETID is smaller than the target stream length",
            ));
        }
    }
    stream.last_id = id;
    if let Some(n) = entries_added {
        stream.entries_added = n;
    }
    if !max_deleted.is_zero() {
        stream.max_deleted_entry_id = max_deleted;
    }
    cx.out.ok();
    Ok(Flow::Continue)
}

/// The parsed `[COUNT n] [BLOCK ms] [NOACK] STREAMS key... id...` of XREAD/XREADGROUP.
pub struct ReadArgs {
    /// At most this many entries per stream (0 = all).
    pub count: usize,
    /// BLOCK's timeout: `Some(None)` = forever.
    pub block: Option<Option<std::time::Duration>>,
    /// XREADGROUP's NOACK.
    pub noack: bool,
    /// GROUP group consumer.
    pub group: Option<(Bytes, Bytes)>,
    /// Where the keys begin in the arguments.
    pub streams_at: usize,
    /// How many keys.
    pub keys: usize,
}

// ANCHOR: parse_read
/// Parses XREAD's and XREADGROUP's options (`group` says which it is).
pub fn parse_read_args(args: &[Bytes], group: bool) -> Result<ReadArgs, CmdError> {
    let mut parsed = ReadArgs {
        count: 0,
        block: None,
        noack: false,
        group: None,
        streams_at: 0,
        keys: 0,
    };
    let mut i = 1;
    while i < args.len() {
        let more = args.len() - 1 - i;
        let opt = &args[i];
        if is(opt, "block") && more > 0 {
            let ms = parse_int(&args[i + 1])
                .map_err(|_| CmdError::err("timeout is not an integer or out of range"))?;
            if ms < 0 {
                return Err(CmdError::err("timeout is negative"));
            }
            parsed.block = Some((ms > 0).then(|| std::time::Duration::from_millis(ms as u64)));
            i += 2;
        } else if is(opt, "count") && more > 0 {
            parsed.count = usize::try_from(parse_int(&args[i + 1])?.max(0)).unwrap_or(0);
            i += 2;
        } else if is(opt, "streams") && more > 0 {
            parsed.streams_at = i + 1;
            let rest = args.len() - parsed.streams_at;
            if !rest.is_multiple_of(2) {
                return Err(CmdError::err(
                    "Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
                ));
            }
            parsed.keys = rest / 2;
            break;
        } else if is(opt, "group") && more >= 2 {
            if !group {
                return Err(CmdError::err(
                    "The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            parsed.group = Some((args[i + 1].clone(), args[i + 2].clone()));
            i += 3;
        } else if is(opt, "noack") {
            if !group {
                return Err(CmdError::err(
                    "The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            parsed.noack = true;
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    if parsed.streams_at == 0 {
        return Err(CmdError::Syntax);
    }
    if group && parsed.group.is_none() {
        return Err(CmdError::err("Missing GROUP option for XREADGROUP"));
    }
    Ok(parsed)
}
// ANCHOR_END: parse_read

// ANCHOR: xread
fn xread(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let read = parse_read_args(args, false)?;
    let keys = &args[read.streams_at..read.streams_at + read.keys];
    let ids_at = read.streams_at + read.keys;
    // Resolve every ID first (`$` = the stream's last ID now), as Redis does.
    let mut after = Vec::with_capacity(keys.len());
    for (key, id_arg) in keys.iter().zip(&args[ids_at..]) {
        let id = if id_arg.as_ref() == b"$" {
            stream(&mut cx.db, key)?.map_or(StreamId::MIN, |s| s.last_id)
        } else if id_arg.as_ref() == b">" {
            return Err(CmdError::err(
                "The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
            ));
        } else {
            parse_id(id_arg, 0, true)?
        };
        after.push(id);
    }
    let mut found: Vec<StreamRead> = Vec::new();
    for (key, &last) in keys.iter().zip(&after) {
        let Some(stream) = stream(&mut cx.db, key)? else {
            continue;
        };
        let Some(start) = last.incr() else { continue };
        let entries: Vec<_> = stream
            .range(start, StreamId::MAX, false)
            .take(if read.count == 0 {
                usize::MAX
            } else {
                read.count
            })
            .map(|(id, f)| (*id, f.clone()))
            .collect();
        if !entries.is_empty() {
            found.push((key.clone(), entries));
        }
    }
    if found.is_empty() {
        // Nothing yet: wait (if asked), with every `$` pinned to the ID it meant now.
        let Some(timeout) = read.block else {
            cx.out.null_array();
            return Ok(Flow::Continue);
        };
        if cx.session.tx.executing {
            cx.out.null_array(); // inside EXEC a blocking command does not block
            return Ok(Flow::Continue);
        }
        let mut pinned = args.to_vec();
        for (slot, id) in pinned[ids_at..].iter_mut().zip(&after) {
            *slot = Bytes::from(id.to_string());
        }
        return super::blocking::block(cx, &pinned, timeout);
    }
    write_streams(cx.out, &found);
    Ok(Flow::Continue)
}
// ANCHOR_END: xread

/// What XREAD or XREADGROUP read from one stream: its key, and the entries by ID (an
/// entry with no fields is one deleted since it was delivered: XREADGROUP's history).
pub type StreamRead = (Bytes, Vec<(StreamId, Vec<Bytes>)>);

/// Writes XREAD's reply: per stream with entries, its key and the entries (a map keyed
/// by stream name in RESP3, as Redis 7 answers, and pairs in RESP2).
pub fn write_streams(out: &mut Output, found: &[StreamRead]) {
    // RESP3: a map of key → entries; RESP2: an array of [key, entries] pairs.
    if out.resp3() {
        out.map(found.len());
    } else {
        out.array(found.len());
    }
    for (key, entries) in found {
        if !out.resp3() {
            out.array(2);
        }
        out.bulk(key);
        out.array(entries.len());
        for (id, fields) in entries {
            if fields.is_empty() {
                out.array(2);
                out.bulk(id.to_string().as_bytes());
                out.null_array();
            } else {
                write_entry(out, *id, fields);
            }
        }
    }
}
