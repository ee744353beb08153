//! Day 5 — RDB snapshots: the whole keyspace in Redis's own binary format.
//!
//! An RDB file is a point-in-time image of every database: a header (`REDIS0010`), a few
//! `AUX` fields (which Redis wrote it, when), then for each database a `SELECTDB` and its
//! keys, each key with its type, optional expiry and value, and at the end an `EOF` byte
//! and a CRC-64 of everything before it. We write and read *Redis's* format, not one of
//! our own, so the tools of the Redis world work on our files: `redis-check-rdb` checks
//! them, a real `redis-server` starts from them, and go-redis starts from theirs.
//!
//! The pieces, one idea per module:
//!
//! - [`crc64`] — the checksum at the end of files and DUMP payloads;
//! - [`lzf`] — the compression Redis applies to long strings;
//! - [`packed`] — the listpack, ziplist and intset arrays Redis stores small values in;
//! - [`encode`] / [`decode`] — lengths, strings, values and whole files;
//! - [`payload`] — DUMP/RESTORE's serialized values (the same value encoding, framed);
//! - [`snapshot`] — SAVE, BGSAVE without `fork`, loading at start, the save points.

pub mod crc64;
pub mod decode;
pub mod encode;
pub mod listpack_writer; // Day 4: streams
pub mod lzf;
pub mod packed;
pub mod payload;
pub mod snapshot;
pub mod stream; // Day 4: streams

pub use snapshot::{RdbState, load_at_start};

/// The format version we write: Redis 7.0's. We read versions 1 to 10.
pub const RDB_VERSION: u16 = 10;

/// Value type bytes (rdb.h's `RDB_TYPE_*`): what follows a key's type byte.
pub mod types {
    /// A string.
    pub const STRING: u8 = 0;
    /// A list as a plain sequence of strings.
    pub const LIST: u8 = 1;
    /// A set as a plain sequence of strings.
    pub const SET: u8 = 2;
    /// A sorted set with scores as text (old).
    pub const ZSET: u8 = 3;
    /// A hash as field/value string pairs.
    pub const HASH: u8 = 4;
    /// A sorted set with binary (little-endian f64) scores.
    pub const ZSET_2: u8 = 5;
    /// Module values: refused.
    pub const MODULE: u8 = 6;
    /// Module values, version 2: refused.
    pub const MODULE_2: u8 = 7;
    /// A Redis 2.x zipmap hash: refused.
    pub const HASH_ZIPMAP: u8 = 9;
    /// A list as one ziplist.
    pub const LIST_ZIPLIST: u8 = 10;
    /// A set of integers as an intset.
    pub const SET_INTSET: u8 = 11;
    /// A sorted set as a ziplist of member, score pairs.
    pub const ZSET_ZIPLIST: u8 = 12;
    /// A hash as a ziplist of field, value pairs.
    pub const HASH_ZIPLIST: u8 = 13;
    /// A list as a quicklist of ziplists (Redis 3.2–6).
    pub const LIST_QUICKLIST: u8 = 14;
    /// A stream: refused.
    pub const STREAM_LISTPACKS: u8 = 15;
    /// A hash as a listpack of field, value pairs (Redis 7).
    pub const HASH_LISTPACK: u8 = 16;
    /// A sorted set as a listpack of member, score pairs (Redis 7).
    pub const ZSET_LISTPACK: u8 = 17;
    /// A list as a quicklist of listpacks or plain nodes (Redis 7).
    pub const LIST_QUICKLIST_2: u8 = 18;
    /// A stream, version 2: refused.
    pub const STREAM_LISTPACKS_2: u8 = 19;
}

/// Opcodes: bytes in a key's type position that are not types (rdb.h's `RDB_OPCODE_*`).
pub mod opcodes {
    /// Functions (Redis 7): refused.
    pub const FUNCTION2: u8 = 245;
    /// Functions, 7.0 release candidates: refused.
    pub const FUNCTION: u8 = 246;
    /// Module auxiliary data: refused.
    pub const MODULE_AUX: u8 = 247;
    /// The next key's LRU idle time (read past: a loaded key reads as just used).
    pub const IDLE: u8 = 248;
    /// The next key's LFU counter (skipped).
    pub const FREQ: u8 = 249;
    /// An auxiliary `name value` field.
    pub const AUX: u8 = 250;
    /// The sizes of the database that follows (a hint for pre-sizing tables).
    pub const RESIZEDB: u8 = 251;
    /// The next key's expiry, Unix milliseconds, 8 bytes little-endian.
    pub const EXPIRETIME_MS: u8 = 252;
    /// The next key's expiry, Unix seconds, 4 bytes (old files).
    pub const EXPIRETIME: u8 = 253;
    /// The database the following keys go to.
    pub const SELECTDB: u8 = 254;
    /// The end of the data; the 8-byte checksum follows.
    pub const EOF: u8 = 255;
}

/// Why an RDB file or a DUMP payload could not be written or read. Every length and
/// byte in a file is checked before use, so a damaged file gives one of these, never a
/// panic or a huge allocation.
#[derive(Debug, thiserror::Error)]
pub enum RdbError {
    /// Reading or writing the file failed.
    #[error("RDB I/O: {0}")]
    Io(#[from] std::io::Error),
    /// The file does not start with `REDIS` and a four-digit version.
    #[error("not an RDB file (wrong signature)")]
    BadSignature,
    /// A version newer than Redis 7.0's.
    #[error("can't handle RDB format version {0} (this server reads 1 to {RDB_VERSION})")]
    Version(u32),
    /// The data ends before what it announced.
    #[error("unexpected end of RDB data at byte {0} (truncated file?)")]
    Truncated(usize),
    /// The CRC-64 at the end does not match the data.
    #[error(
        "wrong RDB checksum: expected {expected:016x}, got {actual:016x} (corrupt or truncated file)"
    )]
    Checksum {
        /// The checksum the file carries.
        expected: u64,
        /// The checksum of the data.
        actual: u64,
    },
    /// A value type or opcode go-redis has no counterpart for (modules, streams, functions).
    #[error("unsupported RDB {what} {code} at byte {at}")]
    Unsupported {
        /// "value type" or "opcode".
        what: &'static str,
        /// The byte.
        code: u8,
        /// Where it is.
        at: usize,
    },
    /// Data that cannot be right (a bad encoding, a duplicate member, a NaN score...).
    #[error("bad RDB data at byte {at}: {what}")]
    Corrupt {
        /// Where the problem was found.
        at: usize,
        /// What is wrong.
        what: String,
    },
    /// A `SELECTDB` past the databases this server has.
    #[error("RDB file selects database {0}, but this server has {1} databases")]
    DbOutOfRange(u64, usize),
}
