//! Day 4 acceptance tests for the GEO commands: a geo set is a sorted set whose scores are
//! 52-bit geohashes. Expected replies are Redis 7.0.15's, byte for byte (the examples of
//! Redis's GEO documentation, checked against the real server). The last test sends a
//! script of GEO commands to the real Redis 7.0.15 and to go-redis and compares every reply
//! byte for byte, when Debian's redis-tools is installed (it prints `SKIPPED` otherwise).

mod support;

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A connection that returns each reply as its raw RESP2 or RESP3 bytes.
struct Client {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    async fn connect(addr: std::net::SocketAddr) -> Client {
        Client {
            stream: TcpStream::connect(addr).await.expect("connect"),
            buf: Vec::new(),
        }
    }

    /// Sends one command (split on spaces; `'...'` keeps spaces) and returns its reply.
    async fn call(&mut self, line: &str) -> String {
        let args = split(line);
        let mut request = format!("*{}\r\n", args.len()).into_bytes();
        for a in &args {
            request.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
        }
        self.stream.write_all(&request).await.expect("write");
        loop {
            if let Some(n) = reply_len(&self.buf, 0) {
                let reply: Vec<u8> = self.buf.drain(..n).collect();
                return String::from_utf8_lossy(&reply).into_owned();
            }
            let n =
                tokio::time::timeout(Duration::from_secs(10), self.stream.read_buf(&mut self.buf))
                    .await
                    .expect("a reply within 10 s")
                    .expect("read");
            assert!(n > 0, "connection closed on {line:?}");
        }
    }
}

/// Splits a command line on spaces, keeping `'quoted words'` together.
fn split(line: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut rest = line.trim();
    while !rest.is_empty() {
        if let Some(quoted) = rest.strip_prefix('\'') {
            let end = quoted.find('\'').expect("closing quote");
            args.push(quoted[..end].to_owned());
            rest = quoted[end + 1..].trim_start();
        } else {
            let end = rest.find(' ').unwrap_or(rest.len());
            args.push(rest[..end].to_owned());
            rest = rest[end..].trim_start();
        }
    }
    args
}

/// The length of the complete RESP2/RESP3 reply at `buf[at..]`, if it is all there.
fn reply_len(buf: &[u8], at: usize) -> Option<usize> {
    let line_end = buf[at..].windows(2).position(|w| w == b"\r\n")? + at;
    let head = std::str::from_utf8(&buf[at + 1..line_end]).ok()?;
    let after = line_end + 2;
    match buf.get(at)? {
        b'$' | b'=' | b'!' => {
            let n: i64 = head.parse().ok()?;
            if n < 0 {
                return Some(after - at);
            }
            let end = after + n as usize + 2;
            (buf.len() >= end).then_some(end - at)
        }
        b'*' | b'~' | b'>' | b'%' => {
            let n: i64 = head.parse().ok()?;
            let items = if buf[at] == b'%' { n * 2 } else { n.max(0) };
            let mut pos = after;
            for _ in 0..items {
                pos += reply_len(buf, pos)?;
            }
            Some(pos - at)
        }
        _ => Some(after - at),
    }
}

/// A bulk string.
fn b(text: &str) -> String {
    format!("${}\r\n{text}\r\n", text.len())
}

/// An array of already-encoded replies.
fn arr(items: &[String]) -> String {
    format!("*{}\r\n{}", items.len(), items.concat())
}

async fn sicily() -> (support::TestServer, Client) {
    let server = support::start().await;
    let mut c = Client::connect(server.addr).await;
    assert_eq!(
        c.call("GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania")
            .await,
        ":2\r\n"
    );
    (server, c)
}

