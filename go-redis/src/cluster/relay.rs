//! Day 7 — the relay (proxy mode): run a command wherever its keys live.
//!
//! godis's cluster is "transparent": a client may send any command to any node. The node
//! that receives it (the *coordinator*) looks at the keys and picks a plan ([`plan`]):
//!
//! | keys live on | plan |
//! |---|---|
//! | this node only | run it here |
//! | one other node | forward the whole request over that peer's pool, hand back the reply |
//! | several nodes, MGET / EXISTS / TOUCH | **scatter-gather**: one sub-request per node, replies merged |
//! | several nodes, MSET / MSETNX / DEL / UNLINK / RENAME / RENAMENX | a two-phase transaction ([`super::tcc`]) |
//! | several nodes, anything else | `-CROSSSLOT` (no silent wrong answer) |
//!
//! FLUSHALL, FLUSHDB and day 6's PUBLISH are **broadcast** to every node ([`BROADCAST`]);
//! their replies are merged, integers summed — which is exactly what PUBLISH needs: the
//! receivers counted on every node. (Redis Cluster spreads PUBLISH over its cluster bus;
//! here the relay does it, in both modes.)
//!
//! The dispatcher parks the request and answers `Flow::Wait`; the connection then calls
//! [`wait`], an async function, so a slow peer delays only its own client. Scatter and
//! transactions talk to one node after another: simpler to read than a fan-out, and the
//! cost is one round trip per node involved.

use bytes::Bytes;

use super::pool::PeerError;
use super::{Cluster, key_hash_slot, tcc};
use crate::cmd::dispatch::dispatch;
use crate::cmd::{Keys, lookup};
use crate::connection::{Conn, Flow};
use crate::db::{Server, Session};
use crate::resp::{Frame, Output};

/// Keyless commands every node must run (proxy mode); replies are merged by [`merge`].
pub const BROADCAST: &[&str] = &["flushall", "flushdb", "publish"];

/// Whether `name` is broadcast to every node.
pub fn is_broadcast(name: &str) -> bool {
    BROADCAST.contains(&name)
}

/// Runs `args` on this node: day 3's dispatcher, without the cluster hook (which only
/// requests from clients pass through), so FLUSHALL's local part is not broadcast again.
pub fn run_local(server: &Server, session: &mut Session, args: &[Bytes], out: &mut Output) -> Flow {
    let flow = dispatch(server, session, args, out);
    // Day 4's blocked clients may be waiting for what this command wrote.
    crate::cmd::blocking::after_command(server, flow);
    flow
}

/// [`run_local`], its reply decoded into a [`Frame`] (RESP2), to merge with peers' replies.
pub fn local_frame(server: &Server, session: &mut Session, args: &[Bytes]) -> Frame {
    let mut out = Output::with_capacity(256);
    if run_local(server, session, args, &mut out) == Flow::Wait {
        session.blocked = None;
        return Frame::Error("ERR blocking commands cannot be part of a cross-node request".into());
    }
    match Frame::parse(&out) {
        Ok(Some((frame, _))) => frame,
        _ => Frame::Error("ERR the local part of a cross-node request gave no reply".into()),
    }
}

/// The error reply for a peer that did not answer, in Redis's words for a cluster that
/// cannot serve a request.
pub fn peer_down(err: &PeerError) -> Frame {
    Frame::Error(format!("CLUSTERDOWN The cluster is down ({err})"))
}

/// Sends `args` to node `node` (by topology index): here, or over that peer's pool.
pub async fn call_node(
    server: &Server,
    cluster: &Cluster,
    session: &mut Session,
    node: usize,
    args: &[Bytes],
) -> Result<Frame, PeerError> {
    match cluster.pools.get(node).and_then(Option::as_ref) {
        Some(pool) => pool.call(args).await,
        None => Ok(local_frame(server, session, args)),
    }
}

