//! Day 5 acceptance tests: the append-only file.
//!
//! Restart and find every type, TTL and database again; a torn last command is trimmed (or
//! refused, as configured); a rewrite under concurrent writes loses nothing; the files are
//! Redis 7's multi-part layout, which `redis-check-aof` accepts and a real Redis 7.0.15
//! loads, and we load what the real Redis writes; a server killed with SIGKILL under
//! `appendfsync always` keeps every acknowledged write. The tests that need Debian's
//! `redis-tools` print "SKIPPED: ..." when it is absent.

mod support;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use go_redis::Config;
use go_redis::resp::Frame;
use support::{TestServer, real_redis_server, start_with};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

// ---- helpers ----

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "go-redis-day5-{tag}-{}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn aof_dir(&self) -> PathBuf {
        self.0.join("appendonlydir")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A configuration with the AOF on in `dir`.
fn aof_config(dir: &Path, fsync: &str) -> Config {
    let mut config = Config::default();
    config
        .set("dir", &dir.display().to_string())
        .expect("test setup");
    config.set("appendonly", "yes").expect("test setup");
    config.set("appendfsync", fsync).expect("test setup");
    config
}

/// Stops a test server gracefully and waits for it (the AOF is flushed and fsynced).
async fn stop(mut server: TestServer) {
    if let Some(stop) = server.stop.take() {
        let _ = stop.send(());
    }
    server
        .task
        .await
        .expect("server task")
        .expect("server ran cleanly");
}

/// A RESP2 client reading one reply per request (works with go-redis and the real Redis).
struct Client {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    async fn connect(addr: SocketAddr) -> Client {
        Client {
            stream: TcpStream::connect(addr).await.expect("connect"),
            buf: Vec::new(),
        }
    }

    async fn try_call(&mut self, args: &[&str]) -> std::io::Result<Frame> {
        let request = Frame::command(args.iter().map(|a| a.as_bytes())).to_bytes();
        self.stream.write_all(&request).await?;
        loop {
            if let Ok(Some((frame, used))) = Frame::parse(&self.buf) {
                self.buf.drain(..used);
                return Ok(frame);
            }
            self.buf.reserve(16 * 1024);
            let n =
                tokio::time::timeout(Duration::from_secs(10), self.stream.read_buf(&mut self.buf))
                    .await
                    .map_err(|_| std::io::Error::other("no reply within 10 s"))??;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
        }
    }

    async fn call(&mut self, args: &[&str]) -> Frame {
        self.try_call(args).await.expect("a reply")
    }
}

fn text(frame: &Frame) -> String {
    match frame {
        Frame::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
        Frame::Simple(s) | Frame::Error(s) => s.clone(),
        Frame::Integer(n) => n.to_string(),
        other => format!("{other:?}"),
    }
}

/// The elements of an array reply; an error reply (such as `-LOADING` from a server still
/// reading its files) fails the test rather than reading as an empty database.
fn items(frame: &Frame) -> Vec<String> {
    match frame {
        Frame::Array(items) => items.iter().map(text).collect(),
        Frame::Error(e) => panic!("expected an array, the server said -{e}"),
        _ => Vec::new(),
    }
}

/// Every key of every database with its type, value and absolute expiry (PEXPIRETIME), in
/// a form two servers can be compared by.
async fn dump(client: &mut Client) -> BTreeMap<String, String> {
    let mut all = BTreeMap::new();
    for db in 0..16 {
        let selected = client.call(&["SELECT", &db.to_string()]).await;
        assert_eq!(text(&selected), "OK", "SELECT {db}");
        let mut keys = items(&client.call(&["KEYS", "*"]).await);
        keys.sort();
        for key in keys {
            let kind = text(&client.call(&["TYPE", &key]).await);
            let value = match kind.as_str() {
                "string" => vec![text(&client.call(&["GET", &key]).await)],
                "list" => items(&client.call(&["LRANGE", &key, "0", "-1"]).await),
                "hash" => {
                    let flat = items(&client.call(&["HGETALL", &key]).await);
                    let mut pairs: Vec<String> = flat.chunks(2).map(|p| p.join("=")).collect();
                    pairs.sort();
                    pairs
                }
                "set" => {
                    let mut members = items(&client.call(&["SMEMBERS", &key]).await);
                    members.sort();
                    members
                }
                "zset" => items(
                    &client
                        .call(&["ZRANGE", &key, "0", "-1", "WITHSCORES"])
                        .await,
                ),
                other => vec![format!("unexpected type {other}")],
            };
            let at = text(&client.call(&["PEXPIRETIME", &key]).await);
            all.insert(format!("{db}/{key}"), format!("{kind} {value:?} at {at}"));
        }
    }
    client.call(&["SELECT", "0"]).await;
    all
}

