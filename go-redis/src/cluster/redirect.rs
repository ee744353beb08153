//! Day 7 — the dispatcher's cluster hook: serve the key here, redirect, or relay.
//!
//! Day 3's dispatcher reads a command's key positions from the command table to lock
//! their shards. The same positions tell a cluster node whose command it is. [`check`]
//! runs on every request a client sends, just before the dispatcher (in the database's
//! `Executor::execute`), once the command is known, authenticated and of the right arity
//! (those errors stay the dispatcher's, in Redis's order):
//!
//! - in **redirect** mode ([`route`]): all keys must hash to one slot (else
//!   `-CROSSSLOT Keys in request don't hash to the same slot`), and that slot must be
//!   served here (else `-MOVED <slot> <host>:<port>`, the owner's address). Exactly
//!   Redis's `getNodeByQuery`, minus slot migration;
//! - in **proxy** mode: a command with a key served elsewhere, or a key locked by a
//!   cross-node transaction, is parked for [`super::relay`] and the dispatcher answers
//!   [`Flow::Wait`]: the connection then awaits the relay without blocking any other
//!   client;
//! - in both: only database 0 exists (`SELECT 1` is Redis's error).
//!
//! Commands without keys (PING, INFO, CLUSTER ...) always run here.

use bytes::Bytes;

use super::slots::key_hash_slot;
use super::topology::Topology;
use super::{Cluster, Mode, relay};
use crate::cmd::{Command, Keys, NO_AUTH};
use crate::connection::Flow;
use crate::db::{Server, Session};
use crate::resp::{Output, ReplyWriter};

/// Where a command's keys say it must run (redirect mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Every key is in one slot this node serves (or there are no keys).
    Local,
    /// Every key is in `slot`, which the node at `addr` serves.
    Moved {
        /// The keys' slot.
        slot: u16,
        /// `host:port` of its owner.
        addr: String,
    },
    /// The keys hash to different slots.
    CrossSlot,
}

impl Route {
    /// The error reply for a route that is not [`Route::Local`], with Redis's words.
    pub fn error(&self) -> Option<String> {
        match self {
            Route::Local => None,
            Route::Moved { slot, addr } => Some(format!("MOVED {slot} {addr}")),
            Route::CrossSlot => {
                Some("CROSSSLOT Keys in request don't hash to the same slot".into())
            }
        }
    }
}

// ANCHOR: route
/// Redirect mode's rule: the slot of every key must be the same, and served here.
pub fn route<'k>(topology: &Topology, keys: impl Iterator<Item = &'k [u8]>) -> Route {
    // ANCHOR: ex_route
    let mut first = None;
    for key in keys {
        let slot = key_hash_slot(key);
        match first {
            None => first = Some(slot),
            Some(seen) if seen != slot => return Route::CrossSlot,
            Some(_) => {}
        }
    }
    match first {
        Some(slot) if !topology.serves(slot) => Route::Moved {
            slot,
            addr: topology.owner(slot).addr(),
        },
        _ => Route::Local,
    }
    // ANCHOR_END: ex_route
}
// ANCHOR_END: route

/// Redis's cluster-mode refusals of commands about other databases.
fn other_db_error(command: &Command, args: &[Bytes]) -> Option<&'static str> {
    let not_zero = |arg: Option<&Bytes>| {
        arg.and_then(|a| crate::cmd::parse_i64(a))
            .is_some_and(|n| n != 0)
    };
    match command.name {
        "select" if not_zero(args.get(1)) => Some("ERR SELECT is not allowed in cluster mode"),
        "move" => Some("ERR MOVE is not allowed in cluster mode"),
        "swapdb" => Some("ERR SWAPDB is not allowed in cluster mode"),
        "copy" if args.iter().any(|a| crate::cmd::is(a, "db")) => {
            Some("ERR Copying to another database is not allowed in cluster mode")
        }
        _ => None,
    }
}

// ANCHOR: check
/// The cluster hook: `None` to dispatch the request here as usual, or `Some(flow)` once
/// the reply is written (a redirect, an error) or the request is parked for the relay.
pub fn check(server: &Server, session: &Session, args: &[Bytes], out: &mut Output) -> Option<Flow> {
    let cluster = server.cluster.as_ref()?;
    // Unknown commands, NOAUTH and arity errors are the dispatcher's to answer.
    let command = crate::cmd::lookup(args.first()?)?;
    let argc = args.len() as i32;
    let arity_ok = if command.arity > 0 {
        argc == command.arity
    } else {
        argc >= -command.arity
    };
    if !arity_ok || (!session.authenticated && command.flags & NO_AUTH == 0) {
        return None;
    }
    if let Some(error) = other_db_error(command, args) {
        out.error(error);
        return Some(Flow::Continue);
    }
    // PUBLISH reaches every node's subscribers in both modes, as in Redis Cluster;
    // FLUSHALL stays local when clients are redirected (Redis Cluster's way).
    // (Inside MULTI, day 6 queues it like any other command.)
    if (cluster.mode == Mode::Proxy || command.name == "publish")
        && relay::is_broadcast(command.name)
        && !session.tx.in_multi()
    {
        cluster.park(session.id, args.to_vec());
        return Some(Flow::Wait);
    }
    let Keys::Range(first, last, step) = command.keys else {
        return None;
    };
    // Day 4: GEO — GEORADIUS names every argument in the table; route by its real keys.
    let keys = crate::cmd::geo::routed_key_args(command.name, args, first, last, step);
    match cluster.mode {
        Mode::Redirect => {
            let error = route(&cluster.topology, keys).error()?;
            out.error(&error);
            Some(Flow::Continue)
        }
        Mode::Proxy => {
            if !must_relay(cluster, keys) {
                return None;
            }
            cluster.park(session.id, args.to_vec());
            Some(Flow::Wait)
        }
    }
}
// ANCHOR_END: check

/// Proxy mode: whether any key is served by another node or locked by a transaction.
fn must_relay<'k>(cluster: &Cluster, keys: impl Iterator<Item = &'k [u8]>) -> bool {
    let topology = &cluster.topology;
    let mut any_locked = false;
    for key in keys {
        if !topology.serves(key_hash_slot(key)) {
            return true;
        }
        any_locked = any_locked || cluster.tcc.is_locked(key);
    }
    any_locked
}
