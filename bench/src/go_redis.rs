//! go-redis against the real Redis 7.0.15, side by side, with `redis-benchmark`.
//!
//! Both servers run pinned to core 0 (`taskset -c 0`), `redis-benchmark` pinned to core 1,
//! so each server gets one core, like single-threaded Redis. For `-P 1` and `-P 16`, the
//! same test set runs against Redis and go-redis in turn (Redis, go-redis, Redis, ...),
//! `REPS` times (default 3, env `GO_REDIS_BENCH_REPS`), and the table reports medians: two
//! identical Redis servers differ by up to ±10 % run to run, so single runs mean little.
//!
//! Each test runs on its own (one `redis-benchmark -t <test>` after another, on the same
//! data, as one run of the whole list would), so the server's CPU time can be read around
//! it: besides requests per second, the table gives **requests per second of server CPU**
//! (the server's threads' on-CPU time from `/proc/<pid>/task/*/schedstat`). At `-P 16` the
//! light commands (PING, LPUSH, LPOP, ...) are bound by `redis-benchmark`'s own core, so
//! their requests per second tie whichever server is faster; the CPU figure still shows
//! which server does less work per request. (LRANGE_100 has no CPU row: redis-benchmark
//! seeds its list with as many LPUSHes first, in the same run.)
//!
//! `GO_REDIS_BENCH_TESTS=mset,zadd` limits the run to some tests.
//!
//! Needs Debian's `redis-tools` (the real server binary is `redis-check-rdb`, which
//! becomes `redis-server` when called by that name) and `taskset` (util-linux); as root
//! it installs `redis-tools` itself.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::Row;

/// The redis-benchmark tests the course is measured on (LPUSH is also run to seed LRANGE).
const TESTS: &str = "ping_inline,ping_mbulk,set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,\
     zadd,zpopmin,lrange_100,mset";

/// Requests per test.
const REQUESTS: u32 = 200_000;

/// The test list: [`TESTS`], or `GO_REDIS_BENCH_TESTS` (e.g. `mset`) to re-measure a few.
fn tests() -> String {
    std::env::var("GO_REDIS_BENCH_TESTS").unwrap_or_else(|_| TESTS.to_owned())
}

/// Runs the suite and returns one row per (test, pipeline depth).
pub fn suite() -> Vec<Row> {
    match run() {
        Ok(rows) => rows,
        Err(err) => {
            eprintln!("go-redis bench skipped: {err}");
            Vec::new()
        }
    }
}

