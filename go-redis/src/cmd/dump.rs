//! Day 5 — DUMP and RESTORE: one key's value, serialized in RDB encoding, between servers.
//!
//! DUMP answers [`crate::rdb::payload::dump`] of the value (TTL not included); RESTORE
//! checks the payload's footer, decodes the value and stores it, with Redis's options:
//! `REPLACE` (overwrite an existing key), `ABSTTL` (the TTL is a Unix time in ms, not a
//! duration), `IDLETIME` (the key reads as last used that many seconds ago, for OBJECT
//! IDLETIME), `FREQ` (an LFU hint: validated as Redis does, then ignored, since go-redis
//! keeps no LFU counter). The checks run in Redis's order, so
//! a client gets the same error Redis would give for the same bad request.

use bytes::Bytes;

use super::{CmdError, CmdResult, Command, Ctx, READONLY, WRITE, is, parse_int};
use crate::command;
use crate::connection::Flow;
use crate::db::Entry;
use crate::rdb::payload;
use crate::resp::ReplyWriter;

/// DUMP and RESTORE.
pub const COMMANDS: &[Command] = &[
    command!("dump", 2, READONLY, (1, 1, 1), dump),
    command!("restore", -4, WRITE, (1, 1, 1), restore),
];

fn dump(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    match cx.db.get(&args[1]) {
        Some(value) => {
            let bytes = payload::dump(value);
            cx.out.bulk(&bytes);
        }
        None => cx.out.null(),
    }
    Ok(Flow::Continue)
}

// ANCHOR: restore
/// `RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]`.
fn restore(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (mut replace, mut absttl) = (false, false);
    let (mut idle, mut freq) = (None, None);
    let mut i = 4;
    while i < args.len() {
        let has_value = i + 1 < args.len();
        if is(&args[i], "replace") {
            replace = true;
        } else if is(&args[i], "absttl") {
            absttl = true;
        } else if is(&args[i], "idletime") && has_value && freq.is_none() {
            let seconds = parse_int(&args[i + 1])?;
            if seconds < 0 {
                return Err(CmdError::err("Invalid IDLETIME value, must be >= 0"));
            }
            idle = Some(seconds);
            i += 1;
        } else if is(&args[i], "freq") && has_value && idle.is_none() {
            let f = parse_int(&args[i + 1])?;
            if !(0..=255).contains(&f) {
                return Err(CmdError::err("Invalid FREQ value, must be >= 0 and <= 255"));
            }
            freq = Some(f);
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    let key = &args[1];
    if !replace && cx.db.exists(key) {
        return Err(CmdError::Other(
            "BUSYKEY Target key name already exists.".into(),
        ));
    }
    let ttl = parse_int(&args[2])?;
    if ttl < 0 {
        return Err(CmdError::err("Invalid TTL value, must be >= 0"));
    }
    let value = payload::restore(&args[3]).map_err(|e| CmdError::Other(e.to_string()))?;
    if replace {
        cx.db.remove(key);
    }
    let now = cx.db.now;
    let expires_at = match ttl {
        0 => None,
        ttl if absttl => Some(ttl as u64),
        ttl => Some(now.saturating_add(ttl as u64)),
    };
    if expires_at.is_some_and(|at| at <= now) {
        // Already expired: the key is (at most) deleted, never created.
        cx.out.ok();
        return Ok(Flow::Continue);
    }
    let mut entry = Entry::new(value, expires_at);
    if let Some(idle) = idle {
        // IDLETIME: the key reads as last used that many seconds ago.
        entry.accessed = entry
            .accessed
            .saturating_sub(u32::try_from(idle).unwrap_or(u32::MAX));
    }
    cx.db.put_entry(key, entry);
    cx.out.ok();
    Ok(Flow::Continue)
}
// ANCHOR_END: restore
