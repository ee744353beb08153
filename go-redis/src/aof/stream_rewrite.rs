//! Day 5 — a stream in an AOF rewrite: the commands that rebuild it, as Redis's
//! `rewriteStreamObject` writes them.
//!
//! An XADD per entry (with its ID), then XSETID to restore what entries alone do not say
//! (the last ID, how many entries were ever added, the largest deleted ID), then each
//! consumer group with `XGROUP CREATE ... ENTRIESREAD`, each pending entry with an
//! `XCLAIM ... FORCE JUSTID` that recreates it with its delivery time and count, and
//! `XGROUP CREATECONSUMER` for consumers with nothing pending. An empty stream still
//! exists (unlike an empty list), so it is created by an XADD that `MAXLEN 0` trims away.

use bytes::Bytes;

use crate::types::stream::{Stream, StreamId};

fn text(s: impl ToString) -> Bytes {
    Bytes::from(s.to_string())
}

fn word(w: &'static str) -> Bytes {
    Bytes::from_static(w.as_bytes())
}

// ANCHOR: stream_commands
/// The commands that rebuild stream `s` under `key`.
pub fn stream_commands(key: &[u8], s: &Stream) -> Vec<Vec<Bytes>> {
    let key = Bytes::copy_from_slice(key);
    let mut out = Vec::new();
    if s.is_empty() {
        let id = s.last_id.max(StreamId::new(0, 1));
        out.push(vec![
            word("XADD"),
            key.clone(),
            word("MAXLEN"),
            word("0"),
            text(id),
            word("x"),
            word("y"),
        ]);
    }
    for (id, fields) in &s.entries {
        let mut xadd = vec![word("XADD"), key.clone(), text(id)];
        xadd.extend(fields.iter().cloned());
        out.push(xadd);
    }
    out.push(vec![
        word("XSETID"),
        key.clone(),
        text(s.last_id),
        word("ENTRIESADDED"),
        text(s.entries_added),
        word("MAXDELETEDID"),
        text(s.max_deleted_entry_id),
    ]);
    for (name, group) in &s.groups {
        let read = group
            .entries_read
            .map_or_else(|| "-1".to_owned(), |n| n.to_string());
        out.push(vec![
            word("XGROUP"),
            word("CREATE"),
            key.clone(),
            name.clone(),
            text(group.last_id),
            word("ENTRIESREAD"),
            text(read),
        ]);
        for (id, nack) in &group.pel {
            out.push(vec![
                word("XCLAIM"),
                key.clone(),
                name.clone(),
                nack.consumer.clone(),
                word("0"),
                text(id),
                word("TIME"),
                text(nack.delivery_time),
                word("RETRYCOUNT"),
                text(nack.delivery_count),
                word("JUSTID"),
                word("FORCE"),
            ]);
        }
        for (consumer, state) in &group.consumers {
            if state.pel.is_empty() {
                out.push(vec![
                    word("XGROUP"),
                    word("CREATECONSUMER"),
                    key.clone(),
                    name.clone(),
                    consumer.clone(),
                ]);
            }
        }
    }
    out
}
// ANCHOR_END: stream_commands
