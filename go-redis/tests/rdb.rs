//! Day 5 — RDB snapshots: SAVE/BGSAVE/restart round trips, DUMP/RESTORE, and proof by the
//! real tools: `redis-check-rdb` accepts go-redis's file, a real Redis 7.0.15 starts from
//! it, go-redis starts from the real Redis's file (packed and big encodings), and DUMP
//! payloads go both ways. The real-tool tests print "SKIPPED: ..." when Debian's
//! redis-tools is absent (its `redis-check-rdb` binary is also the server, when called
//! `redis-server`).

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use go_redis::Config;
use go_redis::rdb::decode::read_rdb;
use redis::AsyncCommands;
use redis::aio::MultiplexedConnection;
use support::{TestServer, real_redis_server, start_with};

/// A fresh, empty directory for one test's files, removed when dropped.
struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp_dir(name: &str) -> TempDir {
    let dir = std::env::temp_dir().join(format!("go-redis-rdb-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a temp dir");
    TempDir(dir)
}

fn config_in(dir: &Path) -> Config {
    let mut config = Config::default();
    config
        .set("dir", dir.to_str().expect("a UTF-8 temp path"))
        .expect("dir");
    config
}

/// Asserts two fingerprints are equal, naming the keys that differ (not the whole dump).
#[track_caller]
fn assert_same(left: &BTreeMap<String, String>, right: &BTreeMap<String, String>, what: &str) {
    let short = |v: Option<&String>| v.map(|v| v.chars().take(200).collect::<String>());
    let differ: Vec<String> = left
        .keys()
        .chain(right.keys())
        .filter(|k| left.get(*k) != right.get(*k))
        .map(|k| format!("{k}: {:?} vs {:?}", short(left.get(k)), short(right.get(k))))
        .collect();
    assert!(
        differ.is_empty(),
        "{what}: {} keys differ: {differ:#?}",
        differ.len()
    );
}

async fn stop(mut server: TestServer) {
    if let Some(stop) = server.stop.take() {
        let _ = stop.send(());
    }
    let _ = (&mut server.task).await;
}

/// A real Redis serving `dir/dump.rdb`, killed on drop.
struct RealRedis {
    _child: support::KillOnDrop,
    port: u16,
}

impl RealRedis {
    fn start(dir: &Path) -> Option<RealRedis> {
        let binary = real_redis_server()?;
        let (child, port) = support::spawn_on_free_port(|port| {
            let mut command = Command::new(&binary);
            command
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args([
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dbfilename",
                    "dump.rdb",
                ])
                .arg("--dir")
                .arg(dir)
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            command
        });
        let real = RealRedis {
            _child: child,
            port,
        };
        Some(real)
    }

    async fn client(&self) -> MultiplexedConnection {
        redis::Client::open(format!("redis://127.0.0.1:{}", self.port))
            .expect("URL")
            .get_multiplexed_async_connection()
            .await
            .expect("connect to redis-server")
    }
}

async fn cmd<T: redis::FromRedisValue>(con: &mut MultiplexedConnection, args: &[&[u8]]) -> T {
    let mut c = redis::cmd(std::str::from_utf8(args[0]).expect("ASCII command"));
    for arg in &args[1..] {
        c.arg(*arg);
    }
    c.query_async(con)
        .await
        .unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

/// Every key of databases 0..4 as `db:key → type, contents, absolute expiry`, read back the
/// same way from any server: the thing two servers must agree on.
async fn fingerprint(con: &mut MultiplexedConnection) -> BTreeMap<String, String> {
    let mut all = BTreeMap::new();
    for db in 0..4 {
        let _: () = cmd(con, &[b"SELECT", db.to_string().as_bytes()]).await;
        let keys: Vec<Vec<u8>> = cmd(con, &[b"KEYS", b"*"]).await;
        for key in keys {
            let kind: String = cmd(con, &[b"TYPE", &key]).await;
            let contents = match kind.as_str() {
                "string" => format!("{:?}", cmd::<Vec<u8>>(con, &[b"GET", &key]).await),
                "list" => format!(
                    "{:?}",
                    cmd::<Vec<Vec<u8>>>(con, &[b"LRANGE", &key, b"0", b"-1"]).await
                ),
                "hash" => {
                    let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = cmd(con, &[b"HGETALL", &key]).await;
                    pairs.sort();
                    format!("{pairs:?}")
                }
                "set" => {
                    let mut members: Vec<Vec<u8>> = cmd(con, &[b"SMEMBERS", &key]).await;
                    members.sort();
                    format!("{members:?}")
                }
                "zset" => format!(
                    "{:?}",
                    cmd::<Vec<(Vec<u8>, String)>>(
                        con,
                        &[b"ZRANGE", &key, b"0", b"-1", b"WITHSCORES"]
                    )
                    .await
                ),
                "none" => continue, // expired between KEYS and TYPE
                other => panic!("unexpected type {other}"),
            };
            let expiry: i64 = cmd(con, &[b"PEXPIRETIME", &key]).await;
            all.insert(
                format!("{db}:{}", String::from_utf8_lossy(&key)),
                format!("{kind} {contents} expires {expiry}"),
            );
        }
    }
    let _: () = cmd(con, &[b"SELECT", b"0"]).await;
    all
}

/// Fills a server with every type, small and big, with TTLs and in several databases.
async fn populate(con: &mut MultiplexedConnection) {
    populate_expiring_at(con, go_redis::db::now_ms() + 3_600_000).await;
}

/// [`populate`], with the TTL'd keys expiring at `far` (Unix ms).
async fn populate_expiring_at(con: &mut MultiplexedConnection, far: u64) {
    let far = far.to_string();
    let big: Vec<String> = (0..1000).map(|i| format!("member-{i}")).collect();
    let _: () = cmd(con, &[b"SET", b"str", b"hello"]).await;
    let _: () = cmd(con, &[b"SET", b"int", b"-12345"]).await;
    let _: () = cmd(con, &[b"SET", b"int64", b"9223372036854775807"]).await;
    let _: () = cmd(con, &[b"SET", b"empty", b""]).await;
    let _: () = cmd(con, &[b"SET", b"long", "abc".repeat(2000).as_bytes()]).await;
    let _: () = cmd(con, &[b"SET", b"bin", b"\x00\xff\r\n"]).await;
    let _: () = cmd(con, &[b"SET", b"ttl", b"v", b"PXAT", far.as_bytes()]).await;
    let _: () = cmd(
        con,
        &[b"RPUSH", b"list", b"a", b"1", b"-2", b"300000", b"b"],
    )
    .await;
    let _: () = cmd(con, &[b"HSET", b"hash", b"f1", b"v1", b"f2", b"22"]).await;
    let _: () = cmd(con, &[b"SADD", b"intset", b"1", b"-5", b"100000"]).await;
    let _: () = cmd(con, &[b"SADD", b"set", b"x", b"y", b"z"]).await;
    let _: () = cmd(
        con,
        &[b"ZADD", b"zset", b"1.5", b"a", b"-inf", b"b", b"3", b"c"],
    )
    .await;
    let _: () = cmd(con, &[b"PEXPIREAT", b"zset", far.as_bytes()]).await;
    for chunk in big.chunks(100) {
        let mut list: Vec<&[u8]> = vec![b"RPUSH", b"biglist"];
        let mut hash: Vec<&[u8]> = vec![b"HSET", b"bighash"];
        let mut set: Vec<&[u8]> = vec![b"SADD", b"bigset"];
        let mut nums: Vec<String> = Vec::new();
        for (i, m) in chunk.iter().enumerate() {
            list.push(m.as_bytes());
            hash.extend([m.as_bytes(), m.as_bytes()]);
            set.push(m.as_bytes());
            nums.push(format!("{}", i as f64 * 0.25));
        }
        let mut zset: Vec<&[u8]> = vec![b"ZADD", b"bigzset"];
        for (m, n) in chunk.iter().zip(&nums) {
            zset.extend([n.as_bytes(), m.as_bytes()]);
        }
        let _: () = cmd(con, &list).await;
        let _: () = cmd(con, &hash).await;
        let _: () = cmd(con, &set).await;
        let _: () = cmd(con, &zset).await;
    }
    let huge = "x".repeat(70_000);
    let _: () = cmd(con, &[b"RPUSH", b"plainlist", huge.as_bytes(), b"small"]).await;
    let _: () = cmd(con, &[b"SELECT", b"3"]).await;
    let _: () = cmd(con, &[b"SET", b"in-db-3", b"three"]).await;
    let _: () = cmd(con, &[b"SELECT", b"0"]).await;
}

#[tokio::test]
async fn save_and_restart_keep_every_type_and_ttl() {
    let dir = temp_dir("restart");
    let server = start_with(config_in(&dir)).await;
    let mut con = server.client().await;
    populate(&mut con).await;
    let _: () = cmd(&mut con, &[b"PSETEX", b"gone", b"1", b"v"]).await;
    let before = fingerprint(&mut con).await;
    assert!(
        before.contains_key("3:in-db-3") && before.len() >= 18,
        "{before:?}"
    );
    let info: String = cmd(&mut con, &[b"INFO", b"persistence"]).await;
    assert!(!info.contains("rdb_changes_since_last_save:0\r"), "{info}");
    let _: () = cmd(&mut con, &[b"SAVE"]).await;
    let info: String = cmd(&mut con, &[b"INFO", b"persistence"]).await;
    assert!(info.contains("rdb_changes_since_last_save:0\r"), "{info}");
    assert!(info.contains("rdb_last_bgsave_status:ok"), "{info}");
    drop(con);
    stop(server).await;
    assert!(dir.join("dump.rdb").is_file());

    let server = start_with(config_in(&dir)).await;
    let mut con = server.client().await;
    let after = fingerprint(&mut con).await;
    assert_same(&before, &after, "after a restart");
    let lastsave: i64 = cmd(&mut con, &[b"LASTSAVE"]).await;
    assert!(lastsave > 1_600_000_000);
}

#[tokio::test]
async fn go_bug_save_works_without_aof() {
    // godis snapshots through its AOF rewrite, so SAVE and BGSAVE fail unless
    // `appendonly yes` (book appendix: Go bugs). Here they work on their own.
    let dir = temp_dir("no-aof");
    let server = start_with(config_in(&dir)).await;
    let mut con = server.client().await;
    let appendonly: Vec<String> = cmd(&mut con, &[b"CONFIG", b"GET", b"appendonly"]).await;
    assert_eq!(appendonly, ["appendonly", "no"]);
    let _: () = cmd(&mut con, &[b"SET", b"k", b"v"]).await;
    let _: () = cmd(&mut con, &[b"SAVE"]).await;
    let reply: String = cmd(&mut con, &[b"BGSAVE"]).await;
    assert_eq!(reply, "Background saving started");
    wait_bgsave_done(&mut con).await;
    let data = std::fs::read(dir.join("dump.rdb")).expect("dump.rdb written");
    let mut keys = Vec::new();
    read_rdb(&data, 16, 0, |db, key, _| keys.push((db, key))).expect("loads");
    assert_eq!(keys, [(0, bytes::Bytes::from_static(b"k"))]);
}

/// Waits (by asking, not sleeping) until no BGSAVE runs, and checks it succeeded.
async fn wait_bgsave_done(con: &mut MultiplexedConnection) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let info: String = cmd(con, &[b"INFO", b"persistence"]).await;
        if info.contains("rdb_bgsave_in_progress:0") {
            assert!(info.contains("rdb_last_bgsave_status:ok"), "{info}");
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "BGSAVE never finished"
        );
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn bgsave_during_concurrent_writes_is_one_instant() {
    let dir = temp_dir("bgsave");
    let server = start_with(config_in(&dir)).await;
    let mut con = server.client().await;
    // Two writers each SET their keys in order: w0:0, w0:1, ... A snapshot of one instant
    // holds, for each writer, exactly a prefix of its keys (no gaps).
    let mut writers = Vec::new();
    for w in 0..2 {
        let mut c = server.client().await;
        writers.push(tokio::spawn(async move {
            for i in 0..3000 {
                let _: () = cmd(&mut c, &[b"SET", format!("w{w}:{i}").as_bytes(), b"v"]).await;
            }
        }));
    }
    for _ in 0..3 {
        let _: String = cmd(&mut con, &[b"BGSAVE"]).await;
        wait_bgsave_done(&mut con).await;
    }
    let data = std::fs::read(dir.join("dump.rdb")).expect("dump.rdb");
    for w in writers {
        w.await.expect("writer");
    }
    let mut seen: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
    read_rdb(&data, 16, 0, |_, key, _| {
        let text = String::from_utf8_lossy(&key).into_owned();
        let (w, i) = text[1..].split_once(':').expect("w<n>:<i>");
        seen[w.parse::<usize>().unwrap()].push(i.parse().unwrap());
    })
    .expect("the BGSAVE file loads");
    for keys in &mut seen {
        keys.sort();
        assert!(
            keys.iter().enumerate().all(|(n, &i)| n == i),
            "a gap: not one instant"
        );
    }
    // And the server starts from it.
    stop(server).await;
    let server = start_with(config_in(&dir)).await;
    let mut con = server.client().await;
    let size: usize = cmd(&mut con, &[b"DBSIZE"]).await;
    assert_eq!(size, seen[0].len() + seen[1].len());
}

#[tokio::test]
async fn debug_reload_and_save_points() {
    let dir = temp_dir("reload");
    let server = start_with(config_in(&dir)).await;
    let mut con = server.client().await;
    populate(&mut con).await;
    let before = fingerprint(&mut con).await;
    let _: () = cmd(&mut con, &[b"DEBUG", b"RELOAD"]).await;
    assert_same(&before, &fingerprint(&mut con).await, "after DEBUG RELOAD");
    // A save point: after 0 s if 1 change, a BGSAVE starts by itself.
    let _ = std::fs::remove_file(dir.join("dump.rdb"));
    let _: () = cmd(&mut con, &[b"CONFIG", b"SET", b"save", b"0 1"]).await;
    let _: () = cmd(&mut con, &[b"SET", b"after", b"reload"]).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let info: String = cmd(&mut con, &[b"INFO", b"persistence"]).await;
        if info.contains("rdb_changes_since_last_save:0\r")
            && info.contains("rdb_bgsave_in_progress:0")
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no save at the save point: {info}"
        );
        tokio::task::yield_now().await;
    }
    assert!(dir.join("dump.rdb").is_file());
}

