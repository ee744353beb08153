//! Day 6 — the pub/sub hub: who listens to which channel, and a mailbox per listener.
//!
//! PUBLISH runs on the publisher's connection, but the message must reach sockets that
//! other tasks own. godis writes to each subscriber's socket right there, inside PUBLISH:
//! one subscriber that stops reading then stalls every publisher. Here each subscribed
//! client has a [`Mailbox`]: PUBLISH drops the encoded message into it and moves on, and
//! the subscriber's own connection task takes the messages out and writes them.
//!
//! A mailbox is bounded the way Redis bounds a client's output buffer
//! (`client-output-buffer-limit pubsub <hard> <soft> <seconds>`): past the hard limit, or
//! past the soft limit for longer than the given seconds, the mailbox is *closed* and
//! its messages dropped, and the connection task disconnects the client. A slow reader
//! costs a bounded amount of memory, never the server.
//!
//! [`Hub`] maps each channel (and pattern, and shard channel) to its subscribers'
//! mailboxes. It is state only: matching patterns and writing replies is the commands'
//! business ([`crate::cmd::pubsub`]).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use bytes::{BufMut, Bytes, BytesMut};
use indexmap::IndexSet;
use parking_lot::{Mutex, RwLock};

use super::keyspace::Hasher;

/// `client-output-buffer-limit pubsub`: hard limit and soft limit in bytes (0 = none),
/// and how many seconds a client may stay over the soft limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputLimits {
    /// Over this many pending bytes the client is disconnected at once.
    pub hard: u64,
    /// Over this many pending bytes for `soft_seconds`, the client is disconnected.
    pub soft: u64,
    /// How long a client may stay over the soft limit.
    pub soft_seconds: u64,
}

/// Messages waiting for one subscriber's connection task.
#[derive(Debug, Default)]
pub struct Mailbox {
    state: Mutex<MailboxState>,
    wake: tokio::sync::Notify,
}

#[derive(Debug, Default)]
struct MailboxState {
    /// Encoded RESP2 messages (`*3\r\n$7\r\nmessage...`), oldest first.
    frames: VecDeque<Bytes>,
    /// Bytes in `frames`.
    queued: usize,
    /// Bytes the connection took out but has not written yet.
    unsent: usize,
    /// Since when the pending bytes have been over the soft limit.
    over_soft_since: Option<Instant>,
    /// Over the limit: the client must be disconnected.
    closed: bool,
}

impl Mailbox {
    // ANCHOR: post
    /// Queues one encoded message, unless that takes the subscriber's pending output
    /// (queued plus taken-but-unsent bytes) over `limits`: then the mailbox closes, its
    /// messages are dropped, and the connection task is woken to disconnect the client.
    /// Returns whether the message was queued.
    pub fn post(&self, frame: Bytes, limits: OutputLimits) -> bool {
        let mut state = self.state.lock();
        // ANCHOR: ex_post
        if state.closed {
            return false;
        }
        let pending = (state.queued + state.unsent + frame.len()) as u64;
        let over_hard = limits.hard > 0 && pending > limits.hard;
        let over_soft = limits.soft > 0 && pending > limits.soft;
        let soft_expired = if over_soft {
            let since = *state.over_soft_since.get_or_insert_with(Instant::now);
            since.elapsed().as_secs() >= limits.soft_seconds
        } else {
            state.over_soft_since = None;
            false
        };
        if over_hard || soft_expired {
            state.closed = true;
            state.frames.clear();
            state.queued = 0;
            drop(state);
            self.wake.notify_one();
            return false;
        }
        state.queued += frame.len();
        state.frames.push_back(frame);
        drop(state);
        self.wake.notify_one();
        true
        // ANCHOR_END: ex_post
    }
    // ANCHOR_END: post

    /// Moves every queued message to the end of `out`, as RESP3 push frames (`>`) if
    /// `resp3`, and counts them as unsent until [`Mailbox::sent`]. False if the mailbox
    /// is closed (the client must be disconnected).
    pub fn take_into(&self, out: &mut BytesMut, resp3: bool) -> bool {
        let mut state = self.state.lock();
        if state.closed {
            return false;
        }
        while let Some(frame) = state.frames.pop_front() {
            if resp3 && frame.first() == Some(&b'*') {
                out.put_u8(b'>');
                out.put_slice(&frame[1..]);
            } else {
                out.put_slice(&frame);
            }
        }
        state.unsent += state.queued;
        state.queued = 0;
        true
    }

    /// The connection wrote what it took out: it no longer counts as pending.
    pub fn sent(&self) {
        self.state.lock().unsent = 0;
    }

    /// Whether messages are waiting.
    pub fn has_messages(&self) -> bool {
        !self.state.lock().frames.is_empty()
    }

    /// Whether the mailbox closed (the subscriber was too slow).
    pub fn is_closed(&self) -> bool {
        self.state.lock().closed
    }

    /// Resolves when a message arrives or the mailbox closes (or already did since the
    /// last wait: a wake-up is never lost).
    pub async fn changed(&self) {
        self.wake.notified().await;
    }
}

/// The three kinds of subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// SUBSCRIBE: an exact channel name.
    Channel = 0,
    /// PSUBSCRIBE: a glob pattern over channel names.
    Pattern = 1,
    /// SSUBSCRIBE: a shard channel (Redis Cluster's per-slot channels).
    Shard = 2,
}

