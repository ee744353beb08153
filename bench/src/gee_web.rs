//! gee-web against its peers, in one run: the trie router against matchit (the router under
//! axum) with criterion, and the whole server against axum under wrk.
//!
//! **Router.** The 203 routes of the GitHub API (`data/github_api_routes.txt`, the set of the
//! Go routing benchmarks) go into gee-web's per-method tries and into one matchit router per
//! method; each criterion iteration looks up every route once (the "GithubAll" benchmark),
//! using the pattern itself as the path, as the Go benchmark does. The figure is lookups per
//! microsecond, so higher is better and the ratio is ours / matchit's.
//!
//! **Server.** gee-web and axum serve the same routes (the GitHub set plus `/` and `/json`),
//! each on a single-threaded tokio runtime whose thread is pinned to core 0, while
//! `wrk -t1 -c64` runs pinned to core 1 (on a 2-core machine: one core serves, one loads). Three
//! scenarios: plaintext `/`, the GitHub param route `/users/:user`, and JSON `/json`. The
//! servers take turns within the same run. Needs `wrk` and `taskset` (`apt-get install wrk`);
//! without them only the router rows are printed. `GEE_BENCH_SECS` sets the wrk duration
//! (default 5 s per run, after a 1 s warm-up), `GEE_BENCH_ROUNDS` the number of alternating
//! rounds whose medians are reported (default 3), and `GEE_BENCH_ONLY=router` skips the servers.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use criterion::Criterion;

use crate::Row;

