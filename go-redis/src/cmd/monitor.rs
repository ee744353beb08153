//! Day 3 — MONITOR: every command the server runs, streamed to the clients that ask.
//!
//! `redis-cli monitor` is how one watches a live server: each command any client runs
//! arrives as a line `+<unix time> [<db> <addr>] "set" "foo" "bar"`. The monitoring
//! connection stops being a request/reply connection; it becomes a stream. Day 2's seam
//! fits: MONITOR subscribes the session to the server's feed (a tokio `broadcast`
//! channel, so a slow monitor lags and loses lines instead of slowing the server),
//! answers `+OK` and [`Flow::Wait`]; [`wait`] then writes lines until the client leaves.
//! The dispatcher calls [`feed`] after each command, which costs one atomic load when
//! nobody is monitoring. Administrative commands (CONFIG, MONITOR ...) are not shown, as
//! in Redis.

use std::fmt::Write as _;

use bytes::Bytes;
use tokio::io::AsyncReadExt;
use tokio::sync::broadcast::error::RecvError;

use super::{ADMIN, CmdResult, Command, Ctx};
use crate::connection::{Conn, Flow, flush};
use crate::db::{Server, Session};
use crate::resp::ReplyWriter;

/// MONITOR: subscribe first (so no command run after the `+OK` is missed), then stream.
pub fn monitor(cx: &mut Ctx<'_>, _args: &[Bytes]) -> CmdResult {
    if cx.session.monitor.is_none() {
        cx.session.monitor = Some(cx.server.clients.monitor());
    }
    cx.out.ok();
    Ok(Flow::Wait)
}

/// After a command ran: its line, to every monitoring client.
pub fn feed(server: &Server, session: &Session, command: &Command, args: &[Bytes]) {
    if !server.clients.monitored() || command.flags & ADMIN != 0 {
        return;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let mut line = format!(
        "+{}.{:06} [{} {}]",
        now.as_secs(),
        now.subsec_micros(),
        session.db,
        session.addr
    );
    for arg in args {
        line.push(' ');
        quote(&mut line, arg);
    }
    line.push_str("\r\n");
    server.clients.feed_monitors(Bytes::from(line));
}

/// Redis's `sdscatrepr`: a quoted string, with `\\`, `\"`, `\n`, `\r`, `\t`, `\a`, `\b`
/// escaped and other unprintable bytes as `\xHH`.
fn quote(out: &mut String, arg: &[u8]) {
    out.push('"');
    for &b in arg {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            b' '..=b'~' => out.push(char::from(b)),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push('"');
}

// ANCHOR: wait
/// Streams the feed to a monitoring client until it hangs up or the server shuts down
/// (returns `true`: close). What the client sends meanwhile is kept, unread.
pub async fn wait(server: &Server, session: &mut Session, conn: Conn<'_>) -> std::io::Result<bool> {
    let Some(mut feed) = session.monitor.take() else {
        return Ok(false);
    };
    let result = loop {
        tokio::select! {
            line = feed.recv() => match line {
                Ok(line) => {
                    conn.output.extend_from_slice(&line);
                    if let Err(err) = flush(conn.stream, conn.output, conn.shutdown).await {
                        break Err(err);
                    }
                }
                Err(RecvError::Lagged(_)) => {} // a slow monitor loses lines
                Err(RecvError::Closed) => break Ok(true),
            },
            read = conn.stream.read_buf(conn.input) => match read {
                Ok(0) => break Ok(true), // the client hung up
                Ok(_) => {}
                Err(err) => break Err(err),
            },
            () = conn.shutdown.cancelled() => break Ok(true),
        }
    };
    server.clients.unmonitor();
    result
}
// ANCHOR_END: wait
