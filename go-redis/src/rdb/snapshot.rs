//! Day 5 — snapshots of a live server: SAVE, BGSAVE without `fork`, loading at start, save points.
//!
//! Redis takes a background snapshot by calling `fork()`: the child process sees the
//! memory exactly as it was at that instant (the kernel copies a page only when the parent
//! writes to it) and writes the file at leisure while the parent keeps serving. A Rust
//! server on a multi-threaded runtime cannot fork safely, so we build the same two steps
//! by hand:
//!
//! 1. **Freeze and copy, briefly.** [`take`] locks every shard of every database (the
//!    cross-database guard first, then each database's shards in ascending order: the
//!    same order every command uses, so no deadlock) and clones every live entry. A clone
//!    is cheap: strings are reference-counted [`bytes::Bytes`], so copying a list or a hash
//!    copies handles, not the bytes. While the locks are held no command runs, which is
//!    what makes the copy one instant of the keyspace, MOVEs between databases included.
//! 2. **Write at leisure.** The copy is encoded and written by a plain thread to a
//!    temporary file, `fsync`ed, and renamed over `dbfilename`: a crash mid-write leaves
//!    the previous snapshot intact. Commands run meanwhile; they change the live keyspace,
//!    never the copy.
//!
//! The price is the copy's memory (all the handles, for a moment) and the pause while it
//! is made; `fork` pays in page copies later instead. [`RdbState`] keeps what INFO
//! reports: changes since the last save, whether a BGSAVE runs, how the last one ended.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::RdbError;
use super::decode::{LoadStats, read_rdb};
use super::encode::write_rdb;
use crate::db::{Entry, Key, Locked, Server, now_ms};

/// The snapshot state a server keeps (INFO persistence, LASTSAVE, BGSAVE's one-at-a-time
/// rule). Cheap to clone: the background writer holds a clone to report back.
#[derive(Debug, Clone, Default)]
pub struct RdbState {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Write commands since the last successful save (`rdb_changes_since_last_save`).
    dirty: AtomicU64,
    /// When the last successful save finished, Unix seconds (0: never; LASTSAVE then
    /// answers the start time).
    last_save: AtomicU64,
    /// When the last save attempt started, Unix seconds (failed attempts are retried by
    /// the save points only after a pause, as Redis does).
    last_attempt: AtomicU64,
    in_progress: AtomicBool,
    last_failed: AtomicBool,
    /// Serialises writers of the file (SAVE and BGSAVE's thread).
    writing: parking_lot::Mutex<()>,
}

/// Why SAVE or BGSAVE did not start; the texts are Redis's.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// A BGSAVE is still writing.
    #[error("ERR Background save already in progress")]
    InProgress,
    /// The snapshot could not be written.
    #[error("ERR {0}")]
    Failed(#[from] RdbError),
}

impl RdbState {
    /// Counts one write command (called by the dispatcher after each successful write).
    pub fn add_change(&self) {
        self.add_changes(1);
    }

    /// Counts `n` changes at once (a command that counts its own; see `Session::changes`).
    pub fn add_changes(&self, n: u64) {
        self.inner.dirty.fetch_add(n, Ordering::Relaxed);
    }

    /// Write commands since the last successful save.
    pub fn changes_since_save(&self) -> u64 {
        self.inner.dirty.load(Ordering::Relaxed)
    }

    /// When the last successful save finished (Unix seconds), if there was one.
    pub fn last_save(&self) -> Option<u64> {
        Some(self.inner.last_save.load(Ordering::Relaxed)).filter(|&t| t > 0)
    }

    /// Whether a BGSAVE is writing now.
    pub fn in_progress(&self) -> bool {
        self.inner.in_progress.load(Ordering::Relaxed)
    }

    /// Whether the last save failed.
    pub fn last_failed(&self) -> bool {
        self.inner.last_failed.load(Ordering::Relaxed)
    }

    /// Records the end of a save that started when `changes` changes were pending.
    fn finished(&self, result: &Result<(), RdbError>, changes: u64) {
        match result {
            Ok(()) => {
                self.inner.dirty.fetch_sub(changes, Ordering::Relaxed);
                self.inner
                    .last_save
                    .store(now_ms() / 1000, Ordering::Relaxed);
                self.inner.last_failed.store(false, Ordering::Relaxed);
            }
            Err(err) => {
                tracing::warn!("RDB save failed: {err}");
                self.inner.last_failed.store(true, Ordering::Relaxed);
            }
        }
    }
}

/// A copy of every database's live keys at one instant: `dbs[i]` holds database i's.
pub type Snapshot = Vec<Vec<(Key, Entry)>>;

// ANCHOR: take
/// Copies every live key of every database at one instant (see the module comment), and
/// returns the copy with the number of changes it includes.
pub fn take(server: &Server) -> (Snapshot, u64) {
    let _cross = server.cross_db_guard();
    let now = now_ms();
    let mut locked: Vec<_> = server.dbs().iter().map(|db| db.lock_all(now)).collect();
    let changes = server.rdb.changes_since_save();
    (copy_live(&mut locked, now), changes)
}

