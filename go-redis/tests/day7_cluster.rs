//! Day 7 acceptance tests: three in-process nodes on port-0 listeners (bound first, then the
//! topology is built from the bound ports), in both cluster modes.
//!
//! Redirect mode (Redis Cluster): the CLUSTER replies, MOVED and CROSSSLOT, SELECT, and real
//! cluster clients — `redis-cli -c`, `redis-benchmark --cluster` and redis-py's
//! `RedisCluster` (each skipped with a printed "SKIPPED: ..." when absent).
//! Proxy mode (godis): plain clients on any node, scatter-gather, FLUSHALL on every node,
//! and the two-phase transaction's all-or-nothing rule when a participant refuses and when
//! one dies mid-transaction.

mod support;

use std::time::Duration;

use bytes::Bytes;
use go_redis::cluster::{self, Mode};
use go_redis::resp::Frame;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use support::{bulk, exchange, python_with_redis, simple};

// With three nodes the slots split 0-5460, 5461-10921, 10922-16383, so:
/// A key of node 0 (slot 3300).
const ON_0: &str = "b";
/// A key of node 1 (slot 7365).
const ON_1: &str = "c";
/// A key of node 2 (slot 15495).
const ON_2: &str = "a";

/// One node of a test cluster.
struct Node {
    port: u16,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), go_redis::Error>>,
}

impl Node {
    /// Shuts the node down and waits until it stopped listening.
    async fn kill(mut self) {
        drop(self.stop.take());
        let _ = tokio::time::timeout(Duration::from_secs(10), &mut self.task).await;
    }
}

/// Binds `count` listeners, then starts a node on each of the first `real` of them (the
/// rest are handed back for the test to play a node by hand).
async fn start_cluster(count: usize, real: usize, mode: Mode) -> (Vec<Node>, Vec<TcpListener>) {
    let mut listeners = Vec::new();
    for _ in 0..count {
        listeners.push(TcpListener::bind("127.0.0.1:0").await.expect("bind port 0"));
    }
    let ports: Vec<u16> = listeners
        .iter()
        .map(|l| l.local_addr().expect("local addr").port())
        .collect();
    let fakes = listeners.split_off(real);
    let mut nodes = Vec::new();
    for (i, listener) in listeners.into_iter().enumerate() {
        let config = cluster::local_node_config(&ports, i, mode);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(go_redis::serve_database(listener, config, async move {
            let _ = stopped.await;
        }));
        nodes.push(Node {
            port: ports[i],
            stop: Some(stop),
            task,
        });
    }
    (nodes, fakes)
}

async fn connect(port: u16) -> TcpStream {
    TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect")
}

/// Sends one inline command and reads its reply.
async fn call(stream: &mut TcpStream, line: &str) -> Frame {
    let mut request = BytesMutExt::from(line);
    request.push_str("\r\n");
    let mut replies = exchange(stream, request.as_bytes(), 1).await;
    assert_eq!(replies.len(), 1, "one reply to {line:?}");
    replies.remove(0)
}

/// `String` under another name: what `call` builds its request in.
type BytesMutExt = String;

fn error_text(frame: &Frame) -> &str {
    match frame {
        Frame::Error(e) => e,
        other => panic!("expected an error, got {other:?}"),
    }
}

fn text(frame: &Frame) -> String {
    match frame {
        Frame::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
        other => panic!("expected a bulk string, got {other:?}"),
    }
}

// ---- redirect mode: Redis Cluster's protocol ----

