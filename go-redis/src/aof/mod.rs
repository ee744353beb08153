//! Day 5 — the append-only file: every write, logged in RESP, replayed at start.
//!
//! Until now a restart lost everything. The AOF fixes that the simplest way there is: every
//! command that changed data is appended to a file, in the very protocol clients speak, and
//! at start the server reads the file back and runs the commands again. Three questions
//! make it real, and each has its own module:
//!
//! - **what to write** ([`propagate`]): the command as the client sent it, unless replaying
//!   it would not give the same result: `EXPIRE k 10` must become an absolute `PEXPIREAT`,
//!   a served `BLPOP` an `LPOP`, `SPOP` the `SREM` of what it popped;
//! - **when it is on disk** ([`writer`]): commands go through a buffer to one writer
//!   thread, which writes them and calls `fsync` as `appendfsync` says (`always`: before
//!   the client sees its reply; `everysec`: once a second; `no`: when the OS likes);
//! - **how the files stay small** ([`rewrite`]): BGREWRITEAOF writes the data set as a fresh
//!   *base* file while new writes go to a new *incremental* file, then swaps the
//!   [`manifest`] that lists them, Redis 7's multi-part layout, so real Redis and
//!   `redis-check-aof` read our directory and we read theirs ([`load`]).
//!
//! [`Aof`] is the state all of that shares; it lives in [`crate::Server`].

pub mod load;
pub mod manifest;
pub mod propagate;
pub mod rewrite;
pub mod stream_rewrite; // Day 4: streams
pub mod writer;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};

use bytes::BytesMut;
use parking_lot::{Condvar, Mutex, RwLock};

use crate::config::Config;
use crate::db::Server;
pub use manifest::Manifest;

/// What can go wrong with the AOF: reading its files at start, writing them, rewriting.
#[derive(Debug, thiserror::Error)]
pub enum AofError {
    /// A file of the AOF directory could not be read, written or created.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The manifest does not describe an AOF (Redis's own wording where it has one).
    #[error("bad AOF manifest {path}, line {line}: {message}")]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// The 1-based line (0: the file as a whole).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A file listed by the manifest does not exist.
    #[error("the AOF file {0} listed in the manifest does not exist")]
    Missing(PathBuf),
    /// Bytes that are not a RESP command where one should start.
    #[error(
        "Bad file format reading the append only file {path} at offset {offset}: make a backup of your AOF file, then use redis-check-aof --fix <filename.manifest>"
    )]
    Format {
        /// The file.
        path: PathBuf,
        /// Where the bad command starts.
        offset: u64,
    },
    /// The file ends in the middle of a command and `aof-load-truncated` is `no` (or it is
    /// not the last file, which is never trimmed).
    #[error(
        "Unexpected end of file reading the append only file {path} (last valid command ends at offset {offset}). You can: 1) Make a backup of your AOF file, then use redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server."
    )]
    Truncated {
        /// The file.
        path: PathBuf,
        /// The end of its last complete command.
        offset: u64,
    },
    /// A command this server does not know (or with the wrong number of arguments).
    #[error("Unknown command '{name}' reading the append only file {path}")]
    UnknownCommand {
        /// The file.
        path: PathBuf,
        /// The command's name.
        name: String,
    },
    /// The base file is an RDB image (`aof-use-rdb-preamble yes`, Redis's default) that
    /// day 5's RDB loader refused.
    #[error("the AOF base file {path} is an RDB image that cannot be loaded: {source}")]
    Rdb {
        /// The base file.
        path: PathBuf,
        /// Why the RDB loader refused it.
        source: crate::rdb::RdbError,
    },
    /// A rewrite is already running.
    #[error("Background append only file rewriting already in progress")]
    RewriteInProgress,
}

impl AofError {
    fn io(path: &Path, source: std::io::Error) -> Self {
        AofError::Io {
            path: path.to_owned(),
            source,
        }
    }
}

