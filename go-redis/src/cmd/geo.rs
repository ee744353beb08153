//! Day 4 — GEOADD, GEOPOS, GEODIST, GEOHASH: a geo set is a sorted set.
//!
//! Redis stores a set of places as an ordinary sorted set whose scores are 52-bit geohashes
//! ([`crate::types::geohash`]): GEOADD turns each longitude/latitude pair into a score and
//! adds it as ZADD would (NX, XX and CH mean what they mean for ZADD), and the read
//! commands decode scores back into points. So `TYPE` answers `zset`, ZREM removes a place,
//! and persistence, COPY and DUMP need nothing new. The searches (GEOSEARCH, GEORADIUS, ...)
//! live in [`super::geo_search`].
//!
//! Replies are formatted as Redis formats them: coordinates with `%.17Lf` and trailing
//! zeros cut (a RESP3 double for a RESP3 client), distances with exactly four decimals.

use bytes::{BufMut, Bytes};

use super::geo_search;
use super::{
    CmdError, CmdResult, Command, Ctx, READONLY, WRITE, drop_if_empty, is, parse_f64, parse_float,
    zset, zset_or_create,
};
use crate::command;
use crate::connection::Flow;
use crate::resp::{Output, ReplyWriter};
use crate::types::ZSet;
use crate::types::geohash::{self, LAT_MAX, LAT_MIN, LONG_MAX, LONG_MIN};

/// The GEO commands. GEORADIUS and GEORADIUSBYMEMBER may STORE into a key named after an
/// option (Redis marks them `movablekeys`): their table entry names every argument, so the
/// destination's shard is locked too (a few needless shards locked, never a missing one).
pub const COMMANDS: &[Command] = &[
    command!("geoadd", -5, WRITE, (1, 1, 1), geoadd),
    command!("geopos", -2, READONLY, (1, 1, 1), geopos),
    command!("geodist", -4, READONLY, (1, 1, 1), geodist),
    command!("geohash", -2, READONLY, (1, 1, 1), geohash),
    command!("georadius", -6, WRITE, (1, -1, 1), geo_search::georadius),
    command!(
        "georadius_ro",
        -6,
        READONLY,
        (1, 1, 1),
        geo_search::georadius_ro
    ),
    command!(
        "georadiusbymember",
        -5,
        WRITE,
        (1, -1, 1),
        geo_search::georadiusbymember
    ),
    command!(
        "georadiusbymember_ro",
        -5,
        READONLY,
        (1, 1, 1),
        geo_search::georadiusbymember_ro
    ),
    command!("geosearch", -7, READONLY, (1, 1, 1), geo_search::geosearch),
    command!(
        "geosearchstore",
        -8,
        WRITE,
        (1, 2, 1),
        geo_search::geosearchstore
    ),
];

/// The keys of a GEORADIUS or GEORADIUSBYMEMBER request (`args[0]` is the name): the source,
/// then the key after the first STORE and after the first STOREDIST among the options, as
/// Redis's key specs find them. `None` for any other command.
pub fn movable_keys(name: &str, args: &[Bytes]) -> Option<Vec<Bytes>> {
    let options_from = match name {
        "georadius" => 6,
        "georadiusbymember" => 5,
        "xread" | "xreadgroup" => return super::streams::stream_keys(args), // Day 4: streams
        _ => return None,
    };
    let mut keys = vec![args.get(1)?.clone()];
    for word in ["store", "storedist"] {
        let at = args
            .iter()
            .skip(options_from)
            .position(|a| is(a, word))
            .map(|p| options_from + p + 1);
        if let Some(key) = at.and_then(|at| args.get(at)) {
            keys.push(key.clone());
        }
    }
    Some(keys)
}

/// The key arguments of a request as a cluster routes it: the table's `(first, last,
/// step)` arguments, except that GEORADIUS and GEORADIUSBYMEMBER (whose entry names every
/// argument, to lock a STORE key) keep only their real keys, so `GEORADIUS k 15 37 5 km`
/// goes to `k`'s node instead of failing with CROSSSLOT.
pub fn routed_key_args<'a>(
    name: &str,
    args: &'a [Bytes],
    first: i32,
    last: i32,
    step: usize,
) -> impl Iterator<Item = &'a [u8]> {
    let real = movable_keys(name, args);
    super::dispatch::key_args(args, first, last, step).filter(move |arg| {
        real.as_ref()
            .is_none_or(|keys| keys.iter().any(|key| key.as_ref() == *arg))
    })
}

// ---- arguments, as Redis's geo.c reads them ----

