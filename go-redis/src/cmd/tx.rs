//! Day 6 — transactions: MULTI queues, EXEC runs the queue alone, WATCH makes it conditional.
//!
//! After MULTI, a client's requests are not run but checked and queued (`+QUEUED`); EXEC
//! runs them one after another and answers an array of their replies; DISCARD drops them.
//! Three rules come from Redis and are easy to get wrong:
//!
//! - **No rollback.** A command that fails *while running* (WRONGTYPE, a bad integer)
//!   puts its error in EXEC's reply array and the others still run. godis instead undoes
//!   the whole transaction; Redis never does, because a command can only fail at run time
//!   through a programming error (wrong type, wrong argument), and undo logs would cost
//!   every write. What Redis *does* refuse is a transaction with a mistake it can see
//!   while queueing (an unknown command, a wrong argument count): EXEC then answers
//!   `EXECABORT` and runs nothing.
//! - **Atomic.** No other client sees the transaction half done. Redis gets that for free
//!   from its single thread; here EXEC takes the exclusive turn at the
//!   [`ExecGate`](crate::db::exec_gate::ExecGate) that every other command passes with a
//!   shared one, so nothing runs between its commands, whatever keys or databases they
//!   touch.
//! - **WATCH** (check-and-set): if a watched key changed after WATCH, by anyone, by
//!   expiring, by FLUSHDB/FLUSHALL or by SWAPDB, EXEC answers a null array. Writes report
//!   their keys through [`touch_watched`], called by the dispatcher after each write.
//!
//! The queued commands run through the dispatcher ([`super::dispatch::dispatch`]) like
//! any other request, so whatever the dispatcher does per command (statistics, a
//! persistence hook) happens for them too.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use bytes::Bytes;

use super::dispatch::{dispatch, key_args};
use super::{CmdError, CmdResult, Command, Ctx, FAST, Keys, NO_AUTH, WRITE, is};
use crate::command;
use crate::connection::Flow;
use crate::db::exec_gate::SharedTurn;
use crate::db::watch::WatchedKey;
use crate::db::{Server, Session, now_ms};
use crate::resp::{Output, ReplyWriter};

/// The transaction commands.
pub const COMMANDS: &[Command] = &[
    command!("multi", 1, FAST, none, multi),
    command!("exec", 1, 0, none, exec),
    command!("discard", 1, FAST, none, discard),
    command!("watch", -2, FAST, (1, -1, 1), watch),
    command!("unwatch", 1, FAST, none, unwatch),
];

/// EXEC's answer when a request was refused while queueing.
pub const EXECABORT: &str = "EXECABORT Transaction discarded because of previous errors.";

/// Commands Redis refuses inside MULTI (they cannot be undone or must run alone).
const NO_MULTI: &[&str] = &["save", "shutdown", "sync", "psync"];

/// The shared turn a command takes at the EXEC gate: none while EXEC itself runs the
/// queue (it already holds the whole gate).
pub fn turn<'a>(server: &'a Server, session: &Session) -> Option<SharedTurn<'a>> {
    (!session.tx.executing).then(|| server.exec_gate.shared(session.id))
}

// ANCHOR: intercept
/// Called before a request is dispatched. Outside MULTI and subscribed mode it returns
/// `None` at once (the request runs as usual). In MULTI it does Redis's checks (unknown
/// command, arity, authentication, commands not allowed in a transaction: each answers
/// an error and dooms the transaction) and queues the request, answering `+QUEUED`;
/// EXEC runs the queue; MULTI, DISCARD, WATCH and QUIT run at once. A RESP2 subscriber
/// may only use the subscription commands ([`super::subscribed::refuse`]).
pub fn intercept(
    server: &Server,
    session: &mut Session,
    args: &[Bytes],
    out: &mut Output,
) -> Option<Flow> {
    let in_multi = session.tx.in_multi();
    let subscriber = session.pubsub.active() && !out.resp3();
    if !in_multi && !subscriber {
        return None;
    }
    let command = super::lookup(&args[0]);
    if in_multi && let Some(error) = queue_error(session, command, args) {
        out.error(&error);
        session.tx.aborted = true;
        return Some(Flow::Continue);
    }
    if subscriber
        && let Some(command) = command
        && let Some(flow) = super::subscribed::refuse(command, args, out)
    {
        session.tx.aborted |= in_multi;
        return Some(flow);
    }
    let command = command?;
    if !in_multi || ["multi", "discard", "watch", "quit"].contains(&command.name) {
        return None;
    }
    if command.name == "exec" {
        // EXEC runs here, not through the dispatcher: counted for INFO all the same.
        if let Some((index, _)) = super::lookup_indexed(&args[0]) {
            server.stats.count_call(index);
        }
        let flow = exec_queue(server, session, out);
        // Day 5: close the transaction in the AOF if it changed anything.
        crate::aof::propagate::end_transaction(server, session, out);
        return Some(flow);
    }
    if !session.tx.aborted
        && let Some(queue) = session.tx.queue.as_mut()
    {
        queue.push(args.to_vec());
    }
    out.simple("QUEUED");
    Some(Flow::Continue)
}
// ANCHOR_END: intercept

