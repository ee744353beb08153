//! Day 5 — propagation: what a command that changed data writes to the AOF.
//!
//! The AOF is replayed, so what it holds must give the same data set when run again
//! *later*. Most commands can be logged as the client sent them: `SET k v`, `LPUSH q a`,
//! `INCR n` mean the same tomorrow. Some cannot, and Redis rewrites them before logging
//! (its `rewriteClientCommandVector`); so do we, in one place, [`rewrite`]:
//!
//! - **relative time** becomes absolute: `EXPIRE k 10` → `PEXPIREAT k <ms>`,
//!   `SET k v EX 10` / `SETEX` → `SET k v PXAT <ms>`, `GETEX k EX 10` → `PEXPIREAT`;
//! - **randomness** becomes its outcome: `SPOP s` → `SREM s <what was popped>`;
//! - **floats** become their result: `INCRBYFLOAT k 0.1` → `SET k <value> KEEPTTL`;
//! - **blocking** becomes what it did: a served `BLPOP` → `LPOP <key>`, `BLMOVE` → `LMOVE`
//!   (replaying a BLPOP on an empty list would wait forever);
//! - **expiry** is logged as `DEL`: a key deleted because its TTL passed (lazily, by a
//!   command that touched it, or by the active cycle) is written as `DEL k` before the
//!   command that noticed, so a replay (which never expires anything) deletes it at the same
//!   point.
//!
//! The seam: dispatch calls [`after_command`] after every command, while the command's keys
//! are still locked (so two writes to one key reach the log in the order they ran). A
//! command that knows better than this table says what to log instead by setting
//! [`crate::db::Session::propagate_as`]; a command that writes without dispatch (day 6's
//! EXEC wrapping its queue in `MULTI` ... `EXEC`) calls [`feed`].

use bytes::Bytes;
use smallvec::SmallVec;

use crate::cmd::{Command, Ctx, Keys, WRITE};
use crate::connection::Flow;
use crate::db::{Locked, Server, Session, Value};
use crate::resp::Output;

/// What a command is logged as.
#[derive(Debug, PartialEq, Eq)]
pub enum Propagate {
    /// As the client sent it.
    AsIs,
    /// Nothing: it changed nothing.
    Nothing,
    /// These commands instead, in order.
    Replace(Vec<Vec<Bytes>>),
}

/// Commands that write to several databases without naming their keys in the command
/// table (they lock inside): they hold the AOF's order lock, shared, while they run and are
/// logged, so a rewrite's cut never falls between their change and their log line.
pub fn order_guard<'a>(
    server: &'a Server,
    command: &Command,
) -> Option<parking_lot::RwLockReadGuard<'a, ()>> {
    (command.flags & WRITE != 0 && matches!(command.keys, Keys::None))
        .then(|| server.aof.order.read())
}

// ANCHOR: after_command
/// Called by dispatch after every command, with the command's keys still locked: logs the
/// keys it found expired as `DEL`, then the command as [`rewrite`] says, and under
/// `appendfsync always` holds the client's replies until that is on disk.
pub fn after_command(
    cx: &mut Ctx<'_>,
    command: &Command,
    args: &[Bytes],
    reply_start: usize,
    flow: Flow,
) {
    let aof = &cx.server.aof;
    let override_ = cx.session.propagate_as.take();
    if !aof.is_active() {
        cx.db.drain_expired(|_| {});
        return;
    }
    let db = cx.session.db;
    let mut offset = None;
    let shared = &aof.shared;
    cx.db.drain_expired(|key| {
        offset = Some(super::writer::append(shared, db, &[b"DEL", &key]));
    });
    let failed = cx.out.get(reply_start) == Some(&b'-');
    let wrote =
        (command.flags & WRITE != 0 && cx.session.changes != Some(0)) || override_.is_some();
    if flow != Flow::Wait && !failed && wrote {
        // Day 6: a transaction's changes are logged between MULTI and EXEC, so a restart
        // replays all of them or (a torn tail) none; MULTI goes before its first change.
        if cx.session.tx.executing && !cx.session.tx.logged_multi {
            cx.session.tx.logged_multi = true;
            offset = Some(super::writer::append(shared, db, &[b"MULTI"]));
        }
        let what = match override_ {
            Some(commands) => Propagate::Replace(commands),
            None => rewrite(command.name, args, &cx.out[reply_start..], &mut cx.db),
        };
        match what {
            Propagate::AsIs => {
                let words: SmallVec<[&[u8]; 8]> = args.iter().map(|a| a.as_ref()).collect();
                offset = Some(super::writer::append(shared, db, &words));
            }
            Propagate::Replace(commands) => {
                for command in commands {
                    let words: SmallVec<[&[u8]; 8]> = command.iter().map(|a| a.as_ref()).collect();
                    offset = Some(super::writer::append(shared, db, &words));
                }
            }
            Propagate::Nothing => {}
        }
    }
    if let Some(offset) = offset
        && aof.fsync() == super::Fsync::Always
    {
        cx.out.hold_until(aof.synced(), offset);
    }
}
// ANCHOR_END: after_command