/// The route set, parsed from the data file: `(method, pattern with :params)`.
fn github_routes() -> Vec<(String, String)> {
    include_str!("../data/github_api_routes.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split_once(' '))
        .map(|(m, p)| (m.to_owned(), p.to_owned()))
        .collect()
}

/// `:name` → `{name}`, matchit's (and axum's) parameter syntax.
fn braces(pattern: &str) -> String {
    pattern
        .split('/')
        .map(|seg| match seg.strip_prefix(':') {
            Some(name) => format!("{{{name}}}"),
            None => seg.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The suite `bench/src/main.rs` runs for `cargo xtask bench gee-web`.
pub fn suite() -> Vec<Row> {
    let mut rows = router_rows();
    if std::env::var("GEE_BENCH_ONLY").is_ok_and(|v| v == "router") {
        return rows;
    }
    match server_rows() {
        Ok(mut more) => rows.append(&mut more),
        Err(why) => println!("gee-web: server benchmark skipped: {why}"),
    }
    rows
}

// ----- router -------------------------------------------------------------------------------

/// Criterion's estimate of the time per iteration of benchmark `id`, in nanoseconds: the
/// figure it prints as `time:` (the slope of its linear sampling, else the mean).
fn criterion_estimate(dir: &std::path::Path, id: &str) -> Option<f64> {
    let text = std::fs::read_to_string(dir.join(id).join("new").join("estimates.json")).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["slope"]["point_estimate"]
        .as_f64()
        .or_else(|| json["mean"]["point_estimate"].as_f64())
}

fn router_rows() -> Vec<Row> {
    let routes = github_routes();
    let methods: Vec<gee_web::Method> = routes
        .iter()
        .map(|(m, _)| m.parse().expect("a method in the route file"))
        .collect();

    let mut gee = gee_web::router::Router::new();
    for (i, (_, pattern)) in routes.iter().enumerate() {
        gee.insert(methods[i].clone(), pattern, i)
            .expect("the GitHub routes insert cleanly");
    }
    let mut peer: Vec<(gee_web::Method, matchit::Router<usize>)> = Vec::new();
    for (i, (_, pattern)) in routes.iter().enumerate() {
        let at = match peer.iter().position(|(m, _)| *m == methods[i]) {
            Some(at) => at,
            None => {
                peer.push((methods[i].clone(), matchit::Router::new()));
                peer.len() - 1
            }
        };
        peer[at]
            .1
            .insert(braces(pattern), i)
            .expect("the GitHub routes insert into matchit");
    }
    // Both must agree before we time them.
    for (i, (_, path)) in routes.iter().enumerate() {
        let mut params = gee_web::trie::Params::new();
        match gee.lookup(&methods[i], path, &mut params) {
            gee_web::router::Lookup::Found(leaf) => assert_eq!(leaf.value, i, "{path}"),
            _ => panic!("gee-web misses {path}"),
        }
        let tree = &peer.iter().find(|(m, _)| *m == methods[i]).expect("tree").1;
        assert_eq!(*tree.at(path).expect("matchit hit").value, i, "{path}");
    }

    let dir = std::env::temp_dir().join(format!("gee-web-criterion-{}", std::process::id()));
    let mut c = Criterion::default()
        .output_directory(&dir)
        .without_plots()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .sample_size(50);
    c.bench_function("gee_web_github_all", |b| {
        b.iter(|| {
            let mut hits = 0usize;
            for (i, (_, path)) in routes.iter().enumerate() {
                let mut params = gee_web::trie::Params::new();
                if let gee_web::router::Lookup::Found(leaf) =
                    gee.lookup(&methods[i], std::hint::black_box(path), &mut params)
                {
                    hits += leaf.value + params.len();
                }
            }
            hits
        })
    });
    c.bench_function("matchit_github_all", |b| {
        b.iter(|| {
            let mut hits = 0usize;
            for (i, (_, path)) in routes.iter().enumerate() {
                let tree = peer.iter().find(|(m, _)| *m == methods[i]).map(|(_, t)| t);
                if let Some(found) = tree.and_then(|t| t.at(std::hint::black_box(path)).ok()) {
                    hits += *found.value + found.params.len();
                }
            }
            hits
        })
    });
    c.final_summary();
    // A second opinion that resists a busy machine: alternate short passes of both routers
    // and keep each one's fastest pass.
    let (mut best_gee, mut best_peer) = (f64::MAX, f64::MAX);
    for _ in 0..20_000 {
        let start = std::time::Instant::now();
        for (i, (_, path)) in routes.iter().enumerate() {
            let mut params = gee_web::trie::Params::new();
            std::hint::black_box(gee.lookup(&methods[i], std::hint::black_box(path), &mut params));
        }
        best_gee = best_gee.min(start.elapsed().as_nanos() as f64);
        let start = std::time::Instant::now();
        for (i, (_, path)) in routes.iter().enumerate() {
            let tree = peer.iter().find(|(m, _)| *m == methods[i]).map(|(_, t)| t);
            std::hint::black_box(tree.and_then(|t| t.at(std::hint::black_box(path)).ok()));
        }
        best_peer = best_peer.min(start.elapsed().as_nanos() as f64);
    }
    println!(
        "router, fastest of 20000 alternating passes: gee-web {:.2} µs, matchit {:.2} µs, ratio {:.2}x",
        best_gee / 1000.0,
        best_peer / 1000.0,
        best_peer / best_gee
    );
    let per_us = |ns: Option<f64>| ns.map_or(0.0, |ns| routes.len() as f64 * 1000.0 / ns);
    let ours = per_us(criterion_estimate(&dir, "gee_web_github_all"));
    let theirs = per_us(criterion_estimate(&dir, "matchit_github_all"));
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "router: {} routes; gee-web {ours:.1} lookups/µs, matchit {theirs:.1} lookups/µs",
        routes.len()
    );
    let per_pass = |ns: f64| routes.len() as f64 * 1000.0 / ns;
    vec![
        Row {
            course: "gee-web",
            test: "router GitHub lookups/µs criterion".into(),
            peer: "matchit",
            peer_value: theirs,
            ours,
        },
        Row {
            course: "gee-web",
            test: "router GitHub lookups/µs best pass".into(),
            peer: "matchit",
            peer_value: per_pass(best_peer),
            ours: per_pass(best_gee),
        },
    ]
}

// ----- servers ------------------------------------------------------------------------------

/// What wrk measured for one run.
#[derive(Debug, Clone, Copy, Default)]
struct WrkResult {
    requests_per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// Parses `1.23ms`, `850.00us`, `2.01s` into milliseconds.
fn parse_latency(text: &str) -> Option<f64> {
    let text = text.trim();
    let (number, factor) = if let Some(n) = text.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1000.0)
    } else {
        return None;
    };
    number.parse::<f64>().ok().map(|n| n * factor)
}

fn parse_wrk(output: &str) -> Option<WrkResult> {
    let mut result = WrkResult::default();
    for line in output.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Requests/sec:", value] => result.requests_per_sec = value.parse().ok()?,
            ["50%", value] => result.p50_ms = parse_latency(value)?,
            ["99%", value] => result.p99_ms = parse_latency(value)?,
            _ => {}
        }
    }
    (result.requests_per_sec > 0.0).then_some(result)
}

