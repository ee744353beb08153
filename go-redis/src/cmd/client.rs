//! Day 3 — the CLIENT command: naming, listing, killing and pausing connections.
//!
//! Operators and tools look at a server through CLIENT: `CLIENT LIST` shows every
//! connection (who, from where, idle how long, running what), `CLIENT KILL` ends one,
//! `CLIENT PAUSE` holds traffic during a failover, `CLIENT REPLY OFF` turns a connection
//! into a fire-and-forget pipe, and client libraries name their connections with
//! `CLIENT SETNAME`. Every answer follows Redis 7.0.15's `clientCommand` (`networking.c`):
//! the same subcommands, the same line format, the same errors in the same order. The
//! facts about *other* clients come from the registry in [`crate::db::clients`].

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use super::{CmdError, CmdResult, Ctx, is};
use crate::connection::Flow;
use crate::db::clients::Client;
use crate::db::{ReplyMode, Session};
use crate::resp::{Output, ReplyWriter};

/// CLIENT HELP's lines, as Redis 7.0.15 prints them.
const HELP: &[&str] = &[
    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CACHING (YES|NO)",
    "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT] [NOLOOP]",
    "    Control server assisted client side caching.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
    "HELP",
    "    Prints this help.",
];

/// The subcommands and their arities (Redis 7.0's `client|...` table): an argument count
/// outside it is `wrong number of arguments for 'client|<sub>' command`.
pub const ARITY: &[(&str, i32)] = &[
    ("caching", 3),
    ("getname", 2),
    ("getredir", 2),
    ("help", 2),
    ("id", 2),
    ("info", 2),
    ("kill", -3),
    ("list", -2),
    ("no-evict", 3),
    ("no-touch", 3),
    ("pause", -3),
    ("reply", 3),
    ("setname", 3),
    ("tracking", -3),
    ("trackinginfo", 2),
    ("unblock", -3),
    ("unpause", 2),
];

/// The commands with subcommands: CLIENT LIST names them `client|list`.
pub const HAS_SUBCOMMANDS: &[&str] = &[
    "client", "config", "command", "object", "memory", "function", "script", "debug", "acl",
    "cluster", "latency", "slowlog", "module", "pubsub", "xinfo", "xgroup",
];

/// After every command: CLIENT REPLY OFF drops its reply, and SKIP the next one's. Redis
/// turns SKIP into "skip this one" when the SKIP command itself ends. Day 6: the replies
/// of (P|S)SUBSCRIBE and their UNSUBSCRIBEs are pushes, which Redis 7.0 sends even with
/// replies off, so a silenced subscriber still learns its subscriptions.
pub fn after_command(session: &mut Session, args: &[Bytes], out: &mut Output, mark: usize) {
    if session.reply == ReplyMode::On {
        return;
    }
    let push = super::pubsub::is_subscription_command(&args[0]); // Day 6
    match session.reply {
        ReplyMode::On => {}
        ReplyMode::Off => {
            if !push {
                out.truncate(mark);
            }
        }
        ReplyMode::SkipNext => {
            out.truncate(mark);
            session.reply = ReplyMode::Skip;
        }
        ReplyMode::Skip => {
            if !push {
                out.truncate(mark);
            }
            session.reply = ReplyMode::On;
        }
    }
}

// ANCHOR: client
/// `CLIENT <subcommand> ...`: the subcommand's arity first (Redis's subcommand table), then
/// the subcommand itself.
pub fn client(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let sub = &args[1];
    let Some(&(name, arity)) = ARITY.iter().find(|(name, _)| is(sub, name)) else {
        return Err(CmdError::err(format!(
            "unknown subcommand '{}'. Try CLIENT HELP.",
            String::from_utf8_lossy(sub)
        )));
    };
    let argc = args.len() as i32;
    if (arity > 0 && argc != arity) || argc < -arity {
        return Err(CmdError::err(format!(
            "wrong number of arguments for 'client|{name}' command"
        )));
    }
    match name {
        "help" => {
            cx.out.array(HELP.len());
            for line in HELP {
                cx.out.simple(line);
            }
        }
        "id" => cx.out.int(cx.session.id as i64),
        "info" => {
            let line = info_line(cx, &cx.session.client, args);
            cx.out.verbatim("txt", line.as_bytes());
        }
        "list" => list(cx, args)?,
        "kill" => return kill(cx, args),
        "setname" => {
            check_client_name(&args[2])?;
            set_name(cx, &args[2]);
            cx.out.ok();
        }
        "getname" => match &cx.session.name {
            Some(name) => cx.out.bulk(name),
            None => cx.out.null(),
        },
        "reply" => {
            if is(&args[2], "on") {
                cx.session.reply = ReplyMode::On;
                cx.out.ok();
            } else if is(&args[2], "off") {
                cx.session.reply = ReplyMode::Off;
            } else if is(&args[2], "skip") {
                if cx.session.reply != ReplyMode::Off {
                    cx.session.reply = ReplyMode::SkipNext;
                }
            } else {
                return Err(CmdError::Syntax);
            }
        }
        "pause" => pause(cx, args)?,
        "unpause" => {
            cx.server.clients.unpause();
            cx.out.ok();
        }
        "unblock" => unblock(cx, args)?,
        "no-evict" | "no-touch" => {
            if !(is(&args[2], "on") || is(&args[2], "off")) {
                return Err(CmdError::Syntax);
            }
            cx.out.ok();
        }
        "caching" => {
            return Err(CmdError::err(
                "CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled",
            ));
        }
        "tracking" if is(&args[2], "off") => cx.out.ok(),
        "getredir" => cx.out.int(-1),
        _ => {
            return Err(CmdError::err(format!(
                "CLIENT {} is not supported by this server",
                name.to_ascii_uppercase()
            )));
        }
    }
    Ok(Flow::Continue)
}
// ANCHOR_END: client