/// A point argument pair `<longitude> <latitude>`, refused outside the geo set's ranges
/// with Redis's message (Redis's `extractLongLatOrReply`).
pub fn parse_point(longitude: &[u8], latitude: &[u8]) -> Result<[f64; 2], CmdError> {
    let x = parse_float(longitude)?;
    let y = parse_float(latitude)?;
    if !(LONG_MIN..=LONG_MAX).contains(&x) || !(LAT_MIN..=LAT_MAX).contains(&y) {
        return Err(CmdError::err(format!(
            "invalid longitude,latitude pair {x:.6},{y:.6}"
        )));
    }
    Ok([x, y])
}

/// A unit: metres per unit, or Redis's error.
pub fn parse_unit(unit: &[u8]) -> Result<f64, CmdError> {
    if is(unit, "m") {
        Ok(1.0)
    } else if is(unit, "km") {
        Ok(1000.0)
    } else if is(unit, "ft") {
        Ok(0.3048)
    } else if is(unit, "mi") {
        Ok(1609.34)
    } else {
        Err(CmdError::err(
            "unsupported unit provided. please use M, KM, FT, MI",
        ))
    }
}

/// A non-negative number, or `ERR <message>`.
fn parse_size(arg: &[u8], message: &str) -> Result<f64, CmdError> {
    parse_f64(arg).ok_or_else(|| CmdError::err(message))
}

/// `<radius> <unit>`: `(radius, metres per unit)`.
pub fn parse_radius(radius: &[u8], unit: &[u8]) -> Result<(f64, f64), CmdError> {
    let radius = parse_size(radius, "need numeric radius")?;
    if radius < 0.0 {
        return Err(CmdError::err("radius cannot be negative"));
    }
    Ok((radius, parse_unit(unit)?))
}

/// `<width> <height> <unit>`: `(width, height, metres per unit)`.
pub fn parse_box(width: &[u8], height: &[u8], unit: &[u8]) -> Result<(f64, f64, f64), CmdError> {
    let width = parse_size(width, "need numeric width")?;
    let height = parse_size(height, "need numeric height")?;
    if height < 0.0 || width < 0.0 {
        return Err(CmdError::err("height or width cannot be negative"));
    }
    Ok((width, height, parse_unit(unit)?))
}

/// The point a member of a geo set stands for.
pub fn member_point(set: &ZSet, member: &[u8]) -> Option<[f64; 2]> {
    geohash::decode_score(set.score(member)?)
}

// ---- replies ----

/// A distance with four decimals, as Redis's `fixedpoint_d2string(.., 4)`: the value times
/// 10^4 rounded to the nearest integer (ties to even, C's `llrint`), then the point put in.
pub fn format_distance(d: f64) -> String {
    if d == 0.0 {
        return "0.0000".into();
    }
    let scaled = d * 10_000.0;
    // llrint's answer when the result does not fit (NaN included) is i64::MIN.
    let n = if scaled.is_nan()
        || !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&scaled)
    {
        i64::MIN
    } else {
        scaled.round_ties_even() as i64
    };
    let sign = if n < 0 { "-" } else { "" };
    let value = n.unsigned_abs();
    format!("{sign}{}.{:04}", value / 10_000, value % 10_000)
}

/// Writes a coordinate as Redis's `addReplyHumanLongDouble` does: `%.17Lf` with trailing
/// zeros cut, as a bulk string in RESP2 and a double in RESP3.
pub fn reply_coordinate(out: &mut Output, value: f64) {
    let text = format!("{value:.17}");
    let mut text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        text = "0";
    }
    if out.resp3() {
        out.put_u8(b',');
        out.put_slice(text.as_bytes());
        out.put_slice(b"\r\n");
    } else {
        out.bulk(text.as_bytes());
    }
}

// ---- commands ----

// ANCHOR: geoadd
/// `GEOADD key [NX|XX] [CH] lon lat member [lon lat member ...]`: ZADD with scores
/// computed from the points. Options and points are all checked before the key is touched.
fn geoadd(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (mut nx, mut xx, mut ch) = (false, false, false);
    let mut first = 2;
    while let Some(word) = args.get(first) {
        if is(word, "nx") {
            nx = true;
        } else if is(word, "xx") {
            xx = true;
        } else if is(word, "ch") {
            ch = true;
        } else {
            break;
        }
        first += 1;
    }
    let triples = &args[first..];
    if triples.is_empty() || !triples.len().is_multiple_of(3) || (xx && nx) {
        return Err(CmdError::Syntax);
    }
    let mut points = Vec::with_capacity(triples.len() / 3);
    for triple in triples.chunks_exact(3) {
        let [x, y] = parse_point(&triple[0], &triple[1])?;
        let score = geohash::score_of(x, y).ok_or(CmdError::NotFloat)?;
        points.push((score as f64, &triple[2]));
    }
    if xx && zset(&mut cx.db, &args[1])?.is_none() {
        cx.out.int(0); // nothing to update: the key is not created
        return Ok(Flow::Continue);
    }
    let set = zset_or_create(&mut cx.db, &args[1])?;
    let (mut added, mut changed) = (0, 0);
    for (score, member) in points {
        match set.score(member) {
            None if xx => {}
            None => {
                set.insert(member, score);
                added += 1;
            }
            Some(_) if nx => {}
            Some(old) if old != score => {
                set.insert(member, score);
                changed += 1;
            }
            Some(_) => {}
        }
    }
    drop_if_empty(&mut cx.db, &args[1]);
    cx.out.int(if ch { added + changed } else { added });
    Ok(Flow::Continue)
}
// ANCHOR_END: geoadd

