//! gee-rpc's suite: gee-rpc against tarpc 0.38, same calls, same serialization, same run.
//!
//! Calls: `Arith.Add(i32, i32) -> i32`, and `Echo` of a 16 B and a 1 KiB string. Each is
//! made with 1, 8, 64 and 256 calls in flight over ONE multiplexed connection (that many
//! tasks sharing one client), so the sequence-number demultiplexing is what is measured.
//! The server runs on a one-thread tokio runtime on a thread pinned to core 0, the load on
//! another one-thread runtime pinned to core 1 (`taskset` per thread). Every call's latency
//! goes into an HDR histogram; calls/s counts the calls completed in the measured window
//! (0.5 s warm-up, then `GEE_RPC_BENCH_SECS`, default 2 s).
//!
//! Serialization: bincode against bincode and JSON against JSON. gee-rpc uses bincode
//! 2.0.1 (`standard()`, varints) in length-delimited frames; tarpc's `serde_transport` uses
//! tokio-serde's Bincode format, which is **bincode 1.3** (fixed-width integers), in the
//! same tokio-util `LengthDelimitedCodec`. JSON is serde_json on both sides. Both sides set
//! TCP_NODELAY. tarpc keeps its default 10 s deadline; gee-rpc has no handle timeout.

use std::net::SocketAddr;
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use gee_rpc::{Client, CodecType, Options, Server, Services};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use tarpc::context;
use tarpc::server::{BaseChannel, Channel};
use tarpc::tokio_serde::formats::{Bincode, Json};
use tarpc::tokio_util::codec::LengthDelimitedCodec;
use tokio::net::{TcpListener, TcpStream};

use crate::Row;

const IN_FLIGHT: [usize; 4] = [1, 8, 64, 256];

/// `Arith.Add`'s argument for gee-rpc (tarpc takes the two numbers as parameters).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct AddArgs {
    a: i32,
    b: i32,
}

struct Arith;

gee_rpc::service! {
    impl Arith {
        async fn add(&self, args: AddArgs) -> Result<i32, String> {
            Ok(args.a.wrapping_add(args.b))
        }
    }
}

struct Echo;

gee_rpc::service! {
    impl Echo {
        async fn echo(&self, text: String) -> Result<String, String> {
            Ok(text)
        }
    }
}

#[tarpc::service]
trait Bench {
    async fn add(a: i32, b: i32) -> i32;
    async fn echo(text: String) -> String;
}

#[derive(Clone)]
struct TarpcBench;

impl Bench for TarpcBench {
    async fn add(self, _: context::Context, a: i32, b: i32) -> i32 {
        a.wrapping_add(b)
    }
    async fn echo(self, _: context::Context, text: String) -> String {
        text
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Peer {
    Gee,
    Tarpc,
}

#[derive(Clone, Copy)]
enum Codec {
    Bincode,
    Json,
}

impl Codec {
    fn name(self) -> &'static str {
        match self {
            Codec::Bincode => "bincode",
            Codec::Json => "json",
        }
    }
}

#[derive(Clone, Copy)]
enum Call {
    Add,
    Echo(usize),
}

impl Call {
    fn name(self) -> String {
        match self {
            Call::Add => "Arith.Add".into(),
            Call::Echo(16) => "Echo 16 B".into(),
            Call::Echo(n) => format!("Echo {} KiB", n / 1024),
        }
    }
}

/// One measurement: calls/s and latency percentiles in microseconds.
#[derive(Clone, Copy)]
struct Figures {
    calls_per_sec: f64,
    p50_us: f64,
    p99_us: f64,
}

/// Pins the calling thread to one core with `taskset` (best effort).
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

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// Starts a server of `peer` on a thread pinned to core 0; returns its address.
fn start_server(peer: Peer, codec: Codec) -> SocketAddr {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        pin_current_thread(0);
        runtime().block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            tx.send(listener.local_addr().expect("addr"))
                .expect("send addr");
            match peer {
                Peer::Gee => {
                    let services = Services::new();
                    services.register(Arith).expect("register");
                    services.register(Echo).expect("register");
                    let _ = Server::new(services).accept(listener).await;
                }
                Peer::Tarpc => loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        return;
                    };
                    let _ = stream.set_nodelay(true);
                    let framed = LengthDelimitedCodec::builder().new_framed(stream);
                    match codec {
                        Codec::Bincode => {
                            let transport = tarpc::serde_transport::new(framed, Bincode::default());
                            tokio::spawn(
                                BaseChannel::with_defaults(transport)
                                    .execute(TarpcBench.serve())
                                    .for_each(|f| async move {
                                        tokio::spawn(f);
                                    }),
                            );
                        }
                        Codec::Json => {
                            let transport = tarpc::serde_transport::new(framed, Json::default());
                            tokio::spawn(
                                BaseChannel::with_defaults(transport)
                                    .execute(TarpcBench.serve())
                                    .for_each(|f| async move {
                                        tokio::spawn(f);
                                    }),
                            );
                        }
                    }
                },
            }
        });
    });
    rx.recv().expect("the server's address")
}

/// A client of either kind, one connection.
#[derive(Clone)]
enum AnyClient {
    Gee(Client),
    Tarpc(BenchClient),
}

