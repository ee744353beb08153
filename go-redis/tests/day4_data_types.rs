//! Day 4 acceptance tests, through the `redis` crate: lists, hashes, sets, sorted sets and
//! TTL (lazy and active expiry).

mod support;

use std::time::Duration;

use redis::{AsyncCommands, cmd};
use support::start;

#[tokio::test]
async fn lists_push_pop_range_and_friends() {
    let server = start().await;
    let mut c = server.client().await;
    assert_eq!(
        c.rpush::<_, _, i64>("l", &["a", "b", "c"]).await.unwrap(),
        3
    );
    assert_eq!(c.lpush::<_, _, i64>("l", "z").await.unwrap(), 4);
    assert_eq!(
        c.lrange::<_, Vec<String>>("l", 0, -1).await.unwrap(),
        ["z", "a", "b", "c"]
    );
    assert_eq!(
        c.lrange::<_, Vec<String>>("l", -2, 100).await.unwrap(),
        ["b", "c"]
    );
    assert_eq!(c.lindex::<_, String>("l", -1).await.unwrap(), "c");
    let popped: Vec<String> = cmd("LPOP")
        .arg("l")
        .arg(2)
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(popped, ["z", "a"]);
    assert_eq!(
        c.linsert_before::<_, _, _, i64>("l", "c", "x")
            .await
            .unwrap(),
        3
    );
    let pos: i64 = cmd("LPOS")
        .arg("l")
        .arg("c")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(pos, 2);
    let moved: String = cmd("LMOVE")
        .arg("l")
        .arg("dst")
        .arg("LEFT")
        .arg("RIGHT")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(moved, "b");
    let _: () = c.ltrim("l", 0, 0).await.unwrap();
    assert_eq!(c.lrange::<_, Vec<String>>("l", 0, -1).await.unwrap(), ["x"]);
    assert_eq!(c.rpop::<_, String>("l", None).await.unwrap(), "x");
    assert!(
        !c.exists::<_, bool>("l").await.unwrap(),
        "an emptied list is deleted"
    );
}

#[tokio::test]
async fn hashes() {
    let server = start().await;
    let mut c = server.client().await;
    assert_eq!(
        c.hset_multiple::<_, _, _, String>("h", &[("a", "1"), ("b", "2")])
            .await
            .unwrap(),
        "OK"
    );
    assert_eq!(c.hget::<_, _, String>("h", "a").await.unwrap(), "1");
    assert_eq!(c.hincr::<_, _, _, i64>("h", "a", 41).await.unwrap(), 42);
    assert_eq!(c.hlen::<_, i64>("h").await.unwrap(), 2);
    let mut all: Vec<(String, String)> = c.hgetall("h").await.unwrap();
    all.sort();
    assert_eq!(all, [("a".into(), "42".into()), ("b".into(), "2".into())]);
    assert_eq!(c.hdel::<_, _, i64>("h", &["a", "nope"]).await.unwrap(), 1);
    assert!(!c.hexists::<_, _, bool>("h", "a").await.unwrap());
    let _: () = c.hset("h", "s", "x").await.unwrap();
    let e = c.hincr::<_, _, _, i64>("h", "s", 1).await.unwrap_err();
    assert_eq!(e.detail(), Some("hash value is not an integer"));
}

#[tokio::test]
async fn sets_and_their_algebra() {
    let server = start().await;
    let mut c = server.client().await;
    assert_eq!(c.sadd::<_, _, i64>("a", &["1", "2", "3"]).await.unwrap(), 3);
    assert_eq!(c.sadd::<_, _, i64>("b", &["2", "3", "4"]).await.unwrap(), 3);
    let mut inter: Vec<String> = c.sinter(&["a", "b"]).await.unwrap();
    inter.sort();
    assert_eq!(inter, ["2", "3"]);
    let mut union: Vec<String> = c.sunion(&["a", "b"]).await.unwrap();
    union.sort();
    assert_eq!(union, ["1", "2", "3", "4"]);
    let diff: Vec<String> = c.sdiff(&["a", "b"]).await.unwrap();
    assert_eq!(diff, ["1"]);
    assert_eq!(
        c.sinterstore::<_, _, i64>("dst", &["a", "b"])
            .await
            .unwrap(),
        2
    );
    assert!(c.sismember::<_, _, bool>("dst", "2").await.unwrap());
    assert!(c.smove::<_, _, _, bool>("a", "b", "1").await.unwrap());
    assert_eq!(c.scard::<_, i64>("b").await.unwrap(), 4);
    let popped: Vec<String> = cmd("SPOP")
        .arg("b")
        .arg(10)
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(popped.len(), 4);
    assert!(!c.exists::<_, bool>("b").await.unwrap());
}