type Subscribers = HashMap<u64, Arc<Mailbox>, Hasher>;

/// The server's subscriptions: for each kind, name → subscribed clients' mailboxes.
#[derive(Debug, Default)]
pub struct Hub {
    maps: [RwLock<HashMap<Bytes, Subscribers, Hasher>>; 3],
}

impl Hub {
    /// Subscribes client `client` (with `mailbox`) to `name`; false if it already was.
    pub fn subscribe(&self, kind: Kind, name: &Bytes, client: u64, mailbox: &Arc<Mailbox>) -> bool {
        let mut map = self.maps[kind as usize].write();
        map.entry(name.clone())
            .or_default()
            .insert(client, mailbox.clone())
            .is_none()
    }

    /// Unsubscribes client `client` from `name`; false if it was not subscribed.
    pub fn unsubscribe(&self, kind: Kind, name: &[u8], client: u64) -> bool {
        let mut map = self.maps[kind as usize].write();
        let Some(subscribers) = map.get_mut(name) else {
            return false;
        };
        let removed = subscribers.remove(&client).is_some();
        if subscribers.is_empty() {
            map.remove(name);
        }
        removed
    }

    /// Calls `visit` with each subscriber's mailbox of `name`; returns how many there were.
    pub fn for_each_subscriber(
        &self,
        kind: Kind,
        name: &[u8],
        mut visit: impl FnMut(&Mailbox),
    ) -> usize {
        let map = self.maps[kind as usize].read();
        let Some(subscribers) = map.get(name) else {
            return 0;
        };
        for mailbox in subscribers.values() {
            visit(mailbox);
        }
        subscribers.len()
    }

    /// Calls `visit` with every name of this kind that has subscribers, and their mailboxes.
    pub fn for_each_name(
        &self,
        kind: Kind,
        mut visit: impl FnMut(&Bytes, &mut dyn Iterator<Item = &Arc<Mailbox>>),
    ) {
        let map = self.maps[kind as usize].read();
        for (name, subscribers) in map.iter() {
            visit(name, &mut subscribers.values());
        }
    }

    /// How many clients subscribe to `name`.
    pub fn subscribers(&self, kind: Kind, name: &[u8]) -> usize {
        self.maps[kind as usize]
            .read()
            .get(name)
            .map_or(0, |s| s.len())
    }

    /// How many names of this kind have subscribers (INFO's `pubsub_channels`, NUMPAT).
    pub fn len(&self, kind: Kind) -> usize {
        self.maps[kind as usize].read().len()
    }
}

/// One client's subscriptions, kept in its session.
#[derive(Debug, Default)]
pub struct Subscriptions {
    /// Channels, patterns and shard channels, indexed by [`Kind`], in subscription order.
    pub names: [IndexSet<Bytes, Hasher>; 3],
    /// The client's mailbox, made at its first subscription.
    pub mailbox: Option<Arc<Mailbox>>,
}

impl Subscriptions {
    /// Channels plus patterns: the count SUBSCRIBE and UNSUBSCRIBE replies carry.
    pub fn count(&self) -> usize {
        self.names[Kind::Channel as usize].len() + self.names[Kind::Pattern as usize].len()
    }

    /// Whether the client is subscribed to anything (it is then in "subscribed mode").
    pub fn active(&self) -> bool {
        self.names.iter().any(|n| !n.is_empty())
    }

    /// The mailbox, made on first use.
    pub fn mailbox(&mut self) -> Arc<Mailbox> {
        self.mailbox.get_or_insert_with(Default::default).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: OutputLimits = OutputLimits {
        hard: 100,
        soft: 0,
        soft_seconds: 0,
    };

    #[test]
    fn a_mailbox_closes_past_the_hard_limit_and_drops_its_messages() {
        let mailbox = Mailbox::default();
        assert!(mailbox.post(Bytes::from(vec![b'*'; 60]), LIMITS));
        assert!(!mailbox.post(Bytes::from(vec![b'*'; 60]), LIMITS));
        assert!(mailbox.is_closed());
        assert!(!mailbox.has_messages());
        let mut out = BytesMut::new();
        assert!(!mailbox.take_into(&mut out, false));
    }

    #[test]
    fn unsent_bytes_count_until_written() {
        let mailbox = Mailbox::default();
        let mut out = BytesMut::new();
        assert!(mailbox.post(Bytes::from_static(b"*1\r\n$1\r\na\r\n"), LIMITS));
        assert!(mailbox.take_into(&mut out, true));
        assert_eq!(&out[..], b">1\r\n$1\r\na\r\n");
        assert!(!mailbox.post(Bytes::from(vec![b'*'; 95]), LIMITS));
        let fresh = Mailbox::default();
        fresh.post(Bytes::from(vec![b'*'; 60]), LIMITS);
        fresh.take_into(&mut out, false);
        fresh.sent();
        assert!(fresh.post(Bytes::from(vec![b'*'; 60]), LIMITS));
    }

    #[test]
    fn the_soft_limit_allows_a_burst_for_its_seconds() {
        let mailbox = Mailbox::default();
        let limits = OutputLimits {
            hard: 0,
            soft: 10,
            soft_seconds: 3600,
        };
        assert!(mailbox.post(Bytes::from(vec![b'*'; 60]), limits));
        let strict = OutputLimits {
            soft_seconds: 0,
            ..limits
        };
        assert!(!mailbox.post(Bytes::from(vec![b'*'; 60]), strict));
    }
}
