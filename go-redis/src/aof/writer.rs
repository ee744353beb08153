//! Day 5 — the writer: one thread owns the file; commands reach it through a buffer.
//!
//! A command must not wait for the disk: a `write` can block for milliseconds, an `fsync`
//! for tens of them. So a command only *appends* its RESP bytes to a shared buffer (a
//! channel whose messages are already encoded: `append`) and goes on; one writer thread
//! takes whatever has gathered, writes it with one `write`, and calls `fsync` as
//! `appendfsync` says. Many clients' commands share one `write` and one `fsync`: that is
//! Redis's trick too (it flushes its `aof_buf` once per event-loop turn, in `beforeSleep`).
//!
//! The three policies, and what a crash can lose:
//!
//! - **always**: the writer fsyncs after every batch, and publishes the offset now on disk;
//!   the connection holds a client's replies until that offset passes the client's last
//!   write ([`crate::resp::Output::hold_until`]). A client never hears OK for a write a
//!   crash can lose.
//! - **everysec**: the writer fsyncs at most once a second; about a second of writes may be
//!   lost, and the file is always readable (a torn last command is trimmed at load).
//! - **no**: no fsync; the OS decides.
//!
//! The writer is a thread, not a tokio task: file I/O blocks, and a blocked runtime worker
//! would stall every connection it serves.

use std::io::Write as _;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::{BufMut, BytesMut};

use super::{AofFile, Fsync, Pending, Shared};

/// How long the writer sleeps when there is nothing to write (it still fsyncs on time).
const IDLE: Duration = Duration::from_millis(1000);

// ANCHOR: append
/// Appends one command, run in database `db`, to the buffer, with a `SELECT` first when the
/// database differs from the previous command's; wakes the writer. Returns the AOF offset
/// just past this command (what `appendfsync always` waits for).
pub(crate) fn append(shared: &Shared, db: usize, args: &[&[u8]]) -> u64 {
    let mut pending = shared.pending.lock();
    let before = pending.buf.len();
    frame(&mut pending, db, args);
    let added = (pending.buf.len() - before) as u64;
    pending.appended += added;
    let offset = pending.appended;
    drop(pending);
    if before == 0 {
        // The writer was idle or has taken the last batch; otherwise it is awake already
        // and will find these bytes before it waits again (it looks under the same lock).
        shared.wake.notify_one();
    }
    offset
}

/// Adds one command to the pending bytes, after a `SELECT` if the previous command ran in
/// another database (or if there was none since the file was opened).
fn frame(pending: &mut Pending, db: usize, args: &[&[u8]]) {
    // ANCHOR: ex_append
    if pending.db != Some(db) {
        let index = itoa::Buffer::new().format(db).as_bytes().to_vec();
        encode_command(&mut pending.buf, &[b"SELECT", &index]);
        pending.db = Some(db);
    }
    encode_command(&mut pending.buf, args);
    // ANCHOR_END: ex_append
}
// ANCHOR_END: append

/// Encodes a command the way clients send it: `*<argc>\r\n` then `$<len>\r\n<arg>\r\n`
/// for each argument (what Redis's `catAppendOnlyGenericCommand` writes).
pub fn encode_command(buf: &mut BytesMut, args: &[&[u8]]) {
    let mut number = itoa::Buffer::new();
    buf.put_u8(b'*');
    buf.put_slice(number.format(args.len()).as_bytes());
    buf.put_slice(b"\r\n");
    for arg in args {
        buf.put_u8(b'$');
        buf.put_slice(number.format(arg.len()).as_bytes());
        buf.put_slice(b"\r\n");
        buf.put_slice(arg);
        buf.put_slice(b"\r\n");
    }
}

// ANCHOR: run
/// The writer thread: waits for bytes (or a second), writes them, fsyncs by the policy,
/// publishes the offset on disk; until shutdown, after one last write and fsync.
pub(crate) fn run(shared: &Shared) {
    let mut last_fsync = Instant::now();
    loop {
        let (bytes, offset, stopping) = {
            let mut pending = shared.pending.lock();
            if pending.buf.is_empty() && !shared.stop.load(Ordering::Acquire) {
                shared.wake.wait_for(&mut pending, IDLE);
            }
            (
                pending.buf.split(),
                pending.appended,
                shared.stop.load(Ordering::Acquire),
            )
        };
        let policy = super::Fsync::from_u8(shared.fsync.load(Ordering::Relaxed));
        let mut file = shared.file.lock();
        let Some(open) = file.as_mut() else {
            // The AOF was switched off: nobody waits for these bytes any more.
            drop(file);
            shared.synced.send_replace(offset);
            if stopping {
                return;
            }
            continue;
        };
        if !write_now(shared, open, &bytes) {
            // Keep the bytes for the next try (Redis retries too), in front of newer ones.
            drop(file);
            let mut pending = shared.pending.lock();
            let mut again = BytesMut::with_capacity(bytes.len() + pending.buf.len());
            again.extend_from_slice(&bytes);
            again.extend_from_slice(&pending.buf);
            pending.buf = again;
            drop(pending);
            if stopping {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
            continue;
        }
        let due = match policy {
            Fsync::Always => true,
            Fsync::EverySec => last_fsync.elapsed() >= Duration::from_secs(1) || stopping,
            Fsync::No => stopping,
        };
        if due && open.unsynced {
            match open.file.sync_data() {
                Ok(()) => open.unsynced = false,
                Err(err) => tracing::warn!("AOF fsync failed: {err}"),
            }
            last_fsync = Instant::now();
        }
        drop(file);
        // Under `always` this offset is now on disk; under the other policies it is
        // written (nobody waits for it then).
        shared.synced.send_replace(offset);
        if stopping {
            return;
        }
    }
}
// ANCHOR_END: run

/// Writes `bytes` to the open file now; on failure, cuts off any partial write (a torn
/// command must not stay in the middle of the file) and returns `false`.
pub(crate) fn write_now(shared: &Shared, open: &mut AofFile, bytes: &[u8]) -> bool {
    if bytes.is_empty() {
        return true;
    }
    let before = open.file.metadata().map(|m| m.len()).ok();
    match open.file.write_all(bytes) {
        Ok(()) => {
            open.unsynced = true;
            shared
                .stats
                .current_size
                .fetch_add(bytes.len() as u64, Ordering::Relaxed);
            shared
                .stats
                .last_write_failed
                .store(false, Ordering::Relaxed);
            true
        }
        Err(err) => {
            tracing::error!("error writing the AOF: {err}");
            shared
                .stats
                .last_write_failed
                .store(true, Ordering::Relaxed);
            if let Some(len) = before {
                let _ = open.file.set_len(len);
            }
            false
        }
    }
}