#[tokio::test]
async fn a_clean_stop_saves_when_save_points_are_set() {
    let dir = temp_dir("shutdown");
    let mut config = config_in(&dir);
    config.set("save", "3600 1").expect("save points");
    let server = start_with(config.clone()).await;
    let mut con = server.client().await;
    let _: () = cmd(&mut con, &[b"SET", b"k", b"kept"]).await;
    drop(con);
    stop(server).await;
    let server = start_with(config).await;
    let mut con = server.client().await;
    let value: String = cmd(&mut con, &[b"GET", b"k"]).await;
    assert_eq!(value, "kept");
    // With `save ""` (a cache), nothing is written.
    let dir = temp_dir("shutdown-cache");
    let server = start_with(config_in(&dir)).await;
    let mut con = server.client().await;
    let _: () = cmd(&mut con, &[b"SET", b"k", b"v"]).await;
    drop(con);
    stop(server).await;
    assert!(!dir.join("dump.rdb").exists());
}

#[tokio::test]
async fn dir_dbfilename_and_save_are_checked_like_redis() {
    let dir = temp_dir("config");
    let server = start_with(Config::default()).await;
    let mut con = server.client().await;
    let missing = dir.join("no-such-dir");
    for (args, error) in [
        (
            vec![b"dir".as_slice(), missing.to_str().unwrap().as_bytes()],
            "No such file or directory",
        ),
        (
            vec![b"dbfilename".as_slice(), b"a/b.rdb"],
            "dbfilename can't be a path",
        ),
        (vec![b"save".as_slice(), b"900"], "Invalid save parameters"),
    ] {
        let mut c = redis::cmd("CONFIG");
        c.arg("SET").arg(args[0]).arg(args[1]);
        let err = c.query_async::<()>(&mut con).await.expect_err("refused");
        assert!(err.to_string().contains(error), "{err}");
    }
    let _: () = cmd(
        &mut con,
        &[b"CONFIG", b"SET", b"dir", dir.to_str().unwrap().as_bytes()],
    )
    .await;
    let _: () = cmd(&mut con, &[b"CONFIG", b"SET", b"dbfilename", b"other.rdb"]).await;
    let _: () = cmd(&mut con, &[b"SET", b"k", b"v"]).await;
    let _: () = cmd(&mut con, &[b"SAVE"]).await;
    assert!(dir.join("other.rdb").is_file());
}

