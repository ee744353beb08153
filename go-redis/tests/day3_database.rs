//! Day 3 acceptance tests, through the `redis` crate over real sockets: strings, keys,
//! databases, the exact error strings, AUTH, CONFIG, INFO.

mod support;

use go_redis::Config;
use redis::{AsyncCommands, RedisResult, Value, cmd};
use support::{start, start_with};

async fn err_text<T: std::fmt::Debug>(result: RedisResult<T>) -> String {
    let err = result.expect_err("the command should fail");
    // `code: detail`, e.g. "WRONGTYPE: Operation against ..."; rebuild Redis's own text.
    match (err.code(), err.detail()) {
        (Some(code), Some(detail)) => format!("{code} {detail}"),
        (Some(code), None) => code.to_owned(),
        _ => err.to_string(),
    }
}

#[tokio::test]
async fn set_get_and_set_options() {
    let server = start().await;
    let mut c = server.client().await;
    let _: () = c.set("k", "v").await.unwrap();
    assert_eq!(c.get::<_, String>("k").await.unwrap(), "v");
    // NX fails on an existing key, XX on a missing one.
    let r: Option<String> = cmd("SET")
        .arg("k")
        .arg("w")
        .arg("NX")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(r, None);
    let r: Option<String> = cmd("SET")
        .arg("missing")
        .arg("w")
        .arg("XX")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(r, None);
    // GET returns the old value.
    let old: Option<String> = cmd("SET")
        .arg("k")
        .arg("new")
        .arg("GET")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(old.as_deref(), Some("v"));
    // EX sets a TTL, KEEPTTL keeps it, a plain SET drops it.
    let _: () = cmd("SET")
        .arg("t")
        .arg("1")
        .arg("EX")
        .arg(100)
        .query_async(&mut c)
        .await
        .unwrap();
    let _: () = cmd("SET")
        .arg("t")
        .arg("2")
        .arg("KEEPTTL")
        .query_async(&mut c)
        .await
        .unwrap();
    assert!(c.ttl::<_, i64>("t").await.unwrap() > 90);
    let _: () = c.set("t", "3").await.unwrap();
    assert_eq!(c.ttl::<_, i64>("t").await.unwrap(), -1);
    // Exact error words.
    let e = err_text(
        cmd("SET")
            .arg("k")
            .arg("v")
            .arg("EX")
            .arg(0)
            .query_async::<()>(&mut c)
            .await,
    )
    .await;
    assert_eq!(e, "ERR invalid expire time in 'set' command");
    let e = err_text(
        cmd("SET")
            .arg("k")
            .arg("v")
            .arg("NX")
            .arg("XX")
            .query_async::<()>(&mut c)
            .await,
    )
    .await;
    assert_eq!(e, "ERR syntax error");
}

#[tokio::test]
async fn counters_and_their_errors() {
    let server = start().await;
    let mut c = server.client().await;
    assert_eq!(c.incr::<_, _, i64>("n", 1).await.unwrap(), 1);
    assert_eq!(c.incr::<_, _, i64>("n", 10).await.unwrap(), 11);
    assert_eq!(c.decr::<_, _, i64>("n", 20).await.unwrap(), -9);
    let f: String = cmd("INCRBYFLOAT")
        .arg("f")
        .arg("10.5")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(f, "10.5");
    let _: () = c.set("s", "abc").await.unwrap();
    let e = err_text(c.incr::<_, _, i64>("s", 1).await).await;
    assert_eq!(e, "ERR value is not an integer or out of range");
    let _: () = c.set("big", i64::MAX).await.unwrap();
    let e = err_text(c.incr::<_, _, i64>("big", 1).await).await;
    assert_eq!(e, "ERR increment or decrement would overflow");
    let _: () = c.rpush("list", "x").await.unwrap();
    let e = err_text(c.get::<_, String>("list").await).await;
    assert_eq!(
        e,
        "WRONGTYPE Operation against a key holding the wrong kind of value"
    );
}

/// INCRBYFLOAT answers Redis 7.0.15's digits: it adds in an 80-bit `long double` and
/// prints 17 digits after the point, trimmed (every expected text was read from Redis).
#[tokio::test]
async fn incrbyfloat_answers_the_digits_of_a_long_double() {
    let server = start().await;
    let mut c = server.client().await;
    for (start, increment, want) in [
        ("10.5", "0.1", "10.6"),
        ("0.1", "0.2", "0.3"),
        ("9007199254740993", "10.5", "9007199254741003.5"),
        ("1e17", "0.1", "100000000000000000.1015625"),
        ("1e20", "0.1", "100000000000000000000"),
        ("3.0e3", "1.5e-7", "3000.00000014999999998"),
        ("18446744073709551615", "1", "18446744073709551616"),
        (
            "123456789.123456789",
            "987654321.987654321",
            "1111111111.11111110995989293",
        ),
        ("1", "0x1.8p1", "4"),
        ("-1", "1", "0"),
        ("1e-4950", "0", "0"),
    ] {
        let _: () = c.set("f", start).await.unwrap();
        let got: String = cmd("INCRBYFLOAT")
            .arg("f")
            .arg(increment)
            .query_async(&mut c)
            .await
            .unwrap();
        assert_eq!(got, want, "{start} + {increment}");
    }
    let _: () = c.set("f", "1").await.unwrap();
    for bad in ["1e5000", " 1", "nan", "1e-5000", "abc"] {
        let e = err_text(
            cmd("INCRBYFLOAT")
                .arg("f")
                .arg(bad)
                .query_async::<String>(&mut c)
                .await,
        )
        .await;
        assert_eq!(e, "ERR value is not a valid float", "{bad}");
    }
    let e = err_text(
        cmd("INCRBYFLOAT")
            .arg("f")
            .arg("inf")
            .query_async::<String>(&mut c)
            .await,
    )
    .await;
    assert_eq!(e, "ERR increment would produce NaN or Infinity");
    // The key's type is checked before the increment is read, as in t_string.c.
    let _: () = c.rpush("list", "x").await.unwrap();
    let e = err_text(
        cmd("INCRBYFLOAT")
            .arg("list")
            .arg("abc")
            .query_async::<String>(&mut c)
            .await,
    )
    .await;
    assert!(e.starts_with("WRONGTYPE"), "{e}");
}