/// What the coordinator does with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Run it here.
    Local,
    /// Send it whole to this node.
    Forward(usize),
    /// Send it to every node, merge the replies.
    Broadcast,
    /// MGET over several nodes: per-node MGETs, values put back in the keys' order.
    ScatterValues,
    /// EXISTS / TOUCH over several nodes: per-node calls, counts summed.
    ScatterSum,
    /// MSET / MSETNX / DEL / UNLINK / RENAME / RENAMENX over several nodes: a two-phase transaction.
    Transaction,
    /// Keys on several nodes for a command that cannot be split.
    CrossNode,
}

// ANCHOR: plan
/// Chooses how to run `args` from where its keys live.
pub fn plan(cluster: &Cluster, args: &[Bytes]) -> Plan {
    let Some(command) = lookup(&args[0]) else {
        return Plan::Local; // the dispatcher answers unknown commands
    };
    if is_broadcast(command.name) {
        return Plan::Broadcast;
    }
    let Keys::Range(first, last, step) = command.keys else {
        return Plan::Local;
    };
    let topology = &cluster.topology;
    // Day 4: GEO — GEORADIUS names every argument in the table; route by its real keys.
    let mut nodes = crate::cmd::geo::routed_key_args(command.name, args, first, last, step)
        .map(|k| topology.owner_index(key_hash_slot(k)));
    let Some(node) = nodes.next() else {
        return Plan::Local;
    };
    if nodes.all(|n| n == node) {
        return if node == topology.myself_index() {
            Plan::Local
        } else {
            Plan::Forward(node)
        };
    }
    match command.name {
        "mget" => Plan::ScatterValues,
        "exists" | "touch" => Plan::ScatterSum,
        "mset" | "msetnx" | "del" | "unlink" | "rename" | "renamenx" => Plan::Transaction,
        _ => Plan::CrossNode,
    }
}
// ANCHOR_END: plan

/// Groups the key arguments `args[1..]` by owner node, `stride` arguments per key
/// (1 for MGET/DEL, 2 for MSET's key-value pairs): `(node, argument positions)`, nodes
/// in first-seen order.
pub fn group_by_node(cluster: &Cluster, args: &[Bytes], stride: usize) -> Vec<(usize, Vec<usize>)> {
    let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
    for position in (1..args.len()).step_by(stride.max(1)) {
        let node = cluster.topology.owner_index(key_hash_slot(&args[position]));
        match groups.iter_mut().find(|(n, _)| *n == node) {
            Some((_, positions)) => positions.push(position),
            None => groups.push((node, vec![position])),
        }
    }
    groups
}

/// Builds the sub-request for some key positions: the command name, then `stride`
/// arguments from each position.
pub fn sub_request(args: &[Bytes], positions: &[usize], stride: usize) -> Vec<Bytes> {
    let mut sub = vec![args[0].clone()];
    for &p in positions {
        sub.extend(args[p..].iter().take(stride).cloned());
    }
    sub
}

/// Merges replies of the same request from several nodes: the first error wins, integers
/// are summed (FLUSHALL's `OK`s stay `OK`; PUBLISH's receiver counts add up).
pub fn merge(replies: Vec<Frame>) -> Frame {
    if let Some(error) = replies.iter().find(|r| matches!(r, Frame::Error(_))) {
        return error.clone();
    }
    if !replies.is_empty() && replies.iter().all(|r| matches!(r, Frame::Integer(_))) {
        let sum = replies
            .iter()
            .map(|r| if let Frame::Integer(n) = r { *n } else { 0 })
            .fold(0i64, i64::saturating_add);
        return Frame::Integer(sum);
    }
    replies
        .into_iter()
        .next()
        .unwrap_or(Frame::Simple("OK".into()))
}