/// Logs one command run in database `db` outside dispatch (day 6: EXEC's `MULTI` and
/// `EXEC` around the commands it runs). Returns the AOF offset past it, or `None` when the
/// AOF is off. The caller makes sure nothing it must stay atomic with is logged between.
pub fn feed(server: &Server, db: usize, args: &[&[u8]]) -> Option<u64> {
    server
        .aof
        .is_active()
        .then(|| super::writer::append(&server.aof.shared, db, args))
}

/// Day 6: EXEC ended; if it logged `MULTI` (it changed something), log `EXEC`, and with
/// `appendfsync always` hold its reply until that is on disk.
pub fn end_transaction(server: &Server, session: &mut Session, out: &mut Output) {
    if !std::mem::take(&mut session.tx.logged_multi) {
        return;
    }
    if let Some(offset) = feed(server, session.db, &[b"EXEC"])
        && server.aof.fsync() == super::Fsync::Always
    {
        out.hold_until(server.aof.synced(), offset);
    }
}

/// Day 4's active expiry deleted `key` in database `db`: log it as `DEL`.
pub fn expired(server: &Server, db: usize, key: &[u8]) {
    feed(server, db, &[b"DEL", key]);
}

fn word(text: &str) -> Bytes {
    Bytes::copy_from_slice(text.as_bytes())
}

fn number(n: u64) -> Bytes {
    Bytes::copy_from_slice(itoa::Buffer::new().format(n).as_bytes())
}

fn has_option(args: &[Bytes], options: &[&str]) -> bool {
    args.iter()
        .any(|a| options.iter().any(|o| a.eq_ignore_ascii_case(o.as_bytes())))
}

// ANCHOR: rewrite
/// What command `name` (lower case), run with `args` and answered `reply`, is logged as;
/// `db` still holds its keys, so the key's state after the command can be read.
pub fn rewrite(name: &str, args: &[Bytes], reply: &[u8], db: &mut Locked<'_>) -> Propagate {
    let key = || args[1].clone();
    match name {
        "expire" | "pexpire" | "expireat" | "pexpireat" => rewrite_expire(args, reply, db),
        "set" if !has_option(&args[3..], &["ex", "px", "exat", "pxat"]) => Propagate::AsIs,
        "set" | "setex" | "psetex" => match db.entry(&args[1]) {
            Some(entry) => match (&entry.value, entry.expires_at) {
                (Value::Str(v), Some(at)) => Propagate::Replace(vec![vec![
                    word("SET"),
                    key(),
                    v.to_bytes(),
                    word("PXAT"),
                    number(at),
                ]]),
                _ => Propagate::Nothing, // NX or XX refused: nothing changed
            },
            None => Propagate::Replace(vec![vec![word("DEL"), key()]]),
        },
        "getex" if !has_option(&args[2..], &["ex", "px", "exat", "pxat", "persist"]) => {
            Propagate::Nothing
        }
        "getex" => match db.entry(&args[1]).map(|e| e.expires_at) {
            Some(Some(at)) => Propagate::Replace(vec![vec![word("PEXPIREAT"), key(), number(at)]]),
            Some(None) => Propagate::Replace(vec![vec![word("PERSIST"), key()]]),
            None => Propagate::Replace(vec![vec![word("DEL"), key()]]),
        },
        "incrbyfloat" => match reply_bulks(reply).into_iter().next() {
            Some(value) => {
                Propagate::Replace(vec![vec![word("SET"), key(), value, word("KEEPTTL")]])
            }
            None => Propagate::Nothing,
        },
        "hincrbyfloat" => match reply_bulks(reply).into_iter().next() {
            Some(value) => {
                Propagate::Replace(vec![vec![word("HSET"), key(), args[2].clone(), value]])
            }
            None => Propagate::Nothing,
        },
        "spop" => {
            let popped = reply_bulks(reply);
            if popped.is_empty() {
                return Propagate::Nothing;
            }
            let mut srem = vec![word("SREM"), key()];
            srem.extend(popped);
            Propagate::Replace(vec![srem])
        }
        "blpop" | "brpop" | "bzpopmin" | "bzpopmax" => {
            let Some(served) = reply_bulks(reply).into_iter().next() else {
                return Propagate::Nothing;
            };
            let plain = &name[1..]; // lpop, rpop, zpopmin, zpopmax
            Propagate::Replace(vec![vec![word(&plain.to_ascii_uppercase()), served]])
        }
        "blmove" => Propagate::Replace(vec![[&[word("LMOVE")], &args[1..5]].concat()]),
        "brpoplpush" => Propagate::Replace(vec![vec![
            word("RPOPLPUSH"),
            args[1].clone(),
            args[2].clone(),
        ]]),
        // BLMPOP timeout numkeys key... LEFT|RIGHT [COUNT n] → LMPOP numkeys key... (same
        // data, same first non-empty key: the same pop).
        "blmpop" | "bzmpop" if reply_bulks(reply).is_empty() => Propagate::Nothing,
        "blmpop" => Propagate::Replace(vec![[&[word("LMPOP")], &args[2..]].concat()]),
        "bzmpop" => Propagate::Replace(vec![[&[word("ZMPOP")], &args[2..]].concat()]),
        _ => Propagate::AsIs,
    }
}
// ANCHOR_END: rewrite

