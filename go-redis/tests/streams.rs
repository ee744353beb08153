//! Day 4 acceptance tests for streams: XADD and its IDs, ranges, trimming, XREAD (and
//! BLOCK served by an XADD), consumer groups, and persistence (DEBUG RELOAD through our
//! RDB encoding, the AOF log and its rewrite, and DUMP/RESTORE with a real Redis 7.0).

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use go_redis::Config;
use redis::Value;
use redis::aio::MultiplexedConnection;
use support::{TestServer, real_redis_server, spawn_real_redis, start_with};

/// Runs a command; the reply, or the error's text as `Err`.
async fn call(con: &mut MultiplexedConnection, args: &[&str]) -> Result<Value, String> {
    let mut c = redis::cmd(args[0]);
    for arg in &args[1..] {
        c.arg(*arg);
    }
    c.query_async(con).await.map_err(|e| {
        let code = e.code().unwrap_or("");
        let detail = e.detail().unwrap_or("");
        format!("{code} {detail}").trim().to_owned()
    })
}

/// Runs a command that must succeed.
async fn ok(con: &mut MultiplexedConnection, args: &[&str]) -> Value {
    call(con, args)
        .await
        .unwrap_or_else(|e| panic!("{args:?} failed: {e}"))
}

/// Runs a command that must fail; its error text.
async fn err(con: &mut MultiplexedConnection, args: &[&str]) -> String {
    match call(con, args).await {
        Err(e) => e,
        Ok(v) => panic!("{args:?} answered {v:?}, expected an error"),
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        Value::SimpleString(s) => s.clone(),
        Value::Int(n) => n.to_string(),
        Value::Nil => "nil".into(),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(text).collect();
            format!("[{}]", inner.join(" "))
        }
        other => format!("{other:?}"),
    }
}

async fn t(con: &mut MultiplexedConnection, args: &[&str]) -> String {
    text(&ok(con, args).await)
}

/// A server of its own, in a directory of its own (DEBUG RELOAD writes `dump.rdb` there,
/// and a server loads any `dump.rdb` it finds at start: no test may see another's).
async fn fresh() -> (TestServer, TempDir) {
    let dir = TempDir::new("server");
    let mut config = Config::default();
    config
        .set("dir", &dir.0.display().to_string())
        .expect("dir");
    (start_with(config).await, dir)
}

#[tokio::test]
async fn xadd_picks_growing_ids_and_refuses_smaller_ones() {
    let (server, _dir) = fresh().await;
    let mut c = server.client().await;
    assert_eq!(t(&mut c, &["XADD", "s", "5-1", "f", "v"]).await, "5-1");
    assert_eq!(t(&mut c, &["XADD", "s", "5-*", "f", "v"]).await, "5-2");
    assert_eq!(t(&mut c, &["XADD", "s", "7", "f", "v"]).await, "7-0");
    let auto = t(&mut c, &["XADD", "s", "*", "f", "v"]).await;
    assert!(auto.ends_with("-0") && auto != "7-0", "{auto}");
    assert_eq!(
        err(&mut c, &["XADD", "s", "5-3", "f", "v"]).await,
        "ERR The ID specified in XADD is equal or smaller than the target stream top item"
    );
    assert_eq!(
        err(&mut c, &["XADD", "s", "0-0", "f", "v"]).await,
        "ERR The ID specified in XADD must be greater than 0-0"
    );
    assert_eq!(
        err(&mut c, &["XADD", "s", "1-x", "f", "v"]).await,
        "ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(
        err(&mut c, &["XADD", "s", "*", "f"]).await,
        "ERR wrong number of arguments for 'xadd' command"
    );
    // The largest ID is the last: nothing can follow it, and nothing overflows.
    ok(
        &mut c,
        &[
            "XADD",
            "top",
            "18446744073709551615-18446744073709551615",
            "f",
            "v",
        ],
    )
    .await;
    assert_eq!(
        err(&mut c, &["XADD", "top", "*", "f", "v"]).await,
        "ERR The stream has exhausted the last possible ID, unable to add more items"
    );
    assert_eq!(
        t(&mut c, &["XADD", "none", "NOMKSTREAM", "*", "f", "v"]).await,
        "nil"
    );
    assert_eq!(t(&mut c, &["EXISTS", "none"]).await, "0");
    ok(&mut c, &["SET", "str", "x"]).await;
    assert!(
        err(&mut c, &["XADD", "str", "*", "f", "v"])
            .await
            .starts_with("WRONGTYPE")
    );
    assert_eq!(t(&mut c, &["TYPE", "s"]).await, "stream");
    assert_eq!(t(&mut c, &["OBJECT", "ENCODING", "s"]).await, "stream");
}