#[tokio::test]
async fn a_damaged_file_is_refused_with_an_error() {
    let dir = temp_dir("damaged");
    let server = start_with(config_in(&dir)).await;
    let mut con = server.client().await;
    // Small values of every type, so thousands of damaged copies parse quickly.
    let _: () = cmd(&mut con, &[b"SET", b"s", b"hello"]).await;
    let _: () = cmd(&mut con, &[b"SET", b"t", b"v", b"EX", b"1000"]).await;
    let _: () = cmd(&mut con, &[b"RPUSH", b"l", b"a", b"bb", b"ccc"]).await;
    let _: () = cmd(&mut con, &[b"HSET", b"h", b"f", b"v", b"g", b"w"]).await;
    let _: () = cmd(&mut con, &[b"SADD", b"S", b"1", b"2", b"x"]).await;
    let _: () = cmd(&mut con, &[b"ZADD", b"z", b"1", b"a", b"2.5", b"b"]).await;
    let _: () = cmd(&mut con, &[b"SAVE"]).await;
    drop(con);
    stop(server).await;
    let good = std::fs::read(dir.join("dump.rdb")).unwrap();
    // Truncated: the server refuses to start rather than start without the data.
    std::fs::write(dir.join("dump.rdb"), &good[..good.len() / 2]).unwrap();
    let server = start_with(config_in(&dir)).await;
    let result = server.task.await.expect("no panic");
    let err = result.expect_err("a truncated file is refused");
    assert!(err.to_string().contains("checksum"), "{err}");

    damage_thousands_of_copies(&good);
    assert!(read_rdb(b"REDIS0011", 16, 0, |_, _, _| {}).is_err());
    assert!(read_rdb(b"NOTRDB000", 16, 0, |_, _, _| {}).is_err());
}

