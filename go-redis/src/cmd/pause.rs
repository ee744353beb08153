//! Day 3 — CLIENT PAUSE: holding commands until a pause ends, without holding a thread.
//!
//! `CLIENT PAUSE 5000` asks the server to stop serving clients for five seconds (during a
//! failover, say), and `CLIENT PAUSE 5000 WRITE` to stop serving only the commands that
//! change data. A paused command is not refused: it waits, and runs when the pause ends
//! (or `CLIENT UNPAUSE` lifts it), in the order it came. Sleeping in the worker thread
//! would stall every other connection that thread serves, so the wait uses day 2's seam:
//! [`hold`] parks the request in the session and answers [`Flow::Wait`], and the
//! connection hands itself to [`wait`], which sleeps on the pause's end time (or a wake-up
//! from UNPAUSE), then runs the request through the dispatcher as if it had just come.

use bytes::Bytes;

use super::{Command, MAY_REPLICATE, WRITE};
use crate::connection::{Conn, Flow};
use crate::db::{Server, Session};

/// Called by the dispatcher before a command runs: if a pause holds it, parks the request
/// in the session and answers [`Flow::Wait`]. A write is held by any pause, any other
/// command only by `CLIENT PAUSE ... ALL`. One atomic load when the server is not paused.
pub fn hold(
    server: &Server,
    session: &mut Session,
    command: &Command,
    args: &[Bytes],
) -> Option<Flow> {
    // ANCHOR: ex_hold
    server
        .clients
        .paused_until(command.flags & (WRITE | MAY_REPLICATE) != 0)?;
    session.paused = Some(args.to_vec());
    Some(Flow::Wait)
    // ANCHOR_END: ex_hold
}

// ANCHOR: wait
/// Waits until the pause holding the session's request ends, then runs it, writing its
/// reply into `conn.output`. Returns `true` when the connection must close (the client
/// hung up, the server shuts down, or the command was QUIT). The request may leave the
/// session waiting again (a new pause, or a BLPOP with nothing to pop): the caller looks.
pub async fn wait(server: &Server, session: &mut Session, conn: Conn<'_>) -> std::io::Result<bool> {
    use tokio::io::AsyncReadExt;
    loop {
        let Some(args) = session.paused.take() else {
            return Ok(false);
        };
        // Register for UNPAUSE's wake-up before looking, so none slips in between.
        let changed = server.clients.pause_changed.notified();
        tokio::pin!(changed);
        changed.as_mut().enable();
        let write = super::lookup(&args[0]).is_some_and(|c| c.flags & (WRITE | MAY_REPLICATE) != 0);
        let Some(until) = server.clients.paused_until(write) else {
            let flow = super::dispatch::dispatch(server, session, &args, conn.output);
            return Ok(flow == Flow::Close);
        };
        session.paused = Some(args);
        tokio::select! {
            () = tokio::time::sleep_until(until.into()) => {}
            () = &mut changed => {}
            read = conn.stream.read_buf(conn.input) => {
                if read? == 0 {
                    return Ok(true); // the client hung up
                }
            }
            () = conn.shutdown.cancelled() => return Ok(true),
        }
    }
}
// ANCHOR_END: wait
