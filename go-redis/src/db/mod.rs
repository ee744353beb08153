//! Day 3 — the database server: sixteen keyspaces, client sessions and command dispatch.
//!
//! [`Server`] is what day 2's connection loop hands every request to (it implements
//! [`Executor`]). For each request it finds the command in the table ([`crate::cmd`]),
//! checks the argument count and authentication with Redis's exact error words, locks the
//! shards of the keys the command names ([`keyspace::Db::lock`]), and runs it. A
//! [`Session`] is one client's state: which database it selected, whether it has
//! authenticated.

pub mod expire;
pub mod keyspace;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use parking_lot::{Mutex, RwLock};
use tokio::net::TcpStream;

use crate::cmd::{self, Ctx, Keys};
use crate::config::Config;
use crate::connection::{Executor, Flow};
use crate::resp::ReplyWriter;
pub use keyspace::{Db, Entry, Locked, Value};

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
    /// The request this client is blocked on (BLPOP ...), if any.
    pub blocked: Option<Vec<Bytes>>,
}

/// Server-wide counters for INFO.
#[derive(Debug, Default)]
pub struct Stats {
    /// Clients connected now.
    pub connected_clients: AtomicUsize,
    /// Connections accepted since start.
    pub total_connections: AtomicU64,
    /// Commands processed since start.
    pub total_commands: AtomicU64,
    /// Keys removed by expiry.
    pub expired_keys: AtomicU64,
    /// Clients waiting in a blocking command.
    pub blocked_clients: AtomicUsize,
    next_client_id: AtomicU64,
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
    calls: Box<[AtomicU64]>,
    /// Woken after every write while clients are blocked (BLPOP and friends retry then).
    wakeups: tokio::sync::Notify,
}

impl Server {
    /// A server with `config.databases` empty databases.
    pub fn new(config: Config) -> Self {
        let count = config.databases.max(1);
        let run_id: String = (0..40)
            .map(|_| char::from_digit(rand::random_range(0..16u32), 16).unwrap_or('0'))
            .collect();
        Self {
            dbs: (0..count).map(|_| Db::new()).collect(),
            config: RwLock::new(config),
            stats: Stats::default(),
            started: Instant::now(),
            run_id,
            cross_db: Mutex::new(()),
            calls: cmd::all_commands().map(|_| AtomicU64::new(0)).collect(),
            wakeups: tokio::sync::Notify::new(),
        }
    }

    /// Every command called at least once, with its call count (INFO commandstats).
    pub fn command_calls(&self) -> Vec<(&'static cmd::Command, u64)> {
        cmd::all_commands()
            .zip(self.calls.iter())
            .map(|(c, n)| (c, n.load(Ordering::Relaxed)))
            .filter(|(_, n)| *n > 0)
            .collect()
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

    // ANCHOR: dispatch
    /// Runs one request for `session`, appending the reply to `out`.
    pub fn dispatch(&self, session: &mut Session, args: &[Bytes], out: &mut BytesMut) -> Flow {
        self.stats.total_commands.fetch_add(1, Ordering::Relaxed);
        let Some((index, command)) = cmd::lookup_indexed(&args[0]) else {
            out.error(&cmd::unknown_command_message(args));
            return Flow::Continue;
        };
        self.calls[index].fetch_add(1, Ordering::Relaxed);
        // ANCHOR: ex_dispatch
        if !session.authenticated && command.flags & cmd::NO_AUTH == 0 {
            out.error("NOAUTH Authentication required.");
            return Flow::Continue;
        }
        let argc = args.len() as i32;
        if (command.arity > 0 && argc != command.arity) || argc < -command.arity {
            out.error(&format!(
                "ERR wrong number of arguments for '{}' command",
                command.name
            ));
            return Flow::Continue;
        }
        let db = &self.dbs[session.db];
        let now = now_ms();
        let locked = match command.keys {
            Keys::None => db.lock(std::iter::empty(), now),
            Keys::All => db.lock_all(now),
            Keys::Range(first, last, step) => db.lock(key_args(args, first, last, step), now),
        };
        let mut ctx = Ctx {
            db: locked,
            out,
            session,
            server: self,
        };
        match (command.run)(&mut ctx, args) {
            Ok(flow) => flow,
            Err(err) => {
                ctx.out.error(&err.to_string());
                Flow::Continue
            }
        }
        // ANCHOR_END: ex_dispatch
    }
    // ANCHOR_END: dispatch
}

/// The key arguments named by a `(first, last, step)` key spec; `last < 0` counts from
/// the end, as in Redis's command table.
pub fn key_args(args: &[Bytes], first: i32, last: i32, step: usize) -> impl Iterator<Item = &[u8]> {
    let len = args.len() as i32;
    let last = if last < 0 {
        len + last
    } else {
        last.min(len - 1)
    };
    let first = first.max(1);
    (first..=last)
        .step_by(step.max(1))
        .filter_map(move |i| args.get(i as usize).map(|a| a.as_ref()))
}

impl Executor for Server {
    type Session = Session;

    fn open_session(&self, stream: &TcpStream) -> Session {
        self.stats.connected_clients.fetch_add(1, Ordering::Relaxed);
        self.stats.total_connections.fetch_add(1, Ordering::Relaxed);
        Session {
            id: self.stats.next_client_id.fetch_add(1, Ordering::Relaxed) + 1,
            db: 0,
            authenticated: self.config.read().requirepass.is_none(),
            name: None,
            blocked: None,
            addr: stream
                .peer_addr()
                .map(|a| a.to_string())
                .unwrap_or_default(),
        }
    }

    fn execute(&self, session: &mut Session, args: Vec<Bytes>, out: &mut BytesMut) -> Flow {
        let flow = self.dispatch(session, &args, out);
        if let Flow::Block(_) = flow {
            self.stats.blocked_clients.fetch_add(1, Ordering::Relaxed);
            session.blocked = Some(args);
        } else if self.stats.blocked_clients.load(Ordering::Relaxed) > 0 {
            // Something may have been pushed that a blocked client waits for.
            self.wakeups.notify_waiters();
        }
        flow
    }

    fn close_session(&self, session: &mut Session) {
        self.stats.connected_clients.fetch_sub(1, Ordering::Relaxed);
        if session.blocked.take().is_some() {
            self.stats.blocked_clients.fetch_sub(1, Ordering::Relaxed);
        }
    }

    fn wakeups(&self) -> Option<&tokio::sync::Notify> {
        Some(&self.wakeups)
    }

    fn retry_blocked(&self, session: &mut Session, out: &mut BytesMut) -> Flow {
        let Some(args) = session.blocked.take() else {
            return Flow::Continue;
        };
        let flow = self.dispatch(session, &args, out);
        if let Flow::Block(_) = flow {
            session.blocked = Some(args);
        } else {
            self.stats.blocked_clients.fetch_sub(1, Ordering::Relaxed);
            // Serving this client changed data too (BLMOVE pushes): let others look.
            self.wakeups.notify_waiters();
        }
        flow
    }

    fn blocked_timed_out(&self, session: &mut Session, out: &mut BytesMut) {
        let Some(args) = session.blocked.take() else {
            return;
        };
        self.stats.blocked_clients.fetch_sub(1, Ordering::Relaxed);
        // BLMOVE and BRPOPLPUSH answer a null bulk; the others a null array.
        if cmd::is(&args[0], "blmove") || cmd::is(&args[0], "brpoplpush") {
            out.null();
        } else {
            out.null_array();
        }
    }
}