/// `appendfsync`: when the writer calls `fsync`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fsync {
    /// After every batch, before the clients of that batch get their replies.
    Always = 0,
    /// Once a second, in the background: at most about a second of writes is lost.
    EverySec = 1,
    /// Never explicitly: the OS writes back when it likes (Linux: within ~30 s).
    No = 2,
}

impl Fsync {
    /// Reads `always`, `everysec` or `no` (any case).
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "always" => Some(Fsync::Always),
            "everysec" => Some(Fsync::EverySec),
            "no" => Some(Fsync::No),
            _ => None,
        }
    }

    fn from_u8(n: u8) -> Self {
        match n {
            0 => Fsync::Always,
            1 => Fsync::EverySec,
            _ => Fsync::No,
        }
    }
}

/// The AOF settings, read from the configuration each time the AOF is opened.
#[derive(Debug, Clone)]
pub struct AofConfig {
    /// `dir`: the server's working directory.
    pub dir: PathBuf,
    /// `appenddirname`: the AOF directory inside `dir` (default `appendonlydir`).
    pub dirname: String,
    /// `appendfilename`: the prefix of every AOF file name (default `appendonly.aof`).
    pub filename: String,
    /// `appendfsync`.
    pub fsync: Fsync,
    /// `aof-load-truncated`: trim a last command cut short by a crash instead of refusing
    /// to start.
    pub load_truncated: bool,
}

impl AofConfig {
    /// The AOF settings of `config`.
    pub fn from_config(config: &Config) -> Self {
        let get = |name: &str, default: &str| {
            config
                .other
                .get(name)
                .cloned()
                .unwrap_or_else(|| default.to_owned())
        };
        Self {
            dir: PathBuf::from(get("dir", ".")),
            dirname: get("appenddirname", "appendonlydir"),
            filename: get("appendfilename", "appendonly.aof"),
            fsync: Fsync::parse(&get("appendfsync", "everysec")).unwrap_or(Fsync::EverySec),
            load_truncated: get("aof-load-truncated", "yes").eq_ignore_ascii_case("yes"),
        }
    }

    /// `dir/appenddirname`: where the manifest and its files live.
    pub fn aof_dir(&self) -> PathBuf {
        self.dir.join(&self.dirname)
    }
}

/// Checks a day-5 directive for the configuration file and CONFIG SET: `Ok(Some(value))`
/// is the value to store (normalised), `Ok(None)` means "not an AOF directive".
pub fn check_directive(name: &str, value: &str) -> Result<Option<String>, String> {
    let bad = || format!("invalid value '{value}' for '{name}'");
    let yes_no = || match value.to_ascii_lowercase().as_str() {
        v @ ("yes" | "no") => Ok(Some(v.to_owned())),
        _ => Err(bad()),
    };
    match name {
        "appendfsync" => Fsync::parse(value)
            .map(|_| Some(value.to_ascii_lowercase()))
            .ok_or_else(bad),
        "aof-load-truncated" | "aof-use-rdb-preamble" | "aof-timestamp-enabled" => yes_no(),
        "appendfilename" | "appenddirname" => {
            if value.is_empty() || value.contains('/') || value == "." || value == ".." {
                Err(format!("{name} can't be a path, just a filename"))
            } else {
                Ok(Some(value.to_owned()))
            }
        }
        _ => Ok(None),
    }
}

/// The open AOF: the incremental file commands are appended to, and the manifest.
#[derive(Debug)]
pub(crate) struct AofFile {
    /// The incremental file being appended to.
    pub(crate) file: std::fs::File,
    /// Bytes written to it that no `fsync` has covered yet.
    pub(crate) unsynced: bool,
    /// Where the AOF lives and what it is called.
    pub(crate) config: AofConfig,
    /// The files that make up the AOF.
    pub(crate) manifest: Manifest,
    /// Whether `manifest` is on disk (not yet, while the first rewrite after CONFIG SET
    /// appendonly yes is running: until it ends, the old files stay what a restart reads).
    pub(crate) persisted: bool,
}