/// Clones every entry of the locked databases that is still live at `now`.
fn copy_live(locked: &mut [Locked<'_>], now: u64) -> Snapshot {
    locked
        .iter_mut()
        .map(|db| {
            let shards: Vec<_> = db.shards_mut().collect();
            // Sized once: the copy is made while every shard is locked, so no regrowth.
            let mut keys = Vec::with_capacity(shards.iter().map(|s| s.len()).sum());
            for shard in shards {
                keys.extend(
                    shard
                        .map
                        .iter()
                        .filter(|(_, entry)| entry.expires_at.is_none_or(|at| at > now))
                        .map(|(key, entry)| (key.clone(), entry.clone())),
                );
            }
            keys
        })
        .collect()
}
// ANCHOR_END: take

/// Where snapshots go: `dir/dbfilename` from the live configuration.
pub fn rdb_path(server: &Server) -> PathBuf {
    let config = server.config.read();
    let dir = config.other.get("dir").map_or(".", String::as_str);
    let file = config
        .other
        .get("dbfilename")
        .map_or("dump.rdb", String::as_str);
    Path::new(dir).join(file)
}

/// Writes `snapshot` to `path` safely: a temporary file in the same directory, flushed to
/// disk, then renamed over `path` (a rename is atomic: readers see the old file or the new).
pub fn write_file(path: &Path, snapshot: &Snapshot) -> Result<(), RdbError> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let temp = dir.join(format!(
        "temp-{}-{}.rdb",
        std::process::id(),
        rand::random::<u32>()
    ));
    let result = (|| {
        let file = std::fs::File::create(&temp)?;
        let mut out = write_rdb(std::io::BufWriter::with_capacity(1 << 16, file), snapshot)?;
        out.flush()?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    Ok(result?)
}

// ANCHOR: save
/// SAVE: snapshot and write in the caller's thread; the reply waits for the disk.
pub fn save(server: &Server) -> Result<(), SaveError> {
    if server.rdb.in_progress() {
        return Err(SaveError::InProgress);
    }
    let state = &server.rdb;
    let _writing = state.inner.writing.lock();
    state
        .inner
        .last_attempt
        .store(now_ms() / 1000, Ordering::Relaxed);
    let (snapshot, changes) = take(server);
    let result = write_file(&rdb_path(server), &snapshot);
    state.finished(&result, changes);
    Ok(result?)
}

/// BGSAVE: snapshot now, write on a background thread; returns once the copy is made.
pub fn bgsave(server: &Server) -> Result<(), SaveError> {
    let state = server.rdb.clone();
    if state.inner.in_progress.swap(true, Ordering::AcqRel) {
        return Err(SaveError::InProgress);
    }
    state
        .inner
        .last_attempt
        .store(now_ms() / 1000, Ordering::Relaxed);
    let (snapshot, changes) = take(server);
    let path = rdb_path(server);
    let writer = state.clone();
    let spawned = std::thread::Builder::new()
        .name("rdb-bgsave".into())
        .spawn(move || {
            let result = {
                let _writing = writer.inner.writing.lock();
                write_file(&path, &snapshot)
            };
            writer.finished(&result, changes);
            // Freeing the copy also happens here, off the serving threads.
            drop(snapshot);
            writer.inner.in_progress.store(false, Ordering::Release);
        });
    if let Err(err) = spawned {
        state.inner.in_progress.store(false, Ordering::Release);
        return Err(SaveError::Failed(err.into()));
    }
    Ok(())
}
// ANCHOR_END: save

// ANCHOR: load
/// Loads the RDB file bytes `data` into `server`'s databases (which the caller has
/// emptied, or which are fresh). Each key is stored with its TTL.
pub fn load_bytes(server: &Server, data: &[u8]) -> Result<LoadStats, RdbError> {
    let now = now_ms();
    read_rdb(data, server.dbs().len(), now, |index, key, entry| {
        if let Some(db) = server.db(index) {
            db.lock(std::iter::once(&key[..]), now)
                .put_entry(&key, entry);
        }
    })
}

/// At start: loads `dir/dbfilename` if it exists, unless `appendonly yes` (the AOF is
/// then the source of truth, as in Redis). A file that is there but cannot be read is an
/// error: starting empty would silently lose the data in it.
pub fn load_at_start(server: &Server) -> Result<Option<LoadStats>, RdbError> {
    if crate::aof::decides_data_set(server) {
        return Ok(None);
    }
    let path = rdb_path(server);
    let data = match std::fs::read(&path) {
        Ok(data) => data,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(err.into()),
    };
    match load_bytes(server, &data) {
        Ok(stats) => {
            tracing::info!(
                "loaded {} keys from {} ({} already expired)",
                stats.keys,
                path.display(),
                stats.expired
            );
            Ok(Some(stats))
        }
        Err(err) => {
            for db in server.dbs() {
                db.clear();
            }
            Err(err)
        }
    }
}
// ANCHOR_END: load

/// DEBUG RELOAD: saves, empties every database and loads the file back, all while
/// holding every shard, so no command sees (or changes) the keyspace in between.
pub fn reload(server: &Server) -> Result<(), SaveError> {
    if server.rdb.in_progress() {
        return Err(SaveError::InProgress);
    }
    let _writing = server.rdb.inner.writing.lock();
    let _cross = server.cross_db_guard();
    let now = now_ms();
    let mut locked: Vec<_> = server.dbs().iter().map(|db| db.lock_all(now)).collect();
    let changes = server.rdb.changes_since_save();
    let snapshot = copy_live(&mut locked, now);
    let path = rdb_path(server);
    let result = write_file(&path, &snapshot);
    server.rdb.finished(&result, changes);
    result?;
    drop(snapshot);
    let data = std::fs::read(&path).map_err(RdbError::from)?;
    for db in locked.iter_mut() {
        db.shards_mut().for_each(|shard| shard.clear());
    }
    read_rdb(&data, locked.len(), now, |index, key, entry| {
        if let Some(db) = locked.get_mut(index) {
            db.put_entry(&key, entry);
        }
    })?;
    Ok(())
}

/// The `save` directive's points: `"900 1 300 10"` = after 900 s if 1 change, after
/// 300 s if 10 changes. Malformed text yields no points (CONFIG SET checks it first).
pub fn save_points(text: &str) -> Vec<(u64, u64)> {
    let numbers: Vec<u64> = text
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    numbers.chunks_exact(2).map(|p| (p[0], p[1])).collect()
}

/// Whether `text` is a valid `save` value: empty, or pairs of non-negative integers.
pub fn valid_save_points(text: &str) -> bool {
    let words: Vec<&str> = text.split_whitespace().collect();
    words.len().is_multiple_of(2) && words.iter().all(|w| w.parse::<u64>().is_ok())
}

/// Spawns the snapshot cron: five times a second, start a BGSAVE when a save point is
/// reached. When `shutdown` is cancelled (after the last client is served) and save points
/// are set, it makes a last SAVE, as Redis does on SIGTERM, so a clean stop loses nothing.
pub fn spawn_save_cron(
    server: Arc<Server>,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = shutdown.cancelled() => {
                    save_at_shutdown(server).await;
                    return;
                }
            }
            if server.rdb.in_progress() {
                continue;
            }
            if save_point_reached(&server) {
                // Runs the copy on a blocking thread: it holds every shard for a moment.
                let server = server.clone();
                let _ = tokio::task::spawn_blocking(move || bgsave(&server)).await;
            }
        }
    })
}

