//! Day 7 — cross-node transactions: try, then commit or cancel, everywhere or nowhere.
//!
//! `MSET a 1 b 2` in proxy mode may put `a` on one node and `b` on another. Sending each
//! node its half is not enough: if the second node is down, `a` changed and `b` did not.
//! godis runs these commands (MSET, MSETNX, DEL, RENAME) as a TCC transaction — *try,
//! confirm, cancel*, a form of two-phase commit. The node the client talks to is the
//! **coordinator** ([`coordinate`]); every node holding some of the keys is a
//! **participant** ([`Participant`]), driven by four internal commands whose names no
//! Redis command can have:
//!
//! 1. `_tcc_prepare <txid> <command...>` — *try*: lock the keys (refused if another
//!    transaction holds one), check the command can succeed (MSETNX: no key exists);
//!    change nothing yet.
//! 2. `_tcc_commit <txid>` — apply it, keeping an *undo log* (each key's old entry) and
//!    the locks.
//! 3. `_tcc_rollback <txid>` — *cancel*: restore the undo log if committed, release.
//! 4. `_tcc_finish <txid>` — everyone committed: drop the undo log, release.
//!
//! RENAME moves a value between nodes: the coordinator first reads the source's entry
//! (`_tcc_read`, the value and its TTL as a list of strings), then the source's node
//! prepares `renamefrom` (still the same value? then lock it) and the destination's node
//! prepares `renameto` with the value; commit deletes one and stores the other.
//!
//! The coordinator commits only if every participant prepared, and rolls everyone back if
//! any commit fails (a participant that died mid-transaction): all or nothing. A
//! coordinator that dies leaves locks behind, so every lock expires after
//! `cluster-lock-timeout` (3 s, as godis): the one safety net two-phase commit has.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::sync::Notify;

use super::Cluster;
use super::relay::{call_node, group_by_node, peer_down, sub_request};
use crate::cmd::{CmdError, CmdResult, Command, Ctx, WRITE, is};
use crate::command;
use crate::connection::Flow;
use crate::db::{Entry, Server, Session, Value, now_ms};
use crate::resp::{Frame, ReplyWriter};
use crate::types::StrValue;

/// The participant's internal commands.
pub const COMMANDS: &[Command] = &[
    command!("_tcc_read", 2, 0, none, read),
    command!("_tcc_prepare", -4, WRITE, none, prepare),
    command!("_tcc_commit", 2, WRITE, none, commit),
    command!("_tcc_rollback", 2, WRITE, none, rollback),
    command!("_tcc_finish", 2, WRITE, none, finish),
];

/// One prepared (maybe committed) transaction on a participant.
#[derive(Debug)]
struct Tx {
    /// The command to apply, name first.
    op: Vec<Bytes>,
    /// The keys it locks.
    keys: Vec<Bytes>,
    /// When its locks expire.
    deadline: Instant,
    /// After commit: each key's entry before it (`None`: the key did not exist).
    undo: Option<Vec<(Bytes, Option<Entry>)>>,
}

#[derive(Debug, Default)]
struct State {
    txs: HashMap<Bytes, Tx>,
    locks: HashMap<Bytes, Bytes>,
}

impl State {
    /// Forgets transactions past their deadline, releasing their keys (a committed one
    /// keeps its writes: its coordinator decided before it vanished).
    fn expire(&mut self, now: Instant) -> usize {
        let expired: Vec<Bytes> = self
            .txs
            .iter()
            .filter(|(_, tx)| tx.deadline <= now)
            .map(|(id, _)| id.clone())
            .collect();
        for id in &expired {
            self.release(id);
        }
        expired.len()
    }

    fn release(&mut self, id: &[u8]) -> Option<Tx> {
        let tx = self.txs.remove(id)?;
        for key in &tx.keys {
            if self.locks.get(key).is_some_and(|holder| holder == id) {
                self.locks.remove(key);
            }
        }
        Some(tx)
    }
}

/// A node's part in cross-node transactions: the transactions it prepared and the keys
/// they lock.
#[derive(Debug)]
pub struct Participant {
    state: Mutex<State>,
    /// How many keys are locked: lets [`Participant::is_locked`] skip the mutex when 0.
    locked: AtomicUsize,
    released: Notify,
    lock_timeout: Duration,
}

impl Participant {
    /// A participant whose locks expire after `lock_timeout`.
    pub fn new(lock_timeout: Duration) -> Self {
        Self {
            state: Mutex::new(State::default()),
            locked: AtomicUsize::new(0),
            released: Notify::new(),
            lock_timeout,
        }
    }

