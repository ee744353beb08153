//! Day 4 — GEOSEARCH, GEOSEARCHSTORE and the older GEORADIUS family: "what is near here?"
//! on a geo set.
//!
//! Six commands, one function (`search`, Redis's `georadiusGeneric`): they differ in
//! where the centre comes from (coordinates or a member), the shape (a circle, or for
//! GEOSEARCH a box too) and whether the result may be stored. A search reads the nine
//! cells [`crate::types::geo_area::areas`] picks as score ranges of the sorted set, keeps
//! the points really inside the shape, sorts them by distance when asked (COUNT alone
//! implies ASC, to answer "the N nearest"), and replies or stores them as a sorted set
//! (STORE keeps the geohash scores, so the result is a geo set again; STOREDIST stores the
//! distances). `COUNT n ANY` stops reading at the first `n` points found, unsorted.
//!
//! Options are read left to right and every check comes in the order Redis makes it, so a
//! request with several problems gets Redis's error.

use bytes::Bytes;

use super::geo::{member_point, parse_box, parse_point, parse_radius, reply_coordinate};
use super::{CmdError, CmdResult, Ctx, is, parse_int, zset};
use crate::connection::Flow;
use crate::db::Value;
use crate::resp::ReplyWriter;
use crate::types::ZSet;
use crate::types::geo_area::{Shape, ShapeKind, areas, score_range};
use crate::types::geohash;
use crate::types::pqsort::pqsort;
use crate::types::zset::ScoreBound;

/// Which of the six commands is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// GEORADIUS / GEORADIUS_RO: centre from coordinates.
    Coords { store_allowed: bool },
    /// GEORADIUSBYMEMBER / _RO: centre from a member.
    Member { store_allowed: bool },
    /// GEOSEARCH / GEOSEARCHSTORE: FROMMEMBER|FROMLONLAT and BYRADIUS|BYBOX options.
    Search { store: bool },
}

/// `GEORADIUS key lon lat radius unit [options]`.
pub fn georadius(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    search(
        cx,
        args,
        Variant::Coords {
            store_allowed: true,
        },
    )
}

/// GEORADIUS without STORE, so a replica or a cluster client may send it anywhere.
pub fn georadius_ro(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    search(
        cx,
        args,
        Variant::Coords {
            store_allowed: false,
        },
    )
}

/// `GEORADIUSBYMEMBER key member radius unit [options]`.
pub fn georadiusbymember(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    search(
        cx,
        args,
        Variant::Member {
            store_allowed: true,
        },
    )
}

/// GEORADIUSBYMEMBER without STORE.
pub fn georadiusbymember_ro(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    search(
        cx,
        args,
        Variant::Member {
            store_allowed: false,
        },
    )
}

/// `GEOSEARCH key FROMMEMBER m|FROMLONLAT lon lat BYRADIUS r unit|BYBOX w h unit [options]`.
pub fn geosearch(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    search(cx, args, Variant::Search { store: false })
}

/// `GEOSEARCHSTORE dest src ...`: GEOSEARCH's result stored in `dest` (STOREDIST: the
/// distances as scores).
pub fn geosearchstore(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    search(cx, args, Variant::Search { store: true })
}

/// The order of the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sort {
    None,
    Asc,
    Desc,
}

/// A search's options, once read.
struct Options<'a> {
    center: Option<[f64; 2]>,
    /// `(shape, metres per unit)`.
    kind: Option<(ShapeKind, f64)>,
    withdist: bool,
    withhash: bool,
    withcoord: bool,
    any: bool,
    sort: Sort,
    /// 0: no limit.
    count: usize,
    store: Option<&'a [u8]>,
    storedist: bool,
}

/// A point found.
struct Found {
    member: Bytes,
    /// From the centre, in metres until the reply converts it.
    dist: f64,
    score: f64,
    point: [f64; 2],
}

