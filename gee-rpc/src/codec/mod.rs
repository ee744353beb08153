//! Day 1 — Codecs: how a call travels as bytes, and the one buffered reader they all share.
//!
//! After the Option line, both directions carry the same thing: a stream of messages, each a
//! [`Header`] followed by a body. How they become bytes is the codec's business, chosen by the
//! Option's `CodecType`:
//!
//! | codec | framing | bodies |
//! |---|---|---|
//! | [`json`] | a stream of JSON values, one after another, as Go's `json.Decoder` reads them | JSON |
//! | [`binary`] | length-delimited frames (tokio-util's `LengthDelimitedCodec`) | bincode 2 |
//! | [`gob`] | Go's own gob messages (length-prefixed, types defined once per stream) | gob, bridged to JSON |
//!
//! A [`Codec`] never touches the socket. It *parses* messages out of a buffer that the
//! connection fills ([`Inbound`]), and *writes* messages into a buffer that the connection
//! flushes. That split is the day's main lesson: the handshake line and every later message
//! are cut from **one** buffer, so no reader can swallow bytes meant for the next one (Go's
//! server read the Option with a `json.Decoder`, whose read-ahead ate the first gob request),
//! and a parser is a plain function of bytes, easy to test and to fuzz.

pub mod binary;
pub mod gob;
pub mod json;

use bytes::{Buf, Bytes, BytesMut};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::error::{Error, Result};

/// The largest message (header or body) a connection accepts by default: 16 MiB.
pub const DEFAULT_MAX_FRAME: usize = 16 << 20;

/// The header of every request and every response (Go's `codec.Header`).
///
/// A request names the method and numbers the call; the response repeats the number and
/// carries an error string, empty when the call succeeded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// `"Service.Method"`, e.g. `"Foo.Sum"`.
    #[serde(rename = "ServiceMethod")]
    pub service_method: String,
    /// The call's sequence number, chosen by the client (1, 2, 3, ...).
    #[serde(rename = "Seq")]
    pub seq: u64,
    /// Empty on success; otherwise the error, and the body is an empty placeholder.
    #[serde(rename = "Error")]
    pub error: String,
}

/// Which codec a connection speaks, as named in the Option line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum CodecType {
    /// `"application/json"`: readable, good for debugging.
    Json,
    /// `"application/bincode"`: compact and fast; Rust to Rust.
    Bincode,
    /// `"application/gob"`: Go's encoding, for talking to Go's geerpc.
    Gob,
}

impl CodecType {
    /// The name used in the Option line.
    pub fn as_str(self) -> &'static str {
        match self {
            CodecType::Json => "application/json",
            CodecType::Bincode => "application/bincode",
            CodecType::Gob => "application/gob",
        }
    }

    /// Serializes a body the way this codec carries it inside the process.
    ///
    /// Bodies are encoded once, by the task that has the typed value (the caller, or the
    /// service), and the connection's writer only frames them. The gob codec carries bodies
    /// as JSON inside the process and translates at the socket, since gob's type
    /// definitions belong to the connection's stream, not to one value.
    pub fn encode<T: Serialize + ?Sized>(self, value: &T) -> Result<Bytes> {
        match self {
            CodecType::Json | CodecType::Gob => serde_json::to_vec(value)
                .map(Bytes::from)
                .map_err(|e| Error::Encode(e.to_string())),
            CodecType::Bincode => bincode::serde::encode_to_vec(value, bincode::config::standard())
                .map(Bytes::from)
                .map_err(|e| Error::Encode(e.to_string())),
        }
    }

    /// Deserializes a body received with this codec.
    pub fn decode<T: DeserializeOwned>(self, body: &[u8]) -> Result<T> {
        match self {
            CodecType::Json | CodecType::Gob => {
                serde_json::from_slice(body).map_err(|e| Error::Decode(e.to_string()))
            }
            CodecType::Bincode => {
                let config = bincode::config::standard().with_limit::<DEFAULT_MAX_FRAME>();
                let (value, used) = bincode::serde::decode_from_slice(body, config)
                    .map_err(|e| Error::Decode(e.to_string()))?;
                if used != body.len() {
                    return Err(Error::Decode(format!(
                        "{} trailing bytes after the value",
                        body.len() - used
                    )));
                }
                Ok(value)
            }
        }
    }

    /// A fresh codec of this type for one direction of one connection.
    pub fn new_codec(self, max_frame: usize) -> Box<dyn Codec> {
        match self {
            CodecType::Json => Box::new(json::JsonCodec::new(max_frame)),
            CodecType::Bincode => Box::new(binary::BinaryCodec::new(max_frame)),
            CodecType::Gob => Box::new(gob::GobCodec::new(max_frame)),
        }
    }
}

impl TryFrom<String> for CodecType {
    type Error = String;
    fn try_from(name: String) -> std::result::Result<Self, String> {
        match name.as_str() {
            "application/json" => Ok(CodecType::Json),
            "application/bincode" => Ok(CodecType::Bincode),
            "application/gob" => Ok(CodecType::Gob),
            other => Err(format!("unknown codec type {other:?}")),
        }
    }
}