    /// How long a prepared transaction may hold its keys.
    pub fn lock_timeout(&self) -> Duration {
        self.lock_timeout
    }

    /// Whether a live transaction holds `key` (plain commands on it wait: see the relay).
    pub fn is_locked(&self, key: &[u8]) -> bool {
        if self.locked.load(Ordering::Acquire) == 0 {
            return false;
        }
        let mut state = self.state.lock();
        if state.expire(Instant::now()) > 0 {
            self.after_release(&state);
        }
        state.locks.contains_key(key)
    }

    /// Completes when some transaction releases its keys.
    pub fn released(&self) -> impl Future<Output = ()> + '_ {
        self.released.notified()
    }

    fn after_release(&self, state: &State) {
        self.locked.store(state.locks.len(), Ordering::Release);
        self.released.notify_waiters();
    }
}

/// The keys of an operation a participant accepts, or why it refuses it.
fn op_keys(op: &[Bytes]) -> Result<Vec<Bytes>, CmdError> {
    let name = &op[0];
    if is(name, "mset") || is(name, "msetnx") {
        if op.len() < 3 || op.len().is_multiple_of(2) {
            return Err(CmdError::err("wrong number of arguments for a transaction"));
        }
        Ok(op[1..].iter().step_by(2).cloned().collect())
    } else if is(name, "del") || is(name, "unlink") {
        Ok(op[1..].to_vec())
    } else if is(name, "renamefrom") || is(name, "renameto") || is(name, "renametonx") {
        // `<op> <key> <entry...>`: the entry is checked (from) or stored (to).
        decode_entry(&op[2..])?;
        Ok(vec![op[1].clone()])
    } else {
        Err(CmdError::err(format!(
            "'{}' cannot run in a cross-node transaction",
            String::from_utf8_lossy(name)
        )))
    }
}

fn participant<'a>(cx: &Ctx<'a>) -> Result<&'a Participant, CmdError> {
    cx.server
        .cluster
        .as_ref()
        .map(|c| &c.tcc)
        .ok_or_else(|| CmdError::err("This instance has cluster support disabled"))
}

/// `_tcc_prepare <txid> <command...>`: lock the keys and check; `+OK`, `:0` when MSETNX
/// finds a key that exists, or an error (a key locked by another transaction).
fn prepare(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let tcc = participant(cx)?;
    let (id, op) = (&args[1], &args[2..]);
    let keys = op_keys(op)?;
    let mut state = tcc.state.lock();
    state.expire(Instant::now());
    if state.txs.contains_key(id) {
        return Err(CmdError::err("transaction id already in use"));
    }
    if let Some(key) = keys.iter().find(|k| state.locks.contains_key(*k)) {
        return Err(CmdError::Other(format!(
            "TRYAGAIN key '{}' is locked by another cross-node transaction",
            String::from_utf8_lossy(key)
        )));
    }
    let db = cx.server.db(0).ok_or(CmdError::DbOutOfRange)?;
    let mut locked = db.lock(keys.iter().map(|k| k.as_ref()), now_ms());
    if (is(&op[0], "msetnx") || is(&op[0], "renametonx")) && keys.iter().any(|k| locked.exists(k)) {
        cx.out.int(0);
        return Ok(Flow::Continue);
    }
    if is(&op[0], "renamefrom")
        && locked.entry(&op[1]).map(|e| encode_entry(e)) != Some(op[2..].to_vec())
    {
        return Err(CmdError::Other(
            "TRYAGAIN the source key changed while RENAME moved it".into(),
        ));
    }
    drop(locked);
    for key in &keys {
        state.locks.insert(key.clone(), id.clone());
    }
    state.txs.insert(
        id.clone(),
        Tx {
            op: op.to_vec(),
            keys,
            deadline: Instant::now() + tcc.lock_timeout,
            undo: None,
        },
    );
    tcc.locked.store(state.locks.len(), Ordering::Release);
    cx.out.ok();
    Ok(Flow::Continue)
}

