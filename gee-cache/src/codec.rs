//! Day 3 — the codec: how a value travels between nodes, chosen by whoever builds the pool.
//!
//! On day 3 a node answers a peer with the value's bytes as they are, and the client takes
//! the body as the value. Go's day 7 then rewrites both ends for protobuf. Here both ends
//! go through a [`Codec`] the [`HttpPool`](crate::HttpPool) is handed, so day 7 adds a
//! protobuf codec ([`crate::pb::ProtobufCodec`]) without touching the HTTP code:
//!
//! - the server answers in the pool's codec when the client's `Accept` names its content
//!   type (a peer always does), and with the raw bytes otherwise (curl, a browser);
//! - the client sends that `Accept`, refuses an answer of another content type, and decodes
//!   the body with the codec.

use bytes::Bytes;

use crate::ByteView;

/// The content type of raw values.
pub const OCTET_STREAM: &str = "application/octet-stream";

// ANCHOR: codec
/// Encodes a value for the wire and decodes a peer's answer back into the value.
pub trait Codec: Send + Sync + 'static {
    /// The content type of encoded answers: sent as `Accept` by the client and as
    /// `Content-Type` by the server.
    fn content_type(&self) -> &'static str;

    /// The body that carries `value`.
    fn encode(&self, value: &ByteView) -> Bytes;

    /// The value a body carries, or why it is not a valid answer.
    fn decode(&self, body: Bytes) -> Result<Bytes, String>;
}

/// Day 3's codec: the value's bytes, as they are (`application/octet-stream`).
#[derive(Debug, Clone, Copy, Default)]
pub struct RawCodec;

impl Codec for RawCodec {
    fn content_type(&self) -> &'static str {
        OCTET_STREAM
    }

    fn encode(&self, value: &ByteView) -> Bytes {
        value.bytes()
    }

    fn decode(&self, body: Bytes) -> Result<Bytes, String> {
        Ok(body)
    }
}
// ANCHOR_END: codec