/// CLIENT SETNAME's rule (HELLO SETNAME too): no spaces, newlines or other special bytes.
pub fn check_client_name(name: &[u8]) -> Result<(), CmdError> {
    if name.iter().any(|&b| b <= b' ' || b > b'~') {
        return Err(CmdError::err(
            "Client names cannot contain spaces, newlines or special characters.",
        ));
    }
    Ok(())
}

/// Names the connection (an empty name clears it), in the session and in the registry.
pub fn set_name(cx: &mut Ctx<'_>, name: &Bytes) {
    let name = (!name.is_empty()).then(|| name.clone());
    cx.session.client.set_name(name.clone());
    cx.session.name = name;
}

/// CLIENT LIST [TYPE normal|master|replica|pubsub] | [ID id ...].
fn list(cx: &mut Ctx<'_>, args: &[Bytes]) -> Result<(), CmdError> {
    let clients: Vec<Arc<Client>> = if args.len() == 4 && is(&args[2], "type") {
        match client_type(&args[3])? {
            ClientType::Normal => cx.server.clients.all(),
            ClientType::Other => Vec::new(),
        }
    } else if args.len() > 3 && is(&args[2], "id") {
        let mut found = Vec::new();
        for id in &args[3..] {
            let id = super::parse_i64(id).ok_or_else(|| CmdError::err("Invalid client ID"))?;
            if let Some(client) = u64::try_from(id)
                .ok()
                .and_then(|id| cx.server.clients.get(id))
            {
                found.push(client);
            }
        }
        found
    } else if args.len() != 2 {
        return Err(CmdError::Syntax);
    } else {
        cx.server.clients.all()
    };
    let mut text = String::new();
    for client in &clients {
        text.push_str(&info_line(cx, client, args));
    }
    cx.out.verbatim("txt", text.as_bytes());
    Ok(())
}

/// What CLIENT LIST/KILL TYPE can name: every client here is `normal` (replicas and
/// masters do not exist; pub/sub clients arrive on day 6).
enum ClientType {
    Normal,
    Other,
}

fn client_type(name: &[u8]) -> Result<ClientType, CmdError> {
    if is(name, "normal") {
        Ok(ClientType::Normal)
    } else if ["master", "replica", "slave", "pubsub"]
        .iter()
        .any(|t| is(name, t))
    {
        Ok(ClientType::Other)
    } else {
        Err(CmdError::err(format!(
            "Unknown client type '{}'",
            String::from_utf8_lossy(name)
        )))
    }
}

// ANCHOR: info_line
/// One CLIENT LIST line, with Redis 7.0's fields in Redis's order. The fields go-redis has
/// no counterpart for (replication buffers, tracking) show what Redis shows for a client
/// that does not use them.
fn info_line(cx: &Ctx<'_>, client: &Client, args: &[Bytes]) -> String {
    let me = client.id == cx.session.id;
    let activity = client.activity();
    let flags = if cx.server.blocked_ids.lock().contains_key(&client.id) {
        "b"
    } else {
        "N"
    };
    // The query buffer still holds the request being run (Redis frees it afterwards).
    let (qbuf, argv_mem) = if me {
        let argv: usize = args.iter().map(|a| a.len()).sum();
        let encoded: usize = format!("*{}\r\n", args.len()).len()
            + args
                .iter()
                .map(|a| format!("${}\r\n", a.len()).len() + a.len() + 2)
                .sum::<usize>();
        (encoded, argv)
    } else {
        (0, 0)
    };
    let name = client.name().unwrap_or_default();
    format!(
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={flags} db={} sub={} psub={} \
         ssub={} multi={} qbuf={qbuf} qbuf-free={} argv-mem={argv_mem} multi-mem=0 rbs=1024 \
         rbp=0 obl=0 oll=0 omem=0 tot-mem={} events=r cmd={} user=default redir=-1 resp={}\n",
        client.id,
        client.addr,
        client.laddr,
        client.fd,
        String::from_utf8_lossy(&name),
        client.connected.elapsed().as_secs(),
        crate::db::now_ms().saturating_sub(activity.at) / 1000,
        if me {
            cx.session.db
        } else {
            client.db.load(std::sync::atomic::Ordering::Relaxed)
        },
        client.subscriptions[0].load(std::sync::atomic::Ordering::Relaxed),
        client.subscriptions[1].load(std::sync::atomic::Ordering::Relaxed),
        client.subscriptions[2].load(std::sync::atomic::Ordering::Relaxed),
        client.multi.load(std::sync::atomic::Ordering::Relaxed),
        crate::connection::READ_CHUNK.saturating_sub(qbuf),
        qbuf + 20 * 1024,
        activity.command,
        activity.resp,
    )
}
// ANCHOR_END: info_line