/// Polls INFO until no rewrite runs (a background job, not a server start).
async fn wait_rewrite_done(client: &mut Client) {
    for _ in 0..6000 {
        let info = text(&client.call(&["INFO", "persistence"]).await);
        if info.contains("aof_rewrite_in_progress:0") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the rewrite never finished");
}

fn read_dir_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read AOF dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The content of every incremental file, as text with `\r\n` kept.
fn incr_text(dir: &Path) -> String {
    read_dir_files(dir)
        .iter()
        .filter(|n| n.ends_with(".incr.aof"))
        .map(|n| {
            String::from_utf8_lossy(&std::fs::read(dir.join(n)).expect("test setup")).into_owned()
        })
        .collect()
}

fn last_incr(dir: &Path) -> PathBuf {
    let manifest =
        std::fs::read_to_string(dir.join("appendonly.aof.manifest")).expect("test setup");
    let line = manifest
        .lines()
        .rfind(|l| l.ends_with("type i"))
        .expect("an incremental file");
    dir.join(line.split_whitespace().nth(1).expect("test setup"))
}

/// Writes one of everything, in two databases, with TTLs set every way there is, and a
/// blocked BLPOP served by a later push.
async fn write_everything(addr: SocketAddr) {
    let mut c = Client::connect(addr).await;
    for command in [
        &["SET", "s", "hello"][..],
        &["SET", "ex", "v", "EX", "1000"],
        &["SETEX", "setex", "1000", "v"],
        &["PSETEX", "psetex", "1000000", "v"],
        &["SET", "plain", "v"],
        &["EXPIRE", "plain", "2000"],
        &["SET", "getex", "v"],
        &["GETEX", "getex", "PX", "3000000"],
        &["SET", "n", "10"],
        &["INCR", "n"],
        &["INCRBYFLOAT", "f", "0.5"],
        &["INCRBYFLOAT", "f", "0.25"],
        &["RPUSH", "list", "a", "b", "c", "d"],
        &["LPOP", "list"],
        &["HSET", "hash", "f1", "1", "f2", "2"],
        &["HINCRBYFLOAT", "hash", "f3", "1.5"],
        &["SADD", "set", "a", "b", "c", "d", "e"],
        &["SPOP", "set"],
        &["SPOP", "set", "2"],
        &[
            "ZADD", "z", "1", "one", "2.5", "two", "inf", "top", "-inf", "bottom",
        ],
        &["ZINCRBY", "z", "0.25", "one"],
        &["RPUSH", "queue", "x", "y"],
        &["BLPOP", "queue", "0"],
        &["SELECT", "3"],
        &["SET", "in3", "three"],
        &["LPUSH", "list3", "p", "q"],
        &["BRPOPLPUSH", "list3", "moved", "0"],
        &["SELECT", "0"],
        &["SET", "gone", "v"],
        &["DEL", "gone"],
        &["SET", "past", "v"],
        &["PEXPIREAT", "past", "1"],
    ] {
        let reply = c.call(command).await;
        assert!(!matches!(reply, Frame::Error(_)), "{command:?}: {reply:?}");
    }
    // A client blocked in BLPOP, served by another client's push: logged as an LPOP.
    let mut blocked = Client::connect(addr).await;
    let request = Frame::command([&b"BLPOP"[..], b"waiting", b"0"]).to_bytes();
    blocked
        .stream
        .write_all(&request)
        .await
        .expect("test setup");
    // Make sure it is blocked before pushing (INFO counts blocked clients).
    for _ in 0..1000 {
        if text(&c.call(&["INFO", "clients"]).await).contains("blocked_clients:1") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    c.call(&["RPUSH", "waiting", "w1", "w2"]).await;
    let served = blocked.try_call(&["PING"]).await.expect("test setup");
    assert_eq!(items(&served), vec!["waiting", "w1"]);
}

// ---- restart ----

#[tokio::test]
async fn restart_finds_every_type_ttl_and_database() {
    let dir = TempDir::new("restart");
    let server = start_with(aof_config(dir.path(), "everysec")).await;
    write_everything(server.addr).await;
    let before = dump(&mut Client::connect(server.addr).await).await;
    stop(server).await;
    assert!(before.contains_key("3/in3") && before.contains_key("0/waiting"));
    assert!(!before.contains_key("0/past") && !before.contains_key("0/gone"));

    let again = start_with(aof_config(dir.path(), "everysec")).await;
    let after = dump(&mut Client::connect(again.addr).await).await;
    assert_eq!(before, after);
    stop(again).await;
}

#[tokio::test]
async fn the_log_holds_what_replays_the_same_later() {
    let dir = TempDir::new("log");
    let server = start_with(aof_config(dir.path(), "always")).await;
    write_everything(server.addr).await;
    stop(server).await;
    let log = incr_text(&dir.aof_dir());
    // Relative expiry became absolute; randomness and blocking became what they did.
    for expected in [
        "$3\r\nSET\r\n$2\r\nex\r\n$1\r\nv\r\n$4\r\nPXAT\r\n",
        "$3\r\nSET\r\n$5\r\nsetex\r\n$1\r\nv\r\n$4\r\nPXAT\r\n",
        "$9\r\nPEXPIREAT\r\n$5\r\nplain\r\n",
        "$9\r\nPEXPIREAT\r\n$5\r\ngetex\r\n",
        "$3\r\nSET\r\n$1\r\nf\r\n$4\r\n0.75\r\n$7\r\nKEEPTTL\r\n",
        "$4\r\nHSET\r\n$4\r\nhash\r\n$2\r\nf3\r\n$3\r\n1.5\r\n",
        "$4\r\nSREM\r\n$3\r\nset\r\n",
        "$4\r\nLPOP\r\n$5\r\nqueue\r\n",
        "$4\r\nLPOP\r\n$7\r\nwaiting\r\n",
        "$9\r\nRPOPLPUSH\r\n$5\r\nlist3\r\n$5\r\nmoved\r\n",
        "*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n",
        "*2\r\n$3\r\nDEL\r\n$4\r\npast\r\n",
    ] {
        assert!(log.contains(expected), "missing {expected:?} in\n{log}");
    }
    for absent in [
        "EXPIRE\r\n",
        "SETEX",
        "SPOP",
        "BLPOP",
        "BRPOPLPUSH",
        "INCRBYFLOAT",
    ] {
        assert!(!log.contains(absent), "{absent:?} was logged as is:\n{log}");
    }
    // Failed commands and reads are not logged.
    assert!(!log.contains("$3\r\nGET\r\n") && !log.contains("KEYS"));
}

#[tokio::test]
async fn the_directory_is_redis_7_multi_part() {
    let dir = TempDir::new("layout");
    let server = start_with(aof_config(dir.path(), "everysec")).await;
    Client::connect(server.addr)
        .await
        .call(&["SET", "k", "v"])
        .await;
    stop(server).await;
    assert_eq!(
        read_dir_files(&dir.aof_dir()),
        vec![
            "appendonly.aof.1.base.aof",
            "appendonly.aof.1.incr.aof",
            "appendonly.aof.manifest"
        ]
    );
    assert_eq!(
        std::fs::read_to_string(dir.aof_dir().join("appendonly.aof.manifest")).unwrap(),
        "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    assert_eq!(
        std::fs::read(dir.aof_dir().join("appendonly.aof.1.incr.aof")).unwrap(),
        b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"
    );
}

#[tokio::test]
async fn info_persistence_reports_the_aof() {
    let dir = TempDir::new("info");
    let server = start_with(aof_config(dir.path(), "everysec")).await;
    let mut c = Client::connect(server.addr).await;
    let info = text(&c.call(&["INFO", "persistence"]).await);
    for field in [
        "aof_enabled:1",
        "aof_rewrite_in_progress:0",
        "aof_last_bgrewrite_status:ok",
        "aof_last_write_status:ok",
        "aof_base_size:",
        "aof_current_size:",
    ] {
        assert!(info.contains(field), "{field} in {info}");
    }
    c.call(&["BGREWRITEAOF"]).await;
    wait_rewrite_done(&mut c).await;
    let info = text(&c.call(&["INFO", "persistence"]).await);
    assert!(info.contains("aof_rewrites:1"), "{info}");
    stop(server).await;
}

// ---- torn and bad files ----

#[tokio::test]
async fn a_torn_last_command_is_trimmed_with_aof_load_truncated_yes() {
    let dir = TempDir::new("torn");
    let server = start_with(aof_config(dir.path(), "always")).await;
    let mut c = Client::connect(server.addr).await;
    c.call(&["SET", "kept", "1"]).await;
    c.call(&["RPUSH", "list", "a", "b"]).await;
    stop(server).await;
    let incr = last_incr(&dir.aof_dir());
    let whole = std::fs::metadata(&incr).unwrap().len();
    // A crash in the middle of a write: half of a command at the end.
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&incr)
        .unwrap();
    std::io::Write::write_all(&mut file, b"*3\r\n$3\r\nSET\r\n$4\r\nlost\r\n$2\r\nx").unwrap();
    drop(file);

    let again = start_with(aof_config(dir.path(), "always")).await;
    let mut c = Client::connect(again.addr).await;
    assert_eq!(text(&c.call(&["GET", "kept"]).await), "1");
    assert_eq!(
        items(&c.call(&["LRANGE", "list", "0", "-1"]).await),
        ["a", "b"]
    );
    assert_eq!(c.call(&["EXISTS", "lost"]).await, Frame::Integer(0));
    // The file was cut back to its last whole command, and appending goes on after it.
    assert_eq!(std::fs::metadata(&incr).unwrap().len(), whole);
    c.call(&["SET", "after", "2"]).await;
    stop(again).await;
    let third = start_with(aof_config(dir.path(), "always")).await;
    let mut c = Client::connect(third.addr).await;
    assert_eq!(text(&c.call(&["GET", "after"]).await), "2");
    stop(third).await;
}

#[tokio::test]
async fn a_torn_last_command_is_refused_with_aof_load_truncated_no() {
    let dir = TempDir::new("torn-no");
    let server = start_with(aof_config(dir.path(), "always")).await;
    Client::connect(server.addr)
        .await
        .call(&["SET", "k", "v"])
        .await;
    stop(server).await;
    let incr = last_incr(&dir.aof_dir());
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&incr)
        .unwrap();
    std::io::Write::write_all(&mut file, b"*2\r\n$3\r\nDEL\r\n$1").unwrap();
    drop(file);

    let mut config = aof_config(dir.path(), "always");
    config.set("aof-load-truncated", "no").unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let err = go_redis::serve_database(listener, config, std::future::pending())
        .await
        .expect_err("a torn AOF with aof-load-truncated no must not start");
    let message = err.to_string();
    assert!(message.contains("Unexpected end of file"), "{message}");
    assert!(message.contains("redis-check-aof --fix"), "{message}");
}