/// Random damage, with the checksum zeroed (= "not computed") so the parser sees it: never
/// a panic, never a runaway allocation, just Ok or a clear error.
fn damage_thousands_of_copies(good: &[u8]) {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let body = good.len() - 8;
    for _ in 0..3000 {
        let mut data = good.to_vec();
        data[body..].fill(0);
        for _ in 0..1 + next() % 4 {
            let at = 9 + (next() as usize) % (body - 9);
            data[at] = next() as u8;
        }
        let cut = if next() % 4 == 0 {
            9 + (next() as usize) % body
        } else {
            data.len()
        };
        let _ = read_rdb(&data[..cut], 16, 0, |_, _, _| {});
    }
}

#[tokio::test]
async fn restore_errors_and_options_match_redis() {
    let server = start_with(Config::default()).await;
    let mut con = server.client().await;
    let _: () = cmd(&mut con, &[b"RPUSH", b"l", b"a", b"b"]).await;
    let payload: Vec<u8> = cmd(&mut con, &[b"DUMP", b"l"]).await;
    let missing: Option<Vec<u8>> = cmd(&mut con, &[b"DUMP", b"nope"]).await;
    assert_eq!(missing, None);
    let err = |args: Vec<&[u8]>| {
        let mut c = redis::cmd("RESTORE");
        for a in args {
            c.arg(a);
        }
        c
    };
    for (args, expected) in [
        (
            vec![b"l".as_slice(), b"0", &payload],
            "BUSYKEY Target key name already exists.",
        ),
        (
            vec![b"n", b"-1", &payload],
            "Invalid TTL value, must be >= 0",
        ),
        (
            vec![b"n", b"0", b"garbage-payload"],
            "DUMP payload version or checksum are wrong",
        ),
        (vec![b"n", b"0", &payload, b"FOO"], "syntax error"),
        (
            vec![b"n", b"0", &payload, b"IDLETIME", b"-1"],
            "Invalid IDLETIME value, must be >= 0",
        ),
        (
            vec![b"n", b"0", &payload, b"FREQ", b"256"],
            "Invalid FREQ value, must be >= 0 and <= 255",
        ),
        (
            vec![b"n", b"0", &payload, b"FREQ", b"1", b"IDLETIME", b"1"],
            "syntax error",
        ),
    ] {
        let e = err(args)
            .query_async::<()>(&mut con)
            .await
            .expect_err("an error");
        let text = format!("{}", e);
        assert!(
            text.contains(expected.split(' ').next_back().unwrap()),
            "{text} vs {expected}"
        );
        if expected.starts_with("BUSYKEY") {
            assert_eq!(e.code(), Some("BUSYKEY"));
        }
    }
    // A payload with a bad value inside but a correct footer.
    let mut bad = vec![0u8, 0x3f, b'x', 10, 0];
    let crc = go_redis::rdb::crc64::crc64(0, &bad);
    bad.extend(crc.to_le_bytes());
    let e = err(vec![b"n", b"0", &bad])
        .query_async::<()>(&mut con)
        .await
        .expect_err("bad");
    assert!(e.to_string().contains("Bad data format"), "{e}");

    let _: () = cmd(
        &mut con,
        &[
            b"RESTORE",
            b"l",
            b"0",
            &payload,
            b"REPLACE",
            b"IDLETIME",
            b"5",
        ],
    )
    .await;
    let _: () = cmd(
        &mut con,
        &[b"RESTORE", b"t", b"100000", &payload, b"FREQ", b"3"],
    )
    .await;
    let pttl: i64 = cmd(&mut con, &[b"PTTL", b"t"]).await;
    assert!((1..=100_000).contains(&pttl), "{pttl}");
    let at = (go_redis::db::now_ms() + 50_000).to_string();
    let _: () = cmd(
        &mut con,
        &[b"RESTORE", b"abs", at.as_bytes(), &payload, b"ABSTTL"],
    )
    .await;
    let when: i64 = cmd(&mut con, &[b"PEXPIRETIME", b"abs"]).await;
    assert_eq!(when.to_string(), at);
    // An absolute TTL in the past: OK, and no key.
    let _: () = cmd(&mut con, &[b"RESTORE", b"past", b"1", &payload, b"ABSTTL"]).await;
    assert_eq!(cmd::<i64>(&mut con, &[b"EXISTS", b"past"]).await, 0);
    let list: Vec<String> = con.lrange("t", 0, -1).await.unwrap();
    assert_eq!(list, ["a", "b"]);
}

