//! Day 5 — reading RDB: every encoding Redis 7.0 (and older Redis) writes, checked byte by byte.
//!
//! The reader is the mirror of [`super::encode`], plus everything real Redis writes that
//! go-redis does not: integers stored as 1, 2 or 4 binary bytes instead of text,
//! LZF-compressed strings, and the packed arrays of [`super::packed`] (intsets, listpacks,
//! ziplists, quicklists of either). All of it arrives from a file or a client's RESTORE,
//! so nothing read is trusted: every length is checked against the bytes actually left
//! before anything is allocated or sliced (a four-byte length field can claim 4 GiB), and
//! every problem is an [`RdbError`] naming the byte where it was found.

use bytes::Bytes;

use super::crc64::crc64;
use super::{RDB_VERSION, RdbError, lzf, opcodes, packed, types};
use crate::db::keyspace::{HashValue, SetValue};
use crate::db::{Entry, Value};
use crate::types::ZSet;

/// The largest string we accept (Redis's `proto-max-bulk-len` default, 512 MB).
pub const MAX_STRING: u64 = 512 * 1024 * 1024;

/// The most elements reserved up front for an aggregate. A count is checked against the
/// bytes left, but an element in memory (a 32-byte `Bytes` handle) is bigger than its
/// smallest form in the file (one byte), so a lying count could still reserve 32 times
/// the file; past this, collections grow as real elements arrive.
pub const PREALLOCATE_MAX: usize = 4096;

/// What a length field holds: a length, or (first bits `11`) a special string encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Length {
    /// A plain length.
    Len(u64),
    /// `11xxxxxx`: the string is an 8/16/32-bit integer (0, 1, 2) or LZF-compressed (3).
    Special(u8),
}

