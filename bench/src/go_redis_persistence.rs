//! go-redis's persistence against the real Redis 7.0.15: `cargo xtask bench go-redis --persistence`.
//!
//! Both servers run with `appendonly yes, appendfsync everysec` (Redis with
//! `aof-use-rdb-preamble no`, so both logs are commands), each in its own fresh directory,
//! pinned to core 0; `redis-benchmark` is pinned to core 1. SET and INCR run at `-P 1` and
//! `-P 16`, alternating Redis and go-redis, `GO_REDIS_BENCH_REPS` times (default 3);
//! the table reports medians. Then each server is restarted on what it wrote (about 2.4
//! million commands each, 200,000 keys) and its loading speed is measured: bytes of log per
//! second from the process start to the first `PONG`.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::Row;
use crate::go_redis::{build_go_redis, median, real_redis_server};

/// Runs the suite and returns its rows.
pub fn suite() -> Vec<Row> {
    match run() {
        Ok(rows) => rows,
        Err(err) => {
            eprintln!("go-redis persistence bench skipped: {err}");
            Vec::new()
        }
    }
}

/// A server process, killed on drop.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The two servers' command lines, AOF on, everysec, in `dir`.
fn command(which: usize, binary: &Path, port: u16, dir: &Path) -> Command {
    let mut cmd = Command::new("taskset");
    cmd.args(["-c", "0"]).arg(binary);
    cmd.args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--appendonly", "yes", "--appendfsync", "everysec"])
        .arg("--dir")
        .arg(dir);
    if which == 0 {
        cmd.args(["--save", "", "--aof-use-rdb-preamble", "no"]);
    }
    cmd.env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// Starts a server and returns it with the time until it answered PING with PONG.
fn start(mut cmd: Command, port: u16) -> Result<(Server, Duration), String> {
    let started = Instant::now();
    let server = Server(
        cmd.spawn()
            .map_err(|e| format!("cannot start {cmd:?}: {e}"))?,
    );
    while started.elapsed() < Duration::from_secs(600) {
        let pong = Command::new("redis-cli")
            .args(["-p", &port.to_string(), "ping"])
            .stderr(Stdio::null())
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "PONG");
        if pong {
            return Ok((server, started.elapsed()));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Err(format!("the server on port {port} never answered PONG"))
}

/// The total size of the files in `dir`.
fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn dbsize(port: u16) -> f64 {
    Command::new("redis-cli")
        .args(["-p", &port.to_string(), "dbsize"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(0.0)
}

fn run() -> Result<Vec<Row>, String> {
    let real = real_redis_server()?;
    let ours = build_go_redis()?;
    let reps = crate::go_redis::reps();
    let root = std::env::temp_dir().join(format!("go-redis-bench-aof-{}", std::process::id()));
    let dirs = [root.join("redis"), root.join("go-redis")];
    for dir in &dirs {
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    let binaries = [real.as_path(), ours.as_path()];
    let ports = [
        common::free_port().map_err(|e| e.to_string())?,
        common::free_port().map_err(|e| e.to_string())?,
    ];
    // (which, binary, port, dir): 0 is Redis, 1 is go-redis.
    let sides: Vec<(usize, &Path, u16, &Path)> = (0..2)
        .zip(binaries)
        .zip(ports)
        .zip(dirs.iter())
        .map(|(((which, binary), port), dir)| (which, binary, port, dir.as_path()))
        .collect();
    let mut rows = Vec::new();
    {
        let mut servers = Vec::new();
        for &(which, binary, port, dir) in &sides {
            servers.push(start(command(which, binary, port, dir), port)?.0);
        }
        for pipeline in [1usize, 16] {
            for test in ["set", "incr"] {
                let mut samples: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
                for rep in 0..reps {
                    for (&(which, _, port, _), sample) in sides.iter().zip(samples.iter_mut()) {
                        eprintln!(
                            "  {test} -P {pipeline} rep {}/{reps} {} ...",
                            rep + 1,
                            ["redis", "go-redis"][which]
                        );
                        sample.push(benchmark(port, test, pipeline)?);
                    }
                }
                rows.push(Row {
                    course: "go-redis",
                    test: format!("{test} -P{pipeline} aof everysec rps"),
                    peer: "redis 7.0.15",
                    peer_value: median(&samples[0]),
                    ours: median(&samples[1]),
                });
            }
        }
        drop(servers);
    }
    // Restart each on what it wrote: how fast it loads its AOF (bytes of log per second,
    // from the process start to the first PONG), and how many keys that gave.
    let mut speed = Vec::new();
    let mut keys = Vec::new();
    for &(which, binary, port, dir) in &sides {
        let bytes = dir_bytes(&dir.join("appendonlydir"));
        let (server, took) = start(command(which, binary, port, dir), port)?;
        speed.push(bytes as f64 / 1e6 / took.as_secs_f64().max(1e-3));
        keys.push(dbsize(port));
        drop(server);
    }
    rows.push(Row {
        course: "go-redis",
        test: format!("AOF load MB/s ({:.0}/{:.0} keys)", keys[0], keys[1]),
        peer: "redis 7.0.15",
        peer_value: speed[0],
        ours: speed[1],
    });
    let _ = std::fs::remove_dir_all(&root);
    Ok(rows)
}

/// One redis-benchmark run of `test`: requests per second.
fn benchmark(port: u16, test: &str, pipeline: usize) -> Result<f64, String> {
    let output = Command::new("taskset")
        .args(["-c", "1", "redis-benchmark", "-h", "127.0.0.1"])
        .args(["-p", &port.to_string(), "-c", "50", "-n", "200000"])
        .args([
            "-r",
            "100000",
            "-P",
            &pipeline.to_string(),
            "-t",
            test,
            "--csv",
        ])
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run redis-benchmark: {e}"))?;
    crate::go_redis::first_rps(&output.stdout, "")
}
