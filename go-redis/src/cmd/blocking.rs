//! Day 4 — blocking commands: BLPOP and friends wait for data instead of answering nil.
//!
//! `BLPOP queue 5` on an empty list does not answer at once: the client waits until another
//! client pushes to `queue` (it gets that element) or five seconds pass (it gets a null).
//! Day 2's connection loop offers the seam for it: a command answers [`Flow::Wait`], and
//! the loop hands the connection to [`Executor::wait`](crate::connection::Executor::wait),
//! which for the database is [`wait`] below. Everything else about blocking is here:
//!
//! - the blocking commands themselves ([`BLOCKING`]): each tries its plain form, and if
//!   there is nothing to pop it records the request in the session ([`block`]) and
//!   answers [`Flow::Wait`];
//! - [`after_command`]: after every other command, while some client is blocked, it
//!   wakes the client that blocked first;
//! - [`wait`]: the wait loop. It joins the queue of blocked clients *before* looking
//!   again, so no push can slip in between, then runs the request again each time it is
//!   woken, and passes the turn to the next client in the queue; it ends on an answer, on
//!   the timeout (null), when the client hangs up, or when the server shuts down.
//!
//! Letting every blocked client look again after every write, one after the other in the
//! order they blocked, is simpler than Redis's per-key ready list, serves them in the same
//! order (two clients blocked on one list get its elements first come, first served), and
//! costs nothing when nobody is blocked (one atomic load per command).

use std::sync::atomic::Ordering;

use bytes::Bytes;
use tokio::io::AsyncReadExt;

use super::lists::{End, move_element, mpop_list, parse_end};
use super::zsets::mpop_zset;
use super::{CmdError, CmdResult, Ctx, WRITE, drop_if_empty, list, parse_f64, zset};
use crate::command;
use crate::connection::{Conn, Flow};
use crate::db::{Blocked, Server, Session};
use crate::resp::{Output, ReplyWriter};

/// The blocking commands: like their plain forms, but a client finding only empty keys
/// waits instead of getting a null.
pub const BLOCKING: &[super::Command] = &[
    command!("blpop", -3, WRITE, (1, -2, 1), blpop),
    command!("brpop", -3, WRITE, (1, -2, 1), brpop),
    command!("blmove", 6, WRITE, (1, 2, 1), blmove),
    command!("brpoplpush", 4, WRITE, (1, 2, 1), brpoplpush),
    command!("blmpop", -5, WRITE, (3, -1, 1), blmpop),
    command!("bzpopmin", -3, WRITE, (1, -2, 1), bzpopmin),
    command!("bzpopmax", -3, WRITE, (1, -2, 1), bzpopmax),
    command!("bzmpop", -5, WRITE, (3, -1, 1), bzmpop),
];

/// Parses a blocking command's timeout in seconds (`0` = forever), as Redis words it.
pub fn parse_timeout(arg: &[u8]) -> Result<Option<std::time::Duration>, CmdError> {
    let secs = parse_f64(arg)
        .filter(|s| s.is_finite())
        .ok_or_else(|| CmdError::err("timeout is not a float or out of range"))?;
    if secs < 0.0 {
        return Err(CmdError::err("timeout is negative"));
    }
    Ok((secs > 0.0).then(|| std::time::Duration::from_secs_f64(secs)))
}

/// Records the request in the session and answers [`Flow::Wait`]: nothing to serve yet.
pub fn block(cx: &mut Ctx<'_>, args: &[Bytes], timeout: Option<std::time::Duration>) -> CmdResult {
    cx.session.blocked = Some(Blocked {
        args: args.to_vec(),
        timeout,
    });
    Ok(Flow::Wait)
}

fn bpop(cx: &mut Ctx<'_>, args: &[Bytes], end: End) -> CmdResult {
    let timeout = parse_timeout(&args[args.len() - 1])?;
    for key in &args[1..args.len() - 1] {
        if let Some(list) = list(&mut cx.db, key)? {
            let value = match end {
                End::Left => list.pop_front(),
                End::Right => list.pop_back(),
            };
            if let Some(value) = value {
                drop_if_empty(&mut cx.db, key);
                cx.out.array(2);
                cx.out.bulk(key);
                cx.out.bulk(&value);
                return Ok(Flow::Continue);
            }
        }
    }
    block(cx, args, timeout)
}

fn blpop(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    bpop(cx, args, End::Left)
}

fn brpop(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    bpop(cx, args, End::Right)
}

