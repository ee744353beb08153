//! Day 3 — the database server's state: sixteen keyspaces, client sessions, counters.
//!
//! [`Server`] holds everything a command may touch: the databases ([`keyspace::Db`]), the
//! live configuration, the counters INFO reports. A [`Session`] is one client's state:
//! which database it selected, whether it has authenticated. This module knows nothing
//! of commands (like mini-redis's `db.rs`, it imports nothing from the command side): the
//! command table and the dispatcher that runs a request against this state live in
//! [`crate::cmd`].

pub mod clients; // Day 3: CLIENT LIST / KILL / PAUSE
pub mod exec_gate; // Day 6
pub mod expire;
pub mod hub; // Day 6
pub mod keyspace;
pub mod str_value; // Day 3: short strings inline
pub mod watch; // Day 6

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use parking_lot::{Mutex, RwLock};

use crate::config::Config;
pub use keyspace::{Db, Entry, Key, Locked, Value};
pub use str_value::StrValue;

/// The current time in Unix milliseconds (the clock TTLs are kept in).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// One client's state.
#[derive(Debug)]
pub struct Session {
    /// The client id (CLIENT ID).
    pub id: u64,
    /// The selected database.
    pub db: usize,
    /// Whether AUTH succeeded (or no password is required).
    pub authenticated: bool,
    /// The name set by CLIENT SETNAME.
    pub name: Option<Bytes>,
    /// The peer address, for CLIENT LIST.
    pub addr: String,
    /// Day 4: the request this client is blocked on (BLPOP ...), if any; set by the
    /// blocking commands, served by [`crate::cmd::blocking`].
    pub blocked: Option<Blocked>,
    /// Day 3: this client's record in [`Server::clients`] (CLIENT LIST, CLIENT KILL).
    pub client: std::sync::Arc<clients::Client>,
    /// Day 3: a request held by CLIENT PAUSE, run when the pause ends.
    pub paused: Option<Vec<Bytes>>,
    /// Day 3: CLIENT REPLY ON|OFF|SKIP.
    pub reply: ReplyMode,
    /// Day 3: the feed of a client that sent MONITOR.
    pub monitor: Option<tokio::sync::broadcast::Receiver<Bytes>>,
    /// Day 6: the client's transaction (MULTI queue, WATCHed keys); see [`crate::cmd::tx`].
    pub tx: watch::TxState,
    /// Day 6: the client's pub/sub subscriptions; see [`crate::cmd::pubsub`].
    pub pubsub: hub::Subscriptions,
    /// Day 5: what the AOF should log for the command now running instead of the command
    /// itself (see [`crate::aof::propagate`]); taken after each command.
    pub propagate_as: Option<Vec<Vec<Bytes>>>,
    /// The time (Unix ms) the requests now being run arrived, read once per batch by the
    /// connection loop ([`crate::connection::Executor::batch_started`]); `None` outside a
    /// batch (the AOF loader, a command retried after a wait), where each command reads
    /// the clock itself.
    pub batch_time: Option<u64>,
    /// Day 3: whether the last request reached its command's code (it was not refused for
    /// its arity or authentication first): decides whether an error reply counts as a
    /// failed or a rejected call in INFO commandstats.
    pub command_ran: bool,
    /// Day 5: how many changes the write command now running made, when it counts them
    /// itself (`None`: the call is one change). SETBIT of a bit to the value it has is
    /// `Some(0)`: as in Redis, not a change for the save points and INFO's
    /// `rdb_changes_since_last_save`, and not logged to the AOF.
    pub changes: Option<u64>,
}

impl Session {
    /// A fresh session for client `client` (registered or not): database 0, nothing
    /// selected, subscribed, queued or held. The connection (and day 5's AOF loader, a
    /// client nobody answers) start from here, and each later day's state starts empty.
    pub fn new(client: std::sync::Arc<clients::Client>, authenticated: bool) -> Self {
        Self {
            id: client.id,
            db: 0,
            authenticated,
            name: None,
            addr: client.addr.clone(),
            blocked: None,
            client,
            paused: None,
            reply: ReplyMode::On,
            monitor: None,
            tx: Default::default(),
            pubsub: Default::default(),
            propagate_as: None,
            batch_time: None,
            command_ran: false,
            changes: None,
        }
    }
}

/// Day 3: whether replies are sent (CLIENT REPLY).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReplyMode {
    /// Every reply is sent (the default).
    #[default]
    On,
    /// No reply is sent until CLIENT REPLY ON.
    Off,
    /// The next command's reply is dropped.
    SkipNext,
    /// This command's reply is dropped (SKIP's effect, one command later).
    Skip,
}

