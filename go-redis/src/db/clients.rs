//! Day 3 — the registry of connected clients: what CLIENT LIST shows, CLIENT KILL reaches
//! and CLIENT PAUSE holds.
//!
//! A client's [`Session`](super::Session) belongs to its connection's task, and no other
//! task may touch it. Yet `CLIENT LIST` must describe *every* client, and `CLIENT KILL`
//! must end another client's connection, even one sitting idle in a read. So each
//! connection also registers a small shared record, a [`Client`]: the facts fixed when it
//! connected (id, addresses, file descriptor, time), the few facts its own task updates
//! as it runs commands (name, database, last command, when), and a cancellation token that
//! ends the connection from outside, the way server shutdown does. [`Clients`] maps ids to
//! records; a connection removes its record when it ends.
//!
//! The registry also keeps the server-wide pause of `CLIENT PAUSE`: an end time in an
//! atomic, so the check every command makes ("is the server paused for me?") is one load.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use bytes::Bytes;
use parking_lot::Mutex;
use tokio_util::sync::CancellationToken;

/// What one client did last, updated by its own task before each command.
#[derive(Debug, Clone)]
pub struct Activity {
    /// The command's full name as CLIENT LIST prints it (`get`, `client|list`).
    pub command: String,
    /// When the client last sent a command, in Unix milliseconds: the time day 3's
    /// dispatcher reads once per command anyway (for TTLs), so recording it is free.
    pub at: u64,
    /// The protocol it speaks (2 or 3).
    pub resp: i64,
}

/// One connected client, as other clients see it.
#[derive(Debug)]
pub struct Client {
    /// The client id (CLIENT ID): 1, 2, 3, ... in connection order.
    pub id: u64,
    /// The peer address, `ip:port` (CLIENT LIST's `addr`).
    pub addr: String,
    /// The local address the client connected to (`laddr`).
    pub laddr: String,
    /// The socket's file descriptor (`fd`), or -1 where there is none.
    pub fd: i64,
    /// When it connected (`age`).
    pub connected: Instant,
    /// The selected database (`db`), stored after each command.
    pub db: AtomicUsize,
    /// Day 6: how many channels, patterns and shard channels it subscribes to (`sub`,
    /// `psub`, `ssub`), stored after each command.
    pub subscriptions: [AtomicUsize; 3],
    /// Day 6: how many commands it has queued in MULTI, or -1 outside MULTI (`multi`).
    pub multi: AtomicI64,
    name: Mutex<Option<Bytes>>,
    activity: Mutex<Activity>,
    closer: OnceLock<CancellationToken>,
    killed: AtomicBool,
}

impl Client {
    /// A record for a client that just connected.
    pub fn new(id: u64, addr: String, laddr: String, fd: i64) -> Self {
        let now = Instant::now();
        Self {
            id,
            addr,
            laddr,
            fd,
            connected: now,
            db: AtomicUsize::new(0),
            subscriptions: Default::default(),
            multi: AtomicI64::new(-1),
            name: Mutex::new(None),
            activity: Mutex::new(Activity {
                command: "NULL".into(),
                at: super::now_ms(),
                resp: 2,
            }),
            closer: OnceLock::new(),
            killed: AtomicBool::new(false),
        }
    }

    /// The name set by CLIENT SETNAME or HELLO SETNAME.
    pub fn name(&self) -> Option<Bytes> {
        self.name.lock().clone()
    }

    /// Sets (or with `None` clears) the client's name.
    pub fn set_name(&self, name: Option<Bytes>) {
        *self.name.lock() = name;
    }

    /// Records the command the client is about to run, `sub` being the subcommand of a
    /// command that has them (Redis sets `lastcmd` before the call, so a client listing
    /// itself sees `cmd=client|list`). Reuses the text's buffer: no allocation per command.
    pub fn record(&self, command: &str, sub: Option<&[u8]>, resp: i64, now_ms: u64) {
        let mut activity = self.activity.lock();
        let text = &mut activity.command;
        text.clear();
        text.push_str(command);
        if let Some(sub) = sub {
            text.push('|');
            text.extend(sub.iter().map(|&b| char::from(b.to_ascii_lowercase())));
        }
        activity.at = now_ms;
        activity.resp = resp;
    }

    /// The last command, when it came, and the protocol.
    pub fn activity(&self) -> Activity {
        self.activity.lock().clone()
    }

    // ANCHOR: kill_token
    /// Gives the client the token that ends its connection (a child of the server's
    /// shutdown token). A kill that came first cancels it at once.
    pub fn set_closer(&self, token: CancellationToken) {
        let token = self.closer.get_or_init(|| token);
        if self.killed.load(Ordering::SeqCst) {
            token.cancel();
        }
    }

