//! Day 3 — server and connection commands: PING, ECHO, QUIT, AUTH, HELLO, INFO, CONFIG,
//! COMMAND, CLIENT, TIME, FUNCTION FLUSH.
//!
//! None of these touch keys, but clients depend on them before they send a single GET:
//! `redis-cli` asks `COMMAND DOCS` for hints, `redis-benchmark` reads `CONFIG GET save`,
//! the Redis test harness runs `FLUSHALL`, `FUNCTION FLUSH` and `CONFIG SET` before every
//! test group, and client libraries send `HELLO` or `CLIENT SETNAME`. Answering them the
//! way Redis does is what makes the server usable by real tools.

use bytes::Bytes;

use super::{ADMIN, CmdError, CmdResult, Command, Ctx, FAST, Keys, NO_AUTH, READONLY, WRITE, is};
use crate::command;
use crate::connection::Flow;
use crate::resp::ReplyWriter;

/// The Redis version this server presents itself as (what the TCL suite targets).
pub const REDIS_VERSION: &str = "7.0.15";

/// The server commands.
pub const COMMANDS: &[Command] = &[
    command!("ping", -1, FAST, none, ping),
    command!("echo", 2, FAST, none, echo),
    command!("quit", -1, FAST | NO_AUTH, none, quit),
    command!("auth", -2, FAST | NO_AUTH, none, auth),
    command!("hello", -1, FAST | NO_AUTH, none, hello),
    command!("info", -1, 0, none, super::info::info),
    command!("config", -2, ADMIN, none, config),
    command!("command", -1, 0, none, command),
    command!("client", -2, 0, none, super::client::client), // Day 3: cmd/client.rs
    command!("monitor", 1, ADMIN, none, super::monitor::monitor), // Day 3: cmd/monitor.rs
    command!("time", 1, FAST, none, time),
    command!("function", -2, WRITE, none, function),
    command!("lastsave", 1, FAST, none, lastsave),
];

fn ping(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    match args.len() {
        1 => cx.out.simple("PONG"),
        2 => cx.out.bulk(&args[1]),
        _ => {
            return Err(CmdError::err(
                "wrong number of arguments for 'ping' command",
            ));
        }
    }
    Ok(Flow::Continue)
}

fn echo(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    cx.out.bulk(&args[1]);
    Ok(Flow::Continue)
}

fn quit(cx: &mut Ctx<'_>, _args: &[Bytes]) -> CmdResult {
    cx.out.ok();
    Ok(Flow::Close)
}

fn check_password(cx: &mut Ctx<'_>, user: Option<&[u8]>, password: &[u8]) -> Result<(), CmdError> {
    let required = cx.server.config.read().requirepass.clone();
    let Some(required) = required else {
        if user.is_none() {
            return Err(CmdError::err(
                "AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
            ));
        }
        if user.is_some_and(|u| u == b"default") {
            cx.session.authenticated = true;
            return Ok(());
        }
        return Err(CmdError::Other(
            "WRONGPASS invalid username-password pair or user is disabled.".into(),
        ));
    };
    let user_ok = user.is_none_or(|u| u == b"default");
    if user_ok && password == required.as_ref() {
        cx.session.authenticated = true;
        Ok(())
    } else {
        Err(CmdError::Other(
            "WRONGPASS invalid username-password pair or user is disabled.".into(),
        ))
    }
}

fn auth(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    match args.len() {
        2 => check_password(cx, None, &args[1])?,
        3 => check_password(cx, Some(&args[1]), &args[2])?,
        _ => return Err(CmdError::Syntax),
    }
    cx.out.ok();
    Ok(Flow::Continue)
}