#[tokio::test]
async fn cluster_commands_answer_with_redis_shapes() {
    let (nodes, _) = start_cluster(3, 3, Mode::Redirect).await;
    let mut s = connect(nodes[1].port).await;
    assert_eq!(
        call(&mut s, "CLUSTER KEYSLOT foo").await,
        Frame::Integer(12182)
    );
    assert_eq!(
        call(&mut s, "CLUSTER KEYSLOT {user1000}.following").await,
        Frame::Integer(3443)
    );
    assert_eq!(
        call(&mut s, "CLUSTER MYID").await,
        bulk(&cluster::local_node_id(1))
    );
    // CLUSTER SLOTS: [start, end, [ip, port, id, {}]] per range.
    let Frame::Array(slots) = call(&mut s, "CLUSTER SLOTS").await else {
        panic!("CLUSTER SLOTS is an array");
    };
    assert_eq!(slots.len(), 3);
    assert_eq!(
        slots[1],
        Frame::Array(vec![
            Frame::Integer(5461),
            Frame::Integer(10921),
            Frame::Array(vec![
                bulk("127.0.0.1"),
                Frame::Integer(i64::from(nodes[1].port)),
                bulk(&cluster::local_node_id(1)),
                Frame::Array(vec![]),
            ]),
        ])
    );
    // CLUSTER SHARDS: per shard a map {slots: [start, end], nodes: [{id, port, ip, ...}]}.
    let Frame::Array(shards) = call(&mut s, "CLUSTER SHARDS").await else {
        panic!("CLUSTER SHARDS is an array");
    };
    assert_eq!(shards.len(), 3);
    let Frame::Array(shard) = &shards[2] else {
        panic!("a shard is a map");
    };
    assert_eq!(shard[0], bulk("slots"));
    assert_eq!(
        shard[1],
        Frame::Array(vec![Frame::Integer(10922), Frame::Integer(16383)])
    );
    assert_eq!(shard[2], bulk("nodes"));
    let Frame::Array(shard_nodes) = &shard[3] else {
        panic!("nodes is an array");
    };
    let Frame::Array(node) = &shard_nodes[0] else {
        panic!("a node is a map");
    };
    assert_eq!(
        &node[..4],
        &[
            bulk("id"),
            bulk(&cluster::local_node_id(2)),
            bulk("port"),
            Frame::Integer(i64::from(nodes[2].port))
        ]
    );
    assert!(node.contains(&bulk("health")) && node.contains(&bulk("online")));
    // CLUSTER NODES: Redis's text lines, `myself` flagged.
    let nodes_text = text(&call(&mut s, "CLUSTER NODES").await);
    let lines: Vec<&str> = nodes_text.lines().collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(
        lines[1],
        format!(
            "{} 127.0.0.1:{}@{} myself,master - 0 0 2 connected 5461-10921",
            cluster::local_node_id(1),
            nodes[1].port,
            u32::from(nodes[1].port) + 10000
        )
    );
    let info = text(&call(&mut s, "CLUSTER INFO").await);
    assert!(
        info.starts_with("cluster_state:ok\r\ncluster_slots_assigned:16384\r\n"),
        "{info}"
    );
    assert!(
        info.contains("cluster_known_nodes:3\r\ncluster_size:3\r\n"),
        "{info}"
    );
    let info = text(&call(&mut s, "INFO cluster").await);
    assert!(info.contains("cluster_enabled:1"), "{info}");
    for accepted in ["READONLY", "READWRITE", "ASKING"] {
        assert_eq!(call(&mut s, accepted).await, simple("OK"));
    }
    // Bad input gets Redis's errors.
    assert_eq!(
        error_text(&call(&mut s, "CLUSTER COUNTKEYSINSLOT 16384").await),
        "ERR Invalid slot"
    );
    assert!(error_text(&call(&mut s, "CLUSTER NOPE").await).starts_with("ERR unknown subcommand"));
}

#[tokio::test]
async fn a_key_of_another_node_is_moved_and_keys_across_slots_are_crossslot() {
    let (nodes, _) = start_cluster(3, 3, Mode::Redirect).await;
    let mut s = connect(nodes[0].port).await;
    assert_eq!(
        call(&mut s, &format!("SET {ON_0} here")).await,
        simple("OK")
    );
    assert_eq!(call(&mut s, &format!("GET {ON_0}")).await, bulk("here"));
    assert_eq!(
        error_text(&call(&mut s, &format!("SET {ON_2} v")).await),
        format!("MOVED 15495 127.0.0.1:{}", nodes[2].port)
    );
    assert_eq!(
        error_text(&call(&mut s, "GET foo").await),
        format!("MOVED 12182 127.0.0.1:{}", nodes[2].port)
    );
    // Multi-key commands: one slot is fine (hash tags), two slots are refused before
    // anything runs, even when both slots are served here.
    assert_eq!(
        call(&mut s, "MSET {user1000}.a 1 {user1000}.b 2").await,
        simple("OK")
    );
    assert_eq!(
        call(&mut s, "MGET {user1000}.a {user1000}.b").await,
        Frame::Array(vec![bulk("1"), bulk("2")])
    );
    for refused in [
        format!("MSET {ON_0} 1 baz 2"),
        format!("DEL {ON_0} {ON_1}"),
        format!("SUNIONSTORE {ON_0} {ON_2}"),
    ] {
        assert_eq!(
            error_text(&call(&mut s, &refused).await),
            "CROSSSLOT Keys in request don't hash to the same slot",
            "{refused}"
        );
    }
    assert_eq!(call(&mut s, "GET baz").await, Frame::Null, "nothing ran");
    // Only database 0 in cluster mode; keyless commands run anywhere.
    assert_eq!(
        error_text(&call(&mut s, "SELECT 1").await),
        "ERR SELECT is not allowed in cluster mode"
    );
    assert_eq!(call(&mut s, "SELECT 0").await, simple("OK"));
    assert_eq!(call(&mut s, "PING").await, simple("PONG"));
    assert_eq!(call(&mut s, "DBSIZE").await, Frame::Integer(3));
    assert_eq!(
        call(&mut s, "CLUSTER COUNTKEYSINSLOT 3300").await,
        Frame::Integer(1)
    );
    assert_eq!(
        call(&mut s, "CLUSTER GETKEYSINSLOT 3300 10").await,
        Frame::Array(vec![bulk(ON_0)])
    );
}