impl From<CodecType> for String {
    fn from(t: CodecType) -> String {
        t.as_str().to_string()
    }
}

/// The placeholder body of an error response (Go's `invalidRequest = struct{}{}`).
#[derive(Debug, Serialize, Deserialize)]
pub struct Empty {}

// ANCHOR: codec
/// One direction of one connection's codec: parse messages out of a buffer, write them into
/// one (Go's `Codec` with `ReadHeader`, `ReadBody` and `Write`).
///
/// The parsing methods look at the bytes buffered so far: `Ok(None)` means "not a whole
/// message yet, read more" (a codec may consume a frame's prefix and remember it). They
/// must never allocate more than the frame limit, whatever the input announces.
pub trait Codec: Send {
    /// Parses the next header, if a whole one is buffered.
    fn read_header(&mut self, buf: &mut BytesMut) -> Result<Option<Header>>;
    /// Parses the body that follows a header, as raw bytes for [`CodecType::decode`].
    fn read_body(&mut self, buf: &mut BytesMut) -> Result<Option<Bytes>>;
    /// Appends one message (header, then a body made by [`CodecType::encode`]) to `out`.
    fn write(&mut self, header: &Header, body: &[u8], out: &mut BytesMut) -> Result<()>;
}
// ANCHOR_END: codec

/// A boxed byte source: a TCP stream's read half, a Unix socket, an upgraded HTTP connection.
pub type BoxRead = Box<dyn AsyncRead + Send + Unpin>;

// ANCHOR: inbound
/// The read side of a connection: the socket and **the** buffer in front of it.
///
/// There is exactly one `Inbound` per connection, and everything that reads (the Option
/// line, an HTTP response head, the codec) takes its bytes from its buffer. Whatever one
/// reader did not consume is still there for the next.
pub struct Inbound {
    io: BoxRead,
    buf: BytesMut,
}

impl Inbound {
    /// Wraps a byte source.
    pub fn new(io: impl AsyncRead + Send + Unpin + 'static) -> Self {
        Inbound {
            io: Box::new(io),
            buf: BytesMut::with_capacity(8 * 1024),
        }
    }

    /// Reads more bytes into the buffer; `false` at end of stream.
    async fn fill(&mut self) -> Result<bool> {
        if self.buf.capacity() - self.buf.len() < 4096 {
            self.buf.reserve(8 * 1024);
        }
        Ok(self.io.read_buf(&mut self.buf).await? > 0)
    }

    /// Reads one line (without its `\n`, and without a `\r` before it), at most `max` bytes.
    /// `None` if the stream ended before any byte.
    pub async fn read_line(&mut self, max: usize) -> Result<Option<Bytes>> {
        // ANCHOR: ex_read_line
        let mut searched = 0;
        loop {
            if let Some(i) = self.buf[searched..].iter().position(|&b| b == b'\n') {
                let mut line = self.buf.split_to(searched + i + 1);
                line.truncate(line.len() - 1);
                if line.last() == Some(&b'\r') {
                    line.truncate(line.len() - 1);
                }
                return Ok(Some(line.freeze()));
            }
            searched = self.buf.len();
            if searched > max {
                return Err(Error::FrameTooLarge {
                    size: searched,
                    limit: max,
                });
            }
            if !self.fill().await? {
                return match searched {
                    0 => Ok(None),
                    n => Err(Error::Truncated(n)),
                };
            }
        }
        // ANCHOR_END: ex_read_line
    }

    /// Runs `parse` on the buffer until it yields a value, reading more in between.
    /// `Ok(None)` means the stream ended cleanly between messages.
    pub async fn next<T>(
        &mut self,
        mut parse: impl FnMut(&mut BytesMut) -> Result<Option<T>>,
    ) -> Result<Option<T>> {
        loop {
            if let Some(value) = parse(&mut self.buf)? {
                return Ok(Some(value));
            }
            if !self.fill().await? {
                return match self.buf.len() {
                    0 => Ok(None),
                    n => Err(Error::Truncated(n)),
                };
            }
        }
    }

    /// The bytes buffered but not consumed yet.
    pub fn buffered(&self) -> &[u8] {
        &self.buf
    }
}
// ANCHOR_END: inbound

/// Reads one header with `codec`; `None` at a clean end of stream.
pub async fn read_header(inbound: &mut Inbound, codec: &mut dyn Codec) -> Result<Option<Header>> {
    inbound.next(|buf| codec.read_header(buf)).await
}

/// Reads the body that follows a header. The stream may not end here.
pub async fn read_body(inbound: &mut Inbound, codec: &mut dyn Codec) -> Result<Bytes> {
    inbound
        .next(|buf| codec.read_body(buf))
        .await?
        .ok_or(Error::Truncated(0))
}

/// Drops `n` bytes from the front of `buf` (a small helper for parsers).
pub(crate) fn consume(buf: &mut BytesMut, n: usize) {
    buf.advance(n);
}
