//! Day 4 — SORT and SORT_RO: sorting a list, set or sorted set, by itself or by other keys.
//!
//! SORT is a small query language over day 4's collections: sort the elements as numbers
//! or (ALPHA) as strings, or by the value of other keys named by a pattern (`BY weight_*`,
//! `BY obj_*->field` for a hash field), keep a window (`LIMIT offset count`), fetch other
//! keys for each element (`GET data_*`, `GET #` for the element itself), and answer the
//! result or STORE it as a list. `BY nosort` (any pattern without `*`) keeps the
//! collection's own order. Because patterns may name any key of the database, SORT locks
//! the whole database, as KEYS does. Options are read, then the key's type checked, then
//! the values compared, in the order Redis's `sort.c` does it, so errors match.

use std::cmp::Ordering;
use std::collections::VecDeque;

use bytes::Bytes;

use super::{CmdError, CmdResult, Ctx, READONLY, WRITE, is, parse_int};
use crate::command;
use crate::connection::Flow;
use crate::db::{Locked, Value};
use crate::resp::ReplyWriter;
use crate::types::StrValue;

/// SORT and its read-only twin (no STORE).
pub const COMMANDS: &[super::Command] = &[
    command!("sort", -2, WRITE, all, sort),
    command!("sort_ro", -2, READONLY, all, sort_ro),
];

/// The options of one SORT request.
#[derive(Debug, Default)]
struct SortOptions<'a> {
    desc: bool,
    alpha: bool,
    /// `(offset, count)`; a negative count means "to the end".
    limit: Option<(i64, i64)>,
    by: Option<&'a [u8]>,
    gets: Vec<&'a [u8]>,
    store: Option<&'a [u8]>,
}