/// `_tcc_commit <txid>`: apply the prepared command, remember the old entries; replies
/// as the command would (`+OK`, `:1`, the number deleted).
fn commit(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let tcc = participant(cx)?;
    let mut state = tcc.state.lock();
    state.expire(Instant::now());
    let Some(tx) = state.txs.get_mut(&args[1]).filter(|tx| tx.undo.is_none()) else {
        return Err(CmdError::err(
            "unknown, expired or already committed transaction",
        ));
    };
    let db = cx.server.db(0).ok_or(CmdError::DbOutOfRange)?;
    let mut locked = db.lock(tx.keys.iter().map(|k| k.as_ref()), now_ms());
    let undo: Vec<(Bytes, Option<Entry>)> = tx
        .keys
        .iter()
        .map(|k| (k.clone(), locked.entry(k).cloned()))
        .collect();
    let op = &tx.op;
    if is(&op[0], "mset") || is(&op[0], "msetnx") {
        for pair in op[1..].chunks_exact(2) {
            locked.set(
                &pair[0],
                Value::Str(StrValue::copy_from_slice(&pair[1])),
                false,
            );
        }
        if is(&op[0], "mset") {
            cx.out.ok();
        } else {
            cx.out.int(1);
        }
    } else if is(&op[0], "renamefrom") {
        locked.remove(&op[1]);
        cx.out.ok();
    } else if is(&op[0], "renameto") || is(&op[0], "renametonx") {
        let entry = decode_entry(&op[2..])?;
        locked.put_entry(&op[1], entry);
        if is(&op[0], "renameto") {
            cx.out.ok();
        } else {
            cx.out.int(1);
        }
    } else {
        let removed = op[1..]
            .iter()
            .filter(|k| locked.remove(k).is_some())
            .count();
        cx.out.int(removed as i64);
    }
    tx.undo = Some(undo);
    Ok(Flow::Continue)
}

/// `_tcc_rollback <txid>`: undo a commit if there was one, release the keys. `+OK` even
/// for a transaction already gone (rolling back twice is harmless).
fn rollback(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let tcc = participant(cx)?;
    let mut state = tcc.state.lock();
    if let Some(Tx {
        undo: Some(undo), ..
    }) = state.release(&args[1])
    {
        let db = cx.server.db(0).ok_or(CmdError::DbOutOfRange)?;
        let mut locked = db.lock(undo.iter().map(|(k, _)| k.as_ref()), now_ms());
        // Backwards, so a key named twice ends with its oldest entry.
        for (key, old) in undo.into_iter().rev() {
            match old {
                Some(entry) => locked.put_entry(&key, entry),
                None => {
                    locked.remove(&key);
                }
            }
        }
    }
    tcc.after_release(&state);
    cx.out.ok();
    Ok(Flow::Continue)
}

/// `_tcc_finish <txid>`: the transaction committed everywhere; release its keys.
fn finish(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let tcc = participant(cx)?;
    let mut state = tcc.state.lock();
    state.release(&args[1]);
    tcc.after_release(&state);
    cx.out.ok();
    Ok(Flow::Continue)
}

/// A transaction id unique in the cluster: this node's id, a counter, and the time.
fn new_txid(cluster: &Cluster) -> Bytes {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let id = &cluster.topology.myself().id;
    Bytes::from(format!("{}-{n}-{}", &id[..8], now_ms()))
}

/// The replies of a command's parts, merged as the whole command answers.
fn merge_replies(args: &[Bytes], replies: Vec<Frame>) -> Frame {
    if is(&args[0], "mset") || is(&args[0], "rename") {
        Frame::Simple("OK".into())
    } else if is(&args[0], "renamenx") {
        Frame::Integer(1)
    } else {
        super::relay::merge(replies)
    }
}

/// Each participant's node and its part of the command: the keys it owns (MSET's values
/// with them), or for RENAME the `renamefrom` and `renameto` halves, with the source's
/// entry read first. `Err` is the reply when there is nothing to do (RENAME of a missing key).
async fn split(
    server: &Server,
    cluster: &Cluster,
    session: &mut Session,
    args: &[Bytes],
) -> Result<Vec<(usize, Vec<Bytes>)>, Frame> {
    if !(is(&args[0], "rename") || is(&args[0], "renamenx")) {
        let stride = if is(&args[0], "mset") || is(&args[0], "msetnx") {
            2
        } else {
            1
        };
        return Ok(group_by_node(cluster, args, stride)
            .into_iter()
            .map(|(node, positions)| (node, sub_request(args, &positions, stride)))
            .collect());
    }
    let (from, to) = (&args[1], &args[2]);
    let topology = &cluster.topology;
    let from_node = topology.owner_index(super::key_hash_slot(from));
    let to_node = topology.owner_index(super::key_hash_slot(to));
    let read = [Bytes::from_static(b"_tcc_read"), from.clone()];
    let entry = match call_node(server, cluster, session, from_node, &read).await {
        Ok(Frame::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                Frame::Bulk(b) => Ok(b),
                _ => Err(Frame::Error(
                    "ERR unexpected reply from a cluster node".into(),
                )),
            })
            .collect::<Result<Vec<Bytes>, Frame>>()?,
        Ok(Frame::Null) => return Err(Frame::Error(CmdError::NoSuchKey.to_string())),
        Ok(other) => return Err(other),
        Err(err) => return Err(peer_down(&err)),
    };
    let to_op: &'static [u8] = if is(&args[0], "renamenx") {
        b"renametonx"
    } else {
        b"renameto"
    };
    let mut from_part = vec![Bytes::from_static(b"renamefrom"), from.clone()];
    let mut to_part = vec![Bytes::from_static(to_op), to.clone()];
    from_part.extend(entry.iter().cloned());
    to_part.extend(entry);
    Ok(vec![(from_node, from_part), (to_node, to_part)])
}