// ANCHOR: kill
/// CLIENT KILL ip:port (old form: `OK` or `No such client`), or CLIENT KILL with filters
/// (ID, TYPE, ADDR, LADDR, USER, SKIPME), answering how many were killed. Other clients'
/// connections end at once through their tokens; this client's own closes after the reply.
fn kill(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (mut addr, mut laddr, mut id, mut normal) = (None, None, None, true);
    let old_form = args.len() == 3;
    let mut skipme = !old_form;
    if old_form {
        addr = Some(&args[2]);
    } else {
        let mut i = 2;
        while i < args.len() {
            let (option, value) = match args.get(i + 1) {
                Some(value) => (&args[i], value),
                None => return Err(CmdError::Syntax),
            };
            if is(option, "id") {
                let n = super::parse_i64(value)
                    .filter(|&n| n >= 1)
                    .ok_or_else(|| CmdError::err("client-id should be greater than 0"))?;
                id = Some(n as u64);
            } else if is(option, "type") {
                normal = matches!(client_type(value)?, ClientType::Normal);
            } else if is(option, "addr") {
                addr = Some(value);
            } else if is(option, "laddr") {
                laddr = Some(value);
            } else if is(option, "user") {
                if value.as_ref() != b"default" {
                    return Err(CmdError::err(format!(
                        "No such user '{}'",
                        String::from_utf8_lossy(value)
                    )));
                }
            } else if is(option, "skipme") {
                skipme = if is(value, "yes") {
                    true
                } else if is(value, "no") {
                    false
                } else {
                    return Err(CmdError::Syntax);
                };
            } else {
                return Err(CmdError::Syntax);
            }
            i += 2;
        }
    }
    let (mut killed, mut close_me) = (0, false);
    for client in cx.server.clients.all() {
        let me = client.id == cx.session.id;
        if addr.is_some_and(|a| a.as_ref() != client.addr.as_bytes())
            || laddr.is_some_and(|a| a.as_ref() != client.laddr.as_bytes())
            || id.is_some_and(|id| id != client.id)
            || !normal
            || (me && skipme)
        {
            continue;
        }
        if me {
            close_me = true; // after the reply is written
        } else {
            client.kill();
        }
        killed += 1;
    }
    if old_form {
        if killed == 0 {
            return Err(CmdError::err("No such client"));
        }
        cx.out.ok();
    } else {
        cx.out.int(killed);
    }
    Ok(if close_me {
        Flow::Close
    } else {
        Flow::Continue
    })
}
// ANCHOR_END: kill

/// CLIENT PAUSE timeout [WRITE|ALL]: the mode is checked before the timeout, as in
/// Redis; the commands it holds wait in [`super::pause`].
fn pause(cx: &mut Ctx<'_>, args: &[Bytes]) -> Result<(), CmdError> {
    if args.len() > 4 {
        return Err(CmdError::err(
            "unknown subcommand or wrong number of arguments for 'pause'. Try CLIENT HELP.",
        ));
    }
    let all = match args.get(3) {
        None => true,
        Some(mode) if is(mode, "all") => true,
        Some(mode) if is(mode, "write") => false,
        Some(_) => return Err(CmdError::err("CLIENT PAUSE mode must be WRITE or ALL")),
    };
    let ms = super::parse_i64(&args[2])
        .ok_or_else(|| CmdError::err("timeout is not an integer or out of range"))?;
    if ms < 0 {
        return Err(CmdError::err("timeout is negative"));
    }
    let until = std::time::Instant::now() + Duration::from_millis(ms as u64);
    cx.server.clients.pause(until, all);
    cx.out.ok();
    Ok(())
}

/// Day 4: `CLIENT UNBLOCK <id> [TIMEOUT|ERROR]` ends another client's BLPOP (and friends),
/// as a timeout or an error.
fn unblock(cx: &mut Ctx<'_>, args: &[Bytes]) -> Result<(), CmdError> {
    if args.len() > 4 {
        return Err(CmdError::err(
            "unknown subcommand or wrong number of arguments for 'unblock'. Try CLIENT HELP.",
        ));
    }
    let error = match args.get(3) {
        None => false,
        Some(reason) if is(reason, "timeout") => false,
        Some(reason) if is(reason, "error") => true,
        Some(_) => {
            return Err(CmdError::err(
                "CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
            ));
        }
    };
    let id = super::parse_int(&args[2])?;
    let done = u64::try_from(id).is_ok_and(|id| super::blocking::unblock(cx.server, id, error));
    cx.out.int(i64::from(done));
    Ok(())
}
