//! Day 1 — The binary codec: bincode 2 in length-delimited frames.
//!
//! Each header and each body is one frame: a 4-byte big-endian length, then that many bytes
//! (tokio-util's `LengthDelimitedCodec`, the framing tarpc uses too). A length prefix makes
//! the reader trivial and safe: it knows how much to wait for, and it checks the announced
//! length against the limit *before* allocating anything, so a client announcing 4 GB gets
//! an error, not an out-of-memory kill. Bodies are bincode 2 (`standard()` config:
//! little-endian varints), the most compact serde format in the workspace.

use bytes::{Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder, LengthDelimitedCodec};

use super::{Codec, DEFAULT_MAX_FRAME, Header};
use crate::error::{Error, Result};

/// The bincode codec: two length-delimited frames per message.
#[derive(Debug)]
pub struct BinaryCodec {
    frames: LengthDelimitedCodec,
}

impl BinaryCodec {
    /// A bincode codec refusing frames larger than `max_frame` bytes.
    pub fn new(max_frame: usize) -> Self {
        BinaryCodec {
            frames: LengthDelimitedCodec::builder()
                .max_frame_length(max_frame)
                .new_codec(),
        }
    }

    // ANCHOR: frame
    fn frame(&mut self, buf: &mut BytesMut) -> Result<Option<Bytes>> {
        // ANCHOR: ex_frame
        match self.frames.decode(buf) {
            Ok(frame) => Ok(frame.map(BytesMut::freeze)),
            // The only error LengthDelimitedCodec reports is a frame over the limit.
            Err(e) => Err(Error::Decode(format!("bad frame: {e}"))),
        }
        // ANCHOR_END: ex_frame
    }
    // ANCHOR_END: frame
}

impl Default for BinaryCodec {
    fn default() -> Self {
        BinaryCodec::new(DEFAULT_MAX_FRAME)
    }
}

impl Codec for BinaryCodec {
    fn read_header(&mut self, buf: &mut BytesMut) -> Result<Option<Header>> {
        match self.frame(buf)? {
            None => Ok(None),
            Some(frame) => {
                let config = bincode::config::standard().with_limit::<DEFAULT_MAX_FRAME>();
                let (header, used) = bincode::serde::decode_from_slice(&frame, config)
                    .map_err(|e| Error::Decode(format!("invalid header: {e}")))?;
                if used != frame.len() {
                    return Err(Error::Decode("trailing bytes after the header".into()));
                }
                Ok(Some(header))
            }
        }
    }

    fn read_body(&mut self, buf: &mut BytesMut) -> Result<Option<Bytes>> {
        self.frame(buf)
    }

    fn write(&mut self, header: &Header, body: &[u8], out: &mut BytesMut) -> Result<()> {
        let header = bincode::serde::encode_to_vec(header, bincode::config::standard())
            .map_err(|e| Error::Encode(e.to_string()))?;
        for part in [&header[..], body] {
            self.frames
                .encode(Bytes::copy_from_slice(part), out)
                .map_err(|e| Error::Encode(e.to_string()))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_length_prefix_is_refused_before_allocating() {
        let mut codec = BinaryCodec::new(1024);
        let mut buf = BytesMut::from(&[0xff, 0xff, 0xff, 0xff, 1, 2][..]);
        assert!(codec.read_header(&mut buf).is_err());
        assert!(buf.capacity() < 1 << 20);
    }

    #[test]
    fn a_message_round_trips_and_waits_for_whole_frames() {
        let mut codec = BinaryCodec::default();
        let header = Header {
            service_method: "Foo.Sum".into(),
            seq: 300,
            error: String::new(),
        };
        let mut out = BytesMut::new();
        codec.write(&header, b"body", &mut out).unwrap();
        let mut partial = out.split_to(5);
        assert_eq!(codec.read_header(&mut partial).unwrap(), None);
        partial.unsplit(out);
        assert_eq!(codec.read_header(&mut partial).unwrap(), Some(header));
        assert_eq!(
            &codec.read_body(&mut partial).unwrap().unwrap()[..],
            b"body"
        );
    }
}
