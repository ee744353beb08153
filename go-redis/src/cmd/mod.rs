//! Day 3 — the command table: name, arity, flags, key positions, and the function to run.
//!
//! Like Redis's `redisCommandTable` and godis's `cmdTable`, one table describes every
//! command, and the dispatcher ([`dispatch::dispatch`]) does the checks common to all
//! of them *before* a command runs: unknown names, wrong argument counts (the arity:
//! `3` means exactly three words including the name, `-3` at least three) and which
//! arguments are keys, so their shards can be locked up front. A command function then
//! only does its own job, and answers failures with a [`CmdError`] whose text is the
//! exact Redis error string clients and test suites compare against.
//!
//! One file per command family: [`strings`], [`bitops`], [`keys`], [`server`] (day 3), and [`lists`],
//! [`hashes`], [`sets`], [`zsets`], [`sort`] (day 4), [`tx`] and [`pubsub`] (day 6).

pub mod args;
pub mod bitops;
pub mod blocking;
pub mod client; // Day 3: CLIENT LIST / KILL / PAUSE / REPLY
pub mod config_set; // Day 3: CONFIG SET's checks
pub mod dispatch;
// Day 5: DUMP and RESTORE.
pub mod dump;
pub mod geo; // Day 4: GEO
pub mod geo_search; // Day 4: GEO
pub mod hashes;
pub mod info;
pub mod introspect; // Day 3: COMMAND GETKEYS / LIST
pub mod keys;
pub mod lcs;
pub mod lists;
pub mod long_double; // Day 3: INCRBYFLOAT's 80-bit arithmetic
pub mod monitor; // Day 3: MONITOR
pub mod object;
pub mod pause; // Day 3: CLIENT PAUSE holds commands
pub mod pubsub; // Day 6
pub mod server;
pub mod sets;
// Day 5: SAVE, BGSAVE, DEBUG RELOAD.
pub mod snapshot;
pub mod sort;
pub mod stream_groups; // Day 4: streams
pub mod stream_info; // Day 4: streams
pub mod streams; // Day 4: streams
pub mod strings;
pub mod subscribed; // Day 6
pub mod ttl;
pub mod tx; // Day 6
pub mod zset_algebra;
pub mod zsets;

use std::collections::HashMap;
use std::sync::OnceLock;

use bytes::Bytes;

use crate::connection::Flow;
use crate::db::keyspace::{HashValue, ListValue, SetValue};
use crate::db::{Locked, Server, Session, Value};
use crate::types::ZSet;
use std::collections::VecDeque;

pub use args::{
    ScanOptions, clamp_range, is, parse_cursor, parse_f64, parse_float, parse_i64, parse_int,
    parse_scan_options, scan_step, write_scan_reply,
};

/// A command failed: the reply is `-<this error's text>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CmdError {
    /// The key holds another type.
    #[error("WRONGTYPE Operation against a key holding the wrong kind of value")]
    WrongType,
    /// An argument that must be an integer is not (or is out of range).
    #[error("ERR value is not an integer or out of range")]
    NotInteger,
    /// An argument that must be a float is not.
    #[error("ERR value is not a valid float")]
    NotFloat,
    /// Options that do not fit together, or an unknown option.
    #[error("ERR syntax error")]
    Syntax,
    /// The key must exist (RENAME, LSET).
    #[error("ERR no such key")]
    NoSuchKey,
    /// An index outside the value (LSET).
    #[error("ERR index out of range")]
    IndexOutOfRange,
    /// INCR and friends would overflow 64 bits.
    #[error("ERR increment or decrement would overflow")]
    Overflow,
    /// SELECT/MOVE to a database that does not exist.
    #[error("ERR DB index is out of range")]
    DbOutOfRange,
    /// Any other error, already including its code (`ERR ...`).
    #[error("{0}")]
    Other(String),
}

impl CmdError {
    /// An `ERR <message>` error.
    pub fn err(message: impl std::fmt::Display) -> Self {
        CmdError::Other(format!("ERR {message}"))
    }
}