impl AnyClient {
    async fn connect(peer: Peer, codec: Codec, addr: SocketAddr) -> AnyClient {
        match peer {
            Peer::Gee => {
                let codec_type = match codec {
                    Codec::Bincode => CodecType::Bincode,
                    Codec::Json => CodecType::Json,
                };
                let client = Client::dial(&addr.to_string(), Options::with_codec(codec_type))
                    .await
                    .expect("dial gee-rpc");
                AnyClient::Gee(client)
            }
            Peer::Tarpc => {
                let stream = TcpStream::connect(addr).await.expect("dial tarpc");
                let _ = stream.set_nodelay(true);
                let framed = LengthDelimitedCodec::builder().new_framed(stream);
                let config = tarpc::client::Config::default();
                let client = match codec {
                    Codec::Bincode => BenchClient::new(
                        config,
                        tarpc::serde_transport::new(framed, Bincode::default()),
                    )
                    .spawn(),
                    Codec::Json => BenchClient::new(
                        config,
                        tarpc::serde_transport::new(framed, Json::default()),
                    )
                    .spawn(),
                };
                AnyClient::Tarpc(client)
            }
        }
    }

    async fn call(&self, call: Call, text: &str) -> bool {
        match (self, call) {
            (AnyClient::Gee(c), Call::Add) => c
                .call::<_, i32>("Arith.Add", &AddArgs { a: 1, b: 2 })
                .await
                .is_ok_and(|r| r == 3),
            (AnyClient::Gee(c), Call::Echo(_)) => c
                .call::<_, String>("Echo.Echo", text)
                .await
                .is_ok_and(|r| r.len() == text.len()),
            (AnyClient::Tarpc(c), Call::Add) => {
                c.add(context::current(), 1, 2).await.is_ok_and(|r| r == 3)
            }
            (AnyClient::Tarpc(c), Call::Echo(_)) => c
                .echo(context::current(), text.to_string())
                .await
                .is_ok_and(|r| r.len() == text.len()),
        }
    }
}

/// Runs `in_flight` callers over one connection on a thread pinned to core 1.
fn measure(
    peer: Peer,
    codec: Codec,
    addr: SocketAddr,
    call: Call,
    in_flight: usize,
    secs: f64,
) -> Figures {
    std::thread::scope(|s| {
        s.spawn(|| {
            pin_current_thread(1);
            runtime().block_on(async {
                let client = AnyClient::connect(peer, codec, addr).await;
                let text = match call {
                    Call::Add => String::new(),
                    Call::Echo(n) => "x".repeat(n),
                };
                let warm_up = Instant::now() + Duration::from_millis(500);
                let end = warm_up + Duration::from_secs_f64(secs);
                let mut tasks = Vec::new();
                for _ in 0..in_flight {
                    let client = client.clone();
                    let text = text.clone();
                    tasks.push(tokio::spawn(async move {
                        let mut histogram =
                            Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("histogram");
                        loop {
                            let start = Instant::now();
                            let ok = client.call(call, &text).await;
                            let done = Instant::now();
                            assert!(ok, "a benchmark call failed");
                            if done >= end {
                                break;
                            }
                            if start >= warm_up {
                                let _ = histogram.record((done - start).as_micros().max(1) as u64);
                            }
                        }
                        histogram
                    }));
                }
                let mut all =
                    Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("histogram");
                for task in tasks {
                    if let Ok(h) = task.await {
                        let _ = all.add(h);
                    }
                }
                Figures {
                    calls_per_sec: all.len() as f64 / secs,
                    p50_us: all.value_at_quantile(0.50) as f64,
                    p99_us: all.value_at_quantile(0.99) as f64,
                }
            })
        })
        .join()
        .expect("the load thread")
    })
}

/// The suite: every call × concurrency × codec, gee-rpc and tarpc in turn.
pub fn suite() -> Vec<Row> {
    let secs: f64 = std::env::var("GEE_RPC_BENCH_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2.0);
    let mut rows = Vec::new();
    println!(
        "{:<8} {:<11} {:>9} | {:>11} {:>8} {:>8} | {:>11} {:>8} {:>8} | {:>7} {:>7}",
        "codec",
        "call",
        "in flight",
        "tarpc c/s",
        "p50 µs",
        "p99 µs",
        "gee c/s",
        "p50 µs",
        "p99 µs",
        "c/s",
        "p99"
    );
    for codec in [Codec::Bincode, Codec::Json] {
        let gee_addr = start_server(Peer::Gee, codec);
        let tarpc_addr = start_server(Peer::Tarpc, codec);
        for call in [Call::Add, Call::Echo(16), Call::Echo(1024)] {
            for in_flight in IN_FLIGHT {
                let tarpc = measure(Peer::Tarpc, codec, tarpc_addr, call, in_flight, secs);
                let gee = measure(Peer::Gee, codec, gee_addr, call, in_flight, secs);
                println!(
                    "{:<8} {:<11} {:>9} | {:>11.0} {:>8.0} {:>8.0} | {:>11.0} {:>8.0} {:>8.0} | {:>6.2}x {:>6.2}x",
                    codec.name(),
                    call.name(),
                    in_flight,
                    tarpc.calls_per_sec,
                    tarpc.p50_us,
                    tarpc.p99_us,
                    gee.calls_per_sec,
                    gee.p50_us,
                    gee.p99_us,
                    gee.calls_per_sec / tarpc.calls_per_sec,
                    gee.p99_us / tarpc.p99_us,
                );
                rows.push(Row {
                    course: "gee-rpc",
                    test: format!("{} {} x{in_flight} calls/s", codec.name(), call.name()),
                    peer: "tarpc",
                    peer_value: tarpc.calls_per_sec,
                    ours: gee.calls_per_sec,
                });
            }
        }
    }
    println!("(ratios: gee-rpc / tarpc; c/s higher is better, p99 lower is better)");
    rows
}