#[tokio::test]
async fn a_geo_set_is_a_sorted_set_of_geohash_scores() {
    let (_server, mut c) = sicily().await;
    assert_eq!(c.call("TYPE Sicily").await, "+zset\r\n");
    assert_eq!(c.call("ZSCORE Sicily Palermo").await, b("3479099956230698"));
    assert_eq!(
        c.call("ZRANGE Sicily 0 -1").await,
        arr(&[b("Palermo"), b("Catania")])
    );
    // A sorted-set command works on it, and GEOPOS sees the change.
    assert_eq!(c.call("ZREM Sicily Catania").await, ":1\r\n");
    assert_eq!(
        c.call("GEOPOS Sicily Catania").await,
        arr(&["*-1\r\n".into()])
    );
}

#[tokio::test]
async fn geopos_geodist_and_geohash_answer_as_redis() {
    let (_server, mut c) = sicily().await;
    assert_eq!(
        c.call("GEOPOS Sicily Palermo Catania NonExisting").await,
        arr(&[
            arr(&[b("13.36138933897018433"), b("38.11555639549629859")]),
            arr(&[b("15.08726745843887329"), b("37.50266842333162032")]),
            "*-1\r\n".into(),
        ])
    );
    assert_eq!(
        c.call("GEODIST Sicily Palermo Catania").await,
        b("166274.1516")
    );
    assert_eq!(
        c.call("GEODIST Sicily Palermo Catania km").await,
        b("166.2742")
    );
    assert_eq!(
        c.call("GEODIST Sicily Palermo Catania mi").await,
        b("103.3182")
    );
    assert_eq!(
        c.call("GEODIST Sicily Palermo Catania FT").await,
        b("545518.8700")
    );
    assert_eq!(c.call("GEODIST Sicily Foo Bar").await, "$-1\r\n");
    assert_eq!(c.call("GEODIST nokey a b").await, "$-1\r\n");
    assert_eq!(
        c.call("GEOHASH Sicily Palermo Catania nope").await,
        arr(&[b("sqc8b49rny0"), b("sqdtr74hyu0"), "$-1\r\n".into()])
    );
    assert_eq!(c.call("GEOHASH nokey a").await, arr(&["$-1\r\n".into()]));
}

#[tokio::test]
async fn geoadd_options_and_errors() {
    let server = support::start().await;
    let mut c = Client::connect(server.addr).await;
    assert_eq!(c.call("GEOADD k XX 1 1 a").await, ":0\r\n");
    assert_eq!(
        c.call("EXISTS k").await,
        ":0\r\n",
        "XX does not create the key"
    );
    assert_eq!(c.call("GEOADD k 1 1 a").await, ":1\r\n");
    assert_eq!(c.call("GEOADD k 1 1 a").await, ":0\r\n");
    assert_eq!(
        c.call("GEOADD k CH 2 2 a").await,
        ":1\r\n",
        "CH counts a move"
    );
    assert_eq!(c.call("GEOADD k NX 3 3 a 4 4 b").await, ":1\r\n");
    assert_eq!(
        c.call("GEOPOS k a").await,
        arr(&[arr(&[b("2.00000256299972534"), b("2.0000001856465488")])]),
        "NX left a where it was"
    );
    assert_eq!(c.call("GEOADD k XX CH 5 5 a 6 6 c").await, ":1\r\n");
    assert_eq!(c.call("ZCARD k").await, ":2\r\n", "XX added no c");
    let syntax = "-ERR syntax error\r\n";
    assert_eq!(c.call("GEOADD k XX NX 1 1 a").await, syntax);
    assert_eq!(c.call("GEOADD k 1 1 a 2").await, syntax);
    assert_eq!(c.call("GEOADD k GT 1 1 a").await, syntax);
    assert_eq!(c.call("GEOADD k NX CH XX").await, syntax);
    assert_eq!(
        c.call("GEOADD k 1 x a").await,
        "-ERR value is not a valid float\r\n"
    );
    assert_eq!(
        c.call("GEOADD k 180.5 86 a").await,
        "-ERR invalid longitude,latitude pair 180.500000,86.000000\r\n"
    );
    assert_eq!(c.call("SET s v").await, "+OK\r\n");
    assert_eq!(
        c.call("GEOADD s 1 1 a").await,
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
    );
    assert_eq!(
        c.call("GEOADD s 1 100 a").await,
        "-ERR invalid longitude,latitude pair 1.000000,100.000000\r\n",
        "points are checked before the key, as in Redis"
    );
    assert_eq!(
        c.call("GEOADD k 1 1").await,
        "-ERR wrong number of arguments for 'geoadd' command\r\n"
    );
}