#[tokio::test]
async fn string_ranges_and_multi_key_commands() {
    let server = start().await;
    let mut c = server.client().await;
    assert_eq!(c.append::<_, _, i64>("s", "Hello").await.unwrap(), 5);
    assert_eq!(c.append::<_, _, i64>("s", " World").await.unwrap(), 11);
    assert_eq!(c.getrange::<_, String>("s", 0, 4).await.unwrap(), "Hello");
    assert_eq!(c.getrange::<_, String>("s", -5, -1).await.unwrap(), "World");
    assert_eq!(c.setrange::<_, _, i64>("s", 6, "Redis").await.unwrap(), 11);
    assert_eq!(c.get::<_, String>("s").await.unwrap(), "Hello Redis");
    assert_eq!(c.strlen::<_, i64>("s").await.unwrap(), 11);
    let _: () = c.mset(&[("a", "1"), ("b", "2")]).await.unwrap();
    let got: Vec<Option<String>> = c.mget(&["a", "nope", "b"]).await.unwrap();
    assert_eq!(got, vec![Some("1".into()), None, Some("2".into())]);
    let ok: bool = c.mset_nx(&[("a", "9"), ("c", "3")]).await.unwrap();
    assert!(!ok, "MSETNX sets nothing when one key exists");
    assert!(!c.exists::<_, bool>("c").await.unwrap());
    assert_eq!(c.getset::<_, _, String>("a", "x").await.unwrap(), "1");
    let v: Option<String> = cmd("GETDEL").arg("a").query_async(&mut c).await.unwrap();
    assert_eq!(v.as_deref(), Some("x"));
    assert!(!c.exists::<_, bool>("a").await.unwrap());
}

#[tokio::test]
async fn keys_scan_rename_and_type() {
    let server = start().await;
    let mut c = server.client().await;
    for i in 0..50 {
        let _: () = c.set(format!("user:{i}"), i).await.unwrap();
    }
    let _: () = c.set("other", 1).await.unwrap();
    let mut keys: Vec<String> = c.keys("user:*").await.unwrap();
    keys.sort();
    assert_eq!(keys.len(), 50);
    let mut scanned: Vec<String> = Vec::new();
    let mut cursor = 0u64;
    loop {
        let (next, batch): (u64, Vec<String>) = cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg("user:*")
            .arg("COUNT")
            .arg(7)
            .query_async(&mut c)
            .await
            .unwrap();
        scanned.extend(batch);
        cursor = next;
        if cursor == 0 {
            break;
        }
    }
    scanned.sort();
    scanned.dedup();
    assert_eq!(scanned, keys);
    let _: () = c.rename("other", "renamed").await.unwrap();
    let t: String = cmd("TYPE")
        .arg("renamed")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(t, "string");
    let e = err_text(c.rename::<_, _, ()>("nope", "x").await).await;
    assert_eq!(e, "ERR no such key");
    assert_eq!(
        c.del::<_, i64>(&["renamed", "user:1", "nope"])
            .await
            .unwrap(),
        2
    );
    assert_eq!(cmd("DBSIZE").query_async::<i64>(&mut c).await.unwrap(), 49);
    let random: Option<String> = cmd("RANDOMKEY").query_async(&mut c).await.unwrap();
    assert!(random.unwrap().starts_with("user:"));
}

#[tokio::test]
async fn databases_select_move_copy_swapdb() {
    let server = start().await;
    let mut c = server.client().await;
    let _: () = c.set("k", "in0").await.unwrap();
    let moved: i64 = cmd("MOVE")
        .arg("k")
        .arg(1)
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(moved, 1);
    assert!(!c.exists::<_, bool>("k").await.unwrap());
    let mut pipe = redis::pipe();
    pipe.cmd("SELECT")
        .arg(1)
        .ignore()
        .cmd("GET")
        .arg("k")
        .cmd("COPY")
        .arg("k")
        .arg("k2")
        .arg("DB")
        .arg(2)
        .cmd("SELECT")
        .arg(0)
        .ignore();
    let (v, copied): (String, i64) = pipe.query_async(&mut c).await.unwrap();
    assert_eq!((v.as_str(), copied), ("in0", 1));
    let _: () = cmd("SWAPDB")
        .arg(0)
        .arg(2)
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(c.get::<_, String>("k2").await.unwrap(), "in0");
    let e = err_text(cmd("SELECT").arg(16).query_async::<()>(&mut c).await).await;
    assert_eq!(e, "ERR DB index is out of range");
    let _: () = cmd("FLUSHALL").query_async(&mut c).await.unwrap();
    assert_eq!(cmd("DBSIZE").query_async::<i64>(&mut c).await.unwrap(), 0);
}

#[tokio::test]
async fn unknown_commands_and_wrong_arity_use_redis_words() {
    let server = start().await;
    let mut c = server.client().await;
    let e = err_text(cmd("NOSUCH").arg("a").query_async::<()>(&mut c).await).await;
    assert_eq!(
        e,
        "ERR unknown command 'NOSUCH', with args beginning with: 'a' "
    );
    let e = err_text(cmd("GET").query_async::<()>(&mut c).await).await;
    assert_eq!(e, "ERR wrong number of arguments for 'get' command");
}

#[tokio::test]
async fn requirepass_gates_everything_but_auth() {
    let config = Config {
        requirepass: Some("secret".into()),
        ..Config::default()
    };
    let server = start_with(config).await;
    let mut c = server.client().await;
    let e = err_text(cmd("PING").query_async::<String>(&mut c).await).await;
    assert_eq!(e, "NOAUTH Authentication required.");
    let e = err_text(cmd("AUTH").arg("wrong").query_async::<()>(&mut c).await).await;
    assert!(e.starts_with("WRONGPASS"), "{e}");
    let _: () = cmd("AUTH").arg("secret").query_async(&mut c).await.unwrap();
    assert_eq!(
        cmd("PING").query_async::<String>(&mut c).await.unwrap(),
        "PONG"
    );
}

