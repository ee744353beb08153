//! Day 5 — streams in RDB files (type 19, `RDB_TYPE_STREAM_LISTPACKS_2`), as Redis 7.0
//! writes and reads them.
//!
//! Redis saves a stream as it keeps it in memory: the radix tree's nodes, each a key (the
//! node's first ID, 16 bytes big-endian) and a listpack of entries, then the stream's
//! counters, then every consumer group with its pending entries and consumers. We keep
//! entries in an ordered map instead ([`crate::types::stream`]), so saving *builds* such
//! nodes (100 entries each, like Redis's default `stream-node-max-entries`) and loading
//! walks them back into the map. Writing the real format, not one of our own, is what
//! lets a real `redis-server` load our `dump.rdb`, DUMP payloads move between the two,
//! and go-redis start from a file Redis wrote.
//!
//! A node's listpack starts with a *master entry* — `count, deleted, #fields, fields...,
//! 0` — and each entry follows as `flags, ms-diff, seq-diff`, then either its values
//! alone (flag `SAMEFIELDS`: same fields as the master) or `#fields, field, value...`,
//! and last `lp-count`, the number of elements it spans (so Redis can walk backwards).

use std::collections::BTreeSet;
use std::io::Write;

use bytes::Bytes;

use super::decode::Decoder;
use super::encode::Encoder;
use super::{RdbError, packed};
use crate::db::Value;
use crate::types::stream::{Consumer, Group, Nack, Node, Stream, StreamId};

/// Entry flag: deleted (a tombstone left in the listpack).
const FLAG_DELETED: i64 = 1;
/// Entry flag: same fields as the node's master entry.
const FLAG_SAMEFIELDS: i64 = 2;

/// An ID as 16 big-endian bytes (radix-tree keys and PEL entries).
fn id_bytes(id: StreamId) -> [u8; 16] {
    let mut out = [0; 16];
    out[..8].copy_from_slice(&id.ms.to_be_bytes());
    out[8..].copy_from_slice(&id.seq.to_be_bytes());
    out
}

// ANCHOR: write_stream
/// Writes a stream's body (after its type byte and key).
pub fn write_stream<W: Write>(enc: &mut Encoder<W>, s: &Stream) -> std::io::Result<()> {
    // Each node with its live entries, keyed by its first live ID (deleted entries are
    // not written, so a node's master entry is its first live one).
    let nodes: Vec<Vec<(&StreamId, &Vec<Bytes>)>> = s
        .nodes
        .keys()
        .map(|start| {
            s.node_entries(*start)
                .into_iter()
                .filter_map(|id| s.entries.get_key_value(&id))
                .collect::<Vec<_>>()
        })
        .filter(|node| !node.is_empty())
        .collect();
    enc.length(nodes.len() as u64)?;
    for node in &nodes {
        let Some((&master, master_fields)) = node.first().copied() else {
            continue;
        };
        enc.string(&id_bytes(master))?;
        enc.string(&node_listpack(master, master_fields, node))?;
    }
    enc.length(s.len() as u64)?;
    for id in [s.last_id, s.first_id(), s.max_deleted_entry_id] {
        enc.length(id.ms)?;
        enc.length(id.seq)?;
    }
    enc.length(s.entries_added)?;
    enc.length(s.groups.len() as u64)?;
    for (name, group) in &s.groups {
        enc.string(name)?;
        enc.length(group.last_id.ms)?;
        enc.length(group.last_id.seq)?;
        // Redis writes its -1 ("unknown") as the 64-bit length it casts to.
        enc.length(group.entries_read.unwrap_or(u64::MAX))?;
        enc.length(group.pel.len() as u64)?;
        for (id, nack) in &group.pel {
            enc.raw(&id_bytes(*id))?;
            enc.raw(&nack.delivery_time.to_le_bytes())?;
            enc.length(nack.delivery_count)?;
        }
        enc.length(group.consumers.len() as u64)?;
        for (name, consumer) in &group.consumers {
            enc.string(name)?;
            enc.raw(&consumer.seen_time.to_le_bytes())?;
            enc.length(consumer.pel.len() as u64)?;
            for id in &consumer.pel {
                enc.raw(&id_bytes(*id))?;
            }
        }
    }
    Ok(())
}
// ANCHOR_END: write_stream