/// Reads SORT's options, left to right, as `sortCommandGeneric` does.
fn parse_options(args: &[Bytes], read_only: bool) -> Result<SortOptions<'_>, CmdError> {
    let mut o = SortOptions::default();
    let mut j = 2;
    while j < args.len() {
        let rest = args.len() - j - 1;
        let word = &args[j];
        if is(word, "asc") {
            o.desc = false;
        } else if is(word, "desc") {
            o.desc = true;
        } else if is(word, "alpha") {
            o.alpha = true;
        } else if is(word, "limit") && rest >= 2 {
            o.limit = Some((parse_int(&args[j + 1])?, parse_int(&args[j + 2])?));
            j += 2;
        } else if !read_only && is(word, "store") && rest >= 1 {
            o.store = Some(&args[j + 1]);
            j += 1;
        } else if is(word, "by") && rest >= 1 {
            o.by = Some(&args[j + 1]);
            j += 1;
        } else if is(word, "get") && rest >= 1 {
            o.gets.push(&args[j + 1]);
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    Ok(o)
}

/// The value a pattern names for `element`: `#` is the element itself; otherwise the first
/// `*` is replaced by the element, and a `->field` after it reads that field of a hash.
/// A pattern without `*`, a missing key, or a key of another type names nothing.
fn lookup_by_pattern(db: &mut Locked<'_>, pattern: &[u8], element: &Bytes) -> Option<Bytes> {
    if pattern == b"#" {
        return Some(element.clone());
    }
    let star = pattern.iter().position(|&b| b == b'*')?;
    let after = &pattern[star + 1..];
    let arrow = after
        .windows(2)
        .position(|w| w == b"->")
        .filter(|&i| i + 2 < after.len());
    let (suffix, field) = match arrow {
        Some(i) => (&after[..i], Some(&after[i + 2..])),
        None => (after, None),
    };
    let mut key = Vec::with_capacity(pattern.len() + element.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(element);
    key.extend_from_slice(suffix);
    match (db.get(&key)?, field) {
        (Value::Str(s), None) => Some(s.to_bytes()),
        (Value::Hash(h), Some(field)) => h.get(field).map(StrValue::to_bytes),
        _ => None,
    }
}

/// The part of `bytes` a C string function sees: everything before the first NUL.
fn c_str(bytes: &[u8]) -> &[u8] {
    bytes.split(|&b| b == 0).next().unwrap_or_default()
}

/// Reads a sort weight as C's `strtod` would, failing where Redis fails (trailing
/// garbage, NaN, out of range). Leading white space is skipped, an empty text is 0, and
/// the text ends at a NUL byte, as for any C function.
fn weight(text: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(c_str(text)).ok()?;
    let text = text.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    if text.is_empty() {
        return Some(0.0);
    }
    let n: f64 = text.parse().ok()?;
    let spelled_infinite = text.trim_start_matches(['+', '-']).starts_with(['i', 'I']);
    if n.is_nan() || (n.is_infinite() && !spelled_infinite) {
        return None;
    }
    Some(n)
}

/// One element to sort, with what it is compared by.
struct Item {
    element: Bytes,
    /// The BY value (or the element itself) for ALPHA; `None` when BY names nothing.
    text: Option<Bytes>,
    /// The numeric weight (0 when BY names nothing).
    score: f64,
}

fn sort(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    sort_generic(cx, args, false)
}

fn sort_ro(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    sort_generic(cx, args, true)
}

fn sort_generic(cx: &mut Ctx<'_>, args: &[Bytes], read_only: bool) -> CmdResult {
    let mut o = parse_options(args, read_only)?;
    // A BY pattern without `*` means: do not sort at all.
    let mut dont_sort = o.by.is_some_and(|p| !p.contains(&b'*'));
    let mut is_set = false;
    // The elements in the collection's own order (a sorted set: by rank).
    let mut elements: Vec<Bytes> = match cx.db.get(&args[1]) {
        None => Vec::new(),
        Some(Value::List(l)) => l.iter().map(StrValue::to_bytes).collect(),
        Some(Value::Set(s)) => {
            is_set = true;
            s.iter().map(StrValue::to_bytes).collect()
        }
        Some(Value::ZSet(z)) => z.iter().map(|(m, _)| m.to_bytes()).collect(),
        Some(_) => return Err(CmdError::WrongType),
    };
    // A set has no order of its own: sorting it for STORE keeps the stored list
    // deterministic, as Redis does.
    if dont_sort && is_set && o.store.is_some() {
        dont_sort = false;
        o.alpha = true;
        o.by = None;
    }
    let len = elements.len() as i64;
    let (offset, count) = o.limit.unwrap_or((0, -1));
    let mut start = offset.max(0);
    let mut end = if count < 0 {
        len - 1
    } else {
        start.saturating_add(count) - 1
    };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    end = end.min(len - 1);

    if dont_sort {
        // Lists and sorted sets keep their order, reversed by DESC; a set's is arbitrary.
        if o.desc && !is_set {
            elements.reverse();
        }
    } else {
        let mut items = Vec::with_capacity(elements.len());
        let mut not_a_number = false;
        for element in elements.drain(..) {
            let by = match o.by {
                Some(pattern) => lookup_by_pattern(&mut cx.db, pattern, &element),
                None => Some(element.clone()),
            };
            let score = match (&by, o.alpha) {
                (Some(text), false) => weight(text).unwrap_or_else(|| {
                    not_a_number = true;
                    0.0
                }),
                _ => 0.0,
            };
            items.push(Item {
                element,
                text: by,
                score,
            });
        }
        if not_a_number {
            return Err(CmdError::err(
                "One or more scores can't be converted into double",
            ));
        }
        let alpha = o.alpha;
        // Redis compares ALPHA with `strcoll` (C strings, "C" locale), but byte for byte
        // over the whole string when it STOREs the result.
        let binary = o.store.is_some();
        let text_cmp = |x: &Bytes, y: &Bytes| {
            if binary {
                x.cmp(y)
            } else {
                c_str(x).cmp(c_str(y))
            }
        };
        items.sort_by(|a, b| {
            let order = if alpha {
                match (&a.text, &b.text) {
                    (None, None) => Ordering::Equal,
                    (None, Some(_)) => Ordering::Less,
                    (Some(_), None) => Ordering::Greater,
                    (Some(x), Some(y)) => text_cmp(x, y),
                }
            } else {
                a.score
                    .partial_cmp(&b.score)
                    .unwrap_or(Ordering::Equal)
                    .then_with(|| a.element.cmp(&b.element))
            };
            if o.desc { order.reverse() } else { order }
        });
        elements = items.into_iter().map(|i| i.element).collect();
    }

    let window: &[Bytes] = if end >= start && start >= 0 {
        &elements[start as usize..=end as usize]
    } else {
        &[]
    };
    // Each element gives itself, or one value per GET pattern (None when it names nothing).
    let mut rows: Vec<Option<Bytes>> = Vec::new();
    for element in window {
        if o.gets.is_empty() {
            rows.push(Some(element.clone()));
        }
        for pattern in &o.gets {
            rows.push(lookup_by_pattern(&mut cx.db, pattern, element));
        }
    }
    match o.store {
        None => {
            cx.out.array(rows.len());
            for row in &rows {
                match row {
                    Some(value) => cx.out.bulk(value),
                    None => cx.out.null(),
                }
            }
        }
        Some(dest) => {
            let stored = rows.len();
            if stored == 0 {
                cx.db.remove(dest);
            } else {
                let list: VecDeque<StrValue> = rows
                    .into_iter()
                    .map(|row| StrValue::from(row.unwrap_or_default()))
                    .collect();
                // Like SET, STORE replaces the destination and drops its TTL.
                cx.db.set(dest, Value::List(list), false);
            }
            cx.out.int(stored as i64);
        }
    }
    Ok(Flow::Continue)
}

#[cfg(test)]
mod tests {
    use super::weight;

    #[test]
    fn weights_parse_like_strtod() {
        assert_eq!(weight(b" 1.5"), Some(1.5));
        assert_eq!(weight(b""), Some(0.0));
        assert_eq!(weight(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(weight(b"1e400"), None);
        assert_eq!(weight(b"nan"), None);
        assert_eq!(weight(b"3x"), None);
        assert_eq!(weight(b"\0\0a"), Some(0.0), "strtod stops at the NUL");
        assert_eq!(weight(b"7\0x"), Some(7.0));
    }
}