#[tokio::test]
async fn go_bug_hash_tag_with_a_closing_brace_first_does_not_crash() {
    // godis's getPartitionKey slices key[beg+1:end] with `end` the first `}` anywhere in
    // the key: for "}a{b}" end < beg and Go panics (book appendix: Go bugs).
    let (nodes, _) = start_cluster(3, 3, Mode::Redirect).await;
    let mut s = connect(nodes[0].port).await;
    assert_eq!(
        call(&mut s, "CLUSTER KEYSLOT }a{b}").await,
        Frame::Integer(i64::from(cluster::key_hash_slot(b"b")))
    );
    assert_eq!(
        call(&mut s, "CLUSTER KEYSLOT }{").await,
        Frame::Integer(i64::from(cluster::key_hash_slot(b"}{")))
    );
    assert_eq!(
        call(&mut s, "PING").await,
        simple("PONG"),
        "the node is alive"
    );
}

/// Runs a command-line tool off the async runtime; `None` when it is not installed.
async fn run_tool(program: &'static str, args: Vec<String>) -> Option<std::process::Output> {
    tokio::task::spawn_blocking(move || std::process::Command::new(program).args(&args).output())
        .await
        .expect("join")
        .ok()
}

#[tokio::test]
async fn redis_cli_dash_c_follows_moved_across_nodes() {
    let (nodes, _) = start_cluster(3, 3, Mode::Redirect).await;
    let cli = |port: u16, words: &[&str]| {
        let mut args = vec!["-c".to_owned(), "-p".to_owned(), port.to_string()];
        args.extend(words.iter().map(|w| w.to_string()));
        run_tool("redis-cli", args)
    };
    let Some(out) = cli(nodes[0].port, &["SET", ON_2, "from-node-0"]).await else {
        eprintln!("SKIPPED: redis-cli not found (install Debian's redis-tools)");
        return;
    };
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "OK");
    for (port, key, value) in [
        (nodes[1].port, ON_0, "from-node-1"),
        (nodes[2].port, ON_1, "from-node-2"),
    ] {
        let out = cli(port, &["SET", key, value]).await.expect("redis-cli");
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "OK");
    }
    // Read each back through a node that does not own it.
    for (port, key, value) in [
        (nodes[1].port, ON_2, "from-node-0"),
        (nodes[2].port, ON_0, "from-node-1"),
        (nodes[0].port, ON_1, "from-node-2"),
    ] {
        let out = cli(port, &["GET", key]).await.expect("redis-cli");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            value,
            "GET {key}"
        );
    }
    // Without -c the client sees the redirect itself.
    let out = run_tool(
        "redis-cli",
        vec![
            "-p".into(),
            nodes[0].port.to_string(),
            "GET".into(),
            ON_2.into(),
        ],
    )
    .await
    .expect("redis-cli");
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("MOVED 15495"), "{shown}");
}