/// Bytes waiting for the writer, and what it needs to frame them.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    /// RESP commands not yet written.
    pub(crate) buf: BytesMut,
    /// The database the last buffered command ran in (a `SELECT` goes in when it changes).
    pub(crate) db: Option<usize>,
    /// Every byte ever appended: the AOF "offset" a client waits for under `always`.
    pub(crate) appended: u64,
}

/// Counters and states INFO persistence reports.
#[derive(Debug, Default)]
pub(crate) struct AofStats {
    pub(crate) rewrite_in_progress: AtomicBool,
    pub(crate) last_rewrite_failed: AtomicBool,
    pub(crate) rewrites: AtomicU64,
    pub(crate) rewrite_failures: AtomicU64,
    pub(crate) last_rewrite_ms: AtomicU64,
    pub(crate) last_write_failed: AtomicBool,
    pub(crate) base_size: AtomicU64,
    pub(crate) current_size: AtomicU64,
}

/// What the writer thread and the command side share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) pending: Mutex<Pending>,
    pub(crate) wake: Condvar,
    pub(crate) file: Mutex<Option<AofFile>>,
    pub(crate) synced: tokio::sync::watch::Sender<u64>,
    pub(crate) fsync: AtomicU8,
    pub(crate) stop: AtomicBool,
    pub(crate) stats: AofStats,
    /// Bumped when the AOF is switched on or off, so a rewrite that started before knows
    /// its result is stale.
    pub(crate) generation: AtomicU64,
}

/// The AOF's state in the server: whether commands are being logged, the buffer they go
/// to, the writer thread, the rewrite in progress.
#[derive(Debug)]
pub struct Aof {
    /// Whether write commands are appended (on, or waiting for the first rewrite).
    active: AtomicBool,
    pub(crate) shared: Arc<Shared>,
    /// Day 5's one server-wide lock: commands that touch several databases without naming
    /// their keys (FLUSHALL, SWAPDB, MOVE, COPY) hold it shared while they run and are
    /// propagated; a rewrite takes it exclusively to cut the log at a consistent point.
    pub(crate) order: RwLock<()>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Default for Aof {
    fn default() -> Self {
        Self::new()
    }
}

impl Aof {
    /// An AOF that is off.
    pub fn new() -> Self {
        Self {
            active: AtomicBool::new(false),
            shared: Arc::new(Shared {
                pending: Mutex::new(Pending::default()),
                wake: Condvar::new(),
                file: Mutex::new(None),
                synced: tokio::sync::watch::Sender::new(0),
                fsync: AtomicU8::new(Fsync::EverySec as u8),
                stop: AtomicBool::new(false),
                stats: AofStats::default(),
                generation: AtomicU64::new(0),
            }),
            order: RwLock::new(()),
            writer: Mutex::new(None),
        }
    }

    /// Whether commands are being appended.
    pub fn is_active(&self) -> bool {
        self.active.load(Ordering::Acquire)
    }

    /// The `appendfsync` policy in force.
    pub fn fsync(&self) -> Fsync {
        Fsync::from_u8(self.shared.fsync.load(Ordering::Relaxed))
    }

    fn set_fsync(&self, fsync: Fsync) {
        self.shared.fsync.store(fsync as u8, Ordering::Relaxed);
    }

    /// Whether a BGREWRITEAOF is running.
    pub fn rewrite_in_progress(&self) -> bool {
        self.shared
            .stats
            .rewrite_in_progress
            .load(Ordering::Acquire)
    }

    /// A receiver of the AOF offset known to be on disk (fsynced under `always`): the
    /// connection holds a client's replies until it passes the client's last write.
    pub fn synced(&self) -> tokio::sync::watch::Receiver<u64> {
        self.shared.synced.subscribe()
    }