/// Why a request cannot be queued, in Redis's order and words.
fn queue_error(session: &Session, command: Option<&Command>, args: &[Bytes]) -> Option<String> {
    // Checked by name first: SHUTDOWN and the replication commands are not in this
    // server's table, but a transaction holding one gets Redis's answer all the same.
    if NO_MULTI.iter().any(|name| is(&args[0], name)) {
        return Some("ERR Command not allowed inside a transaction".into());
    }
    let Some(command) = command else {
        return Some(super::unknown_command_message(args));
    };
    let argc = args.len() as i32;
    if (command.arity > 0 && argc != command.arity) || argc < -command.arity {
        return Some(format!(
            "ERR wrong number of arguments for '{}' command",
            command.name
        ));
    }
    if !session.authenticated && command.flags & NO_AUTH == 0 {
        return Some("NOAUTH Authentication required.".into());
    }
    None
}

// ANCHOR: exec
/// EXEC: runs the queued requests with no other command in between and answers the
/// array of their replies; or EXECABORT if a request was refused while queueing; or a
/// null array if a watched key changed. Either way the client leaves MULTI and stops
/// watching.
fn exec_queue(server: &Server, session: &mut Session, out: &mut Output) -> Flow {
    let queue = session.tx.queue.take().unwrap_or_default();
    if std::mem::take(&mut session.tx.aborted) {
        unwatch_all(server, session);
        out.error(EXECABORT);
        return Flow::Continue;
    }
    // ANCHOR: ex_exec
    let turn = server.exec_gate.exclusive();
    let failed = session.tx.watch_failed(now_ms());
    unwatch_all(server, session);
    if failed {
        out.null_array();
        return Flow::Continue;
    }
    session.tx.executing = true;
    out.array(queue.len());
    let mut after = Flow::Continue;
    for args in &queue {
        // An error is this command's reply; the others still run, nothing is undone.
        match dispatch(server, session, args, out) {
            Flow::Wait if session.blocked.take().is_some() => {
                // Blocking commands do not block inside a transaction.
                super::blocking::timed_out(args, out);
            }
            Flow::Wait if after == Flow::Continue => after = Flow::Wait, // SUBSCRIBE
            Flow::Close => after = Flow::Close,
            _ => {}
        }
    }
    session.tx.executing = false;
    drop(turn);
    after
    // ANCHOR_END: ex_exec
}
// ANCHOR_END: exec

fn multi(cx: &mut Ctx<'_>, _args: &[Bytes]) -> CmdResult {
    if cx.session.tx.in_multi() {
        return Err(CmdError::err("MULTI calls can not be nested"));
    }
    cx.session.tx.queue = Some(Vec::new());
    cx.session.tx.aborted = false;
    cx.out.ok();
    Ok(Flow::Continue)
}

/// EXEC reaches its command function only outside MULTI ([`intercept`] runs it inside).
fn exec(_cx: &mut Ctx<'_>, _args: &[Bytes]) -> CmdResult {
    Err(CmdError::err("EXEC without MULTI"))
}

fn discard(cx: &mut Ctx<'_>, _args: &[Bytes]) -> CmdResult {
    if cx.session.tx.queue.take().is_none() {
        return Err(CmdError::err("DISCARD without MULTI"));
    }
    cx.session.tx.aborted = false;
    unwatch_all(cx.server, cx.session);
    cx.out.ok();
    Ok(Flow::Continue)
}