#[tokio::test]
async fn redis_benchmark_cluster_completes_against_three_nodes() {
    let (nodes, _) = start_cluster(3, 3, Mode::Redirect).await;
    let args: Vec<String> = [
        "-h",
        "127.0.0.1",
        "-p",
        &nodes[0].port.to_string(),
        "--cluster",
        "-t",
        "set,get",
        "-n",
        "2000",
        "-r",
        "1000",
        "-q",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let Some(out) = run_tool("redis-benchmark", args).await else {
        eprintln!("SKIPPED: redis-benchmark not found (install Debian's redis-tools)");
        return;
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("SET: ") && stdout.contains("GET: "),
        "{stdout}\n{stderr}"
    );
    assert!(
        !stdout.contains("Error") && !stderr.contains("Error"),
        "{stdout}\n{stderr}"
    );
    // The keys went to all three nodes.
    for node in &nodes {
        let mut s = connect(node.port).await;
        let Frame::Integer(keys) = call(&mut s, "DBSIZE").await else {
            panic!("DBSIZE is an integer");
        };
        assert!(keys > 0, "node {} got no key", node.port);
    }
}

const PY_CLUSTER: &str = r#"
import sys
from redis.cluster import RedisCluster
rc = RedisCluster(host="127.0.0.1", port=int(sys.argv[1]), decode_responses=True)
assert len(rc.get_nodes()) == 3, rc.get_nodes()
keys = ["k%d" % i for i in range(30)]
for k in keys:
    assert rc.set(k, "v-" + k)
assert [rc.get(k) for k in keys] == ["v-" + k for k in keys]
assert rc.keyslot("foo") == 12182
assert rc.mset({"{tag}a": "1", "{tag}b": "2"})
assert rc.mget("{tag}a", "{tag}b") == ["1", "2"]
assert rc.mget_nonatomic(keys[:6]) == ["v-" + k for k in keys[:6]]
assert rc.incr("counter") == 1
assert rc.delete(*keys) == 30
print("ok", len(rc.get_nodes()), "nodes")
"#;

#[tokio::test]
async fn redis_py_redis_cluster_sets_and_gets_across_slots() {
    let python = match python_with_redis() {
        Ok(python) => python,
        Err(why) => {
            eprintln!("SKIPPED: redis-py RedisCluster: {why}");
            return;
        }
    };
    let (nodes, _) = start_cluster(3, 3, Mode::Redirect).await;
    let port = nodes[2].port.to_string();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .args(["-c", PY_CLUSTER, &port])
            .output()
    })
    .await
    .expect("join")
    .expect("run python");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.starts_with("ok"),
        "redis-py RedisCluster failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

// ---- proxy mode: godis's relay ----

