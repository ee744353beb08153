//! gee-cache's suite: the cache layer against `lru`, moka and quick_cache on one Zipf trace,
//! and the HTTP node against a bare hyper server.
//!
//! **Cache layer.** One seeded trace per skew (Zipf s = 0.8, 1.0, 1.2 over 1e6 keys, 1e6
//! requests) is replayed through every cache with the same byte budget (1 %, 5 %, 25 % of the
//! key space × the entry size), weight = `key.len() + value.len()` everywhere, values 100 B.
//! The workload is groupcache's get-or-load: `get`, and on a miss `insert` (the getter).
//! With 2 threads each replays its own half of the trace. The first 10 % of each slice warms
//! the cache untimed; three rounds are interleaved (A B C D, A B C D, ...) and the median
//! ops/s is kept. `Group.get` (the whole read path: key check, stats, main + hot cache,
//! singleflight on a miss) is compared with moka's `get_with_by_ref`, its loader API.
//!
//! **Node layer.** A server thread pinned to core 0 and a load generator pinned to core 1
//! (`taskset` per thread). The server is a gee-cache `HttpPool` with 1000 cached keys, or a
//! bare hyper server (the same accept loop) answering a fixed body of the same size: the
//! upper bound. Keep-alive connections at concurrency 1, 16 and 64, 2 s each.

use std::hint::black_box;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use gee_cache::{ByteView, Cache, Group, HttpPool, Protocol, Registry};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Zipf};

use crate::Row;

const KEYS: usize = 1_000_000;
const TRACE_LEN: usize = 1_000_000;
const VALUE_LEN: usize = 100;
const ROUNDS: usize = 3;

/// A cache under test: get, and load on a miss. Returns whether it was a hit.
trait Subject: Sync {
    fn get_or_load(&self, key: &str, value: &Bytes) -> bool;
}

struct GeeCache(Cache);

impl Subject for GeeCache {
    fn get_or_load(&self, key: &str, value: &Bytes) -> bool {
        if let Some(v) = self.0.get(key) {
            black_box(v);
            return true;
        }
        let _ = self.0.add(key, ByteView::new(value.clone()));
        false
    }
}

/// `lru::LruCache` counts entries; the byte budget is kept by hand, as the docs suggest.
struct LruPeer {
    inner: Mutex<(lru::LruCache<String, Bytes>, usize)>,
    budget: usize,
}

impl Subject for LruPeer {
    fn get_or_load(&self, key: &str, value: &Bytes) -> bool {
        let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let (cache, bytes) = &mut *guard;
        // Clone the value out, as any cache behind a lock must (gee's `get` does the same).
        if let Some(v) = cache.get(key) {
            black_box(v.clone());
            return true;
        }
        if let Some((k, v)) = cache.push(key.to_owned(), value.clone()) {
            *bytes -= k.len() + v.len(); // replaced or evicted (capacity is unbounded)
        }
        *bytes += key.len() + value.len();
        while *bytes > self.budget {
            match cache.pop_lru() {
                Some((k, v)) => *bytes -= k.len() + v.len(),
                None => break,
            }
        }
        false
    }
}

struct MokaPeer(moka::sync::Cache<String, Bytes>);

impl Subject for MokaPeer {
    fn get_or_load(&self, key: &str, value: &Bytes) -> bool {
        if let Some(v) = self.0.get(key) {
            black_box(v);
            return true;
        }
        self.0.insert(key.to_owned(), value.clone());
        false
    }
}

#[derive(Clone)]
struct ByteWeighter;

impl quick_cache::Weighter<String, Bytes> for ByteWeighter {
    fn weight(&self, key: &String, value: &Bytes) -> u64 {
        (key.len() + value.len()) as u64
    }
}

struct QuickPeer(quick_cache::sync::Cache<String, Bytes, ByteWeighter>);

impl Subject for QuickPeer {
    fn get_or_load(&self, key: &str, value: &Bytes) -> bool {
        if let Some(v) = self.0.get(key) {
            black_box(v);
            return true;
        }
        self.0.insert(key.to_owned(), value.clone());
        false
    }
}

