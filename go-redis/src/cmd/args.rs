//! Day 3 — argument parsing shared by every command family.
//!
//! Redis is strict about arguments, and every family needs the same few parsers: integers
//! the way `string2ll` reads them, floats the way `string2d` does, option words without
//! regard to case, `start`/`stop` indexes that count from the end, SCAN's cursor and
//! options, and the glob matcher KEYS, SCAN and the `*SCAN` commands filter with. They
//! live here, in one place every family imports, rather than in whichever family needed
//! them first. The last section (day 4) holds what the collection families share:
//! random picks, `numkeys` lists, the `*MPOP` form.

use bytes::Bytes;
use rand::Rng;
use rand::seq::index::sample;

use super::CmdError;

/// Parses a 64-bit integer strictly, like Redis's `string2ll`: optional `-`, digits, no
/// `+`, no spaces, no leading zeros.
pub fn parse_int(arg: &[u8]) -> Result<i64, CmdError> {
    parse_i64(arg).ok_or(CmdError::NotInteger)
}

/// [`parse_int`] returning `None` instead of an error.
pub fn parse_i64(arg: &[u8]) -> Option<i64> {
    if arg.is_empty() || arg.len() > 20 {
        return None;
    }
    let digits = arg.strip_prefix(b"-").unwrap_or(arg);
    if digits.is_empty() || (digits[0] == b'0' && (digits.len() > 1 || arg.len() > 1)) {
        return None;
    }
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(arg).ok()?.parse().ok()
}

/// Parses a count that must be zero or more, like Redis's `getPositiveLongFromObjectOrReply`:
/// anything else, not a number included, is `ERR value is out of range, must be positive`
/// (LPOP/RPOP/ZPOPMIN/ZPOPMAX counts).
pub fn parse_positive(arg: &[u8]) -> Result<usize, CmdError> {
    parse_i64(arg)
        .filter(|&n| n >= 0)
        .map(|n| n as usize)
        .ok_or_else(|| CmdError::err("value is out of range, must be positive"))
}

/// Parses a float like Redis's `string2d`: no spaces, no NaN; `inf`, `-inf`, `+inf` allowed.
pub fn parse_float(arg: &[u8]) -> Result<f64, CmdError> {
    parse_f64(arg).ok_or(CmdError::NotFloat)
}

/// [`parse_float`] returning `None` instead of an error.
pub fn parse_f64(arg: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(arg).ok()?;
    if text.is_empty()
        || text.starts_with(char::is_whitespace)
        || text.ends_with(char::is_whitespace)
    {
        return None;
    }
    // Letters other than an exponent's `e` are only allowed in the spellings of infinity;
    // plain numbers (the common case: every ZADD score) parse without an allocation.
    let value: f64 = if text
        .bytes()
        .any(|c| c.is_ascii_alphabetic() && c != b'e' && c != b'E')
    {
        let is = |words: &[&str]| words.iter().any(|w| text.eq_ignore_ascii_case(w));
        if is(&["inf", "+inf", "infinity", "+infinity"]) {
            f64::INFINITY
        } else if is(&["-inf", "-infinity"]) {
            f64::NEG_INFINITY
        } else {
            return None;
        }
    } else {
        text.parse().ok()?
    };
    (!value.is_nan()).then_some(value)
}

/// Whether `arg` equals `word`, ignoring ASCII case (option names).
pub fn is(arg: &[u8], word: &str) -> bool {
    arg.eq_ignore_ascii_case(word.as_bytes())
}

/// Turns Redis-style `start`/`stop` indexes (negative from the end) into a clamped
/// inclusive range over `len` elements, or `None` when it is empty.
pub fn clamp_range(start: i64, stop: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 {
        (len + start).max(0)
    } else {
        start
    };
    let stop = if stop < 0 {
        len + stop
    } else {
        stop.min(len - 1)
    };
    (start <= stop && start < len && stop >= 0).then_some((start as usize, stop as usize))
}

/// Parses a SCAN-family cursor.
pub fn parse_cursor(arg: &[u8]) -> Result<u64, CmdError> {
    std::str::from_utf8(arg)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| CmdError::err("invalid cursor"))
}

