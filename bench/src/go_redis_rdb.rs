//! go-redis day 5: RDB snapshots against the real Redis 7.0.15, side by side.
//!
//! Each server (pinned to core 0, clients to core 1) gets the same `N` keys
//! (`GO_REDIS_RDB_KEYS`, default 1,000,000: `SET key:<i> value-<i>` through
//! `redis-cli --pipe`), then we time, in turn for Redis and go-redis, `REPS` times
//! (`GO_REDIS_BENCH_REPS`, default 3; medians reported):
//!
//! - `SAVE`: the reply arrives once the file is on disk;
//! - `BGSAVE` until its reply: Redis forks, go-redis copies the keyspace under its locks;
//! - the load at start: from spawning the server on its `dump.rdb` to its first `PONG`.
//!
//! Figures are keys per second (higher is better), so the ratio reads like the others.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::Row;
use crate::go_redis::{Server, build_go_redis, median, real_redis_server};

/// Runs the suite; rows for SAVE, BGSAVE's pause and the load at start.
pub fn suite() -> Vec<Row> {
    match run() {
        Ok(rows) => rows,
        Err(err) => {
            eprintln!("go-redis RDB bench skipped: {err}");
            Vec::new()
        }
    }
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
        .max(1)
}

/// How to start one of the two servers on `port` in `dir`.
fn command(binary: &std::path::Path, is_redis: bool, port: u16, dir: &std::path::Path) -> Command {
    let mut cmd = Command::new("taskset");
    cmd.args(["-c", "0"]).arg(binary);
    cmd.args([
        "--port",
        &port.to_string(),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
    ]);
    if is_redis {
        cmd.args(["--appendonly", "no"]);
    }
    cmd.arg("--dir").arg(dir).env("RUST_LOG", "warn");
    cmd
}

fn run() -> Result<Vec<Row>, String> {
    let real = real_redis_server()?;
    let ours = build_go_redis()?;
    let keys = env_usize("GO_REDIS_RDB_KEYS", 1_000_000);
    let reps = crate::go_redis::reps();
    let load = set_commands(keys);
    let root = std::env::temp_dir().join(format!("go-redis-rdb-bench-{}", std::process::id()));
    // samples[0] = Redis, samples[1] = go-redis
    let mut samples: [Samples; 2] = Default::default();
    for rep in 0..reps {
        for (which, binary) in [(0usize, &real), (1, &ours)] {
            let name = if which == 0 { "redis" } else { "go-redis" };
            eprintln!("  RDB rep {}/{reps} {name} ...", rep + 1);
            let dir = root.join(name);
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
            let port = common::free_port().map_err(|e| e.to_string())?;
            let server = Server::start(&mut command(binary, which == 0, port, &dir), port)?;
            pipe(port, &load)?;
            let started = Instant::now();
            expect(port, "SAVE", "+OK")?;
            let save = started.elapsed().as_secs_f64();
            let started = Instant::now();
            expect(port, "BGSAVE", "+Background saving started")?;
            let bgsave = started.elapsed().as_secs_f64();
            wait_bgsave(port)?;
            drop(server);
            // Start again on the file just written: the load is until the first PONG.
            let port = common::free_port().map_err(|e| e.to_string())?;
            let started = Instant::now();
            let server = Server::start(&mut command(binary, which == 0, port, &dir), port)?;
            while expect(port, "PING", "+PONG").is_err() {
                if started.elapsed() > Duration::from_secs(300) {
                    return Err(format!("{name} did not load its snapshot"));
                }
                std::thread::sleep(Duration::from_millis(2));
            }
            let loaded = started.elapsed().as_secs_f64();
            let size = request(port, "DBSIZE")?;
            if size.trim() != format!(":{keys}") {
                return Err(format!("{name} loaded {size:?}, expected {keys} keys"));
            }
            drop(server);
            samples[which].save.push(save);
            samples[which].bgsave.push(bgsave);
            samples[which].load.push(loaded);
        }
    }
    let _ = std::fs::remove_dir_all(&root);
    let per_second = |secs: &[f64]| keys as f64 / median(secs).max(1e-9);
    let label = if keys.is_multiple_of(1_000_000) {
        format!("{}M", keys / 1_000_000)
    } else {
        keys.to_string()
    };
    let row = |test: String, pick: fn(&Samples) -> &Vec<f64>| Row {
        course: "go-redis",
        test,
        peer: "redis 7.0.15",
        peer_value: per_second(pick(&samples[0])),
        ours: per_second(pick(&samples[1])),
    };
    Ok(vec![
        row(format!("SAVE {label} keys, keys/s"), |s| &s.save),
        row(format!("BGSAVE reply {label}, keys/s"), |s| &s.bgsave),
        row(format!("load {label} at start, keys/s"), |s| &s.load),
    ])
}

/// One server's timings, in seconds, one per repetition.
#[derive(Default)]
struct Samples {
    /// SAVE until its reply.
    save: Vec<f64>,
    /// BGSAVE until its reply.
    bgsave: Vec<f64>,
    /// From spawning the server on its file to its first PONG.
    load: Vec<f64>,
}

/// `SET key:<i> value-<i>` for i in 0..n, as RESP.
fn set_commands(n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n * 48);
    for i in 0..n {
        let key = format!("key:{i}");
        let value = format!("value-{i}");
        let _ = write!(
            out,
            "*3\r\n$3\r\nSET\r\n${}\r\n{key}\r\n${}\r\n{value}\r\n",
            key.len(),
            value.len()
        );
    }
    out
}

/// Feeds `data` to the server with `redis-cli --pipe` (pinned to core 1).
fn pipe(port: u16, data: &[u8]) -> Result<(), String> {
    let mut child = Command::new("taskset")
        .args(["-c", "1", "redis-cli", "-p", &port.to_string(), "--pipe"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run redis-cli --pipe: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(data).map_err(|e| e.to_string())?;
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    status
        .success()
        .then_some(())
        .ok_or_else(|| "redis-cli --pipe failed".into())
}

/// Sends one inline command and returns the first line of the reply.
fn request(port: u16, command: &str) -> Result<String, String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(600)))
        .map_err(|e| e.to_string())?;
    stream
        .write_all(format!("{command}\r\n").as_bytes())
        .map_err(|e| e.to_string())?;
    let mut reply = Vec::new();
    let mut byte = [0u8; 1];
    while !reply.ends_with(b"\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => reply.push(byte[0]),
            _ => return Err(format!("no reply to {command}")),
        }
    }
    Ok(String::from_utf8_lossy(&reply).trim_end().to_owned())
}

fn expect(port: u16, command: &str, wanted: &str) -> Result<(), String> {
    let reply = request(port, command)?;
    (reply == wanted)
        .then_some(())
        .ok_or_else(|| format!("{command}: {reply}"))
}

/// Asks INFO until no BGSAVE runs.
fn wait_bgsave(port: u16) -> Result<(), String> {
    let started = Instant::now();
    loop {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
        stream
            .write_all(b"INFO persistence\r\n")
            .map_err(|e| e.to_string())?;
        let mut buf = [0u8; 4096];
        let n = stream.read(&mut buf).map_err(|e| e.to_string())?;
        if String::from_utf8_lossy(&buf[..n]).contains("rdb_bgsave_in_progress:0") {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(300) {
            return Err("BGSAVE never finished".into());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}