/// Runs wrk pinned to core 1 against `url` for `secs` seconds.
fn wrk(url: &str, secs: u64) -> Result<WrkResult, String> {
    let output = Command::new("taskset")
        .args(["-c", "1", "wrk", "-t1", "-c64"])
        .arg(format!("-d{secs}s"))
        .args(["--latency", url])
        .output()
        .map_err(|e| format!("cannot run wrk: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "wrk failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    parse_wrk(&text).ok_or_else(|| format!("cannot read wrk's output:\n{text}"))
}

/// Pins the calling thread to one core with `taskset -p` (works on thread ids on Linux).
fn pin_current_thread(core: usize) -> Result<(), String> {
    let link = std::fs::read_link("/proc/thread-self").map_err(|e| e.to_string())?;
    let tid = link
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or("no thread id")?
        .to_owned();
    let status = Command::new("taskset")
        .args(["-pc", &core.to_string(), &tid])
        .stdout(std::process::Stdio::null())
        .status()
        .map_err(|e| format!("cannot run taskset: {e}"))?;
    status
        .success()
        .then_some(())
        .ok_or_else(|| "taskset failed".to_owned())
}

/// A server running on its own pinned thread; dropping `stop` shuts it down.
struct Server {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Which framework a [`Server`] runs.
#[derive(Clone, Copy)]
enum Framework {
    GeeWeb,
    Axum,
}

fn start(framework: Framework) -> Result<Server, String> {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<SocketAddr, String>>();
    let thread = std::thread::spawn(move || {
        if let Err(why) = pin_current_thread(0) {
            let _ = ready_tx.send(Err(why));
            return;
        }
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => {
                let _ = ready_tx.send(Err(e.to_string()));
                return;
            }
        };
        runtime.block_on(async move {
            let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
                Ok(l) => l,
                Err(e) => {
                    let _ = ready_tx.send(Err(e.to_string()));
                    return;
                }
            };
            let addr = listener.local_addr().map_err(|e| e.to_string());
            let _ = ready_tx.send(addr);
            let shutdown = async move {
                let _ = stopped.await;
            };
            match framework {
                Framework::GeeWeb => {
                    let _ = gee_app().serve(listener, shutdown).await;
                }
                Framework::Axum => {
                    let _ = axum::serve(listener, axum_app())
                        .with_graceful_shutdown(shutdown)
                        .await;
                }
            }
        });
    });
    let addr = ready_rx
        .recv_timeout(Duration::from_secs(10))
        .map_err(|e| e.to_string())??;
    Ok(Server {
        addr,
        stop: Some(stop),
        thread: Some(thread),
    })
}

/// gee-web with the benchmark routes: no middleware (axum has none either).
fn gee_app() -> gee_web::Engine {
    use gee_web::{Context, StatusCode};
    async fn github(c: &mut Context) {
        let user = c.param("user").to_owned();
        c.string(StatusCode::OK, user)
    }
    let mut r = gee_web::Engine::new();
    r.get("/", async |c: &mut Context| {
        c.string(StatusCode::OK, "Hello, World!")
    });
    r.get("/json", async |c: &mut Context| {
        c.json(
            StatusCode::OK,
            &gee_web::json!({ "message": "Hello, World!" }),
        )
    });
    for (method, pattern) in github_routes() {
        let method = method.parse().expect("a method");
        r.add_route(method, &pattern, github);
    }
    r
}

/// axum with the same routes.
fn axum_app() -> axum::Router {
    use axum::extract::Path;
    use axum::routing::{MethodFilter, MethodRouter, get, on};
    async fn github(params: Path<BTreeMap<String, String>>) -> String {
        params.get("user").cloned().unwrap_or_default()
    }
    let mut by_path: BTreeMap<String, MethodRouter> = BTreeMap::new();
    for (method, pattern) in github_routes() {
        let filter = match method.as_str() {
            "GET" => MethodFilter::GET,
            "POST" => MethodFilter::POST,
            "PUT" => MethodFilter::PUT,
            "DELETE" => MethodFilter::DELETE,
            _ => MethodFilter::PATCH,
        };
        let path = braces(&pattern);
        let entry = by_path.remove(&path);
        let router = match entry {
            Some(existing) => existing.on(filter, github),
            None => on(filter, github),
        };
        by_path.insert(path, router);
    }
    let mut app = axum::Router::new()
        .route("/", get(async || "Hello, World!"))
        .route(
            "/json",
            get(async || axum::Json(serde_json::json!({ "message": "Hello, World!" }))),
        );
    for (path, router) in by_path {
        app = app.route(&path, router);
    }
    app
}

/// Checks a server answers `path` with a 200 before timing it.
fn probe(addr: SocketAddr, path: &str) -> Result<(), String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut reply = String::new();
    let _ = stream.read_to_string(&mut reply);
    if reply.starts_with("HTTP/1.1 200") {
        Ok(())
    } else {
        Err(format!("GET {path} answered: {reply}"))
    }
}