#[tokio::test]
async fn dump_restore_every_type_within_go_redis() {
    let server = start_with(Config::default()).await;
    let mut con = server.client().await;
    populate(&mut con).await;
    let before = fingerprint(&mut con).await;
    let keys: Vec<String> = con.keys("*").await.unwrap();
    for key in &keys {
        let payload: Vec<u8> = cmd(&mut con, &[b"DUMP", key.as_bytes()]).await;
        let pttl: i64 = cmd(&mut con, &[b"PEXPIRETIME", key.as_bytes()]).await;
        let ttl = if pttl > 0 {
            pttl.to_string()
        } else {
            "0".into()
        };
        let _: () = cmd(
            &mut con,
            &[
                b"RESTORE",
                key.as_bytes(),
                ttl.as_bytes(),
                &payload,
                b"REPLACE",
                b"ABSTTL",
            ],
        )
        .await;
    }
    assert_same(
        &before,
        &fingerprint(&mut con).await,
        "after DUMP + RESTORE",
    );
}

// ---- proof by the real tools ----

#[tokio::test]
async fn redis_check_rdb_accepts_our_file() {
    let checker = Path::new("/usr/bin/redis-check-rdb");
    if !checker.is_file() {
        eprintln!("SKIPPED: no redis-check-rdb (install Debian's redis-tools)");
        return;
    }
    let dir = temp_dir("check");
    let server = start_with(config_in(&dir)).await;
    let mut con = server.client().await;
    populate(&mut con).await;
    let _: () = cmd(&mut con, &[b"SAVE"]).await;
    let output = Command::new(checker)
        .arg(dir.join("dump.rdb"))
        .output()
        .expect("run redis-check-rdb");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && text.contains("RDB looks OK"),
        "{text}"
    );
}