#[tokio::test]
async fn georadius_and_geosearch_find_sort_and_count() {
    let (_server, mut c) = sicily().await;
    c.call("GEOADD Sicily 12.758489 38.788135 edge1 17.241510 38.788135 edge2")
        .await;
    assert_eq!(
        c.call("GEORADIUS Sicily 15 37 200 km WITHDIST").await,
        arr(&[
            arr(&[b("Palermo"), b("190.4424")]),
            arr(&[b("Catania"), b("56.4413")]),
        ])
    );
    assert_eq!(
        c.call("GEORADIUS Sicily 15 37 200 km WITHCOORD WITHHASH ASC")
            .await,
        arr(&[
            arr(&[
                b("Catania"),
                ":3479447370796909\r\n".into(),
                arr(&[b("15.08726745843887329"), b("37.50266842333162032")]),
            ]),
            arr(&[
                b("Palermo"),
                ":3479099956230698\r\n".into(),
                arr(&[b("13.36138933897018433"), b("38.11555639549629859")]),
            ]),
        ])
    );
    assert_eq!(
        c.call("GEORADIUSBYMEMBER Sicily Palermo 200 km DESC").await,
        arr(&[b("Catania"), b("edge1"), b("Palermo")])
    );
    assert_eq!(
        c.call("GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km ASC WITHDIST")
            .await,
        arr(&[
            arr(&[b("Catania"), b("56.4413")]),
            arr(&[b("Palermo"), b("190.4424")]),
            arr(&[b("edge2"), b("279.7403")]),
            arr(&[b("edge1"), b("279.7405")]),
        ])
    );
    // COUNT alone means the nearest; DESC the farthest.
    assert_eq!(
        c.call("GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 500 km COUNT 2")
            .await,
        arr(&[b("Palermo"), b("edge1")])
    );
    assert_eq!(
        c.call("GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 500 km COUNT 1 DESC")
            .await,
        arr(&[b("edge2")])
    );
    // ANY stops at the first points found, in the order the cells hold them.
    let any = c
        .call("GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 500 km COUNT 3 ANY")
        .await;
    assert!(any.starts_with("*3\r\n"), "{any:?}");
    assert_eq!(c.call("GEORADIUS Sicily 15 37 1 m").await, "*0\r\n");
    assert_eq!(c.call("GEORADIUS nokey 15 37 1 m").await, "*0\r\n");
    assert_eq!(
        c.call("GEORADIUSBYMEMBER nokey x notanumber m").await,
        "*0\r\n"
    );
}

#[tokio::test]
async fn count_orders_equidistant_places_as_redis_does() {
    // 60 places on three points: with COUNT, the order among equal distances is what
    // Redis's partial quicksort leaves (values from Redis 7.0.15).
    let server = support::start().await;
    let mut c = Client::connect(server.addr).await;
    let mut add = String::from("GEOADD ties");
    for i in 0..60 {
        let point = ["10 10", "10.01 10", "10 10.02"][i % 3];
        add.push_str(&format!(" {point} m{i}"));
    }
    assert_eq!(c.call(&add).await, ":60\r\n");
    let names = |list: &[&str]| arr(&list.iter().map(|m| b(m)).collect::<Vec<_>>());
    assert_eq!(
        c.call("GEORADIUS ties 10 10 50 km COUNT 5").await,
        names(&["m9", "m15", "m18", "m21", "m24"])
    );
    assert_eq!(
        c.call("GEORADIUS ties 10 10 50 km COUNT 5 DESC").await,
        names(&["m14", "m59", "m56", "m53", "m50"])
    );
}