fn run() -> Result<Vec<Row>, String> {
    let real = real_redis_server()?;
    let ours = build_go_redis()?;
    let reps = reps();
    let dir = std::env::temp_dir().join(format!("go-redis-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let (redis, go) = start_pair(&real, &ours, &dir)?;
    let mut rows = Vec::new();
    for pipeline in [1usize, 16] {
        // samples[test] = (redis rps list, go-redis rps list); cpu[test]: ns per request
        let mut samples: BTreeMap<String, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
        let mut cpu: BTreeMap<String, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
        let mut order: Vec<String> = Vec::new();
        for rep in 0..reps {
            for (which, server) in [(0, &redis), (1, &go)] {
                eprintln!(
                    "  -P {pipeline} rep {}/{reps} {} ...",
                    rep + 1,
                    if which == 0 { "redis" } else { "go-redis" }
                );
                for (test, rps, ns) in benchmark(server, pipeline)? {
                    if !order.contains(&test) {
                        order.push(test.clone());
                    }
                    let pick = |e: &mut (Vec<f64>, Vec<f64>), v| {
                        if which == 0 { e.0.push(v) } else { e.1.push(v) }
                    };
                    pick(samples.entry(test.clone()).or_default(), rps);
                    if let Some(ns) = ns {
                        pick(cpu.entry(test).or_default(), ns);
                    }
                }
            }
        }
        for test in &order {
            let (r, g) = &samples[test];
            rows.push(Row {
                course: "go-redis",
                test: format!("{test} -P{pipeline} rps"),
                peer: "redis 7.0.15",
                peer_value: median(r),
                ours: median(g),
            });
        }
        for test in &order {
            if let Some((r, g)) = cpu.get(test) {
                rows.push(Row {
                    course: "go-redis",
                    test: format!("{test} -P{pipeline} req/CPU-s"),
                    peer: "redis 7.0.15",
                    peer_value: 1e9 / median(r),
                    ours: 1e9 / median(g),
                });
            }
        }
    }
    drop(redis);
    drop(go);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(rows)
}

/// Real Redis (no persistence, files in `dir`) and go-redis, each on a free port, both
/// pinned to core 0: the pair every go-redis suite compares.
pub(crate) fn start_pair(
    real: &std::path::Path,
    ours: &std::path::Path,
    dir: &std::path::Path,
) -> Result<(Server, Server), String> {
    let redis_port = common::free_port().map_err(|e| e.to_string())?;
    let ours_port = common::free_port().map_err(|e| e.to_string())?;
    let redis = Server::start(
        Command::new("taskset")
            .args(["-c", "0"])
            .arg(real)
            .args([
                "--port",
                &redis_port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .arg("--dir")
            .arg(dir),
        redis_port,
    )?;
    let go = Server::start(
        Command::new("taskset")
            .args(["-c", "0"])
            .arg(ours)
            .args(["--port", &ours_port.to_string()])
            .env("RUST_LOG", "warn"),
        ours_port,
    )?;
    Ok((redis, go))
}

/// The requests per second of the first result in redis-benchmark's `--csv` output
/// (`stdout`); `what` completes the error message when there is none.
pub(crate) fn first_rps(stdout: &[u8], what: &str) -> Result<f64, String> {
    let text = String::from_utf8_lossy(stdout);
    text.lines()
        .skip(1)
        .find_map(|line| {
            line.split(',')
                .nth(1)
                .and_then(|f| f.trim_matches('"').parse::<f64>().ok())
        })
        .ok_or_else(|| format!("redis-benchmark printed no result{what}:\n{text}"))
}

/// How many interleaved repetitions each go-redis suite runs: `GO_REDIS_BENCH_REPS`
/// (default 3, at least 1).
pub(crate) fn reps() -> usize {
    std::env::var("GO_REDIS_BENCH_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .max(1)
}

pub(crate) fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// One pass over the tests (FLUSHALL first), one redis-benchmark run per test: `(test name,
/// requests per second, nanoseconds of server CPU per request)`.
fn benchmark(server: &Server, pipeline: usize) -> Result<Vec<(String, f64, Option<f64>)>, String> {
    let port = server.port;
    let _ = Command::new("redis-cli")
        .args(["-p", &port.to_string(), "flushall"])
        .stdout(Stdio::null())
        .status();
    let mut results = Vec::new();
    for test in tests().split(',').filter(|t| !t.is_empty()) {
        let before = cpu_ns(server.pid());
        let rows = run_test(port, pipeline, test)?;
        let after = cpu_ns(server.pid());
        let used = after.zip(before).map(|(a, b)| a.saturating_sub(b) as f64);
        let alone = rows.len() == 1 && !test.starts_with("lrange");
        for (name, rps) in rows {
            let per_request = used.filter(|_| alone).map(|ns| ns / f64::from(REQUESTS));
            results.push((name, rps, per_request));
        }
    }
    if results.is_empty() {
        return Err("redis-benchmark printed no results".into());
    }
    Ok(results)
}

/// The on-CPU time so far of every thread of process `pid`, in nanoseconds (the first
/// field of each `/proc/<pid>/task/<tid>/schedstat`).
fn cpu_ns(pid: u32) -> Option<u64> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut total = 0;
    for task in tasks.flatten() {
        let text = std::fs::read_to_string(task.path().join("schedstat")).ok()?;
        total += text.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

/// One redis-benchmark run of one test: its `(name, requests per second)` rows.
fn run_test(port: u16, pipeline: usize, test: &str) -> Result<Vec<(String, f64)>, String> {
    let output = Command::new("taskset")
        .args([
            "-c",
            "1",
            "redis-benchmark",
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .args([
            "-c",
            "50",
            "-n",
            &REQUESTS.to_string(),
            "-r",
            "100000",
            "-P",
            &pipeline.to_string(),
        ])
        .args(["-t", test, "--csv"])
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run redis-benchmark: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let mut results = Vec::new();
    for line in text.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').map(|f| f.trim_matches('"')).collect();
        if let (Some(name), Some(rps)) = (
            fields.first(),
            fields.get(1).and_then(|r| r.parse::<f64>().ok()),
        ) {
            if name.starts_with("LPUSH (needed") {
                continue;
            }
            results.push((name.to_string(), rps));
        }
    }
    if results.is_empty() {
        return Err(format!(
            "redis-benchmark printed no results for {test}:\n{text}"
        ));
    }
    Ok(results)
}

/// A server process, killed on drop.
pub(crate) struct Server {
    child: Child,
    pub(crate) port: u16,
}

impl Server {
    /// The server's process id (`taskset` execs the server, so it is the server's).
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(crate) fn start(cmd: &mut Command, port: u16) -> Result<Self, String> {
        let child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
        let server = Server { child, port };
        common::wait_for_port(("127.0.0.1", port), Duration::from_secs(10))
            .map_err(|e| format!("server on {port} did not start: {e}"))?;
        // A server accepts connections before it has loaded its files, answering -LOADING
        // meanwhile: wait for PONG.
        for _ in 0..200 {
            let pong = Command::new("redis-cli")
                .args(["-p", &port.to_string(), "ping"])
                .output()
                .is_ok_and(|o| o.stdout.starts_with(b"PONG"));
            if pong {
                return Ok(server);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!("server on {port} never answered PONG"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Path to a `redis-server` (Debian's `redis-check-rdb` under that name), installing
/// `redis-tools` when missing and running as root.
pub(crate) fn real_redis_server() -> Result<PathBuf, String> {
    let binary = Path::new("/usr/bin/redis-check-rdb");
    let have_tools = binary.is_file() && Path::new("/usr/bin/redis-benchmark").is_file();
    if !have_tools {
        eprintln!(
            "installing Debian's redis-tools (real Redis 7.0.15 server, redis-benchmark) ..."
        );
        let ok = Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends", "redis-tools"])
            .status()
            .is_ok_and(|s| s.success());
        if !ok || !binary.is_file() {
            return Err(
                "redis-tools is not installed (apt-get install -y redis-tools, as root)".into(),
            );
        }
    }
    let dir = std::env::temp_dir().join("go-redis-bench-bin");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let link = dir.join("redis-server");
    if !link.exists() {
        std::os::unix::fs::symlink(binary, &link).map_err(|e| e.to_string())?;
    }
    Ok(link)
}

/// Builds go-redis's server binary in release mode and returns its path.
pub(crate) fn build_go_redis() -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let ok = Command::new(cargo)
        .args([
            "build",
            "--release",
            "-q",
            "-p",
            "go-redis",
            "--bin",
            "go-redis",
        ])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        return Err("cannot build go-redis".into());
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    Ok(target.join("release").join("go-redis"))
}