#[tokio::test]
async fn real_redis_starts_from_our_snapshot() {
    let dir = temp_dir("to-redis");
    let server = start_with(config_in(&dir)).await;
    let mut con = server.client().await;
    populate(&mut con).await;
    let ours = fingerprint(&mut con).await;
    let _: () = cmd(&mut con, &[b"SAVE"]).await;
    let Some(real) = RealRedis::start(&dir) else {
        eprintln!("SKIPPED: no redis-server (install Debian's redis-tools)");
        return;
    };
    let mut theirs_con = real.client().await;
    assert_same(
        &ours,
        &fingerprint(&mut theirs_con).await,
        "Redis started on our file",
    );
}

#[tokio::test]
async fn go_redis_starts_from_a_real_redis_snapshot() {
    let dir = temp_dir("from-redis");
    let Some(real) = RealRedis::start(&dir) else {
        eprintln!("SKIPPED: no redis-server (install Debian's redis-tools)");
        return;
    };
    let mut con = real.client().await;
    populate(&mut con).await;
    // The encodings Redis chose, so the test provably covers them.
    let mut encodings = Vec::new();
    for key in [
        "int",
        "long",
        "list",
        "hash",
        "intset",
        "set",
        "zset",
        "biglist",
        "bighash",
        "bigset",
        "bigzset",
        "plainlist",
    ] {
        let e: String = cmd(&mut con, &[b"OBJECT", b"ENCODING", key.as_bytes()]).await;
        encodings.push(e);
    }
    for e in [
        "int",
        "listpack",
        "intset",
        "quicklist",
        "hashtable",
        "skiplist",
    ] {
        assert!(
            encodings.iter().any(|x| x == e),
            "{e} missing from {encodings:?}"
        );
    }
    let theirs = fingerprint(&mut con).await;
    let _: () = cmd(&mut con, &[b"SAVE"]).await;
    drop(con);
    drop(real);
    let server = start_with(config_in(&dir)).await;
    let mut con = server.client().await;
    assert_same(
        &theirs,
        &fingerprint(&mut con).await,
        "go-redis started on Redis's file",
    );
}