#[tokio::test]
async fn search_errors_come_in_redis_order() {
    let (_server, mut c) = sicily().await;
    let err = |text: &str| format!("-ERR {text}\r\n");
    let cases = [
        (
            "GEOSEARCH Sicily BYBOX 1 1 km ASC",
            err("exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCH"),
        ),
        (
            "geosearch Sicily FROMLONLAT 15 37 ASC WITHDIST",
            err("exactly one of BYRADIUS and BYBOX can be specified for geosearch"),
        ),
        (
            "GEOSEARCH Sicily FROMLONLAT 15 37 FROMMEMBER Palermo BYBOX 1 1 km",
            err("syntax error"),
        ),
        (
            "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km BYBOX 1 1 km",
            err("syntax error"),
        ),
        (
            "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km STOREDIST",
            err("syntax error"),
        ),
        (
            "GEOSEARCH Sicily FROMMEMBER nope BYRADIUS 1 km",
            err("could not decode requested zset member"),
        ),
        (
            "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX -1 1 km",
            err("height or width cannot be negative"),
        ),
        (
            "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 x km",
            err("need numeric height"),
        ),
        ("GEORADIUS Sicily 15 37 x km", err("need numeric radius")),
        (
            "GEORADIUS Sicily 15 37 -1 km",
            err("radius cannot be negative"),
        ),
        (
            "GEORADIUS Sicily 15 37 1 yd",
            err("unsupported unit provided. please use M, KM, FT, MI"),
        ),
        (
            "GEORADIUS Sicily 15 37 1 km ANY",
            err("the ANY argument requires COUNT argument"),
        ),
        (
            "GEORADIUS Sicily 15 37 1 km COUNT 0",
            err("COUNT must be > 0"),
        ),
        (
            "GEORADIUS Sicily 15 37 1 km COUNT x",
            err("value is not an integer or out of range"),
        ),
        ("GEORADIUS Sicily 15 37 1 km COUNT", err("syntax error")),
        (
            "GEORADIUS Sicily 15 37 1 km STORE d WITHDIST",
            err(
                "STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
            ),
        ),
        (
            "GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 BYRADIUS 1 km WITHCOORD",
            err("GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options"),
        ),
        (
            "GEORADIUS_RO Sicily 15 37 1 km STORE d",
            err("syntax error"),
        ),
        (
            "GEORADIUSBYMEMBER Sicily nope 1 km",
            err("could not decode requested zset member"),
        ),
        (
            "GEODIST Sicily Palermo Catania km extra",
            err("syntax error"),
        ),
        (
            "GEODIST Sicily Palermo Catania yd",
            err("unsupported unit provided. please use M, KM, FT, MI"),
        ),
    ];
    for (request, expected) in cases {
        assert_eq!(c.call(request).await, expected, "{request}");
    }
    c.call("SET s v").await;
    let wrongtype = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
    // The source's type is checked before any argument.
    for request in [
        "GEORADIUS s 500 500 x yd",
        "GEOSEARCH s BYBOX 1 1 km ASC",
        "GEOPOS s a",
        "GEOHASH s a",
        "GEODIST s a b",
    ] {
        assert_eq!(c.call(request).await, wrongtype, "{request}");
    }
}