#[tokio::test]
async fn sorted_sets_ranges_ranks_and_flags() {
    let server = start().await;
    let mut c = server.client().await;
    let added: i64 = c
        .zadd_multiple("z", &[(1, "a"), (2, "b"), (3, "c"), (4, "d")])
        .await
        .unwrap();
    assert_eq!(added, 4);
    assert_eq!(
        c.zrange::<_, Vec<String>>("z", 0, -1).await.unwrap(),
        ["a", "b", "c", "d"]
    );
    let with: Vec<(String, f64)> = c.zrange_withscores("z", 0, 1).await.unwrap();
    assert_eq!(with, [("a".into(), 1.0), ("b".into(), 2.0)]);
    assert_eq!(c.zrank::<_, _, i64>("z", "c").await.unwrap(), 2);
    assert_eq!(c.zrevrank::<_, _, i64>("z", "c").await.unwrap(), 1);
    let by_score: Vec<String> = cmd("ZRANGE")
        .arg("z")
        .arg("(1")
        .arg("+inf")
        .arg("BYSCORE")
        .arg("LIMIT")
        .arg(1)
        .arg(2)
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(by_score, ["c", "d"]);
    let rev: Vec<String> = cmd("ZRANGE")
        .arg("z")
        .arg(3)
        .arg(2)
        .arg("BYSCORE")
        .arg("REV")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(rev, ["c", "b"]);
    assert_eq!(c.zcount::<_, _, _, i64>("z", 2, 3).await.unwrap(), 2);
    // GT only raises scores; CH counts changed members.
    let changed: i64 = cmd("ZADD")
        .arg("z")
        .arg("GT")
        .arg("CH")
        .arg(0)
        .arg("a")
        .arg(10)
        .arg("b")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(changed, 1);
    assert_eq!(c.zscore::<_, _, f64>("z", "b").await.unwrap(), 10.0);
    let inc: f64 = cmd("ZADD")
        .arg("z")
        .arg("INCR")
        .arg(0.5)
        .arg("a")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(inc, 1.5);
    let popped: Vec<(String, f64)> = cmd("ZPOPMIN").arg("z").query_async(&mut c).await.unwrap();
    assert_eq!(popped, [("a".into(), 1.5)]);
    assert_eq!(
        c.zrembyscore::<_, _, _, i64>("z", "-inf", 3).await.unwrap(),
        1
    );
    assert_eq!(c.zcard::<_, i64>("z").await.unwrap(), 2);
    let _: () = c
        .zadd_multiple("lex", &[(0, "a"), (0, "b"), (0, "c")])
        .await
        .unwrap();
    let lex: Vec<String> = cmd("ZRANGEBYLEX")
        .arg("lex")
        .arg("(a")
        .arg("[c")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(lex, ["b", "c"]);
    let e = cmd("ZADD")
        .arg("z")
        .arg("nan")
        .arg("x")
        .query_async::<i64>(&mut c)
        .await
        .unwrap_err();
    assert_eq!(e.detail(), Some("value is not a valid float"));
}

#[tokio::test]
async fn ttl_commands_and_options() {
    let server = start().await;
    let mut c = server.client().await;
    let _: () = c.set("k", "v").await.unwrap();
    assert_eq!(c.ttl::<_, i64>("k").await.unwrap(), -1);
    assert_eq!(c.ttl::<_, i64>("missing").await.unwrap(), -2);
    assert!(c.expire::<_, bool>("k", 100).await.unwrap());
    let ttl: i64 = c.ttl("k").await.unwrap();
    assert!((99..=100).contains(&ttl));
    // NX refuses (there is a TTL), GT refuses a smaller one, LT accepts it.
    let nx: i64 = cmd("EXPIRE")
        .arg("k")
        .arg(50)
        .arg("NX")
        .query_async(&mut c)
        .await
        .unwrap();
    let gt: i64 = cmd("EXPIRE")
        .arg("k")
        .arg(50)
        .arg("GT")
        .query_async(&mut c)
        .await
        .unwrap();
    let lt: i64 = cmd("EXPIRE")
        .arg("k")
        .arg(50)
        .arg("LT")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!((nx, gt, lt), (0, 0, 1));
    let at: i64 = cmd("PEXPIRETIME")
        .arg("k")
        .query_async(&mut c)
        .await
        .unwrap();
    assert!(at > 1_700_000_000_000);
    assert!(c.persist::<_, bool>("k").await.unwrap());
    assert_eq!(c.ttl::<_, i64>("k").await.unwrap(), -1);
    // A time in the past deletes the key at once.
    let _: () = cmd("PEXPIREAT")
        .arg("k")
        .arg(1)
        .query_async(&mut c)
        .await
        .unwrap();
    assert!(!c.exists::<_, bool>("k").await.unwrap());
}