#[tokio::test]
async fn server_commands_for_tools() {
    let server = start().await;
    let mut c = server.client().await;
    let save: Vec<String> = cmd("CONFIG")
        .arg("GET")
        .arg("save")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(save, vec!["save".to_owned(), String::new()]);
    let _: () = cmd("CONFIG")
        .arg("SET")
        .arg("list-max-listpack-size")
        .arg("4")
        .query_async(&mut c)
        .await
        .unwrap();
    let v: Vec<String> = cmd("CONFIG")
        .arg("GET")
        .arg("list-max-*")
        .query_async(&mut c)
        .await
        .unwrap();
    // A pattern finds the old name (an alias) too, as in Redis.
    assert_eq!(
        v,
        ["list-max-listpack-size", "4", "list-max-ziplist-size", "4"]
    );
    let _: () = c.set("k", 1).await.unwrap();
    let info: String = cmd("INFO").query_async(&mut c).await.unwrap();
    assert!(info.contains("redis_version:7.0.15"), "{info}");
    assert!(info.contains("connected_clients:"), "{info}");
    assert!(info.contains("db0:keys=1,expires=0"), "{info}");
    let keyspace: String = cmd("INFO")
        .arg("keyspace")
        .query_async(&mut c)
        .await
        .unwrap();
    assert!(!keyspace.contains("redis_version"));
    let count: i64 = cmd("COMMAND")
        .arg("COUNT")
        .query_async(&mut c)
        .await
        .unwrap();
    assert!(count > 100);
    let info: Value = cmd("COMMAND")
        .arg("INFO")
        .arg("get")
        .query_async(&mut c)
        .await
        .unwrap();
    assert!(format!("{info:?}").contains("get"));
    let _: () = cmd("FUNCTION")
        .arg("FLUSH")
        .query_async(&mut c)
        .await
        .unwrap();
    let time: Vec<String> = cmd("TIME").query_async(&mut c).await.unwrap();
    assert_eq!(time.len(), 2);
    let hello: Value = cmd("HELLO").arg(2).query_async(&mut c).await.unwrap();
    assert!(format!("{hello:?}").contains("7.0.15"));
    assert_eq!(
        cmd("ECHO")
            .arg("hi")
            .query_async::<String>(&mut c)
            .await
            .unwrap(),
        "hi"
    );
}

/// LCS, with its options, answering what Redis 7.0.15 answers for the same strings.
#[tokio::test]
async fn lcs_finds_the_longest_common_subsequence() {
    use go_redis::resp::Frame;
    let server = start().await;
    let mut s = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let ask = |request: &str| format!("{request}\r\n");
    let got = support::exchange(
        &mut s,
        ask("MSET a ohmytext b mynewtext\r\nLCS a b\r\nLCS a b LEN\r\nLCS a b IDX MINMATCHLEN 4 WITHMATCHLEN\r\nLCS a nokey")
            .as_bytes(),
        5,
    )
    .await;
    let int = Frame::Integer;
    let pair = |a, b| Frame::Array(vec![int(a), int(b)]);
    assert_eq!(
        got,
        vec![
            Frame::Simple("OK".into()),
            Frame::Bulk("mytext".into()),
            int(6),
            Frame::Array(vec![
                Frame::Bulk("matches".into()),
                Frame::Array(vec![Frame::Array(vec![pair(4, 7), pair(5, 8), int(4)])]),
                Frame::Bulk("len".into()),
                int(6),
            ]),
            Frame::Bulk("".into()),
        ]
    );
    let got = support::exchange(&mut s, b"LPUSH l x\r\nLCS a l\r\nLCS a b IDX LEN\r\n", 3).await;
    assert_eq!(
        got[1..],
        [
            Frame::Error("ERR The specified keys must contain string values".into()),
            Frame::Error(
                "ERR If you want both the length and indexes, please just use IDX.".into()
            ),
        ]
    );
}

/// Sends one command whose words may be binary; answers the reply, or the error's text.
async fn ask(c: &mut redis::aio::MultiplexedConnection, words: &[&[u8]]) -> Result<Value, String> {
    let mut command = cmd(std::str::from_utf8(words[0]).expect("a command name is text"));
    for word in &words[1..] {
        command.arg(*word);
    }
    let result: RedisResult<Value> = command.query_async(c).await;
    match result {
        Ok(value) => Ok(value),
        Err(_) => Err(err_text(result).await),
    }
}

/// Splits a request written as text into words (no word here contains a space).
fn words(request: &str) -> Vec<&[u8]> {
    request.split(' ').map(str::as_bytes).collect()
}