#[tokio::test]
async fn store_and_storedist_write_sorted_sets() {
    let (_server, mut c) = sicily().await;
    assert_eq!(
        c.call("GEORADIUS Sicily 15 37 200 km STORE near").await,
        ":2\r\n"
    );
    assert_eq!(
        c.call("ZRANGE near 0 -1 WITHSCORES").await,
        arr(&[
            b("Palermo"),
            b("3479099956230698"),
            b("Catania"),
            b("3479447370796909")
        ])
    );
    assert_eq!(
        c.call("GEORADIUSBYMEMBER Sicily Palermo 200 km STOREDIST dist")
            .await,
        ":2\r\n"
    );
    assert_eq!(
        c.call("ZRANGE dist 0 -1 WITHSCORES").await,
        arr(&[b("Palermo"), b("0"), b("Catania"), b("166.27415156960032")])
    );
    assert_eq!(c.call("EXPIRE near 100").await, ":1\r\n");
    assert_eq!(
        c.call("GEOSEARCHSTORE near Sicily FROMLONLAT 15 37 BYRADIUS 100 km STOREDIST")
            .await,
        ":1\r\n"
    );
    assert_eq!(
        c.call("TTL near").await,
        ":-1\r\n",
        "the result replaces the TTL"
    );
    assert_eq!(c.call("ZSCORE near Catania").await, b("56.441257870158204"));
    // Nothing found, or no source: the destination is deleted.
    assert_eq!(
        c.call("GEOSEARCHSTORE near Sicily FROMLONLAT 0 0 BYRADIUS 1 m")
            .await,
        ":0\r\n"
    );
    assert_eq!(c.call("EXISTS near").await, ":0\r\n");
    assert_eq!(c.call("GEORADIUS nokey 0 0 1 m STORE dist").await, ":0\r\n");
    assert_eq!(c.call("EXISTS dist").await, ":0\r\n");
}

#[tokio::test]
async fn command_info_marks_the_store_variants_movablekeys() {
    let server = support::start().await;
    let mut c = Client::connect(server.addr).await;
    let info = c.call("COMMAND INFO georadius georadius_ro").await;
    let (with_store, read_only) = info.split_at(info.find("georadius_ro").expect("both"));
    assert!(with_store.contains("movablekeys"), "{with_store}");
    assert!(!read_only.contains("movablekeys"), "{read_only}");
    assert_eq!(
        c.call("COMMAND GETKEYS georadius k 0 0 1 km STORE a STOREDIST b")
            .await,
        arr(&[b("k"), b("a"), b("b")])
    );
    assert_eq!(
        c.call("COMMAND GETKEYS geosearchstore d s FROMMEMBER m BYRADIUS 1 km")
            .await,
        arr(&[b("d"), b("s")])
    );
}

#[tokio::test]
async fn resp3_clients_get_coordinates_as_doubles() {
    let (_server, mut c) = sicily().await;
    let hello = c.call("HELLO 3").await;
    assert!(hello.starts_with("%7\r\n"), "{hello:?}");
    assert_eq!(
        c.call("GEOPOS Sicily Palermo nope").await,
        "*2\r\n*2\r\n,13.36138933897018433\r\n,38.11555639549629859\r\n_\r\n"
    );
    // Distances stay bulk strings (four decimals), as in Redis.
    assert_eq!(
        c.call("GEODIST Sicily Palermo Catania").await,
        b("166274.1516")
    );
    assert_eq!(c.call("GEODIST Sicily Palermo nope").await, "_\r\n");
}