#[tokio::test]
async fn dump_payloads_travel_both_ways_with_redis() {
    let dir = temp_dir("dump-both");
    let Some(real) = RealRedis::start(&dir) else {
        eprintln!("SKIPPED: no redis-server (install Debian's redis-tools)");
        return;
    };
    let server = start_with(Config::default()).await;
    let mut ours = server.client().await;
    let mut theirs = real.client().await;
    let far = go_redis::db::now_ms() + 3_600_000;
    populate_expiring_at(&mut ours, far).await;
    populate_expiring_at(&mut theirs, far).await;
    let expected = fingerprint(&mut ours).await;
    assert_same(
        &expected,
        &fingerprint(&mut theirs).await,
        "same data on both",
    );
    let keys: Vec<String> = ours.keys("*").await.unwrap();
    for key in &keys {
        let k = key.as_bytes();
        let from_us: Vec<u8> = cmd(&mut ours, &[b"DUMP", k]).await;
        let from_them: Vec<u8> = cmd(&mut theirs, &[b"DUMP", k]).await;
        let when: i64 = cmd(&mut ours, &[b"PEXPIRETIME", k]).await;
        let ttl = if when > 0 {
            when.to_string()
        } else {
            "0".into()
        };
        let _: () = cmd(
            &mut theirs,
            &[
                b"RESTORE",
                k,
                ttl.as_bytes(),
                &from_us,
                b"REPLACE",
                b"ABSTTL",
            ],
        )
        .await;
        let _: () = cmd(
            &mut ours,
            &[
                b"RESTORE",
                k,
                ttl.as_bytes(),
                &from_them,
                b"REPLACE",
                b"ABSTTL",
            ],
        )
        .await;
    }
    assert_eq!(
        expected,
        fingerprint(&mut ours).await,
        "Redis's payloads restored in go-redis"
    );
    assert_eq!(
        expected,
        fingerprint(&mut theirs).await,
        "go-redis's payloads restored in Redis"
    );
}