/// The last SAVE of a clean shutdown, if the `save` directive sets save points (with
/// `save ""` a server is a pure cache, and Redis does not save either).
async fn save_at_shutdown(server: Arc<Server>) {
    let text = server
        .config
        .read()
        .other
        .get("save")
        .cloned()
        .unwrap_or_default();
    if save_points(&text).is_empty() {
        return;
    }
    // A BGSAVE may still be writing: wait for it (it holds an older copy).
    while server.rdb.in_progress() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    match tokio::task::spawn_blocking(move || save(&server)).await {
        Ok(Ok(())) => tracing::info!("saved the snapshot at shutdown"),
        Ok(Err(err)) => tracing::warn!("could not save at shutdown: {err}"),
        Err(err) => tracing::warn!("the shutdown save did not run: {err}"),
    }
}

fn save_point_reached(server: &Server) -> bool {
    let text = server
        .config
        .read()
        .other
        .get("save")
        .cloned()
        .unwrap_or_default();
    let changes = server.rdb.changes_since_save();
    if changes == 0 {
        return false;
    }
    let now = now_ms() / 1000;
    let since = |t: u64| now.saturating_sub(t);
    let last_ok = server
        .rdb
        .last_save()
        .unwrap_or(now_ms() / 1000 - server.started.elapsed().as_secs());
    // After a failure, wait 5 s before trying again (Redis's CONFIG_BGSAVE_RETRY_DELAY).
    if server.rdb.last_failed() && since(server.rdb.inner.last_attempt.load(Ordering::Relaxed)) < 5
    {
        return false;
    }
    save_points(&text)
        .iter()
        .any(|&(seconds, min_changes)| changes >= min_changes && since(last_ok) >= seconds)
}

/// The RDB lines of INFO persistence.
pub fn info_fields(server: &Server, text: &mut String) {
    use std::fmt::Write;
    let state = &server.rdb;
    let last_save = state
        .last_save()
        .unwrap_or(now_ms() / 1000 - server.started.elapsed().as_secs());
    let _ = write!(
        text,
        "rdb_changes_since_last_save:{}\r\nrdb_bgsave_in_progress:{}\r\nrdb_last_save_time:{}\r\nrdb_last_bgsave_status:{}\r\n",
        state.changes_since_save(),
        u8::from(state.in_progress()),
        last_save,
        if state.last_failed() { "err" } else { "ok" },
    );
}