#[tokio::test]
async fn expired_keys_vanish_lazily_and_actively() {
    let server = start().await;
    let mut c = server.client().await;
    for i in 0..200 {
        let _: () = cmd("SET")
            .arg(format!("k{i}"))
            .arg("v")
            .arg("PX")
            .arg(1)
            .query_async(&mut c)
            .await
            .unwrap();
    }
    let _: () = c.set("keep", "v").await.unwrap();
    // Nobody reads the keys: only the active cycle can remove them, so DBSIZE (which counts
    // keys not yet collected, like Redis) falls to 1. Poll, never assume a time.
    let drained = async {
        loop {
            let size: i64 = cmd("DBSIZE").query_async(&mut c).await.unwrap();
            if size == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(20), drained)
        .await
        .expect("active expiry removed the keys");
    // Lazy: a key read after its TTL is gone, even before the active cycle sees it.
    let _: () = cmd("SET")
        .arg("lazy")
        .arg("v")
        .arg("PX")
        .arg(1)
        .query_async(&mut c)
        .await
        .unwrap();
    let gone = async {
        loop {
            if c.get::<_, Option<String>>("lazy").await.unwrap().is_none() {
                break;
            }
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), gone)
        .await
        .expect("lazy expiry");
}

#[tokio::test]
async fn blpop_waits_for_a_push_from_another_client() {
    let server = start().await;
    let mut waiter = server.client().await;
    let mut pusher = server.client().await;
    let blocked = tokio::spawn(async move {
        let got: Option<(String, String)> = cmd("BLPOP")
            .arg("jobs")
            .arg(0)
            .query_async(&mut waiter)
            .await
            .unwrap();
        got
    });
    // Push only once the server reports the client as blocked (INFO clients), then check
    // the waiter received exactly that element.
    loop {
        let info: String = cmd("INFO")
            .arg("clients")
            .query_async(&mut pusher)
            .await
            .unwrap();
        if info.contains("blocked_clients:1") {
            break;
        }
        tokio::task::yield_now().await;
    }
    let _: i64 = pusher.rpush("jobs", "job-1").await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(10), blocked)
        .await
        .expect("unblocked")
        .unwrap();
    assert_eq!(got, Some(("jobs".into(), "job-1".into())));
    assert!(!pusher.exists::<_, bool>("jobs").await.unwrap());
}

#[tokio::test]
async fn blocking_pops_time_out_with_a_null_and_serve_at_once_when_data_exists() {
    let server = start().await;
    let mut c = server.client().await;
    let none: Option<(String, String)> = cmd("BLPOP")
        .arg("empty")
        .arg("0.05")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(none, None);
    let _: i64 = c.zadd("z", "m", 2).await.unwrap();
    let got: (String, String, f64) = cmd("BZPOPMIN")
        .arg("nothing")
        .arg("z")
        .arg(1)
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(got, ("z".into(), "m".into(), 2.0));
    let e = cmd("BLPOP")
        .arg("l")
        .arg(-1)
        .query_async::<()>(&mut c)
        .await
        .unwrap_err();
    assert_eq!(e.detail(), Some("timeout is negative"));
}

#[tokio::test]
async fn huge_negative_random_counts_are_refused_not_allocated() {
    let server = start().await;
    let mut c = server.client().await;
    let _: i64 = c.sadd("s", "a").await.unwrap();
    let _: i64 = c.hset("h", "f", "v").await.unwrap();
    for command in ["SRANDMEMBER", "HRANDFIELD"] {
        let key = if command == "SRANDMEMBER" { "s" } else { "h" };
        let e = cmd(command)
            .arg(key)
            .arg(-1_000_000_000_000i64)
            .query_async::<()>(&mut c)
            .await
            .unwrap_err();
        assert_eq!(e.detail(), Some("value is out of range"), "{command}");
    }
    // A large positive count just means "all of them".
    let all: Vec<String> = cmd("SRANDMEMBER")
        .arg("s")
        .arg(1_000_000_000_000i64)
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(all, ["a"]);
}