#[tokio::test]
async fn the_aof_logs_geoadd_and_store_but_not_a_plain_search() {
    let dir = std::env::temp_dir().join(format!(
        "go-redis-geo-aof-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut config = go_redis::Config::default();
    config
        .set("dir", &dir.display().to_string())
        .expect("test setup");
    config.set("appendonly", "yes").expect("test setup");
    config.set("appendfsync", "always").expect("test setup");
    let mut server = support::start_with(config.clone()).await;
    let mut c = Client::connect(server.addr).await;
    c.call("GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania")
        .await;
    assert!(
        c.call("GEORADIUS Sicily 15 37 200 km")
            .await
            .starts_with("*2")
    );
    assert_eq!(
        c.call("GEORADIUS Sicily 15 37 200 km STORE near").await,
        ":2\r\n"
    );
    if let Some(stop) = server.stop.take() {
        let _ = stop.send(());
    }
    let _ = (&mut server.task).await;
    let log = std::fs::read(dir.join("appendonlydir/appendonly.aof.1.incr.aof")).expect("AOF");
    let log = String::from_utf8_lossy(&log);
    assert_eq!(log.matches("GEORADIUS").count(), 1, "{log}");
    assert!(log.contains("STORE"), "{log}");
    // A restart replays the log: the stored search is back.
    let server = support::start_with(config).await;
    let mut c = Client::connect(server.addr).await;
    assert_eq!(
        c.call("ZRANGE near 0 -1").await,
        arr(&[b("Palermo"), b("Catania")])
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_cluster_routes_georadius_by_its_real_keys() {
    // A one-node cluster serves every slot, but still refuses keys of different slots
    // (CROSSSLOT): GEORADIUS's numbers and unit must not count as keys.
    use go_redis::cluster::{self, Mode};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind port 0");
    let addr = listener.local_addr().expect("local addr");
    let config = cluster::local_node_config(&[addr.port()], 0, Mode::Redirect);
    let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(go_redis::serve_database(listener, config, async move {
        let _ = stopped.await;
    }));
    let mut c = Client::connect(addr).await;
    assert_eq!(
        c.call("GEOADD {s}icily 13.361389 38.115556 Palermo").await,
        ":1\r\n"
    );
    assert_eq!(
        c.call("GEORADIUS {s}icily 15 37 200 km").await,
        arr(&[b("Palermo")])
    );
    assert_eq!(
        c.call("GEORADIUS {s}icily 15 37 200 km STORE {s}near")
            .await,
        ":1\r\n"
    );
    assert!(
        c.call("GEORADIUS {s}icily 15 37 200 km STORE elsewhere")
            .await
            .starts_with("-CROSSSLOT"),
        "the STORE key counts"
    );
}

// ---- the Go course's bugs (book appendix: Go bugs) ----

#[tokio::test]
async fn go_bug_georadius_returns_points_outside_the_radius() {
    // godis returns every point of the nine cells, however far: the filter by distance
    // is missing. Edge1 lies 279 km away, in a neighbouring cell.
    let (_server, mut c) = sicily().await;
    c.call("GEOADD Sicily 12.758489 38.788135 edge1").await;
    assert_eq!(
        c.call("GEORADIUS Sicily 15 37 200 km ASC").await,
        arr(&[b("Catania"), b("Palermo")])
    );
}

#[tokio::test]
async fn go_bug_geoadd_accepts_latitudes_past_85_degrees() {
    // godis checks ±90° and prints the pair latitude first.
    let server = support::start().await;
    let mut c = Client::connect(server.addr).await;
    assert_eq!(
        c.call("GEOADD k 10 89 a").await,
        "-ERR invalid longitude,latitude pair 10.000000,89.000000\r\n"
    );
    assert_eq!(c.call("EXISTS k").await, ":0\r\n");
}

#[tokio::test]
async fn go_bug_geopos_and_geohash_answer_null_for_a_missing_member() {
    // godis answers an empty array for a missing member in GEOPOS, writes the bytes
    // `*0\r\n` *inside* a bulk string for one in GEOHASH, and answers a null bulk for a
    // missing key instead of one null per member.
    let (_server, mut c) = sicily().await;
    assert_eq!(c.call("GEOPOS Sicily nope").await, arr(&["*-1\r\n".into()]));
    assert_eq!(
        c.call("GEOHASH Sicily nope").await,
        arr(&["$-1\r\n".into()])
    );
    assert_eq!(
        c.call("GEOPOS nokey a b").await,
        arr(&["*-1\r\n".into(), "*-1\r\n".into()])
    );
}

#[tokio::test]
async fn go_bug_geodist_prints_four_decimals_in_every_unit() {
    // godis prints every digit of the float and knows only m and km.
    let (_server, mut c) = sicily().await;
    assert_eq!(
        c.call("GEODIST Sicily Palermo Catania").await,
        b("166274.1516")
    );
    assert_eq!(
        c.call("GEODIST Sicily Palermo Catania mi").await,
        b("103.3182")
    );
}

#[tokio::test]
async fn go_bug_georadiusbymember_of_a_missing_member_is_an_error() {
    // godis answers a null bulk, which a client reads as "no result".
    let (_server, mut c) = sicily().await;
    assert_eq!(
        c.call("GEORADIUSBYMEMBER Sicily nope 10 km").await,
        "-ERR could not decode requested zset member\r\n"
    );
    assert_eq!(c.call("GEORADIUS nokey 15 37 10 km").await, "*0\r\n");
}

// ---- side by side with the real Redis ----

/// The script both servers run: every GEO command, its options and its errors.
const SCRIPT: &[&str] = &[
    "FLUSHALL",
    "GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania",
    "GEOADD Sicily 12.758489 38.788135 edge1 17.241510 38.788135 edge2 -0.1 51.5 london",
    "GEOADD nyc -73.9454966 40.747533 'lic market' -73.9733487 40.7648057 'central park n/q/r' -73.9903085 40.7362513 'union square' -74.0131604 40.7126674 'wtc one' -73.7858139 40.6428986 jfk -73.9375699 40.7498929 q4 -73.9564142 40.7480973 4545",
    "GEOADD k CH XX 1 2 Palermo",
    "GEOADD k 180 85.05112878 corner -180 -85.05112878 other",
    "GEOADD k 181 0 x",
    "GEOADD k 0 0",
    "ZRANGE Sicily 0 -1 WITHSCORES",
    "GEOPOS Sicily Palermo Catania london nope",
    "GEOPOS k corner other",
    "GEOHASH Sicily Palermo Catania london nope",
    "GEOHASH k corner other",
    "GEODIST Sicily Palermo london",
    "GEODIST Sicily Palermo london km",
    "GEODIST Sicily Palermo london mi",
    "GEODIST Sicily Palermo london ft",
    "GEODIST nyc jfk q4 km",
    "GEORADIUS Sicily 15 37 200 km WITHDIST WITHCOORD WITHHASH",
    "GEORADIUS Sicily 15 37 3000 km WITHDIST ASC",
    "GEORADIUS Sicily 15 37 3000 km COUNT 2 DESC WITHCOORD",
    "GEORADIUS Sicily 15 37 3000 km COUNT 2 ANY",
    "GEORADIUS Sicily 0 0 20000 km",
    "GEORADIUS nyc -73.9798091 40.7598464 3 km asc",
    "GEORADIUS nyc -73.9798091 40.7598464 10 km COUNT 3 ANY",
    "GEORADIUS nyc -73.9798091 40.7598464 10 km COUNT 3 ANY ASC",
    "GEORADIUS_RO nyc -73.9798091 40.7598464 10 km WITHDIST",
    "GEORADIUSBYMEMBER nyc 'wtc one' 7 km WITHDIST",
    "GEORADIUSBYMEMBER_RO nyc 'wtc one' 7 km WITHCOORD DESC",
    "GEOSEARCH nyc FROMMEMBER 'wtc one' BYBOX 14 14 km WITHDIST WITHCOORD WITHHASH",
    "GEOSEARCH nyc FROMLONLAT -73.9798091 40.7598464 BYBOX 6 6 km ASC",
    "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km ASC WITHDIST",
    "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 4000 400 mi DESC WITHDIST",
    "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 100000 ft WITHDIST",
    "GEOSEARCHSTORE dst Sicily FROMMEMBER Palermo BYRADIUS 300 km STOREDIST",
    "ZRANGE dst 0 -1 WITHSCORES",
    "GEOSEARCHSTORE dst Sicily FROMMEMBER Palermo BYRADIUS 300 km COUNT 1",
    "ZRANGE dst 0 -1 WITHSCORES",
    "GEORADIUS Sicily 15 37 200 km STORE dst2",
    "ZRANGE dst2 0 -1 WITHSCORES",
    "GEORADIUSBYMEMBER Sicily Catania 200 km STOREDIST dst2",
    "ZRANGE dst2 0 -1 WITHSCORES",
    "GEORADIUS Sicily 0 0 1 m STORE dst2",
    "EXISTS dst2",
    "GEOSEARCH Sicily BYBOX 1 1 km",
    "GEOSEARCH Sicily FROMLONLAT 1 1",
    "GEOSEARCH Sicily FROMMEMBER nope BYRADIUS 1 km",
    "GEOSEARCH nokey FROMMEMBER nope BYRADIUS 1 km",
    "GEOSEARCH Sicily FROMLONLAT 1 1 BYRADIUS 1 km BYBOX 1 1 km",
    "GEOSEARCH Sicily FROMLONLAT 1 1 BYBOX 1 -1 km",
    "GEORADIUS Sicily 1 1 1 km ANY",
    "GEORADIUS Sicily 1 1 1 km COUNT -1",
    "GEORADIUS Sicily 1 1 1 km STORE x WITHHASH",
    "GEORADIUS Sicily 1 100 1 km",
    "GEORADIUS Sicily 1 1 1 parsec",
    "GEORADIUS_RO Sicily 1 1 1 km STOREDIST x",
    "GEORADIUSBYMEMBER Sicily nope 1 km",
    "GEORADIUSBYMEMBER nokey nope x km",
    "COMMAND GETKEYS georadius k 0 0 1 km STORE a STOREDIST b",
    "COMMAND GETKEYS georadiusbymember k m 1 km STOREDIST b",
    "COMMAND GETKEYSANDFLAGS georadius k 0 0 1 km STORE a",
    "COMMAND GETKEYSANDFLAGS geosearchstore d s FROMMEMBER m BYRADIUS 1 km",
    "COMMAND GETKEYSANDFLAGS geoadd k 1 1 a",
    "ZADD weird -5 neg 1e20 huge 0 zero",
    "GEOPOS weird neg huge zero",
    "GEOHASH weird neg huge zero",
    "GEORADIUS weird 0 0 50000 km WITHCOORD WITHHASH",
    "HELLO 3",
    "GEOPOS Sicily Palermo nope",
    "GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 300 km WITHCOORD WITHDIST WITHHASH",
    "GEODIST Sicily Palermo nope",
    "GEOHASH Sicily nope",
];

/// Searches whose results have equal distances (places sharing a point): with COUNT the
/// order among them is whatever Redis's partial quicksort leaves, without it the scan order.
fn ties_script() -> Vec<String> {
    let mut add = String::from("GEOADD ties");
    for i in 0..60 {
        let point = ["10 10", "10.01 10", "10 10.02"][i % 3];
        add.push_str(&format!(" {point} m{i}"));
    }
    let mut script = vec!["HELLO 2".to_string(), add];
    for options in [
        "COUNT 5",
        "COUNT 5 DESC",
        "COUNT 25 ASC",
        "COUNT 45 DESC",
        "COUNT 59",
        "ASC",
        "DESC",
        "COUNT 7",
    ] {
        script.push(format!(
            "GEOSEARCH ties FROMLONLAT 10.001 10.001 BYRADIUS 50 km WITHDIST {options}"
        ));
        script.push(format!("GEORADIUS ties 10 10 50 km {options}"));
    }
    script
}

#[tokio::test]
async fn same_bytes_as_redis_7_0_15() {
    let Some(redis_server) = support::real_redis_server() else {
        eprintln!("SKIPPED: no redis-server (install Debian's redis-tools)");
        return;
    };
    let (child, port) = support::spawn_real_redis(&redis_server);
    let _real = child;
    let ours = support::start().await;
    let mut real = Client::connect(([127, 0, 0, 1], port).into()).await;
    let mut mine = Client::connect(ours.addr).await;
    for request in SCRIPT.iter().map(|r| r.to_string()).chain(ties_script()) {
        let request = request.as_str();
        let want = real.call(request).await;
        let got = mine.call(request).await;
        if request.starts_with("HELLO") {
            continue; // the client ids differ
        }
        assert_eq!(got, want, "{request}");
    }
}
