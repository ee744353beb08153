//! Day 5 — DUMP payloads: one value in RDB encoding, with a version and a checksum.
//!
//! `DUMP key` answers the key's value serialized exactly as a snapshot stores it (a type
//! byte and the value), followed by a two-byte footer naming the RDB version and the
//! CRC-64 of everything before the checksum. `RESTORE` takes such a payload from any
//! Redis: that is how `MIGRATE` and `redis-cli --rdb`-based tools move keys between
//! servers, so sharing the value encoding with [`super::encode`] and [`super::decode`]
//! means go-redis and Redis can exchange keys both ways.

use super::crc64::crc64;
use super::decode::Decoder;
use super::encode::Encoder;
use super::{RDB_VERSION, RdbError};
use crate::db::Value;

/// Why a payload was refused; the texts are Redis's RESTORE errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// Too short, a newer RDB version, or a checksum that does not match.
    #[error("ERR DUMP payload version or checksum are wrong")]
    VersionOrChecksum,
    /// The footer is fine but the value inside cannot be decoded.
    #[error("ERR Bad data format")]
    BadData,
}

// ANCHOR: dump
/// Serializes `value` as DUMP does: `<type><value><RDB version, 2 bytes LE><CRC-64, 8 bytes LE>`.
pub fn dump(value: &Value) -> Vec<u8> {
    let mut enc = Encoder::new(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = enc.value(value);
    let _ = enc.raw(&RDB_VERSION.to_le_bytes());
    let crc = enc.crc();
    let mut out = enc.into_inner();
    out.extend_from_slice(&crc.to_le_bytes());
    out
}
// ANCHOR_END: dump

/// Checks a payload's footer (version and checksum) and decodes the value inside. An
/// empty aggregate (which no Redis dumps) is bad data.
pub fn restore(payload: &[u8]) -> Result<Value, PayloadError> {
    let body_len = payload
        .len()
        .checked_sub(10)
        .ok_or(PayloadError::VersionOrChecksum)?;
    let footer = &payload[body_len..];
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    if version > RDB_VERSION {
        return Err(PayloadError::VersionOrChecksum);
    }
    let mut stored = [0u8; 8];
    stored.copy_from_slice(&footer[2..]);
    if crc64(0, &payload[..body_len + 2]) != u64::from_le_bytes(stored) {
        return Err(PayloadError::VersionOrChecksum);
    }
    let mut d = Decoder::new(&payload[..body_len]);
    let decoded: Result<Option<Value>, RdbError> = d.byte().and_then(|kind| d.value(kind));
    match decoded {
        Ok(Some(value)) => Ok(value),
        Ok(None) | Err(_) => Err(PayloadError::BadData),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[test]
    fn matches_redis_dump_of_a_string() {
        // `SET k hello` then `DUMP k` in Redis 7.0.15 starts: type 0, length 5, the
        // bytes, RDB version 10 (little-endian); the CRC-64 follows.
        let ours = dump(&Value::Str(Bytes::from_static(b"hello").into()));
        assert_eq!(&ours[..9], b"\x00\x05hello\x0a\x00");
        assert_eq!(ours.len(), 17);
        assert!(matches!(restore(&ours), Ok(Value::Str(s)) if s == "hello"));
    }

    #[test]
    fn refuses_bad_footers_and_bodies() {
        let mut payload = dump(&Value::Str(Bytes::from_static(b"hello").into()));
        assert!(matches!(
            restore(&payload[..9]),
            Err(PayloadError::VersionOrChecksum)
        ));
        let last = payload.len() - 1;
        payload[last] ^= 1;
        assert!(matches!(
            restore(&payload),
            Err(PayloadError::VersionOrChecksum)
        ));
        // A valid footer around a value that claims more bytes than it has.
        let mut enc = Encoder::new(Vec::new());
        let _ = enc.raw(&[0, 0x3f, b'x']);
        let _ = enc.raw(&RDB_VERSION.to_le_bytes());
        let crc = enc.crc();
        let mut lying = enc.into_inner();
        lying.extend_from_slice(&crc.to_le_bytes());
        assert!(matches!(restore(&lying), Err(PayloadError::BadData)));
    }
}
