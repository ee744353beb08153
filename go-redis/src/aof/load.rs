//! Day 5 — loading: replay the base file and the incremental files, command by command.
//!
//! Loading is running the log again: read one RESP command, find it in the command table,
//! run it against the database the last `SELECT` chose, as a client that is never answered.
//! Three details make it right:
//!
//! - **time stands still**: nothing expires while loading (the commands run at "time 0"),
//!   as Redis does. The log says when a key died (`DEL`, written when it expired); a key
//!   whose `PEXPIREAT` is past is dropped by the first look after loading.
//! - **a torn tail is not corruption**: a crash in the middle of a `write` leaves half a
//!   command at the end of the last file. With `aof-load-truncated yes` (the default) the
//!   file is cut back to the last whole command, with a warning in the log, and the server
//!   starts; with `no` it refuses, saying how to repair the file. A half command anywhere
//!   else, or bytes that are not RESP, is a format error: the server refuses to start
//!   rather than guess.
//! - **`MULTI` ... `EXEC`** (which real Redis writes around transactions) is applied when
//!   `EXEC` is read; a transaction cut off by the end of the file is dropped whole.

use std::path::Path;

use bytes::Bytes;

use super::manifest::path_of;
use super::{AofConfig, AofError, Manifest};
use crate::cmd::dispatch::key_args;
use crate::cmd::{Ctx, Keys};
use crate::db::{Server, Session};
use crate::resp::Output;

/// What [`next_command`] found at an offset.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// A whole command and the offset just past it.
    Command(Vec<Bytes>, usize),
    /// A `#` annotation line (Redis 7 timestamps); skip to the offset.
    Annotation(usize),
    /// The bytes end in the middle of a command.
    Incomplete,
    /// Not a RESP command.
    Bad,
}

// ANCHOR: next_command
/// Reads the command starting at `pos`: `*<argc>\r\n` then `$<len>\r\n<bytes>\r\n` per
/// argument, exactly what the writer wrote.
pub fn next_command(buf: &[u8], pos: usize) -> Parsed {
    // ANCHOR: ex_next_command
    let Some(rest) = buf.get(pos..) else {
        return Parsed::Incomplete;
    };
    if rest.first() == Some(&b'#') {
        return match find_line(buf, pos) {
            Some((_, next)) => Parsed::Annotation(next),
            None => Parsed::Incomplete,
        };
    }
    let Some((header, mut at)) = find_line(buf, pos) else {
        return Parsed::Incomplete;
    };
    let argc = match header.strip_prefix(b"*").and_then(parse_len) {
        Some(n) if n >= 1 => n,
        _ => return Parsed::Bad,
    };
    let mut args = Vec::with_capacity(argc.min(1024));
    for _ in 0..argc {
        let Some((line, start)) = find_line(buf, at) else {
            return Parsed::Incomplete;
        };
        let Some(len) = line.strip_prefix(b"$").and_then(parse_len) else {
            return Parsed::Bad;
        };
        let Some(end) = start.checked_add(len) else {
            return Parsed::Bad;
        };
        match end.checked_add(2).and_then(|stop| buf.get(end..stop)) {
            None => return Parsed::Incomplete,
            Some(b"\r\n") => {}
            Some(_) => return Parsed::Bad,
        }
        args.push(Bytes::copy_from_slice(&buf[start..end]));
        at = end + 2;
    }
    Parsed::Command(args, at)
    // ANCHOR_END: ex_next_command
}
// ANCHOR_END: next_command

/// The line starting at `pos` (without its `\r\n`) and the offset after it.
fn find_line(buf: &[u8], pos: usize) -> Option<(&[u8], usize)> {
    let rest = buf.get(pos..)?;
    let end = rest.windows(2).position(|w| w == b"\r\n")?;
    Some((&rest[..end], pos + end + 2))
}

