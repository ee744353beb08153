//! Day 3 — COMMAND GETKEYS, GETKEYSANDFLAGS and LIST: the command table, asked about itself.
//!
//! Cluster clients and proxies ask the server which arguments of a request are keys
//! (`COMMAND GETKEYS`), so they can route it; tools list what a server offers
//! (`COMMAND LIST FILTERBY PATTERN config*`). Both come from day 3's command table: most
//! commands name their keys by position (`(first, last, step)`), and the few whose keys
//! move (a `numkeys` argument, SORT's `STORE`) are described here, where Redis marks
//! them `movablekeys`.

use bytes::Bytes;

use super::{CmdError, Command, Keys, READONLY, WRITE, is};

/// The commands whose key positions depend on the arguments: `(name, numkeys index,
/// whether a destination key comes first)`. SORT and SORT_RO (a `STORE` key) are the other
/// movable ones.
const NUMKEYS: &[(&str, usize, bool)] = &[
    ("zunionstore", 2, true),
    ("zinterstore", 2, true),
    ("zdiffstore", 2, true),
    ("zunion", 1, false),
    ("zinter", 1, false),
    ("zdiff", 1, false),
    ("zintercard", 1, false),
    ("sintercard", 1, false),
    ("lmpop", 1, false),
    ("zmpop", 1, false),
    ("blmpop", 2, false),
    ("bzmpop", 2, false),
];

/// The subcommands COMMAND LIST shows as `parent|sub`, each with Redis's arity (COMMAND
/// INFO shows it): only those the parent implements. CLIENT's and CLUSTER's live in
/// their own tables ([`subcommands`]).
pub const SUBCOMMANDS: &[(&str, &[(&str, i32)])] = &[
    (
        "config",
        &[("get", -3), ("set", -4), ("resetstat", 2), ("rewrite", 2)],
    ),
    (
        "command",
        &[
            ("count", 2),
            ("docs", -2),
            ("getkeys", -3),
            ("getkeysandflags", -3),
            ("info", -2),
            ("list", -2),
        ],
    ),
    (
        "object",
        &[
            ("encoding", 3),
            ("freq", 3),
            ("help", 2),
            ("idletime", 3),
            ("refcount", 3),
        ],
    ),
    ("memory", &[("usage", -3)]),
];

/// The subcommands of the command `parent` with their arities, from the table that
/// answers them: CLIENT's own, CLUSTER's own (day 7), or [`SUBCOMMANDS`].
pub fn subcommands(parent: &str) -> Vec<(&'static str, i32)> {
    match parent {
        "client" => super::client::ARITY.to_vec(),
        // Day 7: CLUSTER's subcommand table (HELP, KEYSLOT, SLOTS, ...).
        "cluster" => crate::cluster::commands::SUBCOMMANDS
            .iter()
            .map(|&(name, arity, _)| (name, arity))
            .collect(),
        // Day 4: streams.
        "xgroup" => super::stream_groups::XGROUP_SUBCOMMANDS.to_vec(),
        "xinfo" => super::stream_info::XINFO_SUBCOMMANDS.to_vec(),
        _ => SUBCOMMANDS
            .iter()
            .find(|(name, _)| *name == parent)
            .map(|(_, subs)| subs.to_vec())
            .unwrap_or_default(),
    }
}

/// Whether COMMAND INFO marks the command `movablekeys`.
pub fn movable_keys(command: &Command) -> bool {
    matches!(command.name, "sort" | "sort_ro" | "georadius" | "georadiusbymember") // Day 4: GEO
        || matches!(command.name, "xread" | "xreadgroup") // Day 4: streams
        || NUMKEYS.iter().any(|(n, _, _)| *n == command.name)
}

