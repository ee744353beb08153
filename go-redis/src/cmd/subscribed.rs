//! Day 6 — a subscribed connection: requests and messages on one socket.
//!
//! Until day 6 a connection only spoke when spoken to: read requests, write replies. A
//! subscriber must also write when *another* client publishes, while still reading its
//! own requests (more SUBSCRIBEs, UNSUBSCRIBE, PING). Day 2's connection loop has a seam
//! for a command that cannot finish inside one request: it answers
//! [`Flow::Wait`] and the loop lends its socket and
//! buffers to [`Executor::wait`]. Day 4's BLPOP uses
//! it to wait for data; SUBSCRIBE uses it to wait for *either* a request or a message:
//! [`serve`] selects over the socket and the client's mailbox until the client has no
//! subscription left, then hands the connection back to day 2's loop.
//!
//! In RESP2 a subscribed connection carries only messages and subscription replies, so
//! Redis allows only the subscription commands, PING and QUIT there ([`refuse`]). A RESP3
//! client is not limited: messages arrive as push frames that a client tells apart from
//! replies by their type.

use std::io;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::Command;
use crate::connection::{Conn, Executor, Flow, READ_CHUNK};
use crate::db::hub::Mailbox;
use crate::db::{Server, Session};
use crate::resp::{Output, ReplyWriter, RequestParser};

/// The commands a RESP2 subscriber may send.
const ALLOWED: &[&str] = &[
    "subscribe",
    "psubscribe",
    "ssubscribe",
    "unsubscribe",
    "punsubscribe",
    "sunsubscribe",
    "ping",
    "quit",
    "reset",
];

/// Commands whose name in an error includes the subcommand (`config|get`).
const CONTAINERS: &[&str] = &[
    "client", "command", "config", "object", "pubsub", "memory", "function", "script",
];

/// For a RESP2 subscriber: refuses a command other than the subscription commands, PING and QUIT with Redis's error, and
/// answers PING as a subscriber gets it (`["pong", ""]`, or `["pong", message]`).
/// `None` lets the command run.
pub fn refuse(command: &Command, args: &[Bytes], out: &mut Output) -> Option<Flow> {
    if command.name == "ping" && args.len() <= 2 {
        out.array(2);
        out.bulk(b"pong");
        out.bulk(args.get(1).map_or(&b""[..], |a| &a[..]));
        return Some(Flow::Continue);
    }
    if ALLOWED.contains(&command.name) {
        return None;
    }
    let name = match args.get(1) {
        Some(sub) if CONTAINERS.contains(&command.name) => format!(
            "{}|{}",
            command.name,
            String::from_utf8_lossy(sub).to_ascii_lowercase()
        ),
        _ => command.name.to_owned(),
    };
    out.error(&format!(
        "ERR Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
    ));
    Some(Flow::Continue)
}

/// What the database does with [`Flow::Wait`]: a client blocked in BLPOP (day 4) waits
/// for data; any other client that answered it has just subscribed, and is [`serve`]d.
pub async fn wait(server: &Server, session: &mut Session, conn: Conn<'_>) -> io::Result<bool> {
    if session.blocked.is_some() {
        super::blocking::wait(server, session, conn).await
    } else {
        serve(server, session, conn).await
    }
}

// ANCHOR: serve
/// Serves a subscribed client: runs its requests as they arrive and writes the messages
/// its mailbox receives, until it has no subscription left (`Ok(false)`: day 2's loop
/// takes over again, at a request boundary) or the connection must close (`Ok(true)`:
/// QUIT, hang-up, shutdown, a protocol error, or the client fell too far behind).
pub async fn serve(server: &Server, session: &mut Session, conn: Conn<'_>) -> io::Result<bool> {
    let Some(mailbox) = session.pubsub.mailbox.clone() else {
        return Ok(false);
    };
    let Conn {
        stream,
        input,
        output,
        shutdown,
    } = conn;
    let mut parser = RequestParser::new();
    loop {
        if !session.pubsub.active() {
            // e.g. MULTI, SUBSCRIBE c, UNSUBSCRIBE c, EXEC: nothing to listen to.
            return Ok(false);
        }
        // Every complete request buffered, each after the messages that came before it.
        loop {
            let args = match parser.next_request(input) {
                Ok(Some(args)) => args,
                Ok(None) => break,
                Err(err) => {
                    output.error(&format!("ERR Protocol error: {err}"));
                    write_out(stream, output, &mailbox, shutdown).await?;
                    return Ok(true);
                }
            };
            if !take_messages(&mailbox, output) {
                return Ok(true);
            }
            match server.execute(session, args, output) {
                Flow::Close => {
                    write_out(stream, output, &mailbox, shutdown).await?;
                    return Ok(true);
                }
                Flow::Wait if session.blocked.is_some() => {
                    // A RESP3 subscriber may BLPOP: day 4's wait answers it.
                    if write_out(stream, output, &mailbox, shutdown).await? {
                        return Ok(true);
                    }
                    let conn = Conn {
                        stream: &mut *stream,
                        input: &mut *input,
                        output: &mut *output,
                        shutdown,
                    };
                    if super::blocking::wait(server, session, conn).await? {
                        return Ok(true);
                    }
                }
                _ => {}
            }
            if !session.pubsub.active() {
                let cut_off = write_out(stream, output, &mailbox, shutdown).await?;
                return Ok(cut_off);
            }
        }
        if !take_messages(&mailbox, output) {
            return Ok(true);
        }
        if write_out(stream, output, &mailbox, shutdown).await? {
            return Ok(true);
        }
        if mailbox.has_messages() {
            continue; // arrived while we were writing
        }
        input.reserve(READ_CHUNK);
        tokio::select! {
            () = mailbox.changed() => {}
            read = stream.read_buf(input) => {
                if read? == 0 {
                    return Ok(true); // the client hung up
                }
            }
            () = shutdown.cancelled() => return Ok(true),
        }
    }
}
// ANCHOR_END: serve

/// Moves the mailbox's messages into `output`; false if the client fell too far behind
/// (then nothing more is written to it: `output` is dropped too).
fn take_messages(mailbox: &Mailbox, output: &mut Output) -> bool {
    let resp3 = output.resp3();
    let alive = mailbox.take_into(output, resp3);
    if !alive {
        output.clear();
    }
    alive
}

/// Writes `output` out. While the client is slow to read, messages keep arriving in the
/// mailbox (counted against its limit); if the mailbox closes meanwhile, the write is
/// abandoned and `Ok(true)` says the client must be disconnected.
async fn write_out(
    stream: &mut tokio::net::TcpStream,
    output: &mut Output,
    mailbox: &Mailbox,
    shutdown: &tokio_util::sync::CancellationToken,
) -> io::Result<bool> {
    if output.is_empty() {
        return Ok(false);
    }
    {
        let write = stream.write_all(output);
        tokio::pin!(write);
        loop {
            tokio::select! {
                written = &mut write => {
                    written?;
                    break;
                }
                () = mailbox.changed() => {
                    if mailbox.is_closed() {
                        break;
                    }
                }
                () = shutdown.cancelled() => {
                    return Err(io::Error::new(io::ErrorKind::Interrupted, "shutting down"));
                }
            }
        }
    }
    // Written, or abandoned: a client cut off gets nothing more (day 2's loop must not
    // wait to write it either).
    output.clear();
    mailbox.sent();
    Ok(mailbox.is_closed())
}