/// One node's listpack: the master entry (the first entry's fields), then the entries.
fn node_listpack(
    master: StreamId,
    master_fields: &[Bytes],
    node: &[(&StreamId, &Vec<Bytes>)],
) -> Vec<u8> {
    let names: Vec<&Bytes> = master_fields.iter().step_by(2).collect();
    let mut lp = super::listpack_writer::ListpackWriter::new();
    lp.int(node.len() as i64);
    lp.int(0);
    lp.int(names.len() as i64);
    for name in &names {
        lp.string(name);
    }
    lp.int(0);
    for (id, fields) in node {
        let same = fields.len() == 2 * names.len()
            && fields.iter().step_by(2).zip(&names).all(|(a, b)| a == *b);
        let pairs = (fields.len() / 2) as i64;
        lp.int(if same { FLAG_SAMEFIELDS } else { 0 });
        lp.int(id.ms.wrapping_sub(master.ms) as i64);
        lp.int(id.seq.wrapping_sub(master.seq) as i64);
        if same {
            for value in fields.iter().skip(1).step_by(2) {
                lp.string(value);
            }
            lp.int(pairs + 3);
        } else {
            lp.int(pairs);
            for item in fields.iter() {
                lp.string(item);
            }
            lp.int(2 * pairs + 4);
        }
    }
    lp.finish()
}

fn corrupt(dec: &Decoder<'_>, what: &str) -> RdbError {
    RdbError::Corrupt {
        at: dec.position(),
        what: format!("stream: {what}"),
    }
}

fn read_id(dec: &mut Decoder<'_>) -> Result<StreamId, RdbError> {
    Ok(StreamId::new(dec.length()?, dec.length()?))
}

fn raw_id(dec: &mut Decoder<'_>) -> Result<StreamId, RdbError> {
    let bytes = dec.take(16)?;
    let (ms, seq) = bytes.split_at(8);
    let ms = u64::from_be_bytes(ms.try_into().map_err(|_| corrupt(dec, "short ID"))?);
    let seq = u64::from_be_bytes(seq.try_into().map_err(|_| corrupt(dec, "short ID"))?);
    Ok(StreamId::new(ms, seq))
}

fn ms_time(dec: &mut Decoder<'_>) -> Result<u64, RdbError> {
    let bytes = dec.take(8)?;
    Ok(u64::from_le_bytes(
        bytes.try_into().map_err(|_| corrupt(dec, "short time"))?,
    ))
}