// ANCHOR: parse
/// Reads the centre, the shape and the options, in Redis's order. `set` is the source
/// (already type-checked): a missing member is an error only when the set exists.
fn parse<'a>(
    args: &'a [Bytes],
    variant: Variant,
    set: Option<&ZSet>,
) -> Result<Options<'a>, CmdError> {
    let mut o = Options {
        center: None,
        kind: None,
        withdist: false,
        withhash: false,
        withcoord: false,
        any: false,
        sort: Sort::None,
        count: 0,
        store: None,
        storedist: false,
    };
    let could_not_decode = || CmdError::err("could not decode requested zset member");
    let base = match variant {
        Variant::Coords { .. } => {
            o.center = Some(parse_point(&args[2], &args[3])?);
            let (radius, conversion) = parse_radius(&args[4], &args[5])?;
            o.kind = Some((ShapeKind::Radius(radius), conversion));
            6
        }
        Variant::Member { .. } => {
            // Without a source the reply is empty anyway: Redis reads only the options.
            if let Some(set) = set {
                o.center = Some(member_point(set, &args[2]).ok_or_else(could_not_decode)?);
                let (radius, conversion) = parse_radius(&args[3], &args[4])?;
                o.kind = Some((ShapeKind::Radius(radius), conversion));
            }
            5
        }
        Variant::Search { store: false } => 2,
        Variant::Search { store: true } => {
            o.store = Some(&args[1]);
            3
        }
    };
    let store_allowed = matches!(
        variant,
        Variant::Coords {
            store_allowed: true
        } | Variant::Member {
            store_allowed: true
        }
    );
    let is_search = matches!(variant, Variant::Search { .. });
    let (mut frommember, mut fromloc, mut byradius, mut bybox) = (false, false, false, false);
    let rest = &args[base..];
    let mut i = 0;
    while i < rest.len() {
        let word = &rest[i];
        let left = rest.len() - i - 1; // arguments after this one
        if is(word, "withdist") {
            o.withdist = true;
        } else if is(word, "withhash") {
            o.withhash = true;
        } else if is(word, "withcoord") {
            o.withcoord = true;
        } else if is(word, "any") {
            o.any = true;
        } else if is(word, "asc") {
            o.sort = Sort::Asc;
        } else if is(word, "desc") {
            o.sort = Sort::Desc;
        } else if is(word, "count") && left >= 1 {
            let count = parse_int(&rest[i + 1])?;
            if count <= 0 {
                return Err(CmdError::err("COUNT must be > 0"));
            }
            o.count = usize::try_from(count).unwrap_or(usize::MAX);
            i += 1;
        } else if (is(word, "store") || is(word, "storedist")) && left >= 1 && store_allowed {
            o.store = Some(&rest[i + 1]);
            o.storedist = is(word, "storedist");
            i += 1;
        } else if is(word, "storedist") && variant == (Variant::Search { store: true }) {
            o.storedist = true;
        } else if is(word, "frommember") && left >= 1 && is_search && !fromloc {
            if let Some(set) = set {
                o.center = Some(member_point(set, &rest[i + 1]).ok_or_else(could_not_decode)?);
            }
            frommember = true;
            i += 1;
        } else if is(word, "fromlonlat") && left >= 2 && is_search && !frommember {
            o.center = Some(parse_point(&rest[i + 1], &rest[i + 2])?);
            fromloc = true;
            i += 2;
        } else if is(word, "byradius") && left >= 2 && is_search && !bybox {
            let (radius, conversion) = parse_radius(&rest[i + 1], &rest[i + 2])?;
            o.kind = Some((ShapeKind::Radius(radius), conversion));
            byradius = true;
            i += 2;
        } else if is(word, "bybox") && left >= 3 && is_search && !byradius {
            let (width, height, conversion) = parse_box(&rest[i + 1], &rest[i + 2], &rest[i + 3])?;
            o.kind = Some((ShapeKind::Box { width, height }, conversion));
            bybox = true;
            i += 3;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if o.store.is_some() && (o.withdist || o.withhash || o.withcoord) {
        let what = if is_search {
            "GEOSEARCHSTORE"
        } else {
            "STORE option in GEORADIUS"
        };
        return Err(CmdError::err(format!(
            "{what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        )));
    }
    let name = String::from_utf8_lossy(&args[0]);
    if is_search && !(frommember || fromloc) {
        return Err(CmdError::err(format!(
            "exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}"
        )));
    }
    if is_search && !(byradius || bybox) {
        return Err(CmdError::err(format!(
            "exactly one of BYRADIUS and BYBOX can be specified for {name}"
        )));
    }
    if o.any && o.count == 0 {
        return Err(CmdError::err("the ANY argument requires COUNT argument"));
    }
    Ok(o)
}
// ANCHOR_END: parse

// ANCHOR: members_in
/// The points of `set` inside `shape`, cell by cell in [`areas`]' order (Redis's
/// `membersOfAllNeighbors`): each cell is one score range of the sorted set. With a
/// `limit` (COUNT ANY), reading stops as soon as that many are found.
fn members_in(set: &ZSet, shape: &Shape, limit: usize) -> Vec<Found> {
    let cells = areas(shape);
    let mut found = Vec::new();
    let full = |found: &Vec<Found>| limit != 0 && found.len() >= limit;
    let mut last = 0;
    for (i, cell) in cells.iter().enumerate() {
        if cell.is_zero() {
            continue;
        }
        // With a huge radius neighbours can be the same cell: read it once. (As in Redis,
        // the first neighbour is not compared with the centre cell.)
        if last != 0 && *cell == cells[last] {
            continue;
        }
        if full(&found) {
            break;
        }
        let (min, max) = score_range(*cell);
        let min = ScoreBound {
            value: min,
            exclusive: false,
        };
        let max = ScoreBound {
            value: max,
            exclusive: true,
        };
        for (member, score) in set.range_by_score(min, max, false, 0, None) {
            if let Some(point) = geohash::decode_score(score)
                && let Some(dist) = shape.contains(point)
            {
                found.push(Found {
                    member,
                    dist,
                    score,
                    point,
                });
            }
            if full(&found) {
                break;
            }
        }
        last = i;
    }
    found
}
// ANCHOR_END: members_in

/// Runs one search command (Redis's `georadiusGeneric`).
fn search(cx: &mut Ctx<'_>, args: &[Bytes], variant: Variant) -> CmdResult {
    let source = if variant == (Variant::Search { store: true }) {
        &args[2]
    } else {
        &args[1]
    };
    let set = zset(&mut cx.db, source)?;
    let o = parse(args, variant, set.as_deref().map(|s| &**s))?;
    let Some(set) = set else {
        // No source: nothing found (a destination is deleted).
        match o.store {
            Some(dest) => {
                cx.db.remove(dest);
                cx.out.int(0);
            }
            None => {
                cx.out.array(0);
                cx.session.propagate_as = Some(Vec::new()); // Day 5: nothing changed
            }
        }
        return Ok(Flow::Continue);
    };
    let (Some(center), Some((kind, conversion))) = (o.center, o.kind) else {
        return Err(CmdError::Syntax); // unreachable: parse checked both
    };
    let shape = Shape {
        center,
        conversion,
        kind,
    };
    // COUNT without an order means "the N nearest" (but ANY means "any N").
    let sort = if o.count != 0 && o.sort == Sort::None && !o.any {
        Sort::Asc
    } else {
        o.sort
    };
    let mut found = members_in(set, &shape, if o.any { o.count } else { 0 });
    let returned = if o.count == 0 {
        found.len()
    } else {
        o.count.min(found.len())
    };
    // ANCHOR: sort
    let by_distance: fn(&Found, &Found) -> std::cmp::Ordering = match sort {
        Sort::Asc => |a, b| a.dist.total_cmp(&b.dist),
        Sort::Desc => |a, b| b.dist.total_cmp(&a.dist),
        Sort::None => |_, _| std::cmp::Ordering::Equal,
    };
    if sort != Sort::None {
        if returned == found.len() {
            // Redis's qsort (glibc's merge sort): stable, as `sort_by` is.
            found.sort_by(by_distance);
        } else if returned > 0 {
            // COUNT: only the first `returned` need their place (see `pqsort`).
            pqsort(&mut found, by_distance, 0, returned - 1);
        }
    }
    found.truncate(returned);
    // ANCHOR_END: sort
    for f in &mut found {
        f.dist /= conversion;
    }
    match o.store {
        None => {
            reply(cx, &o, &found);
            cx.session.propagate_as = Some(Vec::new()); // Day 5: GEORADIUS changed nothing
        }
        Some(dest) => {
            if found.is_empty() {
                cx.db.remove(dest);
            } else {
                let mut stored = ZSet::new();
                for f in &found {
                    stored.insert(&f.member, if o.storedist { f.dist } else { f.score });
                }
                // Like SET, the result replaces the destination and its TTL.
                cx.db.set(dest, Value::ZSet(Box::new(stored)), false);
            }
            cx.out.int(found.len() as i64);
        }
    }
    Ok(Flow::Continue)
}

/// The reply: members alone, or `[member, dist?, hash?, [lon, lat]?]` per point.
fn reply(cx: &mut Ctx<'_>, o: &Options<'_>, found: &[Found]) {
    let extras = usize::from(o.withdist) + usize::from(o.withhash) + usize::from(o.withcoord);
    cx.out.array(found.len());
    for f in found {
        if extras > 0 {
            cx.out.array(extras + 1);
        }
        cx.out.bulk(&f.member);
        if o.withdist {
            cx.out.bulk(super::geo::format_distance(f.dist).as_bytes());
        }
        if o.withhash {
            // C's (long long) cast on x86-64: out of range (a score ZADD wrote) is i64::MIN.
            let in_range = (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f.score);
            cx.out.int(if in_range { f.score as i64 } else { i64::MIN });
        }
        if o.withcoord {
            cx.out.array(2);
            reply_coordinate(cx.out, f.point[0]);
            reply_coordinate(cx.out, f.point[1]);
        }
    }
}