/// Which error wins when a request has both a bad argument and a key of the wrong type,
/// and what a missing key answers, in the order of Redis 7.0.15's own checks (found by the
/// differential test, `tests/differential.rs`).
#[tokio::test]
async fn checks_run_in_redis_order() {
    use go_redis::resp::Frame;
    use support::exchange;
    let server = start().await;
    let mut s = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let err = |t: &str| Frame::Error(t.into());
    let wrongtype = "WRONGTYPE Operation against a key holding the wrong kind of value";
    let setup = exchange(&mut s, b"SET str v\r\nSADD set m\r\n", 2).await;
    assert_eq!(setup, vec![Frame::Simple("OK".into()), Frame::Integer(1)]);
    let cases: &[(&str, Frame)] = &[
        // The key first: missing is nil, wrong type wins over a bad index.
        ("LINDEX nokey abc", Frame::Null),
        ("LINDEX str abc", err(wrongtype)),
        ("LSET nokey abc x", err("ERR no such key")),
        ("LSET str abc x", err(wrongtype)),
        // A missing source answers before the destination's type is looked at.
        ("LMOVE nokey str LEFT RIGHT", Frame::Null),
        ("SMOVE nokey str m", Frame::Integer(0)),
        ("SMOVE set str m", err(wrongtype)),
        // Counts: one message for not-a-number and negative alike.
        (
            "LPOP str abc",
            err("ERR value is out of range, must be positive"),
        ),
        (
            "ZPOPMIN str -1",
            err("ERR value is out of range, must be positive"),
        ),
        ("ZPOPMIN str 1 2", err("ERR syntax error")),
        // ZRANGE parses its bounds before it looks the key up.
        (
            "ZRANGE str 1.5 4",
            err("ERR value is not an integer or out of range"),
        ),
        (
            "ZRANGEBYSCORE str nan 1",
            err("ERR min or max is not a float"),
        ),
    ];
    for (request, want) in cases {
        let got = exchange(&mut s, format!("{request}\r\n").as_bytes(), 1).await;
        assert_eq!(got, vec![want.clone()], "{request}");
    }
}

/// Sends a request written as text (words split on spaces) and renders the reply on one
/// line: integers and strings as they are, nil as `(nil)`, an array's items joined by
/// spaces, an error as `-` and its text.
async fn line(c: &mut redis::aio::MultiplexedConnection, request: &str) -> String {
    fn render(value: &redis::Value) -> String {
        match value {
            redis::Value::Nil => "(nil)".into(),
            redis::Value::Int(n) => n.to_string(),
            redis::Value::Okay => "OK".into(),
            redis::Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
            redis::Value::Array(items) => items.iter().map(render).collect::<Vec<_>>().join(" "),
            other => format!("{other:?}"),
        }
    }
    let mut words = request.split(' ');
    let mut command = cmd(words.next().unwrap_or_default());
    for word in words {
        command.arg(word);
    }
    match command.query_async::<redis::Value>(c).await {
        Ok(value) => render(&value),
        Err(err) => format!(
            "-{} {}",
            err.code().unwrap_or_default(),
            err.detail().unwrap_or_default()
        ),
    }
}

