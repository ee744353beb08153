//! Day 1 — The JSON codec: a stream of JSON values, one after another, no length prefix.
//!
//! This is what Go's `json.Encoder`/`json.Decoder` pair does on a socket: the header is one
//! JSON value, the body the next, each followed by a `\n`. JSON values delimit themselves
//! (a `}` closes what a `{` opened), so the reader needs no length prefix. It does need
//! care: a value may arrive in pieces, so the parser asks serde_json whether the buffered
//! bytes hold a *whole* value, and consumes exactly that value's bytes when they do.
//!
//! Hostile input cannot make it allocate without bound: a value still incomplete after
//! `max_frame` bytes is an error, and serde_json refuses nesting deeper than 128 levels.

use bytes::{Bytes, BytesMut};
use serde::de::IgnoredAny;

use super::{Codec, Header, consume};
use crate::error::{Error, Result};

/// The JSON codec (Go's `JsonType`, which the original declared but never implemented).
#[derive(Debug)]
pub struct JsonCodec {
    max_frame: usize,
}

impl JsonCodec {
    /// A JSON codec refusing values larger than `max_frame` bytes.
    pub fn new(max_frame: usize) -> Self {
        JsonCodec { max_frame }
    }
}

// ANCHOR: next_value
/// Cuts the next whole JSON value out of `buf`, skipping the whitespace before it.
///
/// `Ok(None)` until a whole value is buffered. A number at the very end of the buffer is not
/// whole yet (`12` may be the start of `123`): the writer's `\n` settles it.
pub fn next_value(buf: &mut BytesMut, max_frame: usize) -> Result<Option<Bytes>> {
    // ANCHOR: ex_next_value
    let start = buf
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(buf.len());
    consume(buf, start);
    if buf.is_empty() {
        return Ok(None);
    }
    let mut values = serde_json::Deserializer::from_slice(buf).into_iter::<IgnoredAny>();
    match values.next() {
        Some(Ok(_)) => {
            let end = values.byte_offset();
            if end > max_frame {
                return Err(Error::FrameTooLarge {
                    size: end,
                    limit: max_frame,
                });
            }
            let open_number = end == buf.len() && buf[end - 1].is_ascii_digit();
            if !open_number {
                return Ok(Some(buf.split_to(end).freeze()));
            }
        }
        Some(Err(e)) if e.is_eof() => {}
        Some(Err(e)) => return Err(Error::Decode(format!("invalid JSON: {e}"))),
        None => {}
    }
    if buf.len() > max_frame {
        return Err(Error::FrameTooLarge {
            size: buf.len(),
            limit: max_frame,
        });
    }
    Ok(None)
    // ANCHOR_END: ex_next_value
}
// ANCHOR_END: next_value

impl Codec for JsonCodec {
    fn read_header(&mut self, buf: &mut BytesMut) -> Result<Option<Header>> {
        match next_value(buf, self.max_frame)? {
            None => Ok(None),
            Some(value) => serde_json::from_slice(&value)
                .map(Some)
                .map_err(|e| Error::Decode(format!("invalid header: {e}"))),
        }
    }

    fn read_body(&mut self, buf: &mut BytesMut) -> Result<Option<Bytes>> {
        next_value(buf, self.max_frame)
    }

    fn write(&mut self, header: &Header, body: &[u8], out: &mut BytesMut) -> Result<()> {
        let header = serde_json::to_vec(header).map_err(|e| Error::Encode(e.to_string()))?;
        out.extend_from_slice(&header);
        out.extend_from_slice(b"\n");
        out.extend_from_slice(body);
        out.extend_from_slice(b"\n");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_cut_exactly_even_when_split() {
        let mut buf = BytesMut::from(&b"{\"a\":[1,2]}\n  12"[..]);
        assert_eq!(
            &next_value(&mut buf, 64).unwrap().unwrap()[..],
            b"{\"a\":[1,2]}"
        );
        assert_eq!(next_value(&mut buf, 64).unwrap(), None, "12 may continue");
        buf.extend_from_slice(b"3\n\"x");
        assert_eq!(&next_value(&mut buf, 64).unwrap().unwrap()[..], b"123");
        assert_eq!(next_value(&mut buf, 64).unwrap(), None);
        buf.extend_from_slice(b"y\"");
        assert_eq!(&next_value(&mut buf, 64).unwrap().unwrap()[..], b"\"xy\"");
    }

    #[test]
    fn garbage_and_endless_values_are_errors() {
        let mut buf = BytesMut::from(&b"}{"[..]);
        assert!(matches!(next_value(&mut buf, 64), Err(Error::Decode(_))));
        let mut buf = BytesMut::from(&[b'['; 100][..]);
        assert!(next_value(&mut buf, 64).is_err());
    }
}
