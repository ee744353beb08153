//! Day 5 — BGREWRITEAOF: compact the log while writes go on, losing none.
//!
//! The log only grows: a counter incremented a million times is a million lines for one
//! key. A rewrite replaces the history with the shortest program that rebuilds the data
//! set as it is now: one `SET` per string, one `RPUSH` per 64 list elements, a `PEXPIREAT`
//! per TTL. The difficulty is doing it *while clients keep writing*, without losing or
//! doubling a single write. Redis 7 does it in three steps, and so do we:
//!
//! 1. **the cut** ([`start_rewrite`]): in one instant, the data set is captured and the
//!    log switches to a *new incremental file*. Every write before the instant is in the
//!    capture; every write after it goes to the new file only.
//! 2. **the base** (a background thread): the capture is written as commands to a
//!    temporary file, fsynced (`aof-use-rdb-preamble no`'s form; an RDB image could take
//!    its place).
//! 3. **the swap**: the temporary file is renamed to the new base, and a new manifest
//!    (new base + the new incremental file) replaces the old one with one atomic rename.
//!    Then the old base and old incremental files are deleted.
//!
//! Redis captures the data set with `fork()`: the child sees the memory as it was, copied
//! page by page only when the parent writes to it. Rust has no safe fork of a
//! multi-threaded process, so the cut here *copies* the data set: it stops writers (every
//! database's shards locked at once, plus the order lock that cross-database commands
//! hold), clones the entries (values are cheap to clone: the bytes inside are shared,
//! reference-counted [`Bytes`]), switches the log, and lets writers go. Writers wait for
//! the copy, a few hundred milliseconds per million keys, and never for the disk.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use bytes::{Bytes, BytesMut};

use super::manifest::{FileType, sync_dir};
use super::writer::{encode_command, write_now};
use super::{AofConfig, AofError, AofFile, Manifest, Shared};
use crate::cmd::{ADMIN, CmdError, CmdResult, Command, Ctx};
use crate::command;
use crate::connection::Flow;
use crate::db::{Entry, Key, Locked, Server, Value, now_ms};
use crate::resp::ReplyWriter;

/// Day 5's command: BGREWRITEAOF.
pub const COMMANDS: &[Command] = &[command!("bgrewriteaof", 1, ADMIN, none, bgrewriteaof)];

/// How many elements one command of the base file carries (Redis's
/// `AOF_REWRITE_ITEMS_PER_CMD`): long lists become several `RPUSH`es.
pub const ITEMS_PER_COMMAND: usize = 64;

/// The data set at the cut: for each database, its keys and their entries.
pub type Snapshot = Vec<Vec<(Key, Entry)>>;

fn bgrewriteaof(cx: &mut Ctx<'_>, _args: &[Bytes]) -> CmdResult {
    match start_rewrite(cx.server, false) {
        Ok(()) => cx
            .out
            .simple("Background append only file rewriting started"),
        Err(AofError::RewriteInProgress) => {
            return Err(CmdError::err(
                "Background append only file rewriting already in progress",
            ));
        }
        Err(err) => return Err(CmdError::err(err)),
    }
    Ok(Flow::Continue)
}