fn bmove(
    cx: &mut Ctx<'_>,
    args: &[Bytes],
    src: &[u8],
    dst: &[u8],
    (from, to): (End, End),
    timeout: &[u8],
) -> CmdResult {
    let timeout = parse_timeout(timeout)?;
    // Like Redis, only the source decides whether to block; the destination's type is
    // checked when there is something to move.
    if list(&mut cx.db, src)?.is_some() {
        return move_element(cx, src, dst, from, to);
    }
    block(cx, args, timeout)
}

fn blmove(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let from = parse_end(&args[3])?;
    let to = parse_end(&args[4])?;
    bmove(cx, args, &args[1], &args[2], (from, to), &args[5])
}

fn brpoplpush(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    bmove(
        cx,
        args,
        &args[1],
        &args[2],
        (End::Right, End::Left),
        &args[3],
    )
}

fn blmpop(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let timeout = parse_timeout(&args[1])?;
    if mpop_list(cx, &args[1..])? {
        return Ok(Flow::Continue);
    }
    block(cx, args, timeout)
}

fn bzpop(cx: &mut Ctx<'_>, args: &[Bytes], max: bool) -> CmdResult {
    let timeout = parse_timeout(&args[args.len() - 1])?;
    for key in &args[1..args.len() - 1] {
        if let Some(set) = zset(&mut cx.db, key)?
            && let Some((member, score)) = set.pop(1, max).pop()
        {
            drop_if_empty(&mut cx.db, key);
            cx.out.array(3);
            cx.out.bulk(key);
            cx.out.bulk(&member);
            cx.out.double(score);
            return Ok(Flow::Continue);
        }
    }
    block(cx, args, timeout)
}

fn bzpopmin(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    bzpop(cx, args, false)
}

fn bzpopmax(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    bzpop(cx, args, true)
}

fn bzmpop(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let timeout = parse_timeout(&args[1])?;
    if mpop_zset(cx, &args[1..])? {
        return Ok(Flow::Continue);
    }
    block(cx, args, timeout)
}

/// Called after every command: when some client is blocked and this command was not
/// itself a wait, wake the client that blocked first; the turn passes down the queue.
pub fn after_command(server: &Server, flow: Flow) {
    if flow != Flow::Wait && server.stats.blocked_clients.load(Ordering::Relaxed) > 0 {
        wake_oldest(server);
    }
}

/// Wakes the client that has been blocked longest (it looks, then passes the turn on).
fn wake_oldest(server: &Server) {
    if let Some((_, wake)) = server.blocked_order.lock().first() {
        wake.notify_one();
    }
}

/// Passes the turn from client `id` to the client that blocked after it, if any.
fn pass_turn(server: &Server, id: u64) {
    let order = server.blocked_order.lock();
    if let Some(at) = order.iter().position(|(other, _)| *other == id)
        && let Some((_, wake)) = order.get(at + 1)
    {
        wake.notify_one();
    }
}

/// Counts this client in INFO's `blocked_clients` for as long as it lives, whichever way
/// the wait ends (an answer, a timeout, a hang-up, shutdown, or the task being dropped).
/// It also lists the client's id in [`Server::blocked_ids`], for CLIENT UNBLOCK, and in
/// the queue of blocked clients ([`Server::blocked_order`]), whose turn it passes on when
/// it leaves, so a wake-up it did not use is not lost.
struct BlockedGuard<'a>(&'a Server, u64);

impl<'a> BlockedGuard<'a> {
    fn new(server: &'a Server, id: u64, wake: std::sync::Arc<tokio::sync::Notify>) -> Self {
        server.stats.blocked_clients.fetch_add(1, Ordering::Relaxed);
        server.blocked_ids.lock().insert(id, None);
        server.blocked_order.lock().push((id, wake));
        Self(server, id)
    }
}

impl Drop for BlockedGuard<'_> {
    fn drop(&mut self) {
        pass_turn(self.0, self.1);
        self.0.blocked_order.lock().retain(|(id, _)| *id != self.1);
        self.0.blocked_ids.lock().remove(&self.1);
        self.0.stats.blocked_clients.fetch_sub(1, Ordering::Relaxed);
    }
}

/// CLIENT UNBLOCK: asks the blocked client `id` to stop waiting, answering an error
/// (`error`) or what its timeout answers. False if no such client is blocked.
pub fn unblock(server: &Server, id: u64, error: bool) -> bool {
    let asked = match server.blocked_ids.lock().get_mut(&id) {
        Some(request) => {
            *request = Some(error);
            true
        }
        None => false,
    };
    if asked && let Some((_, wake)) = server.blocked_order.lock().iter().find(|(i, _)| *i == id) {
        wake.notify_one();
    }
    asked
}