fn parse_len(digits: &[u8]) -> Option<usize> {
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// The replaying "client": a session that is never answered.
fn loading_session() -> Session {
    let client = crate::db::clients::Client::new(0, "aof".into(), String::new(), -1);
    Session::new(std::sync::Arc::new(client), true)
}

/// Runs one loaded command: looked up, arity-checked, its keys locked at time 0 (nothing
/// expires while loading), its reply thrown away.
fn replay(
    server: &Server,
    session: &mut Session,
    args: &[Bytes],
    out: &mut Output,
    path: &Path,
) -> Result<(), AofError> {
    let unknown = || AofError::UnknownCommand {
        path: path.to_owned(),
        name: String::from_utf8_lossy(&args[0]).into_owned(),
    };
    let command = crate::cmd::lookup(&args[0]).ok_or_else(unknown)?;
    let argc = args.len() as i32;
    if (command.arity > 0 && argc != command.arity) || argc < -command.arity {
        return Err(unknown());
    }
    let Some(db) = server.db(session.db) else {
        return Err(unknown());
    };
    let locked = match command.keys {
        Keys::None => db.lock(std::iter::empty(), 0),
        Keys::All => db.lock_all(0),
        Keys::Range(first, last, step) => db.lock(key_args(args, first, last, step), 0),
    };
    let mut cx = Ctx {
        db: locked,
        out,
        session,
        server,
    };
    let _ = (command.run)(&mut cx, args);
    cx.db.drain_expired(|_| {});
    cx.session.blocked = None;
    cx.out.clear();
    Ok(())
}

// ANCHOR: load_file
/// Replays one file. `last` is whether it is the last file listed: only that one may end
/// in a torn command, trimmed when `aof-load-truncated` says so. Returns the commands run.
pub fn load_file(
    server: &Server,
    config: &AofConfig,
    path: &Path,
    last: bool,
) -> Result<usize, AofError> {
    let buf = match std::fs::read(path) {
        Ok(buf) => buf,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Err(AofError::Missing(path.to_owned()));
        }
        Err(source) => return Err(AofError::io(path, source)),
    };
    if buf.starts_with(b"REDIS") {
        // A base written with `aof-use-rdb-preamble yes` (Redis's default) is a whole RDB
        // file: day 5's snapshot loader reads it.
        let stats =
            crate::rdb::snapshot::load_bytes(server, &buf).map_err(|source| AofError::Rdb {
                path: path.to_owned(),
                source,
            })?;
        return Ok(stats.keys as usize);
    }
    let mut session = loading_session();
    let mut out = Output::with_capacity(1024);
    let (mut pos, mut valid, mut count) = (0, 0, 0);
    let mut transaction: Option<(usize, Vec<Vec<Bytes>>)> = None;
    let torn = loop {
        if pos == buf.len() {
            break false;
        }
        match next_command(&buf, pos) {
            Parsed::Annotation(next) => pos = next,
            Parsed::Incomplete => break true,
            Parsed::Bad => {
                return Err(AofError::Format {
                    path: path.to_owned(),
                    offset: pos as u64,
                });
            }
            Parsed::Command(args, next) => {
                if args[0].eq_ignore_ascii_case(b"multi") {
                    transaction = Some((pos, Vec::new()));
                } else if args[0].eq_ignore_ascii_case(b"exec") {
                    for queued in transaction.take().map(|t| t.1).unwrap_or_default() {
                        replay(server, &mut session, &queued, &mut out, path)?;
                    }
                } else if let Some((_, queue)) = transaction.as_mut() {
                    queue.push(args);
                } else {
                    replay(server, &mut session, &args, &mut out, path)?;
                }
                count += 1;
                pos = next;
                if transaction.is_none() {
                    valid = pos;
                }
            }
        }
    };
    if let Some((start, _)) = transaction {
        tracing::warn!(
            "Revert incomplete MULTI/EXEC transaction in AOF file {}",
            path.display()
        );
        valid = start;
    }
    if torn || valid < buf.len() {
        if !last || !config.load_truncated {
            return Err(AofError::Truncated {
                path: path.to_owned(),
                offset: valid as u64,
            });
        }
        tracing::warn!(
            "!!! Warning: short read while loading the AOF file {}!!!",
            path.display()
        );
        tracing::warn!(
            "!!! Truncating the AOF {} at offset {valid} !!!",
            path.display()
        );
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| AofError::io(path, e))?;
        file.set_len(valid as u64)
            .and_then(|()| file.sync_all())
            .map_err(|e| AofError::io(path, e))?;
        tracing::warn!(
            "AOF {} loaded anyway because aof-load-truncated is enabled",
            path.display()
        );
    }
    Ok(count)
}
// ANCHOR_END: load_file

/// Replays every file the manifest lists, base first.
pub fn load_files(
    server: &Server,
    config: &AofConfig,
    manifest: &Manifest,
) -> Result<(), AofError> {
    let aof_dir = config.aof_dir();
    let files: Vec<_> = manifest.load_order().collect();
    let started = std::time::Instant::now();
    let mut total = 0;
    for (i, info) in files.iter().enumerate() {
        let path = path_of(&aof_dir, info);
        let last = i + 1 == files.len();
        // An empty incremental file (just created) is fine; a missing one is not.
        total += load_file(server, config, &path, last)?;
    }
    tracing::info!(
        "DB loaded from append only file: {total} commands in {:.3} seconds",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_whole_torn_and_bad_commands() {
        let buf = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
        assert_eq!(
            next_command(buf, 0),
            Parsed::Command(
                vec![Bytes::from_static(b"GET"), Bytes::from_static(b"k")],
                buf.len()
            )
        );
        for cut in 1..buf.len() {
            assert_eq!(
                next_command(&buf[..cut], 0),
                Parsed::Incomplete,
                "cut at {cut}"
            );
        }
        assert_eq!(next_command(b"SET k v\r\n", 0), Parsed::Bad);
        assert_eq!(next_command(b"*1\r\n$3\r\nGETxx", 0), Parsed::Bad);
        assert_eq!(next_command(b"*0\r\n", 0), Parsed::Bad);
        assert_eq!(next_command(b"#TS:1\r\n*1", 0), Parsed::Annotation(7));
        assert_eq!(
            next_command(b"*1\r\n$99999999999999999999\r\n", 0),
            Parsed::Bad
        );
    }
}