/// What a command returns: how the connection goes on, or an error reply.
pub type CmdResult = Result<Flow, CmdError>;

/// Which arguments are keys.
#[derive(Debug, Clone, Copy)]
pub enum Keys {
    /// No keys (PING, SELECT, INFO) — or keys in another database, locked by the command.
    None,
    /// `(first, last, step)`: `last < 0` counts from the end (`-1` = the last argument).
    Range(i32, i32, usize),
    /// Every key of the database (KEYS, SCAN, DBSIZE, FLUSHDB).
    All,
}

/// The command changes data.
pub const WRITE: u32 = 1;
/// The command only reads.
pub const READONLY: u32 = 1 << 1;
/// O(1) or O(log n).
pub const FAST: u32 = 1 << 2;
/// Allowed before AUTH.
pub const NO_AUTH: u32 = 1 << 3;
/// Administrative.
pub const ADMIN: u32 = 1 << 4;
/// Changes nothing in the keyspace but is sent on to others, like a write (PUBLISH):
/// CLIENT PAUSE WRITE holds it, as Redis's `may-replicate` flag does.
pub const MAY_REPLICATE: u32 = 1 << 5;

/// One entry of the command table.
#[derive(Debug)]
pub struct Command {
    /// Lower-case name.
    pub name: &'static str,
    /// Exact word count if positive, minimum if negative (the name counts).
    pub arity: i32,
    /// [`WRITE`], [`READONLY`], [`FAST`], ... or-ed.
    pub flags: u32,
    /// Where the keys are.
    pub keys: Keys,
    /// The implementation.
    pub run: fn(&mut Ctx<'_>, &[Bytes]) -> CmdResult,
}

/// Builds a [`Command`] entry tersely: `command!("get", 2, READONLY | FAST, (1, 1, 1), get)`.
#[macro_export]
macro_rules! command {
    ($name:literal, $arity:expr, $flags:expr, none, $run:expr) => {
        $crate::cmd::Command {
            name: $name,
            arity: $arity,
            flags: $flags,
            keys: $crate::cmd::Keys::None,
            run: $run,
        }
    };
    ($name:literal, $arity:expr, $flags:expr, all, $run:expr) => {
        $crate::cmd::Command {
            name: $name,
            arity: $arity,
            flags: $flags,
            keys: $crate::cmd::Keys::All,
            run: $run,
        }
    };
    ($name:literal, $arity:expr, $flags:expr, ($f:expr, $l:expr, $s:expr), $run:expr) => {
        $crate::cmd::Command {
            name: $name,
            arity: $arity,
            flags: $flags,
            keys: $crate::cmd::Keys::Range($f, $l, $s),
            run: $run,
        }
    };
}

/// What a command works with.
pub struct Ctx<'a> {
    /// The selected database, with the command's keys locked.
    pub db: Locked<'a>,
    /// Where the reply goes.
    pub out: &'a mut crate::resp::Output,
    /// The client's state.
    pub session: &'a mut Session,
    /// The whole server (other databases, config, stats).
    pub server: &'a Server,
}

/// Every command family's table (a `Vec`, so a day adds its line without counting).
fn families() -> Vec<&'static [Command]> {
    vec![
        strings::COMMANDS,
        keys::COMMANDS,
        object::COMMANDS,
        ttl::COMMANDS,
        server::COMMANDS,
        lists::COMMANDS,
        hashes::COMMANDS,
        sets::COMMANDS,
        zsets::COMMANDS,
        zset_algebra::COMMANDS,
        strings::BITS,
        bitops::COMMANDS,
        lcs::COMMANDS,
        blocking::BLOCKING,
        sort::COMMANDS,
        geo::COMMANDS,                      // Day 4: GEO
        streams::COMMANDS,                  // Day 4: streams
        stream_groups::COMMANDS,            // Day 4: streams
        stream_info::COMMANDS,              // Day 4: streams
        tx::COMMANDS,                       // Day 6
        pubsub::COMMANDS,                   // Day 6
        crate::cluster::commands::COMMANDS, // Day 7
        crate::cluster::tcc::COMMANDS,      // Day 7
        // Day 5: snapshots, DUMP/RESTORE.
        snapshot::COMMANDS,
        dump::COMMANDS,
        crate::aof::rewrite::COMMANDS, // Day 5: BGREWRITEAOF
    ]
}