/// SORT and SORT_RO: numeric and ALPHA order, LIMIT, BY patterns (with `->` hash fields
/// and `nosort`), GET, STORE; each expected line is Redis 7.0.15's reply to the request.
#[tokio::test]
async fn sort_answers_like_redis() {
    let server = start().await;
    let mut c = server.client().await;
    let cases = [
        ("RPUSH l 3 1 2 10 1.5", "5"),
        ("SORT l", "1 1.5 2 3 10"),
        ("SORT l DESC", "10 3 2 1.5 1"),
        ("SORT l ALPHA", "1 1.5 10 2 3"),
        ("SORT l ALPHA DESC LIMIT 1 2", "2 10"),
        ("SORT l LIMIT -5 2", "1 1.5"),
        ("SORT l LIMIT 10 2", ""),
        (
            "SORT l LIMIT x 1",
            "-ERR value is not an integer or out of range",
        ),
        ("SORT l LIMIT 1", "-ERR syntax error"),
        ("SORT l STORE", "-ERR syntax error"),
        ("MSET w_3 30 w_1 10 w_2 -5 w_10 x d_1 one d_2 two", "OK"),
        (
            "SORT l BY w_*",
            "-ERR One or more scores can't be converted into double",
        ),
        ("RPUSH nums 3 1 2", "3"),
        ("SORT nums BY w_*", "2 1 3"),
        (
            "SORT nums BY w_* GET d_* GET # GET nokey",
            "two 2 (nil) one 1 (nil) (nil) 3 (nil)",
        ),
        ("SORT nums BY nosort", "3 1 2"),
        ("SORT nums BY nosort DESC LIMIT 1 5 GET #", "1 3"),
        ("HSET h_1 f 9 g b", "2"),
        ("HSET h_2 f 1 g a", "2"),
        ("HSET h_3 f 5", "1"),
        ("SORT nums BY h_*->f", "2 3 1"),
        ("SORT nums BY h_*->g ALPHA", "3 2 1"),
        ("SORT nums GET h_*->f GET h_*->g", "9 b 1 a 5 (nil)"),
        ("SET ttlkey x EX 100", "OK"),
        ("SORT nums GET d_* STORE ttlkey", "3"),
        ("LRANGE ttlkey 0 -1", "one two "),
        ("TTL ttlkey", "-1"),
        ("SORT nokey STORE ttlkey", "0"),
        ("EXISTS ttlkey", "0"),
        ("SORT_RO nums STORE dst", "-ERR syntax error"),
        ("SORT_RO nums DESC", "3 2 1"),
        ("HSET hh a b", "1"),
        (
            "SORT hh",
            "-WRONGTYPE Operation against a key holding the wrong kind of value",
        ),
        ("SADD s c a b", "3"),
        ("SORT s ALPHA", "a b c"),
        (
            "SORT s",
            "-ERR One or more scores can't be converted into double",
        ),
        ("SORT s BY nosort STORE sdst", "3"),
        ("LRANGE sdst 0 -1", "a b c"),
        ("ZADD z 3 c 1 a 2 b", "3"),
        ("SORT z BY nosort DESC LIMIT 0 2", "c b"),
        ("SORT z ALPHA DESC", "c b a"),
    ];
    for (request, expected) in cases {
        assert_eq!(line(&mut c, request).await, expected, "{request}");
    }
}

/// OBJECT's subcommands have their own arity, FREQ needs an LFU policy and IDLETIME a
/// non-LFU one, and HELP prints Redis's own lines.
#[tokio::test]
async fn object_subcommands_answer_like_redis() {
    let server = start().await;
    let mut c = server.client().await;
    let note = "Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";
    let no_lfu = format!(
        "-ERR An LFU maxmemory policy is not selected, access frequency not tracked. {note}"
    );
    let lfu = format!("-ERR An LFU maxmemory policy is selected, idle time not tracked. {note}");
    let cases = [
        ("SET a 1", "OK".to_owned()),
        ("OBJECT FREQ a", no_lfu),
        ("OBJECT FREQ nokey", "(nil)".into()),
        ("OBJECT IDLETIME a", "0".into()),
        (
            "OBJECT ENCODING",
            "-ERR wrong number of arguments for 'object|encoding' command".into(),
        ),
        (
            "OBJECT HELP x",
            "-ERR wrong number of arguments for 'object|help' command".into(),
        ),
        (
            "OBJECT foo a",
            "-ERR unknown subcommand 'foo'. Try OBJECT HELP.".into(),
        ),
        ("CONFIG SET maxmemory-policy allkeys-lfu", "OK".into()),
        ("OBJECT FREQ a", "0".into()),
        ("OBJECT IDLETIME a", lfu),
    ];
    for (request, expected) in cases {
        assert_eq!(line(&mut c, request).await, expected, "{request}");
    }
    let help: Vec<String> = cmd("OBJECT").arg("HELP").query_async(&mut c).await.unwrap();
    assert_eq!(help.len(), 15);
    assert_eq!(
        help[0],
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    );
    assert_eq!(help[14], "    Prints this help.");
}