// ANCHOR: rewrite_expire
/// The EXPIRE family as an absolute `PEXPIREAT` (or the `DEL` a time in the past caused),
/// read from the key's state after the command.
pub fn rewrite_expire(args: &[Bytes], reply: &[u8], db: &mut Locked<'_>) -> Propagate {
    // ANCHOR: ex_rewrite_expire
    if reply.starts_with(b":0") {
        return Propagate::Nothing; // no key, or NX/XX/GT/LT said no
    }
    let key = args[1].clone();
    match db.entry(&args[1]).map(|e| e.expires_at) {
        Some(Some(at)) => Propagate::Replace(vec![vec![word("PEXPIREAT"), key, number(at)]]),
        Some(None) => Propagate::Nothing,
        None => Propagate::Replace(vec![vec![word("DEL"), key]]), // the time was past
    }
    // ANCHOR_END: ex_rewrite_expire
}
// ANCHOR_END: rewrite_expire

/// Every bulk string of a reply, in order, whatever arrays, sets or maps hold them
/// (RESP2 or RESP3): `$3\r\nkey\r\n` → `key`. Nulls, numbers and doubles are skipped.
pub fn reply_bulks(reply: &[u8]) -> Vec<Bytes> {
    let mut found = Vec::new();
    let mut pos = 0;
    while pos < reply.len() {
        let Some(end) = find_crlf(reply, pos) else {
            break;
        };
        let line = &reply[pos + 1..end];
        match reply[pos] {
            b'$' | b'=' => {
                let Some(len) = std::str::from_utf8(line)
                    .ok()
                    .and_then(|l| l.parse::<i64>().ok())
                else {
                    break;
                };
                if len < 0 {
                    pos = end + 2;
                    continue;
                }
                let start = end + 2;
                let Some(bytes) = reply.get(start..start + len as usize) else {
                    break;
                };
                found.push(Bytes::copy_from_slice(bytes));
                pos = start + len as usize + 2;
            }
            _ => pos = end + 2, // headers (*, ~, %, >) and one-line values
        }
    }
    found
}

fn find_crlf(buf: &[u8], from: usize) -> Option<usize> {
    buf.get(from..)?
        .windows(2)
        .position(|w| w == b"\r\n")
        .map(|i| from + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_bulks_flattens_resp2_and_resp3() {
        assert_eq!(
            reply_bulks(b"*2\r\n$1\r\nq\r\n$4\r\na\r\nb\r\n"),
            vec![Bytes::from_static(b"q"), Bytes::from_static(b"a\r\nb")]
        );
        assert_eq!(
            reply_bulks(b"*3\r\n$1\r\nz\r\n$1\r\nm\r\n,1.5\r\n"),
            vec![Bytes::from_static(b"z"), Bytes::from_static(b"m")]
        );
        assert!(reply_bulks(b"$-1\r\n").is_empty());
        assert!(reply_bulks(b"*-1\r\n").is_empty());
        assert!(
            reply_bulks(b"$5\r\nab").is_empty(),
            "a torn reply yields nothing"
        );
    }
}