/// `Group::get` with a getter that returns the value at once.
///
/// A miss is a call whose own getter ran, seen through a thread-local flag (the leader runs
/// the getter on the caller's thread); a follower that waited for the other thread's load
/// counts as a hit, exactly as moka's `get_with` is counted below.
struct GeeGroup {
    group: Arc<Group>,
}

thread_local! {
    static LOADED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

impl Subject for GeeGroup {
    fn get_or_load(&self, key: &str, _value: &Bytes) -> bool {
        LOADED.set(false);
        let _ = black_box(block_on(self.group.get(key)));
        !LOADED.get()
    }
}

/// Polls `future` to completion on this thread. The getter is synchronous, so a leader's
/// load completes in one poll; only a follower waiting for the other thread's load sees
/// `Pending`, and it spins (yielding) until that load is published.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        std::thread::yield_now();
    }
}

/// moka's loader API, the counterpart of `Group::get`.
struct MokaLoader {
    cache: moka::sync::Cache<String, Bytes>,
    loads: AtomicU64,
}

impl Subject for MokaLoader {
    fn get_or_load(&self, key: &str, value: &Bytes) -> bool {
        let mut loaded = false;
        let v = self.cache.get_with_by_ref(key, || {
            loaded = true;
            self.loads.fetch_add(1, Ordering::Relaxed);
            value.clone()
        });
        black_box(v);
        !loaded
    }
}

fn make(name: &str, budget: usize, value: &Bytes) -> Box<dyn Subject> {
    match name {
        "gee" => Box::new(GeeCache(Cache::new(budget))),
        "lru" => Box::new(LruPeer {
            inner: Mutex::new((lru::LruCache::unbounded(), 0)),
            budget,
        }),
        "moka" => Box::new(MokaPeer(
            moka::sync::Cache::builder()
                .max_capacity(budget as u64)
                .weigher(|k: &String, v: &Bytes| (k.len() + v.len()) as u32)
                .build(),
        )),
        "quick_cache" => Box::new(QuickPeer(quick_cache::sync::Cache::with_weighter(
            budget / (12 + VALUE_LEN),
            budget as u64,
            ByteWeighter,
        ))),
        "gee Group" => {
            let value = value.clone();
            let group = Registry::new().new_group("bench", budget, move |_key: &str| {
                LOADED.set(true);
                Ok::<_, String>(value.clone())
            });
            Box::new(GeeGroup { group })
        }
        _ => Box::new(MokaLoader {
            cache: moka::sync::Cache::builder()
                .max_capacity(budget as u64)
                .weigher(|k: &String, v: &Bytes| (k.len() + v.len()) as u32)
                .build(),
            loads: AtomicU64::new(0),
        }),
    }
}

