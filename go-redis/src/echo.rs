//! Day 1 — the echo handler: the smallest useful [`Handler`], to try the server with.
//!
//! godis starts the same way (`tcp/echo.go`): before speaking any protocol, prove that the
//! accept loop, the per-connection task and the graceful shutdown work, with a handler that
//! sends every line back. A line is anything up to `\n`; the connection ends when the
//! client hangs up or the server shuts down (after the line in hand has been answered).

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;
use tracing::debug;

use crate::server::Handler;

/// The longest line the echo handler accepts; a longer one ends the connection.
pub const MAX_LINE: usize = 64 * 1024;

/// Sends each line a client writes back to it.
#[derive(Debug, Default, Clone, Copy)]
pub struct EchoHandler;

impl Handler for EchoHandler {
    // ANCHOR: echo
    async fn handle(&self, stream: TcpStream, shutdown: CancellationToken) {
        // ANCHOR: ex_echo
        let (reader, mut writer) = stream.into_split();
        let mut reader = BufReader::new(reader);
        let mut line = Vec::new();
        loop {
            line.clear();
            let mut limited = (&mut reader).take(MAX_LINE as u64);
            let read = tokio::select! {
                read = limited.read_until(b'\n', &mut line) => read,
                () = shutdown.cancelled() => break,
            };
            match read {
                Ok(0) => break, // the client hung up
                Ok(_) if !line.ends_with(b"\n") && line.len() >= MAX_LINE => break,
                Ok(_) => {
                    if writer.write_all(&line).await.is_err() {
                        break;
                    }
                }
                Err(err) => {
                    debug!("echo connection ended: {err}");
                    break;
                }
            }
        }
        // ANCHOR_END: ex_echo
    }
    // ANCHOR_END: echo
}