/// CLIENT UNBLOCK ends another client's wait: as a timeout (a null) or with Redis's
/// UNBLOCKED error; it answers 0 for a client that is not blocked.
#[tokio::test]
async fn client_unblock_ends_a_blocked_pop() {
    let server = start().await;
    let mut admin = server.client().await;
    for (reason, expected) in [
        ("TIMEOUT", "(nil)"),
        ("ERROR", "-UNBLOCKED client unblocked via CLIENT UNBLOCK"),
    ] {
        let mut waiter = server.client().await;
        let id: i64 = cmd("CLIENT")
            .arg("ID")
            .query_async(&mut waiter)
            .await
            .unwrap();
        let blocked = tokio::spawn(async move { line(&mut waiter, "BLPOP nolist 0").await });
        // Ask until the waiter is blocked (the answer is 0 before that).
        loop {
            let done = line(&mut admin, &format!("CLIENT UNBLOCK {id} {reason}")).await;
            if done == "1" {
                break;
            }
            assert_eq!(done, "0");
            tokio::task::yield_now().await;
        }
        let got = tokio::time::timeout(Duration::from_secs(10), blocked)
            .await
            .expect("unblocked")
            .unwrap();
        assert_eq!(got, expected, "{reason}");
        assert_eq!(line(&mut admin, &format!("CLIENT UNBLOCK {id}")).await, "0");
    }
    // Each blocked BLPOP counts once, as Redis counts it; the ERROR one as failed.
    let stats = line(&mut admin, "INFO commandstats").await;
    assert!(
        stats.contains("cmdstat_blpop:calls=2,") && stats.contains("failed_calls=1\r"),
        "{stats}"
    );
    let errors = line(&mut admin, "INFO errorstats").await;
    assert!(errors.contains("errorstat_UNBLOCKED:count=1"), "{errors}");
    let cases = [
        (
            "CLIENT UNBLOCK 1 foo",
            "-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
        ),
        (
            "CLIENT UNBLOCK x",
            "-ERR value is not an integer or out of range",
        ),
        (
            "CLIENT UNBLOCK",
            "-ERR wrong number of arguments for 'client|unblock' command",
        ),
    ];
    for (request, expected) in cases {
        assert_eq!(line(&mut admin, request).await, expected, "{request}");
    }
}

/// Clients blocked on one list are served in the order they blocked, as in Redis: the
/// first BRPOPLPUSH (whose destination is a string) gets WRONGTYPE and leaves the element
/// for the second.
#[tokio::test]
async fn blocked_clients_are_served_first_come_first_served() {
    let server = start().await;
    let mut admin = server.client().await;
    let _: () = admin.set("target1", "nolist").await.unwrap();
    let mut handles = Vec::new();
    for (n, target) in ["target1", "target2"].into_iter().enumerate() {
        let mut waiter = server.client().await;
        handles.push(tokio::spawn(async move {
            line(&mut waiter, &format!("BRPOPLPUSH blist {target} 0")).await
        }));
        // The next client blocks only after this one is in the queue.
        let give_up = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            assert!(
                tokio::time::Instant::now() < give_up,
                "client {n} never blocked"
            );
            let info: String = cmd("INFO")
                .arg("clients")
                .query_async(&mut admin)
                .await
                .unwrap();
            if info.contains(&format!("blocked_clients:{}", n + 1)) {
                break;
            }
            tokio::task::yield_now().await;
        }
    }
    let _: i64 = admin.lpush("blist", "foo").await.unwrap();
    let mut got = Vec::new();
    for handle in handles {
        got.push(
            tokio::time::timeout(Duration::from_secs(10), handle)
                .await
                .expect("served")
                .unwrap(),
        );
    }
    assert!(got[0].starts_with("-WRONGTYPE"), "{got:?}");
    assert_eq!(got[1], "foo");
    let moved: Vec<String> = admin.lrange("target2", 0, -1).await.unwrap();
    assert_eq!(moved, ["foo"]);
}

/// A blocked BLPOP looks again whenever any key changes; however many looks it takes, INFO
/// commandstats counts it once, when it is served (Redis counts a blocked command when it
/// is served, times out or is unblocked).
#[tokio::test]
async fn a_blocked_command_counts_as_one_call() {
    let server = start().await;
    let mut admin = server.client().await;
    let mut waiter = server.client().await;
    let id = line(&mut waiter, "CLIENT ID").await;
    let blocked = tokio::spawn(async move { line(&mut waiter, "BLPOP wanted 0").await });
    while !line(&mut admin, "CLIENT LIST")
        .await
        .contains(&format!("id={id} "))
        || !line(&mut admin, "INFO clients")
            .await
            .contains("blocked_clients:1")
    {
        tokio::task::yield_now().await;
    }
    for i in 0..5 {
        line(&mut admin, &format!("LPUSH other{i} x")).await; // wakes it: nothing for it
    }
    line(&mut admin, "LPUSH wanted v").await;
    let got = tokio::time::timeout(Duration::from_secs(10), blocked)
        .await
        .expect("served")
        .unwrap();
    assert_eq!(got, "wanted v");
    let stats = line(&mut admin, "INFO commandstats").await;
    assert!(stats.contains("cmdstat_blpop:calls=1,"), "{stats}");
}