#[tokio::test]
async fn proxy_mode_serves_plain_clients_on_any_node() {
    let (nodes, _) = start_cluster(3, 3, Mode::Proxy).await;
    let server = support::TestServer {
        addr: ([127, 0, 0, 1], nodes[0].port).into(),
        stop: None,
        task: tokio::spawn(async { Ok(()) }),
    };
    // The `redis` crate's plain (non-cluster) connection, to node 0 only.
    let mut c = server.client().await;
    for key in [ON_0, ON_1, ON_2, "foo"] {
        let () = redis::cmd("SET")
            .arg(key)
            .arg(format!("v-{key}"))
            .query_async(&mut c)
            .await
            .expect("SET through node 0");
    }
    // Each key really lives on its owner: ask the owners directly.
    for (node, key) in [(0, ON_0), (1, ON_1), (2, ON_2), (2, "foo")] {
        let mut s = connect(nodes[node].port).await;
        assert_eq!(
            call(&mut s, "DBSIZE").await,
            Frame::Integer(if node == 2 { 2 } else { 1 })
        );
        assert_eq!(
            call(&mut s, &format!("GET {key}")).await,
            bulk(&format!("v-{key}"))
        );
    }
    // Scatter-gather, values back in the keys' order.
    let values: Vec<Option<String>> = redis::cmd("MGET")
        .arg(&[ON_2, "missing", ON_0, ON_1, ON_2])
        .query_async(&mut c)
        .await
        .expect("MGET");
    assert_eq!(
        values,
        vec![
            Some("v-a".into()),
            None,
            Some("v-b".into()),
            Some("v-c".into()),
            Some("v-a".into())
        ]
    );
    let exists: i64 = redis::cmd("EXISTS")
        .arg(&[ON_0, ON_1, ON_2, "missing", ON_0])
        .query_async(&mut c)
        .await
        .expect("EXISTS");
    assert_eq!(exists, 4);
    // Read back through another node.
    let mut s = connect(nodes[1].port).await;
    assert_eq!(call(&mut s, &format!("GET {ON_2}")).await, bulk("v-a"));
    assert_eq!(call(&mut s, "INCR counter").await, Frame::Integer(1));
    // Cross-node writes: all-or-nothing transactions.
    assert_eq!(
        call(&mut s, &format!("MSET {ON_0} 1 {ON_1} 2 {ON_2} 3")).await,
        simple("OK")
    );
    assert_eq!(
        call(&mut s, &format!("MGET {ON_0} {ON_1} {ON_2}")).await,
        Frame::Array(vec![bulk("1"), bulk("2"), bulk("3")])
    );
    assert_eq!(
        call(&mut s, &format!("MSETNX {ON_0} x new-key y")).await,
        Frame::Integer(0)
    );
    assert_eq!(
        call(&mut s, "EXISTS new-key").await,
        Frame::Integer(0),
        "MSETNX set nothing"
    );
    assert_eq!(
        call(&mut s, &format!("MSETNX fresh1 x {ON_2}-fresh y")).await,
        Frame::Integer(1)
    );
    assert_eq!(
        call(&mut s, &format!("DEL {ON_0} {ON_1} {ON_2} missing")).await,
        Frame::Integer(3)
    );
    assert_eq!(
        call(&mut s, &format!("EXISTS {ON_0} {ON_1} {ON_2}")).await,
        Frame::Integer(0)
    );
    // RENAME moves a value, its type and TTL to another node; RENAMENX respects the target.
    assert_eq!(
        call(&mut s, &format!("HSET {ON_0} f1 v1 f2 v2")).await,
        Frame::Integer(2)
    );
    assert_eq!(
        call(&mut s, &format!("EXPIRE {ON_0} 1000")).await,
        Frame::Integer(1)
    );
    assert_eq!(
        call(&mut s, &format!("RENAME {ON_0} {ON_2}")).await,
        simple("OK")
    );
    assert_eq!(
        call(&mut s, &format!("EXISTS {ON_0}")).await,
        Frame::Integer(0)
    );
    assert_eq!(
        call(&mut s, &format!("HGETALL {ON_2}")).await,
        Frame::Array(vec![bulk("f1"), bulk("v1"), bulk("f2"), bulk("v2")])
    );
    let Frame::Integer(ttl) = call(&mut s, &format!("TTL {ON_2}")).await else {
        panic!("TTL is an integer");
    };
    assert!(
        (990..=1000).contains(&ttl),
        "the TTL moved with the key: {ttl}"
    );
    assert_eq!(
        call(&mut s, &format!("ZADD {ON_1} 1.5 m 2 n")).await,
        Frame::Integer(2)
    );
    assert_eq!(
        call(&mut s, &format!("RENAMENX {ON_1} {ON_2}")).await,
        Frame::Integer(0)
    );
    assert_eq!(
        call(&mut s, &format!("RENAMENX {ON_1} {ON_0}")).await,
        Frame::Integer(1)
    );
    assert_eq!(
        call(&mut s, &format!("ZRANGE {ON_0} 0 -1 WITHSCORES")).await,
        Frame::Array(vec![bulk("m"), bulk("1.5"), bulk("n"), bulk("2")])
    );
    assert_eq!(
        error_text(&call(&mut s, &format!("RENAME missing {ON_1}")).await),
        "ERR no such key"
    );
    // FLUSHALL reaches every node.
    assert_eq!(call(&mut s, "FLUSHALL").await, simple("OK"));
    for node in &nodes {
        let mut s = connect(node.port).await;
        assert_eq!(
            call(&mut s, "DBSIZE").await,
            Frame::Integer(0),
            "node {}",
            node.port
        );
    }
}

#[tokio::test]
async fn go_bug_multi_key_command_over_nodes_is_refused_not_answered_wrong() {
    // godis routes SUNIONSTORE, SINTER, RPOPLPUSH ... by their first key only, so keys on
    // other nodes are silently missing from the answer (book appendix: Go bugs).
    let (nodes, _) = start_cluster(3, 3, Mode::Proxy).await;
    let mut s = connect(nodes[0].port).await;
    assert_eq!(
        call(&mut s, &format!("SADD {ON_0} x")).await,
        Frame::Integer(1)
    );
    assert_eq!(
        call(&mut s, &format!("SADD {ON_2} y")).await,
        Frame::Integer(1)
    );
    let reply = call(&mut s, &format!("SUNION {ON_0} {ON_2}")).await;
    assert!(error_text(&reply).starts_with("CROSSSLOT"), "{reply:?}");
    // Keys on one other node are simply relayed there.
    assert_eq!(
        call(&mut s, &format!("SADD {ON_1} z")).await,
        Frame::Integer(1)
    );
    assert_eq!(
        call(&mut s, &format!("SUNION {ON_1} {{{ON_1}}}.other")).await,
        Frame::Array(vec![bulk("z")])
    );
}

