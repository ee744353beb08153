//! Day 2 — one client connection: read, parse everything buffered, execute, flush once.
//!
//! This is where pipelining is won or lost. `redis-benchmark -P 16` sends sixteen commands
//! in one packet; a server that answers each with its own `write` makes sixteen system
//! calls where one would do. So the loop is:
//!
//! 1. read whatever the socket has into the read buffer (one `read`);
//! 2. take *every* complete request out of it ([`RequestParser::next_request`]) and run
//!    each, appending its reply to the output buffer;
//! 3. write the output buffer once, and go back to 1.
//!
//! A protocol error is answered (`-ERR Protocol error: ...`) after the replies to the
//! requests before it, and the connection is closed: after garbage, nobody knows where the
//! next request starts. Other clients never notice: each connection has its own buffers
//! and its own task.
//!
//! What a request *means* is not this module's business: an [`Executor`] runs it. Day 2's
//! example plugs in [`PingExecutor`]; from day 3 on it is the database ([`crate::Server`]).

use std::future::Future;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;
use tracing::debug;

use crate::resp::{Output, ReplyWriter, RequestParser};
use crate::server::Handler;

/// Flush the output early once a batch of replies grows past this (bounds memory when a
/// client pipelines many large replies).
pub const OUTPUT_FLUSH_AT: usize = 64 * 1024;
/// How much room the read buffer makes before each read.
pub const READ_CHUNK: usize = 16 * 1024;

/// What the connection does after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Keep reading requests.
    Continue,
    /// Flush the replies so far and close (QUIT).
    Close,
    /// The executor cannot answer yet: flush the replies so far and hand the connection
    /// to [`Executor::wait`], which writes the answer when there is one. Day 2 only
    /// defines this seam; day 4's blocking commands (BLPOP ...) are what use it.
    Wait,
}

/// Day 3: the soft limit of `client-output-buffer-limit normal <hard> <soft> <seconds>`:
/// a client may leave more than `soft` bytes of replies unread for at most `seconds`,
/// then it is disconnected (the hard limit is the dispatcher's: past it, at once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputLimit {
    /// Bytes of unsent replies a client may hold for a while.
    pub soft: usize,
    /// How long it may hold more than that.
    pub seconds: std::time::Duration,
}

/// The connection's socket and buffers, lent to [`Executor::wait`].
#[derive(Debug)]
pub struct Conn<'a> {
    /// The client's socket.
    pub stream: &'a mut TcpStream,
    /// Bytes read but not parsed yet (a waiting executor appends what arrives meanwhile).
    pub input: &'a mut BytesMut,
    /// Replies not written yet.
    pub output: &'a mut Output,
    /// Cancelled when the server shuts down: a wait must end then.
    pub shutdown: &'a CancellationToken,
}

impl Conn<'_> {
    /// Lends the same socket and buffers again, for a wait that hands over to another
    /// (day 3's CLIENT PAUSE to day 4's BLPOP, say).
    pub fn reborrow(&mut self) -> Conn<'_> {
        Conn {
            stream: &mut *self.stream,
            input: &mut *self.input,
            output: &mut *self.output,
            shutdown: self.shutdown,
        }
    }
}

/// Runs requests: the protocol layer's view of the database.
pub trait Executor: Send + Sync + 'static {
    /// Per-connection state (selected DB, authenticated, ...).
    type Session: Send;
    /// A new client connected: its session, or the error it is answered with before the
    /// connection is closed (day 3 refuses clients past `maxclients` so).
    fn open_session(&self, stream: &TcpStream) -> Result<Self::Session, String>;
    /// Runs one request (`args[0]` is the command name) and appends its reply to `out`.
    fn execute(&self, session: &mut Self::Session, args: Vec<Bytes>, out: &mut Output) -> Flow;
    /// Day 3: the token that ends this connection, given the server's shutdown token. The
    /// default is the shutdown token itself; the database hands out a child of it, which
    /// CLIENT KILL cancels to end the connection from another client's task.
    fn connection_token(
        &self,
        _session: &Self::Session,
        shutdown: CancellationToken,
    ) -> CancellationToken {
        shutdown
    }
    /// Day 3: the soft output limit for this client, if any; read once per batch.
    fn output_limit(&self, _session: &Self::Session) -> Option<OutputLimit> {
        None
    }
    /// The client left (its session is dropped after this).
    fn close_session(&self, _session: &mut Self::Session) {}

    /// Called before the requests read together (one batch) are run, and again after a
    /// wait: the executor may read the clock here once for the whole batch.
    fn batch_started(&self, _session: &mut Self::Session) {}
    /// Whether the client has authenticated; before it has, the request parser applies
    /// tight limits ([`RequestParser::set_unauthenticated`]). Checked before each batch.
    fn authenticated(&self, _session: &Self::Session) -> bool {
        true
    }
    /// Called after [`Flow::Wait`]: wait until the request can be answered, write the
    /// answer into `conn.output`, and return `true` if the connection must close (the
    /// client left, or the server is shutting down). An executor that never answers
    /// [`Flow::Wait`] keeps this default.
    fn wait<'a>(
        &'a self,
        _session: &'a mut Self::Session,
        _conn: Conn<'a>,
    ) -> impl Future<Output = std::io::Result<bool>> + Send + 'a {
        async { Ok(false) }
    }
}