    /// Starts the writer thread once.
    fn ensure_writer(&self) -> Result<(), AofError> {
        let mut writer = self.writer.lock();
        if writer.is_none() {
            let shared = self.shared.clone();
            let handle = std::thread::Builder::new()
                .name("aof-writer".into())
                .spawn(move || writer::run(&shared))
                .map_err(|e| AofError::io(Path::new("aof-writer thread"), e))?;
            *writer = Some(handle);
        }
        Ok(())
    }

    /// Stops logging: writes and fsyncs what is buffered, closes the file
    /// (CONFIG SET appendonly no, and shutdown).
    pub fn stop(&self) {
        self.active.store(false, Ordering::Release);
        self.shared.generation.fetch_add(1, Ordering::AcqRel);
        let mut pending = self.shared.pending.lock();
        let mut file = self.shared.file.lock();
        if let Some(open) = file.as_mut() {
            writer::write_now(&self.shared, open, &pending.buf);
            if let Err(err) = open.file.sync_data() {
                tracing::warn!("AOF fsync at stop failed: {err}");
            }
        }
        pending.buf.clear();
        pending.db = None;
        self.shared.synced.send_replace(pending.appended);
        *file = None;
    }

    /// Shutdown: stops logging (everything buffered reaches the disk) and the writer thread.
    pub fn shutdown(&self) {
        self.stop();
        self.shared.stop.store(true, Ordering::Release);
        self.shared.wake.notify_all();
        if let Some(handle) = self.writer.lock().take() {
            let _ = handle.join();
        }
    }
}

/// Whether `appendonly yes` and an AOF exists (its manifest): then the AOF, not the RDB
/// file, decides the data set at start, as in Redis.
pub fn decides_data_set(server: &Server) -> bool {
    let config = server.config.read();
    if !config.appendonly {
        return false;
    }
    let aof = AofConfig::from_config(&config);
    aof.aof_dir()
        .join(Manifest::file_name(&aof.filename))
        .is_file()
}

// ANCHOR: start
/// Opens the AOF at server start when `appendonly yes`: replays the files the manifest
/// lists (so the AOF, not an RDB file, decides what the data set is, as in Redis), creates
/// the directory, a first base file and an incremental file when there is no AOF yet, and
/// starts logging. Returns whether an existing AOF was loaded.
pub fn start(server: &Server) -> Result<bool, AofError> {
    let config = AofConfig::from_config(&server.config.read());
    server.aof.set_fsync(config.fsync);
    if !server.config.read().appendonly {
        return Ok(false);
    }
    let aof_dir = config.aof_dir();
    std::fs::create_dir_all(&aof_dir).map_err(|e| AofError::io(&aof_dir, e))?;
    let manifest = Manifest::read(&aof_dir, &config.filename)?;
    let loaded = manifest.is_some();
    let mut manifest = match manifest {
        Some(manifest) => {
            load::load_files(server, &config, &manifest)?;
            manifest
        }
        None => {
            // No AOF yet: the data set (empty, or what another loader read) becomes base 1.
            let mut manifest = Manifest::default();
            let base = manifest.next_base(&config.filename);
            let snapshot = rewrite::snapshot(server, crate::db::now_ms());
            rewrite::write_base(&aof_dir.join(&base.name), &snapshot, crate::db::now_ms())?;
            tracing::info!("Creating AOF base file {} on server start", base.name);
            manifest
        }
    };
    let incr = match manifest.incr.last() {
        Some(last) => last.clone(),
        None => manifest.next_incr(&config.filename),
    };
    let path = aof_dir.join(&incr.name);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| AofError::io(&path, e))?;
    manifest.persist(&aof_dir, &config.filename)?;
    update_sizes(&server.aof.shared.stats, &aof_dir, &manifest);
    *server.aof.shared.file.lock() = Some(AofFile {
        file,
        unsynced: false,
        config,
        manifest,
        persisted: true,
    });
    server.aof.ensure_writer()?;
    server.aof.active.store(true, Ordering::Release);
    Ok(loaded)
}
// ANCHOR_END: start