// ANCHOR: read_stream
/// Reads a stream's body; `v2` for type 19 (with first ID, max deleted ID, entries added
/// and the groups' read counters), else type 15 (Redis 5 and 6).
pub fn read_stream(dec: &mut Decoder<'_>, v2: bool) -> Result<Value, RdbError> {
    let mut s = Stream::new();
    let nodes = dec.length()?;
    for _ in 0..nodes {
        let key = dec.string()?;
        let master = match <[u8; 16]>::try_from(key.as_ref()) {
            Ok(raw) => StreamId::new(
                u64::from_be_bytes(raw[..8].try_into().unwrap_or_default()),
                u64::from_be_bytes(raw[8..].try_into().unwrap_or_default()),
            ),
            Err(_) => return Err(corrupt(dec, "node key is not an ID")),
        };
        let blob = dec.string()?;
        let items = packed::listpack(&blob).map_err(|e| corrupt(dec, &e.to_string()))?;
        let total =
            read_node(&mut s, master, &items).ok_or_else(|| corrupt(dec, "bad listpack node"))?;
        let bytes = blob.len();
        if s.nodes.insert(master, Node { total, bytes }).is_some() {
            return Err(corrupt(dec, "two nodes with one key"));
        }
    }
    let length = dec.length()?;
    s.last_id = read_id(dec)?;
    if v2 {
        let _first = read_id(dec)?; // recomputed from the entries
        s.max_deleted_entry_id = read_id(dec)?;
        s.entries_added = dec.length()?;
    } else {
        s.entries_added = length;
    }
    if length != s.len() as u64 {
        return Err(corrupt(dec, "length does not match the entries"));
    }
    let groups = dec.length()?;
    for _ in 0..groups {
        let name = dec.string()?;
        let last_id = read_id(dec)?;
        let entries_read = if v2 {
            Some(dec.length()?).filter(|&n| n != u64::MAX)
        } else {
            s.entries_read_at(last_id)
        };
        let mut group = Group::new(last_id, entries_read);
        for _ in 0..dec.length()? {
            let id = raw_id(dec)?;
            let delivery_time = ms_time(dec)?;
            let delivery_count = dec.length()?;
            let nack = Nack {
                consumer: Bytes::new(),
                delivery_time,
                delivery_count,
            };
            if group.pel.insert(id, nack).is_some() {
                return Err(corrupt(dec, "duplicate PEL entry"));
            }
        }
        for _ in 0..dec.length()? {
            let consumer_name = dec.string()?;
            let seen_time = ms_time(dec)?;
            let mut pel = BTreeSet::new();
            for _ in 0..dec.length()? {
                let id = raw_id(dec)?;
                match group.pel.get_mut(&id) {
                    Some(nack) => nack.consumer = consumer_name.clone(),
                    None => return Err(corrupt(dec, "consumer PEL entry not in the group PEL")),
                }
                pel.insert(id);
            }
            if group
                .consumers
                .insert(consumer_name, Consumer { seen_time, pel })
                .is_some()
            {
                return Err(corrupt(dec, "duplicate consumer"));
            }
        }
        if group.pel.values().any(|n| n.consumer.is_empty()) {
            return Err(corrupt(dec, "PEL entry without a consumer"));
        }
        if s.groups.insert(name, group).is_some() {
            return Err(corrupt(dec, "duplicate consumer group"));
        }
    }
    Ok(Value::Stream(Box::new(s)))
}
// ANCHOR_END: read_stream

/// Walks one node's listpack elements into the stream; how many entries it ever held
/// (deleted ones included), or `None` if they do not add up.
fn read_node(s: &mut Stream, master: StreamId, items: &[Bytes]) -> Option<usize> {
    let int = |b: &Bytes| -> Option<i64> { std::str::from_utf8(b).ok()?.parse().ok() };
    let mut it = items.iter();
    let count = int(it.next()?)?;
    let deleted = int(it.next()?)?;
    let n_master = usize::try_from(int(it.next()?)?).ok()?;
    let names: Vec<Bytes> = (0..n_master)
        .map(|_| it.next().cloned())
        .collect::<Option<_>>()?;
    if int(it.next()?)? != 0 {
        return None;
    }
    let mut live = 0;
    let mut dead = 0;
    while let Some(flags) = it.next() {
        let flags = int(flags)?;
        let ms = master.ms.wrapping_add(int(it.next()?)? as u64);
        let seq = master.seq.wrapping_add(int(it.next()?)? as u64);
        let mut fields = Vec::new();
        if flags & FLAG_SAMEFIELDS != 0 {
            for name in &names {
                fields.push(name.clone());
                fields.push(it.next()?.clone());
            }
        } else {
            let n = usize::try_from(int(it.next()?)?).ok()?;
            for _ in 0..n.checked_mul(2)? {
                fields.push(it.next()?.clone());
            }
        }
        it.next()?; // lp-count
        if flags & FLAG_DELETED != 0 {
            dead += 1;
        } else {
            live += 1;
            if s.entries.insert(StreamId::new(ms, seq), fields).is_some() {
                return None;
            }
        }
    }
    if count == live && deleted == dead && live > 0 {
        usize::try_from(live + dead).ok()
    } else {
        None
    }
}