/// Serves one connection with an [`Executor`]: the RESP [`Handler`] for the TCP server.
#[derive(Debug)]
pub struct RespHandler<E> {
    executor: Arc<E>,
}

impl<E> RespHandler<E> {
    /// Wraps an executor shared by all connections.
    pub fn new(executor: Arc<E>) -> Self {
        Self { executor }
    }
}

impl<E: Executor> Handler for RespHandler<E> {
    fn handle(
        &self,
        stream: TcpStream,
        shutdown: CancellationToken,
    ) -> impl Future<Output = ()> + Send {
        let executor = self.executor.clone();
        async move {
            let mut stream = stream;
            let mut session = match executor.open_session(&stream) {
                Ok(session) => session,
                Err(refusal) => {
                    let mut out = BytesMut::new();
                    out.error(&refusal);
                    let _ = stream.write_all(&out).await;
                    return;
                }
            };
            let shutdown = executor.connection_token(&session, shutdown); // Day 3: CLIENT KILL
            if let Err(err) = run(&*executor, &mut session, stream, shutdown).await {
                debug!("connection ended: {err}");
            }
            executor.close_session(&mut session);
        }
    }
}

// ANCHOR: run
/// The connection loop: read, run every buffered request, write the batch of replies.
pub async fn run<E: Executor>(
    executor: &E,
    session: &mut E::Session,
    mut stream: TcpStream,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let mut parser = RequestParser::new();
    let mut input = BytesMut::with_capacity(READ_CHUNK);
    let mut output = Output::with_capacity(READ_CHUNK);
    loop {
        parser.set_unauthenticated(!executor.authenticated(session));
        let close = answer_buffered(
            executor,
            session,
            &mut parser,
            &mut input,
            &mut output,
            &mut stream,
            &shutdown,
        )
        .await?;
        if close || shutdown.is_cancelled() {
            return Ok(());
        }
        input.reserve(READ_CHUNK.max(parser.pending_bulk().min(1 << 20)));
        let read = tokio::select! {
            read = stream.read_buf(&mut input) => read?,
            () = shutdown.cancelled() => return Ok(()),
        };
        if read == 0 {
            return Ok(()); // the client hung up
        }
    }
}
// ANCHOR_END: run