#[tokio::test]
async fn transaction_is_all_or_nothing_when_a_participant_refuses() {
    let (nodes, _) = start_cluster(3, 3, Mode::Proxy).await;
    let mut s0 = connect(nodes[0].port).await;
    let mut s1 = connect(nodes[1].port).await;
    assert_eq!(
        call(&mut s0, &format!("SET {ON_0} old")).await,
        simple("OK")
    );
    // Another transaction holds node 1's key.
    assert_eq!(
        call(
            &mut s1,
            &format!("_tcc_prepare other-tx mset {ON_1} theirs")
        )
        .await,
        simple("OK")
    );
    let reply = call(&mut s0, &format!("MSET {ON_0} new {ON_1} new {ON_2} new")).await;
    assert!(
        error_text(&reply).starts_with("TRYAGAIN key 'c' is locked"),
        "{reply:?}"
    );
    assert_eq!(
        call(&mut s0, &format!("GET {ON_0}")).await,
        bulk("old"),
        "node 0 unchanged"
    );
    let mut s2 = connect(nodes[2].port).await;
    assert_eq!(
        call(&mut s2, &format!("GET {ON_2}")).await,
        Frame::Null,
        "node 2 unchanged"
    );
    // Node 0's and node 2's locks were released: plain writes go through at once.
    assert_eq!(
        call(&mut s2, &format!("SET {ON_2} plain")).await,
        simple("OK")
    );
    // Once the other transaction is cancelled, the same MSET succeeds everywhere.
    assert_eq!(call(&mut s1, "_tcc_rollback other-tx").await, simple("OK"));
    assert_eq!(
        call(&mut s0, &format!("MSET {ON_0} new {ON_1} new {ON_2} new")).await,
        simple("OK")
    );
    assert_eq!(
        call(&mut s1, &format!("MGET {ON_0} {ON_1} {ON_2}")).await,
        Frame::Array(vec![bulk("new"), bulk("new"), bulk("new")])
    );
}

#[tokio::test]
async fn a_plain_write_waits_for_the_transaction_holding_its_key() {
    let (nodes, _) = start_cluster(3, 3, Mode::Proxy).await;
    let mut s0 = connect(nodes[0].port).await;
    assert_eq!(
        call(&mut s0, &format!("_tcc_prepare tx-1 mset {ON_0} from-tx")).await,
        simple("OK")
    );
    assert_eq!(call(&mut s0, "_tcc_commit tx-1").await, simple("OK"));
    let port = nodes[0].port;
    let writer = tokio::spawn(async move {
        let mut s = connect(port).await;
        call(&mut s, &format!("SET {ON_0} plain")).await
    });
    // Cancelling restores the key as it was (absent); the plain SET lands after that.
    assert_eq!(call(&mut s0, "_tcc_rollback tx-1").await, simple("OK"));
    assert_eq!(writer.await.expect("join"), simple("OK"));
    assert_eq!(call(&mut s0, &format!("GET {ON_0}")).await, bulk("plain"));
    // Internal commands check their input.
    assert!(error_text(&call(&mut s0, "_tcc_prepare tx-2 get x").await).contains("cannot run"));
    assert!(error_text(&call(&mut s0, "_tcc_commit no-such-tx").await).starts_with("ERR unknown"));
}

/// Plays a participant that prepares, then dies when asked to commit.
async fn dying_participant(listener: TcpListener) {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            return;
        };
        tokio::spawn(async move {
            let mut buf = Vec::new();
            loop {
                let mut chunk = [0u8; 1024];
                match stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
                while let Ok(Some((frame, used))) = Frame::parse(&buf) {
                    buf.drain(..used);
                    let Frame::Array(args) = frame else { return };
                    let name = match args.first() {
                        Some(Frame::Bulk(name)) => name.clone(),
                        _ => Bytes::new(),
                    };
                    if name.as_ref() == b"_tcc_commit" {
                        return; // dies: the connection closes without an answer
                    }
                    if stream.write_all(b"+OK\r\n").await.is_err() {
                        return;
                    }
                }
            }
        });
    }
}