// ANCHOR: hello
/// HELLO [protover [AUTH user pass] [SETNAME name]]: switch protocol, authenticate and
/// name the connection in one round trip, answered with a map describing the server. In
/// Redis's order: the version, then the options (all parsed before any acts), then the
/// password, then the authentication check, then the name, and only then the switch.
fn hello(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let mut version = None;
    if let Some(arg) = args.get(1) {
        match super::parse_i64(arg) {
            Some(v @ (2 | 3)) => version = Some(v),
            Some(_) => {
                return Err(CmdError::Other(
                    "NOPROTO unsupported protocol version".into(),
                ));
            }
            None => {
                return Err(CmdError::err(
                    "Protocol version is not an integer or out of range",
                ));
            }
        }
    }
    let (mut credentials, mut name) = (None, None);
    let mut i = 2;
    while i < args.len() {
        let more = args.len() - 1 - i;
        if is(&args[i], "auth") && more >= 2 {
            credentials = Some((&args[i + 1], &args[i + 2]));
            i += 3;
        } else if is(&args[i], "setname") && more >= 1 {
            name = Some(&args[i + 1]);
            i += 2;
        } else {
            return Err(CmdError::err(format!(
                "Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(&args[i])
            )));
        }
    }
    if let Some((user, password)) = credentials {
        check_password(cx, Some(user), password)?;
    }
    if !cx.session.authenticated {
        return Err(CmdError::Other("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time".into()));
    }
    if let Some(name) = name {
        super::client::check_client_name(name)?;
        super::client::set_name(cx, name);
    }
    if let Some(version) = version {
        cx.out.set_resp3(version == 3);
    }
    let proto = cx.out.protocol();
    let out = &mut *cx.out;
    out.map(7);
    for (k, v) in [("server", "redis"), ("version", REDIS_VERSION)] {
        out.bulk(k.as_bytes());
        out.bulk(v.as_bytes());
    }
    out.bulk(b"proto");
    out.int(proto);
    out.bulk(b"id");
    out.int(cx.session.id as i64);
    // Day 7: a cluster node says so.
    let mode = if cx.server.cluster.is_some() {
        "cluster"
    } else {
        "standalone"
    };
    for (k, v) in [("mode", mode), ("role", "master")] {
        out.bulk(k.as_bytes());
        out.bulk(v.as_bytes());
    }
    out.bulk(b"modules");
    out.array(0);
    Ok(Flow::Continue)
}
// ANCHOR_END: hello