/// A cursor over RDB bytes.
pub struct Decoder<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Decoder<'a> {
    /// A decoder at the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// How many bytes have been read.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// How many bytes are left.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn corrupt(&self, what: impl Into<String>) -> RdbError {
        RdbError::Corrupt {
            at: self.pos,
            what: what.into(),
        }
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], RdbError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.buf.len())
            .ok_or(RdbError::Truncated(self.pos))?;
        let bytes = &self.buf[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    /// The next byte.
    pub fn byte(&mut self) -> Result<u8, RdbError> {
        Ok(self.take(1)?[0])
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], RdbError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    // ANCHOR: read_length
    /// A length field: the first byte's top two bits say `00` 6-bit length, `01` 14-bit
    /// (with the next byte, big-endian), `10` a 32-bit (`0x80`) or 64-bit (`0x81`)
    /// big-endian length in the following bytes, `11` a special string encoding whose
    /// kind is in the low six bits.
    pub fn length_or_special(&mut self) -> Result<Length, RdbError> {
        // ANCHOR: ex_read_length
        let first = self.byte()?;
        match first >> 6 {
            0 => Ok(Length::Len(u64::from(first & 0x3f))),
            1 => {
                let next = self.byte()?;
                Ok(Length::Len(
                    (u64::from(first & 0x3f) << 8) | u64::from(next),
                ))
            }
            2 => match first {
                0x80 => Ok(Length::Len(u64::from(u32::from_be_bytes(self.array()?)))),
                0x81 => Ok(Length::Len(u64::from_be_bytes(self.array()?))),
                _ => Err(self.corrupt(format!("unknown length encoding {first:#04x}"))),
            },
            _ => Ok(Length::Special(first & 0x3f)),
        }
        // ANCHOR_END: ex_read_length
    }
    // ANCHOR_END: read_length

    /// A plain length (a special encoding here is an error).
    pub fn length(&mut self) -> Result<u64, RdbError> {
        match self.length_or_special()? {
            Length::Len(n) => Ok(n),
            Length::Special(_) => Err(self.corrupt("an encoded string where a length belongs")),
        }
    }

    /// A count of elements, capped by the bytes left: each element takes at least one
    /// byte, so a count larger than that is a lie, and must not size an allocation.
    fn count(&mut self) -> Result<usize, RdbError> {
        let n = self.length()?;
        if n > self.remaining() as u64 {
            return Err(RdbError::Truncated(self.pos));
        }
        Ok(n as usize)
    }

    // ANCHOR: string
    /// A string in any of its encodings: plain bytes, a binary integer (returned as its
    /// decimal text), or LZF-compressed.
    pub fn string(&mut self) -> Result<Bytes, RdbError> {
        let len = match self.length_or_special()? {
            Length::Len(len) => len,
            Length::Special(0) => return Ok(int_text(i64::from(self.byte()? as i8))),
            Length::Special(1) => {
                return Ok(int_text(i64::from(i16::from_le_bytes(self.array()?))));
            }
            Length::Special(2) => {
                return Ok(int_text(i64::from(i32::from_le_bytes(self.array()?))));
            }
            Length::Special(3) => return self.lzf_string(),
            Length::Special(other) => {
                return Err(self.corrupt(format!("unknown string encoding {other}")));
            }
        };
        let len = usize::try_from(len).map_err(|_| RdbError::Truncated(self.pos))?;
        Ok(Bytes::copy_from_slice(self.take(len)?))
    }
    // ANCHOR_END: string

    /// `<compressed length><uncompressed length><compressed bytes>`.
    fn lzf_string(&mut self) -> Result<Bytes, RdbError> {
        let compressed = self.length()?;
        let expanded = self.length()?;
        let input =
            self.take(usize::try_from(compressed).map_err(|_| RdbError::Truncated(self.pos))?)?;
        // A back reference of two bytes yields at most 264: anything claiming more than
        // that ratio (or more than a string may hold) is a lie, not a size to allocate.
        if expanded > MAX_STRING || expanded > compressed.saturating_mul(132) + 32 {
            return Err(self.corrupt("LZF uncompressed length out of range"));
        }
        lzf::decompress(input, expanded as usize)
            .map(Bytes::from)
            .map_err(|e| self.corrupt(e.to_string()))
    }

    /// A sorted-set score written as text (type 3): a length byte, with 253/254/255
    /// meaning NaN, +inf and -inf.
    fn text_double(&mut self) -> Result<f64, RdbError> {
        match self.byte()? {
            253 => Err(self.corrupt("NaN score")),
            254 => Ok(f64::INFINITY),
            255 => Ok(f64::NEG_INFINITY),
            len => {
                let text = self.take(usize::from(len))?;
                parse_score(text).ok_or_else(|| self.corrupt("bad score"))
            }
        }
    }

    /// A string holding a packed array, read by `reader`.
    fn packed(
        &mut self,
        reader: fn(&[u8]) -> Result<Vec<Bytes>, packed::PackedError>,
    ) -> Result<Vec<Bytes>, RdbError> {
        let at = self.pos;
        let blob = self.string()?;
        reader(&blob).map_err(|e| RdbError::Corrupt {
            at,
            what: e.to_string(),
        })
    }

    // ANCHOR: read_value
    /// A value of type `kind` (the byte before the key). `None` for an empty aggregate,
    /// which Redis skips on load (go-redis never keeps one).
    pub fn value(&mut self, kind: u8) -> Result<Option<Value>, RdbError> {
        let at = self.pos;
        let value = match kind {
            types::STRING => Value::Str(self.string()?.into()),
            types::LIST => {
                let n = self.count()?;
                let mut list = std::collections::VecDeque::with_capacity(n.min(PREALLOCATE_MAX));
                for _ in 0..n {
                    list.push_back(self.string()?.into());
                }
                Value::List(list)
            }
            types::SET => {
                let n = self.count()?;
                let mut members = Vec::with_capacity(n.min(PREALLOCATE_MAX));
                for _ in 0..n {
                    members.push(self.string()?);
                }
                self.set(members)?
            }
            types::ZSET | types::ZSET_2 => {
                let n = self.count()?;
                let mut zset = ZSet::new();
                for _ in 0..n {
                    let member = self.string()?;
                    let score = if kind == types::ZSET {
                        self.text_double()?
                    } else {
                        f64::from_le_bytes(self.array()?)
                    };
                    if score.is_nan() {
                        return Err(self.corrupt("NaN score"));
                    }
                    if !zset.insert(&member, score) {
                        return Err(self.corrupt("duplicate sorted set member"));
                    }
                }
                Value::ZSet(Box::new(zset))
            }
            types::HASH => {
                let n = self.count()?;
                let mut items = Vec::with_capacity(n.saturating_mul(2).min(PREALLOCATE_MAX));
                for _ in 0..n {
                    items.push(self.string()?);
                    items.push(self.string()?);
                }
                self.hash(items)?
            }
            types::LIST_ZIPLIST => Value::List(strings(self.packed(packed::ziplist)?).collect()),
            types::SET_INTSET => {
                let members = self.packed(packed::intset)?;
                self.set(members)?
            }
            types::ZSET_ZIPLIST => {
                let items = self.packed(packed::ziplist)?;
                self.zset_pairs(items)?
            }
            types::ZSET_LISTPACK => {
                let items = self.packed(packed::listpack)?;
                self.zset_pairs(items)?
            }
            types::HASH_ZIPLIST => {
                let items = self.packed(packed::ziplist)?;
                self.hash(items)?
            }
            types::HASH_LISTPACK => {
                let items = self.packed(packed::listpack)?;
                self.hash(items)?
            }
            types::LIST_QUICKLIST | types::LIST_QUICKLIST_2 => self.quicklist(kind)?,
            // Day 4: streams.
            types::STREAM_LISTPACKS | types::STREAM_LISTPACKS_2 => {
                super::stream::read_stream(self, kind == types::STREAM_LISTPACKS_2)?
            }
            _ => {
                return Err(RdbError::Unsupported {
                    what: "value type",
                    code: kind,
                    at,
                });
            }
        };
        Ok((!is_empty(&value)).then_some(value))
    }
    // ANCHOR_END: read_value

    /// A quicklist: a count of nodes, each a packed array of elements (ziplists in type
    /// 14; in type 18 a container kind first: 2 = a listpack, 1 = one plain element).
    fn quicklist(&mut self, kind: u8) -> Result<Value, RdbError> {
        let nodes = self.count()?;
        let mut list = std::collections::VecDeque::new();
        for _ in 0..nodes {
            if kind == types::LIST_QUICKLIST {
                list.extend(strings(self.packed(packed::ziplist)?));
                continue;
            }
            match self.length()? {
                1 => list.push_back(self.string()?.into()),
                2 => list.extend(strings(self.packed(packed::listpack)?)),
                other => return Err(self.corrupt(format!("unknown quicklist container {other}"))),
            }
        }
        Ok(Value::List(list))
    }

    fn set(&self, members: Vec<Bytes>) -> Result<Value, RdbError> {
        let mut set = SetValue::with_capacity_and_hasher(members.len(), Default::default());
        for member in members {
            if !set.insert(member.into()) {
                return Err(self.corrupt("duplicate set member"));
            }
        }
        Ok(Value::Set(Box::new(set)))
    }

    fn hash(&self, items: Vec<Bytes>) -> Result<Value, RdbError> {
        if !items.len().is_multiple_of(2) {
            return Err(self.corrupt("a hash field without a value"));
        }
        let mut hash = HashValue::with_capacity_and_hasher(items.len() / 2, Default::default());
        let mut items = items.into_iter();
        while let (Some(field), Some(value)) = (items.next(), items.next()) {
            if hash.insert(field.into(), value.into()).is_some() {
                return Err(self.corrupt("duplicate hash field"));
            }
        }
        Ok(Value::Hash(Box::new(hash)))
    }

    fn zset_pairs(&self, items: Vec<Bytes>) -> Result<Value, RdbError> {
        if !items.len().is_multiple_of(2) {
            return Err(self.corrupt("a sorted set member without a score"));
        }
        let mut zset = ZSet::new();
        for pair in items.chunks_exact(2) {
            let score = parse_score(&pair[1]).ok_or_else(|| self.corrupt("bad score"))?;
            if !zset.insert(&pair[0], score) {
                return Err(self.corrupt("duplicate sorted set member"));
            }
        }
        Ok(Value::ZSet(Box::new(zset)))
    }
}