/// The median of each figure over the runs (taken separately).
fn median(runs: &[WrkResult]) -> WrkResult {
    let pick = |f: fn(&WrkResult) -> f64| {
        let mut values: Vec<f64> = runs.iter().map(f).collect();
        values.sort_by(f64::total_cmp);
        values.get(values.len() / 2).copied().unwrap_or(0.0)
    };
    WrkResult {
        requests_per_sec: pick(|r| r.requests_per_sec),
        p50_ms: pick(|r| r.p50_ms),
        p99_ms: pick(|r| r.p99_ms),
    }
}

fn server_rows() -> Result<Vec<Row>, String> {
    for tool in ["wrk", "taskset"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        if !found {
            return Err(format!("`{tool}` is not installed (apt-get install wrk)"));
        }
    }
    let secs: u64 = std::env::var("GEE_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let scenarios = [
        ("GET / plaintext", "/"),
        ("GET /users/:user (GitHub set)", "/users/geektutu"),
        ("GET /json", "/json"),
    ];
    let mut rows = Vec::new();
    println!(
        "\nserver: single-threaded runtime pinned to core 0, wrk -t1 -c64 -d{secs}s pinned to core 1, median of {} alternating rounds",
        std::env::var("GEE_BENCH_ROUNDS").unwrap_or_else(|_| "3".into())
    );
    println!(
        "{:<32} {:>10} {:>12} {:>10} {:>10}",
        "scenario", "server", "req/s", "p50 ms", "p99 ms"
    );
    let rounds: usize = std::env::var("GEE_BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3)
        .max(1);
    for (name, path) in scenarios {
        let mut runs: [Vec<WrkResult>; 2] = [Vec::new(), Vec::new()];
        for _ in 0..rounds {
            for (slot, framework) in [(0, Framework::Axum), (1, Framework::GeeWeb)] {
                let server = start(framework)?;
                probe(server.addr, path)?;
                let url = format!("http://{}{path}", server.addr);
                wrk(&url, 1)?; // warm-up
                runs[slot].push(wrk(&url, secs)?);
            }
        }
        let results = [median(&runs[0]), median(&runs[1])];
        for (slot, label) in ["axum", "gee-web"].iter().enumerate() {
            let r = results[slot];
            println!(
                "{name:<32} {label:>10} {:>12.0} {:>10.2} {:>10.2}",
                r.requests_per_sec, r.p50_ms, r.p99_ms
            );
        }
        rows.push(Row {
            course: "gee-web",
            test: format!("{name} req/s"),
            peer: "axum",
            peer_value: results[0].requests_per_sec,
            ours: results[1].requests_per_sec,
        });
        // For latency lower is better: report axum's p99 over ours, so > 1 means we are faster.
        rows.push(Row {
            course: "gee-web",
            test: format!("{name} 1000/p99ms"),
            peer: "axum",
            peer_value: 1000.0 / results[0].p99_ms.max(0.001),
            ours: 1000.0 / results[1].p99_ms.max(0.001),
        });
        // The Go original was measured once, separately, not in this run: a figure from
        // another run is not a peer measured side by side, so it gets no ratio. It is printed
        // alone, with where it came from, for orientation only.
        let go = match path {
            "/" => Some(("`/`", "55.6k")),
            "/users/geektutu" => Some(("`/hello/:name`", "51.4k")),
            _ => None,
        };
        if let Some((route, rps)) = go {
            println!(
                "  for reference, not measured in this run: the Go original (Gee day 7) served {rps} req/s on {route}, measured once on a 2-core machine of this project (2026-11) with the same pinning and wrk settings"
            );
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_wrk_output() {
        let out = "  Latency Distribution\n     50%  612.00us\n     75%    1.20ms\n     90%    2.00ms\n     99%    3.50ms\n  100000 requests in 2.00s\nRequests/sec:  55600.12\n";
        let r = parse_wrk(out).unwrap();
        assert_eq!(r.requests_per_sec, 55600.12);
        assert!((r.p50_ms - 0.612).abs() < 1e-9);
        assert_eq!(r.p99_ms, 3.5);
        assert_eq!(braces("/a/:b/c"), "/a/{b}/c");
        assert_eq!(github_routes().len(), 203);
    }
}