// ANCHOR: watch
/// WATCH key...: remembers, for each key, whether it is live and when it expires, and
/// registers the client in the server's table so writes to the key mark it dirty.
fn watch(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    if cx.session.tx.in_multi() {
        return Err(CmdError::err("WATCH inside MULTI is not allowed"));
    }
    if cx.session.tx.watch_failed(cx.db.now) {
        cx.out.ok(); // already doomed: no point watching more
        return Ok(Flow::Continue);
    }
    let db = cx.session.db;
    for key in &args[1..] {
        // Shard locks are held: no write to these keys can slip in between.
        let live = cx.db.entry(key).map(|e| e.expires_at);
        let tx = &mut cx.session.tx;
        if cx
            .server
            .watches
            .watch(db, key, cx.session.id, &tx.dirty, live)
        {
            tx.watched.push(WatchedKey {
                db,
                key: key.clone(),
                expires_at: live.flatten(),
            });
        }
    }
    cx.out.ok();
    Ok(Flow::Continue)
}
// ANCHOR_END: watch

fn unwatch(cx: &mut Ctx<'_>, _args: &[Bytes]) -> CmdResult {
    unwatch_all(cx.server, cx.session);
    cx.out.ok();
    Ok(Flow::Continue)
}

/// Forgets every watched key and clears the dirty flag.
pub fn unwatch_all(server: &Server, session: &mut Session) {
    let watched = std::mem::take(&mut session.tx.watched);
    server.watches.unwatch(session.id, &watched);
    session.tx.dirty = Arc::new(AtomicBool::new(false));
}

/// The client left: drop its transaction and its watches.
pub fn forget(server: &Server, session: &mut Session) {
    session.tx.queue = None;
    unwatch_all(server, session);
}

// ANCHOR: touch_watched
/// After a write command ran in database `db` (answering `flow`): marks the clients watching the keys it
/// may have changed. Most commands name their keys in the command table; the few that
/// write elsewhere (other databases, a STORE option, every key) are listed here.
/// A write that turned out to change nothing still counts, as a conservative choice:
/// the client's EXEC fails and it retries.
pub fn touch_watched(server: &Server, db: usize, command: &Command, args: &[Bytes], flow: Flow) {
    let watches = &server.watches;
    // A blocking command that found nothing (Flow::Wait) wrote nothing.
    if command.flags & WRITE == 0 || flow == Flow::Wait || watches.is_empty() {
        return;
    }
    let now = now_ms();
    match (command.keys, command.name) {
        (Keys::Range(first, last, step), _) => {
            for key in key_args(args, first, last, step) {
                watches.touch(db, key);
            }
        }
        (Keys::All, "flushdb") => watches.touch_db(db, now, |_| false),
        (_, "flushall") => {
            for d in 0..server.dbs().len() {
                watches.touch_db(d, now, |_| false);
            }
        }
        (Keys::All, "sort") => {
            if let Some(pos) = args.iter().rposition(|a| is(a, "store"))
                && let Some(dest) = args.get(pos + 1)
            {
                watches.touch(db, dest);
            }
        }
        (_, "swapdb") => touch_swapped(server, args, now),
        (_, "move") => {
            watches.touch(db, &args[1]);
            if let Some(to) = db_arg(&args[2]) {
                watches.touch(to, &args[1]);
            }
        }
        (_, "copy") => {
            let to = args
                .iter()
                .position(|a| is(a, "db"))
                .and_then(|i| args.get(i + 1))
                .and_then(|a| db_arg(a))
                .unwrap_or(db);
            if let Some(dest) = args.get(2) {
                watches.touch(to, dest);
            }
        }
        _ => {}
    }
}
// ANCHOR_END: touch_watched

fn db_arg(arg: &[u8]) -> Option<usize> {
    super::parse_int(arg)
        .ok()
        .and_then(|n| usize::try_from(n).ok())
}

/// SWAPDB a b (after it ran): a watched key in either database changed if it existed
/// there before (it was live when watched) or exists there now.
fn touch_swapped(server: &Server, args: &[Bytes], now: u64) {
    let (Some(a), Some(b)) = (db_arg(&args[1]), db_arg(&args[2])) else {
        return;
    };
    for d in [a, b] {
        let Some(db) = server.db(d) else {
            continue;
        };
        // Look the keys up first, outside the table's lock (WATCH takes the locks the
        // other way round: shard, then table).
        let existing: Vec<Bytes> = server
            .watches
            .keys_in(d)
            .into_iter()
            .filter(|k| db.lock(std::iter::once(&k[..]), now).exists(k))
            .collect();
        server
            .watches
            .touch_db(d, now, |k| existing.iter().any(|e| e[..] == *k));
    }
}