fn int_text(value: i64) -> Bytes {
    Bytes::copy_from_slice(itoa::Buffer::new().format(value).as_bytes())
}

/// A score as Redis writes it in text (`1.5`, `3`, `inf`, `-inf`); NaN is refused.
fn parse_score(text: &[u8]) -> Option<f64> {
    let score: f64 = std::str::from_utf8(text).ok()?.parse().ok()?;
    (!score.is_nan()).then_some(score)
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Str(_) => false,
        Value::List(v) => v.is_empty(),
        Value::Hash(v) => v.is_empty(),
        Value::Set(v) => v.is_empty(),
        Value::ZSet(v) => v.is_empty(),
        Value::Stream(_) => false, // Day 4: streams: an empty stream is kept
    }
}

/// What loading a file found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LoadStats {
    /// Keys handed to the sink.
    pub keys: usize,
    /// Keys skipped because they had already expired.
    pub expired: usize,
    /// The file's format version.
    pub version: u32,
}

// ANCHOR: read_rdb
/// Reads a whole RDB file held in `data`, handing each live key to `sink(db, key, entry)`
/// in file order. The checksum is verified *first* (unless the file has none: a zero
/// checksum means "not computed", as `rdbchecksum no` writes), so a damaged file gives an
/// error before a single key is handed over. Keys that expired before `now` are skipped,
/// as a Redis master does; a `SELECTDB` at or past `databases` is an error.
pub fn read_rdb(
    data: &[u8],
    databases: usize,
    now: u64,
    mut sink: impl FnMut(usize, Bytes, Entry),
) -> Result<LoadStats, RdbError> {
    let mut d = Decoder::new(data);
    let magic = d.take(9).map_err(|_| RdbError::BadSignature)?;
    if &magic[..5] != b"REDIS" || !magic[5..].iter().all(u8::is_ascii_digit) {
        return Err(RdbError::BadSignature);
    }
    let version: u32 = std::str::from_utf8(&magic[5..])
        .ok()
        .and_then(|v| v.parse().ok())
        .ok_or(RdbError::BadSignature)?;
    if version == 0 || version > u32::from(RDB_VERSION) {
        return Err(RdbError::Version(version));
    }
    if version >= 5 {
        verify_checksum(data)?;
    }
    let mut stats = LoadStats {
        version,
        ..LoadStats::default()
    };
    let mut db = 0usize;
    let mut expires_at = None;
    loop {
        let at = d.position();
        let kind = d.byte()?;
        match kind {
            opcodes::EOF => break,
            opcodes::SELECTDB => {
                let index = d.length()?;
                db = usize::try_from(index)
                    .ok()
                    .filter(|&i| i < databases)
                    .ok_or(RdbError::DbOutOfRange(index, databases))?;
            }
            opcodes::RESIZEDB => {
                d.length()?;
                d.length()?;
            }
            opcodes::AUX => {
                d.string()?;
                d.string()?;
            }
            opcodes::EXPIRETIME_MS => expires_at = Some(u64::from_le_bytes(d.array()?)),
            opcodes::EXPIRETIME => {
                expires_at = Some(u64::from(u32::from_le_bytes(d.array()?)) * 1000);
            }
            opcodes::IDLE => {
                d.length()?;
            }
            opcodes::FREQ => {
                d.byte()?;
            }
            opcodes::FUNCTION2 | opcodes::FUNCTION | opcodes::MODULE_AUX => {
                return Err(RdbError::Unsupported {
                    what: "opcode (functions and modules are not supported)",
                    code: kind,
                    at,
                });
            }
            _ => {
                let key = d.string()?;
                let value = d.value(kind)?;
                let expiry = expires_at.take();
                match value {
                    _ if expiry.is_some_and(|t| t <= now) => stats.expired += 1,
                    None => {}
                    Some(value) => {
                        stats.keys += 1;
                        sink(db, key, Entry::new(value, expiry));
                    }
                }
            }
        }
    }
    Ok(stats)
}
// ANCHOR_END: read_rdb

/// Checks the last 8 bytes (little-endian CRC-64) against the CRC-64 of all the others.
/// A zero checksum means the writer did not compute one, and passes.
pub fn verify_checksum(data: &[u8]) -> Result<(), RdbError> {
    let Some(split) = data.len().checked_sub(8) else {
        return Err(RdbError::Truncated(data.len()));
    };
    let mut stored = [0u8; 8];
    stored.copy_from_slice(&data[split..]);
    let expected = u64::from_le_bytes(stored);
    if expected == 0 {
        return Ok(());
    }
    let actual = crc64(0, &data[..split]);
    if actual != expected {
        return Err(RdbError::Checksum { expected, actual });
    }
    Ok(())
}

/// A packed container's elements as list elements.
fn strings(elements: Vec<Bytes>) -> impl Iterator<Item = crate::types::StrValue> {
    elements.into_iter().map(crate::types::StrValue::from)
}