#[tokio::test]
async fn transaction_rolls_back_everywhere_when_a_participant_dies_mid_transaction() {
    let (nodes, mut fakes) = start_cluster(3, 2, Mode::Proxy).await;
    tokio::spawn(dying_participant(fakes.remove(0)));
    let mut s0 = connect(nodes[0].port).await;
    let mut s1 = connect(nodes[1].port).await;
    assert_eq!(
        call(&mut s0, &format!("SET {ON_0} old-0")).await,
        simple("OK")
    );
    // Node 2 (the dying one) last: nodes 0 and 1 have committed when it dies, so their
    // commits are undone. Then node 2 first: nodes 0 and 1 are only prepared.
    for request in [
        format!("MSET {ON_0} new {ON_1} new {ON_2} new"),
        format!("MSET {ON_2} new {ON_0} new {ON_1} new"),
        format!("DEL {ON_0} {ON_1} {ON_2}"),
        format!("RENAME {ON_0} {ON_2}"),
    ] {
        let reply = call(&mut s0, &request).await;
        assert!(
            error_text(&reply).starts_with("ERR cross-node transaction rolled back"),
            "{request}: {reply:?}"
        );
        assert_eq!(
            call(&mut s0, &format!("GET {ON_0}")).await,
            bulk("old-0"),
            "{request}"
        );
        assert_eq!(
            call(&mut s1, &format!("EXISTS {ON_1}")).await,
            Frame::Integer(0),
            "{request}"
        );
    }
    // Nothing stays locked: a plain write on node 1 goes through.
    assert_eq!(
        call(&mut s1, &format!("SET {ON_1} after")).await,
        simple("OK")
    );
}

#[tokio::test]
async fn a_dead_node_gives_clusterdown_and_changes_nothing() {
    let (mut nodes, _) = start_cluster(3, 3, Mode::Proxy).await;
    nodes.pop().expect("three nodes").kill().await;
    let mut s0 = connect(nodes[0].port).await;
    assert_eq!(
        call(&mut s0, &format!("SET {ON_0} old")).await,
        simple("OK")
    );
    let reply = call(&mut s0, &format!("GET {ON_2}")).await;
    assert!(
        error_text(&reply).starts_with("CLUSTERDOWN The cluster is down"),
        "{reply:?}"
    );
    let reply = call(&mut s0, &format!("MSET {ON_0} new {ON_1} new {ON_2} new")).await;
    assert!(error_text(&reply).starts_with("CLUSTERDOWN"), "{reply:?}");
    assert_eq!(call(&mut s0, &format!("GET {ON_0}")).await, bulk("old"));
    assert_eq!(
        call(&mut s0, &format!("EXISTS {ON_1}")).await,
        Frame::Integer(0)
    );
    assert_eq!(
        call(&mut s0, &format!("SET {ON_1} after")).await,
        simple("OK"),
        "unlocked"
    );
    assert!(error_text(&call(&mut s0, "FLUSHALL").await).starts_with("CLUSTERDOWN"));
}

#[tokio::test]
async fn a_bad_topology_is_refused_at_start() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let mut config = go_redis::Config::default();
    config
        .apply_text(&format!(
            "cluster-enabled yes\ncluster-myid {}\ncluster-node {} 127.0.0.1:7001 0-100\n",
            cluster::local_node_id(0),
            cluster::local_node_id(0)
        ))
        .expect("well-formed lines");
    let result = go_redis::serve_database(listener, config, async {}).await;
    let err = result.expect_err("slots 101-16383 have no owner");
    assert!(
        err.to_string().contains("slot 101 is not assigned"),
        "{err}"
    );
    let mut config = go_redis::Config::default();
    assert!(
        config
            .apply_text("cluster-node nope 127.0.0.1:7001 0-1\n")
            .is_err()
    );
}

#[tokio::test]
async fn a_peer_that_answers_garbage_gives_an_error_not_a_crash() {
    let (nodes, mut fakes) = start_cluster(3, 2, Mode::Proxy).await;
    let fake = fakes.remove(0);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = fake.accept().await {
            tokio::spawn(async move {
                let mut request = [0u8; 512];
                let _ = stream.read(&mut request).await;
                let _ = stream.write_all(b"?not RESP\r\n").await;
            });
        }
    });
    let mut s0 = connect(nodes[0].port).await;
    let reply = call(&mut s0, &format!("GET {ON_2}")).await;
    let text = error_text(&reply);
    assert!(
        text.starts_with("CLUSTERDOWN") && text.contains("invalid reply"),
        "{text}"
    );
    assert_eq!(call(&mut s0, "PING").await, simple("PONG"), "still serving");
}

// ---- day 6's PUBLISH in a cluster ----