/// `_tcc_read <key>`: the key's entry in database 0 as strings ([`encode_entry`]), or null.
fn read(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    participant(cx)?;
    let db = cx.server.db(0).ok_or(CmdError::DbOutOfRange)?;
    let mut locked = db.lock(std::iter::once(args[1].as_ref()), now_ms());
    match locked.entry(&args[1]).map(|e| encode_entry(e)) {
        Some(items) => {
            cx.out.array(items.len());
            for item in items {
                cx.out.bulk(&item);
            }
        }
        None => cx.out.null(),
    }
    Ok(Flow::Continue)
}

/// An entry as strings, to move it to another node: its type, its expiry (Unix ms, or
/// `-1`), then its elements (a hash's fields and values, a sorted set's members and scores).
pub fn encode_entry(entry: &Entry) -> Vec<Bytes> {
    let expiry = entry
        .expires_at
        .map_or_else(|| "-1".to_owned(), |at| at.to_string());
    let (kind, items): (&str, Vec<Bytes>) = match &entry.value {
        Value::Str(s) => ("string", vec![s.to_bytes()]),
        Value::List(l) => ("list", l.iter().map(StrValue::to_bytes).collect()),
        Value::Hash(h) => (
            "hash",
            h.iter()
                .flat_map(|(f, v)| [f.to_bytes(), v.to_bytes()])
                .collect(),
        ),
        Value::Set(s) => ("set", s.iter().map(StrValue::to_bytes).collect()),
        Value::ZSet(z) => (
            "zset",
            z.iter()
                .flat_map(|(m, score)| [m.to_bytes(), Bytes::from(score.to_string())])
                .collect(),
        ),
        // Day 4: streams travel as their RDB body (entries, groups and all).
        Value::Stream(_) => {
            let mut enc = crate::rdb::encode::Encoder::new(Vec::new());
            // Writing to a Vec cannot fail.
            let _ = enc.body(&entry.value);
            ("stream", vec![Bytes::from(enc.into_inner())])
        }
    };
    let mut out = vec![Bytes::from_static(kind.as_bytes()), Bytes::from(expiry)];
    out.extend(items);
    out
}

/// The entry [`encode_entry`] wrote; an error for anything else (it comes off the network).
pub fn decode_entry(items: &[Bytes]) -> Result<Entry, CmdError> {
    let bad = || CmdError::err("invalid entry in a cross-node RENAME");
    let [kind, expiry, rest @ ..] = items else {
        return Err(bad());
    };
    let expires_at = match crate::cmd::parse_i64(expiry).ok_or_else(bad)? {
        -1 => None,
        at => Some(u64::try_from(at).map_err(|_| bad())?),
    };
    let value = if is(kind, "string") && rest.len() == 1 {
        Value::Str(StrValue::copy_from_slice(&rest[0]))
    } else if is(kind, "list") {
        Value::List(rest.iter().map(|e| StrValue::copy_from_slice(e)).collect())
    } else if is(kind, "hash") && rest.len().is_multiple_of(2) {
        Value::Hash(Box::new(
            rest.chunks_exact(2)
                .map(|p| {
                    (
                        StrValue::copy_from_slice(&p[0]),
                        StrValue::copy_from_slice(&p[1]),
                    )
                })
                .collect(),
        ))
    } else if is(kind, "set") {
        Value::Set(Box::new(
            rest.iter().map(|m| StrValue::copy_from_slice(m)).collect(),
        ))
    } else if is(kind, "zset") && rest.len().is_multiple_of(2) {
        let mut zset = crate::types::ZSet::new();
        for pair in rest.chunks_exact(2) {
            let score = crate::cmd::parse_f64(&pair[1])
                .filter(|s| !s.is_nan())
                .ok_or_else(bad)?;
            zset.insert(&pair[0], score);
        }
        Value::ZSet(Box::new(zset))
    } else if is(kind, "stream") && rest.len() == 1 {
        // Day 4: streams.
        crate::rdb::decode::Decoder::new(&rest[0])
            .value(crate::rdb::types::STREAM_LISTPACKS_2)
            .ok()
            .flatten()
            .ok_or_else(bad)?
    } else {
        return Err(bad());
    };
    Ok(Entry::new(value, expires_at))
}