// ANCHOR: answer_buffered
/// Runs every complete request in `input`, appending replies to `output`, and writes the
/// batch once. Returns `true` when the connection must close (QUIT or a protocol error).
async fn answer_buffered<E: Executor>(
    executor: &E,
    session: &mut E::Session,
    parser: &mut RequestParser,
    input: &mut BytesMut,
    output: &mut Output,
    stream: &mut TcpStream,
    shutdown: &CancellationToken,
) -> std::io::Result<bool> {
    executor.batch_started(session); // Day 3: one clock read for the whole batch
    // ANCHOR: ex_pipeline
    let limit = executor.output_limit(session); // Day 3: client-output-buffer-limit
    let mut close = false;
    loop {
        match parser.next_request(input) {
            Ok(Some(args)) => {
                match executor.execute(session, args, output) {
                    Flow::Continue => {}
                    Flow::Close => {
                        close = true;
                        break;
                    }
                    Flow::Wait => {
                        // The answer comes later: send what is ready, let the executor
                        // wait; this client's next requests stay buffered meanwhile.
                        flush_within(stream, output, shutdown, limit).await?;
                        let conn = Conn {
                            stream,
                            input,
                            output,
                            shutdown,
                        };
                        if executor.wait(session, conn).await? {
                            close = true;
                            break;
                        }
                    }
                }
                if output.len() >= OUTPUT_FLUSH_AT {
                    flush_within(stream, output, shutdown, limit).await?;
                }
            }
            Ok(None) => break,
            Err(err) => {
                output.error(&format!("ERR Protocol error: {err}"));
                close = true;
                break;
            }
        }
    }
    if !output.is_empty() && !close {
        // Let the other connections with requests waiting run theirs first; this one
        // writes when the scheduler comes back to it (see "Reads first, then writes").
        tokio::task::yield_now().await;
    }
    flush_within(stream, output, shutdown, limit).await?;
    Ok(close)
    // ANCHOR_END: ex_pipeline
}
// ANCHOR_END: answer_buffered

/// Writes `output` to the client and empties it. A client that never reads would make
/// this wait forever, so it gives up (an error that ends the connection) as soon as the
/// server shuts down: SIGTERM never waits on a client.
pub async fn flush(
    stream: &mut TcpStream,
    output: &mut Output,
    shutdown: &CancellationToken,
) -> std::io::Result<()> {
    if output.is_empty() {
        return Ok(());
    }
    tokio::select! {
        // Day 5: replies held for the AOF's fsync (appendfsync always) wait for it first.
        written = async {
            output.released().await;
            stream.write_all(output).await
        } => written?,
        () = shutdown.cancelled() => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::Interrupted,
                "shutting down with replies unread",
            ));
        }
    }
    output.clear();
    Ok(())
}

// ANCHOR: flush_within
/// Day 3: [`flush`] under a soft output limit. While more than `limit.soft` bytes are
/// still unsent, the client has `limit.seconds` to read them down below it; if it does
/// not, the write gives up (an error that ends the connection), as Redis disconnects a
/// client over its soft limit for too long. Without a limit, or under it, this is `flush`.
pub async fn flush_within(
    stream: &mut TcpStream,
    output: &mut Output,
    shutdown: &CancellationToken,
    limit: Option<OutputLimit>,
) -> std::io::Result<()> {
    let Some(limit) = limit.filter(|l| output.len() > l.soft) else {
        return flush(stream, output, shutdown).await;
    };
    let deadline = tokio::time::Instant::now() + limit.seconds;
    let mut written = 0;
    while output.len() - written > limit.soft {
        tokio::select! {
            n = stream.write(&output[written..]) => match n? {
                0 => return Err(std::io::ErrorKind::WriteZero.into()),
                n => written += n,
            },
            () = tokio::time::sleep_until(deadline) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "over client-output-buffer-limit's soft limit for too long",
                ));
            }
            () = shutdown.cancelled() => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::Interrupted,
                    "shutting down with replies unread",
                ));
            }
        }
    }
    let _ = output.split_to(written); // what is left is under the soft limit
    flush(stream, output, shutdown).await
}
// ANCHOR_END: flush_within

/// Day 2's executor: PING, ECHO and QUIT, enough to talk to with `redis-cli`.
#[derive(Debug, Default)]
pub struct PingExecutor;

impl Executor for PingExecutor {
    type Session = ();

    fn open_session(&self, _stream: &TcpStream) -> Result<(), String> {
        Ok(())
    }

    fn execute(&self, _session: &mut (), args: Vec<Bytes>, out: &mut Output) -> Flow {
        let name = String::from_utf8_lossy(&args[0]).to_ascii_lowercase();
        match (name.as_str(), args.len()) {
            ("ping", 1) => out.simple("PONG"),
            ("ping", 2) | ("echo", 2) => out.bulk(&args[1]),
            ("quit", _) => {
                out.ok();
                return Flow::Close;
            }
            ("ping" | "echo", _) => {
                out.error(&format!(
                    "ERR wrong number of arguments for '{name}' command"
                ));
            }
            _ => out.error(&format!(
                "ERR unknown command '{}'",
                String::from_utf8_lossy(&args[0])
            )),
        }
        Flow::Continue
    }
}
