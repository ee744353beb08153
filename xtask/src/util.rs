//! Small helpers for running programs: cargo itself, and tools xtask installs.
//!
//! Everything goes through [`std::process::Command`] with explicit arguments: no shell, so no
//! quoting bugs, and the same code runs wherever cargo does.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// A `cargo` command using the same toolchain that runs xtask (cargo sets `$CARGO`).
pub fn cargo() -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    Command::new(cargo)
}

/// Runs `cmd` with inherited stdout/stderr, returning its exit status.
pub fn status(cmd: &mut Command) -> Result<ExitStatus> {
    cmd.status()
        .with_context(|| format!("cannot start {}", describe(cmd)))
}

/// Runs `cmd` with inherited output and fails unless it exits 0.
pub fn run(cmd: &mut Command) -> Result<()> {
    let status = status(cmd)?;
    if !status.success() {
        bail!("`{}` failed ({status})", describe(cmd));
    }
    Ok(())
}

/// `program args...` as a readable string, for messages.
pub fn describe(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(OsStr::to_string_lossy)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Formats a duration as `1.2s` or `3m04s` for tables.
pub fn human(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 60.0 {
        format!("{secs:.1}s")
    } else {
        format!("{}m{:02}s", d.as_secs() / 60, d.as_secs() % 60)
    }
}

/// Times `f` and returns its result with the elapsed time.
pub fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let value = f();
    (value, start.elapsed())
}

/// Copies a directory tree, skipping `target`, `.git` and anything `skip` rejects.
pub fn copy_tree(from: &Path, to: &Path, skip: &dyn Fn(&Path) -> bool) -> Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name();
        if name == "target" || name == ".git" || name == "book" || skip(&path) {
            continue;
        }
        let dest = to.join(&name);
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_tree(&path, &dest, skip)?;
        } else if kind.is_file() {
            copy_if_changed(&path, &dest)?;
        }
    }
    Ok(())
}

/// Copies `from` to `to` unless `to` already has the same bytes (so cargo sees no change).
pub fn copy_if_changed(from: &Path, to: &Path) -> Result<()> {
    let bytes = std::fs::read(from).with_context(|| format!("reading {}", from.display()))?;
    write_if_changed(to, &bytes)
}

/// Writes `bytes` to `path` unless it already holds exactly them.
///
/// Cargo decides what to rebuild from file modification times: rewriting an unchanged
/// file would make it recompile the crate for nothing.
pub fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<()> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

/// What [`output_with_timeout`] saw.
pub struct Bounded {
    /// The exit status, or `None` when the command was killed for running too long.
    pub status: Option<ExitStatus>,
    /// Everything it wrote to stdout and stderr.
    pub output: String,
}

/// Runs `cmd` to completion or for at most `limit`, capturing stdout + stderr.
///
/// A learner's half-written code (or a blanked exercise) can make a test wait forever; a
/// course runner must never hang on that. On timeout the command and everything it started
/// die: `cargo test` *and* the test binary it started.
pub fn output_with_timeout(cmd: &mut Command, limit: Duration) -> Result<Bounded> {
    let log_path =
        std::env::temp_dir().join(format!("xtask-{}-{}.log", std::process::id(), unique()));
    let log = std::fs::File::create(&log_path)?;
    cmd.stdout(log.try_clone()?).stderr(log);
    let status = wait_bounded(cmd, limit);
    let output = std::fs::read_to_string(&log_path).unwrap_or_default();
    let _ = std::fs::remove_file(&log_path);
    Ok(Bounded {
        status: status?,
        output,
    })
}

/// Like [`status`] (output goes to the terminal), but stops the command and everything it
/// started after `limit`; `None` then. It stays in the terminal's process group, so Ctrl-C
/// still reaches it.
pub fn status_with_timeout(cmd: &mut Command, limit: Duration) -> Result<Option<ExitStatus>> {
    wait_bounded(cmd, limit)
}

/// The processes whose parent is `pid` (Linux: read from /proc; elsewhere none).
fn children_of(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|child| {
            // /proc/<pid>/stat: `pid (name) state ppid ...`; the name may hold spaces.
            std::fs::read_to_string(format!("/proc/{child}/stat")).is_ok_and(|stat| {
                stat.rsplit_once(')')
                    .and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<u32>().ok())
                    == Some(pid)
            })
        })
        .collect()
}

/// Kills `pid`'s descendants, deepest first (cargo's test binary, then cargo's other children).
fn kill_descendants(pid: u32) {
    for child in children_of(pid) {
        kill_descendants(child);
        let _ = Command::new("kill")
            .args(["-KILL", &child.to_string()])
            .status();
    }
}

fn wait_bounded(cmd: &mut Command, limit: Duration) -> Result<Option<ExitStatus>> {
    let mut child = cmd
        .stdin(std::process::Stdio::null())
        .spawn()
        .with_context(|| format!("cannot start {}", describe(cmd)))?;
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            kill_descendants(child.id());
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}
