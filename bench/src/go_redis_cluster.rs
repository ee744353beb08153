//! go-redis day 7: `redis-benchmark --cluster` against three go-redis nodes and three real
//! Redis 7.0.15 cluster nodes, side by side.
//!
//! Real Redis: three `redis-server --cluster-enabled yes` joined by `redis-cli --cluster
//! create ... --cluster-replicas 0 --cluster-yes`. go-redis: three nodes given the same
//! slot split by `cluster-node` flags (redirect mode). All six servers are pinned to core 0
//! (the three nodes of a cluster share it), `redis-benchmark --cluster` to core 1. The two
//! clusters run in turn, `GO_REDIS_BENCH_REPS` times (default 3); the table gives medians.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::Row;
use crate::go_redis::{Server, build_go_redis, median, real_redis_server};

/// What is measured: the cluster's bread and butter.
const TESTS: &str = "set,get";

/// Runs the suite and returns one row per (test, pipeline depth).
pub fn suite() -> Vec<Row> {
    match run() {
        Ok(rows) => rows,
        Err(err) => {
            eprintln!("go-redis cluster bench skipped: {err}");
            Vec::new()
        }
    }
}

fn ports() -> Result<Vec<u16>, String> {
    (0..3)
        .map(|_| common::free_port().map_err(|e| e.to_string()))
        .collect()
}

fn run() -> Result<Vec<Row>, String> {
    let real = real_redis_server()?;
    let ours = build_go_redis()?;
    let reps = crate::go_redis::reps();
    let dir = std::env::temp_dir().join(format!("go-redis-cluster-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;

    let redis_ports = ports()?;
    let mut redis = Vec::new();
    for port in &redis_ports {
        let p = port.to_string();
        redis.push(Server::start(
            Command::new("taskset")
                .args(["-c", "0"])
                .arg(&real)
                .args([
                    "--port",
                    &p,
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ])
                .args(["--cluster-enabled", "yes"])
                .args(["--cluster-config-file", &format!("nodes-{p}.conf")])
                .arg("--dir")
                .arg(&dir),
            *port,
        )?);
    }
    create_redis_cluster(&redis_ports)?;

    let go_ports = ports()?;
    let ranges = [(0, 5460), (5461, 10921), (10922, 16383)];
    let mut go = Vec::new();
    for (i, port) in go_ports.iter().enumerate() {
        let mut cmd = Command::new("taskset");
        cmd.args(["-c", "0"]).arg(&ours);
        cmd.args(["--port", &port.to_string(), "--cluster-enabled", "yes"]);
        cmd.args(["--cluster-myid", &node_id(i)]);
        for (j, (p, (a, b))) in go_ports.iter().zip(ranges).enumerate() {
            let line = format!("{} 127.0.0.1:{p} {a}-{b}", node_id(j));
            cmd.args(["--cluster-node", &line]);
        }
        go.push(Server::start(cmd.env("RUST_LOG", "warn"), *port)?);
    }

    let mut rows = Vec::new();
    for pipeline in [1usize, 16] {
        let mut samples: BTreeMap<String, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
        for rep in 0..reps {
            for (which, ports) in [(0, &redis_ports), (1, &go_ports)] {
                eprintln!(
                    "  cluster -P {pipeline} rep {}/{reps} {} ...",
                    rep + 1,
                    if which == 0 { "redis" } else { "go-redis" }
                );
                for (test, rps) in benchmark(ports, pipeline)? {
                    let entry = samples.entry(test).or_default();
                    if which == 0 {
                        entry.0.push(rps)
                    } else {
                        entry.1.push(rps)
                    }
                }
            }
        }
        for (test, (r, g)) in samples {
            rows.push(Row {
                course: "go-redis",
                test: format!("cluster x3 {test} -P{pipeline} rps"),
                peer: "redis 7.0.15",
                peer_value: median(&r),
                ours: median(&g),
            });
        }
    }
    drop(redis);
    drop(go);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(rows)
}

/// `1111...`, `2222...`, `3333...`: the node ids of go-redis's cluster.
fn node_id(i: usize) -> String {
    std::iter::repeat_n(char::from(b'1' + i as u8), 40).collect()
}

/// Joins the real nodes into one cluster and waits until every node says `cluster_state:ok`.
fn create_redis_cluster(ports: &[u16]) -> Result<(), String> {
    let mut create = Command::new("redis-cli");
    create.arg("--cluster").arg("create");
    for port in ports {
        create.arg(format!("127.0.0.1:{port}"));
    }
    let status = create
        .args(["--cluster-replicas", "0", "--cluster-yes"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run redis-cli --cluster create: {e}"))?;
    if !status.success() {
        return Err("redis-cli --cluster create failed".into());
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    for port in ports {
        loop {
            let info = Command::new("redis-cli")
                .args(["-p", &port.to_string(), "cluster", "info"])
                .output()
                .map_err(|e| e.to_string())?;
            if String::from_utf8_lossy(&info.stdout).contains("cluster_state:ok") {
                break;
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "the Redis cluster node on {port} never reached state ok"
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    Ok(())
}

/// One `redis-benchmark --cluster` run (FLUSHALL on every node first):
/// `(test name, requests per second)`.
fn benchmark(ports: &[u16], pipeline: usize) -> Result<Vec<(String, f64)>, String> {
    for port in ports {
        let _ = Command::new("redis-cli")
            .args(["-p", &port.to_string(), "flushall"])
            .stdout(Stdio::null())
            .status();
    }
    let output = Command::new("taskset")
        .args(["-c", "1", "redis-benchmark", "--cluster", "-h", "127.0.0.1"])
        .args(["-p", &ports[0].to_string()])
        .args(["-c", "50", "-n", "200000", "-r", "100000"])
        .args(["-P", &pipeline.to_string(), "-t", TESTS, "--csv"])
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run redis-benchmark: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let mut results = Vec::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split(',').map(|f| f.trim_matches('"')).collect();
        if let (Some(name), Some(rps)) = (
            fields.first(),
            fields.get(1).and_then(|r| r.parse::<f64>().ok()),
        ) {
            results.push((name.to_string(), rps));
        }
    }
    if results.is_empty() {
        return Err(format!(
            "redis-benchmark --cluster printed no results:\n{text}"
        ));
    }
    Ok(results)
}