/// BITOP, BITPOS, BITCOUNT, BITFIELD and BITFIELD_RO: each reply and error is what Redis 7.0.15
/// answers for the same request (checked side by side with `redis-server`).
#[tokio::test]
async fn bit_commands_answer_like_redis() {
    let server = start().await;
    let mut c = server.client().await;
    let mut binary = c.clone();
    let mut check = async |request: &str, expected: Result<Value, &str>| {
        let got = ask(&mut c, &words(request)).await;
        assert_eq!(got, expected.map_err(str::to_owned), "{request}");
    };
    let int = |n| Ok(Value::Int(n));
    let ints = |ns: &[i64]| Ok(Value::Array(ns.iter().map(|&n| Value::Int(n)).collect()));
    let wrongtype = "WRONGTYPE Operation against a key holding the wrong kind of value";
    check("MSET a foobar b abcdef", Ok(Value::Okay)).await;
    check("LPUSH l x", int(1)).await;
    // BITOP: the reply is the result's length; a missing source is all zeros.
    check("BITOP AND dest a b", int(6)).await;
    check("GET dest", Ok(Value::BulkString(b"`bc`ab".to_vec()))).await;
    check("BITOP OR dest a b nokey", int(6)).await;
    check("GET dest", Ok(Value::BulkString(b"goofev".to_vec()))).await;
    check(
        "BITOP NOT dest a b",
        Err("ERR BITOP NOT must be called with a single source key."),
    )
    .await;
    check("BITOP NAND dest a", Err("ERR syntax error")).await;
    check("BITOP AND dest a l", Err(wrongtype)).await;
    check("BITOP AND dest nokey nokey2", int(0)).await;
    check("EXISTS dest", int(0)).await;
    check("SET t abc EX 100", Ok(Value::Okay)).await;
    check("BITOP OR t a", int(6)).await;
    check("TTL t", int(-1)).await;
    // BITPOS, in bytes and in bits, with and without an explicit end.
    let _: () = redis::AsyncCommands::set(&mut binary, "ff", &b"\xff\xf0\x00"[..])
        .await
        .unwrap();
    let _: () = redis::AsyncCommands::set(&mut binary, "full", &b"\xff\xff"[..])
        .await
        .unwrap();
    check("BITPOS a 1", int(1)).await;
    check("BITPOS a 2", Err("ERR The bit argument must be 1 or 0.")).await;
    check("BITPOS nokey 0", int(0)).await;
    check("BITPOS nokey 1", int(-1)).await;
    check("BITPOS l 1", Err(wrongtype)).await;
    check("BITPOS ff 0", int(12)).await;
    check("BITPOS ff 1 2", int(-1)).await;
    check("BITPOS ff 0 0 0", int(-1)).await;
    check("BITPOS ff 1 1 -1 BIT", int(1)).await;
    check("BITPOS ff 0 3 10 bit", int(-1)).await;
    check("BITPOS ff 1 0 x word", Err("ERR syntax error")).await;
    check("BITPOS full 0", int(16)).await;
    check("BITPOS full 0 0 -1", int(-1)).await;
    check(
        "BITPOS full 0 3 bit",
        Err("ERR value is not an integer or out of range"),
    )
    .await;
    // BITCOUNT, in bytes and (Redis 7) in bits.
    check("BITCOUNT ff 1 1", int(4)).await;
    check("BITCOUNT ff 3 10 BIT", int(8)).await;
    check("BITCOUNT ff -3 -1 bit", int(0)).await;
    check("BITCOUNT ff -1 -3 foo", int(0)).await;
    check("BITCOUNT ff 0 -1 word", Err("ERR syntax error")).await;
    check("BITCOUNT nokey x 1", int(0)).await;
    check("BITCOUNT l x", Err(wrongtype)).await;
    // BITFIELD: every width, #n offsets, and the three overflow modes.
    check("BITFIELD bf SET u8 0 255 GET u8 0", ints(&[0, 255])).await;
    check(
        "BITFIELD bf INCRBY u8 0 10 OVERFLOW SAT INCRBY u8 0 300 OVERFLOW FAIL INCRBY u8 0 1",
        Ok(Value::Array(vec![
            Value::Int(9),
            Value::Int(255),
            Value::Nil,
        ])),
    )
    .await;
    check(
        "BITFIELD bf GET u63 0 GET i64 0",
        ints(&[9187343239835811840, -72057594037927936]),
    )
    .await;
    check(
        "BITFIELD bf SET u8 0 -1 OVERFLOW SAT SET u8 8 -1 SET i8 16 200",
        ints(&[255, 0, 0]),
    )
    .await;
    check("BITFIELD bf SET u8 #2 4 GET u8 16", ints(&[127, 4])).await;
    check("BITFIELD_RO bf GET u8 0 GET i16 4", ints(&[255, -16])).await;
    let type_error = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
    check("BITFIELD bf GET u64 0", Err(type_error)).await;
    check("BITFIELD bf GET I8 0", Err(type_error)).await;
    check(
        "BITFIELD bf GET u8 -1",
        Err("ERR bit offset is not an integer or out of range"),
    )
    .await;
    check(
        "BITFIELD bf GET i64 #67108864",
        Err("ERR bit offset is not an integer or out of range"),
    )
    .await;
    check(
        "BITFIELD bf OVERFLOW bogus GET u8 0",
        Err("ERR Invalid OVERFLOW type specified"),
    )
    .await;
    check("BITFIELD bf SET u8 0", Err("ERR syntax error")).await;
    check(
        "BITFIELD_RO l SET u8 0 1",
        Err("ERR BITFIELD_RO only supports the GET subcommand"),
    )
    .await;
    check("BITFIELD_RO l GET u8 0", Err(wrongtype)).await;
    // A failed write still grows the string to the bits it would reach, as in Redis.
    check(
        "BITFIELD nofail OVERFLOW FAIL INCRBY u2 100 5",
        Ok(Value::Array(vec![Value::Nil])),
    )
    .await;
    check("STRLEN nofail", int(13)).await;
}

/// COPY, MOVE, SELECT and SWAPDB read database indexes as Redis reads a C `int`, with its
/// error words; COPY copies every type, keeps the TTL, and REPLACE overwrites.
#[tokio::test]
async fn copy_and_database_index_errors_match_redis() {
    let server = start().await;
    let mut c = server.client().await;
    let range = "ERR value is out of range, value must between -2147483648 and 2147483647";
    let cases: [(&str, Result<Value, &str>); 16] = [
        ("SET a 1 EX 100", Ok(Value::Okay)),
        ("COPY a b", Ok(Value::Int(1))),
        ("COPY a b", Ok(Value::Int(0))),
        ("COPY a b REPLACE", Ok(Value::Int(1))),
        (
            "COPY a a",
            Err("ERR source and destination objects are the same"),
        ),
        ("COPY a a DB 1", Ok(Value::Int(1))),
        ("COPY a b DB 16", Err("ERR DB index is out of range")),
        ("COPY a b DB 99999999999", Err(range)),
        ("COPY a b DB", Err("ERR syntax error")),
        ("MOVE a 99999999999", Err(range)),
        ("SELECT 99999999999", Err(range)),
        ("SWAPDB 99999999999 1", Err("ERR invalid first DB index")),
        ("SWAPDB 1 x", Err("ERR invalid second DB index")),
        ("RPUSH l 1 2", Ok(Value::Int(2))),
        ("COPY l a", Ok(Value::Int(0))),
        ("COPY l a REPLACE", Ok(Value::Int(1))),
    ];
    for (request, expected) in cases {
        let got = ask(&mut c, &words(request)).await;
        assert_eq!(got, expected.map_err(str::to_owned), "{request}");
    }
    let ttl: i64 = c.ttl("b").await.unwrap();
    assert!(ttl > 0, "COPY keeps the TTL");
    assert_eq!(
        c.lrange::<_, Vec<String>>("a", 0, -1).await.unwrap(),
        ["1", "2"]
    );
    for (key, kind) in [("h", "hash"), ("s", "set"), ("z", "zset")] {
        let _: () = match kind {
            "hash" => c.hset(key, "f", "v").await.unwrap(),
            "set" => c.sadd(key, "m").await.unwrap(),
            _ => c.zadd(key, "m", 1).await.unwrap(),
        };
        let copied: i64 = cmd("COPY")
            .arg(key)
            .arg("copy")
            .arg("DB")
            .arg(1)
            .arg("REPLACE")
            .query_async(&mut c)
            .await
            .unwrap();
        assert_eq!(copied, 1, "{kind}");
        let _: () = cmd("SELECT").arg(1).query_async(&mut c).await.unwrap();
        let got: String = cmd("TYPE").arg("copy").query_async(&mut c).await.unwrap();
        assert_eq!(got, kind);
        let _: () = cmd("SELECT").arg(0).query_async(&mut c).await.unwrap();
    }
}

/// Asserts that CONFIG GET answers each `(name, value)` pair as given.
async fn assert_config_get(stream: &mut tokio::net::TcpStream, expected: &[(&str, &str)]) {
    for (name, value) in expected {
        let got = call(stream, &format!("CONFIG GET {name}")).await;
        assert_eq!(
            got,
            go_redis::resp::Frame::Array(vec![support::bulk(name), support::bulk(value)]),
            "{name}"
        );
    }
}

