//! Day 1 — The server: accept, handshake, then read requests and answer them concurrently.
//!
//! One connection is served by two loops. The **reader** (this connection's task) reads the
//! Option line, then header and body after header, and spawns one task per request, so a
//! slow method never holds up the next request. The **writer** (a task of its own) owns the
//! socket's write half: handler tasks send it `(header, body)` pairs over a channel and it
//! writes them whole, one after another, flushing when the channel is momentarily empty.
//! That channel is Go's `sending` mutex made structural: two replies can never interleave
//! on the wire, and many replies share one `write` system call under load.
//!
//! What a request *does* is not the server's business: it hands the [`Request`] to a
//! [`Handler`]. Day 1 uses a closure; day 3 plugs in the service table.
//!
//! The reader always reads a request's body before dispatching it, even when the method
//! turns out not to exist. Go's geerpc returned early on an unknown method, left the body in
//! the stream, and then parsed it as the next header, which broke the connection.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc};

use crate::codec::{self, Codec, CodecType, DEFAULT_MAX_FRAME, Empty, Header, Inbound};
use crate::error::Result;
use crate::option::read_options;

/// One request as the handler sees it: the header, the raw body, and the codec to decode it.
#[derive(Debug, Clone)]
pub struct Request {
    /// The request's header (`service_method`, `seq`).
    pub header: Header,
    /// The body, still encoded; see [`Request::decode`].
    pub body: Bytes,
    /// The connection's codec.
    pub codec: CodecType,
}

impl Request {
    /// Decodes the body as the argument type `T`.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T> {
        self.codec.decode(&self.body)
    }

    /// Encodes a reply with this request's codec.
    pub fn encode<T: Serialize + ?Sized>(&self, reply: &T) -> Result<Bytes> {
        self.codec.encode(reply)
    }
}

/// What a handler answers: the encoded reply, or the error text for the response header.
pub type Reply = std::result::Result<Bytes, String>;

/// Answers requests. A closure `Fn(Request) -> impl Future<Output = Reply>` is a handler;
/// day 3's `Services` is the real one.
///
/// The future is boxed and `'static` so that the server can spawn it as a task of its own.
pub trait Handler: Send + Sync + 'static {
    /// Handles one request.
    fn handle(&self, request: Request) -> BoxFuture<'static, Reply>;
}

impl<F, Fut> Handler for F
where
    F: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Reply> + Send + 'static,
{
    fn handle(&self, request: Request) -> BoxFuture<'static, Reply> {
        Box::pin(self(request))
    }
}

/// How many requests of one connection may be in flight at once; the reader stops reading
/// (and TCP pushes back on the client) beyond that.
pub const MAX_IN_FLIGHT_PER_CONN: usize = 4096;

/// An RPC server: a handler, and the limits it serves connections with. Cheap to clone.
#[derive(Clone)]
pub struct Server {
    handler: Arc<dyn Handler>,
    max_frame: usize,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("max_frame", &self.max_frame)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// A server answering every request with `handler`.
    pub fn new(handler: impl Handler) -> Self {
        Server {
            handler: Arc::new(handler),
            max_frame: DEFAULT_MAX_FRAME,
        }
    }

    /// Sets the largest header or body a connection may send (16 MiB by default).
    pub fn with_max_frame(mut self, max_frame: usize) -> Self {
        self.max_frame = max_frame;
        self
    }

    /// Accepts connections forever, serving each on a task of its own (Go's `Accept`).
    pub async fn accept(&self, listener: TcpListener) -> Result<()> {
        loop {
            let (stream, peer) = listener.accept().await?;
            let _ = stream.set_nodelay(true);
            let server = self.clone();
            tokio::spawn(async move {
                let (read, write) = stream.into_split();
                if let Err(e) = server.serve_stream(Inbound::new(read), write).await {
                    tracing::warn!("rpc server: closing connection from {peer}: {e}");
                }
            });
        }
    }

    /// Serves one connection of any kind (TCP, Unix socket, an upgraded HTTP connection).
    pub async fn serve_conn(&self, io: impl AsyncRead + AsyncWrite + Send + 'static) -> Result<()> {
        let (read, write) = tokio::io::split(io);
        self.serve_stream(Inbound::new(read), write).await
    }