/// book appendix: Go bugs — the Go server skips what it cannot parse and loads the rest.
#[tokio::test]
async fn go_bug_corrupt_aof_is_refused_not_skipped() {
    let dir = TempDir::new("corrupt");
    let server = start_with(aof_config(dir.path(), "always")).await;
    let mut c = Client::connect(server.addr).await;
    c.call(&["SET", "a", "1"]).await;
    stop(server).await;
    let incr = last_incr(&dir.aof_dir());
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&incr)
        .unwrap();
    std::io::Write::write_all(
        &mut file,
        b"garbage\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n",
    )
    .unwrap();
    drop(file);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let err = go_redis::serve_database(
        listener,
        aof_config(dir.path(), "always"),
        std::future::pending(),
    )
    .await
    .expect_err("a corrupt AOF must not start");
    assert!(err.to_string().contains("Bad file format"), "{err}");

    // A bad manifest and a missing file are clear errors too.
    std::fs::write(
        dir.aof_dir().join("appendonly.aof.manifest"),
        "file x seq 1\n",
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let err = go_redis::serve_database(listener, aof_config(dir.path(), "always"), async {})
        .await
        .expect_err("a bad manifest");
    assert!(
        err.to_string().contains("Invalid AOF manifest file format"),
        "{err}"
    );
    std::fs::write(
        dir.aof_dir().join("appendonly.aof.manifest"),
        "file nothere.aof seq 1 type b\n",
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let err = go_redis::serve_database(listener, aof_config(dir.path(), "always"), async {})
        .await
        .expect_err("a missing file");
    assert!(err.to_string().contains("does not exist"), "{err}");
}

/// book appendix: Go bugs — after a restart the Go writer assumes database 0 and appends
/// without a SELECT, so the commands replay into whatever database the file last selected.
#[tokio::test]
async fn go_bug_select_is_written_after_a_restart() {
    let dir = TempDir::new("select");
    let server = start_with(aof_config(dir.path(), "everysec")).await;
    let mut c = Client::connect(server.addr).await;
    c.call(&["SELECT", "5"]).await;
    c.call(&["SET", "in5", "x"]).await;
    stop(server).await;
    let again = start_with(aof_config(dir.path(), "everysec")).await;
    Client::connect(again.addr)
        .await
        .call(&["SET", "in0", "y"])
        .await;
    stop(again).await;
    let third = start_with(aof_config(dir.path(), "everysec")).await;
    let mut c = Client::connect(third.addr).await;
    assert_eq!(text(&c.call(&["GET", "in0"]).await), "y");
    c.call(&["SELECT", "5"]).await;
    assert_eq!(c.call(&["EXISTS", "in0"]).await, Frame::Integer(0));
    assert_eq!(text(&c.call(&["GET", "in5"]).await), "x");
    stop(third).await;
}

/// book appendix: Go bugs — the Go loader replays with the clock running, so a key written
/// before it expired is replayed onto an expired key and comes back without a TTL.
#[tokio::test]
async fn go_bug_an_expired_key_does_not_come_back_after_restart() {
    let dir = TempDir::new("expired");
    let server = start_with(aof_config(dir.path(), "everysec")).await;
    let mut c = Client::connect(server.addr).await;
    c.call(&["SET", "k", "x", "PX", "150"]).await;
    c.call(&["APPEND", "k", "y"]).await; // still alive: "xy", expiring with k
    c.call(&["RPUSH", "l", "old"]).await;
    c.call(&["PEXPIRE", "l", "150"]).await;
    // Let both TTLs pass (the setup waits; no assertion is about time).
    tokio::time::sleep(Duration::from_millis(300)).await;
    c.call(&["RPUSH", "l", "new"]).await; // l expired: a new list
    let list_before = items(&c.call(&["LRANGE", "l", "0", "-1"]).await);
    assert_eq!(list_before, ["new"]);
    stop(server).await;

    let again = start_with(aof_config(dir.path(), "everysec")).await;
    let mut c = Client::connect(again.addr).await;
    assert_eq!(c.call(&["EXISTS", "k"]).await, Frame::Integer(0));
    assert_eq!(items(&c.call(&["LRANGE", "l", "0", "-1"]).await), ["new"]);
    assert_eq!(c.call(&["PTTL", "l"]).await, Frame::Integer(-1));
    stop(again).await;
    // The expiry of l was logged as DEL before the push that made a new list.
    let log = incr_text(&dir.aof_dir());
    let del = log
        .find("*2\r\n$3\r\nDEL\r\n$1\r\nl\r\n")
        .expect("DEL l logged");
    let push = log.find("$3\r\nnew\r\n").expect("RPUSH l new logged");
    assert!(del < push, "{log}");
}

// ---- rewrite ----

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rewrite_under_concurrent_writes_loses_nothing() {
    let dir = TempDir::new("rewrite");
    let server = start_with(aof_config(dir.path(), "no")).await;
    let addr = server.addr;
    let writers: Vec<_> = (0..4)
        .map(|w| {
            tokio::spawn(async move {
                let mut c = Client::connect(addr).await;
                for i in 0..400 {
                    c.call(&["INCR", &format!("counter:{w}")]).await;
                    c.call(&["RPUSH", &format!("list:{w}"), &i.to_string()])
                        .await;
                    c.call(&["SELECT", &(i % 3).to_string()]).await;
                    c.call(&["SET", &format!("k:{w}:{i}"), "v", "EX", "1000"])
                        .await;
                    c.call(&["SELECT", "0"]).await;
                    if i % 50 == 0 {
                        c.call(&["FLUSHALL"]).await; // cross-database writes too
                    }
                }
            })
        })
        .collect();
    let mut c = Client::connect(addr).await;
    for _ in 0..3 {
        let reply = c.call(&["BGREWRITEAOF"]).await;
        assert!(
            text(&reply).contains("rewriting started") || text(&reply).contains("in progress"),
            "{reply:?}"
        );
        wait_rewrite_done(&mut c).await;
    }
    for writer in writers {
        writer.await.unwrap();
    }
    c.call(&["BGREWRITEAOF"]).await;
    wait_rewrite_done(&mut c).await;
    c.call(&["INCR", "after-rewrite"]).await;
    let before = dump(&mut c).await;
    stop(server).await;

    // One base and one incremental file are left; the manifest names them.
    let files = read_dir_files(&dir.aof_dir());
    assert_eq!(files.len(), 3, "{files:?}");
    assert!(files.iter().any(|f| f.ends_with(".base.aof")));
    assert!(
        !files.contains(&"appendonly.aof.1.base.aof".to_owned()),
        "{files:?}"
    );

    let again = start_with(aof_config(dir.path(), "no")).await;
    let after = dump(&mut Client::connect(again.addr).await).await;
    assert_eq!(before.len(), after.len());
    assert_eq!(before, after);
    stop(again).await;
}

#[tokio::test]
async fn config_set_appendonly_yes_starts_the_aof_with_a_rewrite() {
    let dir = TempDir::new("switch-on");
    let mut config = Config::default();
    config
        .set("dir", &dir.path().display().to_string())
        .unwrap();
    let server = start_with(config).await;
    let mut c = Client::connect(server.addr).await;
    c.call(&["SET", "before", "1"]).await;
    c.call(&["HSET", "h", "f", "v"]).await;
    assert_eq!(
        c.call(&["CONFIG", "SET", "appendonly", "yes"]).await,
        support::simple("OK")
    );
    c.call(&["SET", "during", "2"]).await;
    wait_rewrite_done(&mut c).await;
    c.call(&["SET", "after", "3"]).await;
    let before = dump(&mut c).await;
    // Switching off stops logging: this write is not in the AOF.
    c.call(&["CONFIG", "SET", "appendonly", "no"]).await;
    c.call(&["SET", "unlogged", "4"]).await;
    stop(server).await;

    let again = start_with(aof_config(dir.path(), "everysec")).await;
    let after = dump(&mut Client::connect(again.addr).await).await;
    assert_eq!(before, after);
    stop(again).await;
}

// ---- the real Redis tools ----

/// A child process, killed on drop.
type Process = support::KillOnDrop;

/// Starts a real Redis on `dir` with the AOF on (command-form base files) and waits for it.
fn start_real_redis(binary: &Path, dir: &Path, extra: &[&str]) -> (Process, SocketAddr) {
    let (child, port) = support::spawn_on_free_port(|port| {
        let mut command = Command::new(binary);
        command
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--dir"])
            .arg(dir)
            .args(["--appendonly", "yes", "--aof-use-rdb-preamble", "no"])
            .args(["--save", "", "--daemonize", "no"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    });
    (child, SocketAddr::from(([127, 0, 0, 1], port)))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("test setup");
    for entry in std::fs::read_dir(from).expect("test setup") {
        let entry = entry.expect("test setup");
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("test setup");
    }
}

#[tokio::test]
async fn redis_check_aof_accepts_what_we_write() {
    let tool = Path::new("/usr/bin/redis-check-aof");
    if !tool.is_file() {
        println!("SKIPPED: redis-check-aof not installed (Debian package redis-tools)");
        return;
    }
    let dir = TempDir::new("check-aof");
    let server = start_with(aof_config(dir.path(), "always")).await;
    write_everything(server.addr).await;
    let mut c = Client::connect(server.addr).await;
    c.call(&["BGREWRITEAOF"]).await;
    wait_rewrite_done(&mut c).await;
    c.call(&["SET", "after", "rewrite"]).await;
    stop(server).await;
    let output = Command::new(tool)
        .arg(dir.aof_dir().join("appendonly.aof.manifest"))
        .output()
        .expect("run redis-check-aof");
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{said}");
    assert!(
        said.contains("All AOF files and manifest are valid"),
        "{said}"
    );
}

#[tokio::test]
async fn real_redis_loads_our_directory_with_the_same_keys_values_and_ttls() {
    let Some(redis) = real_redis_server() else {
        println!("SKIPPED: no redis-server (Debian package redis-tools provides one)");
        return;
    };
    let dir = TempDir::new("to-real");
    let server = start_with(aof_config(dir.path(), "always")).await;
    write_everything(server.addr).await;
    let mut c = Client::connect(server.addr).await;
    c.call(&["BGREWRITEAOF"]).await;
    wait_rewrite_done(&mut c).await;
    c.call(&["SET", "after", "rewrite"]).await;
    c.call(&["ZADD", "z", "7", "seven"]).await;
    let ours = dump(&mut c).await;
    stop(server).await;

    // Real Redis appends to the directory it loads: give it a copy.
    let real_dir = TempDir::new("to-real-copy");
    copy_dir(&dir.aof_dir(), &real_dir.aof_dir());
    let (_redis, addr) = start_real_redis(&redis, real_dir.path(), &[]);
    let theirs = dump(&mut Client::connect(addr).await).await;
    assert_eq!(ours, theirs);
}

#[tokio::test]
async fn we_load_an_aof_directory_written_by_real_redis() {
    let Some(redis) = real_redis_server() else {
        println!("SKIPPED: no redis-server (Debian package redis-tools provides one)");
        return;
    };
    let dir = TempDir::new("from-real");
    let theirs = {
        let (_redis, addr) = start_real_redis(&redis, dir.path(), &["--appendfsync", "always"]);
        write_everything(addr).await;
        let mut c = Client::connect(addr).await;
        // A rewrite (a command-form base), then more writes in an incremental file, with a
        // transaction, which Redis logs as MULTI ... EXEC.
        c.call(&["BGREWRITEAOF"]).await;
        wait_rewrite_done(&mut c).await;
        c.call(&["MULTI"]).await;
        c.call(&["INCR", "n"]).await;
        c.call(&["SADD", "tx", "a"]).await;
        c.call(&["EXEC"]).await;
        c.call(&["SET", "last", "word", "PX", "5000000"]).await;
        dump(&mut c).await
    };
    let server = start_with(aof_config(dir.path(), "everysec")).await;
    let ours = dump(&mut Client::connect(server.addr).await).await;
    assert_eq!(theirs, ours);
    stop(server).await;
}

#[tokio::test]
async fn we_load_real_redis_aof_whose_base_is_an_rdb_image() {
    let Some(redis) = real_redis_server() else {
        println!("SKIPPED: no redis-server (Debian package redis-tools provides one)");
        return;
    };
    let dir = TempDir::new("preamble");
    let theirs = {
        // Redis's default: the rewrite writes the base as an RDB file (listpacks and all).
        let (_redis, addr) =
            start_real_redis(&redis, dir.path(), &["--aof-use-rdb-preamble", "yes"]);
        write_everything(addr).await;
        let mut c = Client::connect(addr).await;
        c.call(&["BGREWRITEAOF"]).await;
        wait_rewrite_done(&mut c).await;
        c.call(&["SET", "after", "rewrite"]).await;
        dump(&mut c).await
    };
    let base_is_rdb = std::fs::read_dir(dir.aof_dir())
        .expect("the AOF directory")
        .filter_map(Result::ok)
        .any(|e| e.file_name().to_string_lossy().ends_with(".base.rdb"));
    assert!(base_is_rdb, "real Redis wrote an RDB base");
    let server = start_with(aof_config(dir.path(), "everysec")).await;
    let ours = dump(&mut Client::connect(server.addr).await).await;
    assert_eq!(theirs, ours);
    stop(server).await;
}

/// Day 6's transactions reach the log as `MULTI` ... `EXEC` (a torn tail then loses the
/// whole transaction, never half of it), and only when they changed something.
#[tokio::test]
async fn a_transaction_is_logged_between_multi_and_exec() {
    let dir = TempDir::new("multi");
    let server = start_with(aof_config(dir.path(), "always")).await;
    let mut c = Client::connect(server.addr).await;
    for words in [
        &["MULTI"][..],
        &["GET", "nothing"],
        &["EXEC"],
        &["MULTI"],
        &["SET", "a", "1"],
        &["INCR", "a"],
        &["EXEC"],
    ] {
        c.call(words).await;
    }
    stop(server).await;
    let mut log = Vec::new();
    for entry in std::fs::read_dir(dir.aof_dir()).expect("the AOF directory") {
        let path = entry.expect("a directory entry").path();
        if path.to_string_lossy().ends_with(".incr.aof") {
            log.extend(std::fs::read(path).expect("read the incremental file"));
        }
    }
    let log = String::from_utf8_lossy(&log);
    let words: Vec<&str> = log
        .split("\r\n")
        .filter(|w| !w.starts_with(['*', '$']))
        .collect();
    let multi = words
        .iter()
        .position(|w| *w == "MULTI")
        .expect("MULTI logged");
    assert_eq!(
        &words[multi..],
        ["MULTI", "SET", "a", "1", "INCR", "a", "EXEC", ""],
        "{log}"
    );
    assert_eq!(words.iter().filter(|w| **w == "MULTI").count(), 1, "{log}");
    let server = start_with(aof_config(dir.path(), "always")).await;
    let reply = Client::connect(server.addr).await.call(&["GET", "a"]).await;
    assert_eq!(reply, Frame::Bulk(bytes::Bytes::from_static(b"2")), "{log}");
    stop(server).await;
}

// ---- crashes ----

/// Starts the go-redis binary on `dir` and waits for it.
fn start_binary(dir: &Path, fsync: &str) -> (Process, SocketAddr) {
    let (child, port) = support::spawn_on_free_port(|port| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_go-redis"));
        command
            .args(["--port", &port.to_string(), "--dir"])
            .arg(dir)
            .args(["--appendonly", "yes", "--appendfsync", fsync])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    });
    (child, SocketAddr::from(([127, 0, 0, 1], port)))
}

/// Four clients write `c<w>:<i>` keys until the server is killed with SIGKILL at a random
/// moment; returns, per client, how many writes were acknowledged.
async fn write_until_killed(mut process: Process, addr: SocketAddr) -> Vec<usize> {
    let writers: Vec<_> = (0..4)
        .map(|w| {
            tokio::spawn(async move {
                let mut c = Client::connect(addr).await;
                let mut acked = 0;
                for i in 0.. {
                    let key = format!("c{w}:{i}");
                    match c.try_call(&["SET", &key, &i.to_string()]).await {
                        Ok(Frame::Simple(ok)) if ok == "OK" => acked = i + 1,
                        _ => break,
                    }
                }
                acked
            })
        })
        .collect();
    let moment = rand::random_range(100..400);
    tokio::time::sleep(Duration::from_millis(moment)).await;
    process.0.kill().expect("SIGKILL the server");
    let _ = process.0.wait();
    let mut acked = Vec::new();
    for writer in writers {
        acked.push(writer.await.expect("test setup"));
    }
    acked
}

/// How many of client `w`'s keys exist, checking that they form a prefix of what it wrote.
async fn surviving_prefix(c: &mut Client, w: usize, acked: usize) -> usize {
    let mut n = 0;
    while c.call(&["EXISTS", &format!("c{w}:{n}")]).await == Frame::Integer(1) {
        n += 1;
    }
    for later in n + 1..acked + 2 {
        assert_eq!(
            c.call(&["EXISTS", &format!("c{w}:{later}")]).await,
            Frame::Integer(0),
            "client {w}: key {later} survived but {n} did not"
        );
    }
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_write_survives_sigkill_with_appendfsync_always() {
    let dir = TempDir::new("crash-always");
    let (process, addr) = start_binary(dir.path(), "always");
    let acked = write_until_killed(process, addr).await;
    assert!(acked.iter().sum::<usize>() > 0, "no write was acknowledged");
    let (_again, addr) = start_binary(dir.path(), "always");
    let mut c = Client::connect(addr).await;
    for (w, &acked) in acked.iter().enumerate() {
        let survived = surviving_prefix(&mut c, w, acked).await;
        assert!(
            survived >= acked,
            "client {w}: {acked} writes acknowledged, only {survived} survived"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_files_always_load_after_sigkill_with_appendfsync_everysec() {
    let dir = TempDir::new("crash-everysec");
    let (process, addr) = start_binary(dir.path(), "everysec");
    let acked = write_until_killed(process, addr).await;
    // It starts (a torn tail is trimmed), and what survived is a prefix of each client's
    // writes: the log never has holes.
    let (_again, addr) = start_binary(dir.path(), "everysec");
    let mut c = Client::connect(addr).await;
    for (w, &acked) in acked.iter().enumerate() {
        surviving_prefix(&mut c, w, acked).await;
    }
}

/// The number INFO reports as `rdb_changes_since_last_save` after `args`.
async fn changes_after(c: &mut Client, args: &[&str]) -> u64 {
    c.call(args).await;
    let info = text(&c.call(&["INFO", "persistence"]).await);
    info.lines()
        .find_map(|l| l.strip_prefix("rdb_changes_since_last_save:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("rdb_changes_since_last_save in INFO")
}

/// As in Redis, SETBIT and BITFIELD count a change only when the key is new, the string
/// grew or a value changed (BITFIELD once per changed field), and a call that changed
/// nothing is not logged to the AOF.
#[tokio::test]
async fn setbit_and_bitfield_count_only_real_changes() {
    let dir = TempDir::new("dirty");
    let server = start_with(aof_config(dir.path(), "always")).await;
    let mut c = Client::connect(server.addr).await;
    let start = changes_after(&mut c, &["PING"]).await;
    let two = "BITFIELD f SET u4 0 3 SET u4 4 5"; // a new key: both fields count
    // (request, changes counted so far): a new key, the same bit, a flip, a longer string;
    // then BITFIELD's two fields, the same two again, one of them changed.
    let steps = [
        ("SETBIT b 0 0", 1),
        ("SETBIT b 0 0", 1),
        ("SETBIT b 0 1", 2),
        ("SETBIT b 20 0", 3),
        (two, 5),
        (two, 5),
        ("BITFIELD f SET u4 0 3 SET u4 4 6", 6),
    ];
    for (request, counted) in steps {
        let args: Vec<&str> = request.split(' ').collect();
        assert_eq!(
            changes_after(&mut c, &args).await,
            start + counted,
            "{request}"
        );
    }
    stop(server).await;
    let log = incr_text(&dir.aof_dir());
    assert_eq!(log.matches("SETBIT").count(), 3, "{log}");
    assert_eq!(log.matches("BITFIELD").count(), 2, "{log}");
}