/// Every command, in table order.
pub fn all_commands() -> impl Iterator<Item = &'static Command> {
    families().into_iter().flatten()
}

type Table = HashMap<&'static [u8], (usize, &'static Command), foldhash::fast::RandomState>;

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        all_commands()
            .enumerate()
            .map(|(i, c)| (c.name.as_bytes(), (i, c)))
            .collect()
    })
}

// ANCHOR: lookup
/// Finds a command by name, ignoring ASCII case, without allocating.
pub fn lookup(name: &[u8]) -> Option<&'static Command> {
    lookup_indexed(name).map(|(_, c)| c)
}

/// [`lookup`], also returning the command's position in the table (for call counters).
pub fn lookup_indexed(name: &[u8]) -> Option<(usize, &'static Command)> {
    let mut lower = [0u8; 32];
    let lower = lower.get_mut(..name.len())?;
    for (l, c) in lower.iter_mut().zip(name) {
        *l = c.to_ascii_lowercase();
    }
    table().get(&*lower).copied()
}
// ANCHOR_END: lookup

/// Redis's message for a command it does not know, with the first arguments quoted.
pub fn unknown_command_message(args: &[Bytes]) -> String {
    let name = String::from_utf8_lossy(&args[0]);
    let mut text: String = format!(
        "ERR unknown command '{}', with args beginning with: ",
        name.chars().take(128).collect::<String>()
    );
    for arg in args.iter().skip(1).take(10) {
        let arg = String::from_utf8_lossy(arg);
        text.push_str(&format!("'{}' ", arg.chars().take(128).collect::<String>()));
    }
    text
}

// ---- typed access to values, with WRONGTYPE ----

macro_rules! typed_access {
    ($get:ident, $get_or_create:ident, $variant:ident, $ty:ty, $new:expr) => {
        /// The value at `key` if it has this type (`None` if missing, WRONGTYPE otherwise).
        pub fn $get<'a>(
            db: &'a mut Locked<'_>,
            key: &[u8],
        ) -> Result<Option<&'a mut $ty>, CmdError> {
            match db.get(key) {
                None => Ok(None),
                Some(Value::$variant(v)) => Ok(Some(v)),
                Some(_) => Err(CmdError::WrongType),
            }
        }

        /// The value at `key`, created empty if missing (WRONGTYPE if another type).
        pub fn $get_or_create<'a>(
            db: &'a mut Locked<'_>,
            key: &[u8],
        ) -> Result<&'a mut $ty, CmdError> {
            if !db.exists(key) {
                db.set(key, Value::$variant($new), false);
            }
            match db.get(key) {
                Some(Value::$variant(v)) => Ok(v),
                _ => Err(CmdError::WrongType),
            }
        }
    };
}

typed_access!(list, list_or_create, List, ListValue, VecDeque::new());
typed_access!(hash, hash_or_create, Hash, Box<HashValue>, Box::default());
typed_access!(set, set_or_create, Set, Box<SetValue>, Box::default());
typed_access!(zset, zset_or_create, ZSet, Box<ZSet>, Box::new(ZSet::new()));

/// Deletes `key` if it holds an empty list, hash, set or sorted set: Redis never keeps
/// empty aggregates (a key exists iff it has elements).
pub fn drop_if_empty(db: &mut Locked<'_>, key: &[u8]) {
    let empty = match db.get(key) {
        Some(Value::List(v)) => v.is_empty(),
        Some(Value::Hash(v)) => v.is_empty(),
        Some(Value::Set(v)) => v.is_empty(),
        Some(Value::ZSet(v)) => v.is_empty(),
        _ => false,
    };
    if empty {
        db.remove(key);
    }
}