fn config(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let sub = String::from_utf8_lossy(&args[1]).to_ascii_lowercase();
    match sub.as_str() {
        "get" if args.len() >= 3 => {
            let mut all = cx.server.config.read().all();
            let mut pairs: Vec<&(String, String)> = Vec::new();
            // Day 3: a hidden parameter answers only when named exactly, as in Redis.
            for name in &args[2..] {
                let name = String::from_utf8_lossy(name).to_ascii_lowercase();
                if let Some(value) = crate::Config::hidden(&name) {
                    all.push((name, value.to_owned()));
                }
            }
            for pattern in &args[2..] {
                let pattern = pattern.to_ascii_lowercase();
                let glob = pattern.iter().any(|c| b"*?[".contains(c));
                for pair in &all {
                    let hit = if glob {
                        crate::Config::hidden(&pair.0).is_none()
                            && super::args::glob_match(&pattern, pair.0.as_bytes())
                    } else {
                        pair.0.as_bytes() == pattern.as_slice()
                    };
                    if hit && !pairs.contains(&pair) {
                        pairs.push(pair);
                    }
                }
            }
            cx.out.map(pairs.len());
            for (k, v) in pairs {
                cx.out.bulk(k.as_bytes());
                cx.out.bulk(v.as_bytes());
            }
        }
        "set" if args.len() >= 4 && args.len().is_multiple_of(2) => {
            let mut config = cx.server.config.write();
            let mut updated = config.clone();
            // Day 3: names first (immutable, repeated), then values, as Redis checks them.
            super::config_set::check_names(&args[2..])?;
            for pair in args[2..].chunks_exact(2) {
                let name = String::from_utf8_lossy(&pair[0]).to_ascii_lowercase();
                let value = String::from_utf8_lossy(&pair[1]).into_owned();
                if super::config_set::unchanged_address(&config, &name, &value)? {
                    continue;
                }

                if let Some(why) = crate::Config::refuses(&name, &value) {
                    return Err(CmdError::err(format!(
                        "CONFIG SET failed (possibly related to argument '{name}') - {why}"
                    )));
                }
                updated.set(&name, &value).map_err(|e| {
                    CmdError::err(format!(
                        "CONFIG SET failed (possibly related to argument '{name}') - {e}"
                    ))
                })?;
            }
            *config = updated;
            drop(config);
            // Day 5: switch the AOF on or off, apply appendfsync.
            crate::aof::apply_config(cx.server).map_err(|e| {
                CmdError::err(format!(
                    "CONFIG SET failed (possibly related to argument 'appendonly') - {e}"
                ))
            })?;
            cx.out.ok();
        }
        // Day 3: RESETSTAT zeroes INFO's counters (db/mod.rs `Stats::reset`); REWRITE
        // writes the running configuration back into the config file (config/rewrite.rs).
        "resetstat" if args.len() == 2 => {
            cx.server.stats.reset();
            for db in cx.server.dbs() {
                db.reset_read_stats();
            }
            crate::aof::reset_stats(cx.server); // Day 5: aof_rewrites and its failures
            cx.out.ok();
        }
        "rewrite" if args.len() == 2 => {
            crate::config::rewrite::rewrite(&cx.server.config)
                .map_err(|e| CmdError::err(e.to_string()))?;
            cx.out.ok();
        }
        "get" | "set" | "resetstat" | "rewrite" => {
            return Err(CmdError::err(format!(
                "wrong number of arguments for 'config|{sub}' command"
            )));
        }
        _ => {
            return Err(CmdError::err(format!(
                "unknown subcommand '{}'. Try CONFIG HELP.",
                String::from_utf8_lossy(&args[1])
            )));
        }
    }
    Ok(Flow::Continue)
}

/// A `parent|sub` name (`config|get`, any case): the parent, the subcommand's name as
/// COMMAND LIST writes it, and its arity; `None` unless the parent has that subcommand.
fn lookup_subcommand(name: &[u8]) -> Option<(&'static Command, &'static str, i32)> {
    let bar = name.iter().position(|&b| b == b'|')?;
    let command = super::lookup(&name[..bar])?;
    super::introspect::subcommands(command.name)
        .into_iter()
        .find(|(sub, _)| sub.as_bytes().eq_ignore_ascii_case(&name[bar + 1..]))
        .map(|(sub, arity)| (command, sub, arity))
}

/// Writes the COMMAND INFO entry of one command (the Redis 7 ten-element form).
fn write_command_info(cx: &mut Ctx<'_>, command: &Command) {
    // Day 3: the subcommands (CONFIG GET, CLUSTER HELP, ...) are entries of their own,
    // named `parent|sub`, with the parent's flags and keys.
    let subs = super::introspect::subcommands(command.name);
    write_command_entry(cx, command, command.name, command.arity, false);
    cx.out.array(subs.len());
    for (sub, arity) in subs {
        let name = format!("{}|{sub}", command.name);
        write_command_entry(cx, command, &name, arity, true);
    }
}

/// The first nine fields of a COMMAND INFO entry (`name` and `arity` may be a
/// subcommand's); a subcommand's entry ends with its own empty subcommand list.
fn write_command_entry(cx: &mut Ctx<'_>, command: &Command, name: &str, arity: i32, sub: bool) {
    let out = &mut *cx.out;
    out.array(10);
    out.bulk(name.as_bytes());
    out.int(arity as i64);
    let mut flags = Vec::new();
    if command.flags & WRITE != 0 {
        flags.push("write");
    }
    if command.flags & READONLY != 0 {
        flags.push("readonly");
    }
    if command.flags & FAST != 0 {
        flags.push("fast");
    }
    if command.flags & ADMIN != 0 {
        flags.push("admin");
    }
    if command.flags & NO_AUTH != 0 {
        flags.push("no_auth");
    }
    if super::introspect::movable_keys(command) {
        flags.push("movablekeys"); // Day 3: keys found by a numkeys argument or STORE
    }
    out.array(flags.len());
    for flag in flags {
        out.simple(flag);
    }
    let (first, last, step) = match command.keys {
        Keys::Range(f, l, s) => (f as i64, l as i64, s as i64),
        Keys::None | Keys::All => (0, 0, 0),
    };
    out.int(first);
    out.int(last);
    out.int(step);
    out.array(0); // ACL categories
    out.array(0); // tips
    out.array(0); // key specs
    if sub {
        out.array(0); // a subcommand has no subcommands
    }
}