/// One request over a raw socket, inline syntax, and its one reply.
async fn call(stream: &mut tokio::net::TcpStream, request: &str) -> go_redis::resp::Frame {
    let mut frames = support::exchange(stream, format!("{request}\r\n").as_bytes(), 1).await;
    assert_eq!(frames.len(), 1, "no reply to {request}");
    frames.remove(0)
}

fn text(frame: &go_redis::resp::Frame) -> String {
    use go_redis::resp::Frame;
    match frame {
        Frame::Simple(s) | Frame::Error(s) => s.clone(),
        Frame::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
        Frame::Integer(n) => n.to_string(),
        other => format!("{other:?}"),
    }
}

/// CLIENT LIST describes every connected client with Redis 7.0's fields, and CLIENT KILL
/// closes another client's connection at once, even one sitting idle, with Redis's
/// errors for bad filters.
#[tokio::test]
async fn client_list_describes_everyone_and_kill_closes_an_idle_client() {
    use tokio::net::TcpStream;
    let server = start().await;
    let mut me = TcpStream::connect(server.addr).await.unwrap();
    let mut other = TcpStream::connect(server.addr).await.unwrap();
    assert_eq!(text(&call(&mut other, "CLIENT SETNAME second").await), "OK");
    let other_id = text(&call(&mut other, "CLIENT ID").await);
    assert_eq!(text(&call(&mut me, "CLIENT SETNAME first").await), "OK");
    assert_eq!(text(&call(&mut me, "CLIENT GETNAME").await), "first");
    let list = text(&call(&mut me, "CLIENT LIST").await);
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 2, "{list}");
    let mine = lines.iter().find(|l| l.contains("name=first")).unwrap();
    for field in [
        "id=",
        " addr=127.0.0.1:",
        " laddr=127.0.0.1:",
        " fd=",
        " age=",
        " idle=",
        " flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=",
        " obl=0 oll=0 omem=0 ",
        " events=r cmd=client|list user=default redir=-1 resp=2",
    ] {
        assert!(mine.contains(field), "{field:?} missing in {mine}");
    }
    let theirs = lines.iter().find(|l| l.contains("name=second")).unwrap();
    assert!(theirs.starts_with(&format!("id={other_id} ")), "{theirs}");
    assert!(theirs.contains(" cmd=client|id "), "{theirs}");
    let info = text(&call(&mut me, "CLIENT INFO").await);
    assert!(
        info.contains("name=first") && info.contains("cmd=client|info"),
        "{info}"
    );
    let only = text(&call(&mut me, &format!("CLIENT LIST ID {other_id}")).await);
    assert!(
        only.contains("name=second") && !only.contains("name=first"),
        "{only}"
    );

    for (request, error) in [
        (
            "CLIENT KILL",
            "ERR wrong number of arguments for 'client|kill' command",
        ),
        ("CLIENT KILL ID 10 wrong_arg", "ERR syntax error"),
        ("CLIENT KILL ID 0", "ERR client-id should be greater than 0"),
        (
            "CLIENT KILL TYPE wrong_type",
            "ERR Unknown client type 'wrong_type'",
        ),
        ("CLIENT KILL USER nobody", "ERR No such user 'nobody'"),
        ("CLIENT KILL SKIPME maybe", "ERR syntax error"),
        ("CLIENT KILL 10.0.0.1:1", "ERR No such client"),
        (
            "CLIENT FOO",
            "ERR unknown subcommand 'FOO'. Try CLIENT HELP.",
        ),
        (
            "CLIENT PAUSE 10 NEVER",
            "ERR CLIENT PAUSE mode must be WRITE or ALL",
        ),
        ("CLIENT PAUSE -1", "ERR timeout is negative"),
    ] {
        assert_eq!(text(&call(&mut me, request).await), error, "{request}");
    }
    let e = text(&call(&mut me, "*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$3\r\na b").await);
    assert_eq!(
        e,
        "ERR Client names cannot contain spaces, newlines or special characters."
    );

    // The other client sits idle in a read: KILL still closes it at once.
    let killed = text(&call(&mut me, &format!("CLIENT KILL ID {other_id}")).await);
    assert_eq!(killed, "1");
    assert!(
        support::is_closed(&mut other).await,
        "killed client still open"
    );
    let list = text(&call(&mut me, "CLIENT LIST").await);
    assert!(!list.contains("name=second"), "{list}");
    // SKIPME no: this client kills itself, after the reply.
    assert_eq!(text(&call(&mut me, "CLIENT KILL SKIPME no").await), "1");
    assert!(support::is_closed(&mut me).await);
}

/// CLIENT PAUSE WRITE holds writes (not reads) until CLIENT UNPAUSE, then runs them; no
/// thread sleeps meanwhile, so other clients are served.
#[tokio::test]
async fn client_pause_write_holds_writes_until_unpause() {
    use tokio::net::TcpStream;
    let server = start().await;
    let mut admin = TcpStream::connect(server.addr).await.unwrap();
    let mut writer = TcpStream::connect(server.addr).await.unwrap();
    let writer_id = text(&call(&mut writer, "CLIENT ID").await);
    assert_eq!(
        text(&call(&mut admin, "CLIENT PAUSE 100000 WRITE").await),
        "OK"
    );
    use tokio::io::AsyncWriteExt;
    writer.write_all(b"SET k v\r\nGET k\r\n").await.unwrap();
    // Wait until the server has the SET in hand (CLIENT LIST shows it as the command).
    loop {
        let me = text(&call(&mut admin, &format!("CLIENT LIST ID {writer_id}")).await);
        if me.contains("cmd=set") {
            break;
        }
        tokio::task::yield_now().await;
    }
    // Reads go on; the held SET has not run.
    assert_eq!(call(&mut admin, "GET k").await, go_redis::resp::Frame::Null);
    assert_eq!(text(&call(&mut admin, "CLIENT UNPAUSE").await), "OK");
    let replies = support::read_frames(&mut writer, 2).await;
    assert_eq!(replies, vec![support::simple("OK"), support::bulk("v")]);
    // A short ALL pause ends by itself, and the held command then runs.
    assert_eq!(text(&call(&mut admin, "CLIENT PAUSE 20 ALL").await), "OK");
    assert_eq!(text(&call(&mut writer, "PING").await), "PONG");
}