// ANCHOR: coordinate
/// The coordinator: runs MSET / MSETNX / DEL / UNLINK / RENAME / RENAMENX over the nodes
/// owning its keys,
/// all or nothing, and returns the reply for the client.
pub async fn coordinate(
    server: &Server,
    cluster: &Cluster,
    session: &mut Session,
    args: &[Bytes],
) -> Frame {
    let parts = match split(server, cluster, session, args).await {
        Ok(parts) => parts,
        Err(reply) => return reply,
    };
    let id = new_txid(cluster);
    let step = |name: &'static str, part: &[Bytes]| -> Vec<Bytes> {
        let mut request = vec![Bytes::from_static(name.as_bytes()), id.clone()];
        if name == "_tcc_prepare" {
            request.extend(part.iter().cloned());
        }
        request
    };
    // ANCHOR: ex_all_or_nothing
    // Phase 1, try: every participant locks and checks. The first refusal ends it.
    let mut prepared = Vec::new();
    let mut refusal = None;
    for (node, part) in &parts {
        match call_node(server, cluster, session, *node, &step("_tcc_prepare", part)).await {
            Ok(Frame::Simple(_)) => prepared.push(*node),
            Ok(other) => refusal = Some(other), // an error, or MSETNX's :0
            Err(err) => refusal = Some(peer_down(&err)),
        }
        if refusal.is_some() {
            break;
        }
    }
    if let Some(refusal) = refusal {
        for node in prepared {
            let _ = call_node(server, cluster, session, node, &step("_tcc_rollback", &[])).await;
        }
        return refusal;
    }
    // Phase 2, commit: if any participant fails now, every participant rolls back.
    let mut replies = Vec::new();
    let mut failure = None;
    for (node, _) in &parts {
        match call_node(server, cluster, session, *node, &step("_tcc_commit", &[])).await {
            Ok(Frame::Error(e)) => failure = Some(e),
            Ok(reply) => replies.push(reply),
            Err(err) => failure = Some(err.to_string()),
        }
        if failure.is_some() {
            break;
        }
    }
    let last = if failure.is_some() {
        "_tcc_rollback"
    } else {
        "_tcc_finish"
    };
    for (node, _) in &parts {
        let _ = call_node(server, cluster, session, *node, &step(last, &[])).await;
    }
    match failure {
        Some(why) => Frame::Error(format!(
            "ERR cross-node transaction rolled back, no key changed: {why}"
        )),
        None => merge_replies(args, replies),
    }
    // ANCHOR_END: ex_all_or_nothing
}
// ANCHOR_END: coordinate

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_survive_the_trip_between_nodes() {
        let mut zset = crate::types::ZSet::new();
        zset.insert(b"m", 1.5);
        zset.insert(b"n", f64::INFINITY);
        let entry = Entry::new(Value::ZSet(Box::new(zset)), Some(1_700_000_000_000));
        let encoded = encode_entry(&entry);
        let decoded = decode_entry(&encoded).expect("a valid entry");
        assert_eq!(encode_entry(&decoded), encoded);
        assert_eq!(decoded.expires_at, Some(1_700_000_000_000));
        let list = Entry::new(
            Value::List(
                [
                    StrValue::from(Bytes::from_static(b"a")),
                    StrValue::from(Bytes::from_static(b"b")),
                ]
                .into(),
            ),
            None,
        );
        assert_eq!(
            encode_entry(&decode_entry(&encode_entry(&list)).expect("valid")),
            encode_entry(&list)
        );
        // Whatever arrives off the network is checked.
        for bad in [
            &["string", "-1"][..],
            &["hash", "-1", "f"],
            &["zset", "-1", "m", "x"],
            &["nope", "-1"],
            &["set", "-5"],
        ] {
            let items: Vec<Bytes> = bad.iter().map(|s| Bytes::from(s.to_string())).collect();
            assert!(decode_entry(&items).is_err(), "{bad:?}");
        }
    }
}
