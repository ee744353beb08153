//! Day 7 — Protobuf: the peers' messages, encoded byte for byte like groupcache's.
//!
//! Until day 6 a peer answered with the raw value, which works until you want to say more
//! than the value (groupcache's `minute_qps`, mailgun's `expire`) or to talk to a node written
//! in another language. Protocol Buffers give a compact, versionable encoding: each field
//! is a *tag* (`field_number << 3 | wire_type`) then its payload; a length-delimited field
//! (wire type 2: strings, bytes) is `tag, varint length, bytes`; a double (wire type 1) is
//! `tag, 8 little-endian bytes`.
//!
//! ```text
//!   GetResponse{value: "630"}            0a 03 36 33 30
//!               │  │  └──── the 3 bytes "630"
//!               │  └─────── length 3 (varint)
//!               └────────── field 1, wire type 2 (1 << 3 | 2 = 0x0a)
//!   GetRequest{group: "g", key: ""}      0a 01 67 12 00   (proto2 `required`: empty key kept)
//! ```
//!
//! The structs are written by hand with `#[derive(prost::Message)]` to match
//! `proto/geecache.proto` (which mirrors groupcache's `groupcachepb`), so building needs no
//! `protoc`. The tests pin the exact bytes, computed by hand.
//!
//! Nothing of day 3's HTTP code changes for it: [`ProtobufCodec`] implements day 3's
//! [`Codec`] seam, and a pool handed it (`HttpPool::with_codec(ProtobufCodec)`, or any pool
//! speaking [`Protocol::Groupcache`](crate::Protocol::Groupcache)) answers and reads
//! `GetResponse`s.

use bytes::Bytes;

use crate::ByteView;
use crate::codec::Codec;

/// The protobuf content type.
pub const PROTOBUF: &str = "application/x-protobuf";

// ANCHOR: messages
/// A request for `key` in `group` (groupcache's `GetRequest`). Over HTTP the pair travels in
/// the URL path, as in groupcache; the message defines the shape and is used by RPC peers.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct GetRequest {
    /// The group's name.
    #[prost(string, required, tag = "1")]
    pub group: String,
    /// The key; `required`, so an empty key is still on the wire.
    #[prost(string, required, tag = "2")]
    pub key: String,
}

/// A peer's answer (groupcache's `GetResponse`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct GetResponse {
    /// The value.
    #[prost(bytes = "bytes", optional, tag = "1")]
    pub value: Option<bytes::Bytes>,
    /// Requests per second for this key over the last minute; groupcache reserves it and
    /// never sets it, and so do we (it is decoded when present).
    #[prost(double, optional, tag = "2")]
    pub minute_qps: Option<f64>,
}
// ANCHOR_END: messages

// ANCHOR: encode
/// Encodes the answer for `value`: `GetResponse{value}` as protobuf bytes.
pub fn encode_response(value: &[u8]) -> Vec<u8> {
    // ANCHOR: ex_encode
    let response = GetResponse {
        value: Some(bytes::Bytes::copy_from_slice(value)),
        minute_qps: None,
    };
    prost::Message::encode_to_vec(&response)
    // ANCHOR_END: ex_encode
}

/// Decodes a peer's answer; a body that is not a `GetResponse` is an error, never a panic.
pub fn decode_response(body: &[u8]) -> Result<GetResponse, prost::DecodeError> {
    // ANCHOR: ex_decode
    <GetResponse as prost::Message>::decode(body)
    // ANCHOR_END: ex_decode
}
// ANCHOR_END: encode

// ANCHOR: codec
/// Day 7's codec: values travel as `GetResponse{value}` (`application/x-protobuf`).
#[derive(Debug, Clone, Copy, Default)]
pub struct ProtobufCodec;

impl Codec for ProtobufCodec {
    fn content_type(&self) -> &'static str {
        PROTOBUF
    }

    fn encode(&self, value: &ByteView) -> Bytes {
        Bytes::from(encode_response(value.as_slice()))
    }

    fn decode(&self, body: Bytes) -> Result<Bytes, String> {
        match decode_response(&body) {
            Ok(response) => Ok(response.value.unwrap_or_default()),
            Err(err) => Err(err.to_string()),
        }
    }
}
// ANCHOR_END: codec