/// Day 4: a blocking command that found nothing to serve, kept to be run again.
#[derive(Debug, Clone)]
pub struct Blocked {
    /// The request, name first.
    pub args: Vec<Bytes>,
    /// How long to wait at most (`None` = forever).
    pub timeout: Option<std::time::Duration>,
}

/// Server-wide counters for INFO.
#[derive(Debug)]
pub struct Stats {
    /// Clients connected now.
    pub connected_clients: AtomicUsize,
    /// Connections accepted since start.
    pub total_connections: AtomicU64,
    /// Commands processed since start.
    pub total_commands: AtomicU64,
    /// Keys removed by expiry.
    pub expired_keys: AtomicU64,
    /// Connections refused because `maxclients` were connected.
    pub rejected_connections: AtomicU64,
    /// Clients waiting in a blocking command.
    pub blocked_clients: AtomicUsize,
    /// Calls per command, indexed by the command's position in the command table
    /// (INFO commandstats).
    pub calls: Box<[AtomicU64]>,
    /// Per command: calls refused before they ran (wrong arity, NOAUTH), Redis's
    /// `rejected_calls`.
    pub rejected_calls: Box<[AtomicU64]>,
    /// Per command: calls that ran and answered an error, Redis's `failed_calls`.
    pub failed_calls: Box<[AtomicU64]>,
    /// Error replies by their first word (`ERR`, `WRONGTYPE`, ...): INFO errorstats, and
    /// their sum, `total_error_replies`. Touched only when a command fails.
    pub errors: parking_lot::Mutex<std::collections::BTreeMap<String, u64>>,
    next_client_id: AtomicU64,
}

impl Stats {
    /// Counters for a server whose command table has `commands` entries.
    pub fn new(commands: usize) -> Self {
        Self {
            connected_clients: AtomicUsize::new(0),
            total_connections: AtomicU64::new(0),
            total_commands: AtomicU64::new(0),
            expired_keys: AtomicU64::new(0),
            rejected_connections: AtomicU64::new(0),
            blocked_clients: AtomicUsize::new(0),
            calls: (0..commands).map(|_| AtomicU64::new(0)).collect(),
            rejected_calls: (0..commands).map(|_| AtomicU64::new(0)).collect(),
            failed_calls: (0..commands).map(|_| AtomicU64::new(0)).collect(),
            errors: parking_lot::Mutex::new(std::collections::BTreeMap::new()),
            next_client_id: AtomicU64::new(0),
        }
    }

    /// Day 3: CONFIG RESETSTAT. Zeroes the counters that count events since start
    /// (commands, per-command calls, connections received and rejected, expired keys),
    /// as Redis's `resetServerStats` and `resetCommandTableStats` do. Gauges of the
    /// present (connected and blocked clients) and the client id sequence are kept: they
    /// describe now, not history, and CLIENT ID must never repeat.
    pub fn reset(&self) {
        self.total_connections.store(0, Ordering::Relaxed);
        self.total_commands.store(0, Ordering::Relaxed);
        self.expired_keys.store(0, Ordering::Relaxed);
        self.rejected_connections.store(0, Ordering::Relaxed);
        for counter in self
            .calls
            .iter()
            .chain(self.rejected_calls.iter())
            .chain(self.failed_calls.iter())
        {
            counter.store(0, Ordering::Relaxed);
        }
        self.errors.lock().clear();
    }

