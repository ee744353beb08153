//! go-redis's GEO commands (day 4) against the real Redis 7.0.15, side by side.
//!
//! Both servers get the same 100,000 places, scattered over a 10° × 10° square (seeded, so
//! both hold the same set), then `redis-benchmark` sends each GEO command as a custom
//! command: searches around a point and around a member (reading the nine cells' score
//! ranges and filtering by distance), GEODIST and GEOPOS (decoding scores), and GEOADD
//! (encoding them). Servers pinned to core 0, `redis-benchmark` to core 1, Redis and
//! go-redis measured in turn, `GO_REDIS_BENCH_REPS` times (default 3), medians reported, as
//! in [`crate::go_redis`].

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::Row;
use crate::go_redis::{build_go_redis, first_rps, median, real_redis_server, reps, start_pair};

/// How many places each server holds.
const PLACES: usize = 100_000;
/// Requests per run of a search command.
const SEARCHES: usize = 20_000;
/// Requests per run of the other commands.
const REQUESTS: usize = 100_000;

/// The commands measured: `(label, pipeline depth, command)`. `__rand_int__` becomes a
/// 12-digit number below [`PLACES`], so `p:__rand_int__` names a seeded place. A search
/// command (its label starts with `GEOS` or `GEOR`) runs [`SEARCHES`] requests, the others
/// [`REQUESTS`]: a 20 km search reads a thousand points, so it is a hundred times slower.
const TESTS: &[(&str, usize, &str)] = &[
    (
        "GEOSEARCH BYRADIUS 10 km COUNT 10",
        1,
        "GEOSEARCH places FROMLONLAT 15 40 BYRADIUS 10 km ASC COUNT 10",
    ),
    (
        "GEOSEARCH BYRADIUS 10 km COUNT 10",
        16,
        "GEOSEARCH places FROMLONLAT 15 40 BYRADIUS 10 km ASC COUNT 10",
    ),
    (
        "GEOSEARCH BYBOX 30x30 km WITHDIST",
        16,
        "GEOSEARCH places FROMLONLAT 12.5 37.5 BYBOX 30 30 km WITHDIST",
    ),
    (
        "GEORADIUSBYMEMBER_RO 20 km",
        16,
        "GEORADIUSBYMEMBER_RO places p:__rand_int__ 20 km WITHDIST",
    ),
    (
        "GEODIST",
        16,
        "GEODIST places p:__rand_int__ p:__rand_int__ km",
    ),
    ("GEOPOS", 16, "GEOPOS places p:__rand_int__"),
    (
        "GEOADD",
        16,
        "GEOADD adds 15.__rand_int__ 40.__rand_int__ p:__rand_int__",
    ),
];

/// Runs the suite; no rows (and a message) when the tools are missing.
pub fn suite() -> Vec<Row> {
    match run() {
        Ok(rows) => rows,
        Err(err) => {
            eprintln!("go-redis GEO bench skipped: {err}");
            Vec::new()
        }
    }
}

fn run() -> Result<Vec<Row>, String> {
    let real = real_redis_server()?;
    let ours = build_go_redis()?;
    // A directory of its own: Redis loads a `dump.rdb` it finds in its directory at start.
    let dir = std::env::temp_dir().join(format!("go-redis-geo-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let (redis, go) = start_pair(&real, &ours, &dir)?;
    for port in [redis.port, go.port] {
        seed(port).map_err(|e| format!("seeding the places: {e}"))?;
    }
    let reps = reps();
    // samples[(label, pipeline)] = (redis rps, go-redis rps)
    let mut samples: BTreeMap<(usize, usize), (Vec<f64>, Vec<f64>)> = BTreeMap::new();
    for rep in 0..reps {
        for (which, port) in [(0, redis.port), (1, go.port)] {
            eprintln!(
                "  GEO rep {}/{reps} {} ...",
                rep + 1,
                if which == 0 { "redis" } else { "go-redis" }
            );
            for (i, (label, pipeline, command)) in TESTS.iter().enumerate() {
                let requests = if label.starts_with("GEOS") || label.starts_with("GEOR") {
                    SEARCHES
                } else {
                    REQUESTS
                };
                let rps = benchmark(port, *pipeline, requests, command)?;
                let entry = samples.entry((i, *pipeline)).or_default();
                if which == 0 {
                    entry.0.push(rps);
                } else {
                    entry.1.push(rps);
                }
            }
        }
    }
    drop((redis, go));
    let _ = std::fs::remove_dir_all(&dir);
    Ok(samples
        .into_iter()
        .map(|((i, pipeline), (r, g))| Row {
            course: "go-redis",
            test: format!("{} -P{pipeline} rps", TESTS[i].0),
            peer: "redis 7.0.15",
            peer_value: median(&r),
            ours: median(&g),
        })
        .collect())
}

/// Adds the same [`PLACES`] places (`p:000000000000` ...) to `places` on the server at
/// `port`: GEOADDs of 100 places each, pipelined, every reply read.
fn seed(port: u16) -> std::io::Result<()> {
    let mut rng = StdRng::seed_from_u64(7);
    let stream = TcpStream::connect(("127.0.0.1", port))?;
    let mut writer = std::io::BufWriter::new(stream.try_clone()?);
    let mut commands = 0;
    for chunk in (0..PLACES).collect::<Vec<_>>().chunks(100) {
        let mut args = vec!["GEOADD".to_string(), "places".to_string()];
        for i in chunk {
            args.push(format!("{:.6}", rng.random_range(10.0..20.0)));
            args.push(format!("{:.6}", rng.random_range(35.0..45.0)));
            args.push(format!("p:{i:012}"));
        }
        write!(writer, "*{}\r\n", args.len())?;
        for a in &args {
            write!(writer, "${}\r\n{a}\r\n", a.len())?;
        }
        commands += 1;
    }
    writer.flush()?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    for _ in 0..commands {
        line.clear();
        reader.read_line(&mut line)?;
        if !line.starts_with(':') {
            return Err(std::io::Error::other(format!("GEOADD answered {line:?}")));
        }
    }
    Ok(())
}

/// One redis-benchmark run of one custom command: requests per second.
fn benchmark(port: u16, pipeline: usize, requests: usize, command: &str) -> Result<f64, String> {
    let output = Command::new("taskset")
        .args(["-c", "1", "redis-benchmark", "-h", "127.0.0.1"])
        .args([
            "-p",
            &port.to_string(),
            "-c",
            "50",
            "-n",
            &requests.to_string(),
        ])
        .args([
            "-r",
            &PLACES.to_string(),
            "-P",
            &pipeline.to_string(),
            "--csv",
        ])
        .args(command.split(' '))
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run redis-benchmark: {e}"))?;
    first_rps(&output.stdout, &format!(" for {command}"))
}
