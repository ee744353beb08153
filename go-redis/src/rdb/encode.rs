//! Day 5 — writing RDB: lengths, strings, values and whole files in Redis 7.0's format.
//!
//! Everything in an RDB file is built from two primitives: a *length* (a variable-size
//! integer whose first two bits say how many bytes it takes) and a *string* (a length,
//! then the bytes). A value is a type byte and a few of those; a file is a header, AUX
//! fields, then per database `SELECTDB`, `RESIZEDB` and the keys, then `EOF` and a CRC-64.
//!
//! We write the *plain* encoding of every type (type 1 list, 2 set, 4 hash, 5 sorted set
//! with binary scores, strings uncompressed). Redis itself prefers packed listpacks for
//! small values, but it loads the plain forms of every version (and repacks small values
//! as it loads), so plain is the simplest correct choice: one short function per type.
//! The [`Encoder`] checksums bytes as they go out, so a file is written in one pass.

use std::io::Write;

use super::crc64::crc64;
use super::{RDB_VERSION, opcodes, types};
use crate::db::{Entry, Value};

/// Writes RDB primitives to `W`, keeping the running CRC-64 of everything written.
pub struct Encoder<W: Write> {
    out: W,
    crc: u64,
}

impl<W: Write> Encoder<W> {
    /// An encoder writing to `out`, checksum zero.
    pub fn new(out: W) -> Self {
        Self { out, crc: 0 }
    }

    /// Writes raw bytes (and checksums them).
    pub fn raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.crc = crc64(self.crc, bytes);
        self.out.write_all(bytes)
    }

    // ANCHOR: length
    /// A length: `00xxxxxx` up to 63, `01xxxxxx xxxxxxxx` up to 16383, then `0x80` and
    /// 4 big-endian bytes, or `0x81` and 8. (The `11` prefix marks special string
    /// encodings, which only the reader needs.)
    pub fn length(&mut self, len: u64) -> std::io::Result<()> {
        if len < 1 << 6 {
            self.raw(&[len as u8])
        } else if len < 1 << 14 {
            self.raw(&[0x40 | (len >> 8) as u8, len as u8])
        } else if len <= u64::from(u32::MAX) {
            let mut buf = [0x80, 0, 0, 0, 0];
            buf[1..].copy_from_slice(&(len as u32).to_be_bytes());
            self.raw(&buf)
        } else {
            let mut buf = [0x81, 0, 0, 0, 0, 0, 0, 0, 0];
            buf[1..].copy_from_slice(&len.to_be_bytes());
            self.raw(&buf)
        }
    }
    // ANCHOR_END: length

    /// A string: its length, then its bytes.
    pub fn string(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.length(bytes.len() as u64)?;
        self.raw(bytes)
    }

    // ANCHOR: value
    /// A value's type byte, then the value ([`Encoder::body`]).
    pub fn value(&mut self, value: &Value) -> std::io::Result<()> {
        self.raw(&[type_byte(value)])?;
        self.body(value)
    }

    /// A value without its type byte: a string, or a count and then the elements (hash
    /// fields and values alternate; a sorted set's scores are 8-byte little-endian
    /// doubles). go-redis never keeps empty aggregates, so every count is at least one.
    pub fn body(&mut self, value: &Value) -> std::io::Result<()> {
        match value {
            Value::Str(s) => self.string(s),
            Value::List(list) => {
                self.length(list.len() as u64)?;
                list.iter().try_for_each(|item| self.string(item))
            }
            Value::Set(set) => {
                self.length(set.len() as u64)?;
                set.iter().try_for_each(|member| self.string(member))
            }
            Value::Hash(hash) => {
                self.length(hash.len() as u64)?;
                hash.iter().try_for_each(|(field, value)| {
                    self.string(field)?;
                    self.string(value)
                })
            }
            Value::ZSet(zset) => {
                self.length(zset.len() as u64)?;
                zset.iter().try_for_each(|(member, score)| {
                    self.string(member)?;
                    self.raw(&score.to_le_bytes())
                })
            }
            Value::Stream(stream) => super::stream::write_stream(self, stream), // Day 4: streams
        }
    }
    // ANCHOR_END: value

    /// The file header: `REDIS` and the version as four digits.
    pub fn header(&mut self) -> std::io::Result<()> {
        self.raw(format!("REDIS{RDB_VERSION:04}").as_bytes())
    }

    /// An AUX field (`redis-ver 7.0.15`, `ctime 1700000000`, ...).
    pub fn aux(&mut self, name: &str, value: &str) -> std::io::Result<()> {
        self.raw(&[opcodes::AUX])?;
        self.string(name.as_bytes())?;
        self.string(value.as_bytes())
    }

    /// `SELECTDB index`, then `RESIZEDB keys expires`: the start of one database.
    pub fn select_db(&mut self, index: usize, keys: usize, expires: usize) -> std::io::Result<()> {
        self.raw(&[opcodes::SELECTDB])?;
        self.length(index as u64)?;
        self.raw(&[opcodes::RESIZEDB])?;
        self.length(keys as u64)?;
        self.length(expires as u64)
    }

    /// One key: `EXPIRETIME_MS` if it has a TTL, then its value's type, the key, the value.
    pub fn key(&mut self, key: &[u8], entry: &Entry) -> std::io::Result<()> {
        if let Some(at) = entry.expires_at {
            self.raw(&[opcodes::EXPIRETIME_MS])?;
            self.raw(&at.to_le_bytes())?;
        }
        // The type byte comes before the key, the value's body after it.
        self.raw(&[type_byte(&entry.value)])?;
        self.string(key)?;
        self.body(&entry.value)
    }

    /// `EOF` and the checksum of everything before it; returns the writer.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.raw(&[opcodes::EOF])?;
        let crc = self.crc;
        self.out.write_all(&crc.to_le_bytes())?;
        Ok(self.out)
    }

    /// The CRC-64 of everything written so far.
    pub fn crc(&self) -> u64 {
        self.crc
    }

    /// The writer underneath (without writing EOF).
    pub fn into_inner(self) -> W {
        self.out
    }
}

/// The type byte go-redis writes for `value`: the plain encoding of its type.
pub fn type_byte(value: &Value) -> u8 {
    match value {
        Value::Str(_) => types::STRING,
        Value::List(_) => types::LIST,
        Value::Set(_) => types::SET,
        Value::Hash(_) => types::HASH,
        Value::ZSet(_) => types::ZSET_2,
        Value::Stream(_) => types::STREAM_LISTPACKS_2, // Day 4: streams
    }
}

/// Writes a whole RDB file to `out`: header, AUX fields, then for each database
/// (`dbs[i]` = database i's keys) its keys, then EOF and the checksum.
pub fn write_rdb<W: Write>(out: W, dbs: &[Vec<(crate::db::Key, Entry)>]) -> std::io::Result<W> {
    let mut enc = Encoder::new(out);
    enc.header()?;
    enc.aux("redis-ver", crate::cmd::server::REDIS_VERSION)?;
    enc.aux("redis-bits", &(usize::BITS).to_string())?;
    enc.aux("ctime", &(crate::db::now_ms() / 1000).to_string())?;
    enc.aux("used-mem", "0")?;
    enc.aux("aof-base", "0")?;
    for (index, keys) in dbs.iter().enumerate() {
        if keys.is_empty() {
            continue;
        }
        let expires = keys.iter().filter(|(_, e)| e.expires_at.is_some()).count();
        enc.select_db(index, keys.len(), expires)?;
        for (key, entry) in keys {
            enc.key(key, entry)?;
        }
    }
    enc.finish()
}