/// Runs a planned cross-node request and returns its reply.
pub async fn execute(
    server: &Server,
    cluster: &Cluster,
    session: &mut Session,
    plan: Plan,
    args: &[Bytes],
) -> Frame {
    match plan {
        Plan::Local => local_frame(server, session, args),
        Plan::Forward(node) => call_node(server, cluster, session, node, args)
            .await
            .unwrap_or_else(|e| peer_down(&e)),
        Plan::Broadcast => {
            // Peers get `_local <command>`, so they run it instead of broadcasting it again.
            let mut wrapped = vec![Bytes::from_static(b"_local")];
            wrapped.extend(args.iter().cloned());
            let mut replies = Vec::new();
            for (node, pool) in cluster.pools.iter().enumerate() {
                let request = if pool.is_some() { &wrapped[..] } else { args };
                match call_node(server, cluster, session, node, request).await {
                    Ok(reply) => replies.push(reply),
                    Err(err) => return peer_down(&err),
                }
            }
            merge(replies)
        }
        Plan::ScatterValues | Plan::ScatterSum => {
            let mut values = vec![Frame::Null; args.len()];
            let mut counts = Vec::new();
            for (node, positions) in group_by_node(cluster, args, 1) {
                let sub = sub_request(args, &positions, 1);
                let reply = match call_node(server, cluster, session, node, &sub).await {
                    Ok(Frame::Array(items)) if items.len() == positions.len() => {
                        for (p, item) in positions.iter().zip(items) {
                            values[*p] = item;
                        }
                        continue;
                    }
                    Ok(reply) => reply,
                    Err(err) => return peer_down(&err),
                };
                match reply {
                    Frame::Integer(_) if plan == Plan::ScatterSum => counts.push(reply),
                    Frame::Error(_) => return reply,
                    _ => return Frame::Error("ERR unexpected reply from a cluster node".into()),
                }
            }
            if plan == Plan::ScatterSum {
                merge(counts)
            } else {
                Frame::Array(values.into_iter().skip(1).collect())
            }
        }
        Plan::Transaction => tcc::coordinate(server, cluster, session, args).await,
        Plan::CrossNode => Frame::Error(
            "CROSSSLOT Keys in request don't hash to the same slot (and live on different nodes)"
                .into(),
        ),
    }
}

// ANCHOR: wait
/// The connection's side of the relay: takes the parked request, waits while a
/// cross-node transaction holds one of its keys (bounded by the lock timeout), runs its
/// plan and writes the reply. Returns `true` when the connection must close.
pub async fn wait(server: &Server, session: &mut Session, conn: Conn<'_>) -> std::io::Result<bool> {
    let Some(cluster) = server.cluster.as_ref() else {
        return Ok(false);
    };
    let give_up = tokio::time::Instant::now() + cluster.tcc.lock_timeout() * 2;
    while let Some(args) = cluster.take_parked(session.id) {
        let locked = lookup(&args[0]).is_some_and(|command| match command.keys {
            Keys::Range(f, l, s) => {
                crate::cmd::geo::routed_key_args(command.name, &args, f, l, s) // Day 4: GEO
                    .any(|k| cluster.tcc.is_locked(k))
            }
            _ => false,
        });
        if locked && tokio::time::Instant::now() < give_up {
            let released = cluster.tcc.released();
            tokio::select! {
                () = released => {}
                () = tokio::time::sleep(std::time::Duration::from_millis(20)) => {}
                () = conn.shutdown.cancelled() => return Ok(true),
            }
            cluster.park(session.id, args);
            continue;
        }
        match plan(cluster, &args) {
            Plan::Local => match run_local(server, session, &args, conn.output) {
                Flow::Continue => return Ok(false),
                Flow::Close => return Ok(true),
                // A blocking command on a key served here (BLPOP): day 4's wait.
                Flow::Wait => return crate::cmd::blocking::wait(server, session, conn).await,
            },
            plan => {
                let reply = execute(server, cluster, session, plan, &args).await;
                reply.encode(conn.output);
                return Ok(false);
            }
        }
    }
    Ok(false)
}
// ANCHOR_END: wait