/// `GEOPOS key member ...`: each member's point, or a null array for a missing one.
fn geopos(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let set = zset(&mut cx.db, &args[1])?;
    cx.out.array(args.len() - 2);
    for member in &args[2..] {
        match set.as_deref().and_then(|s| member_point(s, member)) {
            Some([x, y]) => {
                cx.out.array(2);
                reply_coordinate(cx.out, x);
                reply_coordinate(cx.out, y);
            }
            None => cx.out.null_array(),
        }
    }
    Ok(Flow::Continue)
}

/// `GEODIST key a b [unit]`: the distance between two members, null if either is missing.
/// The unit is read before the key, as in Redis.
fn geodist(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let to_meters = match args.len() {
        5 => parse_unit(&args[4])?,
        4 => 1.0,
        _ => return Err(CmdError::Syntax),
    };
    let Some(set) = zset(&mut cx.db, &args[1])? else {
        cx.out.null();
        return Ok(Flow::Continue);
    };
    match (member_point(set, &args[2]), member_point(set, &args[3])) {
        (Some([x1, y1]), Some([x2, y2])) => {
            let d = crate::types::geo_area::distance(x1, y1, x2, y2) / to_meters;
            cx.out.bulk(format_distance(d).as_bytes());
        }
        _ => cx.out.null(),
    }
    Ok(Flow::Continue)
}

/// `GEOHASH key member ...`: each member's standard 11-character geohash, or null.
fn geohash(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let set = zset(&mut cx.db, &args[1])?;
    cx.out.array(args.len() - 2);
    for member in &args[2..] {
        let text = set
            .as_deref()
            .and_then(|s| s.score(member))
            .and_then(geohash::geohash_string);
        match text {
            Some(text) => cx.out.bulk(&text),
            None => cx.out.null(),
        }
    }
    Ok(Flow::Continue)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_have_four_decimals_rounded_like_llrint() {
        assert_eq!(format_distance(0.0), "0.0000");
        assert_eq!(format_distance(166.27415156960038), "166.2742");
        assert_eq!(format_distance(0.775), "0.7750");
        assert_eq!(format_distance(6.064_295_159_839_17e-5), "0.0001");
        assert_eq!(
            format_distance(0.00005),
            "0.0000",
            "a tie goes to the even digit"
        );
        assert_eq!(format_distance(f64::NAN), "-922337203685477.5808");
    }

    #[test]
    fn bad_points_and_units_get_redis_errors() {
        assert_eq!(
            parse_point(b"200", b"100").unwrap_err().to_string(),
            "ERR invalid longitude,latitude pair 200.000000,100.000000"
        );
        assert_eq!(parse_point(b"x", b"1"), Err(CmdError::NotFloat));
        assert_eq!(
            parse_point(b"-180", b"85.05112878"),
            Ok([-180.0, 85.05112878])
        );
        assert!(parse_unit(b"KM").is_ok());
        assert!(parse_unit(b"yd").is_err());
        assert_eq!(
            parse_radius(b"-1", b"m").unwrap_err().to_string(),
            "ERR radius cannot be negative"
        );
        assert_eq!(
            parse_box(b"1", b"x", b"m").unwrap_err().to_string(),
            "ERR need numeric height"
        );
    }

    #[test]
    fn store_keys_are_found_after_their_keywords() {
        let args: Vec<Bytes> = [
            "georadius",
            "k",
            "0",
            "0",
            "1",
            "km",
            "storedist",
            "b",
            "store",
            "a",
        ]
        .iter()
        .map(|s| Bytes::from_static(s.as_bytes()))
        .collect();
        let keys = movable_keys("georadius", &args).expect("a geo command");
        assert_eq!(keys, ["k", "a", "b"]);
        assert!(movable_keys("geosearch", &args).is_none());
        let routed: Vec<&[u8]> = routed_key_args("georadius", &args, 1, -1, 1).collect();
        assert_eq!(routed, [&b"k"[..], b"b", b"a"]);
        let all = routed_key_args("zunionstore", &args, 1, -1, 1).count();
        assert_eq!(all, args.len() - 1, "other commands keep the table's keys");
    }
}
