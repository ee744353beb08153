//! `cargo xtask redis-suite --tests DIR`: the Redis project's own TCL test suite against go-redis.
//!
//! DIR is an export of the Redis 7.0.15 source tree's test harness (`runtest` and `tests/`),
//! kept outside this repository (it is not ours to vendor). For each unit, a fresh go-redis
//! release build is started on a free port and `runtest` runs against it in external mode
//! with the flags for testing an external server (`--host --port --single <unit> --durable
//! --ignore-encoding --ignore-digest`, and `--tags` skipping features go-redis lacks); the table counts `[ok]`, `[err]` and
//! `[exception]` lines. Needs `tclsh` (Debian package `tcl`).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, ensure};

use crate::util::{self, cargo};

/// The units the course is measured on: strings, keys, TTL, the four collection types,
/// SCAN, the bit commands, the protocol, QUIT, INFO and the introspection commands (CLIENT,
/// CONFIG, ...): what go-redis days 1-4 build.
pub const UNITS: &[&str] = &[
    "unit/type/incr",
    "unit/type/string",
    "unit/keyspace",
    "unit/expire",
    "unit/type/list",
    "unit/type/list-3",
    "unit/type/hash",
    "unit/type/set",
    "unit/type/zset",
    "unit/scan",
    "unit/other",
    "unit/bitops",
    "unit/geo",                 // Day 4: GEO
    "unit/type/stream",         // Day 4: streams
    "unit/type/stream-cgroups", // Day 4: streams
    "unit/protocol",
    "unit/quit",
    "unit/info-command",
    "unit/introspection",
    "unit/introspection-2",
    "unit/multi",
    "unit/pubsub",
];

/// `runtest --timeout`: how long a unit may go without finishing a test before the harness
/// gives up on it, in seconds. A hang (a reply that never comes) costs at most this.
const TEST_TIMEOUT_SECS: &str = "60";

/// Tags denied: features a clone cannot or need not have (DEBUG, replication, ...).
const DENY_TAGS: &str = "-needs:debug -needs:repl -needs:save -needs:config-maxmemory -needs:reset \
     -needs:pfdebug -needs:latency -needs:local-process -slow";

/// One unit's counts.
struct UnitResult {
    unit: String,
    ok: usize,
    err: usize,
    exception: usize,
}

/// Runs the suite; returns whether every unit ran without an exception.
pub fn run(root: &Path, tests: &Path, only: &[String]) -> Result<bool> {
    ensure!(
        tests.join("runtest").is_file() && tests.join("tests").is_dir(),
        "{} is not a Redis test tree (no runtest / tests/); export one with \
         `git archive 7.0.15 tests runtest src/version.h | tar -x -C DIR`",
        tests.display()
    );
    crate::install::ensure_tools(&[crate::install::Tool {
        binary: "tclsh",
        package: "tcl",
    }])?;
    util::run(cargo().current_dir(root).args([
        "build",
        "--release",
        "-q",
        "-p",
        "go-redis",
        "--bin",
        "go-redis",
    ]))?;
    let server = root.join("target").join("release").join("go-redis");
    let units: Vec<String> = if only.is_empty() {
        UNITS.iter().map(|u| u.to_string()).collect()
    } else {
        only.to_vec()
    };
    let mut results = Vec::new();
    for unit in &units {
        println!("redis-suite: {unit} ...");
        results.push(run_unit(&server, tests, unit)?);
    }
    println!("\n| unit | passed | failed | exceptions | pass rate |");
    println!("|---|---:|---:|---:|---:|");
    let (mut ok, mut err) = (0, 0);
    for r in &results {
        let total = r.ok + r.err;
        let rate = if total == 0 {
            0.0
        } else {
            100.0 * r.ok as f64 / total as f64
        };
        println!(
            "| {} | {} | {} | {} | {rate:.1} % |",
            r.unit, r.ok, r.err, r.exception
        );
        ok += r.ok;
        err += r.err;
    }
    println!(
        "| **total** | {ok} | {err} | | {:.1} % |",
        100.0 * ok as f64 / (ok + err).max(1) as f64
    );
    Ok(results.iter().all(|r| r.exception == 0))
}

fn run_unit(server: &Path, tests: &Path, unit: &str) -> Result<UnitResult> {
    let port = common::free_port()?;
    let mut child = Command::new(server)
        .args(["--port", &port.to_string()])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot start {}", server.display()))?;
    let result = (|| -> Result<UnitResult> {
        common::wait_for_port(("127.0.0.1", port), Duration::from_secs(10))?;
        let harness_base = common::free_port()? as u32 + 32;
        let output = Command::new("./runtest")
            .current_dir(tests)
            .args([
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--single",
                unit,
            ])
            .args([
                "--durable",
                "--ignore-encoding",
                "--ignore-digest",
                "--timeout",
                TEST_TIMEOUT_SECS,
            ])
            .args(["--tags", DENY_TAGS])
            // The harness's own listening port and the ports it would give servers it
            // spawns: a range of its own per run (the default is one fixed range), so
            // two runs on one machine do not collide.
            .args(["--baseport", &harness_base.to_string(), "--portcount", "64"])
            .stdin(Stdio::null())
            .output()
            .context("running runtest")?;
        let text = strip_ansi(&String::from_utf8_lossy(&output.stdout));
        let count = |tag: &str| text.lines().filter(|l| l.starts_with(tag)).count();
        if count("[ok]") + count("[err]") == 0 {
            // Nothing ran: say why (the harness's last words), instead of a row of zeros.
            let errors = String::from_utf8_lossy(&output.stderr);
            for line in text.lines().chain(errors.lines()).rev().take(8) {
                println!("    {line}");
            }
        }
        for line in text
            .lines()
            .filter(|l| l.starts_with("[err]") || l.starts_with("[exception]"))
        {
            println!("    {line}");
        }
        Ok(UnitResult {
            unit: unit.to_owned(),
            ok: count("[ok]"),
            err: count("[err]"),
            exception: count("[exception]"),
        })
    })();
    let _ = child.kill();
    let _ = child.wait();
    result
}

/// Removes ANSI colour codes (`ESC [ ... m`).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
