//! Day 2 — [`Frame`], one RESP value: what a client reads back, and what tests compare.
//!
//! The server itself never builds frames on its hot path (requests are parsed straight into
//! argument lists, replies are written straight into bytes), but a RESP *value type* is
//! still the clearest way to talk about the protocol: the tests decode replies into frames,
//! the fuzz target round-trips them, and day 7's cluster relay will read peers' replies
//! with [`Frame::parse`].

use bytes::{Bytes, BytesMut};

use super::reply::ReplyWriter;

/// The deepest array nesting [`Frame::parse`] follows (guards the stack against `*1\r\n*1\r\n...`).
pub const MAX_DEPTH: usize = 128;

/// One RESP2 value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// `+text`: a status reply.
    Simple(String),
    /// `-text`: an error reply.
    Error(String),
    /// `:n`: a signed 64-bit integer.
    Integer(i64),
    /// `$len` + bytes: a binary-safe string.
    Bulk(Bytes),
    /// `$-1`: the null bulk string.
    Null,
    /// `*-1`: the null array.
    NullArray,
    /// `*len` + that many frames.
    Array(Vec<Frame>),
}

/// Why bytes are not a frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The type byte is not one of `+ - : $ *`.
    #[error("unknown frame type byte {0:#04x}")]
    UnknownType(u8),
    /// A length or integer that does not parse, or is out of range.
    #[error("invalid number in frame")]
    BadNumber,
    /// Arrays nested deeper than [`MAX_DEPTH`].
    #[error("arrays nested too deeply")]
    TooDeep,
}

impl Frame {
    /// Appends this frame's RESP encoding to `out`.
    pub fn encode(&self, out: &mut BytesMut) {
        match self {
            Frame::Simple(s) => out.simple(s),
            Frame::Error(e) => out.error(e),
            Frame::Integer(n) => out.int(*n),
            Frame::Bulk(b) => out.bulk(b),
            Frame::Null => out.null(),
            Frame::NullArray => out.null_array(),
            Frame::Array(items) => {
                out.array(items.len());
                for item in items {
                    item.encode(out);
                }
            }
        }
    }

    /// A request frame: an array of bulk strings.
    pub fn command<I, A>(args: I) -> Frame
    where
        I: IntoIterator<Item = A>,
        A: AsRef<[u8]>,
    {
        Frame::Array(
            args.into_iter()
                .map(|a| Frame::Bulk(Bytes::copy_from_slice(a.as_ref())))
                .collect(),
        )
    }

    /// Parses one frame from the start of `buf`: `Ok(Some((frame, bytes used)))`, or
    /// `Ok(None)` when `buf` holds only part of it.
    pub fn parse(buf: &[u8]) -> Result<Option<(Frame, usize)>, FrameError> {
        let mut pos = 0;
        match parse_at(buf, &mut pos, 0)? {
            Some(frame) => Ok(Some((frame, pos))),
            None => Ok(None),
        }
    }

    /// Parses every complete frame in `buf` (a test helper for pipelined replies).
    pub fn parse_all(mut buf: &[u8]) -> Result<Vec<Frame>, FrameError> {
        let mut frames = Vec::new();
        while let Some((frame, used)) = Frame::parse(buf)? {
            frames.push(frame);
            buf = &buf[used..];
        }
        Ok(frames)
    }
}

fn line<'a>(buf: &'a [u8], pos: &mut usize) -> Option<&'a [u8]> {
    let rest = buf.get(*pos..)?;
    let end = rest.windows(2).position(|w| w == b"\r\n")?;
    *pos += end + 2;
    Some(&rest[..end])
}

fn number(text: &[u8]) -> Result<i64, FrameError> {
    std::str::from_utf8(text)
        .ok()
        .and_then(|t| t.parse().ok())
        .ok_or(FrameError::BadNumber)
}

fn parse_at(buf: &[u8], pos: &mut usize, depth: usize) -> Result<Option<Frame>, FrameError> {
    if depth > MAX_DEPTH {
        return Err(FrameError::TooDeep);
    }
    let Some(&tag) = buf.get(*pos) else {
        return Ok(None);
    };
    let start = *pos;
    *pos += 1;
    let Some(text) = line(buf, pos) else {
        *pos = start;
        return Ok(None);
    };
    let frame = match tag {
        b'+' => Frame::Simple(String::from_utf8_lossy(text).into_owned()),
        b'-' => Frame::Error(String::from_utf8_lossy(text).into_owned()),
        b':' => Frame::Integer(number(text)?),
        b'$' => {
            let len = number(text)?;
            if len == -1 {
                return Ok(Some(Frame::Null));
            }
            let len = usize::try_from(len).map_err(|_| FrameError::BadNumber)?;
            let end = pos.checked_add(len).ok_or(FrameError::BadNumber)?;
            if buf.len() < end + 2 {
                *pos = start;
                return Ok(None);
            }
            let bytes = Bytes::copy_from_slice(&buf[*pos..end]);
            *pos = end + 2;
            Frame::Bulk(bytes)
        }
        b'*' => {
            let len = number(text)?;
            if len == -1 {
                return Ok(Some(Frame::NullArray));
            }
            let len = usize::try_from(len).map_err(|_| FrameError::BadNumber)?;
            // Each element takes at least 3 bytes: never reserve more than could be there.
            let mut items = Vec::with_capacity(len.min(buf.len() / 3 + 1));
            for _ in 0..len {
                match parse_at(buf, pos, depth + 1)? {
                    Some(item) => items.push(item),
                    None => {
                        *pos = start;
                        return Ok(None);
                    }
                }
            }
            Frame::Array(items)
        }
        other => return Err(FrameError::UnknownType(other)),
    };
    Ok(Some(frame))
}

impl From<&str> for Frame {
    fn from(text: &str) -> Self {
        Frame::Bulk(Bytes::copy_from_slice(text.as_bytes()))
    }
}

/// Writes `frame` as bytes (for tests and clients): `Frame::command(["PING"]).to_bytes()`.
impl Frame {
    /// The frame's encoding in a fresh buffer.
    pub fn to_bytes(&self) -> Bytes {
        let mut out = BytesMut::new();
        self.encode(&mut out);
        out.freeze()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_partial() {
        let frame = Frame::Array(vec![
            Frame::Simple("OK".into()),
            Frame::Integer(-2),
            Frame::Null,
            Frame::Array(vec![Frame::from("x"), Frame::NullArray]),
        ]);
        let bytes = frame.to_bytes();
        assert_eq!(Frame::parse(&bytes).unwrap(), Some((frame, bytes.len())));
        for cut in 0..bytes.len() {
            assert_eq!(Frame::parse(&bytes[..cut]).unwrap(), None, "cut at {cut}");
        }
    }
}