    /// CLIENT KILL: ends the connection, even if it is idle in a read or blocked.
    pub fn kill(&self) {
        self.killed.store(true, Ordering::SeqCst);
        if let Some(token) = self.closer.get() {
            token.cancel();
        }
    }
    // ANCHOR_END: kill_token
}

/// Every connected client, by id, and the server-wide pause.
#[derive(Debug, Default)]
pub struct Clients {
    by_id: Mutex<BTreeMap<u64, Arc<Client>>>,
    /// Unix-free clock: milliseconds since `epoch` at which the pause ends (0 = none).
    pause_until: AtomicU64,
    pause_all: AtomicBool,
    epoch: OnceLock<Instant>,
    /// Woken when a pause is lifted or changed, so paused clients look again.
    pub pause_changed: tokio::sync::Notify,
    /// MONITOR: the lines every monitoring client receives, and how many there are (the
    /// command path looks at the count first, so monitoring costs nothing when unused).
    monitor: OnceLock<tokio::sync::broadcast::Sender<Bytes>>,
    monitors: AtomicUsize,
}

impl Clients {
    /// Adds a client that just connected.
    pub fn register(&self, client: Arc<Client>) {
        self.by_id.lock().insert(client.id, client);
    }

    /// Removes a client that left.
    pub fn unregister(&self, id: u64) {
        self.by_id.lock().remove(&id);
    }

    /// The client `id`, if connected.
    pub fn get(&self, id: u64) -> Option<Arc<Client>> {
        self.by_id.lock().get(&id).cloned()
    }

    /// Every connected client, oldest first (CLIENT LIST's order).
    pub fn all(&self) -> Vec<Arc<Client>> {
        self.by_id.lock().values().cloned().collect()
    }

    fn epoch(&self) -> Instant {
        *self.epoch.get_or_init(Instant::now)
    }

    fn ms_since_epoch(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.epoch()).as_millis() as u64 + 1
    }

    fn monitor_feed(&self) -> &tokio::sync::broadcast::Sender<Bytes> {
        self.monitor
            .get_or_init(|| tokio::sync::broadcast::channel(4096).0)
    }

    /// MONITOR: a new monitoring client's feed of lines. It counts as a monitor until
    /// [`Clients::unmonitor`].
    pub fn monitor(&self) -> tokio::sync::broadcast::Receiver<Bytes> {
        self.monitors.fetch_add(1, Ordering::SeqCst);
        self.monitor_feed().subscribe()
    }

    /// A monitoring client left.
    pub fn unmonitor(&self) {
        self.monitors.fetch_sub(1, Ordering::SeqCst);
    }

    /// Whether any client is monitoring (one atomic load).
    pub fn monitored(&self) -> bool {
        self.monitors.load(Ordering::Relaxed) > 0
    }

    /// Sends a line to every monitoring client.
    pub fn feed_monitors(&self, line: Bytes) {
        let _ = self.monitor_feed().send(line);
    }

    /// CLIENT PAUSE: holds commands until `until` (every command if `all`, else the
    /// writes). A pause already running is only ever made longer or stronger, as in Redis.
    pub fn pause(&self, until: Instant, all: bool) {
        let end = self.ms_since_epoch(until);
        let previous = self.pause_until.load(Ordering::SeqCst);
        let active = previous != 0 && previous > self.ms_since_epoch(Instant::now());
        if active {
            self.pause_until.fetch_max(end, Ordering::SeqCst);
            self.pause_all.fetch_or(all, Ordering::SeqCst);
        } else {
            self.pause_all.store(all, Ordering::SeqCst);
            self.pause_until.store(end, Ordering::SeqCst);
        }
        self.pause_changed.notify_waiters();
    }

    /// CLIENT UNPAUSE: lifts the pause and wakes the clients it held.
    pub fn unpause(&self) {
        self.pause_until.store(0, Ordering::SeqCst);
        self.pause_changed.notify_waiters();
    }

    /// When a command must wait for the pause to end: `Some(end)` while a pause holds a
    /// command of this kind (`write`: it may change data), `None` otherwise. One atomic
    /// load when there is no pause.
    pub fn paused_until(&self, write: bool) -> Option<Instant> {
        let end = self.pause_until.load(Ordering::SeqCst);
        if end == 0 || !(write || self.pause_all.load(Ordering::SeqCst)) {
            return None;
        }
        let until = self.epoch() + std::time::Duration::from_millis(end - 1);
        (until > Instant::now()).then_some(until)
    }
}