    /// Counts an error reply (`reply` is its text, without the leading `-`) under its
    /// first word, and, for a known command at `index`, as a rejected call (it never ran)
    /// or a failed one. Redis keeps the same three counts (`afterErrorReply`).
    pub fn count_error(&self, reply: &[u8], index: Option<usize>, rejected: bool) {
        let code = reply
            .split(|&b| b == b' ' || b == b'\r')
            .next()
            .unwrap_or_default();
        *self
            .errors
            .lock()
            .entry(String::from_utf8_lossy(code).into_owned())
            .or_default() += 1;
        let per_command = if rejected {
            &self.rejected_calls
        } else {
            &self.failed_calls
        };
        if let Some(counter) = index.and_then(|i| per_command.get(i)) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts a call of command `index` that answered `reply` (a failed call too if the
    /// reply is an error): the dispatcher's count, and a blocked command's when it ends.
    pub fn count_answered(&self, index: usize, reply: &[u8]) {
        self.count_call(index);
        if let Some(error) = reply.strip_prefix(b"-") {
            self.count_error(error, Some(index), false);
        }
    }

    /// Counts one call of the command at `index` in the command table, once it has run
    /// (`total_commands_processed`, INFO commandstats): the dispatcher's count, and day 6's
    /// for EXEC inside MULTI, which runs outside it.
    pub fn count_call(&self, index: usize) {
        self.total_commands.fetch_add(1, Ordering::Relaxed);
        if let Some(calls) = self.calls.get(index) {
            calls.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A fresh client id (CLIENT ID): 1, 2, 3, ...
    pub fn next_client_id(&self) -> u64 {
        self.next_client_id.fetch_add(1, Ordering::Relaxed) + 1
    }
}

/// The whole server state: the databases, the configuration, the counters.
#[derive(Debug)]
pub struct Server {
    dbs: Box<[Db]>,
    /// Live configuration (CONFIG GET/SET).
    pub config: RwLock<Config>,
    /// Counters for INFO.
    pub stats: Stats,
    /// When the server started.
    pub started: Instant,
    /// A random id for this run (INFO's run_id).
    pub run_id: String,
    cross_db: Mutex<()>,
    /// Day 4: woken after every command while clients are blocked (BLPOP and friends
    /// look again then; see [`crate::cmd::blocking`]).
    pub wakeups: tokio::sync::Notify,
    /// Day 4: the ids of blocked clients, each with the CLIENT UNBLOCK request waiting
    /// for it (`Some(true)`: answer an error, `Some(false)`: answer as a timeout).
    pub blocked_ids: Mutex<std::collections::HashMap<u64, Option<bool>>>,
    /// Day 4: the blocked clients in the order they blocked, each with its own wake-up:
    /// a write wakes the oldest, and each passes the turn on, so the first to block is
    /// the first served, as in Redis.
    pub blocked_order: Mutex<Vec<(u64, std::sync::Arc<tokio::sync::Notify>)>>,
    /// Day 3: every connected client (CLIENT LIST, KILL) and the CLIENT PAUSE state.
    pub clients: clients::Clients,
    /// Day 7: the cluster this node belongs to (`cluster-enabled yes`), if any.
    pub cluster: Option<crate::cluster::Cluster>,
    /// Day 6: the gate EXEC closes to run its queue alone ([`exec_gate`]).
    pub exec_gate: exec_gate::ExecGate,
    /// Day 6: who WATCHes which key ([`watch`]).
    pub watches: watch::Watches,
    /// Day 6: pub/sub subscriptions ([`hub`]).
    pub hub: hub::Hub,
    /// Day 5: the snapshot state (changes since the last save, BGSAVE in progress).
    pub rdb: crate::rdb::RdbState,
    /// Day 5: the append-only file (off unless `appendonly yes`; see [`crate::aof`]).
    pub aof: crate::aof::Aof,
}

impl Server {
    /// A server with `config.databases` empty databases, counting calls for a command
    /// table of `commands` entries.
    pub fn new(config: Config, commands: usize) -> Self {
        let count = config.databases.max(1);
        let run_id: String = (0..40)
            .map(|_| char::from_digit(rand::random_range(0..16u32), 16).unwrap_or('0'))
            .collect();
        Self {
            dbs: (0..count).map(|_| Db::new()).collect(),
            config: RwLock::new(config),
            stats: Stats::new(commands),
            started: Instant::now(),
            run_id,
            cross_db: Mutex::new(()),
            wakeups: tokio::sync::Notify::new(),
            blocked_ids: Mutex::new(std::collections::HashMap::new()),
            blocked_order: Mutex::new(Vec::new()),
            clients: clients::Clients::default(),
            cluster: None, // Day 7: set by `serve_database` from the config
            exec_gate: Default::default(), // Day 6
            watches: Default::default(), // Day 6
            hub: Default::default(), // Day 6
            rdb: Default::default(),
            aof: crate::aof::Aof::new(),
        }
    }

    /// Database number `index`.
    pub fn db(&self, index: usize) -> Option<&Db> {
        self.dbs.get(index)
    }

    /// All databases.
    pub fn dbs(&self) -> &[Db] {
        &self.dbs
    }

    /// Exchanges two databases' contents (SWAPDB), atomically for other commands.
    /// The caller holds [`Server::cross_db_guard`].
    pub fn swap_dbs(&self, a: usize, b: usize) {
        if a == b {
            return;
        }
        let (lo, hi) = (a.min(b), a.max(b));
        self.dbs[lo].swap_with(&self.dbs[hi]);
    }

    /// Serialises the commands that lock shards in two databases (SWAPDB, MOVE, COPY ... DB):
    /// take it *before* any shard lock, so two of them can never wait on each other.
    pub fn cross_db_guard(&self) -> parking_lot::MutexGuard<'_, ()> {
        self.cross_db.lock()
    }
}