/// One replay: (ops/s, hit ratio) over the timed part of every thread's slice.
fn replay(
    subject: &dyn Subject,
    keys: &[String],
    trace: &[u32],
    threads: usize,
    value: &Bytes,
) -> (f64, f64) {
    let slices: Vec<&[u32]> = trace.chunks(trace.len().div_ceil(threads)).collect();
    let barrier = Barrier::new(threads + 1);
    let hits = AtomicU64::new(0);
    let timed = AtomicU64::new(0);
    let elapsed = std::thread::scope(|scope| {
        for slice in &slices {
            let (barrier, hits, timed) = (&barrier, &hits, &timed);
            scope.spawn(move || {
                let warm = slice.len() / 10;
                for &k in &slice[..warm] {
                    subject.get_or_load(&keys[k as usize], value);
                }
                barrier.wait();
                let mut local_hits = 0;
                for &k in &slice[warm..] {
                    local_hits += u64::from(subject.get_or_load(&keys[k as usize], value));
                }
                hits.fetch_add(local_hits, Ordering::Relaxed);
                timed.fetch_add((slice.len() - warm) as u64, Ordering::Relaxed);
            });
        }
        barrier.wait();
        Instant::now()
    })
    .elapsed();
    let ops = timed.load(Ordering::Relaxed) as f64;
    (
        ops / elapsed.as_secs_f64(),
        hits.load(Ordering::Relaxed) as f64 / ops,
    )
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn cache_layer(rows: &mut Vec<Row>) {
    let keys: Vec<String> = (0..KEYS).map(|i| format!("key{i}")).collect();
    let avg_entry = keys.iter().map(String::len).sum::<usize>() / KEYS + VALUE_LEN;
    let value = Bytes::from(vec![b'v'; VALUE_LEN]);
    let names = [
        "gee",
        "lru",
        "moka",
        "quick_cache",
        "gee Group",
        "moka get_with",
    ];
    println!(
        "\ngee-cache: cache layer, Zipf over {KEYS} keys, {TRACE_LEN} gets, values {VALUE_LEN} B, median of {ROUNDS} rounds"
    );
    println!(
        "{:<5} {:>4} {:>3} | {}",
        "s",
        "cap",
        "thr",
        names.map(|n| format!("{n:>22}")).join(" ")
    );
    for s in [0.8, 1.0, 1.2] {
        let zipf = Zipf::new(KEYS as f64, s).expect("valid Zipf parameters");
        let mut rng = StdRng::seed_from_u64(42);
        let trace: Vec<u32> = (0..TRACE_LEN)
            .map(|_| (zipf.sample(&mut rng) as u32).saturating_sub(1))
            .collect();
        for pct in [1usize, 5, 25] {
            let budget = KEYS * pct / 100 * avg_entry;
            for threads in [1usize, 2] {
                let mut ops: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
                let mut hit = vec![0.0; names.len()];
                for _ in 0..ROUNDS {
                    for (i, name) in names.iter().enumerate() {
                        let subject = make(name, budget, &value);
                        let (o, h) = replay(subject.as_ref(), &keys, &trace, threads, &value);
                        ops[i].push(o);
                        hit[i] = h;
                    }
                }
                let ops: Vec<f64> = ops.into_iter().map(median).collect();
                let cells: Vec<String> = (0..names.len())
                    .map(|i| format!("{:>8.2}M/s {:>5.1}% hit", ops[i] / 1e6, hit[i] * 100.0))
                    .collect();
                println!("{s:<5} {pct:>3}% {threads:>3} | {}", cells.join(" "));
                let tag = format!("s={s} cap={pct}% {threads}t");
                if threads == 1 {
                    rows.push(Row {
                        course: "gee-cache",
                        test: format!("LRU ops/s {tag}"),
                        peer: "lru",
                        peer_value: ops[1],
                        ours: ops[0],
                    });
                }
                rows.push(Row {
                    course: "gee-cache",
                    test: format!("Cache ops/s {tag}"),
                    peer: "moka",
                    peer_value: ops[2],
                    ours: ops[0],
                });
                if threads == 2 {
                    rows.push(Row {
                        course: "gee-cache",
                        test: format!("Group.get ops/s {tag}"),
                        peer: "moka get_with",
                        peer_value: ops[5],
                        ours: ops[4],
                    });
                    rows.push(Row {
                        course: "gee-cache",
                        test: format!("hit % {tag}"),
                        peer: "moka",
                        peer_value: hit[2] * 100.0,
                        ours: hit[0] * 100.0,
                    });
                }
            }
        }
    }
}

/// Pins the calling thread to one core with `taskset` (best effort: unpinned if it fails).
fn pin_current_thread(core: usize) -> bool {
    let Ok(link) = std::fs::read_link("/proc/thread-self") else {
        return false;
    };
    let Some(tid) = link.file_name().and_then(|t| t.to_str()).map(str::to_owned) else {
        return false;
    };
    Command::new("taskset")
        .args(["-cp", &core.to_string(), &tid])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Starts a server on its own pinned thread; returns its address and a stop flag.
fn start_server(
    gee: bool,
    body: Bytes,
) -> (
    std::net::SocketAddr,
    Arc<AtomicBool>,
    std::thread::JoinHandle<()>,
) {
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = std::sync::mpsc::channel();
    let flag = stop.clone();
    let handle = std::thread::spawn(move || {
        pin_current_thread(0);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let addr = listener.local_addr().expect("addr");
            let stopped = async move {
                while !flag.load(Ordering::Relaxed) {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            };
            let _ = tx.send(addr);
            if gee {
                let registry = Registry::new();
                let group = registry.new_group("scores", 64 << 20, move |_key: &str| {
                    Ok::<_, String>(body.clone())
                });
                for i in 0..1000 {
                    let _ = group.get(&format!("key{i}")).await;
                }
                let pool = HttpPool::with_options(
                    &format!("http://{addr}"),
                    registry,
                    Protocol::Gee,
                    Duration::from_secs(2),
                );
                let _ = pool.serve(listener, stopped).await;
            } else {
                let _ = gee_cache::http::serve(listener, stopped, move |_req| {
                    let body = body.clone();
                    async move { gee_cache::http::bytes_response("application/octet-stream", body) }
                })
                .await;
            }
        });
    });
    let addr = rx.recv().expect("the server reports its address");
    (addr, stop, handle)
}

/// Requests per second from `concurrency` keep-alive connections over `duration`.
fn load(addr: std::net::SocketAddr, concurrency: usize, duration: Duration) -> f64 {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async move {
        let done = Arc::new(AtomicBool::new(false));
        let count = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for c in 0..concurrency {
            let (done, count) = (done.clone(), count.clone());
            tasks.push(tokio::spawn(async move {
                let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
                let _ = stream.set_nodelay(true);
                let (mut sender, conn) =
                    hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                        .await
                        .expect("handshake");
                tokio::spawn(conn);
                let mut i = c;
                while !done.load(Ordering::Relaxed) {
                    let request = hyper::Request::get(format!("/_geecache/scores/key{}", i % 1000))
                        .header("host", "bench")
                        .body(http_body_util::Empty::<Bytes>::new())
                        .expect("a request");
                    let response = sender.send_request(request).await.expect("a response");
                    let body = http_body_util::BodyExt::collect(response.into_body())
                        .await
                        .expect("a body");
                    black_box(body);
                    count.fetch_add(1, Ordering::Relaxed);
                    i += 1;
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(300)).await; // warm-up
        let start_count = count.load(Ordering::Relaxed);
        let start = Instant::now();
        tokio::time::sleep(duration).await;
        let served = count.load(Ordering::Relaxed) - start_count;
        let secs = start.elapsed().as_secs_f64();
        done.store(true, Ordering::Relaxed);
        for task in tasks {
            let _ = task.await;
        }
        served as f64 / secs
    })
}

fn node_layer(rows: &mut Vec<Row>) {
    let body = Bytes::from(vec![b'v'; VALUE_LEN]);
    let pinned = std::thread::spawn(|| pin_current_thread(1))
        .join()
        .unwrap_or(false);
    println!(
        "\ngee-cache: HTTP node, GET /_geecache/scores/<key>, {VALUE_LEN} B values, keep-alive, 2 s per point{}",
        if pinned {
            ", server on core 0, client on core 1"
        } else {
            " (taskset unavailable: unpinned)"
        }
    );
    println!(
        "{:>11} | {:>14} {:>14} {:>7}",
        "concurrency", "bare hyper", "gee-cache", "ratio"
    );
    for concurrency in [1, 16, 64] {
        let mut results = [0.0; 2];
        for (i, gee) in [false, true].into_iter().enumerate() {
            let (addr, stop, server) = start_server(gee, body.clone());
            let client = std::thread::spawn(move || {
                pin_current_thread(1);
                load(addr, concurrency, Duration::from_secs(2))
            });
            results[i] = client.join().unwrap_or(0.0);
            stop.store(true, Ordering::Relaxed);
            let _ = server.join();
        }
        println!(
            "{concurrency:>11} | {:>12.0}/s {:>12.0}/s {:>6.2}x",
            results[0],
            results[1],
            results[1] / results[0]
        );
        rows.push(Row {
            course: "gee-cache",
            test: format!("HTTP req/s c={concurrency}"),
            peer: "bare hyper",
            peer_value: results[0],
            ours: results[1],
        });
    }
}

/// The whole suite: cache layer, then node layer.
pub fn suite() -> Vec<Row> {
    let mut rows = Vec::new();
    cache_layer(&mut rows);
    node_layer(&mut rows);
    rows
}
