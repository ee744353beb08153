//! Day 7 — a connection pool per peer: the client side of the relay.
//!
//! In proxy mode a node talks to its peers all the time, so opening a TCP connection per
//! relayed command would cost a handshake each. godis keeps a pool of client connections
//! per peer (at most 16 busy, a few idle); so does this module: [`Pool::call`] takes an
//! idle connection (or opens one, logging in with AUTH when the cluster has a password),
//! sends one request, reads one reply with the crate's own RESP parser
//! ([`Frame::parse`]), and puts the connection back. A connection that failed in any
//! way is dropped, never reused: after an error nobody knows where the next reply starts.
//!
//! Every step has a deadline ([`Timeouts`]): a dead or stuck peer costs a client an
//! error after a few seconds, never a hang.

use bytes::{Bytes, BytesMut};
use parking_lot::Mutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

use super::Timeouts;
use crate::resp::Frame;
use crate::resp::frame::FrameError;

/// Most connections busy at once per peer (godis's MaxActive); more callers wait.
pub const MAX_ACTIVE: usize = 16;
/// Most idle connections kept per peer.
pub const MAX_IDLE: usize = 16;
/// The largest reply a peer may send (a guard against a peer gone mad).
pub const MAX_REPLY: usize = 512 * 1024 * 1024;

/// Why a call to a peer failed.
#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    /// The TCP connection could not be opened.
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        /// The peer.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
    /// The peer did not answer in time.
    #[error("{0} did not answer in time")]
    Timeout(String),
    /// The peer closed the connection before answering.
    #[error("{0} closed the connection")]
    Closed(String),
    /// Reading or writing failed.
    #[error("{addr}: {source}")]
    Io {
        /// The peer.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
    /// The peer's bytes are not RESP.
    #[error("{addr} sent an invalid reply: {source}")]
    Protocol {
        /// The peer.
        addr: String,
        /// Why.
        source: FrameError,
    },
    /// The peer refused our AUTH.
    #[error("{addr} refused AUTH: {reply}")]
    Auth {
        /// The peer.
        addr: String,
        /// Its error reply.
        reply: String,
    },
}

/// Pooled connections to one peer.
#[derive(Debug)]
pub struct Pool {
    addr: String,
    password: Option<Bytes>,
    timeouts: Timeouts,
    idle: Mutex<Vec<TcpStream>>,
    active: Semaphore,
}

impl Pool {
    /// A pool for the peer at `addr` (`host:port`); nothing is opened until the first call.
    pub fn new(addr: String, password: Option<Bytes>, timeouts: Timeouts) -> Self {
        Self {
            addr,
            password,
            timeouts,
            idle: Mutex::new(Vec::new()),
            active: Semaphore::new(MAX_ACTIVE),
        }
    }

    /// The peer's address.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    // ANCHOR: call
    /// Sends `args` as one request and returns the peer's reply (an error reply is an
    /// `Ok(Frame::Error)`: the peer answered; `Err` means it did not).
    pub async fn call(&self, args: &[Bytes]) -> Result<Frame, PeerError> {
        let _permit = self.active.acquire().await.ok();
        let idle = self.idle.lock().pop();
        let mut stream = match idle {
            Some(stream) => stream,
            None => self.connect().await?,
        };
        let reply = self.roundtrip(&mut stream, args).await?;
        let mut idle = self.idle.lock();
        if idle.len() < MAX_IDLE {
            idle.push(stream);
        }
        Ok(reply)
    }
    // ANCHOR_END: call

    async fn connect(&self) -> Result<TcpStream, PeerError> {
        let connect = TcpStream::connect(&self.addr);
        let mut stream = match tokio::time::timeout(self.timeouts.connect, connect).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(source)) => {
                return Err(PeerError::Connect {
                    addr: self.addr.clone(),
                    source,
                });
            }
            Err(_) => return Err(PeerError::Timeout(self.addr.clone())),
        };
        let _ = stream.set_nodelay(true);
        if let Some(password) = &self.password {
            let auth = [Bytes::from_static(b"AUTH"), password.clone()];
            if let Frame::Error(reply) = self.roundtrip(&mut stream, &auth).await? {
                return Err(PeerError::Auth {
                    addr: self.addr.clone(),
                    reply,
                });
            }
        }
        Ok(stream)
    }

    async fn roundtrip(&self, stream: &mut TcpStream, args: &[Bytes]) -> Result<Frame, PeerError> {
        let io = |source| PeerError::Io {
            addr: self.addr.clone(),
            source,
        };
        let mut request = BytesMut::new();
        Frame::Array(args.iter().cloned().map(Frame::Bulk).collect()).encode(&mut request);
        let exchange = async {
            stream.write_all(&request).await.map_err(io)?;
            let mut buf = BytesMut::with_capacity(4096);
            loop {
                match Frame::parse(&buf) {
                    Ok(Some((frame, _))) => return Ok(frame),
                    Ok(None) if buf.len() < MAX_REPLY => {}
                    Ok(None) => {
                        return Err(PeerError::Protocol {
                            addr: self.addr.clone(),
                            source: FrameError::BadNumber,
                        });
                    }
                    Err(source) => {
                        return Err(PeerError::Protocol {
                            addr: self.addr.clone(),
                            source,
                        });
                    }
                }
                buf.reserve(4096);
                if stream.read_buf(&mut buf).await.map_err(io)? == 0 {
                    return Err(PeerError::Closed(self.addr.clone()));
                }
            }
        };
        tokio::time::timeout(self.timeouts.call, exchange)
            .await
            .map_err(|_| PeerError::Timeout(self.addr.clone()))?
    }
}