    // ANCHOR: serve_stream
    /// Serves one connection whose read side is already buffered: the handshake, then the
    /// request loop. Returns when the client closes (`Ok`) or breaks the protocol (`Err`,
    /// after the replies already underway are written).
    pub async fn serve_stream(
        &self,
        mut inbound: Inbound,
        write: impl AsyncWrite + Send + Unpin + 'static,
    ) -> Result<()> {
        let opt = read_options(&mut inbound).await?;
        let codec_type = opt.codec_type;
        let mut reader = codec_type.new_codec(self.max_frame);
        let (tx, rx) = mpsc::channel(1024);
        let writer = tokio::spawn(write_loop(
            write,
            codec_type.new_codec(self.max_frame),
            codec_type,
            rx,
        ));
        let in_flight = Arc::new(Semaphore::new(MAX_IN_FLIGHT_PER_CONN));
        let result = loop {
            let request = match read_request(&mut inbound, &mut *reader, codec_type).await {
                Ok(Some(request)) => request,
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            };
            let Ok(permit) = in_flight.clone().acquire_owned().await else {
                break Ok(());
            };
            let handler = self.handler.clone();
            let tx = tx.clone();
            let handle_timeout = opt.handle_timeout;
            tokio::spawn(async move {
                let mut header = request.header.clone();
                let reply = handler.handle(request);
                // Day 4: the client's HandleTimeout bounds the call (timeout.rs).
                let reply = crate::timeout::handle_within(handle_timeout, reply);
                // A method that panics answers an error; it does not leave its caller waiting.
                let reply = AssertUnwindSafe(reply)
                    .catch_unwind()
                    .await
                    .unwrap_or_else(|panic| Err(panic_reply(panic.as_ref())));
                let body = match reply {
                    Ok(body) => body,
                    Err(message) => {
                        header.error = message;
                        codec_type.encode(&Empty {}).unwrap_or_default()
                    }
                };
                let _ = tx.send((header, body)).await;
                drop(permit);
            });
        };
        drop(tx); // the writer ends once every spawned handler has sent its reply
        let _ = writer.await;
        result
    }
    // ANCHOR_END: serve_stream
}

// ANCHOR: read_request
/// Reads one whole request: its header **and** its body, whatever the header says.
async fn read_request(
    inbound: &mut Inbound,
    codec: &mut dyn Codec,
    codec_type: CodecType,
) -> Result<Option<Request>> {
    // ANCHOR: ex_read_request
    let Some(header) = codec::read_header(inbound, codec).await? else {
        return Ok(None);
    };
    let body = codec::read_body(inbound, codec).await?;
    Ok(Some(Request {
        header,
        body,
        codec: codec_type,
    }))
    // ANCHOR_END: ex_read_request
}
// ANCHOR_END: read_request

// ANCHOR: write_loop
/// Writes replies as they come, batching whatever is already queued into one write.
pub(crate) async fn write_loop(
    mut write: impl AsyncWrite + Send + Unpin,
    mut codec: Box<dyn Codec>,
    codec_type: CodecType,
    mut rx: mpsc::Receiver<(Header, Bytes)>,
) -> Result<()> {
    let mut out = BytesMut::with_capacity(8 * 1024);
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        while let Some((mut header, body)) = next {
            if let Err(e) = codec.write(&header, &body, &mut out) {
                // A reply the codec cannot carry becomes an error reply, not a dead connection.
                header.error = format!("rpc server: cannot encode the reply: {e}");
                let empty = codec_type.encode(&Empty {})?;
                codec.write(&header, &empty, &mut out)?;
            }
            next = if out.len() < 64 * 1024 {
                rx.try_recv().ok()
            } else {
                None
            };
        }
        write.write_all(&out).await?;
        out.clear();
    }
    write.shutdown().await.or_else(ignore_not_connected)?;
    Ok(())
}
// ANCHOR_END: write_loop

/// The error text for a method that panicked, with the panic's message when it has one.
fn panic_reply(panic: &(dyn Any + Send)) -> String {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_string());
    format!("rpc server: the method panicked: {message}")
}

fn ignore_not_connected(e: std::io::Error) -> std::io::Result<()> {
    match e.kind() {
        std::io::ErrorKind::NotConnected | std::io::ErrorKind::BrokenPipe => Ok(()),
        _ => Err(e),
    }
}
