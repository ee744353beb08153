//! Day 4 — introspection of values: OBJECT (ENCODING, REFCOUNT, IDLETIME, FREQ, HELP)
//! and MEMORY USAGE.
//!
//! Clients and test suites ask how Redis stores a value: `OBJECT ENCODING` answers
//! `listpack` for a small hash and `hashtable` for a big one. go-redis keeps one shape per
//! type (a `VecDeque`, an index map, a skiplist), so it answers the name Redis uses for the
//! large form of each type (strings get Redis's own `int`/`embstr`/`raw` rule), and
//! `MEMORY USAGE` is an estimate (payload plus a per-element overhead), not a measurement.
//! `OBJECT IDLETIME` is real: each entry keeps the second it was last used. These
//! commands describe day 4's types, so they live apart from day 3's key commands.

use bytes::Bytes;

use super::{CmdError, CmdResult, Ctx, READONLY, is};
use crate::command;
use crate::connection::Flow;
use crate::db::Value;
use crate::resp::ReplyWriter;

/// The introspection commands.
pub const COMMANDS: &[super::Command] = &[
    command!("object", -2, READONLY, (2, 2, 1), object),
    command!("memory", -2, READONLY, (2, 2, 1), memory),
];

/// The encoding name Redis would report for a value of this shape (OBJECT ENCODING).
fn encoding(value: &Value) -> &'static str {
    match value {
        Value::Str(s) if crate::cmd::parse_i64(s).is_some() => "int",
        Value::Str(s) if s.len() <= 44 => "embstr",
        Value::Str(_) => "raw",
        Value::List(_) => "quicklist",
        Value::Hash(_) | Value::Set(_) => "hashtable",
        Value::ZSet(_) => "skiplist",
        Value::Stream(_) => "stream", // Day 4: streams
    }
}

/// OBJECT HELP's lines, word for word Redis 7.0's.
const OBJECT_HELP: &[&str] = &[
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
];

/// The note Redis appends when FREQ or IDLETIME asks for what the policy does not track.
const POLICY_NOTE: &str = "Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";

fn object(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let sub = &args[1];
    // Redis 7 has OBJECT's subcommands in its command table, each with its own arity.
    let arity = if is(sub, "help") {
        2
    } else if ["encoding", "refcount", "freq", "idletime"]
        .iter()
        .any(|name| is(sub, name))
    {
        3
    } else {
        return Err(CmdError::err(format!(
            "unknown subcommand '{}'. Try OBJECT HELP.",
            String::from_utf8_lossy(sub)
                .chars()
                .take(128)
                .collect::<String>()
        )));
    };
    if args.len() != arity {
        return Err(CmdError::err(format!(
            "wrong number of arguments for 'object|{}' command",
            String::from_utf8_lossy(sub).to_lowercase()
        )));
    }
    if arity == 2 {
        cx.out.array(OBJECT_HELP.len());
        for line in OBJECT_HELP {
            cx.out.simple(line);
        }
        return Ok(Flow::Continue);
    }
    let lfu = cx
        .server
        .config
        .read()
        .other
        .get("maxmemory-policy")
        .is_some_and(|p| p.contains("lfu"));
    // OBJECT looks without touching (else IDLETIME would always answer 0).
    let now = cx.db.now;
    let Some(entry) = cx.db.peek(&args[2]) else {
        cx.out.null();
        return Ok(Flow::Continue);
    };
    if is(sub, "encoding") {
        let name = encoding(&entry.value);
        cx.out.bulk(name.as_bytes());
    } else if is(sub, "refcount") {
        cx.out.int(1); // values are never shared between keys here
    } else if is(sub, "freq") {
        if !lfu {
            return Err(CmdError::err(format!(
                "An LFU maxmemory policy is not selected, access frequency not tracked. {POLICY_NOTE}"
            )));
        }
        // go-redis keeps no access counters: under an LFU policy it answers 0.
        cx.out.int(0);
    } else {
        if lfu {
            return Err(CmdError::err(format!(
                "An LFU maxmemory policy is selected, idle time not tracked. {POLICY_NOTE}"
            )));
        }
        cx.out.int(entry.idle_secs(now) as i64);
    }
    Ok(Flow::Continue)
}

/// An estimate of the bytes a value uses (MEMORY USAGE): payload plus per-element overhead.
fn estimate(value: &Value) -> usize {
    const ELEMENT: usize = 48;
    match value {
        Value::Str(s) => s.len() + 16,
        Value::List(l) => l.iter().map(|v| v.len() + 32).sum::<usize>() + 64,
        Value::Hash(h) => {
            h.iter()
                .map(|(f, v)| f.len() + v.len() + ELEMENT)
                .sum::<usize>()
                + 64
        }
        Value::Set(s) => s.iter().map(|m| m.len() + ELEMENT).sum::<usize>() + 64,
        Value::ZSet(z) => {
            z.iter()
                .map(|(m, _)| m.len() * 2 + 2 * ELEMENT)
                .sum::<usize>()
                + 64
        }
        // Day 4: streams.
        Value::Stream(s) => {
            s.entries
                .values()
                .map(|f| f.iter().map(|b| b.len() + 8).sum::<usize>() + ELEMENT)
                .sum::<usize>()
                + s.groups
                    .values()
                    .map(|g| g.pel.len() * ELEMENT + 64)
                    .sum::<usize>()
                + 64
        }
    }
}

fn memory(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    if !is(&args[1], "usage") || args.len() < 3 {
        return Err(CmdError::err(format!(
            "unknown subcommand '{}'. Try MEMORY HELP.",
            String::from_utf8_lossy(&args[1])
        )));
    }
    let key_len = args[2].len();
    match cx.db.peek(&args[2]).map(|e| &e.value) {
        Some(value) => {
            let bytes = estimate(value) + key_len + 32;
            cx.out.int(bytes as i64);
        }
        None => cx.out.null(),
    }
    Ok(Flow::Continue)
}