/// CONFIG SET changed the configuration: switches the AOF on (with a rewrite, like Redis's
/// `startAppendOnly`) or off, and applies `appendfsync`. Called with no lock held.
pub fn apply_config(server: &Server) -> Result<(), AofError> {
    let (config, on) = {
        let config = server.config.read();
        (AofConfig::from_config(&config), config.appendonly)
    };
    server.aof.set_fsync(config.fsync);
    match (on, server.aof.is_active()) {
        (true, false) => {
            let started = server
                .aof
                .ensure_writer()
                .and_then(|()| rewrite::start_rewrite(server, true));
            if started.is_err() {
                // Not logging: the configuration must not say it is.
                server.config.write().appendonly = false;
            }
            started
        }
        (false, true) => {
            server.aof.stop();
            tracing::info!("AOF switched off");
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Marks the AOF as logging (the switch-on path of [`rewrite::start_rewrite`]).
pub(crate) fn activate(aof: &Aof) {
    aof.shared.generation.fetch_add(1, Ordering::AcqRel);
    aof.active.store(true, Ordering::Release);
}

/// Records the sizes of the base and of all files, for INFO.
pub(crate) fn update_sizes(stats: &AofStats, aof_dir: &Path, manifest: &Manifest) {
    let size = |name: &str| std::fs::metadata(aof_dir.join(name)).map_or(0, |m| m.len());
    let base = manifest.base.as_ref().map_or(0, |b| size(&b.name));
    let incr: u64 = manifest.incr.iter().map(|i| size(&i.name)).sum();
    stats.base_size.store(base, Ordering::Relaxed);
    stats.current_size.store(base + incr, Ordering::Relaxed);
}

/// Day 3's CONFIG RESETSTAT: zeroes the AOF's event counters (`aof_rewrites`,
/// `aof_rewrites_consecutive_failures`), as Redis's `resetServerStats` does; the state
/// fields (last status, sizes) describe now and are kept.
pub fn reset_stats(server: &Server) {
    let stats = &server.aof.shared.stats;
    stats.rewrites.store(0, Ordering::Relaxed);
    stats.rewrite_failures.store(0, Ordering::Relaxed);
}

/// INFO persistence's AOF fields, with Redis 7.0's names.
pub fn write_info(server: &Server, text: &mut String) {
    let aof = &server.aof;
    let stats = &aof.shared.stats;
    let status = |failed: &AtomicBool| {
        if failed.load(Ordering::Relaxed) {
            "err"
        } else {
            "ok"
        }
    };
    let _ = write!(
        text,
        "aof_enabled:{}\r\naof_rewrite_in_progress:{}\r\naof_rewrite_scheduled:0\r\naof_last_rewrite_time_sec:{}\r\naof_current_rewrite_time_sec:-1\r\naof_last_bgrewrite_status:{}\r\naof_rewrites:{}\r\naof_rewrites_consecutive_failures:{}\r\naof_last_write_status:{}\r\naof_last_cow_size:0\r\n",
        u8::from(aof.is_active()),
        u8::from(aof.rewrite_in_progress()),
        match stats.last_rewrite_ms.load(Ordering::Relaxed) {
            0 => -1,
            ms => (ms / 1000) as i64,
        },
        status(&stats.last_rewrite_failed),
        stats.rewrites.load(Ordering::Relaxed),
        stats.rewrite_failures.load(Ordering::Relaxed),
        status(&stats.last_write_failed),
    );
    if aof.is_active() {
        let buffered = aof.shared.pending.lock().buf.len();
        let _ = write!(
            text,
            "aof_current_size:{}\r\naof_base_size:{}\r\naof_pending_rewrite:0\r\naof_buffer_length:{buffered}\r\naof_pending_bio_fsync:0\r\naof_delayed_fsync:0\r\n",
            stats.current_size.load(Ordering::Relaxed),
            stats.base_size.load(Ordering::Relaxed),
        );
    }
}