/// CLIENT REPLY OFF silences replies until ON; SKIP drops only the next one.
#[tokio::test]
async fn client_reply_off_and_skip() {
    let server = start().await;
    let mut s = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let got = support::exchange(
        &mut s,
        b"CLIENT REPLY OFF\r\nPING a\r\nCLIENT REPLY ON\r\nPING b\r\nCLIENT REPLY SKIP\r\nPING c\r\nPING d\r\n",
        3,
    )
    .await;
    assert_eq!(
        got,
        vec![
            support::simple("OK"),
            support::bulk("b"),
            support::bulk("d")
        ]
    );
}

/// MONITOR streams every command other clients run (not administrative ones), as
/// Redis's `+<time> [<db> <addr>] "cmd" "arg"` lines.
#[tokio::test]
async fn monitor_streams_the_commands_of_other_clients() {
    use tokio::net::TcpStream;
    let server = start().await;
    let mut watcher = TcpStream::connect(server.addr).await.unwrap();
    assert_eq!(call(&mut watcher, "MONITOR").await, support::simple("OK"));
    let mut c = TcpStream::connect(server.addr).await.unwrap();
    call(&mut c, "CONFIG GET maxclients").await; // administrative: not shown
    call(&mut c, "SET foo \"a b\"").await;
    call(&mut c, "GET foo").await;
    let lines = support::read_frames(&mut watcher, 2).await;
    let lines: Vec<String> = lines.iter().map(text).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].ends_with("\"SET\" \"foo\" \"a b\""), "{lines:?}");
    assert!(lines[0].contains(" [0 127.0.0.1:"), "{lines:?}");
    assert!(lines[1].ends_with("\"GET\" \"foo\""), "{lines:?}");
}

/// CONFIG SET checks every name before any value, and answers Redis's errors: immutable
/// parameters, a parameter given twice, a bad percentage, a port in use; nothing changes
/// on an error. CONFIG GET shows aliases by pattern and hidden parameters only by name.
#[tokio::test]
async fn config_set_and_get_check_like_redis() {
    use tokio::net::TcpStream;
    let server = start().await;
    let mut c = TcpStream::connect(server.addr).await.unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_port = taken.local_addr().unwrap().port();
    for (request, error) in [
        (
            "CONFIG SET daemonize yes".to_owned(),
            "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config",
        ),
        (
            "CONFIG SET maxmemory 10000001 maxmemory 10000002".to_owned(),
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - duplicate parameter",
        ),
        (
            "CONFIG SET maxmemory 10000001 maxmemory-clients 200% client-query-buffer-limit x"
                .to_owned(),
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - percentage argument must be less or equal to 100",
        ),
        (
            format!("CONFIG SET maxmemory 10000001 port {taken_port}"),
            "ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs.",
        ),
    ] {
        assert_eq!(text(&call(&mut c, &request).await), error, "{request}");
    }
    // Rolled back: maxmemory kept its value.
    let got = call(&mut c, "CONFIG GET maxmemory").await;
    assert_eq!(
        got,
        go_redis::resp::Frame::Array(vec![support::bulk("maxmemory"), support::bulk("0")])
    );
    // Setting the port it already has is fine (CONFIG SET of CONFIG GET * round-trips).
    let port = match call(&mut c, "CONFIG GET port").await {
        go_redis::resp::Frame::Array(pair) => text(&pair[1]),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        text(&call(&mut c, &format!("CONFIG SET port {port} maxmemory 5mb")).await),
        "OK"
    );
    let all = format!("{:?}", call(&mut c, "CONFIG GET *of").await);
    assert!(
        all.contains("replicaof") && all.contains("slaveof"),
        "{all}"
    );
    let all = format!("{:?}", call(&mut c, "CONFIG GET *").await);
    assert!(!all.contains("key-load-delay"), "hidden parameter listed");
    let hidden = call(&mut c, "CONFIG GET key-load-delay").await;
    assert_eq!(
        hidden,
        go_redis::resp::Frame::Array(vec![support::bulk("key-load-delay"), support::bulk("0")])
    );
    drop(taken);
}

/// COMMAND GETKEYS finds the keys of a request, numkeys and STORE included; COMMAND LIST
/// lists subcommands and filters; COMMAND INFO marks the movable-key commands.
#[tokio::test]
async fn command_getkeys_and_list() {
    use go_redis::resp::Frame;
    use tokio::net::TcpStream;
    let server = start().await;
    let mut c = TcpStream::connect(server.addr).await.unwrap();
    let bulks = |items: &[&str]| Frame::Array(items.iter().map(|s| support::bulk(s)).collect());
    assert_eq!(
        call(&mut c, "COMMAND GETKEYS get key").await,
        bulks(&["key"])
    );
    assert_eq!(
        call(&mut c, "COMMAND GETKEYS zunionstore dst 2 a b WEIGHTS 1 2").await,
        bulks(&["dst", "a", "b"])
    );
    assert_eq!(
        call(&mut c, "COMMAND GETKEYS sort k1 BY w* STORE k2").await,
        bulks(&["k1", "k2"])
    );
    assert_eq!(
        text(&call(&mut c, "COMMAND GETKEYS ping").await),
        "ERR The command has no key arguments"
    );
    assert_eq!(
        text(&call(&mut c, "COMMAND GETKEYS nosuch a").await),
        "ERR Invalid command specified"
    );
    let list = format!("{:?}", call(&mut c, "COMMAND LIST").await);
    assert!(
        list.contains("\"client|list\"") && list.contains("\"set\""),
        "{list}"
    );
    assert_eq!(
        call(&mut c, "COMMAND LIST FILTERBY PATTERN config|*re*").await,
        bulks(&["config|resetstat", "config|rewrite"])
    );
    assert_eq!(
        text(&call(&mut c, "COMMAND LIST FILTERBY bad").await),
        "ERR syntax error"
    );
    let info = format!("{:?}", call(&mut c, "COMMAND INFO zunionstore get").await);
    assert_eq!(info.matches("movablekeys").count(), 1, "{info}");
    // A subcommand has an entry of its own, named as COMMAND LIST names it; an unknown
    // one is nil, as in Redis.
    let Frame::Array(entries) = call(&mut c, "COMMAND INFO CONFIG|GET config|nope nope|x").await
    else {
        panic!("COMMAND INFO answers an array");
    };
    let Some(Frame::Array(entry)) = entries.first() else {
        panic!("{entries:?}");
    };
    assert_eq!(
        entry[..2],
        [support::bulk("config|get"), Frame::Integer(-3)]
    );
    assert_eq!(entries[1..], [Frame::NullArray, Frame::NullArray]);
}