#[tokio::test]
async fn damaged_copies_of_a_real_redis_file_never_crash_the_reader() {
    let dir = temp_dir("fuzz-redis");
    let Some(real) = RealRedis::start(&dir) else {
        eprintln!("SKIPPED: no redis-server (install Debian's redis-tools)");
        return;
    };
    let mut con = real.client().await;
    // Small values, so every packed encoding is in the file: listpack hash, zset and list
    // (quicklist), intset, int-encoded and LZF-compressed strings.
    let _: () = cmd(&mut con, &[b"SET", b"int", b"123456"]).await;
    let _: () = cmd(&mut con, &[b"SET", b"lzf", "abcd".repeat(50).as_bytes()]).await;
    let _: () = cmd(&mut con, &[b"HSET", b"h", b"f", b"1", b"g", b"-70000"]).await;
    let _: () = cmd(&mut con, &[b"ZADD", b"z", b"1", b"a", b"2.5", b"b"]).await;
    let _: () = cmd(&mut con, &[b"RPUSH", b"l", b"x", b"12", b"-3", b"yy"]).await;
    let _: () = cmd(&mut con, &[b"SADD", b"i", b"1", b"2", b"-40000"]).await;
    let _: () = cmd(&mut con, &[b"SAVE"]).await;
    let good = std::fs::read(dir.join("dump.rdb")).expect("Redis wrote dump.rdb");
    let mut keys = 0;
    read_rdb(&good, 16, 0, |_, _, _| keys += 1).expect("the intact file loads");
    assert_eq!(keys, 6);
    damage_thousands_of_copies(&good);
}

/// RESTORE's IDLETIME sets a key's last-access time, which OBJECT IDLETIME reads; commands
/// that only look at a key (TYPE, TTL, EXISTS, OBJECT) leave it alone, while reading,
/// writing or TOUCHing it makes it fresh, as in Redis (whose TCL test checks the same with a
/// three-second sleep; IDLETIME lets this one run without waiting).
#[tokio::test]
async fn object_idletime_counts_from_the_last_use_not_the_last_look() {
    let server = start_with(Config::default()).await;
    let mut con = server.client().await;
    let _: () = con.set("k", "v").await.unwrap();
    let payload: Vec<u8> = cmd(&mut con, &[b"DUMP", b"k"]).await;
    let idle = |con: &mut MultiplexedConnection| {
        let mut con = con.clone();
        async move { cmd::<i64>(&mut con, &[b"OBJECT", b"IDLETIME", b"k"]).await }
    };
    for fresh in [
        &[&b"GET"[..], b"k"][..],
        &[b"TOUCH", b"k"],
        &[b"APPEND", b"k", b"x"],
    ] {
        let _: () = cmd(
            &mut con,
            &[
                b"RESTORE",
                b"k",
                b"0",
                &payload,
                b"REPLACE",
                b"IDLETIME",
                b"1000",
            ],
        )
        .await;
        assert!(idle(&mut con).await >= 1000);
        for look in [
            &[&b"TYPE"[..], b"k"][..],
            &[b"TTL", b"k"],
            &[b"EXISTS", b"k"],
        ] {
            let _: redis::Value = cmd(&mut con, look).await;
        }
        assert!(idle(&mut con).await >= 1000, "looking reset the clock");
        let _: redis::Value = cmd(&mut con, fresh).await;
        assert!(idle(&mut con).await < 1000, "{:?} did not", fresh[0]);
    }
}