#[tokio::test]
async fn ranges_are_inclusive_exclusive_and_counted() {
    let (server, _dir) = fresh().await;
    let mut c = server.client().await;
    for id in ["1-1", "1-2", "2-0", "3-5"] {
        ok(&mut c, &["XADD", "s", id, "n", id]).await;
    }
    let ids = |v: &Value| -> Vec<String> {
        match v {
            Value::Array(entries) => entries
                .iter()
                .map(|e| match e {
                    Value::Array(pair) => text(&pair[0]),
                    other => text(other),
                })
                .collect(),
            _ => vec![],
        }
    };
    assert_eq!(
        ids(&ok(&mut c, &["XRANGE", "s", "-", "+"]).await),
        ["1-1", "1-2", "2-0", "3-5"]
    );
    assert_eq!(
        ids(&ok(&mut c, &["XRANGE", "s", "1", "2"]).await),
        ["1-1", "1-2", "2-0"]
    );
    assert_eq!(
        ids(&ok(&mut c, &["XRANGE", "s", "(1-1", "(3-5"]).await),
        ["1-2", "2-0"]
    );
    assert_eq!(
        ids(&ok(&mut c, &["XREVRANGE", "s", "+", "-", "COUNT", "2"]).await),
        ["3-5", "2-0"]
    );
    assert_eq!(
        t(&mut c, &["XRANGE", "s", "-", "+", "COUNT", "0"]).await,
        "nil"
    );
    assert_eq!(t(&mut c, &["XRANGE", "missing", "-", "+"]).await, "[]");
    assert_eq!(
        t(&mut c, &["XRANGE", "s", "-", "+"])
            .await
            .split(' ')
            .take(3)
            .collect::<Vec<_>>(),
        ["[[1-1", "[n", "1-1]]"]
    );
    assert_eq!(
        err(&mut c, &["XRANGE", "s", "(-", "+"]).await,
        "ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(
        err(
            &mut c,
            &[
                "XRANGE",
                "s",
                "(18446744073709551615-18446744073709551615",
                "+"
            ]
        )
        .await,
        "ERR invalid start ID for the interval"
    );
    assert_eq!(
        err(&mut c, &["XRANGE", "s", "-", "(0-0"]).await,
        "ERR invalid end ID for the interval"
    );
    assert_eq!(
        err(&mut c, &["XRANGE", "s", "-", "+", "LIMIT"]).await,
        "ERR syntax error"
    );
}

#[tokio::test]
async fn trimming_exact_approximate_and_by_id() {
    let (server, _dir) = fresh().await;
    let mut c = server.client().await;
    for i in 0..1000 {
        ok(
            &mut c,
            &["XADD", "s", "MAXLEN", "~", "555", "*", "i", &i.to_string()],
        )
        .await;
    }
    // `~` removes whole nodes of 100 entries only: 600 remain, not 555.
    assert_eq!(t(&mut c, &["XLEN", "s"]).await, "600");
    assert_eq!(t(&mut c, &["XTRIM", "s", "MAXLEN", "555"]).await, "45");
    assert_eq!(t(&mut c, &["XLEN", "s"]).await, "555");
    for id in ["1-1", "2-1", "3-1"] {
        ok(&mut c, &["XADD", "m", id, "f", "v"]).await;
    }
    assert_eq!(t(&mut c, &["XTRIM", "m", "MINID", "2"]).await, "1");
    assert_eq!(t(&mut c, &["XLEN", "m"]).await, "2");
    assert_eq!(
        err(&mut c, &["XTRIM", "m", "MAXLEN", "1", "LIMIT", "10"]).await,
        "ERR syntax error, LIMIT cannot be used without the special ~ option"
    );
    assert_eq!(
        err(&mut c, &["XTRIM", "m", "MAXLEN", "-1"]).await,
        "ERR The MAXLEN argument must be >= 0."
    );
    assert_eq!(
        err(&mut c, &["XTRIM", "m", "MAXLEN", "1", "MINID", "1"]).await,
        "ERR syntax error, MAXLEN and MINID options at the same time are not compatible"
    );
    assert_eq!(
        err(&mut c, &["XTRIM", "m"]).await,
        "ERR wrong number of arguments for 'xtrim' command"
    );
    // A stream trimmed to nothing still exists (unlike an empty list).
    ok(&mut c, &["XTRIM", "m", "MAXLEN", "0"]).await;
    assert_eq!(t(&mut c, &["EXISTS", "m"]).await, "1");
}