/// The `name:value` field of an INFO reply, if it is there.
fn info_field(info: &str, name: &str) -> Option<String> {
    info.lines()
        .find_map(|line| line.strip_prefix(&format!("{name}:")))
        .map(|v| v.trim().to_owned())
}

/// CONFIG RESETSTAT zeroes what INFO counts since start (commands, per-command calls,
/// connections received and rejected, expired keys), as Redis's `resetServerStats` and
/// `resetCommandTableStats` do, and keeps what describes now (connected clients).
/// INFO counts error replies as Redis does: per command, a call that ran and answered an
/// error is a failed call, one refused before it ran (arity, NOAUTH) a rejected call; and
/// every error reply by its first word (errorstats, total_error_replies). RESETSTAT zeroes
/// them.
#[tokio::test]
async fn failed_and_rejected_calls_and_error_replies_are_counted() {
    use tokio::net::TcpStream;
    let server = start().await;
    let mut c = TcpStream::connect(server.addr).await.unwrap();
    call(&mut c, "LPUSH l a").await;
    assert!(text(&call(&mut c, "GET l").await).starts_with("WRONGTYPE"));
    assert!(text(&call(&mut c, "GET").await).starts_with("ERR wrong number"));
    call(&mut c, "GET k").await;
    assert!(text(&call(&mut c, "NOSUCH x").await).starts_with("ERR unknown command"));
    let info = text(&call(&mut c, "INFO everything").await);
    assert!(
        info.contains(
            "\r\ncmdstat_get:calls=2,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=1\r\n"
        ),
        "{info}"
    );
    assert!(
        info.contains("\r\nerrorstat_WRONGTYPE:count=1\r\n"),
        "{info}"
    );
    assert!(info.contains("\r\nerrorstat_ERR:count=2\r\n"), "{info}");
    assert_eq!(
        info_field(&info, "total_error_replies").as_deref(),
        Some("3")
    );
    // Read lookups: `GET l` found its key (then refused its type), `GET k` did not; the
    // write (LPUSH) and the refused `GET` looked nothing up as a read.
    assert_eq!(info_field(&info, "keyspace_hits").as_deref(), Some("1"));
    assert_eq!(info_field(&info, "keyspace_misses").as_deref(), Some("1"));
    call(&mut c, "CONFIG RESETSTAT").await;
    let info = text(&call(&mut c, "INFO everything").await);
    assert!(!info.contains("errorstat_"), "{info}");
    assert_eq!(
        info_field(&info, "total_error_replies").as_deref(),
        Some("0")
    );
    assert_eq!(info_field(&info, "keyspace_hits").as_deref(), Some("0"));
}

#[tokio::test]
async fn config_resetstat_zeroes_the_counters_info_shows() {
    use tokio::net::TcpStream;
    let server = start().await;
    let mut c = TcpStream::connect(server.addr).await.unwrap();
    call(&mut c, "SET k v").await;
    for _ in 0..3 {
        call(&mut c, "GET k").await;
    }
    // An expired key, counted when active expiry (ten times a second) removes it: poll
    // INFO until it has, without touching the key.
    call(&mut c, "SET gone v PX 1").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let stats = text(&call(&mut c, "INFO stats").await);
        if info_field(&stats, "expired_keys").as_deref() == Some("1") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the key never expired"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    // A connection over maxclients is rejected and counted.
    call(&mut c, "CONFIG SET maxclients 1").await;
    let mut refused = TcpStream::connect(server.addr).await.unwrap();
    let frames = support::read_frames(&mut refused, 1).await;
    assert_eq!(text(&frames[0]), "ERR max number of clients reached");
    call(&mut c, "CONFIG SET maxclients 10000").await;
    let before = text(&call(&mut c, "INFO everything").await);
    assert_eq!(info_field(&before, "expired_keys").as_deref(), Some("1"));
    assert_eq!(
        info_field(&before, "rejected_connections").as_deref(),
        Some("1")
    );
    assert_eq!(
        info_field(&before, "total_connections_received").as_deref(),
        Some("1")
    );
    assert!(before.contains("\r\ncmdstat_get:calls=3,"), "{before}");
    // As in Redis, the last line ends in CRLF too (the test suite's `cmdstat` needs it).
    assert!(
        before.ends_with("\r\n") && !before.ends_with("\r\n\r\n"),
        "{before:?}"
    );

    assert_eq!(text(&call(&mut c, "CONFIG RESETSTAT").await), "OK");
    let after = text(&call(&mut c, "INFO everything").await);
    for (field, value) in [
        ("expired_keys", "0"),
        ("rejected_connections", "0"),
        ("total_connections_received", "0"),
        // RESETSTAT zeroed it, then counted itself once done; as in Redis, INFO counts
        // only after it has answered.
        ("total_commands_processed", "1"),
        ("connected_clients", "1"), // a gauge of now: kept
        ("aof_rewrites", "0"),
    ] {
        assert_eq!(info_field(&after, field).as_deref(), Some(value), "{field}");
    }
    assert!(!after.contains("cmdstat_get"), "{after}");
    assert!(!after.contains("cmdstat_set"), "{after}");
    assert_eq!(
        text(&call(&mut c, "CONFIG RESETSTAT now").await),
        "ERR wrong number of arguments for 'config|resetstat' command"
    );
}

/// A fresh directory for one test's config file.
fn temp_dir(test: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("go-redis-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a temp dir");
    dir
}