/// The CLIENT UNBLOCK request waiting for client `id`, if any.
fn unblock_request(server: &Server, id: u64) -> Option<bool> {
    server.blocked_ids.lock().get(&id).copied().flatten()
}

// ANCHOR: wait
/// Waits until the request the session is blocked on can be served or times out, and
/// writes its reply into `conn.output`. Bytes the client sends meanwhile stay buffered in
/// `conn.input`. Returns `true` when the connection must close (client gone, shutdown).
pub async fn wait(server: &Server, session: &mut Session, conn: Conn<'_>) -> std::io::Result<bool> {
    let Some(timeout) = session.blocked.as_ref().map(|b| b.timeout) else {
        return Ok(false);
    };
    let wake = std::sync::Arc::new(tokio::sync::Notify::new());
    let _counted = BlockedGuard::new(server, session.id, wake.clone());
    let deadline = timeout.map(|t| tokio::time::Instant::now() + t);
    loop {
        // Joined the queue (above) *before* looking again, so no change slips between.
        // `wakeups` is the server-wide broadcast: anything may use it to make every
        // blocked client look again.
        let everyone = server.wakeups.notified();
        tokio::pin!(everyone);
        everyone.as_mut().enable();
        let Some(blocked) = session.blocked.take() else {
            return Ok(false);
        };
        if let Some(error) = unblock_request(server, session.id) {
            let mark = conn.output.len();
            if error {
                conn.output
                    .error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
            } else {
                timed_out(&blocked.args, conn.output);
            }
            count_the_call(server, &blocked.args, &conn.output[mark..]);
            return Ok(false);
        }
        let mark = conn.output.len();
        let flow = super::dispatch::dispatch(server, session, &blocked.args, conn.output);
        // Day 6: a transaction may leave another type under the key (LPUSH, DEL, SET in
        // one EXEC). Redis only serves a blocked client a list; anything else keeps it
        // waiting instead of answering WRONGTYPE (BLMOVE's *destination* of the wrong
        // type is still an error, once there is something to move).
        if flow == Flow::Continue
            && conn.output[mark..].starts_with(b"-WRONGTYPE")
            && !source_is_a_list(server, session.db, &blocked.args)
        {
            conn.output.truncate(mark);
            session.blocked = Some(blocked.clone());
        } else if flow != Flow::Wait || session.blocked.is_none() {
            // Served (or held by CLIENT PAUSE): this may have changed data too (BLMOVE
            // pushes), so let the queue look again from its oldest client.
            wake_oldest(server);
            return Ok(flow == Flow::Close);
        }
        pass_turn(server, session.id);
        let expired = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = wake.notified() => {}
            () = &mut everyone => {}
            () = expired => {
                session.blocked = None;
                let mark = conn.output.len();
                timed_out(&blocked.args, conn.output);
                count_the_call(server, &blocked.args, &conn.output[mark..]);
                return Ok(false);
            }
            read = conn.stream.read_buf(conn.input) => {
                if read? == 0 {
                    session.blocked = None;
                    return Ok(true); // the client hung up
                }
            }
            () = conn.shutdown.cancelled() => {
                session.blocked = None;
                return Ok(true);
            }
        }
    }
}
// ANCHOR_END: wait

/// Day 6: whether a BLMOVE/BRPOPLPUSH request's source key holds a list now (then its
/// WRONGTYPE is about the destination, and is the answer).
fn source_is_a_list(server: &Server, db: usize, args: &[Bytes]) -> bool {
    let moves = super::is(&args[0], "blmove") || super::is(&args[0], "brpoplpush");
    let (Some(db), Some(src)) = (server.db(db), args.get(1)) else {
        return false;
    };
    moves
        && matches!(
            db.lock(std::iter::once(&src[..]), crate::db::now_ms())
                .get(src),
            Some(crate::db::Value::List(_))
        )
}

/// INFO commandstats for a blocked command that ends without being served (a timeout,
/// CLIENT UNBLOCK): one call, and a failed one if `reply` is an error, as Redis counts it.
fn count_the_call(server: &Server, args: &[Bytes], reply: &[u8]) {
    if let Some((index, _)) = super::lookup_indexed(&args[0]) {
        server.stats.count_answered(index, reply);
    }
}

/// The reply to a blocking request whose timeout passed: BLMOVE and BRPOPLPUSH answer a
/// null bulk, the others a null array. (Day 6: also a blocking command's reply in EXEC.)
pub fn timed_out(args: &[Bytes], out: &mut Output) {
    if super::is(&args[0], "blmove") || super::is(&args[0], "brpoplpush") {
        out.null();
    } else {
        out.null_array();
    }
}