/// The options of SCAN, HSCAN, SSCAN, ZSCAN: `MATCH pattern`, `COUNT n`, (SCAN only) `TYPE t`.
#[derive(Debug, Default)]
pub struct ScanOptions {
    /// Only elements matching this glob.
    pub pattern: Option<Bytes>,
    /// Roughly how many elements to visit.
    pub count: usize,
    /// Only keys of this type.
    pub type_name: Option<String>,
}

/// Parses `[MATCH p] [COUNT n] [TYPE t]` starting at `args[from]`.
pub fn parse_scan_options(
    args: &[Bytes],
    from: usize,
    allow_type: bool,
) -> Result<ScanOptions, CmdError> {
    let mut opts = ScanOptions {
        count: 10,
        ..ScanOptions::default()
    };
    let mut i = from;
    while i < args.len() {
        let value = args.get(i + 1).ok_or(CmdError::Syntax)?;
        if is(&args[i], "match") {
            opts.pattern = Some(value.clone());
        } else if is(&args[i], "count") {
            let n = parse_int(value)?;
            if n < 1 {
                return Err(CmdError::Syntax);
            }
            opts.count = n as usize;
        } else if allow_type && is(&args[i], "type") {
            opts.type_name = Some(String::from_utf8_lossy(value).to_ascii_lowercase());
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    Ok(opts)
}

/// Writes a `[cursor, [elements...]]` SCAN reply.
pub fn write_scan_reply<T: AsRef<[u8]>>(out: &mut crate::resp::Output, cursor: u64, items: &[T]) {
    use crate::resp::ReplyWriter;
    out.array(2);
    out.bulk(itoa::Buffer::new().format(cursor).as_bytes());
    out.array(items.len());
    for item in items {
        out.bulk(item.as_ref());
    }
}

/// One step of a cursor scan over an indexed collection of `len` elements, visiting from
/// the top index down so elements swapped into holes by removals are never skipped.
/// Cursor `0` starts; it encodes `position + 1`. Returns the indexes to visit and the
/// next cursor (`0` when done).
pub fn scan_step(cursor: u64, len: usize, count: usize) -> (std::ops::Range<usize>, u64) {
    let top = if cursor == 0 {
        len
    } else {
        (cursor as usize).min(len)
    };
    let bottom = top.saturating_sub(count);
    let next = if bottom == 0 { 0 } else { bottom as u64 };
    (bottom..top, next)
}

// ANCHOR: glob
/// Redis's glob: `*` any run, `?` one byte, `[abc]`, `[^a-z]`, `\x` a literal x.
///
/// Linear-time in practice: on a mismatch it only backtracks to the *last* `*`, which is
/// enough because every other token matches exactly one byte.
pub fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    // ANCHOR: ex_glob
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None; // (pattern after '*', text position)
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            while p < pattern.len() && pattern[p] == b'*' {
                p += 1;
            }
            star = Some((p, t));
            continue;
        }
        if p < pattern.len()
            && let Some(next) = match_one(pattern, p, text[t])
        {
            p = next;
            t += 1;
            continue;
        }
        match star {
            Some((sp, st)) => {
                p = sp;
                t = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    pattern[p.min(pattern.len())..].iter().all(|&c| c == b'*')
    // ANCHOR_END: ex_glob
}
// ANCHOR_END: glob

/// Matches one non-`*` token at `pattern[p]` against `c`; returns the position after the
/// token if it matches.
fn match_one(pattern: &[u8], p: usize, c: u8) -> Option<usize> {
    match pattern[p] {
        b'?' => Some(p + 1),
        b'\\' if p + 1 < pattern.len() => (pattern[p + 1] == c).then_some(p + 2),
        b'[' => {
            let mut i = p + 1;
            let negate = pattern.get(i) == Some(&b'^');
            if negate {
                i += 1;
            }
            let mut matched = false;
            while i < pattern.len() && pattern[i] != b']' {
                if pattern[i] == b'\\' && i + 1 < pattern.len() {
                    matched |= pattern[i + 1] == c;
                    i += 2;
                } else if i + 2 < pattern.len() && pattern[i + 1] == b'-' && pattern[i + 2] != b']'
                {
                    let (a, b) = (
                        pattern[i].min(pattern[i + 2]),
                        pattern[i].max(pattern[i + 2]),
                    );
                    matched |= (a..=b).contains(&c);
                    i += 3;
                } else {
                    matched |= pattern[i] == c;
                    i += 1;
                }
            }
            // An unclosed class ends the pattern, as in Redis.
            let end = if i < pattern.len() { i + 1 } else { i };
            (matched != negate).then_some(end)
        }
        other => (other == c).then_some(p + 1),
    }
}

// ---- Day 4: helpers the collection families share ----

/// The most elements a SRANDMEMBER/HRANDFIELD/ZRANDMEMBER reply with a *negative* count
/// (repeats allowed, so not bounded by the set) may hold. Redis streams
/// any count and relies on output-buffer limits to cut the client off; we refuse counts
/// beyond this up front (`ERR value is out of range`) so a single request can never make the
/// server allocate without bound.
pub const MAX_RANDOM_REPLY: u64 = 1 << 24;

/// Random positions in `0..len` for SRANDMEMBER-style `count`s: a positive count gives
/// distinct positions (at most `len`), a negative one `|count|` positions with repeats.
pub fn random_indexes(len: usize, count: i64, rng: &mut impl Rng) -> Vec<usize> {
    if len == 0 || count == 0 {
        return Vec::new();
    }
    if count < 0 {
        return (0..count.unsigned_abs())
            .map(|_| rng.random_range(0..len))
            .collect();
    }
    let count = (count as usize).min(len);
    sample(rng, len, count).into_vec()
}

/// Parses `numkeys key... [LIMIT n]` (SINTERCARD, ZINTERCARD): the keys and the limit.
pub fn parse_numkeys_limit(args: &[Bytes]) -> Result<(&[Bytes], usize), CmdError> {
    let n = parse_int(&args[1]).map_err(|_| CmdError::err("numkeys should be greater than 0"))?;
    if n <= 0 {
        return Err(CmdError::err("numkeys should be greater than 0"));
    }
    let n = n as usize;
    if n > args.len() - 2 {
        return Err(CmdError::err(
            "Number of keys can't be greater than number of args",
        ));
    }
    let keys = &args[2..2 + n];
    let mut limit = 0usize;
    let mut i = 2 + n;
    while i < args.len() {
        if is(&args[i], "limit") && i + 1 < args.len() {
            let l =
                parse_int(&args[i + 1]).map_err(|_| CmdError::err("LIMIT can't be negative"))?;
            if l < 0 {
                return Err(CmdError::err("LIMIT can't be negative"));
            }
            limit = l as usize;
            i += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok((keys, limit))
}

/// Parses `numkeys key... <where> [COUNT n]` (ZMPOP, LMPOP): keys, the word, the count.
pub fn parse_mpop<'a>(
    args: &'a [Bytes],
    words: [&str; 2],
) -> Result<(&'a [Bytes], bool, usize), CmdError> {
    let n = parse_int(&args[1])
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| CmdError::err("numkeys should be greater than 0"))? as usize;
    if n + 2 >= args.len() {
        return Err(CmdError::Syntax);
    }
    let keys = &args[2..2 + n];
    let which = &args[2 + n];
    let second = if is(which, words[0]) {
        false
    } else if is(which, words[1]) {
        true
    } else {
        return Err(CmdError::Syntax);
    };
    let mut count = 1usize;
    let rest = &args[3 + n..];
    match rest {
        [] => {}
        [word, value] if is(word, "count") => {
            let c = parse_int(value)
                .ok()
                .filter(|&c| c > 0)
                .ok_or_else(|| CmdError::err("count should be greater than 0"))?;
            count = c as usize;
        }
        _ => return Err(CmdError::Syntax),
    }
    Ok((keys, second, count))
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn glob_matches_like_redis() {
        assert!(glob_match(b"*", b"anything"));
        assert!(glob_match(b"h?llo", b"hello"));
        assert!(glob_match(b"h[ae]llo", b"hallo"));
        assert!(!glob_match(b"h[^e]llo", b"hello"));
        assert!(glob_match(b"h[a-b]llo", b"hbllo"));
        assert!(glob_match(b"a\\*b", b"a*b"));
        assert!(!glob_match(b"a\\*b", b"axb"));
        assert!(glob_match(b"*a*b", b"xxaxxb"));
        assert!(!glob_match(b"foo*", b"fo"));
        let long = vec![b'a'; 5000];
        assert!(!glob_match(b"a*a*a*a*a*a*a*a*a*a*a*a*b", &long));
    }
}
