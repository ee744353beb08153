//! Day 2 — The client: one connection, many calls in flight, replies matched by number.
//!
//! A call gets the next sequence number, is parked in the `pending` table under it, and is
//! queued for the writer task. The reader task reads replies in whatever order the server
//! finishes them and hands each body to the call parked under its number:
//!
//! ```text
//!  call(1) ─┐                       ┌─▶ pending[1] ─▶ call(1) returns
//!  call(2) ─┼─▶ writer ─▶ socket ─▶ reader ─▶ pending[2] ─▶ call(2) returns
//!  call(3) ─┘                       └─▶ pending[3] ─▶ call(3) returns
//! ```
//!
//! Three rules keep it honest. A reply is handed over on a `oneshot` channel, which never
//! blocks, so a slow caller cannot stall the reader (Go's `call.done()` could, on a full
//! channel). When the connection dies, every pending call fails with the reason, and later
//! calls fail at once. And a call that is dropped before its reply arrives (a timeout, a
//! `select!`) takes its entry out of the table, so a late reply finds nobody and is
//! discarded.

use std::collections::HashMap;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::task::AbortHandle;

use crate::codec::{self, CodecType, DEFAULT_MAX_FRAME, Header, Inbound};
use crate::error::{Error, Result};
use crate::option::Options;

type ReplySender = oneshot::Sender<Result<Bytes>>;

/// The calls waiting for a reply, and why the connection closed once it has.
#[derive(Default)]
struct Pending {
    calls: HashMap<u64, ReplySender>,
    closed: Option<String>,
}

/// What the client handle, the reader and the calls share.
struct Shared {
    pending: Mutex<Pending>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    // ANCHOR: terminate
    /// Fails every pending call and every later one with `reason` (Go's `terminateCalls`).
    fn terminate(&self, reason: String) {
        let calls = {
            let mut pending = self.lock();
            pending.closed.get_or_insert(reason.clone());
            std::mem::take(&mut pending.calls)
        };
        for (_, call) in calls {
            let _ = call.send(Err(Error::Shutdown(reason.clone())));
        }
    }
    // ANCHOR_END: terminate
}

/// Fails every pending call when dropped: the reader task holds one, so calls never wait on
/// a reader that is gone.
struct TerminateOnDrop(Arc<Shared>);

impl Drop for TerminateOnDrop {
    fn drop(&mut self) {
        self.0.terminate("the connection's reader stopped".into());
    }
}

struct Inner {
    codec: CodecType,
    seq: AtomicU64,
    shared: Arc<Shared>,
    tx: mpsc::UnboundedSender<(Header, Bytes)>,
    tasks: [AbortHandle; 2],
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The writer ends by itself when `tx` goes; the reader might wait for the server.
        self.tasks[0].abort();
    }
}

/// A connection to an RPC server, shared by any number of concurrent calls. Cheap to clone;
/// the connection closes when the last clone is dropped or [`Client::close`] is called.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("codec", &self.inner.codec)
            .field("available", &self.is_available())
            .finish()
    }
}

impl Client {
    /// Connects to `addr` over TCP and sends the Option line (Go's `Dial`).
    pub async fn dial(addr: &str, opt: Options) -> Result<Client> {
        let stream = TcpStream::connect(addr).await?;
        let _ = stream.set_nodelay(true);
        let (read, write) = stream.into_split();
        Client::new(Inbound::new(read), write, opt)
    }

    /// A client over any byte stream (Go's `NewClient`).
    pub fn over(io: impl AsyncRead + AsyncWrite + Send + 'static, opt: Options) -> Result<Client> {
        let (read, write) = tokio::io::split(io);
        Client::new(Inbound::new(read), write, opt)
    }

    // ANCHOR: new
    /// A client over a connection whose read side may already hold buffered bytes (after an
    /// HTTP CONNECT, say). Queues the Option line and starts the reader and writer tasks;
    /// the Option goes out in the same write as the first call.
    pub fn new(
        inbound: Inbound,
        write: impl AsyncWrite + Send + Unpin + 'static,
        opt: Options,
    ) -> Result<Client> {
        let mut first = BytesMut::new();
        opt.write_line(&mut first)?;
        let shared = Arc::new(Shared {
            pending: Mutex::new(Pending::default()),
        });
        let (tx, rx) = mpsc::unbounded_channel();
        let reader = tokio::spawn(receive(inbound, opt.codec_type, shared.clone()));
        let writer = tokio::spawn(send(write, first, opt.codec_type, rx, shared.clone()));
        Ok(Client {
            inner: Arc::new(Inner {
                codec: opt.codec_type,
                seq: AtomicU64::new(1),
                shared,
                tx,
                tasks: [reader.abort_handle(), writer.abort_handle()],
            }),
        })
    }
    // ANCHOR_END: new

    /// Whether the connection is still usable (Go's `IsAvailable`).
    pub fn is_available(&self) -> bool {
        self.inner.shared.lock().closed.is_none()
    }

    /// How many calls are waiting for a reply: a timed-out or dropped call is not one.
    pub fn pending_calls(&self) -> usize {
        self.inner.shared.lock().calls.len()
    }

    /// Closes the connection; pending and later calls fail with [`Error::Shutdown`].
    pub fn close(&self) {
        self.inner.shared.terminate("client closed".into());
        for task in &self.inner.tasks {
            task.abort();
        }
    }