/// CONFIG REWRITE edits the config file the server started from, as Redis's
/// `rewriteConfig` does: comments and blank lines stay, lines of the directives in the
/// file get the current values, a leftover `save` line is blanked, changed directives
/// the file lacks come after `# Generated by CONFIG REWRITE`. A server started again from
/// the file has the new values. Without a file, or when the file cannot be written, the
/// reply is Redis's error.
#[tokio::test]
async fn config_rewrite_keeps_the_file_and_a_restart_reads_the_new_values() {
    use tokio::net::TcpStream;
    let dir = temp_dir("config-rewrite");
    let path = dir.join("redis.conf");
    // `dir` keeps the snapshot a shutdown with save points writes in the test's directory.
    let original = format!(
        "# my test server\ndir {}\nmaxmemory 1mb\n\n# snapshots\nsave 900 1\nsave 300 10\nhz 10\n",
        dir.display()
    );
    std::fs::write(&path, &original).unwrap();
    let config = Config::from_args([path.display().to_string()]).expect("the file parses");
    let mut server = start_with(config).await;
    let mut c = TcpStream::connect(server.addr).await.unwrap();
    let info = text(&call(&mut c, "INFO server").await);
    assert_eq!(
        info_field(&info, "config_file"),
        Some(path.display().to_string())
    );
    for set in [
        "CONFIG SET maxmemory 2mb",
        "CONFIG SET save \"3600 1\"",
        "CONFIG SET maxclients 123",
        "CONFIG SET requirepass \"s3 cret\"",
    ] {
        assert_eq!(text(&call(&mut c, set).await), "OK", "{set}");
    }
    assert_eq!(text(&call(&mut c, "CONFIG REWRITE").await), "OK");
    let written = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        written,
        format!(
            "# my test server\ndir {}\nmaxmemory 2mb\n\n# snapshots\nsave 3600 1\n\nhz 10\n\n\
             # Generated by CONFIG REWRITE\nrequirepass \"s3 cret\"\nmaxclients 123\n",
            dir.display()
        )
    );
    drop(c);
    drop(server.stop.take());
    let _ = (&mut server.task).await;

    // Started again from the rewritten file: the values CONFIG SET gave.
    let config = Config::from_args([path.display().to_string()]).expect("the new file parses");
    let server = start_with(config).await;
    let mut c = TcpStream::connect(server.addr).await.unwrap();
    assert_eq!(text(&call(&mut c, "AUTH \"s3 cret\"").await), "OK");
    assert_config_get(
        &mut c,
        &[
            ("maxmemory", "2mb"),
            ("save", "3600 1"),
            ("maxclients", "123"),
            ("hz", "10"),
        ],
    )
    .await;
    // The file's directory is gone: Redis's error, with strerror's words.
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(
        text(&call(&mut c, "CONFIG REWRITE").await),
        "ERR Rewriting config file: No such file or directory"
    );
    // A server started without a file has nothing to rewrite.
    let plain = start().await;
    let mut p = TcpStream::connect(plain.addr).await.unwrap();
    assert_eq!(
        text(&call(&mut p, "CONFIG REWRITE").await),
        "ERR The server is running without a config file"
    );
}

/// Redis reads what go-redis writes: a config file rewritten by CONFIG REWRITE starts the
/// real `redis-server` 7.0.15 with the values CONFIG SET gave (skipped with a printed
/// "SKIPPED: ..." without redis-tools).
#[tokio::test]
async fn real_redis_starts_from_a_config_file_go_redis_rewrote() {
    use tokio::net::TcpStream;
    let Some(binary) = support::real_redis_server() else {
        println!("SKIPPED: no redis-server (install redis-tools)");
        return;
    };
    let dir = temp_dir("config-rewrite-real");
    let path = dir.join("redis.conf");
    let original = format!(
        "# read by both servers\ndir {}\nsave 900 1\n",
        dir.display()
    );
    std::fs::write(&path, original).unwrap();
    let config = Config::from_args([path.display().to_string()]).expect("the file parses");
    let mut server = start_with(config).await;
    let mut c = TcpStream::connect(server.addr).await.unwrap();
    for set in [
        "CONFIG SET save \"3600 1 300 100\"",
        "CONFIG SET maxclients 123",
        "CONFIG SET hz 20",
    ] {
        assert_eq!(text(&call(&mut c, set).await), "OK", "{set}");
    }
    assert_eq!(text(&call(&mut c, "CONFIG REWRITE").await), "OK");
    drop(c);
    drop(server.stop.take());
    let _ = (&mut server.task).await;

    let (mut child, port) = support::spawn_on_free_port(|port| {
        let mut command = std::process::Command::new(&binary);
        command
            .arg(&path)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        command
    });
    let mut real = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    assert_config_get(
        &mut real,
        &[
            ("save", "3600 1 300 100"),
            ("maxclients", "123"),
            ("hz", "20"),
        ],
    )
    .await;
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

// Regression tests for bugs of the original Go code (book appendix: Go bugs). Each
// request's expected reply was read from Redis 7.0.15.

/// godis answers a negative SETRANGE offset by indexing its byte slice at -1, a panic;
/// Redis answers an error and the server goes on.
#[tokio::test]
async fn go_bug_setrange_negative_offset() {
    let server = start().await;
    let mut s = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    assert_eq!(
        text(&call(&mut s, "SETRANGE k -1 x").await),
        "ERR offset is out of range"
    );
    assert_eq!(call(&mut s, "PING").await, support::simple("PONG"));
}

/// godis's SETBIT error ends in a newline inside the error line, which breaks the RESP
/// stream; the reply must be exactly one line.
#[tokio::test]
async fn go_bug_setbit_error_is_one_line() {
    let server = start().await;
    let mut s = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    s.write_all(b"SETBIT k 0 2\r\nPING\r\n").await.unwrap();
    let want = b"-ERR bit is not an integer or out of range\r\n+PONG\r\n";
    let mut got = vec![0u8; want.len()];
    s.read_exact(&mut got).await.unwrap();
    assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(want));
}

/// godis answers GETRANGE of a missing key with a null; Redis with an empty string.
#[tokio::test]
async fn go_bug_getrange_of_a_missing_key_is_empty() {
    let server = start().await;
    let mut s = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    assert_eq!(call(&mut s, "GETRANGE nokey 0 -1").await, support::bulk(""));
}

/// godis answers BITPOS of a missing key -1 for both bits; Redis answers 0 when looking
/// for a 0 bit (a missing key is all zeros).
#[tokio::test]
async fn go_bug_bitpos_zero_in_a_missing_key() {
    let server = start().await;
    let mut s = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    assert_eq!(text(&call(&mut s, "BITPOS nokey 0").await), "0");
    assert_eq!(text(&call(&mut s, "BITPOS nokey 1").await), "-1");
}

/// godis stores INCRBYFLOAT's argument text as is on a missing key (`5.0e3` stays
/// `5.0e3`, `1.50` stays `1.50`), refuses hexadecimal, and adds in exact decimal where
/// Redis adds in a `long double` (`1e20 + 0.1`); Redis's digits are the contract.
#[tokio::test]
async fn go_bug_incrbyfloat_prints_redis_digits() {
    let server = start().await;
    let mut s = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    for (key, increment, want) in [
        ("a", "5.0e3", "5000"),
        ("b", "1.50", "1.5"),
        ("c", "0x10", "16"),
    ] {
        let got = call(&mut s, &format!("INCRBYFLOAT {key} {increment}")).await;
        assert_eq!(got, support::bulk(want), "{increment}");
    }
    call(&mut s, "SET d 1e20").await;
    assert_eq!(
        call(&mut s, "INCRBYFLOAT d 0.1").await,
        support::bulk("100000000000000000000")
    );
}
