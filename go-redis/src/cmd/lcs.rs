//! Day 3 — LCS: the longest common subsequence of two strings (Redis 7).
//!
//! `LCS a b` answers the longest string whose bytes appear, in order though not
//! necessarily next to each other, in both values; `LEN` answers only its length, and
//! `IDX` the matching ranges of both strings (longest last-first, as Redis walks them),
//! optionally only those of at least `MINMATCHLEN` bytes, `WITHMATCHLEN` adding each
//! range's length. It is the textbook dynamic program: a table whose cell `(i, j)` holds
//! the length of the LCS of the first `i` bytes of one string and the first `j` of the
//! other, then a walk back from the far corner to read the answer out. The table is
//! `(len a + 1) × (len b + 1)` counters, so, like Redis, it is refused when it would pass
//! `proto-max-bulk-len` rather than allocated.

use bytes::Bytes;

use super::{CmdError, CmdResult, Ctx, READONLY, is, parse_int};
use crate::command;
use crate::connection::Flow;
use crate::db::Value;
use crate::resp::ReplyWriter;

/// The LCS command.
pub const COMMANDS: &[super::Command] = &[command!("lcs", -3, READONLY, (1, 2, 1), lcs)];

/// One matching range: `(start, end)` in the first string, the same in the second, and
/// the length.
type Range = ((usize, usize), (usize, usize), usize);

/// The string at `key` (empty if missing), or Redis's LCS-specific error for another type.
fn string_value(cx: &mut Ctx<'_>, key: &[u8]) -> Result<Option<Bytes>, CmdError> {
    match cx.db.get(key) {
        None => Ok(None),
        Some(Value::Str(s)) => Ok(Some(s.to_bytes())),
        Some(_) => Err(CmdError::err(
            "The specified keys must contain string values",
        )),
    }
}

fn lcs(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    // Redis's order: the keys' types, then the options.
    let a = string_value(cx, &args[1])?;
    let b = string_value(cx, &args[2])?;
    let (a, b) = (a.unwrap_or_default(), b.unwrap_or_default());
    let (mut get_len, mut get_idx, mut with_match_len) = (false, false, false);
    let mut min_match_len = 0usize;
    let mut i = 3;
    while i < args.len() {
        let more = args.len() - 1 - i;
        if is(&args[i], "idx") {
            get_idx = true;
        } else if is(&args[i], "len") {
            get_len = true;
        } else if is(&args[i], "withmatchlen") {
            with_match_len = true;
        } else if is(&args[i], "minmatchlen") && more > 0 {
            min_match_len = parse_int(&args[i + 1])?.max(0) as usize;
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if get_idx && get_len {
        return Err(CmdError::err(
            "If you want both the length and indexes, please just use IDX.",
        ));
    }
    let max_table = cx
        .server
        .config
        .read()
        .other
        .get("proto-max-bulk-len")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(512 * 1024 * 1024);
    let cells = (a.len() + 1).checked_mul(b.len() + 1);
    let table_bytes = cells.and_then(|c| c.checked_mul(4));
    if table_bytes.is_none_or(|bytes| bytes > max_table) {
        return Err(CmdError::err(
            "Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        ));
    }
    let (text, ranges, len) = compute(&a, &b, get_idx || !get_len).ok_or_else(|| {
        CmdError::err("Insufficient memory, failed allocating transient memory for LCS")
    })?;
    if get_idx {
        let kept: Vec<&Range> = ranges
            .iter()
            .filter(|r| min_match_len == 0 || r.2 >= min_match_len)
            .collect();
        cx.out.map(2);
        cx.out.bulk(b"matches");
        cx.out.array(kept.len());
        for ((a_start, a_end), (b_start, b_end), match_len) in kept {
            cx.out.array(if with_match_len { 3 } else { 2 });
            for (start, end) in [(a_start, a_end), (b_start, b_end)] {
                cx.out.array(2);
                cx.out.int(*start as i64);
                cx.out.int(*end as i64);
            }
            if with_match_len {
                cx.out.int(*match_len as i64);
            }
        }
        cx.out.bulk(b"len");
        cx.out.int(len as i64);
    } else if get_len {
        cx.out.int(len as i64);
    } else {
        cx.out.bulk(&text);
    }
    Ok(Flow::Continue)
}

// ANCHOR: lcs_table
/// Builds the table and walks it back from the far corner: the LCS itself, its matching
/// ranges (in the order Redis emits them), and its length. With `walk` false only the
/// length is computed. `None` if the table cannot be allocated.
fn compute(a: &[u8], b: &[u8], walk: bool) -> Option<(Vec<u8>, Vec<Range>, usize)> {
    let width = b.len() + 1;
    let mut table: Vec<u32> = Vec::new();
    table.try_reserve_exact((a.len() + 1) * width).ok()?;
    table.resize((a.len() + 1) * width, 0);
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            table[i * width + j] = if a[i - 1] == b[j - 1] {
                table[(i - 1) * width + j - 1] + 1
            } else {
                table[(i - 1) * width + j].max(table[i * width + j - 1])
            };
        }
    }
    let len = table[a.len() * width + b.len()] as usize;
    let mut text = vec![0u8; len];
    let mut ranges = Vec::new();
    let (mut i, mut j, mut idx) = (a.len(), b.len(), len);
    // The range being extended backwards; `None` = no range open.
    let mut open: Option<((usize, usize), (usize, usize))> = None;
    while walk && i > 0 && j > 0 {
        let mut emit = false;
        if a[i - 1] == b[j - 1] {
            text[idx - 1] = a[i - 1];
            match &mut open {
                None => open = Some(((i - 1, i - 1), (j - 1, j - 1))),
                Some(((a_start, _), (b_start, _))) if *a_start == i && *b_start == j => {
                    *a_start -= 1;
                    *b_start -= 1;
                }
                Some(_) => emit = true,
            }
            if let Some(((a_start, _), (b_start, _))) = open
                && (a_start == 0 || b_start == 0)
            {
                emit = true;
            }
            idx -= 1;
            i -= 1;
            j -= 1;
        } else {
            if table[(i - 1) * width + j] > table[i * width + j - 1] {
                i -= 1;
            } else {
                j -= 1;
            }
            emit = open.is_some();
        }
        if emit && let Some((ra, rb)) = open.take() {
            ranges.push((ra, rb, ra.1 - ra.0 + 1));
        }
    }
    Some((text, ranges, len))
}
// ANCHOR_END: lcs_table