/// PUBLISH reaches the subscribers of every node, in redirect mode (as Redis Cluster's bus
/// does) and in proxy mode, and answers the receivers counted over all nodes.
#[tokio::test]
async fn publish_reaches_subscribers_on_every_node() {
    for mode in [Mode::Redirect, Mode::Proxy] {
        let (nodes, _) = start_cluster(3, 3, mode).await;
        let mut on_1 = connect(nodes[1].port).await;
        let mut on_2 = connect(nodes[2].port).await;
        for subscriber in [&mut on_1, &mut on_2] {
            let confirmed = exchange(subscriber, b"SUBSCRIBE news\r\n", 1).await;
            assert_eq!(confirmed.len(), 1, "{mode:?}: a subscription confirmation");
        }
        let mut publisher = connect(nodes[0].port).await;
        assert_eq!(
            call(&mut publisher, "PUBLISH news hello").await,
            Frame::Integer(2),
            "{mode:?}: two receivers, both on other nodes"
        );
        for subscriber in [&mut on_1, &mut on_2] {
            let message = support::read_frames(subscriber, 1).await;
            let Some(Frame::Array(parts)) = message.first() else {
                panic!("{mode:?}: expected a message, got {message:?}");
            };
            let parts: Vec<String> = parts.iter().map(text).collect();
            assert_eq!(parts, ["message", "news", "hello"], "{mode:?}");
        }
        for node in nodes {
            node.kill().await;
        }
    }
}

/// CLUSTER HELP answers Redis 7.0.15's help lines for the subcommands this server has;
/// an unknown subcommand and a wrong argument count are answered first, then (outside
/// cluster mode) "cluster support disabled", in Redis's order; COMMAND LIST and COMMAND
/// INFO list exactly the subcommands CLUSTER answers.
#[tokio::test]
async fn cluster_help_and_subcommand_checks_in_redis_order() {
    let (nodes, _) = start_cluster(1, 1, Mode::Redirect).await;
    let mut s = connect(nodes[0].port).await;
    let Frame::Array(help) = call(&mut s, "cluster help").await else {
        panic!("CLUSTER HELP is an array");
    };
    let lines: Vec<String> = help
        .iter()
        .map(|f| match f {
            Frame::Simple(line) => line.clone(),
            other => panic!("a status line, got {other:?}"),
        })
        .collect();
    assert_eq!(
        lines[0],
        "CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    );
    assert_eq!(&lines[lines.len() - 2..], ["HELP", "    Prints this help."]);
    for line in [
        "KEYSLOT <key>",
        "    Return the hash slot for <key>.",
        "SHARDS",
    ] {
        assert!(lines.iter().any(|l| l == line), "{line} missing: {lines:?}");
    }
    assert!(
        !lines.iter().any(|l| l.starts_with("ADDSLOTS")),
        "not implemented"
    );
    assert_eq!(
        error_text(&call(&mut s, "CLUSTER nope").await),
        "ERR unknown subcommand 'nope'. Try CLUSTER HELP."
    );
    assert_eq!(
        error_text(&call(&mut s, "CLUSTER KEYSLOT").await),
        "ERR wrong number of arguments for 'cluster|keyslot' command"
    );

    // Outside cluster mode: the same subcommand checks first, then Redis's refusal.
    let plain = support::start().await;
    let mut p = TcpStream::connect(plain.addr).await.expect("connect");
    for (request, error) in [
        (
            "CLUSTER HELP",
            "ERR This instance has cluster support disabled",
        ),
        (
            "CLUSTER MYID",
            "ERR This instance has cluster support disabled",
        ),
        (
            "CLUSTER HELP more",
            "ERR wrong number of arguments for 'cluster|help' command",
        ),
        (
            "CLUSTER nope",
            "ERR unknown subcommand 'nope'. Try CLUSTER HELP.",
        ),
    ] {
        assert_eq!(error_text(&call(&mut p, request).await), error, "{request}");
    }
    assert_eq!(
        call(&mut p, "COMMAND LIST FILTERBY PATTERN cl*help").await,
        Frame::Array(vec![bulk("client|help"), bulk("cluster|help")])
    );
    let Frame::Array(info) = call(&mut p, "COMMAND INFO cluster").await else {
        panic!("COMMAND INFO is an array");
    };
    let Some(Frame::Array(entry)) = info.first() else {
        panic!("an entry for cluster: {info:?}");
    };
    let Some(Frame::Array(subs)) = entry.get(9) else {
        panic!("the subcommands field: {entry:?}");
    };
    let names: Vec<String> = subs
        .iter()
        .map(|sub| match sub {
            Frame::Array(fields) => text(&fields[0]),
            other => panic!("a subcommand entry, got {other:?}"),
        })
        .collect();
    assert_eq!(names.len(), cluster::commands::SUBCOMMANDS.len());
    assert!(names.contains(&"cluster|help".to_owned()), "{names:?}");
    assert!(
        names.contains(&"cluster|getkeysinslot".to_owned()),
        "{names:?}"
    );
    for node in nodes {
        node.kill().await;
    }
}
