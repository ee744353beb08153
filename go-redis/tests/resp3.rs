//! RESP3 acceptance tests: `HELLO 3` switches one connection to RESP3, whose replies carry
//! their types (maps, sets, doubles, one null, verbatim strings), and `HELLO 2` switches
//! back; other connections are not affected. The last test runs redis-py, with its default
//! settings and with protocol 2 and 3, when python3 and the `redis` package are there.

mod support;

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use support::{python_with_redis, start};

/// Sends `request` and reads exactly as many bytes as `expected` has, then compares.
async fn expect(stream: &mut TcpStream, request: &str, expected: &str) {
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut got = vec![0u8; expected.len()];
    tokio::time::timeout(Duration::from_secs(10), stream.read_exact(&mut got))
        .await
        .expect("a reply within 10 s")
        .expect("read the reply");
    assert_eq!(
        String::from_utf8_lossy(&got),
        expected,
        "reply to {request:?}"
    );
}

/// Reads one CRLF-terminated line (the start of a reply whose rest varies).
async fn line(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let mut byte = [0u8; 1];
    while !out.ends_with(b"\r\n") {
        tokio::time::timeout(Duration::from_secs(10), stream.read_exact(&mut byte))
            .await
            .expect("a reply within 10 s")
            .expect("read");
        out.push(byte[0]);
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Sends HELLO and skips its reply (checked in `hello_answers_with_redis_map`).
async fn hello(stream: &mut TcpStream, version: u8) {
    stream
        .write_all(format!("HELLO {version}\r\n").as_bytes())
        .await
        .expect("write");
    let header = line(stream).await;
    // %7 (RESP3) or *14 (RESP2): 14 values, the last an empty array.
    assert!(header == "%7\r\n" || header == "*14\r\n", "{header:?}");
    let mut seen = 0;
    while seen < 14 {
        let l = line(stream).await;
        if !l.starts_with('$') {
            seen += 1;
        }
    }
}

#[tokio::test]
async fn hello_answers_with_redis_map() {
    let server = start().await;
    let mut s = TcpStream::connect(server.addr).await.unwrap();
    expect(
        &mut s,
        "HELLO 3\r\n",
        "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n",
    )
    .await;
    assert!(line(&mut s).await.starts_with(':'));
    expect(
        &mut s,
        "",
        "$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n",
    )
    .await;
    // HELLO 2 answers the same pairs as a flat array, in RESP2.
    expect(&mut s, "HELLO 2\r\n", "*14\r\n$6\r\nserver\r\n").await;
}

#[tokio::test]
async fn hello_checks_version_options_and_password_in_redis_order() {
    let server = start().await;
    let mut s = TcpStream::connect(server.addr).await.unwrap();
    expect(
        &mut s,
        "HELLO 4\r\n",
        "-NOPROTO unsupported protocol version\r\n",
    )
    .await;
    expect(
        &mut s,
        "HELLO x\r\n",
        "-ERR Protocol version is not an integer or out of range\r\n",
    )
    .await;
    expect(
        &mut s,
        "HELLO 3 FOO\r\n",
        "-ERR Syntax error in HELLO option 'FOO'\r\n",
    )
    .await;
    expect(
        &mut s,
        "HELLO 3 AUTH nobody wrong\r\n",
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n",
    )
    .await;
    // A failed HELLO changes nothing: still RESP2.
    expect(&mut s, "GET missing\r\n", "$-1\r\n").await;
    hello(&mut s, 3).await;
    expect(&mut s, "CLIENT GETNAME\r\n", "_\r\n").await;
    expect(&mut s, "HELLO 3 SETNAME worker\r\n", "%7\r\n").await;
    let _ = line(&mut s).await; // the rest of the map is checked above
}

#[tokio::test]
async fn resp3_replies_carry_their_types_per_connection() {
    let server = start().await;
    let mut s = TcpStream::connect(server.addr).await.unwrap();
    let mut other = TcpStream::connect(server.addr).await.unwrap();
    hello(&mut s, 3).await;
    expect(
        &mut s,
        "HSET h f v\r\nHGETALL h\r\nHGETALL nokey\r\n",
        ":1\r\n%1\r\n$1\r\nf\r\n$1\r\nv\r\n%0\r\n",
    )
    .await;
    expect(
        &mut s,
        "SADD s x\r\nSMEMBERS s\r\nSMEMBERS nokey\r\nSINTER s s\r\n",
        ":1\r\n~1\r\n$1\r\nx\r\n~0\r\n~1\r\n$1\r\nx\r\n",
    )
    .await;
    expect(
        &mut s,
        "ZADD z 1.5 a 2 b\r\nZSCORE z a\r\nZINCRBY z 1 b\r\nZMSCORE z a nope\r\n",
        ":2\r\n,1.5\r\n,3\r\n*2\r\n,1.5\r\n_\r\n",
    )
    .await;
    expect(
        &mut s,
        "ZRANGE z 0 -1 WITHSCORES\r\nZRANGE z 0 0\r\n",
        "*2\r\n*2\r\n$1\r\na\r\n,1.5\r\n*2\r\n$1\r\nb\r\n,3\r\n*1\r\n$1\r\na\r\n",
    )
    .await;
    // ZPOPMIN without a count stays flat; with one it answers pairs.
    expect(
        &mut s,
        "ZPOPMIN z\r\nZPOPMIN z 1\r\n",
        "*2\r\n$1\r\na\r\n,1.5\r\n*1\r\n*2\r\n$1\r\nb\r\n,3\r\n",
    )
    .await;
    expect(
        &mut s,
        "GET nokey\r\nLPOP nokey 2\r\nZADD z2 +inf m\r\nZSCORE z2 m\r\n",
        "_\r\n_\r\n:1\r\n,inf\r\n",
    )
    .await;
    expect(
        &mut s,
        "CONFIG GET maxclients\r\n",
        "%1\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n",
    )
    .await;
    // INFO is a verbatim string: `=<len>` then `txt:` and the text.
    s.write_all(b"INFO server\r\n").await.unwrap();
    let header = line(&mut s).await;
    assert!(header.starts_with('='), "{header:?}");
    let len: usize = header[1..header.len() - 2].parse().unwrap();
    let mut body = vec![0u8; len + 2];
    s.read_exact(&mut body).await.unwrap();
    assert!(body.starts_with(b"txt:# Server\r\n"), "{body:?}");
    // The other connection still speaks RESP2.
    expect(
        &mut other,
        "HGETALL h\r\nZSCORE z2 m\r\nGET nokey\r\n",
        "*2\r\n$1\r\nf\r\n$1\r\nv\r\n$3\r\ninf\r\n$-1\r\n",
    )
    .await;
    // HELLO 2 switches back.
    hello(&mut s, 2).await;
    expect(&mut s, "SMEMBERS s\r\n", "*1\r\n$1\r\nx\r\n").await;
}

/// The Python to run: connects with redis-py using `protocol` (`None` = its default),
/// exercises a few typed replies and prints `ok <protocol it ended up speaking>`.
const PY_SMOKE: &str = r#"
import sys, redis
port, proto = int(sys.argv[1]), sys.argv[2]
kw = {} if proto == "default" else {"protocol": int(proto)}
r = redis.Redis(host="127.0.0.1", port=port, decode_responses=True, **kw)
assert r.ping() is True
r.flushall()
assert r.set("k", "v") is True and r.get("k") == "v"
assert r.get("missing") is None
r.hset("h", mapping={"f": "1", "g": "2"})
assert r.hgetall("h") == {"f": "1", "g": "2"}, r.hgetall("h")
r.sadd("s", "a", "b")
assert r.smembers("s") == {"a", "b"}, r.smembers("s")
r.zadd("z", {"a": 1.5, "b": 3})
assert r.zscore("z", "a") == 1.5
# redis-py shapes these as tuples or lists depending on its settings; real Redis alike
assert [tuple(p) for p in r.zrange("z", 0, -1, withscores=True)] == [("a", 1.5), ("b", 3.0)]
assert r.zincrby("z", 1, "a") == 2.5
assert r.incr("n") == 1 and r.lpush("l", "x", "y") == 2 and r.lrange("l", 0, -1) == ["y", "x"]
assert r.config_get("maxclients") == {"maxclients": "10000"}
assert "redis_version" in r.info("server")
p = r.pipeline(transaction=False)  # MULTI/EXEC come on day 6
p.set("a", 1).incr("a").get("a")
assert p.execute() == [True, 2, "2"]
print("ok", "protocol", r.connection_pool.get_connection().protocol)
"#;

#[tokio::test]
async fn redis_py_with_default_settings_resp2_and_resp3() {
    let python = match python_with_redis() {
        Ok(python) => python,
        Err(why) => {
            eprintln!("SKIPPED redis_py_with_default_settings_resp2_and_resp3: {why}");
            return;
        }
    };
    let server = start().await;
    for proto in ["default", "2", "3"] {
        let (python, port) = (python.clone(), server.addr.port().to_string());
        let output = tokio::task::spawn_blocking(move || {
            std::process::Command::new(python)
                .args(["-c", PY_SMOKE, &port, proto])
                .output()
        })
        .await
        .expect("join")
        .expect("run python");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && stdout.starts_with("ok"),
            "redis-py (protocol {proto}) failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        eprintln!("redis-py protocol {proto}: {}", stdout.trim());
    }
}