/// The key arguments of a request (`args[0]` is the command name), or Redis's error.
pub fn keys_of(command: &Command, args: &[Bytes]) -> Result<Vec<Bytes>, CmdError> {
    let argc = args.len() as i32;
    if (command.arity > 0 && command.arity != argc) || argc < -command.arity {
        return Err(CmdError::err(
            "Invalid number of arguments specified for command",
        ));
    }
    let invalid = || CmdError::err("Invalid arguments specified for command");
    if let Some(&(_, at, dest)) = NUMKEYS.iter().find(|(n, _, _)| *n == command.name) {
        let count = args
            .get(at)
            .and_then(|n| super::parse_i64(n))
            .and_then(|n| usize::try_from(n).ok())
            .filter(|&n| n > 0 && at + n < args.len())
            .ok_or_else(invalid)?;
        let mut keys = Vec::with_capacity(count + 1);
        if dest {
            keys.push(args[1].clone());
        }
        keys.extend(args[at + 1..=at + count].iter().cloned());
        return Ok(keys);
    }
    if let Some(keys) = super::geo::movable_keys(command.name, args) {
        return Ok(keys); // Day 4: GEO's STORE / STOREDIST key
    }
    if matches!(command.name, "sort" | "sort_ro") {
        let mut keys = vec![args[1].clone()];
        let mut i = 2;
        while i + 1 < args.len() {
            if is(&args[i], "store") {
                keys.push(args[i + 1].clone());
            }
            i += 1;
        }
        return Ok(keys);
    }
    let Keys::Range(first, last, step) = command.keys else {
        return Err(CmdError::err("The command has no key arguments"));
    };
    let keys: Vec<Bytes> = super::dispatch::key_args(args, first, last, step)
        .map(Bytes::copy_from_slice)
        .collect();
    if keys.is_empty() {
        return Err(invalid());
    }
    Ok(keys)
}

/// The key-spec flags Redis gives each key of a request (COMMAND GETKEYSANDFLAGS): how
/// the command treats it (`RO`/`RW`/`OW` overwrite/`RM` remove) and what it does with it.
pub fn key_flags(command: &Command, index: usize) -> &'static [&'static str] {
    match (command.name, index) {
        ("set" | "mset" | "msetnx" | "psetex" | "setex", _) => &["OW", "update"],
        ("lmove" | "blmove" | "rpoplpush" | "brpoplpush", 0) => &["RW", "access", "delete"],
        ("lmove" | "blmove" | "rpoplpush" | "brpoplpush", _) => &["RW", "insert"],
        ("sort" | "sort_ro", 0) => &["RO", "access"],
        ("sort", _) => &["OW", "update"],
        ("del" | "unlink", _) => &["RM", "delete"],
        ("geoadd", _) => &["RW", "update"], // Day 4: GEO (and the next two lines)
        ("georadius" | "georadiusbymember", 0) | ("geosearchstore", 1) => &["RO", "access"],
        ("georadius" | "georadiusbymember" | "geosearchstore", _) => &["OW", "update"],
        _ if command.flags & WRITE != 0 => &["RW", "access", "update"],
        _ if command.flags & READONLY != 0 => &["RO", "access"],
        _ => &["RO"],
    }
}

/// COMMAND LIST's filter.
pub enum Filter {
    /// Every command and subcommand.
    All,
    /// Those whose `name` or `parent|sub` matches a glob.
    Pattern(Vec<u8>),
    /// Those in an ACL category: go-redis knows `read`, `write`, `fast` and `admin`.
    AclCat(Vec<u8>),
    /// Those of a module: go-redis has no modules.
    Module,
}

impl Filter {
    /// Parses `[FILTERBY MODULE name | ACLCAT category | PATTERN pattern]`.
    pub fn parse(args: &[Bytes]) -> Result<Filter, CmdError> {
        match args {
            [] => Ok(Filter::All),
            [by, kind, value] if is(by, "filterby") => {
                if is(kind, "module") {
                    Ok(Filter::Module)
                } else if is(kind, "aclcat") {
                    Ok(Filter::AclCat(value.to_ascii_lowercase()))
                } else if is(kind, "pattern") {
                    Ok(Filter::Pattern(value.to_ascii_lowercase()))
                } else {
                    Err(CmdError::Syntax)
                }
            }
            _ => Err(CmdError::Syntax),
        }
    }

    /// The names this filter keeps, subcommands included.
    pub fn names(&self) -> Vec<String> {
        let mut names = Vec::new();
        for command in super::all_commands() {
            let keep = match self {
                Filter::All | Filter::Pattern(_) => true,
                Filter::Module => false,
                Filter::AclCat(cat) => {
                    let flag = match cat.as_slice() {
                        b"read" => READONLY,
                        b"write" => WRITE,
                        b"fast" => super::FAST,
                        b"admin" => super::ADMIN,
                        _ => 0,
                    };
                    command.flags & flag != 0
                }
            };
            if !keep {
                continue;
            }
            names.push(command.name.to_owned());
            names.extend(
                subcommands(command.name)
                    .into_iter()
                    .map(|(sub, _)| format!("{}|{sub}", command.name)),
            );
        }
        if let Filter::Pattern(pattern) = self {
            names.retain(|n| super::args::glob_match(pattern, n.as_bytes()));
        }
        names
    }
}