#[tokio::test]
async fn xdel_and_xsetid_keep_the_counters() {
    let (server, _dir) = fresh().await;
    let mut c = server.client().await;
    for id in ["1-0", "2-0", "3-0"] {
        ok(&mut c, &["XADD", "s", id, "f", "v"]).await;
    }
    assert_eq!(t(&mut c, &["XDEL", "s", "2-0", "9-0"]).await, "1");
    assert_eq!(
        err(&mut c, &["XDEL", "s", "1-0", "bad"]).await,
        "ERR Invalid stream ID specified as stream command argument"
    );
    assert_eq!(
        t(&mut c, &["XLEN", "s"]).await,
        "2",
        "a bad ID deletes nothing"
    );
    assert_eq!(
        err(&mut c, &["XSETID", "s", "2-0"]).await,
        "ERR The ID specified in XSETID is smaller than the target stream top item"
    );
    assert_eq!(
        err(&mut c, &["XSETID", "s", "5-0", "ENTRIESADDED", "1"]).await,
        "ERR The entries_added specified in XSETID is smaller than the target stream length"
    );
    assert_eq!(
        err(&mut c, &["XSETID", "s", "5-0", "MAXDELETEDID", "6-0"]).await,
        "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id"
    );
    assert_eq!(
        err(&mut c, &["XSETID", "nokey", "5-0"]).await,
        "ERR no such key"
    );
    ok(
        &mut c,
        &[
            "XSETID",
            "s",
            "5-0",
            "ENTRIESADDED",
            "10",
            "MAXDELETEDID",
            "4-0",
        ],
    )
    .await;
    let info = t(&mut c, &["XINFO", "STREAM", "s"]).await;
    for part in [
        "length 2",
        "last-generated-id 5-0",
        "max-deleted-entry-id 4-0",
        "entries-added 10",
        "recorded-first-entry-id 1-0",
    ] {
        assert!(info.contains(part), "{part} missing in {info}");
    }
    assert_eq!(
        err(&mut c, &["XADD", "s", "4-0", "f", "v"]).await,
        "ERR The ID specified in XADD is equal or smaller than the target stream top item"
    );
}