    /// Calls `service_method` with `args` and waits for the reply (Go's `Call`).
    pub async fn call<A, R>(&self, service_method: &str, args: &A) -> Result<R>
    where
        A: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        self.go(service_method, args).await
    }

    // ANCHOR: go
    /// Starts a call and returns at once with its handle (Go's `Go`): the request is queued
    /// before `go` returns; `.await` the handle for the reply. Dropping the handle abandons
    /// the call and frees its slot.
    pub fn go<A, R>(&self, service_method: &str, args: &A) -> Call<R>
    where
        A: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        let (reply_tx, reply_rx) = oneshot::channel();
        let seq = self.inner.seq.fetch_add(1, Ordering::Relaxed);
        let call: Call<R> = Call {
            seq,
            codec: self.inner.codec,
            reply: reply_rx,
            shared: Arc::downgrade(&self.inner.shared),
            done: false,
            _reply: PhantomData,
        };
        // ANCHOR: ex_go
        let body = match self.inner.codec.encode(args) {
            Ok(body) => body,
            Err(e) => {
                let _ = reply_tx.send(Err(e));
                return call;
            }
        };
        {
            let mut pending = self.inner.shared.lock();
            if let Some(reason) = &pending.closed {
                let _ = reply_tx.send(Err(Error::Shutdown(reason.clone())));
                return call;
            }
            pending.calls.insert(seq, reply_tx);
        }
        let header = Header {
            service_method: service_method.to_string(),
            seq,
            error: String::new(),
        };
        if self.inner.tx.send((header, body)).is_err() {
            self.inner
                .shared
                .terminate("connection writer stopped".into());
        }
        call
        // ANCHOR_END: ex_go
    }
    // ANCHOR_END: go
}

// ANCHOR: receive
/// The reader task: hands each reply to the call waiting under its number, and fails
/// every pending call when the connection ends.
async fn receive(mut inbound: Inbound, codec_type: CodecType, shared: Arc<Shared>) {
    // Whatever ends this task (the loop below, an abort, a panic), pending calls fail.
    let _guard = TerminateOnDrop(shared.clone());
    let mut codec = codec_type.new_codec(DEFAULT_MAX_FRAME);
    let reason = loop {
        // ANCHOR: ex_receive
        let header = match codec::read_header(&mut inbound, &mut *codec).await {
            Ok(Some(header)) => header,
            Ok(None) => break "connection closed by the server".to_string(),
            Err(e) => break e.to_string(),
        };
        let body = match codec::read_body(&mut inbound, &mut *codec).await {
            Ok(body) => body,
            Err(e) => break e.to_string(),
        };
        let call = shared.lock().calls.remove(&header.seq);
        // No call: it timed out or was dropped; its late reply is read and discarded.
        if let Some(call) = call {
            let result = if header.error.is_empty() {
                Ok(body)
            } else {
                Err(Error::Server(header.error))
            };
            let _ = call.send(result);
        }
        // ANCHOR_END: ex_receive
    };
    shared.terminate(reason);
}
// ANCHOR_END: receive

/// The writer task: the Option line, then each queued request, batching what is queued.
async fn send(
    mut write: impl AsyncWrite + Send + Unpin,
    mut out: BytesMut,
    codec_type: CodecType,
    mut rx: mpsc::UnboundedReceiver<(Header, Bytes)>,
    shared: Arc<Shared>,
) {
    let mut codec = codec_type.new_codec(DEFAULT_MAX_FRAME);
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        while let Some((header, body)) = next {
            if let Err(e) = codec.write(&header, &body, &mut out) {
                let call = shared.lock().calls.remove(&header.seq);
                if let Some(call) = call {
                    let _ = call.send(Err(e));
                }
            }
            next = if out.len() < 64 * 1024 {
                rx.try_recv().ok()
            } else {
                None
            };
        }
        if let Err(e) = write.write_all(&out).await {
            shared.terminate(format!("write failed: {e}"));
            return;
        }
        out.clear();
    }
    let _ = write.shutdown().await;
}

// ANCHOR: call
/// A call in flight, returned by [`Client::go`]: a future of the reply.
///
/// Dropping it before the reply arrives removes the call from the client's table (the
/// "drop guard" that day 4's timeouts rely on).
#[must_use = "a call is abandoned when its handle is dropped"]
pub struct Call<R> {
    seq: u64,
    codec: CodecType,
    reply: oneshot::Receiver<Result<Bytes>>,
    shared: Weak<Shared>,
    done: bool,
    _reply: PhantomData<fn() -> R>,
}

impl<R> Call<R> {
    /// The call's sequence number.
    pub fn seq(&self) -> u64 {
        self.seq
    }
}

impl<R: DeserializeOwned> Future for Call<R> {
    type Output = Result<R>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<R>> {
        let result = match Pin::new(&mut self.reply).poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Ok(result)) => result,
            Poll::Ready(Err(_)) => Err(Error::Shutdown("the client was dropped".into())),
        };
        self.done = true;
        Poll::Ready(result.and_then(|body| self.codec.decode(&body)))
    }
}

impl<R> Drop for Call<R> {
    fn drop(&mut self) {
        if !self.done
            && let Some(shared) = self.shared.upgrade()
        {
            shared.lock().calls.remove(&self.seq);
        }
    }
}
// ANCHOR_END: call
