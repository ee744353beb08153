//! Day 1 — The handshake: one JSON line that says "I speak GeeRPC, with this codec".
//!
//! Before any call, a client sends an `Option` as a single line of JSON, exactly as Go's
//! `json.Encoder` writes it (the Go field names, durations as integer nanoseconds, a final
//! `\n`):
//!
//! ```text
//! {"MagicNumber":3927900,"CodecType":"application/gob","ConnectTimeout":10000000000,"HandleTimeout":0}
//! ```
//!
//! The magic number tells a GeeRPC peer from a stray HTTP client or port scanner; the codec
//! type chooses how every following header and body is encoded. The timeouts arrive on day 4
//! but the fields are here from the start, so the wire format never changes.
//!
//! The line is read from the connection's one buffered reader ([`Inbound`]); whatever the
//! client sent after the newline (usually its first request, in the same TCP segment) stays
//! in that buffer for the codec. Go's original read the Option with a `json.Decoder` that
//! buffered past the line and then let the codec read the raw socket, losing those bytes.

use std::time::Duration;

use bytes::BytesMut;
use serde::{Deserialize, Serialize};

use crate::codec::{CodecType, Inbound};
use crate::error::{Error, Result};

/// Marks a GeeRPC connection: `0x3bef5c`, as in Go's geerpc.
pub const MAGIC_NUMBER: u64 = 0x3bef5c;

/// The longest Option line a server accepts; a real one is about 100 bytes.
pub const MAX_OPTION_LINE: usize = 4096;

/// The connection's settings, sent by the client as the first line (Go's `geerpc.Option`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Options {
    /// Must be [`MAGIC_NUMBER`].
    #[serde(rename = "MagicNumber")]
    pub magic_number: u64,
    /// How headers and bodies are encoded after the Option line.
    #[serde(rename = "CodecType")]
    pub codec_type: CodecType,
    /// How long the client waits to connect (client side only; zero means no limit).
    #[serde(rename = "ConnectTimeout", with = "nanos", default)]
    pub connect_timeout: Duration,
    /// How long the server may take to handle one call (zero means no limit). Note that
    /// it is the *client* that sets it, as in Go.
    #[serde(rename = "HandleTimeout", with = "nanos", default)]
    pub handle_timeout: Duration,
}

impl Default for Options {
    /// The magic number, the bincode codec, a 10 s connect timeout and no handle timeout.
    fn default() -> Self {
        Options {
            magic_number: MAGIC_NUMBER,
            codec_type: CodecType::Bincode,
            connect_timeout: Duration::from_secs(10),
            handle_timeout: Duration::ZERO,
        }
    }
}

impl Options {
    /// The default options with another codec.
    pub fn with_codec(codec_type: CodecType) -> Self {
        Options {
            codec_type,
            ..Options::default()
        }
    }

    /// Appends the Option line (JSON and a `\n`, as Go's `json.Encoder` writes it) to `out`.
    pub fn write_line(&self, out: &mut BytesMut) -> Result<()> {
        let mut line = serde_json::to_vec(self).map_err(|e| Error::Encode(e.to_string()))?;
        line.push(b'\n');
        out.extend_from_slice(&line);
        Ok(())
    }
}

// ANCHOR: read_options
/// Reads and checks the Option line from the connection's buffered reader.
///
/// Only the bytes up to and including the `\n` are consumed; anything after them stays in
/// `inbound` for the codec. A missing line, bad JSON, a wrong magic number or an unknown
/// codec is a [`Error::Handshake`].
pub async fn read_options(inbound: &mut Inbound) -> Result<Options> {
    // ANCHOR: ex_read_options
    let line = inbound
        .read_line(MAX_OPTION_LINE)
        .await?
        .ok_or_else(|| Error::Handshake("connection closed before the Option line".into()))?;
    let opt: Options = serde_json::from_slice(&line)
        .map_err(|e| Error::Handshake(format!("invalid Option line: {e}")))?;
    if opt.magic_number != MAGIC_NUMBER {
        return Err(Error::Handshake(format!(
            "invalid magic number {:#x}",
            opt.magic_number
        )));
    }
    Ok(opt)
    // ANCHOR_END: ex_read_options
}
// ANCHOR_END: read_options

/// Go's `time.Duration` on the wire: a signed count of nanoseconds. Negative means zero.
mod nanos {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let n = i64::deserialize(d)?;
        Ok(Duration::from_nanos(u64::try_from(n).unwrap_or(0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_option_line_is_gos_json() {
        let mut out = BytesMut::new();
        Options::with_codec(CodecType::Gob)
            .write_line(&mut out)
            .unwrap();
        assert_eq!(
            &out[..],
            b"{\"MagicNumber\":3927900,\"CodecType\":\"application/gob\",\"ConnectTimeout\":10000000000,\"HandleTimeout\":0}\n"
        );
    }

    #[test]
    fn the_days_1_to_3_option_still_parses() {
        let opt: Options =
            serde_json::from_str(r#"{"MagicNumber":3927900,"CodecType":"application/json"}"#)
                .unwrap();
        assert_eq!(opt.codec_type, CodecType::Json);
        assert_eq!(opt.handle_timeout, Duration::ZERO);
    }
}