/// Waits until the server reports `n` blocked clients.
async fn wait_blocked(con: &mut MultiplexedConnection, n: usize) {
    let want = format!("blocked_clients:{n}");
    loop {
        if t(con, &["INFO", "clients"]).await.contains(&want) {
            return;
        }
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn xread_reads_after_ids_and_block_is_served_by_xadd() {
    let (server, _dir) = fresh().await;
    let mut c = server.client().await;
    ok(&mut c, &["XADD", "a", "1-0", "f", "1"]).await;
    ok(&mut c, &["XADD", "a", "2-0", "f", "2"]).await;
    assert_eq!(
        t(
            &mut c,
            &["XREAD", "COUNT", "1", "STREAMS", "a", "b", "0", "0"]
        )
        .await,
        "[[a [[1-0 [f 1]]]]]"
    );
    assert_eq!(t(&mut c, &["XREAD", "STREAMS", "a", "$"]).await, "nil");
    assert_eq!(
        err(&mut c, &["XREAD", "STREAMS", "a", "b", "0"]).await,
        "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."
    );
    assert_eq!(
        err(&mut c, &["XREAD", "STREAMS", "a", ">"]).await,
        "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."
    );
    // BLOCK with `$`: only what arrives after the block begins.
    let mut reader = server.client().await;
    let blocked =
        tokio::spawn(
            async move { t(&mut reader, &["XREAD", "BLOCK", "0", "STREAMS", "a", "$"]).await },
        );
    wait_blocked(&mut c, 1).await;
    ok(&mut c, &["XADD", "a", "3-0", "f", "3"]).await;
    let got = tokio::time::timeout(Duration::from_secs(10), blocked)
        .await
        .expect("the blocked XREAD is served")
        .expect("the reader task");
    assert_eq!(got, "[[a [[3-0 [f 3]]]]]");
    // A timeout answers a null.
    assert_eq!(
        t(&mut c, &["XREAD", "BLOCK", "10", "STREAMS", "a", "$"]).await,
        "nil"
    );
}

#[tokio::test]
async fn consumer_groups_deliver_track_and_claim() {
    let (server, _dir) = fresh().await;
    let mut c = server.client().await;
    for id in ["1-0", "2-0", "3-0"] {
        ok(&mut c, &["XADD", "s", id, "f", id]).await;
    }
    assert_eq!(
        err(&mut c, &["XGROUP", "CREATE", "nokey", "g", "$"]).await,
        "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically."
    );
    ok(&mut c, &["XGROUP", "CREATE", "s", "g", "0"]).await;
    assert_eq!(
        err(&mut c, &["XGROUP", "CREATE", "s", "g", "0"]).await,
        "BUSYGROUP Consumer Group name already exists"
    );
    ok(&mut c, &["XGROUP", "CREATE", "empty", "g", "$", "MKSTREAM"]).await;
    assert_eq!(t(&mut c, &["XLEN", "empty"]).await, "0");
    assert_eq!(
        t(
            &mut c,
            &[
                "XREADGROUP",
                "GROUP",
                "g",
                "alice",
                "COUNT",
                "2",
                "STREAMS",
                "s",
                ">"
            ]
        )
        .await,
        "[[s [[1-0 [f 1-0]] [2-0 [f 2-0]]]]]"
    );
    assert_eq!(
        t(
            &mut c,
            &["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"]
        )
        .await,
        "[[s [[3-0 [f 3-0]]]]]"
    );
    assert_eq!(
        t(
            &mut c,
            &["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"]
        )
        .await,
        "nil"
    );
    // History: alice's own pending entries.
    assert_eq!(
        t(
            &mut c,
            &["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"]
        )
        .await,
        "[[s [[1-0 [f 1-0]] [2-0 [f 2-0]]]]]"
    );
    assert_eq!(
        t(&mut c, &["XPENDING", "s", "g"]).await,
        "[3 1-0 3-0 [[alice 2] [bob 1]]]"
    );
    assert_eq!(
        t(&mut c, &["XACK", "s", "g", "1-0", "1-0", "9-0"]).await,
        "1"
    );
    let pending = t(&mut c, &["XPENDING", "s", "g", "-", "+", "10", "alice"]).await;
    assert!(pending.starts_with("[[2-0 alice "), "{pending}");
    assert!(pending.ends_with(" 2]]"), "delivered twice: {pending}");
    // bob takes alice's entry; then XAUTOCLAIM gives everything to carol.
    assert_eq!(
        t(&mut c, &["XCLAIM", "s", "g", "bob", "0", "2-0", "JUSTID"]).await,
        "[2-0]"
    );
    assert_eq!(
        t(
            &mut c,
            &["XAUTOCLAIM", "s", "g", "carol", "0", "0", "COUNT", "1"]
        )
        .await,
        "[3-0 [[2-0 [f 2-0]]] []]"
    );
    ok(&mut c, &["XDEL", "s", "3-0"]).await;
    assert_eq!(
        t(&mut c, &["XAUTOCLAIM", "s", "g", "carol", "0", "3-0"]).await,
        "[0-0 [] [3-0]]",
        "a deleted entry leaves the PEL"
    );
    assert_eq!(
        t(&mut c, &["XGROUP", "DELCONSUMER", "s", "g", "carol"]).await,
        "1"
    );
    let groups = t(&mut c, &["XINFO", "GROUPS", "s"]).await;
    assert!(
        groups.contains("name g consumers 2 pending 0 last-delivered-id 3-0"),
        "{groups}"
    );
    assert_eq!(
        err(
            &mut c,
            &["XREADGROUP", "GROUP", "nope", "x", "STREAMS", "s", ">"]
        )
        .await,
        "NOGROUP No such key 's' or consumer group 'nope' in XREADGROUP with GROUP option"
    );
    assert_eq!(
        err(&mut c, &["XPENDING", "s", "nope"]).await,
        "NOGROUP No such key 's' or consumer group 'nope'"
    );
    assert_eq!(t(&mut c, &["XGROUP", "DESTROY", "s", "g"]).await, "1");
    assert_eq!(t(&mut c, &["XGROUP", "DESTROY", "s", "g"]).await, "0");
}

/// A fresh server with group `g` on an empty stream `s`, a client and, in a task, another
/// client blocked in `XREADGROUP GROUP g w BLOCK 0 STREAMS s >` (its reply, when it comes).
async fn blocked_in_xreadgroup() -> (
    TestServer,
    TempDir,
    MultiplexedConnection,
    tokio::task::JoinHandle<Result<Value, String>>,
) {
    let (server, dir) = fresh().await;
    let mut c = server.client().await;
    ok(&mut c, &["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]).await;
    let mut reader = server.client().await;
    let request = [
        "XREADGROUP",
        "GROUP",
        "g",
        "w",
        "BLOCK",
        "0",
        "STREAMS",
        "s",
        ">",
    ];
    let blocked = tokio::spawn(async move { call(&mut reader, &request).await });
    wait_blocked(&mut c, 1).await;
    (server, dir, c, blocked)
}

#[tokio::test]
async fn a_blocked_xreadgroup_gets_the_next_entry() {
    let (_server, _dir, mut c, blocked) = blocked_in_xreadgroup().await;
    ok(&mut c, &["XADD", "s", "1-0", "job", "1"]).await;
    let got = tokio::time::timeout(Duration::from_secs(10), blocked)
        .await
        .expect("served")
        .expect("task");
    let got = text(&got.unwrap_or_else(|e| panic!("XREADGROUP failed: {e}")));
    assert_eq!(got, "[[s [[1-0 [job 1]]]]]");
    assert_eq!(
        t(&mut c, &["XPENDING", "s", "g"]).await,
        "[1 1-0 1-0 [[w 1]]]"
    );
}

/// Builds a stream with every feature: entries with differing fields, a deleted one,
/// two groups, pending entries, an idle consumer.
async fn populate(c: &mut MultiplexedConnection) {
    ok(c, &["XADD", "s", "1-1", "a", "1", "b", "2"]).await;
    ok(c, &["XADD", "s", "1-2", "a", "3", "b", "4"]).await;
    ok(c, &["XADD", "s", "2-0", "other", "x"]).await;
    ok(c, &["XADD", "s", "3-0", "a", "-12345678901"]).await;
    for i in 0..250 {
        ok(
            c,
            &["XADD", "s", &format!("{}-0", 10 + i), "i", &i.to_string()],
        )
        .await;
    }
    ok(c, &["XDEL", "s", "1-2"]).await;
    ok(c, &["XGROUP", "CREATE", "s", "g1", "0"]).await;
    ok(c, &["XGROUP", "CREATE", "s", "g2", "$"]).await;
    ok(
        c,
        &[
            "XREADGROUP",
            "GROUP",
            "g1",
            "alice",
            "COUNT",
            "3",
            "STREAMS",
            "s",
            ">",
        ],
    )
    .await;
    ok(c, &["XGROUP", "CREATECONSUMER", "s", "g1", "idle"]).await;
    ok(c, &["XADD", "empty", "5-5", "f", "v"]).await;
    ok(c, &["XDEL", "empty", "5-5"]).await;
}

/// What two servers holding the same streams must agree on (no clocks in it).
async fn fingerprint(c: &mut MultiplexedConnection) -> Vec<String> {
    let mut out = Vec::new();
    for key in ["s", "empty"] {
        out.push(t(c, &["XRANGE", key, "-", "+"]).await);
        let info = t(c, &["XINFO", "STREAM", key]).await;
        // Node counts are a memory layout, not data.
        out.push(
            info.split(" radix-tree-keys")
                .next()
                .unwrap_or("")
                .to_owned(),
        );
        out.push(
            info.split(" last-generated-id")
                .nth(1)
                .unwrap_or("")
                .to_owned(),
        );
        out.push(t(c, &["XINFO", "GROUPS", key]).await);
    }
    out.push(t(c, &["XPENDING", "s", "g1"]).await);
    let pending = t(c, &["XPENDING", "s", "g1", "-", "+", "10"]).await;
    // Each row: id consumer idle deliveries; keep all but the idle time.
    out.push(
        pending
            .split("] [")
            .map(|row| {
                let words: Vec<&str> = row.split(' ').collect();
                format!("{} {} {}", words[0], words[1], words[words.len() - 1])
            })
            .collect::<Vec<_>>()
            .join(","),
    );
    let consumers = t(c, &["XINFO", "CONSUMERS", "s", "g1"]).await;
    out.push(consumers.split(" idle").next().unwrap_or("").to_owned());
    out
}

#[tokio::test]
async fn debug_reload_keeps_streams_through_our_rdb_encoding() {
    let (server, _dir) = fresh().await;
    let mut c = server.client().await;
    populate(&mut c).await;
    let before = fingerprint(&mut c).await;
    ok(&mut c, &["DEBUG", "RELOAD"]).await;
    assert_eq!(before, fingerprint(&mut c).await);
}

/// A fresh directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "go-redis-streams-{tag}-{}-{}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn aof_config(dir: &Path) -> Config {
    let mut config = Config::default();
    config.set("dir", &dir.display().to_string()).expect("dir");
    config.set("appendonly", "yes").expect("appendonly");
    config.set("appendfsync", "always").expect("appendfsync");
    config
}

async fn stop(mut server: TestServer) {
    if let Some(stop) = server.stop.take() {
        let _ = stop.send(());
    }
    let _ = (&mut server.task).await;
}

#[tokio::test]
async fn the_aof_and_its_rewrite_rebuild_the_same_streams() {
    let dir = TempDir::new("aof");
    let server = start_with(aof_config(&dir.0)).await;
    let mut c = server.client().await;
    populate(&mut c).await;
    // Auto IDs and `~` trims are logged as what they did.
    ok(&mut c, &["XADD", "auto", "MAXLEN", "~", "1", "*", "f", "v"]).await;
    let before = fingerprint(&mut c).await;
    let auto = t(&mut c, &["XRANGE", "auto", "-", "+"]).await;
    drop(c);
    stop(server).await;

    let again = start_with(aof_config(&dir.0)).await;
    let mut c = again.client().await;
    assert_eq!(before, fingerprint(&mut c).await, "replayed from the log");
    assert_eq!(auto, t(&mut c, &["XRANGE", "auto", "-", "+"]).await);
    ok(&mut c, &["BGREWRITEAOF"]).await;
    loop {
        let info = t(&mut c, &["INFO", "persistence"]).await;
        if info.contains("aof_rewrite_in_progress:0") && info.contains("aof_rewrites:1") {
            break;
        }
        tokio::task::yield_now().await;
    }
    drop(c);
    stop(again).await;

    let third = start_with(aof_config(&dir.0)).await;
    let mut c = third.client().await;
    assert_eq!(
        before,
        fingerprint(&mut c).await,
        "rebuilt from the rewrite"
    );
}

#[tokio::test]
async fn dump_payloads_travel_both_ways_with_a_real_redis() {
    let Some(binary) = real_redis_server() else {
        eprintln!("SKIPPED: no redis-server (install Debian's redis-tools)");
        return;
    };
    let (_child, port) = spawn_real_redis(&binary); // killed on drop, even when an assertion fails
    let theirs_client = redis::Client::open(format!("redis://127.0.0.1:{port}")).expect("URL");
    let mut theirs = theirs_client
        .get_multiplexed_async_connection()
        .await
        .expect("connect to redis-server");
    let (server, _dir) = fresh().await;
    let mut ours = server.client().await;
    populate(&mut ours).await;
    populate(&mut theirs).await;
    let expected = fingerprint(&mut ours).await;
    assert_eq!(
        expected,
        fingerprint(&mut theirs).await,
        "the same data on both"
    );
    for key in ["s", "empty"] {
        let from_us: Vec<u8> = redis::cmd("DUMP")
            .arg(key)
            .query_async(&mut ours)
            .await
            .unwrap();
        let from_them: Vec<u8> = redis::cmd("DUMP")
            .arg(key)
            .query_async(&mut theirs)
            .await
            .unwrap();
        let _: () = redis::cmd("RESTORE")
            .arg(key)
            .arg(0)
            .arg(&from_us)
            .arg("REPLACE")
            .query_async(&mut theirs)
            .await
            .expect("Redis restores our payload");
        let _: () = redis::cmd("RESTORE")
            .arg(key)
            .arg(0)
            .arg(&from_them)
            .arg("REPLACE")
            .query_async(&mut ours)
            .await
            .expect("we restore Redis's payload");
    }
    assert_eq!(
        expected,
        fingerprint(&mut ours).await,
        "Redis's payloads in go-redis"
    );
    assert_eq!(
        expected,
        fingerprint(&mut theirs).await,
        "our payloads in Redis"
    );
}

#[tokio::test]
async fn garbage_payloads_are_refused_not_crashed_on() {
    let (server, _dir) = fresh().await;
    let mut c = server.client().await;
    populate(&mut c).await;
    let good: Vec<u8> = redis::cmd("DUMP")
        .arg("s")
        .query_async(&mut c)
        .await
        .unwrap();
    // Damage one byte in turn and re-seal the checksum, so the damage reaches the stream
    // decoder: every RESTORE answers (an error or a value), none crashes the server.
    let body = good.len() - 8;
    for at in 1..body - 2 {
        let mut bad = good.clone();
        bad[at] ^= 0x5A;
        let crc = go_redis::rdb::crc64::crc64(0, &bad[..body]);
        bad[body..].copy_from_slice(&crc.to_le_bytes());
        let _: Result<(), _> = redis::cmd("RESTORE")
            .arg("copy")
            .arg(0)
            .arg(&bad)
            .arg("REPLACE")
            .query_async(&mut c)
            .await;
    }
    assert_eq!(t(&mut c, &["PING"]).await, "PONG");
}

#[tokio::test]
async fn command_getkeys_finds_the_keys_after_streams() {
    let (server, _dir) = fresh().await;
    let mut c = server.client().await;
    assert_eq!(
        t(
            &mut c,
            &[
                "COMMAND", "GETKEYS", "XREAD", "COUNT", "2", "STREAMS", "a", "b", "0", "0"
            ]
        )
        .await,
        "[a b]"
    );
    assert_eq!(
        t(
            &mut c,
            &[
                "COMMAND",
                "GETKEYS",
                "XREADGROUP",
                "GROUP",
                "g",
                "c",
                "STREAMS",
                "k",
                ">"
            ]
        )
        .await,
        "[k]"
    );
}

#[tokio::test]
async fn a_blocked_xreadgroup_whose_key_goes_away_gets_an_error() {
    let (_server, _dir, mut c, blocked) = blocked_in_xreadgroup().await;
    ok(&mut c, &["DEL", "s"]).await;
    let got = tokio::time::timeout(Duration::from_secs(10), blocked)
        .await
        .expect("answered")
        .expect("task");
    assert_eq!(
        got,
        Err("UNBLOCKED the stream key no longer exists".to_owned())
    );
}

/// COMMAND LIST shows XGROUP's and XINFO's subcommands as `parent|sub` (from the tables
/// their arity checks use), exactly Redis 7.0.15's ten, and a wrong argument count names
/// the subcommand as `parent|sub`, as Redis does.
#[tokio::test]
async fn xgroup_and_xinfo_subcommands_are_listed_with_their_arities() {
    let (server, _dir) = fresh().await;
    let mut c = server.client().await;
    let listed = t(&mut c, &["COMMAND", "LIST", "FILTERBY", "PATTERN", "x*|*"]).await;
    for sub in [
        "xgroup|create",
        "xgroup|setid",
        "xgroup|destroy",
        "xgroup|createconsumer",
        "xgroup|delconsumer",
        "xgroup|help",
        "xinfo|consumers",
        "xinfo|groups",
        "xinfo|stream",
        "xinfo|help",
    ] {
        assert!(listed.contains(sub), "{sub} missing from {listed}");
    }
    assert_eq!(
        err(&mut c, &["XINFO", "GROUPS"]).await,
        "ERR wrong number of arguments for 'xinfo|groups' command"
    );
}