fn command(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let Some(sub) = args.get(1) else {
        let all: Vec<&Command> = super::all_commands().collect();
        cx.out.array(all.len());
        for c in all {
            write_command_info(cx, c);
        }
        return Ok(Flow::Continue);
    };
    if is(sub, "count") {
        cx.out.int(super::all_commands().count() as i64);
    } else if is(sub, "info") {
        cx.out.array(args.len() - 2);
        for name in &args[2..] {
            if let Some(c) = super::lookup(name) {
                write_command_info(cx, c);
            } else if let Some((c, sub, arity)) = lookup_subcommand(name) {
                // `COMMAND INFO config|get`: the subcommand's own entry.
                let name = format!("{}|{sub}", c.name);
                write_command_entry(cx, c, &name, arity, true);
            } else {
                cx.out.null_array();
            }
        }
    } else if is(sub, "docs") {
        // No documentation to offer: redis-cli falls back to plain completion.
        cx.out.array(0);
    } else if is(sub, "list") {
        // Day 3: subcommands too, and FILTERBY (cmd/introspect.rs).
        let names = super::introspect::Filter::parse(&args[2..])?.names();
        cx.out.array(names.len());
        for n in names {
            cx.out.bulk(n.as_bytes());
        }
    } else if (is(sub, "getkeys") || is(sub, "getkeysandflags")) && args.len() >= 3 {
        // Day 3: which arguments of a request are keys (cmd/introspect.rs).
        let command =
            super::lookup(&args[2]).ok_or_else(|| CmdError::err("Invalid command specified"))?;
        let keys = super::introspect::keys_of(command, &args[2..])?;
        cx.out.array(keys.len());
        for (i, key) in keys.iter().enumerate() {
            if is(sub, "getkeys") {
                cx.out.bulk(key);
            } else {
                let flags = super::introspect::key_flags(command, i);
                cx.out.array(2);
                cx.out.bulk(key);
                cx.out.array(flags.len());
                for flag in flags {
                    cx.out.simple(flag);
                }
            }
        }
    } else {
        return Err(CmdError::err(format!(
            "unknown subcommand '{}'. Try COMMAND HELP.",
            String::from_utf8_lossy(sub)
        )));
    }
    Ok(Flow::Continue)
}

fn time(cx: &mut Ctx<'_>, _args: &[Bytes]) -> CmdResult {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    cx.out.array(2);
    cx.out.bulk(now.as_secs().to_string().as_bytes());
    cx.out.bulk(now.subsec_micros().to_string().as_bytes());
    Ok(Flow::Continue)
}

fn function(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    // There are no functions (no scripting): FLUSH has nothing to do and succeeds, as the
    // Redis test harness expects before every test group.
    if is(&args[1], "flush") {
        cx.out.ok();
    } else if is(&args[1], "list") {
        cx.out.array(0);
    } else {
        return Err(CmdError::err("functions are not supported by this server"));
    }
    Ok(Flow::Continue)
}

fn lastsave(cx: &mut Ctx<'_>, _args: &[Bytes]) -> CmdResult {
    let started = crate::db::now_ms() / 1000 - cx.server.started.elapsed().as_secs();
    // Day 5: the time of the last successful save, if any.
    let started = cx.server.rdb.last_save().unwrap_or(started);
    cx.out.int(started as i64);
    Ok(Flow::Continue)
}