/// Copies every database's live entries out of locked views.
fn copy_out(views: &mut [Locked<'_>], now: u64) -> Snapshot {
    views
        .iter_mut()
        .map(|view| {
            view.shards_mut()
                .flat_map(|shard| {
                    shard
                        .map
                        .iter()
                        .filter(|(_, e)| e.expires_at.is_none_or(|at| at > now))
                        .map(|(k, e)| (k.clone(), e.clone()))
                        .collect::<Vec<_>>()
                })
                .collect()
        })
        .collect()
}

/// The data set now, one database at a time (for the first base file at start, when no
/// client is connected yet).
pub fn snapshot(server: &Server, now: u64) -> Snapshot {
    let mut views: Vec<Locked<'_>> = server.dbs().iter().map(|db| db.lock_all(now)).collect();
    copy_out(&mut views, now)
}

// ANCHOR: start_rewrite
/// Starts a rewrite: the cut, now, then the base file and the manifest swap in a
/// background thread. `switch_on` is CONFIG SET appendonly yes: the AOF starts logging at
/// the cut, and its manifest is written only once the base exists.
pub fn start_rewrite(server: &Server, switch_on: bool) -> Result<(), AofError> {
    let aof = &server.aof;
    let stats = &aof.shared.stats;
    if stats.rewrite_in_progress.swap(true, Ordering::AcqRel) {
        return Err(AofError::RewriteInProgress);
    }
    let config = AofConfig::from_config(&server.config.read());
    let started = Instant::now();
    let cut = (|| {
        let aof_dir = config.aof_dir();
        std::fs::create_dir_all(&aof_dir).map_err(|e| AofError::io(&aof_dir, e))?;
        // Stop every writer: cross-database commands (order lock), then every shard.
        let _order = aof.order.write();
        let _cross = server.cross_db_guard();
        let now = now_ms();
        let mut views: Vec<Locked<'_>> = server.dbs().iter().map(|db| db.lock_all(now)).collect();
        let mut pending = aof.shared.pending.lock();
        let mut file = aof.shared.file.lock();
        // ANCHOR: ex_cut
        match file.as_mut() {
            Some(open) => switch_incr(&aof.shared, open, &pending.buf)?,
            None if switch_on => {
                *file = Some(open_for_switch_on(&config)?);
                super::activate(aof);
            }
            None => {} // AOF off: BGREWRITEAOF writes a base file only
        }
        pending.buf.clear();
        pending.db = None;
        // ANCHOR_END: ex_cut
        aof.shared.synced.send_replace(pending.appended);
        let generation = aof.shared.generation.load(Ordering::Acquire);
        drop(file);
        drop(pending);
        Ok::<_, AofError>((copy_out(&mut views, now), generation))
    })();
    let (snapshot, generation) = match cut {
        Ok(cut) => cut,
        Err(err) => {
            stats.rewrite_in_progress.store(false, Ordering::Release);
            return Err(err);
        }
    };
    tracing::info!("Background append only file rewriting started");
    let shared = aof.shared.clone();
    let spawned = std::thread::Builder::new()
        .name("aof-rewrite".into())
        .spawn(move || {
            let result = finish(&shared, &config, &snapshot, generation);
            finished(&shared, result, started);
        });
    if let Err(err) = spawned {
        stats.rewrite_in_progress.store(false, Ordering::Release);
        return Err(AofError::io(Path::new("aof-rewrite thread"), err));
    }
    Ok(())
}
// ANCHOR_END: start_rewrite

/// The cut for a running AOF: what is buffered goes to the current incremental file, then
/// a new incremental file is opened and listed (so a crash during the rewrite still finds
/// every write: old base + old incremental files + the new one).
fn switch_incr(shared: &Shared, open: &mut AofFile, buffered: &[u8]) -> Result<(), AofError> {
    write_now(shared, open, buffered);
    let _ = open.file.sync_data();
    open.unsynced = false;
    let aof_dir = open.config.aof_dir();
    let mut manifest = open.manifest.clone();
    let info = manifest.next_incr(&open.config.filename);
    let path = aof_dir.join(&info.name);
    let file = append_file(&path)?;
    if open.persisted {
        manifest.persist(&aof_dir, &open.config.filename)?;
    }
    open.manifest = manifest;
    open.file = file;
    Ok(())
}

/// The cut when the AOF is being switched on: a new incremental file, numbered after
/// whatever AOF the directory already holds (its files are replaced when the base is done).
fn open_for_switch_on(config: &AofConfig) -> Result<AofFile, AofError> {
    let aof_dir = config.aof_dir();
    let mut manifest = Manifest::read(&aof_dir, &config.filename)
        .ok()
        .flatten()
        .unwrap_or_default();
    let info = manifest.next_incr(&config.filename);
    let file = append_file(&aof_dir.join(&info.name))?;
    Ok(AofFile {
        file,
        unsynced: false,
        config: config.clone(),
        manifest,
        persisted: false,
    })
}

fn append_file(path: &Path) -> Result<std::fs::File, AofError> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| AofError::io(path, e))
}

/// Steps 2 and 3, in the background: write the base, swap the manifest, delete old files.
fn finish(
    shared: &Shared,
    config: &AofConfig,
    snapshot: &Snapshot,
    generation: u64,
) -> Result<(), AofError> {
    let aof_dir = config.aof_dir();
    let temp = aof_dir.join(format!("temp-rewriteaof-bg-{}.aof", std::process::id()));
    write_base(&temp, snapshot, now_ms())?;
    let mut file = shared.file.lock();
    if shared.generation.load(Ordering::Acquire) != generation {
        let _ = std::fs::remove_file(&temp);
        return Err(AofError::io(
            &temp,
            std::io::Error::other("the AOF was switched on or off during the rewrite"),
        ));
    }
    let mut manifest = match file.as_ref() {
        Some(open) => open.manifest.clone(),
        None => Manifest::read(&aof_dir, &config.filename)?.unwrap_or_default(),
    };
    let base = manifest.next_base(&config.filename);
    std::fs::rename(&temp, aof_dir.join(&base.name)).map_err(|e| AofError::io(&temp, e))?;
    // Every incremental file but the one opened at the cut is now in the base.
    let keep = if file.is_some() {
        manifest.incr.pop()
    } else {
        None
    };
    let mut old: Vec<PathBuf> = manifest
        .history
        .drain(..)
        .chain(manifest.incr.drain(..))
        .map(|info| aof_dir.join(info.name))
        .collect();
    manifest.incr.extend(keep);
    manifest.persist(&aof_dir, &config.filename)?;
    if let Some(open) = file.as_mut() {
        open.manifest = manifest.clone();
        open.persisted = true;
    }
    drop(file);
    for path in old.drain(..) {
        if let Err(err) = std::fs::remove_file(&path)
            && err.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!("cannot delete old AOF file {}: {err}", path.display());
        }
    }
    let _ = sync_dir(&aof_dir);
    super::update_sizes(&shared.stats, &aof_dir, &manifest);
    debug_assert!(manifest.history.iter().all(|h| h.kind == FileType::History));
    Ok(())
}

fn finished(shared: &Arc<Shared>, result: Result<(), AofError>, started: Instant) {
    let stats = &shared.stats;
    stats.last_rewrite_ms.store(
        started.elapsed().as_millis().max(1) as u64,
        Ordering::Relaxed,
    );
    match result {
        Ok(()) => {
            stats.rewrites.fetch_add(1, Ordering::Relaxed);
            stats.rewrite_failures.store(0, Ordering::Relaxed);
            stats.last_rewrite_failed.store(false, Ordering::Relaxed);
            tracing::info!("Background AOF rewrite finished successfully");
        }
        Err(err) => {
            stats.rewrite_failures.fetch_add(1, Ordering::Relaxed);
            stats.last_rewrite_failed.store(true, Ordering::Relaxed);
            tracing::warn!("Background AOF rewrite failed: {err}");
        }
    }
    stats.rewrite_in_progress.store(false, Ordering::Release);
}

// ANCHOR: write_base
/// Writes `snapshot` as commands to `path` and fsyncs it: per database a `SELECT`, per key
/// the commands that rebuild it (elements in batches of [`ITEMS_PER_COMMAND`]) and a
/// `PEXPIREAT` if it has a TTL. Keys already expired at `now` are left out.
pub fn write_base(path: &Path, snapshot: &Snapshot, now: u64) -> Result<(), AofError> {
    let io = |e| AofError::io(path, e);
    let mut file = std::fs::File::create(path).map_err(io)?;
    let mut buf = BytesMut::with_capacity(64 * 1024);
    for (index, entries) in snapshot.iter().enumerate() {
        if entries.is_empty() {
            continue;
        }
        let db = index.to_string();
        encode_command(&mut buf, &[b"SELECT", db.as_bytes()]);
        for (key, entry) in entries {
            if entry.expires_at.is_some_and(|at| at <= now) {
                continue;
            }
            write_key(&mut buf, key, &entry.value);
            if let Some(at) = entry.expires_at {
                let at = at.to_string();
                encode_command(&mut buf, &[b"PEXPIREAT", key, at.as_bytes()]);
            }
            if buf.len() >= 64 * 1024 {
                file.write_all(&buf).map_err(io)?;
                buf.clear();
            }
        }
    }
    file.write_all(&buf).map_err(io)?;
    file.sync_all().map_err(io)
}
// ANCHOR_END: write_base

/// The commands that rebuild one key's value.
fn write_key(buf: &mut BytesMut, key: &[u8], value: &Value) {
    let batch = |buf: &mut BytesMut, name: &[u8], items: &mut dyn Iterator<Item = Vec<&[u8]>>| {
        let mut words: Vec<&[u8]> = vec![name, key];
        let mut count = 0;
        for item in items {
            words.extend(item);
            count += 1;
            if count == ITEMS_PER_COMMAND {
                encode_command(buf, &words);
                words.truncate(2);
                count = 0;
            }
        }
        if count > 0 {
            encode_command(buf, &words);
        }
    };
    match value {
        Value::Str(v) => encode_command(buf, &[b"SET", key, v]),
        Value::List(list) => batch(buf, b"RPUSH", &mut list.iter().map(|e| vec![e.as_ref()])),
        Value::Set(set) => batch(buf, b"SADD", &mut set.iter().map(|m| vec![m.as_ref()])),
        Value::Hash(hash) => batch(
            buf,
            b"HMSET",
            &mut hash.iter().map(|(f, v)| vec![f.as_ref(), v.as_ref()]),
        ),
        Value::ZSet(zset) => {
            // Shortest text that reads back as the same f64 (`inf` and `-inf` included).
            let scores: Vec<(String, &crate::types::StrValue)> =
                zset.iter().map(|(m, s)| (format!("{s:?}"), m)).collect();
            batch(
                buf,
                b"ZADD",
                &mut scores.iter().map(|(s, m)| vec![s.as_bytes(), m.as_ref()]),
            );
        }
        // Day 4: streams.
        Value::Stream(stream) => {
            for command in super::stream_rewrite::stream_commands(key, stream) {
                let words: Vec<&[u8]> = command.iter().map(|w| w.as_ref()).collect();
                encode_command(buf, &words);
            }
        }
    }
}
